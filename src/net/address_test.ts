import assert from "node:assert/strict";
import { formatAddress, isLoopback, isSameHost } from "./address.ts";

Deno.test("loopback peers: all of 127.0.0.0/8, ::1 and IPv4-mapped 127.x", () => {
  for (
    const host of [
      "127.0.0.1",
      "127.5.6.7",
      "127.255.255.255",
      "::1",
      "[::1]",
      "0:0:0:0:0:0:0:1",
      "::ffff:127.0.0.1",
      "::FFFF:127.0.0.1",
      "::ffff:127.1.2.3",
    ]
  ) {
    assert.equal(isLoopback(host), true, host);
  }
});

Deno.test("other addresses, private ranges included, are not loopback", () => {
  for (
    const host of [
      "10.0.0.1",
      "128.0.0.1",
      "126.255.255.255",
      "192.168.1.127",
      "1.127.0.0",
      "0.0.0.0",
      "::",
      "::2",
      "::ffff:10.0.0.1",
      "::ffff:128.0.0.1",
      "fe80::1",
      "localhost",
      "",
    ]
  ) {
    assert.equal(isLoopback(host), false, host);
  }
});

Deno.test("formatAddress brackets IPv6 hosts only", () => {
  assert.equal(formatAddress("127.0.0.1", 7080), "127.0.0.1:7080");
  assert.equal(formatAddress("example.org", 7081), "example.org:7081");
  assert.equal(formatAddress("::1", 7080), "[::1]:7080");
});

Deno.test("isSameHost takes an IPv4 address and its IPv4-mapped form for one host", () => {
  assert.equal(isSameHost("10.0.0.5", "::ffff:10.0.0.5"), true);
  assert.equal(isSameHost("::FFFF:127.0.0.1", "127.0.0.1"), true);
  assert.equal(isSameHost("::1", "[::1]"), true);
  assert.equal(isSameHost("10.0.0.5", "10.0.0.6"), false);
  assert.equal(isSameHost("::1", "127.0.0.1"), false);
});
