import assert from "node:assert/strict";
import type { LogLevel as LogTapeLevel, LogRecord } from "@logtape/logtape";
import { lineFormatter, syslogPriority } from "./log_format.ts";

function record(
  level: LogTapeLevel,
  category: string[],
  properties: Record<string, unknown> = {},
): LogRecord {
  const value = properties.value;
  return {
    category,
    level,
    message: value === undefined ? ["Job ended"] : ["Job ended: ", value, ""],
    rawMessage: value === undefined ? "Job ended" : "Job ended: {value}",
    timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    properties,
  };
}

Deno.test("text lines carry a timestamp, the level and the category", () => {
  const line = lineFormatter({ format: "text" })(record("warning", ["jobd", "worker"]));
  assert.match(line, /^2026-01-02 03:04:05\.678 \+00:00 \[WRN\] jobd·worker: Job ended\n$/);
});

Deno.test("a notice is shown as NTC, without 'notice' in its category", () => {
  const line = lineFormatter({ format: "text" })(record("info", ["jobd", "notice", "daemon"]));
  assert.match(line, /\[NTC\] jobd·daemon: Job ended$/m);
});

Deno.test("journal lines begin with the syslog priority and carry no timestamp", () => {
  const format = lineFormatter({ format: "text", journal: true });
  assert.equal(format(record("error", ["jobd"])), "<3>[ERR] jobd: Job ended\n");
  assert.equal(format(record("warning", ["jobd"])), "<4>[WRN] jobd: Job ended\n");
  assert.equal(format(record("info", ["jobd", "notice"])), "<5>[NTC] jobd: Job ended\n");
  assert.equal(format(record("info", ["jobd"])), "<6>[INF] jobd: Job ended\n");
  assert.equal(format(record("debug", ["jobd"])), "<7>[DBG] jobd: Job ended\n");
  assert.equal(format(record("trace", ["jobd"])), "<7>[TRC] jobd: Job ended\n");
});

Deno.test("syslog priorities follow the levels", () => {
  assert.equal(syslogPriority(record("fatal", ["jobd"])), 3);
  assert.equal(syslogPriority(record("info", ["jobd", "notice"])), 5);
});

Deno.test("json lines are one object each: timestamp, level, message, logger, properties", () => {
  const line = lineFormatter({ format: "json" })(
    record("warning", ["jobd", "worker"], { value: "x", id: 5 }),
  );
  assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"));
  assert.deepEqual(JSON.parse(line), {
    "@timestamp": "2026-01-02T03:04:05.678Z",
    level: "WARN",
    message: "Job ended: x",
    logger: "jobd.worker",
    properties: { value: "x", id: 5 },
  });
});

Deno.test("a json notice has the level NOTICE; in the journal the line keeps its prefix", () => {
  const line = lineFormatter({ format: "json", journal: true })(
    record("info", ["jobd", "notice", "daemon"]),
  );
  assert.match(line, /^<5>\{/);
  const object = JSON.parse(line.slice(3));
  assert.equal(object.level, "NOTICE");
  assert.equal(object.logger, "jobd.daemon");
});

Deno.test("json values are bounded and line breaks stay escaped", () => {
  const long = "a".repeat(5000) + "\n";
  const line = lineFormatter({ format: "json" })(
    record("info", ["jobd"], { value: long, error: new Error("boom") }),
  );
  assert.ok(!line.slice(0, -1).includes("\n"));
  const object = JSON.parse(line);
  assert.match(object.properties.value, /^a{1000}…\[jobd: 4001 more characters\]$/);
  assert.match(object.properties.error, /Error: boom/);
  assert.ok(object.message.length < 1100);
});
