/**
 * `--password`: asks for the password on the terminal without echoing it.
 * The prompt goes to stderr, so stdout carries only the command's output.
 * When stdin is not a terminal (a pipe, say) the first line is read, with
 * no prompt: nobody is there to read it; and as it is, only its line end
 * removed: the editing keys of a terminal are bytes of the password there.
 *
 * @module
 */

import { joinChunks } from "../bytes.ts";
import { UsageError } from "./usage_error.ts";

/** The longest password read, in bytes: stdin with no line end is not read for ever. */
export const MAX_PASSWORD_BYTES = 4096;

function tooLong(): UsageError {
  return new UsageError(`the password given on stdin is longer than ${MAX_PASSWORD_BYTES} bytes`);
}

/** The user pressed Ctrl-C at the password prompt. */
export class PromptCancelledError extends Error {
  constructor() {
    super("cancelled at the password prompt");
    this.name = "PromptCancelledError";
  }
}

const CTRL_C = 0x03;
const CTRL_D = 0x04;
const BACKSPACE = 0x08;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const CTRL_U = 0x15;
const DELETE = 0x7f;

/**
 * Reads one line from `input` as a terminal in raw mode sends it: up to CR
 * or LF (not included), with Backspace/Delete removing the last character,
 * Ctrl-U clearing the line and Ctrl-D ending the input. The stream's end also
 * ends the line.
 *
 * @throws {PromptCancelledError} on Ctrl-C.
 * @throws {UsageError} past `MAX_PASSWORD_BYTES` bytes typed without a line end.
 */
export async function readPasswordLine(input: ReadableStream<Uint8Array>): Promise<string> {
  const reader = input.getReader();
  let characters: string[] = [];
  const decoder = new TextDecoder();
  let bytesRead = 0;
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      bytesRead += value.length;
      if (bytesRead > MAX_PASSWORD_BYTES && !value.some(endsLine)) throw tooLong();
      for (const byte of value) {
        switch (byte) {
          case CTRL_C:
            throw new PromptCancelledError();
          case CTRL_D:
          case LINE_FEED:
          case CARRIAGE_RETURN:
            characters.push(...decoder.decode());
            return characters.join("");
          case BACKSPACE:
          case DELETE:
            characters.push(...decoder.decode());
            characters.pop();
            break;
          case CTRL_U:
            decoder.decode();
            characters = [];
            break;
          default:
            characters.push(...decoder.decode(Uint8Array.of(byte), { stream: true }));
        }
      }
    }
    characters.push(...decoder.decode());
    return characters.join("");
  } finally {
    reader.releaseLock();
  }
}

/**
 * Reads one line from `input` as a pipe or a file gives it: up to the first
 * LF or CR (a CRLF line end ends at its CR), or the stream's end, every other
 * byte kept as it is: Backspace, Ctrl-U and the like are part of the line,
 * not edits of it.
 *
 * @throws {UsageError} when the line is longer than `MAX_PASSWORD_BYTES`.
 */
export async function readLiteralLine(input: ReadableStream<Uint8Array>): Promise<string> {
  const reader = input.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      const end = value.findIndex(endsLine);
      const part = end >= 0 ? value.subarray(0, end) : value;
      length += part.length;
      if (length > MAX_PASSWORD_BYTES) throw tooLong();
      chunks.push(part);
      if (end >= 0) break;
    }
  } finally {
    reader.releaseLock();
  }
  return new TextDecoder().decode(joinChunks(chunks));
}

function endsLine(byte: number): boolean {
  return byte === LINE_FEED || byte === CARRIAGE_RETURN;
}

function writeAll(file: { writeSync(bytes: Uint8Array): number }, text: string): void {
  let bytes = new TextEncoder().encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
}

/**
 * Reads the password from stdin. When stdin is a terminal: shows `prompt`
 * on stderr and turns echo off (raw mode, restored afterwards), the editing
 * keys working ({@linkcode readPasswordLine}); else reads the first line as
 * it is, without a prompt ({@linkcode readLiteralLine}).
 *
 * @throws {PromptCancelledError} on Ctrl-C.
 */
export async function promptPassword(prompt = "Password: "): Promise<string> {
  const terminal = Deno.stdin.isTerminal();
  if (terminal) {
    writeAll(Deno.stderr, prompt);
    Deno.stdin.setRaw(true);
  }
  try {
    return await (terminal ? readPasswordLine : readLiteralLine)(Deno.stdin.readable);
  } finally {
    if (terminal) {
      Deno.stdin.setRaw(false);
      writeAll(Deno.stderr, "\n");
    }
  }
}
