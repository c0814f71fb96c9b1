import assert from "node:assert/strict";
import { parseMasterConfig } from "./config/master_config.ts";
import { parseWorkerConfig } from "./config/worker_config.ts";
import {
  describeStorage,
  masterSummary,
  storageAddress,
  workerSummary,
  workerSummaryItems,
} from "./daemon_summary.ts";
import { NO_TIME_FEATURES } from "./storage/time_columns.ts";
import { VERSION } from "./version.ts";

const { config } = parseWorkerConfig(
  `host = 0.0.0.0
port = 7080
name = w1
storage = sqlite
sqlite_path = /var/lib/jobd/jobs.db
launcher = run {id}
password = secret-value
master_host = 10.0.0.5
master_port = 7081
timeout = 600
schedules = /etc/jobd-board.ini

[targets]
build = 4
mail = 1
`,
  "/etc/jobd.conf",
);

Deno.test("the worker's line: version, name, address, storage, targets, master, features", () => {
  const line = workerSummary({
    config,
    listening: { hostname: "0.0.0.0", port: 7080 },
    store: { timeFeatures: { ...NO_TIME_FEATURES, deferred: true }, tracksOwner: true },
    schedules: 3,
  });
  assert.equal(
    line,
    `jobd ${VERSION} (worker w1) started: listening on 0.0.0.0:7080; ` +
      "storage sqlite /var/lib/jobd/jobs.db, table jobs; targets build (4), mail (1); " +
      "master 10.0.0.5:7081; features time columns (deferred jobs), worker column, " +
      "timeout 600 s, job board /etc/jobd-board.ini (3 schedules), poll every 60 s, password",
  );
  assert.doesNotMatch(line, /secret-value/);
});

Deno.test("without a store (check-config) the table's features are left out", () => {
  const features = workerSummaryItems({ config }).find((item) => item.name === "features");
  assert.equal(
    features?.value,
    "timeout 600 s, job board /etc/jobd-board.ini, poll every 60 s, password",
  );
});

Deno.test("a running worker whose job board was refused says that the board is not used", () => {
  const features = workerSummaryItems({
    config,
    store: { timeFeatures: NO_TIME_FEATURES, tracksOwner: false },
  }).find((item) => item.name === "features");
  assert.equal(
    features?.value,
    "timeout 600 s, job board /etc/jobd-board.ini (not used: it has problems, logged above), " +
      "poll every 60 s, password",
  );
});

Deno.test("storages in words", () => {
  const mysql = {
    kind: "mysql",
    host: "db.example",
    port: 3306,
    user: "jobd",
    password: "x",
    database: "app",
    table: "jobs",
  } as const;
  assert.equal(storageAddress(mysql), "db.example:3306/app");
  assert.equal(describeStorage(mysql), "mysql jobd@db.example:3306/app, table jobs");
  assert.equal(storageAddress({ ...mysql, host: "::1" }), "[::1]:3306/app");
});

Deno.test("the master's line: version, address, ping interval, features", () => {
  const master = parseMasterConfig("host = 127.0.0.1\nport = 7081\n", "/etc/jobd-master.conf");
  assert.equal(
    masterSummary({ config: master.config }),
    `jobd-master ${VERSION} started: listening on 127.0.0.1:7081; pings workers every ` +
      `${master.config.pingInterval} s; features none`,
  );
});
