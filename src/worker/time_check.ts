/**
 * The start-up check of the time keys against the table: a config that asks
 * for retries (`max_attempts` > 1) needs the columns `attempts`,
 * `time_run_at` and the status `delayed`; without them the worker refuses to
 * start, naming what is missing and the statement that adds it.
 */

import type { WorkerConfig } from "../config/worker_config.ts";
import type { JobStore } from "../storage/job_store.ts";
import { missingForRetries } from "../storage/time_columns.ts";
import { alterTableHint } from "../storage/time_features_log.ts";
import type { JobPolicies } from "./time_policy.ts";

/** The policies of a config, as the worker takes them. */
export function policiesOf(config: WorkerConfig): JobPolicies {
  return { base: config.jobPolicy, targets: config.targetPolicies };
}

/** Where the config asks for retries: `'max_attempts' (3)`, `'max_attempts' in [target:mail] (5)`. */
function retryKeys(config: WorkerConfig): string[] {
  const keys: string[] = [];
  if (config.jobPolicy.maxAttempts > 1) {
    keys.push(`'max_attempts' (${config.jobPolicy.maxAttempts})`);
  }
  for (const [target, policy] of config.targetPolicies) {
    if (policy.maxAttempts > 1 && policy.maxAttempts !== config.jobPolicy.maxAttempts) {
      keys.push(`'max_attempts' in [target:${target}] (${policy.maxAttempts})`);
    }
  }
  return keys;
}

/**
 * The error text when `config` asks for retries the table of `store` cannot
 * hold, else undefined.
 */
export function timeConfigProblem(config: WorkerConfig, store: JobStore): string | undefined {
  const keys = retryKeys(config);
  if (keys.length === 0) return undefined;
  const missing = missingForRetries(store.timeColumns);
  if (missing.length === 0) return undefined;
  const table = config.storage.table;
  const columns = missing.filter((name) => name.startsWith("'")).map((name) => name.slice(1, -1));
  const hint = alterTableHint(
    table,
    [...missing.some((name) => name.startsWith("status")) ? ["status"] : [], ...columns],
    config.storage.kind,
  );
  return `${keys.join(", ")} asks for retries, which need ${missing.join(", ")} in the ` +
    `table '${table}'; add ${missing.length > 1 ? "them" : "it"} (${hint}) or set max_attempts = 1`;
}
