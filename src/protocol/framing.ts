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
 * Splits a byte stream into messages at each EOT byte: `push` takes the bytes
 * as they arrive, in chunks of any size, and returns the messages they
 * complete (without the EOT). Every message returned, and every piece kept
 * of an unfinished one, is a copy: the caller may read the next bytes into
 * the same buffer. Pieces of an unfinished message are joined once when its
 * EOT arrives, so the work is linear in the bytes received. A message longer
 * than `maxMessageBytes` throws `MessageTooLargeError` (as soon as it is known
 * to be too long, before its EOT); buffered memory never exceeds the limit.
 * The messages completed earlier in the same chunk are not returned then
 * (the connection answers the error and closes, so nothing runs unanswered),
 * and every later `push` throws the same error: the stream cannot be framed
 * any more. Bytes after the last EOT when the input ends are an incomplete
 * message, never returned.
 */
export class EotFramer {
  readonly #maxMessageBytes: number;
  #pieces: Uint8Array[] = [];
  #pending = 0;
  #failed = false;

  constructor(maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** Bytes of a message begun and not yet ended (0 between messages). */
  get partialBytes(): number {
    return this.#pending;
  }

  /** The messages that `chunk` completes, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failed) throw new MessageTooLargeError(this.#maxMessageBytes);
    const messages: Uint8Array[] = [];
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(EOT, start);
      const stop = end === -1 ? chunk.length : end;
      if (this.#pending + (stop - start) > this.#maxMessageBytes) {
        this.#pieces = [];
        this.#pending = 0;
        this.#failed = true;
        throw new MessageTooLargeError(this.#maxMessageBytes);
      }
      if (end === -1) {
        this.#pieces.push(chunk.slice(start));
        this.#pending += chunk.length - start;
        break;
      }
      messages.push(join(this.#pieces, this.#pending, chunk.subarray(start, end)));
      this.#pieces = [];
      this.#pending = 0;
      start = end + 1;
    }
    return messages;
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
