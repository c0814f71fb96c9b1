/**
 * The Prometheus text exposition format (version 0.0.4): metric families
 * as `# HELP`, `# TYPE` and one line per sample. Pure: no registry, no I/O.
 *
 * @module
 */

/** The `Content-Type` of a scrape's answer. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label names and values of one series, in the order they are written. */
export type Labels = Readonly<Record<string, string>>;

/** One series of a counter or gauge. */
export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

/**
 * One series of a histogram: `counts[i]` observations fell at or below
 * `bounds[i]` and above the bound before it (not cumulative; the writer sums
 * them). Observations above the last bound count only in `count`.
 */
export interface HistogramSample {
  readonly labels: Labels;
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** A metric family as written: its name, help text, type and series. */
export type MetricFamily =
  | {
    readonly name: string;
    readonly help: string;
    readonly type: "counter" | "gauge";
    readonly samples: readonly Sample[];
  }
  | {
    readonly name: string;
    readonly help: string;
    readonly type: "histogram";
    readonly samples: readonly HistogramSample[];
  };

/** Metric names: letters, digits, `_` and `:`, not starting with a digit. */
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Label names: letters, digits and `_`, not starting with a digit (`__` is reserved). */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value inside its double quotes: `\`, `"` and line feeds escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (char) => char === "\n" ? "\\n" : `\\${char}`);
}

/** A `# HELP` text: `\` and line feeds escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (char) => char === "\n" ? "\\n" : "\\\\");
}

/** A sample value: integers and decimals as JavaScript writes them, `+Inf`, `-Inf`, `NaN`. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function labelText(labels: Labels, extra?: readonly [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra) pairs.push([extra[0], extra[1]]);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
}

/** The families as one exposition text, each line ending with a line feed. */
export function renderExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    if (family.type !== "histogram") {
      for (const sample of family.samples) {
        lines.push(`${family.name}${labelText(sample.labels)} ${formatValue(sample.value)}`);
      }
      continue;
    }
    for (const sample of family.samples) {
      let cumulative = 0;
      sample.bounds.forEach((bound, index) => {
        cumulative += sample.counts[index];
        const labels = labelText(sample.labels, ["le", formatValue(bound)]);
        lines.push(`${family.name}_bucket${labels} ${cumulative}`);
      });
      lines.push(
        `${family.name}_bucket${labelText(sample.labels, ["le", "+Inf"])} ${sample.count}`,
      );
      lines.push(`${family.name}_sum${labelText(sample.labels)} ${formatValue(sample.sum)}`);
      lines.push(`${family.name}_count${labelText(sample.labels)} ${sample.count}`);
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
