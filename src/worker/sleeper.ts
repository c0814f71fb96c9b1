/**
 * Interruptible waits: `sleep(ms)` resolves after `ms`, or at once when
 * `wakeAll()` is called (shutdown), clearing its timer either way so that
 * nothing keeps the process alive.
 */
export class Sleeper {
  #wakers = new Set<() => void>();

  /** Waits `ms` milliseconds, or less when woken. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }

  /** Ends every wait in progress now. */
  wakeAll(): void {
    for (const wake of this.#wakers) wake();
  }
}
