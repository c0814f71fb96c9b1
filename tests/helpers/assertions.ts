/**
 * Assertions shared by the tests: what a promise rejected with, the text of
 * a daemon's error response, and a program's exit status shown with its
 * output when it is not the one expected.
 */

import assert from "node:assert/strict";
import { RemoteError } from "../../src/net/errors.ts";
import type { ProgramOutput } from "./processes.ts";

/** What `promise` rejected with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  return await promise.then(
    (value) => assert.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (error) => error,
  );
}

/** The text of the error response `promise` rejected with; fails on anything else. */
export async function remoteRefusal(promise: Promise<unknown>): Promise<string> {
  const error = await rejection(promise);
  assert.ok(error instanceof RemoteError, `expected an error response, got ${error}`);
  return error.message;
}

/** Fails with the program's output when its exit status is not `code`. */
export function assertExit(output: ProgramOutput, code: number): void {
  assert.equal(
    output.code,
    code,
    `expected exit status ${code}, got ${output.code}\nstdout:\n${output.stdout}\nstderr:\n${output.stderr}`,
  );
}
