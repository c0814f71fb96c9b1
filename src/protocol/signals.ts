/**
 * Signal names and numbers as `send-signal` receives them (docs/protocol.md,
 * "Worker requests"): a name with or without the `SIG` prefix, in any case,
 * or a Linux signal number.
 *
 * @module
 */

/** Linux signal numbers and their names, as `Deno.ChildProcess.kill` takes them. */
const LINUX_SIGNALS: ReadonlyMap<number, Deno.Signal> = new Map([
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

/** Other Linux names for the same signals. */
const ALIASES: ReadonlyMap<string, Deno.Signal> = new Map([
  ["SIGIOT", "SIGABRT"],
  ["SIGCLD", "SIGCHLD"],
  ["SIGPOLL", "SIGIO"],
  ["SIGUNUSED", "SIGSYS"],
]);

const BY_NAME: ReadonlyMap<string, Deno.Signal> = new Map([
  ...[...LINUX_SIGNALS.values()].map((name) => [name, name] as const),
  ...ALIASES,
]);

/**
 * Reads a signal given as a name (`"TERM"`, `"SIGTERM"`, `"sigterm"`) or a
 * Linux signal number (`9`, `"9"`). Aliases resolve to the usual name
 * (`"IOT"` is `"SIGABRT"`).
 *
 * @returns the signal, or undefined when the value names no Linux signal
 */
export function parseSignal(value: unknown): Deno.Signal | undefined {
  if (typeof value === "number") {
    return LINUX_SIGNALS.get(value);
  }
  if (typeof value !== "string") {
    return undefined;
  }
  const text = value.trim().toUpperCase();
  if (/^[0-9]+$/.test(text)) {
    return LINUX_SIGNALS.get(Number(text));
  }
  return BY_NAME.get(text.startsWith("SIG") ? text : `SIG${text}`);
}

/**
 * The Linux number of a signal (`SIGKILL` is 9), or undefined for a signal
 * Linux does not have.
 */
export function signalNumber(signal: Deno.Signal): number | undefined {
  const name = ALIASES.get(signal) ?? signal;
  for (const [number, candidate] of LINUX_SIGNALS) {
    if (candidate === name) return number;
  }
  return undefined;
}
