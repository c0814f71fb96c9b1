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
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { formatLength, Outage } from "../outage.ts";
import { classifyStorageError } from "../storage/errors.ts";
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
  const ok = () => {
    answeredAt = Date.now();
    const length = outage.up(answeredAt);
    if (length !== undefined) {
      log.warn("The database {where} is reachable again after {length}", {
        where,
        length: formatLength(length),
      });
      onBack();
    }
  };
  const failed = (error: unknown, startedAt: number) => {
    if (classifyStorageError(error) !== "outage") return;
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
        if (result instanceof Promise) result.then(ok, (error) => failed(error, startedAt));
        return result;
      };
    },
  });
}
