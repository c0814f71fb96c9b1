/** Checks the jobs table at open: does it exist, has it the columns jobd uses, and the optional ones. */

import type { Pool, RowDataPacket } from "mysql2/promise";
import { StorageError } from "../errors.ts";
import { MAX_ATTEMPTS_LIMIT } from "../../config/job_policy.ts";
import {
  ATTEMPTS_COLUMN,
  checkColumnValues,
  checkRequiredColumns,
  OWNER_COLUMN,
} from "../required_columns.ts";
import { DELAYED_STATUS, TIME_COLUMNS, type TimeColumnsFound } from "../time_columns.ts";
import { firstLacking, isBmpOnly, type TargetColumn } from "../../target_names.ts";
import { runQuery } from "./query.ts";
import type { OutputColumn, OutputColumnName, OutputColumns } from "./output_fit.ts";
import { LINUX_SIGNALS } from "../../protocol/signal_names.ts";

/** What the store needs to know about the table. */
export interface TableShape {
  /** The `worker` column exists. */
  tracksOwner: boolean;
  /** What the `stdout` and `stderr` columns hold. */
  output: OutputColumns;
  /** What the `target` column can hold. */
  target: TargetColumn;
  /** The optional time columns, and whether `status` takes `delayed`. */
  time: TimeColumnsFound;
}

/** The file that creates the jobs table, named in the error for a missing one. */
export const MYSQL_SCHEMA_FILE = "examples/schema.sql";

interface ColumnRow extends RowDataPacket {
  name: string;
  charset: string | null;
  maxLength: number | string | null;
  maxBytes: number | string | null;
  dataType: string;
  columnType: string;
  nullable: string;
}

/**
 * Reads the columns of `tableName` in the connection's database. Throws a
 * `StorageError` naming the table and the database when the table does not
 * exist, lacks a required column, has a `status` or `result` column that
 * cannot hold every value jobd writes (an ENUM without one), or a `worker`
 * column too short for `workerName` or whose character set lacks one of its
 * characters, an `attempts` column whose integer
 * type cannot count to `MAX_ATTEMPTS_LIMIT`, or a column too narrow for
 * what jobd writes to it (`checkWrittenWidths`). The query has the time limit
 * `queryTimeoutMs`.
 */
