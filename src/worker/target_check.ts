/**
 * Target names checked where they enter the worker: the config's
 * `[targets]` at start-up and on reload, and `add-target`. A name no row of
 * the table can carry is refused with the reason (see `target_names.ts`).
 */

import { RequestError } from "../net/errors.ts";
import type { Handlers } from "../net/server.ts";
import { WorkerRequest } from "../protocol/requests.ts";
import { type TargetColumn, targetColumnProblem } from "../target_names.ts";

/** The checks of target names against one table's `target` column. */
export class TargetCheck {
  readonly #column: TargetColumn | undefined;
  readonly #table: string;

  /** `column` as the store read it (undefined: only the general rules); `table` for messages. */
  constructor(column: TargetColumn | undefined, table: string) {
    this.#column = column;
    this.#table = table;
  }

  /** Why no row can have the target `name`; undefined when one can. */
  problem(name: string): string | undefined {
    return targetColumnProblem(name, this.#column, this.#table);
  }

  /** Throws an error naming the first of the `[targets]` names no row can carry. */
  checkConfigured(names: Iterable<string>): void {
    for (const name of names) {
      const problem = this.problem(name);
      if (problem !== undefined) {
        throw new Error(`The target '${name}' in [targets] cannot match a row: ${problem}`);
      }
    }
  }

  /** `handlers` whose `add-target` refuses a name no row can carry: `invalid target name 'X': why`. */
  guard(handlers: Handlers): Handlers {
    const addTarget = handlers[WorkerRequest.AddTarget];
    return {
      ...handlers,
      [WorkerRequest.AddTarget]: (data, connection) => {
        const name = data.target;
        const problem = typeof name === "string" && name !== "" && name !== "null"
          ? this.problem(name)
          : undefined;
        if (problem !== undefined) {
          return Promise.reject(new RequestError(`invalid target name '${name}': ${problem}`));
        }
        return addTarget(data, connection);
      },
    };
  }
}
