/**
 * The test command, `deno task test [ARGS...]`: starts one throwaway MariaDB
 * (unless `JOBD_TEST_MYSQL` already names a server), runs
 * `deno test --allow-all ARGS...` with `JOBD_TEST_MYSQL` pointing at it, stops
 * the server whatever happens (failures, Ctrl-C, SIGTERM), and exits with the
 * status of `deno test`.
 *
 * ```sh
 * deno task test                                # everything
 * deno task test tests/storage_mysql_test.ts    # one file
 * deno task test --filter "claimManual"         # any deno test flags
 * ```
 */

import { type MariaDbServer, startMariaDb, testMysqlAddress } from "./mariadb.ts";

/** The variable through which tests find the shared server (`host:port:user:password`). */
const TEST_MYSQL_VARIABLE = "JOBD_TEST_MYSQL";

/** The signals passed on to `deno test`; either ends the run. */
const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];

/** Exit statuses for a run ended by a signal before `deno test` could report one. */
const SIGNAL_STATUS: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Runs the tests with `args` passed to `deno test`; resolves to the exit status. */
export async function main(args: string[]): Promise<number> {
  let received: Deno.Signal | undefined;
  let child: Deno.ChildProcess | undefined;
  const handlers = SIGNALS.map((signal) => {
    const handler = () => {
      received ??= signal;
      try {
        child?.kill(signal);
      } catch {
        // It has exited already.
      }
    };
    Deno.addSignalListener(signal, handler);
    return { signal, handler };
  });
  let server: MariaDbServer | undefined;
  try {
    const env: Record<string, string> = {};
    if (!Deno.env.get(TEST_MYSQL_VARIABLE)) {
      // Relaxed durability: the tests need speed, not commits that survive a power cut.
      server = await startMariaDb({ durability: "relaxed" });
      env[TEST_MYSQL_VARIABLE] = testMysqlAddress(server);
      console.error(`Test database: MariaDB ${server.version} on ${server.host}:${server.port}`);
    }
    if (received !== undefined) return SIGNAL_STATUS[received];
    child = new Deno.Command(Deno.execPath(), {
      args: ["test", "--allow-all", ...args],
      env,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const status = await child.status;
    return status.code;
  } finally {
    await server?.[Symbol.asyncDispose]();
    for (const { signal, handler } of handlers) Deno.removeSignalListener(signal, handler);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
