/**
 * Bounded capture of a child's output stream (`max_output_buffer`:
 * bounded output with a visible truncation marker).
 *
 * The stream is always read to its end, so the child never blocks on a full
 * pipe; bytes past the bound are counted and dropped, so memory stays bounded
 * whatever the child prints.
 *
 * @module
 */

import { messageOf } from "../text.ts";
import { joinChunks } from "../bytes.ts";

/** What was read from one output stream. */
export interface CapturedOutput {
  /**
   * The kept bytes decoded as UTF-8 (invalid sequences become U+FFFD), followed
   * by {@link truncationMarker} when bytes were dropped, or by a note when the
   * stream failed.
   */
  text: string;
  /** Every byte read from the stream, kept or not. */
  totalBytes: number;
  /** Bytes read but not kept: past the bound, or the incomplete character cut at it. */
  droppedBytes: number;
}

/** The text appended to output that lost `droppedBytes` bytes to the bound. */
export function truncationMarker(droppedBytes: number): string {
  return `\n[jobd: output truncated, ${droppedBytes} bytes dropped]`;
}

/**
 * Reads `stream` to its end, keeping its first `maxBytes` bytes. When the
 * bound falls inside a multi-byte UTF-8 character, that character is dropped
 * whole rather than decoded as garbage. Never rejects: a read error ends the
 * capture with a note after what was kept.
 *
 * A byte stream (a child's pipe) is read into a buffer taken from
 * `options.buffers` and given back at the end; without a pool each capture
 * allocates its own. When `options.stop` aborts, reading ends there (the
 * stream is cancelled) and the abort's reason follows what was kept as a note.
 *
 * @throws {RangeError} when `maxBytes` is not a non-negative safe integer
 */
export async function captureOutput(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  options: CaptureOptions = {},
): Promise<CapturedOutput> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`Cannot capture output: invalid byte limit '${maxBytes}'`);
  }
  const { buffers, stop } = options;
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  let totalBytes = 0;
  let failure: string | undefined;
  let stopped: string | undefined;
  const reader = openReader(stream, buffers);
  const onStop = () => {
    stopped = String(stop?.reason);
    reader.cancel();
  };
  // Removed in `finally`; an abort happens once (no `once` option: its
  // conversion costs more than the listener).
  if (stop?.aborted) onStop();
  else stop?.addEventListener("abort", onStop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      totalBytes += value.byteLength;
      const room = maxBytes - keptBytes;
      if (room > 0) {
        // Copied: a byte stream's buffer is reused for the next read.
        const part = value.slice(0, Math.min(room, value.byteLength));
        kept.push(part);
        keptBytes += part.byteLength;
      }
    }
  } catch (error) {
    failure = messageOf(error);
  } finally {
    stop?.removeEventListener("abort", onStop);
    reader.release();
  }

  let bytes = kept.length === 1 ? kept[0] : joinChunks(kept, keptBytes);
  if (totalBytes > keptBytes) {
    bytes = bytes.subarray(0, completeCharactersLength(bytes));
  }
  const droppedBytes = totalBytes - bytes.byteLength;
  let text = bytes.byteLength === 0
    ? ""
    : new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  if (droppedBytes > 0) {
    text += truncationMarker(droppedBytes);
  }
  if (stopped !== undefined) {
    text += `\n[jobd: ${stopped}]`;
  } else if (failure !== undefined) {
    text += `\n[jobd: output capture failed after ${totalBytes} bytes: ${failure}]`;
  }
  return { text, totalBytes, droppedBytes };
}

/** Options of {@linkcode captureOutput}. */
export interface CaptureOptions {
  /** Where the read buffer of a byte stream comes from and goes back to. */
  buffers?: ReadBufferPool;
  /** Ends the capture early; its `reason` (a text) is noted after the output. */
  stop?: AbortSignal;
}

/** Bytes read per read from a byte stream (a child's pipe), the size of a pooled buffer. */
export const READ_BUFFER_BYTES = 16 * 1024;

/** How many idle buffers a {@linkcode ReadBufferPool} keeps by default: 1 MiB of them. */
export const DEFAULT_KEPT_READ_BUFFERS = 64;

