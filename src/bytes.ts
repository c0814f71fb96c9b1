/**
 * A leaf: bytes read in chunks, joined once at the end.
 *
 * @module
 */

/** The chunks joined into one new array of `length` bytes (their total by default). */
export function joinChunks(
  chunks: readonly Uint8Array[],
  length = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0),
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
