import assert from "node:assert/strict";
import { httpListenAddress } from "./http_config.ts";
import { parseMasterConfig } from "./master_config.ts";
import { parseWorkerConfig } from "./worker_config.ts";

const MASTER = "host = 127.0.0.1\nport = 7081\n";
const WORKER = "host = 127.0.0.1\nport = 7080\nstorage = sqlite\nsqlite_path = /tmp/x.db\n" +
  "launcher = /bin/true {id}\nname = w\n";

Deno.test("no http_port: no HTTP server", () => {
  const { config } = parseMasterConfig(MASTER, "m.conf");
  assert.equal(httpListenAddress(config), undefined);
  assert.equal(
    httpListenAddress(parseMasterConfig(MASTER + "http_port = 0\n", "m.conf").config),
    undefined,
  );
});

Deno.test("http_port alone listens on 127.0.0.1; http_host moves it", () => {
  const worker = parseWorkerConfig(WORKER + "http_port = 9180\n", "w.conf").config;
  assert.deepEqual(httpListenAddress(worker), { hostname: "127.0.0.1", port: 9180 });
  const master = parseMasterConfig(MASTER + "http_port = 9181\nhttp_host = ::1\n", "m.conf").config;
  assert.deepEqual(httpListenAddress(master), { hostname: "::1", port: 9181 });
});

Deno.test("a bad http_port names the key and the file", () => {
  for (const value of ["65536", "-1", "80x", "1.5"]) {
    assert.throws(
      () => parseWorkerConfig(`${WORKER}http_port = ${value}\n`, "/etc/jobd.conf"),
      {
        message: `/etc/jobd.conf: 'http_port' must be 0 (no HTTP server) or a port number ` +
          `from 1 to 65535, got '${value}'`,
      },
    );
  }
  assert.throws(() => parseMasterConfig(`${MASTER}http_port = x\n`, "/etc/jobd-master.conf"), {
    message: /^\/etc\/jobd-master\.conf: 'http_port' must be/,
  });
});

Deno.test("http_port on the protocol's own port and address is refused, naming both keys", () => {
  assert.throws(() => parseWorkerConfig(`${WORKER}http_port = 7080\n`, "/etc/jobd.conf"), {
    message: "/etc/jobd.conf: 'http_port' is 7080, the port of the protocol ('port') too: " +
      "give HTTP a port of its own",
  });
  const everywhere = MASTER.replace("127.0.0.1", "0.0.0.0");
  assert.throws(() => parseMasterConfig(`${everywhere}http_port = 7081\n`, "m.conf"), {
    message: /^m\.conf: 'http_port' is 7081, the port of the protocol/,
  });
  // Another address may use the same port number.
  const apart = parseMasterConfig(`${MASTER}http_port = 7081\nhttp_host = 10.1.2.3\n`, "m.conf");
  assert.deepEqual(httpListenAddress(apart.config), { hostname: "10.1.2.3", port: 7081 });
});
