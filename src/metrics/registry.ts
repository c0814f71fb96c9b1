/**
 * A small metrics registry: counters, gauges and histograms with labels,
 * and collectors that set gauges from live state just before a scrape. The
 * text it serves is written by exposition.ts.
 *
 * @module
 */

import {
  type HistogramSample,
  LABEL_NAME,
  type Labels,
  METRIC_NAME,
  type MetricFamily,
  renderExposition,
  type Sample,
} from "./exposition.ts";

/** Most series one family keeps; a new one beyond is not recorded (label values are bounded by config, this by accident). */
export const MAX_SERIES_PER_FAMILY = 10_000;

/** The label names of a family, and the values each call gives them. */
type LabelValues<L extends string> = Readonly<Record<L, string>>;

/** Seconds: 5 ms to an hour, for the duration and wait of jobs. */
export const JOB_SECONDS_BUCKETS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  300,
  900,
  3600,
];

abstract class Family<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly #series = new Map<string, { labels: Labels; state: S }>();

  constructor(name: string, help: string, labelNames: readonly L[]) {
    if (!METRIC_NAME.test(name)) throw new Error(`Invalid metric name '${name}'`);
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith("__") || label === "le") {
        throw new Error(`Invalid label name '${label}' of metric '${name}'`);
      }
    }
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  /** The state of the series with these label values, made when new (undefined when full). */
  protected series(labels: LabelValues<L>, make: () => S): S | undefined {
    const values: string[] = [];
    for (const label of this.labelNames) {
      const value = labels[label];
      if (typeof value !== "string") {
        throw new Error(`Metric '${this.name}' needs the label '${label}'`);
      }
      // A lone surrogate (a peer's worker name, a name cut in the middle of a
      // pair) is written as U+FFFD: two values that would be written alike
      // are one series, never two series of the same labels in a scrape.
      values.push(value.isWellFormed() ? value : value.toWellFormed());
    }
    // Every series of a family has as many values: one needs no quoting (a
    // series is looked up for each job's start and end).
    const key = values.length === 1 ? values[0] : JSON.stringify(values);
    let entry = this.#series.get(key);
    if (entry === undefined) {
      if (this.#series.size >= MAX_SERIES_PER_FAMILY) return undefined;
      const ordered: Record<string, string> = {};
      this.labelNames.forEach((label, index) => ordered[label] = values[index]);
      entry = { labels: ordered, state: make() };
      this.#series.set(key, entry);
    }
    return entry.state;
  }

  /** Forgets every series (a collector then sets those that exist now). */
  reset(): void {
    this.#series.clear();
  }

  protected entries(): { labels: Labels; state: S }[] {
    return [...this.#series.values()];
  }

  abstract family(): MetricFamily;
}

/** A count that only goes up (`_total`). */
export class Counter<L extends string = never> extends Family<L, { value: number }> {
  /** Adds `by` (≥ 0, default 1). */
  inc(labels: LabelValues<L>, by = 1): void {
    if (!(by >= 0)) throw new Error(`Counter '${this.name}' cannot go down (${by})`);
    const state = this.series(labels, () => ({ value: 0 }));
    if (state) state.value += by;
  }

  /** Makes the series exist at 0 when it does not yet, so that it is scraped before its first event. */
  touch(labels: LabelValues<L>): void {
    this.series(labels, () => ({ value: 0 }));
  }

  family(): MetricFamily {
    const samples: Sample[] = this.entries().map(({ labels, state }) => ({
      labels,
      value: state.value,
    }));
    return { name: this.name, help: this.help, type: "counter", samples };
  }
}

/** A value that goes up and down, usually set by a collector at each scrape. */
export class Gauge<L extends string = never> extends Family<L, { value: number }> {
  set(labels: LabelValues<L>, value: number): void {
    const state = this.series(labels, () => ({ value: 0 }));
    if (state) state.value = value;
  }

  family(): MetricFamily {
    const samples: Sample[] = this.entries().map(({ labels, state }) => ({
      labels,
      value: state.value,
    }));
    return { name: this.name, help: this.help, type: "gauge", samples };
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into buckets (upper bounds, ascending), with their sum and count. */
export class Histogram<L extends string = never> extends Family<L, HistogramState> {
  readonly bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly L[], bounds: readonly number[]) {
    super(name, help, labelNames);
    if (
      bounds.some((bound, index) =>
        !Number.isFinite(bound) || bound <= (bounds[index - 1] ?? -Infinity)
      )
    ) {
      throw new Error(`The buckets of histogram '${name}' must be finite and ascending`);
    }
    this.bounds = [...bounds];
  }

  /** Counts one observation (NaN is ignored). */
  observe(labels: LabelValues<L>, value: number): void {
    if (Number.isNaN(value)) return;
    const state = this.series(labels, () => ({
      counts: this.bounds.map(() => 0),
      sum: 0,
      count: 0,
    }));
    if (!state) return;
    const index = this.bounds.findIndex((bound) => value <= bound);
    if (index >= 0) state.counts[index]++;
    state.sum += value;
    state.count++;
  }

  /** Makes the series exist with no observation. */
  touch(labels: LabelValues<L>): void {
    this.series(labels, () => ({ counts: this.bounds.map(() => 0), sum: 0, count: 0 }));
  }

  family(): MetricFamily {
    const samples: HistogramSample[] = this.entries().map(({ labels, state }) => ({
      labels,
      bounds: this.bounds,
      counts: [...state.counts],
      sum: state.sum,
      count: state.count,
    }));
    return { name: this.name, help: this.help, type: "histogram", samples };
  }
}

/** Called before each scrape to set gauges from live state; may read the database. */
export type Collector = () => void | Promise<void>;

/** The metric families of one daemon, in the order they were made, and its collectors. */
export class MetricsRegistry {
  readonly #families: Family<string, unknown>[] = [];
  readonly #collectors: Collector[] = [];

  counter<L extends string = never>(
    name: string,
    help: string,
    labels: readonly L[] = [],
  ): Counter<L> {
    return this.#add(new Counter<L>(name, help, labels));
  }

  gauge<L extends string = never>(name: string, help: string, labels: readonly L[] = []): Gauge<L> {
    return this.#add(new Gauge<L>(name, help, labels));
  }

  histogram<L extends string = never>(
    name: string,
    help: string,
    labels: readonly L[],
    bounds: readonly number[] = JOB_SECONDS_BUCKETS,
  ): Histogram<L> {
    return this.#add(new Histogram<L>(name, help, labels, bounds));
  }

  /** Adds a collector, run (all together) before each scrape. */
  collect(collector: Collector): void {
    this.#collectors.push(collector);
  }

  /**
   * Runs the collectors, then writes every family. A collector that throws
   * is passed to `onError` and leaves its gauges as they were.
   */
  async expose(onError: (error: unknown) => void = () => {}): Promise<string> {
    await Promise.all(this.#collectors.map(async (collector) => {
      try {
        await collector();
      } catch (error) {
        onError(error);
      }
    }));
    return renderExposition(this.#families.map((family) => family.family()));
  }

  #add<F extends Family<string, unknown>>(family: F): F {
    if (this.#families.some((other) => other.name === family.name)) {
      throw new Error(`Metric '${family.name}' is defined twice`);
    }
    this.#families.push(family);
    return family;
  }
}
