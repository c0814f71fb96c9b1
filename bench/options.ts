/**
 * The benchmark's command line: `deno task bench [OPTIONS]`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { ENTRY_POINTS, runFlags } from "../scripts/permissions.ts";
import { messageOf } from "../src/text.ts";

/** The repository root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * One shape of the throughput runs: `targets` targets (t1, t2, ...), each
 * served with `concurrency` slots by every worker (`--shapes 1x4`).
 */
export interface Shape {
  targets: number;
  concurrency: number;
}

/** The jobs table of a run: with the optional `worker` column, or without it. */
export type TableVariant = "worker" | "no-worker";

/** The table variants, in the order of the default `--variants`. */
export const TABLE_VARIANTS: readonly TableVariant[] = ["worker", "no-worker"];

/** A shape as written on the command line and in the report: `TxC`. */
export function shapeName(shape: Shape): string {
  return `${shape.targets}x${shape.concurrency}`;
}

/** Everything one run is told to do. */
export interface BenchOptions {
  /** Background jobs in each throughput run (`--jobs`). */
  jobs: number;
  /** Worker processes (`--workers`), each serving every target. */
  workers: number;
  /** The shapes measured, each a throughput run of its own per variant (`--shapes`). */
  shapes: Shape[];
  /**
   * The jobs table variants measured (`--variants`): `worker` has the optional
   * `worker` column (crash recovery, which claiming ahead needs), `no-worker` not.
   */
  variants: TableVariant[];
  /**
   * Run the throwaway MariaDB with relaxed durability (`--relaxed-db`: commits
   * not flushed, no doublewrite) instead of the server's defaults.
   */
  relaxedDb: boolean;
  /**
   * Count each throughput run's statements by step of a job's path from the
   * server's general log (`--statement-kinds`; throwaway server only; the
   * log slows the server, so the rates of such a run are not comparable).
   */
  statementKinds: boolean;
  /** `mysql_fetch_limit` of the workers (`--fetch-limit`). */
  fetchLimit: number;
  /** Launcher template of the throughput and run-manual jobs (`--launcher`), `{id}` = job id. */
  launcher: string;
  /** Sequential run-manual calls (`--manual`); 0 skips. */
  manual: number;
  /** Poke-to-start samples on an idle worker (`--latency`); 0 skips. */
  latency: number;
  /** Rows in other statuses and targets added for a second run (`--backlog`); 0 skips. */
  backlog: number;
  /**
   * `delayed` rows of the served targets, due in a day, added to the backlog
   * (`--delayed`); the table then has the optional time columns. 0 skips.
   */
  delayed: number;
  /** Worker command template, `{config}` = generated config path (`--worker-cmd`). */
  workerCmd: string;
  /** Master command template (`--master-cmd`); undefined (`none`): poke the workers directly. */
  masterCmd: string | undefined;
  /** `poke_throttle_interval` of the master, seconds (`--poke-throttle`). */
  pokeThrottle: number;
  /** Launches of the raw spawn limit (`--spawn-samples`), per measurement. */
  spawnSamples: number;
  /**
   * Measure beside the plain raw spawn the raw spawn in a process group of
   * its own through `setsid`, as the worker starts every job (default;
   * `--no-group-spawn` leaves it out).
   */
  groupSpawn: boolean;
  /** UPDATEs of the raw update limit, per mode (`--update-samples`). */
  updateSamples: number;
  /** Seconds to leave the workers alone before reading their idle RSS (`--idle-wait`). */
  idleWait: number;
  /** `host:port:user:password` of a server to use (`--mysql`, else `JOBD_TEST_MYSQL`). */
  mysql: string | undefined;
  /** Folder for the JSON results (`--out`). */
  out: string;
  /** Keep the temporary folder with configs, logs and launcher records (`--keep`). */
  keep: boolean;
}

/** What the command line asks for: a run, or text to print and an exit code. */
export type ParsedCommand =
  | { action: "run"; options: BenchOptions }
  | { action: "exit"; code: number; text: string };

/** Quotes one word for a POSIX shell when it needs it. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./{}-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The command of one of our daemons as the tests run it: `deno run FLAGS ENTRY --config {config}`. */
export function defaultCommand(program: "jobd" | "jobd-master"): string {
  return [Deno.execPath(), "run", ...runFlags(program), `${ROOT}${ENTRY_POINTS[program]}`]
    .map(shellWord).join(" ") + " --config {config}";
}

/** Defaults of the numeric options (see `USAGE`). */
export const DEFAULTS = {
  jobs: 10_000,
  workers: 1,
  shapes: "1x1,1x4,4x2",
  variants: TABLE_VARIANTS.join(","),
  fetchLimit: 100,
  launcher: "/bin/true {id}",
  manual: 1000,
  latency: 200,
  backlog: 0,
  delayed: 0,
  pokeThrottle: 0.1,
  spawnSamples: 4000,
  updateSamples: 5000,
  idleWait: 30,
} as const;