/**
 * Read buffers of {@linkcode READ_BUFFER_BYTES} kept from one capture to the
 * next. Each job reads two pipes; a new buffer per pipe per job is garbage
 * that V8 frees only at its next collection, by which time thousands of them
 * have passed through the C allocator, whose heap then stays that large after
 * the work is done (glibc returns no memory from the middle of its heap). With
 * a pool a busy worker reuses as many buffers as it runs pipes at once.
 *
 * One pool serves one worker (the daemon creates it with the launcher
 * settings); it keeps at most `maxKept` idle buffers and lets the rest go.
 */
export class ReadBufferPool {
  readonly #idle: ArrayBuffer[] = [];
  readonly #maxKept: number;

  /** @throws {RangeError} when `maxKept` is not a non-negative safe integer */
  constructor(maxKept: number = DEFAULT_KEPT_READ_BUFFERS) {
    if (!Number.isSafeInteger(maxKept) || maxKept < 0) {
      throw new RangeError(`Cannot create a read buffer pool: invalid size '${maxKept}'`);
    }
    this.#maxKept = maxKept;
  }

  /** How many idle buffers the pool holds now. */
  get idle(): number {
    return this.#idle.length;
  }

  /** An idle buffer, or a new one when none is idle. */
  take(): ArrayBuffer {
    return this.#idle.pop() ?? new ArrayBuffer(READ_BUFFER_BYTES);
  }

  /**
   * Keeps `buffer` for a later {@linkcode ReadBufferPool.take}. A buffer that
   * was transferred (detached), that has another size, or that would exceed
   * the pool's bound is left to the garbage collector.
   */
  give(buffer: ArrayBuffer): void {
    if (buffer.detached || buffer.byteLength !== READ_BUFFER_BYTES) return;
    if (this.#idle.length >= this.#maxKept || this.#idle.includes(buffer)) return;
    this.#idle.push(buffer);
  }
}

interface ChunkReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /** Ends a read in progress (it reports the end) and the stream. */
  cancel(): void;
  /**
   * Gives the read buffer back. The stream stays locked to the reader:
   * nothing reads it after the capture, and releasing a reader's lock
   * builds a TypeError for its `closed` promise (the stream machinery's
   * costliest step for a job's two pipes).
   */
  release(): void;
}

/**
 * Reads a byte stream (a child's pipe) into one buffer for the whole stream
 * (the default reader allocates 64 KiB per read), taken from `buffers` when
 * given and handed back on release. Other streams are read chunk by chunk.
 */
function openReader(stream: ReadableStream<Uint8Array>, buffers?: ReadBufferPool): ChunkReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    const reader = stream.getReader();
    return {
      read: () => reader.read(),
      cancel: () => void reader.cancel().catch(() => {}),
      release: () => {},
    };
  }
  // Each read transfers the buffer; the result's view holds it afterwards. A
  // read that fails leaves no buffer to give back.
  let buffer: ArrayBuffer | undefined = buffers?.take() ?? new ArrayBuffer(READ_BUFFER_BYTES);
  return {
    async read() {
      const view = new Uint8Array(buffer ?? new ArrayBuffer(READ_BUFFER_BYTES));
      buffer = undefined;
      const result = await byob.read(view);
      buffer = result.value?.buffer as ArrayBuffer | undefined;
      return result as ReadableStreamReadResult<Uint8Array>;
    },
    cancel() {
      byob.cancel().catch(() => {});
    },
    release() {
      if (buffer !== undefined) buffers?.give(buffer);
      buffer = undefined;
    },
  };
}

/**
 * The length of `bytes` without a trailing UTF-8 character whose last bytes
 * are missing. Anything that is not the start of a valid sequence is left for
 * the decoder to replace.
 */
function completeCharactersLength(bytes: Uint8Array): number {
  const end = bytes.byteLength;
  for (let start = end - 1; start >= 0 && start >= end - 3; start--) {
    const byte = bytes[start];
    if ((byte & 0b1100_0000) === 0b1000_0000) continue; // continuation byte
    const needed = (byte & 0b1110_0000) === 0b1100_0000
      ? 2
      : (byte & 0b1111_0000) === 0b1110_0000
      ? 3
      : (byte & 0b1111_1000) === 0b1111_0000
      ? 4
      : 1;
    return start + needed > end ? start : end;
  }
  return end;
}
