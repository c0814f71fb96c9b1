/**
 * The bytes one connection has yet to send: queued, joined into batches and
 * written one batch at a time, so that a peer that reads slowly costs its
 * connection the queued bytes and no more (a write per message, each with its
 * own promise, cost ~4 KB per small answer waiting), and never holds up
 * another connection.
 *
 * @module
 */

/** Most bytes joined into one write. */
const BATCH_BYTES = 64 * 1024;

/** A write queue in front of a socket's writer. */
export class Outbox {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #onWritten: () => void;
  readonly #onError: (error: unknown) => void;
  #chunks: Chunk[] = [];
  #bytes = 0;
  #answerBytes = 0;
  /** Settles when the chunks queued now have been written (or dropped by close). */
  #next: PromiseWithResolvers<void> | undefined;
  /** The waiters of the batch being written, when it is the queue's last. */
  #writingDone: PromiseWithResolvers<void> | undefined;
  #writing = false;
  #closed = false;

  /**
   * `onWritten` is called after each batch reaches the socket, `onError`
   * once when a write fails (the caller closes the connection).
   */
  constructor(
    writer: WritableStreamDefaultWriter<Uint8Array>,
    handlers: { onWritten: () => void; onError: (error: unknown) => void },
  ) {
    this.#writer = writer;
    this.#onWritten = handlers.onWritten;
    this.#onError = handlers.onError;
  }

  /** Bytes queued or being written. */
  get queuedBytes(): number {
    return this.#bytes;
  }

  /** Of {@linkcode Outbox.queuedBytes}, those of chunks queued as answers. */
  get answerBytes(): number {
    return this.#answerBytes;
  }

  /**
   * Queues `bytes` (counted in `answerBytes` too when `answer`); resolves
   * once they are written, or when the outbox is closed before that (never
   * rejects).
   */
  write(bytes: Uint8Array, answer = false): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#chunks.push({ bytes, answer });
    this.#bytes += bytes.length;
    if (answer) this.#answerBytes += bytes.length;
    this.#next ??= Promise.withResolvers();
    const written = this.#next.promise;
    if (!this.#writing) this.#drain();
    return written;
  }

  /** Drops what is queued; every waiting `write` resolves. */
  close(): void {
    this.#closed = true;
    this.#chunks = [];
    this.#bytes = 0;
    this.#answerBytes = 0;
    this.#next?.resolve();
    this.#next = undefined;
    this.#writingDone?.resolve();
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#chunks.length > 0 && !this.#closed) {
        const { batch, count, answerBytes } = takeBatch(this.#chunks);
        this.#chunks = this.#chunks.slice(count);
        // The waiters of this batch's chunks: all of them when it takes every chunk.
        const done = this.#chunks.length === 0 ? this.#next : undefined;
        if (done) this.#next = undefined;
        this.#writingDone = done;
        try {
          await this.#writer.write(batch);
        } catch (error) {
          done?.resolve();
          if (!this.#closed) this.#onError(error);
          return;
        }
        if (this.#closed) return; // close() has dropped the counts already
        this.#bytes -= batch.length;
        this.#answerBytes -= answerBytes;
        done?.resolve();
        this.#onWritten();
      }
    } finally {
      this.#writing = false;
      this.#writingDone = undefined;
    }
  }
}

interface Chunk {
  bytes: Uint8Array;
  answer: boolean;
}

/** The first chunks, joined up to `BATCH_BYTES` (a larger chunk goes alone, uncopied). */
function takeBatch(
  chunks: readonly Chunk[],
): { batch: Uint8Array; count: number; answerBytes: number } {
  let count = 0;
  let length = 0;
  let answerBytes = 0;
  while (
    count < chunks.length && (count === 0 || length + chunks[count].bytes.length <= BATCH_BYTES)
  ) {
    const { bytes, answer } = chunks[count];
    length += bytes.length;
    if (answer) answerBytes += bytes.length;
    count++;
  }
  if (count === 1) return { batch: chunks[0].bytes, count, answerBytes };
  const batch = new Uint8Array(length);
  let offset = 0;
  for (let index = 0; index < count; index++) {
    batch.set(chunks[index].bytes, offset);
    offset += chunks[index].bytes.length;
  }
  return { batch, count, answerBytes };
}
