/**
 * Which failures to start a launcher may pass by themselves: the worker is out of file descriptors, the
 * system is, or there is no memory or process slot for a new process right
 * now. A job that meets one is started again later instead of ending `fail`.
 *
 * @module
 */

/** The errno codes of spawn failures that may pass. */
export const TRANSIENT_SPAWN_CODES: ReadonlySet<string> = new Set([
  "EMFILE",
  "ENFILE",
  "EAGAIN",
  "ENOMEM",
]);

/** Whether a spawn error is one that may pass (see {@linkcode TRANSIENT_SPAWN_CODES}). */
export function isTransientSpawnError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // Deno's errors of system calls carry the errno name as `code`.
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && TRANSIENT_SPAWN_CODES.has(code);
}