/** The help text. */
export const USAGE = `Usage: deno task bench [OPTIONS]

Measures jobd end to end on a throwaway MariaDB with durable commits (or the
server named by --mysql / JOBD_TEST_MYSQL): background throughput of each
shape and table variant beside the raw spawn rate at the same concurrency
(plain, and in a process group of its own through setsid as the worker
starts every job), poke-to-start latency, run-manual round trips and worker memory, beside the
raw limits of this machine (spawning the launcher, single-row UPDATEs).
Prints a table and writes JSON to bench/results/.

Options:
  --shapes LIST       throughput shapes TxC, comma-separated: T targets t1..tT,
                      each with concurrency C on every worker (${DEFAULTS.shapes})
  --variants LIST     jobs table variants, comma-separated: worker (with the
                      optional worker column), no-worker (${DEFAULTS.variants})
  --jobs N            background jobs in each throughput run (${DEFAULTS.jobs})
  --workers K         worker processes, each serving every target (${DEFAULTS.workers})
  --relaxed-db        throwaway MariaDB with relaxed durability (commits not
                      flushed, no doublewrite) instead of the server's defaults
  --statement-kinds   count each run's statements by step (claim, running mark,
                      result write, ...) from the throwaway server's general
                      log; the log slows the server: read the counts, not the rates
  --fetch-limit N     mysql_fetch_limit of the workers (${DEFAULTS.fetchLimit})
  --launcher CMD      launcher template of the jobs, {id} = job id ('${DEFAULTS.launcher}')
  --manual N          sequential run-manual calls per run and way, 0 to skip (${DEFAULTS.manual})
  --latency N         poke-to-start samples on an idle worker per variant, 0 to skip (${DEFAULTS.latency})
  --backlog N         add N rows in other statuses/targets and run the last
                      shape and variant again, 0 to skip (${DEFAULTS.backlog})
  --delayed N         with --backlog, also N 'delayed' rows of the served targets due in a
                      day (the table gets the time columns of schema.sql) (${DEFAULTS.delayed})
  --worker-cmd CMD    worker command, {config} = generated config (our worker.ts)
  --master-cmd CMD    master command, {config} = generated config (our master.ts);
                      'none' runs without a master and polls the workers directly
  --poke-throttle S   poke_throttle_interval of the master, seconds (${DEFAULTS.pokeThrottle})
  --spawn-samples N   launches for the raw spawn limit (${DEFAULTS.spawnSamples}, at most --jobs)
  --no-group-spawn    measure the raw spawn only plain, not also in a process
                      group through setsid (half the raw spawns: a shorter run)
  --update-samples N  UPDATEs for the raw update limit, per mode (${DEFAULTS.updateSamples})
  --idle-wait S       seconds the workers rest after each run before their idle RSS is read (${DEFAULTS.idleWait})
  --mysql H:P:U:PW    use this server (default: JOBD_TEST_MYSQL, else a throwaway MariaDB)
  --out DIR           folder of the JSON results (bench/results)
  --keep              keep the temporary folder (configs, daemon logs, launcher records)
  -h, --help          print this help
`;

const INTEGER_OPTIONS = [
  ["jobs", 1],
  ["workers", 1],
  ["fetch-limit", 1],
  ["manual", 0],
  ["latency", 0],
  ["backlog", 0],
  ["delayed", 0],
  ["spawn-samples", 1],
  ["update-samples", 1],
] as const;

