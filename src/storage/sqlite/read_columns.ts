/** The columns of the jobs table, for the operators' requests (`add`, `retry`, `jobs`). */

import type { TableColumn } from "../job_control.ts";
import type { SqliteContext } from "./context.ts";

/** The table's name as configured, from its quoted form in the context. */
export function unquotedTable(context: SqliteContext): string {
  return context.table.slice(1, -1).replaceAll('""', '"');
}

/**
 * The values a `CHECK ("status" IN (...))` of the table's CREATE statement
 * allows, or undefined when it has none (SQLite keeps CHECKs only as text).
 */
export function statusValues(createSql: string): string[] | undefined {
  const list = /["`[]?status["`\]]?\s+IN\s*\(([^)]*)\)/i.exec(createSql)?.[1];
  if (list === undefined) return undefined;
  return [...list.matchAll(/'((?:[^']|'')*)'/g)].map((match) => match[1].replaceAll("''", "'"));
}

/**
 * Reads the table's columns (`pragma_table_info`), in table order. Kinds
 * follow SQLite's type affinity; SQLite keeps no lengths, and CHECKs only as
 * the text of the CREATE statement: the statuses a CHECK on `status` allows
 * are read from it (so that `add` can say when `delayed` is missing).
 */
export function readColumns(context: SqliteContext): TableColumn[] {
  const create = context.connection.get(
    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
    unquotedTable(context),
  );
  const statuses = statusValues(String(create?.sql ?? ""));
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
    const column: TableColumn = {
      name: String(row.name),
      kind,
      nullable,
      optional: nullable || row.defaultValue !== null || rowId,
    };
    if (column.name.toLowerCase() === "status" && statuses !== undefined) {
      column.kind = "enum";
      column.values = statuses;
    }
    return column;
  });
}
