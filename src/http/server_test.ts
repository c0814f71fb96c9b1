import assert from "node:assert/strict";
import { configure, reset } from "@logtape/logtape";
import { MAX_HTTP_BODY_BYTES, namesAnAddress, startHttpServer } from "./server.ts";

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

Deno.test("HEAD answers like GET, without the body; the Allow of a GET route names HEAD", async () => {
  const server = serve();
  try {
    const head = await call(server.port, "/ok", { method: "HEAD" });
    assert.deepEqual([head.status, head.text], [200, ""]);
    assert.equal((await call(server.port, "/boom", { method: "HEAD" })).status, 500);
    // HEAD stands only for GET: a POST route does not answer it.
    assert.equal((await call(server.port, "/echo", { method: "HEAD" })).status, 405);
    const put = await call(server.port, "/ok", { method: "PUT" });
    assert.deepEqual([put.status, put.headers.get("allow")], [405, "GET, HEAD"]);
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

Deno.test("every answer says nosniff: routes, errors, refusals, HEAD, and a fetched response passed on", async () => {
  const upstream = serve();
  const server = startHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    password: "pw",
    routes: [
      { method: "GET", path: "/ok", handle: () => new Response("fine") },
      { method: "GET", path: "/boom", handle: () => Promise.reject(new Error("kaput")) },
      // A fetched response has headers that cannot be changed.
      {
        method: "GET",
        path: "/passed-on",
        handle: () => fetch(`http://127.0.0.1:${upstream.port}/ok`),
      },
    ],
  });
  try {
    const auth = { authorization: `Basic ${btoa("any:pw")}` };
    const answers = [
      await call(server.port, "/ok", { headers: auth }),
      await call(server.port, "/ok", { headers: auth, method: "HEAD" }),
      await call(server.port, "/boom", { headers: auth }),
      await call(server.port, "/passed-on", { headers: auth }),
      await call(server.port, "/nothing", { headers: auth }),
      await call(server.port, "/ok", { headers: auth, method: "PUT" }),
      await call(server.port, "/ok"),
    ];
    assert.deepEqual(answers.map((answer) => answer.status), [200, 200, 500, 200, 404, 405, 401]);
    assert.equal(answers[3].text, "fine");
    for (const answer of answers) {
      assert.equal(answer.headers.get("x-content-type-options"), "nosniff", `${answer.status}`);
    }
  } finally {
    await server.close();
    await upstream.close();
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

Deno.test("a wrong password is logged as the protocol's are: a warning, then counted at debug", async () => {
  const lines: string[] = [];
  await configure({
    sinks: {
      lines: (record) =>
        lines.push(`${record.level} ${record.message.map((part) => String(part)).join("")}`),
    },
    loggers: [
      { category: ["jobd"], sinks: ["lines"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
    reset: true,
  });
  const server = serve({ password: "pw" });
  try {
    const auth = (text: string) => ({ headers: { authorization: `Basic ${btoa(text)}` } });
    assert.equal((await call(server.port, "/ok")).status, 401);
    assert.deepEqual(lines, [], "a request without credentials is a browser's first try");
    assert.equal((await call(server.port, "/ok", auth("u:guess1"))).status, 401);
    assert.equal((await call(server.port, "/ok", auth("u:guess2"))).status, 401);
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.match(
      lines[0],
      /^warning Refused 127\.0\.0\.1:\d+: invalid password on request HTTP GET \/ok \(further refusals of 127\.0\.0\.1 are logged at debug level/,
    );
    assert.match(
      lines[1],
      /^debug Refused 127\.0\.0\.1:\d+: invalid password on request HTTP GET \/ok \(2 refusals of 127\.0\.0\.1 in a row\)$/,
    );
    assert.ok(!lines.join("\n").includes("guess"), "the password given is never logged");
    // The right password resets the count: the next refusal is a warning again.
    assert.equal((await call(server.port, "/ok", auth("u:pw"))).status, 200);
    assert.equal((await call(server.port, "/ok", auth("u:guess3"))).status, 401);
    assert.match(lines[2], /^warning Refused /);
  } finally {
    await server.close();
    await reset();
  }
});

Deno.test("a taken port is an error naming the address", async () => {
  const first = serve();
  try {
    assert.throws(
      () => startHttpServer({ hostname: "127.0.0.1", port: first.port, routes: [] }),
      new RegExp(`^ListenError: Cannot listen for HTTP on 127\\.0\\.0\\.1:${first.port}: `),
    );
  } finally {
    await first.close();
  }
});

/** The status code of a GET sent with `host` as its Host header (fetch sets its own). */
async function statusFor(port: number, path: string, host: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const buffer = new Uint8Array(1024);
    const count = await conn.read(buffer);
    return Number(new TextDecoder().decode(buffer.subarray(0, count ?? 0)).split(" ")[1]);
  } finally {
    conn.close();
  }
}

Deno.test("a page for browsers let in without a password answers only requests naming an address", async () => {
  const open = (password?: string, alwaysAllowLocalhost = false) =>
    startHttpServer({
      hostname: "127.0.0.1",
      port: 0,
      password,
      alwaysAllowLocalhost,
      routes: [
        { method: "GET", path: "/", forBrowsers: true, handle: () => new Response("page") },
        { method: "GET", path: "/metrics", handle: () => new Response("metrics") },
      ],
    });
  const noPassword = open();
  const loopbackLetIn = open("pw", true);
  try {
    for (const server of [noPassword, loopbackLetIn]) {
      const port = server.port;
      // A name another site's DNS points here (DNS rebinding): refused.
      assert.equal(await statusFor(port, "/", `rebind.example:${port}`), 403);
      for (const host of [`127.0.0.1:${port}`, "localhost", `[::1]:${port}`, "10.0.0.5"]) {
        assert.equal(await statusFor(port, "/", host), 200, host);
      }
      // Scrapers may use any name: /metrics is no page for browsers.
      assert.equal(await statusFor(port, "/metrics", `prometheus-target.example:${port}`), 200);
    }
  } finally {
    await noPassword.close();
    await loopbackLetIn.close();
  }
  // With the password asked, the name does not matter: a rebinding page does not have it.
  const strict = open("pw");
  try {
    assert.equal(await statusFor(strict.port, "/", "jobs.example"), 401);
  } finally {
    await strict.close();
  }
});

Deno.test("namesAnAddress: IPv4, bracketed IPv6 and localhost, with or without a port", () => {
  for (const host of ["127.0.0.1", "10.1.2.3:80", "[::1]", "[fe80::1]:9180", "LocalHost:1"]) {
    assert.ok(namesAnAddress(host), host);
  }
  for (const host of ["jobs.example", "jobs.example:80", "127.0.0.1.nip.io", "[::1", ""]) {
    assert.ok(!namesAnAddress(host), host);
  }
});
