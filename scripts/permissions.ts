/**
 * The runtime flags of the three programs — their permissions and the V8
 * flags they ship with: the one list that `scripts/compile.sh` compiles into
 * the binaries and that the tests, the dev tasks and the benchmark run the
 * entry points with, so what is tested and measured is what ships.
 *
 * `deno run scripts/permissions.ts jobd` prints the flags of one program.
 */

/** The three programs, by binary name. */
export type Program = "jobd" | "jobd-master" | "jobctl";

/** Entry point of each program, relative to the repository root. */
export const ENTRY_POINTS: Readonly<Record<Program, string>> = {
  "jobd": "worker.ts",
  "jobd-master": "master.ts",
  "jobctl": "jobctl.ts",
};

/**
 * V8 flags of each program, passed as one `--v8-flags=` flag.
 *
 * The worker compiles hot functions on its main thread
 * (`--no-concurrent-recompilation`): V8's background compiler threads take
 * their memory from C allocator arenas of their own, which keep it after the
 * work is done, so a worker that had been busy stayed about 5 MiB larger (and
 * by a varying amount) when idle. The compiler's work is the same either way,
 * and the benchmark's CPU per job did not change (bench/README.md, "Memory").
 *
 * Its young generation is kept small (`--max-semi-space-size=4`, in MiB; V8
 * lets it grow to 16 MiB a semi-space by default): a busy worker's peak RSS
 * is mostly short-lived garbage waiting for a scavenge, and the peak fell by
 * about 20 MiB with no measurable change in CPU per job (bench/README.md,
 * "Performance work, 2026-12-03"; 2 MiB cost about 10 % more CPU per job).
 */
export const V8_FLAGS: Readonly<Record<Program, readonly string[]>> = {
  "jobd": ["--no-concurrent-recompilation", "--max-semi-space-size=4"],
  "jobd-master": [],
  "jobctl": [],
};

/**
 * Why each permission: the worker listens and connects (clients, master,
 * MySQL; `--allow-net` also covers the HTTP server of `http_port`), reads its
 * config and launcher directory, writes its log and SQLite files, runs any
 * launcher the operator configures, passes the environment on to launchers
 * and reads the host name for its default `name`; at start-up it reads
 * /proc through `sh` and `grep` (`--allow-run`), as Deno reads /proc only
 * with `--allow-all` (src/worker/leftover_jobs.ts). The master listens (its
 * port and `http_port`), reads its config and writes its log. jobctl
 * connects, reads its config (`~/.jobctl.conf`, found through HOME) and
 * honours NO_COLOR.
 */
const PERMISSION_FLAGS: Readonly<Record<Program, readonly string[]>> = {
  "jobd": [
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-run",
    "--allow-env",
    "--allow-sys",
  ],
  "jobd-master": ["--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-sys"],
  "jobctl": ["--allow-net", "--allow-read", "--allow-env"],
};

/** A program's permission flags, then its `--v8-flags=` flag when it has V8 flags. */
function programFlags(program: Program): readonly string[] {
  const v8 = V8_FLAGS[program];
  return v8.length === 0
    ? PERMISSION_FLAGS[program]
    : [...PERMISSION_FLAGS[program], `--v8-flags=${v8.join(",")}`];
}

/**
 * The flags each program is compiled and run with: its permissions (see
 * `PERMISSION_FLAGS` for why each) and its {@linkcode V8_FLAGS}. Kept under
 * this name, the one the tests and scripts compare against.
 */
export const PERMISSIONS: Readonly<Record<Program, readonly string[]>> = {
  "jobd": programFlags("jobd"),
  "jobd-master": programFlags("jobd-master"),
  "jobctl": programFlags("jobctl"),
};

/** `deno run` flags for a program: its permissions and V8 flags, never a prompt. */
export function runFlags(program: Program): string[] {
  return ["--no-prompt", ...PERMISSIONS[program]];
}

if (import.meta.main) {
  const program = Deno.args[0] as Program;
  if (!(program in PERMISSIONS)) {
    console.error(`Usage: deno run scripts/permissions.ts jobd|jobd-master|jobctl`);
    Deno.exit(2);
  }
  console.log(PERMISSIONS[program].join(" "));
}
