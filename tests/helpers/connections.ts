/**
 * Connections over real loopback sockets for the tests of src/net: two
 * Connections talking to each other, or a raw socket facing a Connection to
 * check the exact bytes on the wire.
 */

import assert from "node:assert/strict";
import { Connection, type ConnectionOptions } from "../../src/net/connection.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Two connected Connections over a real loopback socket: `accepted` is the
 * listening side, `outgoing` the side that called Connection.connect.
 */
export async function connectPair(
  accepted: ConnectionOptions = {},
  outgoing: ConnectionOptions = {},
) {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [conn, client] = await Promise.all([
    listener.accept(),
    Connection.connect("127.0.0.1", listener.addr.port, outgoing),
  ]);
  conn.setNoDelay(true);
  const server = new Connection(conn, accepted);
  return {
    server,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      server.close();
      await Promise.all([client.closed, server.closed]);
    },
  };
}

/** A plain socket that sends and reads raw bytes, to check the exact wire format. */
export class RawPeer implements AsyncDisposable {
  #buffered = "";
  private constructor(readonly conn: Deno.TcpConn, readonly server: Connection) {}

  /** A raw client socket and the Connection that accepted it. */
  static async connect(options: ConnectionOptions): Promise<RawPeer> {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const [accepted, conn] = await Promise.all([
      listener.accept(),
      Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    ]);
    // As Server and Connection.connect do: small messages go out at once.
    conn.setNoDelay(true);
    accepted.setNoDelay(true);
    return new RawPeer(conn, new Connection(accepted, options));
  }

  async send(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    for (let written = 0; written < bytes.length;) {
      written += await this.conn.write(bytes.subarray(written));
    }
  }

  /** The next message as sent, EOT included; null when the peer closed first. */
  async readFrame(): Promise<string | null> {
    const buffer = new Uint8Array(4096);
    for (;;) {
      const end = this.#buffered.indexOf("\x04");
      if (end !== -1) {
        const frame = this.#buffered.slice(0, end + 1);
        this.#buffered = this.#buffered.slice(end + 1);
        return frame;
      }
      const count = await this.conn.read(buffer);
      if (count === null) return null;
      this.#buffered += decoder.decode(buffer.subarray(0, count), { stream: true });
    }
  }

  /** The next message, parsed. */
  async readMessage(): Promise<unknown> {
    const frame = await this.readFrame();
    assert.ok(frame !== null, "the peer closed the connection instead of answering");
    return JSON.parse(frame.slice(0, -1));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.conn.close();
    this.server.close();
    await this.server.closed;
  }
}
