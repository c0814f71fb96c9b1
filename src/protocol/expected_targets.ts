/**
 * The `targets` field of a worker's `run-manual`: the target the caller
 * expects each job to have.
 *
 * @module
 */

import { RequestError } from "../net/errors.ts";
import { quoteTargetName, targetNameProblem } from "../target_names.ts";
import { isPlainObject, jsonTypeName } from "../text.ts";
import { MAX_LIST_ITEMS, tooManyItems } from "./limits.ts";
import type { RequestData } from "./messages.ts";

/** A job id as a key of a JSON object: a positive integer, written plainly. */
export const JOB_ID_KEY = /^[1-9][0-9]{0,15}$/;

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
  const targets = data.targets;
  const expected = new Map<number, string>();
  if (targets === undefined || targets === null) return expected;
  if (!isPlainObject(targets)) {
    throw new RequestError("targets must be an object of job id to target name");
  }
  const count = Object.keys(targets).length;
  if (count > MAX_LIST_ITEMS) throw new RequestError(tooManyItems("targets", count));
  const named = new Set(ids);
  for (const [key, target] of Object.entries(targets)) {
    if (!JOB_ID_KEY.test(key)) {
      throw new RequestError(
        `targets: ${quoteTargetName(key)} is not a job id (a positive integer)`,
      );
    }
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
