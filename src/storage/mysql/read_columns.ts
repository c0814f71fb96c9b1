/** The columns of the jobs table, for the operators' requests (`add`, `retry`, `jobs`). */

import type { RowDataPacket } from "mysql2/promise";
import type { TableColumn } from "../job_control.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

interface ColumnRow extends RowDataPacket {
  name: string;
  dataType: string;
  columnType: string;
  nullable: string;
  defaultValue: string | null;
  extra: string | null;
  maxLength: number | string | null;
}

const INTEGER_TYPES = new Set(["tinyint", "smallint", "mediumint", "int", "integer", "bigint"]);
const NUMBER_TYPES = new Set(["decimal", "numeric", "float", "double", "real"]);
const TEXT_TYPES = new Set(["char", "varchar", "tinytext", "text", "mediumtext", "longtext"]);

/** The values of an `enum('a','b')` column type. */
export function enumValues(columnType: string): string[] {
  const list = /^enum\((.*)\)$/is.exec(columnType)?.[1] ?? "";
  return [...list.matchAll(/'((?:[^'\\]|''|\\.)*)'/g)].map((match) =>
    match[1].replaceAll("''", "'").replace(/\\(.)/g, "$1")
  );
}

/** Reads the table's columns from `information_schema`, in table order. */
export async function readColumns(context: MysqlContext): Promise<TableColumn[]> {
  const rows = await runQuery<ColumnRow[]>(
    context.pool,
    context.queryTimeoutMs,
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType,
            IS_NULLABLE AS nullable, COLUMN_DEFAULT AS defaultValue, EXTRA AS extra,
            CHARACTER_MAXIMUM_LENGTH AS maxLength
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
      ORDER BY ORDINAL_POSITION`,
    [context.tableName],
  );
  return rows.map((row) => {
    const dataType = String(row.dataType).toLowerCase();
    const extra = String(row.extra ?? "").toLowerCase();
    const nullable = row.nullable === "YES";
    const column: TableColumn = {
      name: String(row.name),
      kind: "other",
      nullable,
      optional: nullable || row.defaultValue !== null || extra.includes("auto_increment") ||
        extra.includes("generated"),
    };
    if (INTEGER_TYPES.has(dataType)) {
      column.kind = "integer";
      column.unsigned = /unsigned/i.test(row.columnType);
    } else if (NUMBER_TYPES.has(dataType)) {
      column.kind = "number";
    } else if (TEXT_TYPES.has(dataType)) {
      column.kind = "text";
      if (dataType.endsWith("char") && row.maxLength !== null) {
        column.maxLength = Number(row.maxLength);
      }
    } else if (dataType === "enum") {
      column.kind = "enum";
      column.values = enumValues(String(row.columnType));
    }
    return column;
  });
}
