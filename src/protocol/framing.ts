/** The byte that ends every message on the wire (EOT). */
export const EOT = 0x04;

/** Default largest message a peer may send: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** A peer sent a message larger than the configured maximum. */
export class MessageTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Message too large: exceeds the limit of ${limit} bytes`);
    this.name = "MessageTooLargeError";
  }
}

/**
 * Splits a byte stream into messages at each EOT byte. Emits one chunk per
 * message (without the EOT), whatever the chunking of the input. Bytes of an
 * unfinished message are kept as a list of pieces and joined once when its EOT
 * arrives, so the work is linear in the bytes received. A message longer than
 * `maxMessageBytes` errors the stream; buffered memory never exceeds the limit.
 * Bytes after the last EOT when the input ends are an incomplete message and
 * are dropped.
 */
export class EotSplitter extends TransformStream<Uint8Array, Uint8Array> {
  constructor(maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES) {
    let pieces: Uint8Array[] = [];
    let pending = 0;
    super({
      transform(chunk, controller) {
        let start = 0;
        while (start < chunk.length) {
          const end = chunk.indexOf(EOT, start);
          const stop = end === -1 ? chunk.length : end;
          if (pending + (stop - start) > maxMessageBytes) {
            pieces = [];
            pending = 0;
            controller.error(new MessageTooLargeError(maxMessageBytes));
            return;
          }
          if (end === -1) {
            // Copy: the reader may reuse the chunk's buffer for the next read.
            pieces.push(chunk.slice(start));
            pending += chunk.length - start;
            return;
          }
          controller.enqueue(join(pieces, pending, chunk.subarray(start, end)));
          pieces = [];
          pending = 0;
          start = end + 1;
        }
      },
    });
  }
}

function join(pieces: Uint8Array[], length: number, tail: Uint8Array): Uint8Array {
  if (pieces.length === 0) return tail.slice();
  const message = new Uint8Array(length + tail.length);
  let offset = 0;
  for (const piece of pieces) {
    message.set(piece, offset);
    offset += piece.length;
  }
  message.set(tail, offset);
  return message;
}

const encoder = new TextEncoder();

/** Encodes one message for the wire: its JSON text followed by EOT. */
export function frame(json: string): Uint8Array {
  const body = encoder.encode(json);
  const framed = new Uint8Array(body.length + 1);
  framed.set(body);
  framed[body.length] = EOT;
  return framed;
}
