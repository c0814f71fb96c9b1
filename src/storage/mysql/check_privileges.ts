/** Checks at open that the worker's database user may do what the worker does to the table. */

import type { Pool } from "mysql2/promise";
import { StorageError } from "../errors.ts";
import { LIFE_COLUMNS, OWNER_COLUMN, REQUIRED_COLUMNS } from "../required_columns.ts";
import { runQuery } from "./query.ts";
import { describeDriverError } from "./pool.ts";

/** ER_TABLEACCESS_DENIED_ERROR, ER_COLUMNACCESS_DENIED_ERROR. */
const ACCESS_DENIED_ERRNOS: ReadonlySet<number> = new Set([1142, 1143]);

/**
 * Has the server check, without running them, a SELECT of the columns the
 * worker reads and an UPDATE of those it writes (`EXPLAIN` of statements
 * that match no row: no row is read, locked or changed). Throws a
 * `StorageError` naming the table, the database and the privilege the
 * server found missing. `table` is quoted; `where` names the table.
 */
export async function checkPrivileges(
  pool: Pool,
  options: { table: string; where: string; tracksOwner: boolean; queryTimeoutMs: number },
): Promise<void> {
  const { table, where, tracksOwner, queryTimeoutMs } = options;
  const written = tracksOwner ? [...LIFE_COLUMNS, OWNER_COLUMN] : LIFE_COLUMNS;
  const checks = [
    `EXPLAIN SELECT ${REQUIRED_COLUMNS.join(", ")}${tracksOwner ? `, ${OWNER_COLUMN}` : ""} ` +
    `FROM ${table} WHERE FALSE`,
    `EXPLAIN UPDATE ${table} SET ${written.map((name) => `${name} = ${name}`).join(", ")} ` +
    "WHERE FALSE",
  ];
  for (const sql of checks) {
    try {
      await runQuery(pool, queryTimeoutMs, sql);
    } catch (error) {
      const errno = (error as { errno?: unknown } | null)?.errno;
      if (typeof errno !== "number" || !ACCESS_DENIED_ERRNOS.has(errno)) throw error;
      throw new StorageError(
        `Cannot use the ${where}: the worker's database user needs SELECT and UPDATE on it ` +
          `(and on its columns): ${describeDriverError(error)}`,
        { cause: error },
      );
    }
  }
}
