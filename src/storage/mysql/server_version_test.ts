import assert from "node:assert/strict";
import { parseServerVersion, supportsSkipLocked } from "./server_version.ts";

Deno.test("parseServerVersion reads MariaDB version texts", () => {
  assert.deepEqual(parseServerVersion("10.11.19-MariaDB-0+deb12u1"), {
    product: "MariaDB",
    major: 10,
    minor: 11,
    patch: 19,
    text: "10.11.19-MariaDB-0+deb12u1",
  });
  const prefixed = parseServerVersion("5.5.5-10.5.23-MariaDB-log");
  assert.equal(prefixed.product, "MariaDB");
  assert.deepEqual([prefixed.major, prefixed.minor, prefixed.patch], [10, 5, 23]);
});

Deno.test("parseServerVersion reads MySQL version texts", () => {
  const version = parseServerVersion("8.0.36-0ubuntu0.22.04.1");
  assert.equal(version.product, "MySQL");
  assert.deepEqual([version.major, version.minor, version.patch], [8, 0, 36]);
});

Deno.test("SKIP LOCKED is used from MariaDB 10.6 and MySQL 8.0.1 on", () => {
  const skipLocked = (text: string) => supportsSkipLocked(parseServerVersion(text));
  assert.equal(skipLocked("10.5.23-MariaDB"), false);
  assert.equal(skipLocked("10.6.0-MariaDB"), true);
  assert.equal(skipLocked("11.4.2-MariaDB"), true);
  assert.equal(skipLocked("5.7.44"), false);
  assert.equal(skipLocked("8.0.0-dmr"), false);
  assert.equal(skipLocked("8.0.1"), true);
  assert.equal(skipLocked("8.4.0"), true);
  assert.equal(skipLocked("9.1.0"), true);
});
