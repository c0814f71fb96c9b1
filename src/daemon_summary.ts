/**
 * What a daemon serves, in words: the one notice line each daemon writes
 * once it has started (at the default log level), and the lines of
 * `--check-config`. Both are built from one list of items per daemon
 * (`WORKER_ITEMS`, `MASTER_ITEMS`): a new setting worth a word at start-up
 * is one more function in its list.
 *
 * Never names a password: only whether one is required.
 *
 * @module
 */

import type { MasterConfig } from "./config/master_config.ts";
import type { StorageConfig, WorkerConfig } from "./config/worker_config.ts";
import { type HttpConfig, httpListenAddress } from "./config/http_config.ts";
import { formatAddress } from "./net/address.ts";
import type { TimeFeatures } from "./storage/time_columns.ts";
import { VERSION } from "./version.ts";

/** One thing a daemon serves: `targets` = `build (2), mail (1)`. */
export interface SummaryItem {
  readonly name: string;
  readonly value: string;
}

/** What the worker's summary is made from. */
export interface WorkerSummaryInput {
  readonly config: WorkerConfig;
  /** The address it listens on; the config's `host` and `port` when not given (`--check-config`). */
  readonly listening?: { readonly hostname: string; readonly port: number };
  /** What the jobs table turned on, once the store is open (unknown to `--check-config`). */
  readonly store?: { readonly timeFeatures: TimeFeatures; readonly tracksOwner: boolean };
  /**
   * How many schedules the job board has, when one is configured and read;
   * a running worker (with a `store`) without it has refused its board.
   */
  readonly schedules?: number;
  /** The address the HTTP server listens on; the config's `http_host` and `http_port` when not given. */
  readonly http?: { readonly hostname: string; readonly port: number };
}

/** What the master's summary is made from. */
export interface MasterSummaryInput {
  readonly config: MasterConfig;
  /** The address it listens on; the config's when not given. */
  readonly listening?: { readonly hostname: string; readonly port: number };
  /** The address the HTTP server listens on; the config's when not given. */
  readonly http?: { readonly hostname: string; readonly port: number };
}

type ItemOf<T> = (input: T) => SummaryItem | undefined;

/** `http 127.0.0.1:8080` when the daemon serves HTTP (`http_port`), nothing when it does not. */
function httpItem(
  { config, http }: { config: HttpConfig; http?: { hostname: string; port: number } },
): SummaryItem | undefined {
  const address = http ?? httpListenAddress(config);
  return address && { name: "http", value: formatAddress(address.hostname, address.port) };
}

/** The database of a storage, for log lines: `127.0.0.1:3306/jobs`, or the SQLite file. */
export function storageAddress(storage: StorageConfig): string {
  return storage.kind === "mysql"
    ? `${formatAddress(storage.host, storage.port)}/${storage.database}`
    : storage.path;
}

/** A storage in words: `mysql jobd@127.0.0.1:3306/jobs, table jobs`. */
export function describeStorage(storage: StorageConfig): string {
  const user = storage.kind === "mysql" ? `${storage.user}@` : "";
  return `${storage.kind} ${user}${storageAddress(storage)}, table ${storage.table}`;
}

/** Targets with their concurrency: `build (2), mail (1)`, or `none`. */
export function describeTargets(targets: ReadonlyMap<string, number>): string {
  if (targets.size === 0) return "none";
  return [...targets].map(([name, concurrency]) => `${name} (${concurrency})`).join(", ");
}

function listening(
  config: { host: string; port: number },
  address: { hostname: string; port: number } | undefined,
): SummaryItem {
  return {
    name: "listening on",
    value: formatAddress(address?.hostname ?? config.host, address?.port ?? config.port),
  };
}

