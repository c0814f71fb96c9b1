/**
 * Target names checked where they enter the worker: the config's
 * `[targets]` at start-up and on reload, and `add-target`. A name no row of
 * the table can carry is refused with the reason (see `target_names.ts`);
 * `add-target` reads its name with `protocol/validate.ts`, which asks
 * `problem()`.
 */

import { quoteTargetName, type TargetColumn, targetColumnProblem } from "../target_names.ts";

/** The checks of target names against one table's `target` column. */
export class TargetColumnCheck {
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
        throw new Error(
          `The target ${quoteTargetName(name)} in [targets] cannot match a row: ${problem}`,
        );
      }
    }
  }
}
