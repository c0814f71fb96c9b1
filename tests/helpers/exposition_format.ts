/**
 * A strict reader of the Prometheus text format (0.0.4) for tests, written
 * from the format's rules rather than from src/metrics (so that it checks
 * the writer instead of agreeing with it). The npm parsers looked at were no
 * check: parse-prometheus-text-format 1.1.1 folds a histogram's series of
 * different labels into one and accepts an unclosed label value;
 * prom2javascript 0.2.0 reads `\\n` in a label value as a line feed.
 *
 * {@linkcode readExposition} throws, naming the line, at anything Prometheus
 * would refuse or misread, and at what jobd promises beyond the format:
 * valid UTF-8; one `# HELP` and one `# TYPE` per family, before its samples,
 * its samples together; no series twice (as Prometheus sees them: after
 * UTF-8 encoding); only `\\`, `"` and line feeds escaped in label values;
 * counters named `_total` (and nothing else); no `NaN`; a histogram's
 * buckets ascending and cumulative, the last `+Inf` and equal to `_count`,
 * with `_sum` and `_count` for every series.
 */

/** One sample line, read. */
export interface ReadSample {
  /** The sample's own name (`x_bucket` for a histogram `x`). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family, read. */
export interface ReadFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  samples: ReadSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function fail(lineNo: number, line: string, why: string): never {
  throw new Error(`line ${lineNo}: ${why}: ${JSON.stringify(line.slice(0, 200))}`);
}

/** A sample value as Go's strconv.ParseFloat takes it, `NaN` refused. */
function readValue(text: string, lineNo: number, line: string): number {
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (/^nan$/i.test(text)) fail(lineNo, line, "NaN value (a value not known is left out)");
  if (!FLOAT.test(text)) fail(lineNo, line, `not a number: '${text}'`);
  return Number(text);
}

/** Reads `name{label="value",...} value` strictly. */
function readSample(line: string, lineNo: number): ReadSample {
  let at = 0;
  while (at < line.length && line[at] !== "{" && line[at] !== " ") at++;
  const name = line.slice(0, at);
  if (!METRIC_NAME.test(name)) fail(lineNo, line, `bad metric name '${name}'`);
  const labels: Record<string, string> = {};
  if (line[at] === "{") {
    at++;
    while (line[at] !== "}") {
      const equals = line.indexOf("=", at);
      if (equals < 0) fail(lineNo, line, "label without '='");
      const label = line.slice(at, equals);
      if (!LABEL_NAME.test(label) || label.startsWith("__")) {
        fail(lineNo, line, `bad label name '${label}'`);
      }
      if (label in labels) fail(lineNo, line, `label '${label}' twice`);
      if (line[equals + 1] !== '"') fail(lineNo, line, "label value not quoted");
      at = equals + 2;
      let value = "";
      for (;;) {
        if (at >= line.length) fail(lineNo, line, "label value not closed");
        const char = line[at++];
        if (char === '"') break;
        if (char !== "\\") {
          value += char;
          continue;
        }
        const escaped = line[at++];
        if (escaped === "\\") value += "\\";
        else if (escaped === '"') value += '"';
        else if (escaped === "n") value += "\n";
        else fail(lineNo, line, `unknown escape '\\${escaped}' in a label value`);
      }
      labels[label] = value;
      if (line[at] === ",") at++;
      else if (line[at] !== "}") fail(lineNo, line, "expected ',' or '}' after a label");
    }
    at++;
  }
  if (line[at] !== " ") fail(lineNo, line, "expected one space before the value");
  const rest = line.slice(at + 1);
  if (rest.includes(" ")) fail(lineNo, line, "a timestamp or trailing text after the value");
  return { name, labels, value: readValue(rest, lineNo, line) };
}

/** How Prometheus tells series apart: the name and the labels, sorted. */
function seriesKey(sample: ReadSample): string {
  const labels = Object.entries(sample.labels).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  return JSON.stringify([sample.name, labels]);
}

function checkHistogram(family: ReadFamily): void {
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name === `${family.name}_bucket`) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without 'le'`);
      entry.buckets.push([readValue(le, 0, le), sample.value]);
    } else if (le !== undefined) {
      throw new Error(`${sample.name}: 'le' on a sample that is not a bucket`);
    } else if (sample.name === `${family.name}_sum`) entry.sum = sample.value;
    else entry.count = sample.value;
  }
  for (const [labels, { buckets, sum, count }] of series) {
    const where = `${family.name}${labels}`;
    if (sum === undefined || count === undefined) throw new Error(`${where}: no _sum or _count`);
    if (buckets.at(-1)?.[0] !== Infinity) throw new Error(`${where}: no le="+Inf" bucket last`);
    if (buckets.at(-1)![1] !== count) {
      throw new Error(`${where}: +Inf bucket ${buckets.at(-1)![1]} is not _count ${count}`);
    }
    buckets.forEach(([bound, value], index) => {
      if (index === 0) return;
      const [previousBound, previous] = buckets[index - 1];
      if (!(bound > previousBound)) throw new Error(`${where}: buckets not ascending at ${bound}`);
      if (value < previous) throw new Error(`${where}: bucket ${bound} less than the one before`);
    });
  }
}

/** Reads an exposition (the bytes of a scrape) strictly; throws naming the first fault. */
export function readExposition(bytes: Uint8Array): Map<string, ReadFamily> {
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  if (text !== "" && !text.endsWith("\n")) {
    throw new Error("the text does not end with a line feed");
  }
  const families = new Map<string, ReadFamily>();
  const seen = new Set<string>();
  let current: (Partial<ReadFamily> & { name: string; samples: ReadSample[] }) | undefined;
  const close = () => {
    if (current === undefined) return;
    if (current.help === undefined || current.type === undefined) {
      throw new Error(`${current.name}: no # HELP or no # TYPE`);
    }
    const family = current as ReadFamily;
    if (family.type === "histogram") checkHistogram(family);
    families.set(family.name, family);
    current = undefined;
  };
  text.slice(0, -1).split("\n").forEach((line, index) => {
    const lineNo = index + 1;
    if (line.includes("\r")) fail(lineNo, line, "a carriage return");
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!METRIC_NAME.test(name)) fail(lineNo, line, `bad metric name '${name}'`);
      if (current?.name !== name) {
        close();
        if (families.has(name)) fail(lineNo, line, `family ${name} again`);
        current = { name, samples: [] };
      }
      if (current!.samples.length > 0) fail(lineNo, line, `# ${kind} after the samples`);
      if (kind === "HELP") {
        if (current!.help !== undefined) fail(lineNo, line, "a second # HELP");
        if (/\\(?![\\n])/.test(rest.replaceAll("\\\\", ""))) {
          fail(lineNo, line, "bad escape in HELP");
        }
        current!.help = rest.replace(/\\([\\n])/g, (_, char) => char === "n" ? "\n" : "\\");
      } else {
        if (current!.type !== undefined) fail(lineNo, line, "a second # TYPE");
        if (rest !== "counter" && rest !== "gauge" && rest !== "histogram") {
          fail(lineNo, line, `type '${rest}' (jobd writes counter, gauge, histogram)`);
        }
        if ((rest === "counter") !== name.endsWith("_total")) {
          fail(lineNo, line, "counters, and only they, end in _total");
        }
        current!.type = rest;
      }
      return;
    }
    if (line.startsWith("#") || line === "") fail(lineNo, line, "a line jobd does not write");
    const sample = readSample(line, lineNo);
    const family = current;
    if (family === undefined || family.type === undefined) {
      return fail(lineNo, line, "a sample before its family's # TYPE");
    }
    const names = family.type === "histogram"
      ? ["_bucket", "_sum", "_count"].map((suffix) => `${family.name}${suffix}`)
      : [family.name];
    if (!names.includes(sample.name)) fail(lineNo, line, `a sample outside family ${family.name}`);
    if (family.type === "counter" && sample.value < 0) fail(lineNo, line, "a negative counter");
    // Prometheus reads the bytes: two texts that encode alike are the same series.
    const key = seriesKey(sample);
    if (seen.has(key)) fail(lineNo, line, "the same series twice");
    seen.add(key);
    family.samples.push(sample);
  });
  close();
  return families;
}

/** The value of the one sample of `family` named `name` with exactly these labels, or undefined. */
export function sampleValue(
  families: ReadonlyMap<string, ReadFamily>,
  name: string,
  labels: Record<string, string> = {},
  family = name,
): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return families.get(family)?.samples.find((sample) =>
    sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === wanted
  )?.value;
}
