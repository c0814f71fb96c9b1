/**
 * A Worker run in the test's own process on the in-memory store, with a
 * launcher whose jobs can be held and made to ignore SIGTERM: the set-up of
 * the worker's unit tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MemoryStore } from "./memory_store.ts";
import type { RunManualResult } from "../../src/protocol/requests.ts";
import type { LauncherSettings } from "../../src/worker/launcher.ts";
import { Worker, type WorkerOptions } from "../../src/worker/worker.ts";

/** A driver error about the request itself: not worth a retry. */
export function refused(): Error {
  return Object.assign(new Error("table is read only"), { code: "ER_OPEN_AS_READONLY" });
}

/**
 * A launcher that ends at once, unless `$DIR/hold-ID` exists: then it waits
 * until that file is gone. With `$DIR/trap-ID`, it ignores SIGTERM.
 */
function launcher(dir: string): LauncherSettings {
  return {
    argv: [
      "/bin/sh",
      "-c",
      'if [ -e "$0/trap-$1" ]; then trap "" TERM; fi; ' +
      'while [ -e "$0/hold-$1" ]; do sleep 0.02; done; echo "ran $1"',
      dir,
      "{id}",
    ],
    env: {},
    maxOutputBytes: 1024,
  };
}

/**
 * A worker on `store` serving `targets`, with a job directory; shut down when
 * the scope ends. `options` replace the worker's options (a store wrapped
 * around `store`, a gate for claims).
 */
export async function workerOn(
  store: MemoryStore,
  targets: Record<string, number> = { t1: 2 },
  options: Partial<WorkerOptions> = {},
) {
  const dir = await Deno.makeTempDir({ prefix: "jobd_worker_test_" });
  const worker = new Worker({
    store,
    targets: new Map(Object.entries(targets)),
    fetchLimit: 100,
    launcher: launcher(dir),
    pollInterval: 0,
    ...options,
  });
  return {
    worker,
    /** Makes job `id` wait, when it starts, until `letGo(id)`. */
    holdJob: (id: number) => Deno.writeTextFile(`${dir}/hold-${id}`, ""),
    letGo: (id: number) => Deno.remove(`${dir}/hold-${id}`),
    /** Makes job `id` ignore SIGTERM. */
    trapTerm: (id: number) => Deno.writeTextFile(`${dir}/trap-${id}`, ""),
    async [Symbol.asyncDispose]() {
      worker.hurry();
      await worker.shutdown(0);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * A worker on 300 quick jobs of t1 (concurrency 2) whose 100th and 101st run
 * until `letGoLong()`: resolves once both run and jobs are claimed ahead of them.
 */
export async function slotsHeldWithJobsClaimedAhead() {
  const store = new MemoryStore();
  const ids = store.insert("t1", 300);
  const long = [ids[99], ids[100]];
  const setup = await workerOn(store, { t1: 2 });
  const acceptedIds = () => ids.filter((id) => store.status(id) === "accepted");
  try {
    for (const id of long) await setup.holdJob(id);
    setup.worker.poll();
    await until(
      "jobs claimed ahead while both slots run long jobs",
      () => long.every((id) => store.status(id) === "running") && acceptedIds().length > 0,
    );
  } catch (error) {
    await setup[Symbol.asyncDispose]();
    throw error;
  }
  return Object.assign(setup, {
    store,
    ids,
    long,
    acceptedIds,
    letGoLong: async () => {
      for (const id of long) await setup.letGo(id);
    },
  });
}

/**
 * Runs the manual jobs `ids` while a background claim is held in flight: it
 * reserves the free slots of its targets, so they are claimed `accepted`
 * (not marked) and queued. Resolves once they are claimed, with `run` (the
 * run-manual's answer, wrapped: an async function would wait for a promise
 * it returns) and `letClaimGo`, which lets the background claim return.
 */
export async function runManualDuringClaim(
  setup: { worker: Worker },
  store: MemoryStore,
  ids: number[],
): Promise<{ run: Promise<RunManualResult>; letClaimGo: () => void }> {
  const letClaimGo = store.hold("claimWaiting");
  const claiming = store.reached("claimWaiting");
  setup.worker.poll();
  await claiming;
  const run = setup.worker.runManual(ids);
  await until(`jobs ${ids} claimed`, () => ids.every((id) => store.status(id) === "accepted"));
  return { run, letClaimGo };
}

/**
 * Runs the manual jobs `ids` so that each needs a running mark of its own
 * (`markRunning`) instead of the claim's (see {@linkcode runManualDuringClaim}):
 * they start once the background claim returns. Resolves once they are
 * claimed, with `run`: the run-manual's answer.
 */
export async function runManualQueued(
  setup: { worker: Worker },
  store: MemoryStore,
  ids: number[],
): Promise<{ run: Promise<RunManualResult> }> {
  const { run, letClaimGo } = await runManualDuringClaim(setup, store, ids);
  letClaimGo();
  return { run };
}

/** Waits until `condition()` holds, checking every 10 ms; fails after 10 s with `what`. */
export async function until(what: string, condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 10_000) assert.fail(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with `promise`'s value; fails after 30 s with `what` instead of hanging the test run. */
export async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting for ${what}`)), 30_000);
  });
  try {
    return await Promise.race([promise, stuck]);
  } finally {
    clearTimeout(timer);
  }
}