/** Reads the command line; errors name the option and the value given. */
export function parseBenchArgs(args: string[]): ParsedCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        ...Object.fromEntries(INTEGER_OPTIONS.map(([name]) => [name, { type: "string" }])),
        "launcher": { type: "string" },
        "worker-cmd": { type: "string" },
        "master-cmd": { type: "string" },
        "poke-throttle": { type: "string" },
        "idle-wait": { type: "string" },
        "mysql": { type: "string" },
        "out": { type: "string" },
        "keep": { type: "boolean" },
        "shapes": { type: "string" },
        "variants": { type: "string" },
        "relaxed-db": { type: "boolean" },
        "no-group-spawn": { type: "boolean" },
        "statement-kinds": { type: "boolean" },
        "help": { type: "boolean", short: "h" },
      } as const,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usageError(messageOf(error));
  }
  if (values.help) return { action: "exit", code: 0, text: USAGE };
  const strings = values as Record<string, string | boolean | undefined>;
  const integers: Record<string, number> = {};
  for (const [name, minimum] of INTEGER_OPTIONS) {
    const text = strings[name];
    if (text === undefined) continue;
    if (
      typeof text !== "string" || !/^\d+$/.test(text.replaceAll("_", "")) ||
      Number(text.replaceAll("_", "")) < minimum
    ) {
      return usageError(`Invalid --${name} '${text}': expected an integer ≥ ${minimum}`);
    }
    integers[name] = Number(text.replaceAll("_", ""));
  }
  const seconds: Record<string, number> = {};
  for (const name of ["poke-throttle", "idle-wait"]) {
    const text = strings[name];
    if (text === undefined) continue;
    const value = Number(text);
    if (typeof text !== "string" || text.trim() === "" || !Number.isFinite(value) || value < 0) {
      return usageError(`Invalid --${name} '${text}': expected seconds ≥ 0`);
    }
    seconds[name] = value;
  }
  const workerCmd = values["worker-cmd"] ?? defaultCommand("jobd");
  const masterCmd = values["master-cmd"] ?? defaultCommand("jobd-master");
  for (const [name, template] of [["worker-cmd", workerCmd], ["master-cmd", masterCmd]]) {
    if (name === "master-cmd" && template === "none") continue;
    if (!template.includes("{config}")) {
      return usageError(`Invalid --${name} '${template}': it must contain {config}`);
    }
  }
  const launcher = values.launcher ?? DEFAULTS.launcher;
  if (!launcher.includes("{id}")) {
    return usageError(`Invalid --launcher '${launcher}': it must contain {id}`);
  }
  const shapes = parseShapes(values.shapes ?? DEFAULTS.shapes);
  if (typeof shapes === "string") return usageError(shapes);
  const variants = parseVariants(values.variants ?? DEFAULTS.variants);
  if (typeof variants === "string") return usageError(variants);
  const mysql = values.mysql ?? (Deno.env.get("JOBD_TEST_MYSQL") || undefined);
  const relaxedDb = values["relaxed-db"] ?? false;
  if (relaxedDb && mysql !== undefined) {
    return usageError(
      `--relaxed-db applies to the throwaway MariaDB only; the server given by ` +
        `${values.mysql !== undefined ? "--mysql" : "JOBD_TEST_MYSQL"} keeps its own settings`,
    );
  }
  const statementKinds = values["statement-kinds"] ?? false;
  if (statementKinds && mysql !== undefined) {
    return usageError(
      `--statement-kinds reads the general log of the throwaway MariaDB; the server given by ` +
        `${values.mysql !== undefined ? "--mysql" : "JOBD_TEST_MYSQL"} writes it where this ` +
        `process may not read it`,
    );
  }
  const jobs = integers["jobs"] ?? DEFAULTS.jobs;
  return {
    action: "run",
    options: {
      jobs,
      workers: integers["workers"] ?? DEFAULTS.workers,
      shapes,
      variants,
      relaxedDb,
      statementKinds,
      fetchLimit: integers["fetch-limit"] ?? DEFAULTS.fetchLimit,
      launcher,
      manual: integers["manual"] ?? DEFAULTS.manual,
      latency: integers["latency"] ?? DEFAULTS.latency,
      backlog: integers["backlog"] ?? DEFAULTS.backlog,
      delayed: integers["delayed"] ?? DEFAULTS.delayed,
      workerCmd,
      masterCmd: masterCmd === "none" ? undefined : masterCmd,
      pokeThrottle: seconds["poke-throttle"] ?? DEFAULTS.pokeThrottle,
      spawnSamples: Math.min(integers["spawn-samples"] ?? DEFAULTS.spawnSamples, jobs),
      groupSpawn: !(values["no-group-spawn"] ?? false),
      updateSamples: integers["update-samples"] ?? DEFAULTS.updateSamples,
      idleWait: seconds["idle-wait"] ?? DEFAULTS.idleWait,
      mysql,
      out: values.out ?? `${ROOT}bench/results`,
      keep: values.keep ?? false,
    },
  };
}

/** Largest targets or concurrency a shape may ask for (a typo guard). */
const SHAPE_LIMIT = 1000;

/** Reads `--shapes` (`1x1,1x4,4x2`); a string is the error. */
export function parseShapes(text: string): Shape[] | string {
  const shapes: Shape[] = [];
  for (const word of text.split(",").map((part) => part.trim())) {
    const match = word.match(/^(\d+)x(\d+)$/);
    const [targets, concurrency] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
    if (
      !match || targets < 1 || concurrency < 1 || targets > SHAPE_LIMIT ||
      concurrency > SHAPE_LIMIT
    ) {
      return `Invalid --shapes '${text}': '${word}' is not TARGETSxCONCURRENCY ` +
        `with both from 1 to ${SHAPE_LIMIT}, such as 1x4`;
    }
    if (shapes.some((shape) => shapeName(shape) === `${targets}x${concurrency}`)) {
      return `Invalid --shapes '${text}': '${word}' is given twice`;
    }
    shapes.push({ targets, concurrency });
  }
  return shapes;
}

/** Reads `--variants` (`worker,no-worker`); a string is the error. */
export function parseVariants(text: string): TableVariant[] | string {
  const variants: TableVariant[] = [];
  for (const word of text.split(",").map((part) => part.trim())) {
    const variant = TABLE_VARIANTS.find((known) => known === word);
    if (variant === undefined) {
      return `Invalid --variants '${text}': '${word}' is not one of ${TABLE_VARIANTS.join(", ")}`;
    }
    if (variants.includes(variant)) return `Invalid --variants '${text}': '${word}' is given twice`;
    variants.push(variant);
  }
  return variants;
}

function usageError(message: string): ParsedCommand {
  return { action: "exit", code: 2, text: `bench: ${message}\nTry 'deno task bench --help'.` };
}
