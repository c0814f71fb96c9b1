/**
 * The row ids a worker claims: job ids are JavaScript numbers, exact only
 * within ±(2^53 − 1), while an application may insert any id its column
 * holds (a BIGINT UNSIGNED near 2^64, a negative BIGINT, SQLite's up to
 * 2^63 − 1). Such an id reads as a neighbour's, so no guarded UPDATE could
 * reach its row: a claim that took it would fail, and every claim of its
 * target after it. Both stores' claims leave those rows `waiting` for the
 * operator (with AUTO_INCREMENT every later row gets such an id too, so ending
 * them would end every job inserted afterwards), and warn at open.
 */

import type { Logger } from "@logtape/logtape";

/** The largest row id a worker claims (and, negated, the smallest). */
export const MAX_CLAIMED_ID = Number.MAX_SAFE_INTEGER;

/** The claims' condition on the id: `id BETWEEN -(2^53 − 1) AND 2^53 − 1`. */
export const CLAIMABLE_ID_SQL = `id BETWEEN -${MAX_CLAIMED_ID} AND ${MAX_CLAIMED_ID}`;

/**
 * The read of one row the claims leave alone for its id, the id as text
 * (`CHAR` is MySQL's name, `TEXT` SQLite's): two ranges of the primary key.
 */
export function unclaimableIdSql(table: string, text: "CHAR" | "TEXT"): string {
  return `SELECT CAST(id AS ${text}) AS id FROM ${table}
    WHERE id > ${MAX_CLAIMED_ID} OR id < -${MAX_CLAIMED_ID} LIMIT 1`;
}

/** The warning at open about such rows; `renumber` says how to make new ids small again. */
export function warnUnclaimableIds(
  logger: Logger,
  options: { where: string; id: string; renumber: string },
): void {
  logger.warn(
    "The {where} has rows whose 'id' is beyond ±{max}, more than jobd can handle exactly " +
      "(job {id} is one): they are never claimed and stay 'waiting', and with auto-increment " +
      "every new row gets such an id; renumber or delete them and {renumber}",
    { where: options.where, max: MAX_CLAIMED_ID, id: options.id, renumber: options.renumber },
  );
}
