/**
 * The worker's view of the database's outages: every store operation's
 * outcome tells one {@linkcode Outage} whether the database answers, so the
 * loss of the database is one warning however many operations retry, and
 * its return one more, with how long it lasted. The retries themselves
 * (storage_retry.ts, claim_loop.ts) log each attempt at debug only.
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
 * (storage/errors.ts) begins one, a success ends it. `where` names the
 * database in the lines (`127.0.0.1:3306/jobs`).
 */
export function watchDatabase(store: JobStore, where: string, outage = new Outage()): JobStore {
  const ok = () => {
    const length = outage.up();
    if (length !== undefined) {
      log.warn("The database {where} is reachable again after {length}", {
        where,
        length: formatLength(length),
      });
    }
  };
  const failed = (error: unknown) => {
    if (classifyStorageError(error) !== "outage" || !outage.down()) return;
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
        const result = value.apply(target, args);
        if (result instanceof Promise) result.then(ok, failed);
        return result;
      };
    },
  });
}
