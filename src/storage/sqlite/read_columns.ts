/** The columns of the jobs table, for the operators' requests (`add`, `retry`, `jobs`). */

import type { TableColumn } from "../job_control.ts";
import type { SqliteContext } from "./context.ts";

/** The table's name as configured, from its quoted form in the context. */
export function unquotedTable(context: SqliteContext): string {
  return context.table.slice(1, -1).replaceAll('""', '"');
}

/**
 * Reads the table's columns (`pragma_table_info`), in table order. Kinds
 * follow SQLite's type affinity; SQLite keeps no lengths or enum values
 * (CHECK constraints are enforced by the INSERT itself).
 */
export function readColumns(context: SqliteContext): TableColumn[] {
  const rows = context.connection.all(
    `SELECT name, type, "notnull" AS required, dflt_value AS defaultValue, pk
       FROM pragma_table_info(?) ORDER BY cid`,
    unquotedTable(context),
  );
  return rows.map((row) => {
    const type = String(row.type ?? "").toUpperCase();
    const nullable = Number(row.required) === 0;
    const rowId = Number(row.pk) === 1 && type === "INTEGER";
    let kind: TableColumn["kind"] = "other";
    if (type.includes("INT")) kind = "integer";
    else if (/CHAR|CLOB|TEXT/.test(type)) kind = "text";
    else if (/REAL|FLOA|DOUB|NUMERIC|DECIMAL/.test(type)) kind = "number";
    return {
      name: String(row.name),
      kind,
      nullable,
      optional: nullable || row.defaultValue !== null || rowId,
    };
  });
}
