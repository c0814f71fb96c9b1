/**
 * Request fields that are objects keyed by job id: the worker's
 * `send-signal` `jobs` (id to signal) and `run-manual` `targets` (id to the
 * target the caller expects).
 *
 * @module
 */

import { RequestError } from "../net/errors.ts";
import { quoteTargetName, targetNameProblem } from "../target_names.ts";
import { isPlainObject, jsonTypeName } from "../text.ts";
import { MAX_LIST_ITEMS, tooManyItems } from "./limits.ts";
import type { RequestData } from "./messages.ts";

/** A job id as a key of a JSON object: a positive integer, written plainly. */
const JOB_ID_KEY = /^[1-9][0-9]{0,15}$/;

/**
 * The entries of `field`, an object of job id to `what` (absent or `null`:
 * none), at most {@linkcode MAX_LIST_ITEMS}, in order; a key that is no job
 * id refuses the request, naming it, when its entry is reached. The values
 * are the caller's to check.
 */
export function* readJobIdEntries(
  data: RequestData,
  field: string,
  what: string,
): Generator<[string, unknown]> {
  const value = data[field];
  if (value === undefined || value === null) return;
  if (!isPlainObject(value)) {
    throw new RequestError(`${field} must be an object of job id to ${what}`);
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_LIST_ITEMS) throw new RequestError(tooManyItems(field, entries.length));
  for (const [key, item] of entries) {
    if (!JOB_ID_KEY.test(key)) {
      throw new RequestError(
        `${field}: ${quoteTargetName(key)} is not a job id (a positive integer)`,
      );
    }
    yield [key, item];
  }
}

/**
 * Worker `run-manual`: `targets`, the target the caller expects each of
 * these jobs to have (the master sends the one its caller named), as an
 * object of job id to target name; absent, an empty map. Bounded like `ids`;
 * each key is one of `ids`, each value a name any target may have.
 */
export function readExpectedTargets(
  data: RequestData,
  ids: readonly number[],
): Map<number, string> {
  const expected = new Map<number, string>();
  const named = new Set(ids);
  for (const [key, target] of readJobIdEntries(data, "targets", "target name")) {
    const id = Number(key);
    if (!named.has(id)) throw new RequestError(`targets: job ${id} is not one of ids`);
    if (typeof target !== "string") {
      throw new RequestError(
        `targets: the target of job ${id} must be a string, ${jsonTypeName(target)} given`,
      );
    }
    const why = targetNameProblem(target);
    if (why !== undefined) {
      throw new RequestError(
        `targets: invalid target name ${quoteTargetName(target)} for job ${id}: ${why}`,
      );
    }
    expected.set(id, target);
  }
  return expected;
}
