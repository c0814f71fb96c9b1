import assert from "node:assert/strict";
import { MAX_HTTP_BODY_BYTES, startHttpServer } from "./server.ts";

function serve(options: { password?: string; alwaysAllowLocalhost?: boolean } = {}) {
  return startHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    ...options,
    routes: [
      { method: "GET", path: "/ok", handle: () => new Response("fine") },
      {
        method: "POST",
        path: "/echo",
        handle: async (request) => new Response(`${(await request.arrayBuffer()).byteLength}`),
      },
      { method: "GET", path: "/boom", handle: () => Promise.reject(new Error("kaput")) },
    ],
  });
}

async function call(port: number, path: string, init: RequestInit = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, init);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

Deno.test("routes answer by exact path and method; others are 404 and 405 with Allow", async () => {
  const server = serve();
  try {
    assert.deepEqual((await call(server.port, "/ok?x=1")).text, "fine");
    assert.equal((await call(server.port, "/ok/")).status, 404);
    const wrong = await call(server.port, "/echo");
    assert.deepEqual([wrong.status, wrong.headers.get("allow")], [405, "POST"]);
  } finally {
    await server.close();
  }
});

Deno.test("a route that throws answers 500 and the server goes on", async () => {
  const server = serve();
  try {
    assert.deepEqual(await call(server.port, "/boom").then((a) => [a.status, a.text]), [
      500,
      "internal error\n",
    ]);
    assert.equal((await call(server.port, "/ok")).status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("bodies over the bound are refused with 413, declared or streamed", async () => {
  const server = serve();
  try {
    const fits = new Uint8Array(MAX_HTTP_BODY_BYTES);
    assert.equal((await call(server.port, "/echo", { method: "POST", body: fits })).text, "65536");
    const over = new Uint8Array(MAX_HTTP_BODY_BYTES + 1);
    assert.equal((await call(server.port, "/echo", { method: "POST", body: over })).status, 413);
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 3; i++) controller.enqueue(new Uint8Array(MAX_HTTP_BODY_BYTES / 2));
        controller.close();
      },
    });
    assert.equal((await call(server.port, "/echo", { method: "POST", body: chunks })).status, 413);
  } finally {
    await server.close();
  }
});

Deno.test("the password is asked for with basic auth; loopback may be let in", async () => {
  const strict = serve({ password: "pw" });
  const lenient = serve({ password: "pw", alwaysAllowLocalhost: true });
  try {
    const auth = (text: string) => ({ headers: { authorization: `Basic ${btoa(text)}` } });
    assert.equal((await call(strict.port, "/ok")).status, 401);
    assert.equal((await call(strict.port, "/ok", auth("any:pw"))).status, 200);
    assert.equal((await call(strict.port, "/ok", auth("pw"))).status, 401, "no colon: no password");
    assert.equal((await call(strict.port, "/ok", auth("any:pw2"))).status, 401);
    assert.equal(
      (await call(strict.port, "/ok", { headers: { authorization: "Bearer pw" } })).status,
      401,
    );
    assert.equal((await call(strict.port, "/nothing")).status, 401, "paths are not revealed");
    assert.equal((await call(lenient.port, "/ok")).status, 200);
  } finally {
    await strict.close();
    await lenient.close();
  }
});

Deno.test("a taken port is an error naming the address", async () => {
  const first = serve();
  try {
    assert.throws(
      () => startHttpServer({ hostname: "127.0.0.1", port: first.port, routes: [] }),
      new RegExp(`^Error: Cannot listen for HTTP on 127\\.0\\.0\\.1:${first.port}: `),
    );
  } finally {
    await first.close();
  }
});