/** The features a worker has on, in words. */
function workerFeatures(input: WorkerSummaryInput): string[] {
  const { config, store, schedules } = input;
  const features: string[] = [];
  if (store !== undefined) {
    const time = store.timeFeatures;
    const columns = [
      time.deferred ? "deferred jobs" : undefined,
      time.retries ? "retries" : undefined,
      time.rowTimeout ? "row timeouts" : undefined,
      time.rowMaxAttempts ? "row max_attempts" : undefined,
    ].filter((feature) => feature !== undefined);
    if (columns.length > 0) features.push(`time columns (${columns.join(", ")})`);
    if (store.tracksOwner) features.push("worker column");
  }
  if (config.jobPolicy.timeout > 0) features.push(`timeout ${config.jobPolicy.timeout} s`);
  if (config.jobPolicy.maxAttempts > 1) {
    features.push(`max_attempts ${config.jobPolicy.maxAttempts}`);
  }
  if (config.targetPolicies.size > 0) {
    features.push(`per-target policies (${[...config.targetPolicies.keys()].join(", ")})`);
  }
  if (config.schedules !== undefined) {
    // A running worker without a count has refused its board (the errors are logged before).
    const state = schedules !== undefined
      ? ` (${schedules} schedule${schedules === 1 ? "" : "s"})`
      : store !== undefined
      ? " (not used: it has problems, logged above)"
      : "";
    features.push(`job board ${config.schedules}${state}`);
  }
  if (config.pollInterval > 0) features.push(`poll every ${config.pollInterval} s`);
  features.push(...accessFeatures(config));
  if (config.logFormat === "json") features.push("json logs");
  return features;
}

function accessFeatures(config: { password?: string; alwaysAllowLocalhost: boolean }): string[] {
  if (config.password === undefined) return [];
  return [config.alwaysAllowLocalhost ? "password (not from localhost)" : "password"];
}

/** The worker's items, in the order they are shown. */
const WORKER_ITEMS: readonly ItemOf<WorkerSummaryInput>[] = [
  ({ config, listening: address }) => listening(config, address),
  ({ config }) => ({ name: "storage", value: describeStorage(config.storage) }),
  ({ config }) => ({ name: "targets", value: describeTargets(config.targets) }),
  httpItem,
  ({ config }) =>
    config.masterHost !== undefined && config.masterPort !== undefined
      ? { name: "master", value: formatAddress(config.masterHost, config.masterPort) }
      : undefined,
  (input) => ({ name: "features", value: workerFeatures(input).join(", ") || "none" }),
];

/** The master's items, in the order they are shown. */
const MASTER_ITEMS: readonly ItemOf<MasterSummaryInput>[] = [
  ({ config, listening: address }) => listening(config, address),
  httpItem,
  ({ config }) => ({ name: "pings workers every", value: `${config.pingInterval} s` }),
  ({ config }) => {
    const features = [
      ...accessFeatures(config),
      ...config.logFormat === "json" ? ["json logs"] : [],
    ];
    return { name: "features", value: features.join(", ") || "none" };
  },
];

function itemsOf<T>(list: readonly ItemOf<T>[], input: T): SummaryItem[] {
  return list.map((item) => item(input)).filter((item) => item !== undefined);
}

/** What the worker serves, item by item. */
export function workerSummaryItems(input: WorkerSummaryInput): SummaryItem[] {
  return itemsOf(WORKER_ITEMS, input);
}

/** What the master serves, item by item. */
export function masterSummaryItems(input: MasterSummaryInput): SummaryItem[] {
  return itemsOf(MASTER_ITEMS, input);
}

function oneLine(items: readonly SummaryItem[]): string {
  return items.map((item) => `${item.name} ${item.value}`).join("; ");
}

/** The worker's start-up line: `jobd 0.1.0 (worker w1): listening on …; storage …; …`. */
export function workerSummary(input: WorkerSummaryInput): string {
  return `jobd ${VERSION} (worker ${input.config.name}) started: ${
    oneLine(workerSummaryItems(input))
  }`;
}

/** The master's start-up line: `jobd-master 0.1.0 started: listening on …; …`. */
export function masterSummary(input: MasterSummaryInput): string {
  return `jobd-master ${VERSION} started: ${oneLine(masterSummaryItems(input))}`;
}

/** Items as `--check-config` prints them: one `name: value` line each. */
export function summaryLines(items: readonly SummaryItem[]): string {
  return items.map((item) => `  ${item.name}: ${item.value}`).join("\n");
}
