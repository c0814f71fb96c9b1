/**
 * The four message kinds of the jobd protocol (docs/protocol.md, "Messages") and their JSON form:
 * `[0, {no, type, data?, password?}]` request, `[1, {no, data?, error?}]`
 * response, `[2]` ping, `[3]` pong.
 */

import { isPlainObject, jsonTypeName, messageOf } from "../text.ts";
import { frame } from "./framing.ts";

/** The number in the first item of every message. */
export const MessageKind = { Request: 0, Response: 1, Ping: 2, Pong: 3 } as const;

/** Request numbers stay below this value (docs/protocol.md). */
export const MAX_REQUEST_NUMBER = 1_000_000;

/** Data of a request: always an object (`{}` when the sender gave none). */
export type RequestData = Record<string, unknown>;

/** A request as received or sent. */
export interface Request {
  no: number;
  type: string;
  data: RequestData;
  password?: string;
}

/** A response: `data` on success, `error` on failure. */
export interface Response {
  no: number;
  data?: unknown;
  error?: string;
}

/** A decoded message. */
export type Message =
  | { kind: "request"; request: Request }
  | { kind: "response"; response: Response }
  | { kind: "ping" }
  | { kind: "pong" };

/**
 * A message that could not be decoded. `no` is the request number when it
 * could be read, else 0 (docs/protocol.md), so the error response can carry it.
 */
export class ProtocolError extends Error {
  constructor(message: string, readonly no: number = 0) {
    super(message);
    this.name = "ProtocolError";
  }
}

const decoder = new TextDecoder();

/** Decodes and validates one message (the bytes between two EOTs). */
export function decodeMessage(bytes: Uint8Array): Message {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new ProtocolError(`Malformed message: not valid JSON: ${messageOf(error)}`);
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new ProtocolError("Malformed message: expected a non-empty JSON array");
  }
  switch (value[0]) {
    case MessageKind.Request:
      return { kind: "request", request: decodeRequest(value[1]) };
    case MessageKind.Response:
      return { kind: "response", response: decodeResponse(value[1]) };
    case MessageKind.Ping:
      return { kind: "ping" };
    case MessageKind.Pong:
      return { kind: "pong" };
    default:
      throw new ProtocolError(
        `Malformed message: unknown message type ${JSON.stringify(value[0])}, expected 0 to 3`,
      );
  }
}

/**
 * The `no` of a message: an integer below {@linkcode MAX_REQUEST_NUMBER}
 * (docs/protocol.md), at least 1 in a request (0 is reserved for the answers
 * to messages that could not be read), at least 0 in a response.
 */
function readNumber(body: Record<string, unknown>, what: "request" | "response"): number {
  const no = body.no;
  if (no === undefined) throw new ProtocolError(`Malformed ${what}: missing field 'no'`);
  const least = what === "request" ? 1 : 0;
  if (typeof no !== "number" || !Number.isInteger(no) || no < least || no >= MAX_REQUEST_NUMBER) {
    throw new ProtocolError(
      `Malformed ${what}: 'no' must be an integer from ${least} to ${MAX_REQUEST_NUMBER - 1}, got ${
        JSON.stringify(no)
      }`,
    );
  }
  return no;
}

function decodeRequest(body: unknown): Request {
  if (!isPlainObject(body)) {
    throw new ProtocolError(`Malformed request: expected an object, got ${jsonTypeName(body)}`);
  }
  const no = readNumber(body, "request");
  if (typeof body.type !== "string") {
    throw new ProtocolError(
      body.type === undefined
        ? "Malformed request: missing field 'type'"
        : `Malformed request: 'type' must be a string, got ${jsonTypeName(body.type)}`,
      no,
    );
  }
  let data: RequestData = {};
  if (body.data !== undefined && body.data !== null) {
    // PHP's json_encode turns an empty array into `[]`: accept it as no data.
    if (Array.isArray(body.data) && body.data.length === 0) data = {};
    else if (!isPlainObject(body.data)) {
      throw new ProtocolError(
        `Malformed request: 'data' must be an object, got ${jsonTypeName(body.data)}`,
        no,
      );
    } else data = body.data;
  }
  if (body.password !== undefined && typeof body.password !== "string") {
    throw new ProtocolError(
      `Malformed request: 'password' must be a string, got ${jsonTypeName(body.password)}`,
      no,
    );
  }
  const request: Request = { no, type: body.type, data };
  if (body.password !== undefined) request.password = body.password;
  return request;
}

function decodeResponse(body: unknown): Response {
  if (!isPlainObject(body)) {
    throw new ProtocolError(`Malformed response: expected an object, got ${jsonTypeName(body)}`);
  }
  const no = readNumber(body, "response");
  if (body.error !== undefined && typeof body.error !== "string") {
    throw new ProtocolError(
      `Malformed response: 'error' must be a string, got ${jsonTypeName(body.error)}`,
      no,
    );
  }
  const response: Response = { no };
  if ("data" in body) response.data = body.data;
  if (body.error !== undefined) response.error = body.error;
  return response;
}

/** Encodes a request for the wire. `data` is always sent, `password` only when non-empty. */
export function encodeRequest(request: Request): Uint8Array {
  const body: Record<string, unknown> = { no: request.no, type: request.type, data: request.data };
  if (request.password) body.password = request.password;
  return frame(JSON.stringify([MessageKind.Request, body]));
}

/** Encodes a response for the wire, keeping falsy data (`0`, `""`, `false`, `[]`). */
export function encodeResponse(response: Response): Uint8Array {
  const body: Record<string, unknown> = { no: response.no };
  if (response.error !== undefined) body.error = response.error;
  else body.data = response.data === undefined ? null : response.data;
  return frame(JSON.stringify([MessageKind.Response, body]));
}

const PING = frame(JSON.stringify([MessageKind.Ping]));
const PONG = frame(JSON.stringify([MessageKind.Pong]));

/** Encodes a ping. */
export function encodePing(): Uint8Array {
  return PING;
}

/** Encodes a pong. */
export function encodePong(): Uint8Array {
  return PONG;
}
