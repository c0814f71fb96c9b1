/**
 * Gathers single calls into batches: the calls made before the microtasks
 * queued at the first one run (one synchronous stretch of code, such as a
 * loop starting jobs), and those made while the previous batch is being
 * handled, go to the handler together. Batches are handled one at a time, in
 * order.
 */
export class Batcher<Item, Result> {
  readonly #handle: (items: Item[]) => Promise<Result[]>;
  readonly #maxBatch: number;
  #queue: { item: Item; resolve(result: Result): void; reject(error: unknown): void }[] = [];
  #busy = false;

  /**
   * `handle` gets up to `maxBatch` items and resolves to one result per item,
   * in the same order; when it throws, every call of that batch rejects.
   */
  constructor(handle: (items: Item[]) => Promise<Result[]>, maxBatch: number) {
    this.#handle = handle;
    this.#maxBatch = maxBatch;
  }

  /** Queues `item`; resolves to its result once its batch has been handled. */
  add(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#busy) return;
      this.#busy = true;
      // After the current synchronous code, so that every call it makes joins the batch.
      queueMicrotask(() => this.#drain());
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      try {
        const results = await this.#handle(batch.map((entry) => entry.item));
        batch.forEach((entry, index) => entry.resolve(results[index]));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.#busy = false;
  }
}
