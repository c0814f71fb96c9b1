/**
 * What existing clients of the older jobd rely on (docs/protocol.md), checked on the
 * wire with a raw socket that behaves like the official PHP client: it sends
 * `data` as an object (PHP's `[]` for none), the password only with its first
 * request, accepts a response numbered like its request or 0, and breaks on a
 * ping or a boolean `data`.
 */

import assert from "node:assert/strict";
import { openTestDatabase } from "./helpers/database.ts";
import { startMaster } from "./helpers/master.ts";
import { startWorker } from "./helpers/worker.ts";

const EOT = 0x04;

/** A client that writes and reads raw frames, like the PHP client. */
class RawClient implements AsyncDisposable {
  #conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);
  #no = 0;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Sends a request the way the PHP client does and returns the response body. */
  async request(type: string, data: unknown, password?: string): Promise<Record<string, unknown>> {
    const no = ++this.#no;
    const body: Record<string, unknown> = { no, type, data };
    if (password) body.password = password;
    await this.#conn.write(new TextEncoder().encode(JSON.stringify([0, body]) + "\x04"));
    const message = await this.#readMessage();
    assert.ok(Array.isArray(message), "a message is an array");
    assert.equal(message[0], 1, `expected a response to '${type}', got ${JSON.stringify(message)}`);
    const response = message[1] as Record<string, unknown>;
    assert.ok(
      response.no === no || response.no === 0,
      `response no ${response.no} for request ${no}`,
    );
    return response;
  }

  /** Resolves with the next message, or undefined when none arrives within `ms`. */
  async nextMessage(ms: number): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) =>
      timer = setTimeout(() => resolve(undefined), ms)
    );
    const result = await Promise.race([this.#readMessage(), timeout]);
    clearTimeout(timer);
    return result;
  }

  async #readMessage(): Promise<unknown> {
    for (;;) {
      const end = this.#buffer.indexOf(EOT);
      if (end !== -1) {
        const text = new TextDecoder().decode(this.#buffer.subarray(0, end));
        this.#buffer = this.#buffer.slice(end + 1);
        return JSON.parse(text);
      }
      const chunk = new Uint8Array(65536);
      const read = await this.#conn.read(chunk);
      if (read === null) throw new Error("the daemon closed the connection");
      const next = new Uint8Array(this.#buffer.length + read);
      next.set(this.#buffer);
      next.set(chunk.subarray(0, read), this.#buffer.length);
      this.#buffer = next;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#conn.close();
    return Promise.resolve();
  }
}

function assertNoBooleanData(type: string, response: Record<string, unknown>) {
  if ("data" in response) {
    assert.notEqual(typeof response.data, "boolean", `'${type}' answered a boolean data`);
  } else {
    assert.equal(typeof response.error, "string", `'${type}' answered neither data nor error`);
  }
}

Deno.test("every worker request answers like the PHP client expects", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, {
    targets: { t1: 1 },
    config: { password: "s3cret", always_allow_localhost: false },
  });
  const [manual] = await db.insertJobs("t1", 1, "manual");
  await using client = await RawClient.connect(worker.port);

  // The password travels with the first request only.
  const first = await client.request("status", [], "s3cret");
  assertNoBooleanData("status", first);
  assert.ok((first.data as Record<string, unknown>).targets);

  const requests: [string, unknown][] = [
    ["poll", {}],
    ["poll", { targets: ["t1"] }],
    ["pause", {}],
    ["continue", { targets: ["t1"] }],
    ["run-manual", { ids: [manual] }],
    ["send-signal", { jobs: { [manual]: 15 } }],
    ["add-target", { target: "t2", concurrency: 1 }],
    ["set-target-concurrency", { target: "t2", concurrency: 3 }],
    ["remove-target", { target: "t2" }],
    ["remove-target", { target: "t2" }],
    ["nonsense", {}],
  ];
  const responses = new Map<string, Record<string, unknown>>();
  for (const [type, data] of requests) {
    const response = await client.request(type, data);
    assertNoBooleanData(type, response);
    responses.set(type, response);
  }
  assert.deepEqual(
    responses.get("send-signal")?.data,
    { [manual]: false },
    "send-signal's map holds booleans inside an object",
  );
  assert.equal(await client.nextMessage(300), undefined, "nothing unsolicited");
});

Deno.test("the master never pings a plain client and never answers a boolean", async () => {
  await using master = await startMaster({
    config: { ping_interval: 0.2, log_level_console: "warn" },
  });
  await using client = await RawClient.connect(master.port);
  const requests: [string, unknown][] = [
    ["status", []],
    ["status", { poll_workers: true }],
    ["poke", { targets: ["t1"] }],
    ["pause", {}],
    ["continue", {}],
    ["run-manual", { jobs: [{ id: 1, target: "t1" }] }],
    ["send-signal", { jobs: [{ id: 1, signal: 15, target: "t1" }] }],
  ];
  for (const [type, data] of requests) assertNoBooleanData(type, await client.request(type, data));
  // Several ping intervals pass: a plain client gets no ping.
  assert.equal(await client.nextMessage(1000), undefined);
});
