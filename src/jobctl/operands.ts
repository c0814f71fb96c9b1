/**
 * Readers of command arguments (targets, job ids, concurrency, signals,
 * `TARGET:ID` pairs). Each takes the command's name for the error it throws,
 * a {@linkcode UsageError} that says which argument is wrong and why.
 *
 * @module
 */

import { signalName } from "../protocol/signal_names.ts";
import { MAX_TARGET_CONCURRENCY } from "../protocol/limits.ts";
import { MAX_JOB_ID } from "../protocol/validate.ts";
import { quoteTargetName, targetNameProblem } from "../target_names.ts";
import { UsageError } from "./usage_error.ts";

export { MAX_JOB_ID };

/** A signal as sent to the daemon: a name such as `SIGTERM`, or a number. */
export type SignalValue = string | number;

/**
 * Reads a target name: any a target may have (src/target_names.ts: not empty,
 * not `null`, bounded, no control or invisible characters).
 */
export function readTarget(command: string, text: string): string {
  if (text === "") throw new UsageError("a target name cannot be empty", { command });
  const problem = targetNameProblem(text);
  if (problem !== undefined) {
    throw new UsageError(`invalid target name ${quoteTargetName(text)}: ${problem}`, { command });
  }
  return text;
}

/** Reads one or more target names, refusing duplicates. */
export function readTargets(command: string, texts: readonly string[]): string[] {
  const targets = texts.map((text) => readTarget(command, text));
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target)) throw new UsageError(`target '${target}' is given twice`, { command });
    seen.add(target);
  }
  return targets;
}

/** Reads a job id: a decimal integer from 1 to {@linkcode MAX_JOB_ID}. */
export function readJobId(command: string, text: string): number {
  const id = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(id >= 1 && id <= MAX_JOB_ID)) {
    throw new UsageError(
      `invalid job id '${text}': expected an integer from 1 to ${MAX_JOB_ID}`,
      { command },
    );
  }
  return id;
}

/** Reads a concurrency: a decimal integer from 1 to `MAX_TARGET_CONCURRENCY`. */
export function readConcurrency(command: string, text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(value) && value >= 1 && value <= MAX_TARGET_CONCURRENCY)) {
    throw new UsageError(
      `invalid concurrency '${text}': expected an integer from 1 to ${MAX_TARGET_CONCURRENCY}`,
      { command },
    );
  }
  return value;
}

/**
 * Reads a signal: a number from 1 to 64, or a name with or without the
 * `SIG` prefix in any case (`TERM`, `sigterm`, `SIGTERM`), which becomes
 * `SIGTERM`. A name that is no Linux signal (`TREM`) is a usage error.
 */
export function readSignal(command: string, text: string): SignalValue {
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    if (number >= 1 && number <= 64) return number;
  } else if (/^[a-z][a-z0-9]*$/i.test(text)) {
    const name = text.toUpperCase();
    const signal = name.startsWith("SIG") ? name : `SIG${name}`;
    if (signalName(signal) !== undefined) return signal;
    throw new UsageError(
      `unknown signal '${text}': expected a Linux signal name such as TERM, KILL or USR1`,
      { command },
    );
  }
  throw new UsageError(
    `invalid signal '${text}': expected a name such as TERM or a number from 1 to 64`,
    { command },
  );
}

/** Refuses a job id named twice in one command. */
export function refuseDuplicateIds(command: string, ids: readonly number[]): void {
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) throw new UsageError(`job id ${id} is given twice`, { command });
    seen.add(id);
  }
}

/**
 * Splits `text` into one colon-separated field per name in `names`
 * (`["TARGET", "ID"]`); the first field (the target) may itself contain
 * colons, the others may not.
 */
export function splitFields(
  command: string,
  text: string,
  names: readonly string[],
): string[] {
  const parts = text.split(":");
  if (parts.length < names.length) {
    throw new UsageError(`invalid argument '${text}': expected ${names.join(":")}`, { command });
  }
  const tail = parts.splice(parts.length - (names.length - 1));
  return [parts.join(":"), ...tail];
}
