/** waiting -> accepted (or running, for the jobs that start at once): the claim of a poll. */

import type { ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { ClaimedJob } from "../../job.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { attachRowValues } from "./read_row_values.ts";
import { countedAttempts } from "../time_columns.ts";
import { markStarting } from "../start_now.ts";
import { ConflictRetry, inTransaction } from "./transaction.ts";
import { CLAIMABLE_ID_SQL } from "../claimable_ids.ts";

/**
 * The locking read of a claim for one target: `?` = target, limit. `table`
 * is quoted already; `columns` is what it selects. The worker's claim sends
 * it as it is for one target, and joins one per target with UNION ALL for
 * several; the benchmark times and EXPLAINs it. Rows of ids beyond
 * ±(2^53 − 1) stay `waiting` (`claimable_ids.ts`).
 */
export function claimSelectSql(table: string, skipLocked: boolean, columns = "id"): string {
  const locking = skipLocked ? "FOR UPDATE SKIP LOCKED" : "FOR UPDATE";
  return `SELECT ${columns} FROM ${table} WHERE status = 'waiting' AND target = ? ` +
    `AND ${CLAIMABLE_ID_SQL} ORDER BY id LIMIT ? ${locking}`;
}

/**
 * Claims, for each target of `limits`, up to its limit of `waiting` rows,
 * lowest id first, in one transaction: locking reads (`FOR UPDATE`, with
 * `SKIP LOCKED` where the server has it, so concurrent workers take
 * different rows instead of waiting for each other), then one guarded UPDATE
 * of all the rows to `accepted` (recording the owner when tracked). The
 * first `startNow` rows of a target go to `running` instead, with
 * `time_started` = `startedAt` and the attempt counted, by the same UPDATE
 * (`IF(id IN (…), …)` per column); the per-row values are read before it,
 * so that their `attempts` is the count before this start.
 *
 * Where the server has SKIP LOCKED, the reads of several targets are one
 * statement (a UNION ALL of each target's read, each with its own LIMIT), so
 * a claim costs four statements however many targets it serves; older
 * servers get one read per target. Reads go in target name order, so that
 * workers claiming the same targets lock rows in the same order. Each row
 * says which read found it (`part`): the jobs carry their target as
 * requested, even where the column's collation matched another spelling; a
 * row that two served names both match (`build` and `BUILD` under a
 * case-insensitive collation) is claimed once, for the name that comes first
 * in `limits` (as in the SQLite store). The jobs come in the order of
 * `limits`, then by id.
 */
export async function claimWaiting(
  context: MysqlContext,
  limits: ReadonlyMap<string, number>,
  startNow: ReadonlyMap<string, number>,
  startedAt: number,
): Promise<ClaimedJob[]> {
  const { table, queryTimeoutMs, skipLocked } = context;
  const byName = [...limits].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  // Where each read's target stands in `limits`: the order of the result.
  const rank = new Map([...limits.keys()].map((name, index) => [name, index]));
  const rankOf = (row: RowDataPacket) => rank.get(byName[Number(row.part)][0])!;
  const select = (part: number) => claimSelectSql(table, skipLocked, `id, ${part} AS part`);
  const reads = skipLocked && byName.length > 1
    ? [{
      sql: byName.map((_, part) => `(${select(part)})`).join(" UNION ALL "),
      values: byName.flat(),
    }]
    : byName.map(([target, limit], part) => ({ sql: select(part), values: [target, limit] }));
  return await inTransaction(context, async (connection) => {
    const rows: RowDataPacket[] = [];
    for (const { sql, values } of reads) {
      // Row by row: a spread of a claim's 150,000 rows overflows the stack.
      for (const row of await runQuery<RowDataPacket[]>(connection, queryTimeoutMs, sql, values)) {
        rows.push(row);
      }
    }
    const claimed = new Map<number, ClaimedJob>();
    rows.sort((a, b) => rankOf(a) - rankOf(b) || Number(a.id) - Number(b.id));
    for (const row of rows) {
      const id = Number(row.id);
      if (claimed.has(id)) continue;
      claimed.set(id, { id, target: byName[Number(row.part)][0], origin: "waiting" });
    }
    if (claimed.size === 0) return [];
    const jobs = await attachRowValues(connection, context, [...claimed.values()]);
    const ids = jobs.map((job) => job.id);
    const starting = markStarting(jobs, startNow, startedAt);
    const update = await runQuery<ResultSetHeader>(
      connection,
      queryTimeoutMs,
      ...claimUpdate(context, ids, starting, startedAt, "waiting"),
    );
    if (update.affectedRows !== ids.length) {
      throw new ConflictRetry(`${ids.length} rows locked but ${update.affectedRows} updated`);
    }
    return jobs;
  });
}

/**
 * A claim's UPDATE and its values: `ids` (rows in `from`) to `accepted`,
 * those of `starting` to `running`; run-manual's claim uses it too.
 */
export function claimUpdate(
  context: MysqlContext,
  ids: number[],
  starting: number[],
  startedAt: number,
  from: "waiting" | "manual",
): [string, unknown[]] {
  const { table, tracksOwner, workerName } = context;
  const owner = tracksOwner ? ", worker = ?" : "";
  const ownerValues = tracksOwner ? [workerName] : [];
  if (starting.length === 0) {
    return [
      `UPDATE ${table} SET status = 'accepted'${owner} WHERE id IN (?) AND status = '${from}'`,
      [...ownerValues, ids],
    ];
  }
  const counted = context.time.columns.has("attempts");
  // Each column's new value depends on the id only (MySQL assigns left to
  // right, so a later one must not read `status`).
  return [
    `UPDATE ${table}
        SET status = IF(id IN (?), 'running', 'accepted'),
            time_started = IF(id IN (?), ?, time_started)${
      counted ? `, attempts = IF(id IN (?), ${countedAttempts("LEAST")}, attempts)` : ""
    }${owner}
      WHERE id IN (?) AND status = '${from}'`,
    [starting, starting, startedAt, ...counted ? [starting] : [], ...ownerValues, ids],
  ];
}
