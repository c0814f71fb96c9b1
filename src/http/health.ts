/**
 * `GET /health` of both daemons: `200 ok` while every check passes, else
 * `503` with one line per check that failed, naming what is down.
 *
 * @module
 */

import { messageOf } from "../text.ts";
import type { HttpRoute } from "./server.ts";

/** How long one health check may take before it counts as failed. */
export const HEALTH_CHECK_TIMEOUT_MS = 5_000;

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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve().then(() => check.check()).catch((error) => messageOf(error)),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `check` with its runs shared: a call while one is under way waits for that
 * one, so that many requests at once (several scrapers, a busy load
 * balancer, a client in a loop) make one database read, not one each.
 */
export function sharedCheck(check: HealthCheck): HealthCheck {
  let running: Promise<string | undefined> | undefined;
  return {
    name: check.name,
    check: () => {
      running ??= Promise.resolve().then(() => check.check()).finally(() => {
        running = undefined;
      });
      return running;
    },
  };
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
      const headers = { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" };
      if (down.length === 0) return new Response("ok\n", { headers });
      return new Response(`${down.join("\n")}\n`, { status: 503, headers });
    },
  };
}
