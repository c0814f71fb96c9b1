/**
 * A request whose store operation fails (the database away, the lock on the
 * worker's name lost, a statement the database refuses) is answered with the
 * store's message, which names the operation, the table and the job ids, and
 * logged as one line without a stack trace: at `info` for an outage, which
 * has its own warnings when it begins and ends (database_watch.ts, the name
 * lock's), and at `warn` otherwise. A client calling `run-manual` every
 * second through a database outage thus adds no error per call to the log.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { RequestError } from "../net/errors.ts";
import type { Handlers } from "../net/server.ts";
import { classifyStorageError, StorageError } from "../storage/errors.ts";

const log = getLogger(["jobd", "worker"]);

/** The same handlers, each answering a `StorageError` as the request's error. */
export function answerStorageErrors(handlers: Handlers): Handlers {
  return Object.fromEntries(
    Object.entries(handlers).map(([type, handler]) => [
      type,
      async (data, connection) => {
        try {
          return await handler(data, connection);
        } catch (error) {
          if (!(error instanceof StorageError)) throw error;
          const level = classifyStorageError(error) === "outage" ? "info" : "warn";
          log[level]("Request {type} refused: {message}", { type, message: error.message });
          throw new RequestError(error.message);
        }
      },
    ]),
  );
}
