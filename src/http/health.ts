/**
 * `GET /health` of both daemons: `200 ok` while every check passes, else
 * `503` with one line per check that failed, naming what is down.
 *
 * @module
 */

import { answerWithin } from "../deadline.ts";
import { cutForLog } from "../log_redaction.ts";
import { SharedCall } from "../shared_call.ts";
import { escapeControls } from "../text.ts";
import { type HttpRoute, plain } from "./server.ts";

/** How long one health check may take before it counts as failed. */
export const HEALTH_CHECK_TIMEOUT_MS = 5_000;

/** Most characters of a reason from elsewhere kept for `/health` (before escaping). */
export const MAX_HEALTH_REASON_CHARS = 300;

/**
 * Text a check did not write itself (a database driver's error, the master's
 * refusal) as `/health` shows it: such text can be long and hold any
 * character, and each reason is one line of the answer, so it is cut and its
 * control characters (line breaks included) are shown escaped.
 */
export function healthReason(text: string): string {
  return escapeControls(cutForLog(text, MAX_HEALTH_REASON_CHARS), { oneLine: true });
}

/** One thing the daemon needs: resolves to undefined when fine, else to what is wrong. */
export interface HealthCheck {
  /** What is checked, as the answer names it: `database`, `master`. */
  readonly name: string;
  check(): Promise<string | undefined> | string | undefined;
}

/**
 * Runs a check within {@linkcode HEALTH_CHECK_TIMEOUT_MS}: its problem, the
 * message of what it threw, or the time it took too long.
 */
export async function runHealthCheck(
  check: HealthCheck,
  timeoutMs = HEALTH_CHECK_TIMEOUT_MS,
): Promise<string | undefined> {
  const answer = await answerWithin(() => check.check(), timeoutMs);
  return answer.ok ? answer.value : answer.error;
}

/**
 * `check` with its runs shared: a call while one is under way waits for that
 * one, so that many requests at once (several scrapers, a busy load
 * balancer, a client in a loop) make one database read, not one each.
 */
export function sharedCheck(check: HealthCheck): HealthCheck {
  const shared = new SharedCall(() => check.check());
  return { name: check.name, check: () => shared.get() };
}

/** The `/health` route over `checks` (all run together at each request). */
export function healthRoute(checks: () => readonly HealthCheck[]): HttpRoute {
  return {
    method: "GET",
    path: "/health",
    handle: async () => {
      const list = checks();
      const problems = await Promise.all(list.map((check) => runHealthCheck(check)));
      const down = list.flatMap((check, index) =>
        problems[index] === undefined ? [] : [`${check.name}: ${problems[index]}`]
      );
      const headers = { "cache-control": "no-store" };
      return down.length === 0 ? plain(200, "ok", headers) : plain(503, down.join("\n"), headers);
    },
  };
}
