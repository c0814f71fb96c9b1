/**
 * The worker's view of the database's outages: every store operation's
 * outcome tells one {@linkcode Outage} whether the database answers, so the
 * loss of the database is one warning however many operations retry, and
 * its return one more, with how long it lasted. The retries themselves
 * (storage_retry.ts, claim_loop.ts) log each attempt at debug only.
 *
 * An outage is dated from the start of the operation that found it, not
 * from its failure: a frozen server is found by a statement's 30 s time
 * limit, and its length counts those 30 s (but never from before the last
 * operation that succeeded).
 *
 * An outage of writes only (a full disk, a read-only server: reads still
 * work) ends when an operation that failed in it works again, not at the
 * first read that works: else each read and each write in turn would log
 * one more line about the database.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { formatLength, Outage } from "../outage.ts";
import { classifyStorageError, refusesWritesOnly } from "../storage/errors.ts";
import type { JobStore } from "../storage/job_store.ts";
import { messageOf } from "../text.ts";

const log = getLogger(["jobd", "worker"]);

/**
 * `store` with every operation watched: a failure classed as an outage
 * (storage/errors.ts) begins one, a success ends it and calls `onBack` (the
 * worker then tries its lost name lock again at once rather than at the
 * end of its backoff). `where` names the database in the lines
 * (`127.0.0.1:3306/jobs`).
 */
export function watchDatabase(
  store: JobStore,
  where: string,
  outage = new Outage(),
  onBack: () => void = () => {},
): JobStore {
  // When the last operation that succeeded ended: the database answered then.
  let answeredAt = 0;
  // During an outage of writes only, the operations that failed in it: another one that works
  // (a read) does not end it.
  let refusedWrites: Set<string> | undefined;
  const ok = (operation: string) => {
    answeredAt = Date.now();
    if (refusedWrites !== undefined && !refusedWrites.has(operation)) return;
    refusedWrites = undefined;
    const length = outage.up(answeredAt);
    if (length !== undefined) {
      log.warn("The database {where} is reachable again after {length}", {
        where,
        length: formatLength(length),
      });
      onBack();
    }
  };
  const failed = (error: unknown, startedAt: number, operation: string) => {
    if (classifyStorageError(error) !== "outage") return;
    if (refusesWritesOnly(error)) (refusedWrites ??= new Set()).add(operation);
    else refusedWrites = undefined;
    if (!outage.down(Math.max(startedAt, answeredAt))) return;
    log.warn("Lost the database {where}: {error}; retrying until it is back", {
      where,
      error: messageOf(error),
    });
  };
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function" || key === "close" || key === Symbol.asyncDispose) {
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (...args: unknown[]) => {
        const startedAt = Date.now();
        const result = value.apply(target, args);
        if (result instanceof Promise) {
          result.then(() => ok(String(key)), (error) => failed(error, startedAt, String(key)));
        }
        return result;
      };
    },
  });
}
