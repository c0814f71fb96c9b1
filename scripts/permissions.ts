/**
 * The permission flags of the three programs: the one list that
 * `scripts/compile.sh` compiles into the binaries and that the tests run the
 * entry points with, so what is tested is what ships.
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
 * Why each flag: the worker listens and connects (clients, master, MySQL),
 * reads its config and launcher directory, writes its log and SQLite files,
 * runs any launcher the operator configures, passes the environment on to
 * launchers and reads the host name for its default `name`. The master
 * listens, reads its config and writes its log. jobctl connects, reads its
 * config (`~/.jobctl.conf`, found through HOME) and honours NO_COLOR.
 */
export const PERMISSIONS: Readonly<Record<Program, readonly string[]>> = {
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

/** `deno run` flags for a program: its permissions, never a prompt. */
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
