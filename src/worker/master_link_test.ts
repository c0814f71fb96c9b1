import assert from "node:assert/strict";
import { startMasterDaemon, until } from "../../tests/helpers/master_in_process.ts";
import { Connection } from "../net/connection.ts";
import { RequestError } from "../net/errors.ts";
import { MasterLink, type MasterLinkOptions } from "./master_link.ts";

function linkTo(port: number, options: Partial<MasterLinkOptions> = {}): MasterLink {
  return new MasterLink({
    host: "127.0.0.1",
    port,
    name: "w1",
    reconnectInterval: 30,
    onRequest: () => Promise.resolve("ok"),
    targets: () => ["t1"],
    ...options,
  });
}

Deno.test("a master that accepted the connection but has not answered the registration does not count as registered", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const link = linkTo(listener.addr.port);
  link.start();
  // The master accepts and stays silent: the register-worker request waits (up to 60 s here).
  const accepted = await listener.accept();
  try {
    // The request has arrived: the link is now waiting for the answer.
    assert.ok(await accepted.read(new Uint8Array(4096)));
    assert.equal(link.registered, false);
    assert.equal(
      link.lastError,
      "connected; the master has not answered the registration yet",
    );
  } finally {
    await link.stop();
    accepted.close();
  }
});

Deno.test("the link counts as registered once the master answered, and not once the master is gone", async () => {
  const master = await startMasterDaemon();
  const link = linkTo(master.daemon.server.addr.port, { reconnectInterval: 0.2 });
  try {
    link.start();
    await until("registered", () => link.registered);
    assert.equal(link.lastError, undefined);
    await master.daemon.shutdown();
    await until("not registered", () => !link.registered);
    assert.notEqual(link.lastError, undefined);
  } finally {
    await link.stop();
    await master[Symbol.asyncDispose]();
  }
});

Deno.test("the master's refusal is kept cut and on one line, its control characters shown escaped", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const refusal = `no\x1b[2J\r\nway ${"x".repeat(100_000)}`;
  const link = linkTo(listener.addr.port);
  link.start();
  const master = new Connection(await listener.accept(), {
    onRequest: () => Promise.reject(new RequestError(refusal)),
  });
  try {
    await until(
      "the refusal",
      () => link.lastError !== undefined && link.lastError.startsWith("no"),
    );
    const reason = link.lastError ?? "";
    assert.ok(reason.startsWith("no\\x1b[2J\\x0d\\x0away xxx"), reason.slice(0, 40));
    assert.match(reason, /…\[jobd: \d+ more characters\]$/);
    assert.ok(reason.length < 400, `${reason.length} characters`);
    const controls = [...reason].filter((c) => c !== "\t" && (c < " " || c === "\x7f"));
    assert.deepEqual(controls, [], "no control character but a tab: /health shows one line");
  } finally {
    await link.stop();
    master.close();
  }
});
