/**
 * Where a run's statements go, from the server's general query log
 * (`--statement-kinds`): each statement the workers sent is put in the step
 * of a job's path it serves (the claim, the `running` mark, the result
 * write, both in one statement, a release), with the transaction statements of a claim counted in
 * the claim. The log costs the server time, so a run that writes it measures
 * the statements, not the rates.
 *
 * @module
 */

/** The steps statements are counted in. */
export const STATEMENT_KINDS = [
  "claim",
  "running mark",
  "result write",
  "mark + result",
  "release",
  "manual claim",
  "benchmark",
  "other",
] as const;

/** One step of a job's path (or `benchmark`: the benchmark's own look at the table). */
export type StatementKind = typeof STATEMENT_KINDS[number];

/** Statements of one kind: how many, and how many job ids the UPDATEs among them named. */
export interface KindCount {
  statements: number;
  /** UPDATEs of the kind, and the ids their `id IN (...)` (or `id = ?`) named. */
  updates: number;
  updatedIds: number;
}

/** The statements of a log by kind, and up to 5 examples of `other` (cut at 80 characters). */
export interface StatementKinds {
  byKind: Record<StatementKind, KindCount>;
  otherExamples: string[];
}

/** `TIME ID Command\tArgument`, TIME present only on the first entry of a second. */
const ENTRY = /^(?:\d{6}\s+\d{1,2}:\d{2}:\d{2})?\s+(\d+)\s+([A-Za-z][A-Za-z ]*?)\t(.*)$/;

/** Which kind a statement (not a transaction statement) is. */
function kindOf(sql: string): StatementKind {
  const text = sql.replace(/\s+/g, " ");
  if (
    /\bstatus IN \('waiting', 'manual'|GROUP BY status|GROUP BY result|SHOW GLOBAL STATUS/i.test(
      text,
    )
  ) {
    return "benchmark";
  }
  if (/^\(?SELECT .* WHERE status = 'waiting' AND target = .* FOR UPDATE/i.test(text)) {
    return "claim";
  }
  if (/^UPDATE \S+ SET status = 'accepted'/i.test(text)) return "claim";
  if (/^UPDATE \S+ SET status = 'running'/i.test(text)) return "running mark";
  if (/^UPDATE \S+ SET status = IF\(id IN \(.*'running', 'done'\)/i.test(text)) {
    return "mark + result";
  }
  if (
    /^SELECT id FROM \S+ WHERE id IN \(.*\) AND status = 'running' AND time_started/i.test(text)
  ) {
    return "running mark";
  }
  if (/^UPDATE \S+ SET status = 'done'/i.test(text)) return "result write";
  if (/^SELECT id FROM \S+ WHERE status = 'done'/i.test(text)) return "result write";
  if (/^UPDATE \S+ SET status = '(waiting|manual)'/i.test(text)) return "release";
  if (/^SELECT id, target, status FROM \S+ WHERE id IN \(.*\) ORDER BY id FOR UPDATE/i.test(text)) {
    return "manual claim";
  }
  return "other";
}

/**
 * The job ids an UPDATE names: the numbers in the `id IN (...)` lists of its
 * WHERE (a running mark with results has two), or 1 for `id = N`.
 */
function idsOf(sql: string): number {
  const where = sql.slice(sql.search(/\bWHERE\b/i));
  let ids = 0;
  for (const list of where.matchAll(/\bid IN \(([^)]*)\)/gi)) ids += list[1].split(",").length;
  if (ids > 0) return ids;
  return /\bid = \d+/i.test(where) ? 1 : 0;
}

/**
 * Counts the `Query` entries of a MariaDB general query log by kind. The
 * `START TRANSACTION`, `COMMIT` and `ROLLBACK` of a connection count in the
 * kind of the first statement of their transaction.
 */
export function classifyGeneralLog(text: string): StatementKinds {
  const byKind = Object.fromEntries(
    STATEMENT_KINDS.map((kind) => [kind, { statements: 0, updates: 0, updatedIds: 0 }]),
  ) as Record<StatementKind, KindCount>;
  const otherExamples: string[] = [];
  /** Per connection: transaction statements waiting for the kind of their transaction. */
  const open = new Map<string, { pending: number; kind: StatementKind | undefined }>();
  const entries: { thread: string; command: string; sql: string }[] = [];
  for (const line of text.split("\n")) {
    const match = line.match(ENTRY);
    if (match) entries.push({ thread: match[1], command: match[2], sql: match[3] });
    else if (entries.length > 0) entries[entries.length - 1].sql += `\n${line}`;
  }
  for (const { thread, command, sql } of entries) {
    if (command !== "Query") continue;
    const statement = sql.trim();
    if (/^(START TRANSACTION|BEGIN)\b/i.test(statement)) {
      open.set(thread, { pending: 1, kind: undefined });
      continue;
    }
    const transaction = open.get(thread);
    if (/^(COMMIT|ROLLBACK)\b/i.test(statement)) {
      const kind = transaction?.kind ?? "other";
      byKind[kind].statements += (transaction?.pending ?? 0) + 1;
      open.delete(thread);
      continue;
    }
    const kind = transaction?.kind ?? kindOf(statement);
    if (transaction && transaction.kind === undefined) {
      transaction.kind = kind;
      byKind[kind].statements += transaction.pending;
      transaction.pending = 0;
    }
    byKind[kind].statements++;
    if (/^UPDATE\b/i.test(statement)) {
      byKind[kind].updates++;
      byKind[kind].updatedIds += idsOf(statement);
    }
    if (kind === "other" && otherExamples.length < 5) {
      otherExamples.push(statement.replace(/\s+/g, " ").slice(0, 80));
    }
  }
  for (const transaction of open.values()) {
    byKind[transaction.kind ?? "other"].statements += transaction.pending;
  }
  return { byKind, otherExamples };
}
