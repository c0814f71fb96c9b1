/** The start-up line about deferred jobs, timeouts and retries: what is on, what turns on the rest. */

import type { Logger } from "@logtape/logtape";
import { describeTimeFeatures, type TimeColumnsFound } from "./time_columns.ts";

/** The column definitions of schema.sql / schema.sqlite.sql, for the ALTER TABLE hint. */
const DEFINITIONS: Record<"mysql" | "sqlite", Record<string, string>> = {
  mysql: {
    time_run_at: "ADD COLUMN `time_run_at` int(10) UNSIGNED NOT NULL DEFAULT 0",
    timeout: "ADD COLUMN `timeout` int(10) UNSIGNED DEFAULT NULL",
    attempts: "ADD COLUMN `attempts` smallint(5) UNSIGNED NOT NULL DEFAULT 0",
    max_attempts: "ADD COLUMN `max_attempts` smallint(5) UNSIGNED DEFAULT NULL",
  },
  sqlite: {
    time_run_at: 'ADD COLUMN "time_run_at" INTEGER NOT NULL DEFAULT 0',
    timeout: 'ADD COLUMN "timeout" INTEGER DEFAULT NULL',
    attempts: 'ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0',
    max_attempts: 'ADD COLUMN "max_attempts" INTEGER DEFAULT NULL',
  },
};

/**
 * The statement(s) that add what is `missing` (column names, or `status
 * 'delayed'`) to `table`, in the dialect's words.
 */
export function alterTableHint(
  table: string,
  missing: readonly string[],
  dialect: "mysql" | "sqlite",
): string {
  const columns = missing.filter((name) => name in DEFINITIONS[dialect]);
  const status = missing.some((name) => name.startsWith("status"));
  if (dialect === "mysql") {
    const parts = [
      ...status
        ? [
          "MODIFY `status` enum('waiting','manual','accepted','running','done','ignored'," +
          "'delayed') NOT NULL DEFAULT 'waiting'",
        ]
        : [],
      ...columns.map((name) => DEFINITIONS.mysql[name]),
      ...columns.includes("time_run_at")
        ? ["ADD KEY `status_target_run_idx` (`status`, `target`, `time_run_at`)"]
        : [],
    ];
    return `ALTER TABLE \`${table}\` ${parts.join(", ")}`;
  }
  const statements = columns.map((name) => `ALTER TABLE "${table}" ${DEFINITIONS.sqlite[name]};`);
  if (columns.includes("time_run_at")) {
    statements.push(
      `CREATE INDEX "status_target_run_idx" ON "${table}" ("status", "target", "time_run_at");`,
    );
  }
  if (status) {
    statements.push(
      "and allow 'delayed' in the status CHECK (copy the rows into a table created from " +
        "examples/schema.sqlite.sql)",
    );
  }
  return statements.join(" ");
}

/** Logs which time features the table turns on, and the statement that turns on the others. */
export function logTimeFeatures(
  logger: Logger,
  table: string,
  found: TimeColumnsFound,
  dialect: "mysql" | "sqlite",
): void {
  const { on, off } = describeTimeFeatures(
    found,
    (missing) => alterTableHint(table, missing, dialect),
  );
  logger.info("Time features on for the table '{table}': {on}", { table, on });
  if (off !== undefined) {
    logger.info(
      "More time features (deferred jobs, per-row timeouts, retries) need columns the table " +
        "'{table}' lacks; to turn them on: {alter}",
      { table, alter: off },
    );
  }
}
