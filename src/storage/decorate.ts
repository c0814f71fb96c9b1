/**
 * A store seen through a few operations of its own: the worker adds its
 * claim policies (the name lock's gate, one target's failure kept from the
 * others) in front of whichever store it opened, without a class that would
 * have to repeat every other operation.
 */

import type { JobStore } from "./job_store.ts";

/**
 * A `JobStore` that is `inner` except for the operations `overrides` gives
 * (which may call `inner` themselves). Every other member, operations added
 * to `JobStore` later included, is `inner`'s own.
 */
export function decorateStore(inner: JobStore, overrides: Partial<JobStore>): JobStore {
  return new Proxy(inner, {
    get(target, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof JobStore];
      // `await using` ends the store the way `close()` does, an overridden one included.
      if (key === Symbol.asyncDispose && overrides.close) return overrides.close;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