export async function inspectTable(
  pool: Pool,
  options: { database: string; tableName: string; workerName: string; queryTimeoutMs: number },
): Promise<TableShape> {
  const { database, tableName, workerName, queryTimeoutMs } = options;
  const rows = await runQuery<ColumnRow[]>(
    pool,
    queryTimeoutMs,
    `SELECT COLUMN_NAME AS name, CHARACTER_SET_NAME AS charset,
            CHARACTER_MAXIMUM_LENGTH AS maxLength, CHARACTER_OCTET_LENGTH AS maxBytes,
            DATA_TYPE AS dataType,
            COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
    [tableName],
  );
  const where = `table '${tableName}' of database '${database}'`;
  if (rows.length === 0) {
    throw new StorageError(
      `Cannot use the ${where}: it does not exist (create it with ${MYSQL_SCHEMA_FILE}, ` +
        "or name the table with mysql_table)",
    );
  }
  const columns = new Map(rows.map((row) => [String(row.name).toLowerCase(), row]));
  checkRequiredColumns(columns, where);
  const owner = columns.get(OWNER_COLUMN);
  const ownerLength = owner?.maxLength == null ? Infinity : Number(owner.maxLength);
  if (owner !== undefined && [...workerName].length > ownerLength) {
    throw new StorageError(
      `Cannot use the ${where}: the worker name '${workerName}' is longer than the ` +
        `${ownerLength} characters of its column '${OWNER_COLUMN}'`,
    );
  }
  const lacking = owner === undefined ? undefined : firstLacking(owner.charset ?? "", workerName);
  if (lacking !== undefined) {
    throw new StorageError(
      `Cannot use the ${where}: the worker name '${workerName}' has ` +
        `U+${lacking.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} ` +
        `'${lacking}', which its column '${OWNER_COLUMN}' (${owner!.columnType}, ` +
        `${owner!.charset}) cannot hold: name the worker otherwise, or make the column utf8mb4`,
    );
  }
  for (const name of ["status", "result"] as const) {
    const column = columns.get(name)!;
    checkColumnValues(name, {
      values: enumValues(column),
      maxLength: column.maxLength == null ? undefined : Number(column.maxLength),
      type: String(column.columnType),
    }, where);
  }
  const attempts = columns.get(ATTEMPTS_COLUMN);
  const attemptsMax = attempts === undefined ? undefined : integerMax(attempts);
  if (attemptsMax !== undefined && attemptsMax < MAX_ATTEMPTS_LIMIT) {
    throw new StorageError(
      `Cannot use the ${where}: its column '${ATTEMPTS_COLUMN}' (${attempts!.columnType}) ` +
        `holds at most ${attemptsMax}, and jobd counts attempts up to ${MAX_ATTEMPTS_LIMIT}: ` +
        "make it smallint(5) unsigned or wider",
    );
  }
  checkWrittenWidths(columns, where);
  // An ENUM must list 'delayed'; a character column takes any status.
  const statusValues = enumValues(columns.get("status")!);
  const time: TimeColumnsFound = {
    columns: new Set(TIME_COLUMNS.filter((name) => columns.has(name))),
    delayedStatus: statusValues === undefined || statusValues.includes(DELAYED_STATUS),
    runAtNullable: columns.get("time_run_at")?.nullable === "YES",
  };
  const target = columns.get("target")!;
  return {
    tracksOwner: owner !== undefined,
    output: { stdout: outputColumn(columns, "stdout"), stderr: outputColumn(columns, "stderr") },
    time,
    target: {
      maxLength: target.maxLength == null ? undefined : Number(target.maxLength),
      bmpOnly: isBmpOnly(target.charset ?? ""),
      values: enumValues(target),
      type: String(target.columnType),
      charset: target.charset ?? undefined,
    },
  };
}

/** What an output column holds; a type without a length limit (a number: odd) holds any text. */
function outputColumn(
  columns: ReadonlyMap<string, ColumnRow>,
  name: OutputColumnName,
): OutputColumn {
  const column = columns.get(name)!;
  const limit = (value: number | string | null) => value == null ? 2 ** 32 : Number(value);
  return {
    name,
    type: String(column.columnType),
    charset: String(column.charset ?? "").toLowerCase(),
    maxChars: limit(column.maxLength),
    maxBytes: limit(column.maxBytes),
  };
}

/** The values of an ENUM column (`enum('a','it''s')`), or undefined for another type. */
export function enumValues(column: { dataType: string; columnType: string }): string[] | undefined {
  if (String(column.dataType).toLowerCase() !== "enum") return undefined;
  const values: string[] = [];
  for (const match of String(column.columnType).matchAll(/'((?:[^'\\]|''|\\.)*)'/g)) {
    values.push(match[1].replaceAll("''", "'").replace(/\\(.)/g, "$1"));
  }
  return values;
}

/**
 * The widths jobd's own writes need, other than the statuses and `attempts`:
 * an exit code up to 255 in `return_code`, the longest signal name in `sig`,
 * a unix time in `time_started`, `time_finished` and `time_run_at`. A column
 * narrower than that would refuse a job's final write for good (in strict
 * mode; otherwise the server would store another value), so it is refused
 * here, naming the column and what to make it.
 */
function checkWrittenWidths(columns: ReadonlyMap<string, ColumnRow>, where: string): void {
  const needs: [name: string, least: number, what: string, fix: string][] = [
    ["return_code", MAX_EXIT_CODE, `exit codes go to ${MAX_EXIT_CODE}`, "tinyint(3) unsigned"],
    ["time_started", UNIX_TIME_NOW_OR_LATER, "it holds a unix time", "int(10) unsigned"],
    ["time_finished", UNIX_TIME_NOW_OR_LATER, "it holds a unix time", "int(10) unsigned"],
    ["time_run_at", UNIX_TIME_NOW_OR_LATER, "it holds a unix time", "int(10) unsigned"],
  ];
  for (const [name, least, what, fix] of needs) {
    const column = columns.get(name);
    if (column === undefined) continue;
    const max = integerMax(column);
    const length = textLength(column);
    if ((max ?? Infinity) >= least && (length ?? Infinity) >= String(least).length) continue;
    const holds = max !== undefined ? `at most ${max}` : `${length} characters`;
    throw new StorageError(
      `Cannot use the ${where}: its column '${name}' (${column.columnType}) holds ${holds}, ` +
        `and ${what}: make it ${fix} or wider`,
    );
  }
  const sig = columns.get("sig");
  const sigLength = sig === undefined ? undefined : textLength(sig);
  if (sigLength !== undefined && sigLength < LONGEST_SIGNAL_NAME.length) {
    throw new StorageError(
      `Cannot use the ${where}: its column 'sig' (${sig!.columnType}) holds ${sigLength} ` +
        `characters, and signal names such as '${LONGEST_SIGNAL_NAME}' have ` +
        `${LONGEST_SIGNAL_NAME.length}: make it char(10) or wider`,
    );
  }
}

/** The largest exit code a process can report. */
const MAX_EXIT_CODE = 255;

/** A unix time the integer types narrower than INT cannot hold (2001-09-09). */
const UNIX_TIME_NOW_OR_LATER = 1_000_000_000;

/** The longest name of a signal that ends a job, as `sig` stores it. */
const LONGEST_SIGNAL_NAME = [...LINUX_SIGNALS.values()].reduce((longest, name) =>
  name.length > longest.length ? name : longest
);

/** The length limit of a CHAR or VARCHAR column; undefined for other types. */
function textLength(column: ColumnRow): number | undefined {
  if (!/^(var)?char$/i.test(String(column.dataType))) return undefined;
  return column.maxLength == null ? undefined : Number(column.maxLength);
}

/** The signed maximum of the integer types narrower than INT. */
const SMALL_INTEGER_MAX: Readonly<Record<string, number>> = {
  tinyint: 127,
  smallint: 32767,
  mediumint: 8388607,
};

/**
 * The largest value of a TINYINT, SMALLINT or MEDIUMINT column (signed or
 * `unsigned`); undefined for wider integers and other types.
 */
function integerMax(column: { dataType: string; columnType: string }): number | undefined {
  const max = SMALL_INTEGER_MAX[String(column.dataType).toLowerCase()];
  if (max === undefined) return undefined;
  return /\bunsigned\b/i.test(String(column.columnType)) ? max * 2 + 1 : max;
}
