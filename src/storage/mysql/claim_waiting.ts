/** waiting -> accepted: the claim of a poll. */

import type { ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { ClaimedJob } from "../../job.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { attachRowValues } from "./read_row_values.ts";
import { ConflictRetry, inTransaction } from "./transaction.ts";

/**
 * The locking read of a claim for one target: `?` = target, limit. `table`
 * is quoted already; `columns` is what it selects. The worker's claim sends
 * it as it is for one target, and joins one per target with UNION ALL for
 * several; the benchmark times and EXPLAINs it.
 */
export function claimSelectSql(table: string, skipLocked: boolean, columns = "id"): string {
  const locking = skipLocked ? "FOR UPDATE SKIP LOCKED" : "FOR UPDATE";
  return `SELECT ${columns} FROM ${table} WHERE status = 'waiting' AND target = ? ` +
    `ORDER BY id LIMIT ? ${locking}`;
}

/**
 * Claims, for each target of `limits`, up to its limit of `waiting` rows,
 * lowest id first, in one transaction: locking reads (`FOR UPDATE`, with
 * `SKIP LOCKED` where the server has it, so concurrent workers take
 * different rows instead of waiting for each other), then one guarded UPDATE
 * of all the rows to `accepted` (recording the owner when tracked).
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
): Promise<ClaimedJob[]> {
  const { table, tracksOwner, workerName, queryTimeoutMs, skipLocked } = context;
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
      rows.push(...await runQuery<RowDataPacket[]>(connection, queryTimeoutMs, sql, values));
    }
    const claimed = new Map<number, ClaimedJob>();
    rows.sort((a, b) => rankOf(a) - rankOf(b) || Number(a.id) - Number(b.id));
    for (const row of rows) {
      const id = Number(row.id);
      if (claimed.has(id)) continue;
      claimed.set(id, { id, target: byName[Number(row.part)][0], origin: "waiting" });
    }
    if (claimed.size === 0) return [];
    const ids = [...claimed.keys()];
    const update = await runQuery<ResultSetHeader>(
      connection,
      queryTimeoutMs,
      `UPDATE ${table} SET status = 'accepted'${tracksOwner ? ", worker = ?" : ""}
        WHERE id IN (?) AND status = 'waiting'`,
      tracksOwner ? [workerName, ids] : [ids],
    );
    if (update.affectedRows !== ids.length) {
      throw new ConflictRetry(`${ids.length} rows locked but ${update.affectedRows} updated`);
    }
    return await attachRowValues(connection, context, [...claimed.values()]);
  });
}
