/**
 * Linux signal names and numbers, as `send-signal` carries them (SPEC A2):
 * shared by the worker, which delivers signals, and jobctl, which refuses an
 * unknown name before sending it.
 *
 * @module
 */

/** Linux signal numbers and their names, as `Deno.ChildProcess.kill` takes them. */
export const LINUX_SIGNALS: ReadonlyMap<number, Deno.Signal> = new Map([
  [1, "SIGHUP"],
  [2, "SIGINT"],
  [3, "SIGQUIT"],
  [4, "SIGILL"],
  [5, "SIGTRAP"],
  [6, "SIGABRT"],
  [7, "SIGBUS"],
  [8, "SIGFPE"],
  [9, "SIGKILL"],
  [10, "SIGUSR1"],
  [11, "SIGSEGV"],
  [12, "SIGUSR2"],
  [13, "SIGPIPE"],
  [14, "SIGALRM"],
  [15, "SIGTERM"],
  [16, "SIGSTKFLT"],
  [17, "SIGCHLD"],
  [18, "SIGCONT"],
  [19, "SIGSTOP"],
  [20, "SIGTSTP"],
  [21, "SIGTTIN"],
  [22, "SIGTTOU"],
  [23, "SIGURG"],
  [24, "SIGXCPU"],
  [25, "SIGXFSZ"],
  [26, "SIGVTALRM"],
  [27, "SIGPROF"],
  [28, "SIGWINCH"],
  [29, "SIGIO"],
  [30, "SIGPWR"],
  [31, "SIGSYS"],
]);

/**
 * The signals whose default action does not end a process: they stop it
 * (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU), continue it (SIGCONT) or are
 * ignored (SIGCHLD, SIGURG, SIGWINCH). Every other signal ends it.
 */
const NOT_ENDING: ReadonlySet<Deno.Signal> = new Set<Deno.Signal>([
  "SIGCHLD",
  "SIGCONT",
  "SIGSTOP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGWINCH",
]);

/** Whether the signal's default action ends a process (SIGTERM: yes; SIGSTOP, SIGCONT: no). */
export function endsProcess(signal: Deno.Signal): boolean {
  return !NOT_ENDING.has(signal);
}

/** Other Linux names for the same signals. */
export const ALIASES: ReadonlyMap<string, Deno.Signal> = new Map([
  ["SIGIOT", "SIGABRT"],
  ["SIGCLD", "SIGCHLD"],
  ["SIGPOLL", "SIGIO"],
  ["SIGUNUSED", "SIGSYS"],
]);

/** Every name (aliases too), with or without its alias resolved. */
export const BY_NAME: ReadonlyMap<string, Deno.Signal> = new Map([
  ...[...LINUX_SIGNALS.values()].map((name) => [name, name] as const),
  ...ALIASES,
]);

/**
 * The name of a signal given as a name with or without `SIG` in any case
 * (`term`, `SIGTERM`) or a Linux number; undefined when there is no such signal.
 */
export function signalName(value: string | number): Deno.Signal | undefined {
  if (typeof value === "number") return LINUX_SIGNALS.get(value);
  const text = value.trim().toUpperCase();
  if (/^[0-9]+$/.test(text)) return LINUX_SIGNALS.get(Number(text));
  return BY_NAME.get(text.startsWith("SIG") ? text : `SIG${text}`);
}
