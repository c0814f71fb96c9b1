/**
 * How one log record becomes one line (log.ts owns the sinks, this module
 * the lines):
 *
 * - `text`: `2026-01-02 03:04:05.678 +00:00 [WRN] jobd·worker: message`;
 * - `json` (`log_format = json`): one JSON object per line, LogTape's JSON
 *   Lines formatter: `@timestamp`, `level`, `message`, `logger`,
 *   `properties`;
 * - under systemd's journal (`JOURNAL_STREAM` set), console lines begin with
 *   the syslog priority (`<3>` error, `<4>` warning, `<5>` notice, `<6>`
 *   info, `<7>` debug and trace) and a text line carries no timestamp: the
 *   journal stamps and ranks each line itself.
 *
 * A notice is LogTape's `info` under the category `jobd·notice·…` (see
 * {@linkcode isNotice}): written at every level but `error`, shown as `NTC`
 * / `NOTICE`, and `<5>` in the journal. The start-up summary is one.
 *
 * Every value placed in a line is cut to a bounded length, in both formats.
 *
 * @module
 */

import {
  getJsonLinesFormatter,
  getTextFormatter,
  type LogLevel as LogTapeLevel,
  type LogRecord,
  sanitizeControlSequences,
  type TextFormatter,
} from "@logtape/logtape";
import type { LogFormat } from "./log_levels.ts";
import { cutForLog } from "./log_redaction.ts";

/** The second element of a notice's category: `["jobd", "notice", ...]`. */
export const NOTICE_CATEGORY = "notice";

/** Whether a record is a notice: logged through a logger under `jobd·notice`. */
export function isNotice(record: LogRecord): boolean {
  return record.category[1] === NOTICE_CATEGORY;
}

/** The syslog priority of a record, as the journal reads it from a line's `<N>` prefix. */
export function syslogPriority(record: LogRecord): number {
  switch (record.level) {
    case "fatal":
    case "error":
      return 3;
    case "warning":
      return 4;
    case "info":
      return isNotice(record) ? 5 : 6;
    default:
      return 7;
  }
}

/** How lines are written: the format, and whether the line goes to the journal. */
export interface LineFormatOptions {
  format: LogFormat;
  /** A console line read by systemd's journal: a priority prefix, no timestamp of its own. */
  journal?: boolean;
}

/** The category as lines show it: a notice's `notice` element left out. */
function shownCategory(category: readonly string[]): readonly string[] {
  return category[1] === NOTICE_CATEGORY ? [category[0], ...category.slice(2)] : category;
}

const TEXT_LEVELS: Record<LogTapeLevel | "notice", string> = {
  trace: "TRC",
  debug: "DBG",
  info: "INF",
  notice: "NTC",
  warning: "WRN",
  error: "ERR",
  fatal: "FTL",
};

/** A value that is no string, on one line, cut with a marker. */
function inspectedForLog(value: unknown): string {
  return cutForLog(Deno.inspect(value, { compact: true, breakLength: Infinity, colors: false }));
}

/**
 * How a value appears in a text line: strings as they are (control
 * characters and line breaks escaped, so a value cannot fake a record),
 * anything else inspected on one line; either cut with a marker.
 */
export function renderValue(value: unknown): string {
  if (typeof value === "string") {
    return sanitizeControlSequences(cutForLog(value), { sgr: "escape", newlines: "escape" });
  }
  return inspectedForLog(value);
}

/** A value as a JSON line holds it: strings cut, numbers and booleans as they are, the rest inspected and cut. */
function jsonValue(value: unknown): unknown {
  if (typeof value === "string") return cutForLog(value);
  if (
    value === null || value === undefined || typeof value === "number" ||
    typeof value === "boolean"
  ) {
    return value;
  }
  return inspectedForLog(value);
}

/** A message as a JSON line's `message`: its values as text lines show them, unquoted. */
function jsonMessage(message: readonly unknown[]): string {
  let text = "";
  for (let i = 0; i < message.length; i++) {
    const part = message[i];
    text += i % 2 === 0 ? String(part) : String(jsonValue(part));
  }
  return text;
}

/**
 * The record as the formatters see it: a notice's level named `notice`
 * (LogTape's formatters write the level's name), and for JSON every value
 * bounded.
 */
function shownRecord(record: LogRecord, json: boolean): LogRecord {
  const notice = isNotice(record);
  if (!notice && !json) return record;
  const shown: LogRecord = {
    category: record.category,
    level: (notice ? "notice" : record.level) as LogTapeLevel,
    // LogTape's JSON formatter quotes string values in the message: rendered here instead.
    message: json ? [jsonMessage(record.message)] : record.message,
    rawMessage: record.rawMessage,
    timestamp: record.timestamp,
    properties: json
      ? Object.fromEntries(Object.entries(record.properties).map(([k, v]) => [k, jsonValue(v)]))
      : record.properties,
  };
  return shown;
}

/** The formatter of one sink's lines. */
export function lineFormatter(options: LineFormatOptions): TextFormatter {
  const journal = options.journal === true;
  let format: TextFormatter;
  if (options.format === "json") {
    format = getJsonLinesFormatter({
      categorySeparator: (category) => shownCategory(category).join("."),
    });
  } else {
    format = getTextFormatter({
      timestamp: journal ? "none" : "date-time-timezone",
      level: (level) => TEXT_LEVELS[level as LogTapeLevel | "notice"] ?? level,
      category: (category) => shownCategory(category).join("·"),
      value: renderValue,
    });
  }
  const json = options.format === "json";
  if (!journal) return (record) => format(shownRecord(record, json));
  return (record) => `<${syslogPriority(record)}>${format(shownRecord(record, json))}`;
}
