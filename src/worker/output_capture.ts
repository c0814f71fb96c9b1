/**
 * Bounded capture of a child's output stream (SPEC A5 `max_output_buffer`,
 * C "bounded output with a visible truncation marker").
 *
 * The stream is always read to its end, so the child never blocks on a full
 * pipe; bytes past the bound are counted and dropped, so memory stays bounded
 * whatever the child prints.
 *
 * @module
 */

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
 * @throws {RangeError} when `maxBytes` is not a non-negative safe integer
 */
export async function captureOutput(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<CapturedOutput> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`Cannot capture output: invalid byte limit '${maxBytes}'`);
  }
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  let totalBytes = 0;
  let failure: string | undefined;
  const reader = openReader(stream);
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
    failure = error instanceof Error ? error.message : String(error);
  } finally {
    reader.release();
  }

  let bytes = concat(kept, keptBytes);
  if (totalBytes > keptBytes) {
    bytes = bytes.subarray(0, completeCharactersLength(bytes));
  }
  const droppedBytes = totalBytes - bytes.byteLength;
  let text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  if (droppedBytes > 0) {
    text += truncationMarker(droppedBytes);
  }
  if (failure !== undefined) {
    text += `\n[jobd: output capture failed after ${totalBytes} bytes: ${failure}]`;
  }
  return { text, totalBytes, droppedBytes };
}

/** Bytes read per read from a byte stream (a pipe's output). */
const READ_BUFFER_BYTES = 16 * 1024;

interface ChunkReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  release(): void;
}

/**
 * Reads a byte stream (a child's pipe) into one reused buffer: the default
 * reader allocates 64 KiB per read, which the C allocator keeps after the job
 * ends, so a busy worker's memory grew with every job. Other streams are read
 * chunk by chunk.
 */
function openReader(stream: ReadableStream<Uint8Array>): ChunkReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    const reader = stream.getReader();
    return { read: () => reader.read(), release: () => reader.releaseLock() };
  }
  let buffer = new Uint8Array(READ_BUFFER_BYTES);
  return {
    async read() {
      const result = await byob.read(buffer);
      if (result.value) buffer = new Uint8Array(result.value.buffer);
      return result as ReadableStreamReadResult<Uint8Array>;
    },
    release: () => byob.releaseLock(),
  };
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
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
