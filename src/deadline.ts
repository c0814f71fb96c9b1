/**
 * A call raced against a deadline, its outcome as a value: what the status
 * report asks each worker, and each check of `/health`, go through it.
 *
 * @module
 */

import { messageOf } from "./text.ts";

/** What a call gave: its value, or the message of its error or of the deadline passed. */
export type Answer<T = unknown> = { ok: true; value: T } | { ok: false; error: string };

/**
 * The answer of `work`, or its error's message; no answer within `ms` is
 * the error `no answer within N s`. `work` throwing at once is caught the
 * same way.
 */
export async function answerWithin<T>(work: () => T | Promise<T>, ms: number): Promise<Answer<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<Answer<T>>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, error: `no answer within ${ms / 1000} s` }),
      ms,
    );
  });
  try {
    return await Promise.race([
      Promise.resolve().then(work).then(
        (value): Answer<T> => ({ ok: true, value }),
        (error): Answer<T> => ({ ok: false, error: messageOf(error) }),
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
