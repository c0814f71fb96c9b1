import assert from "node:assert/strict";
import type { BenchResult } from "./report.ts";
import { cpuTable, summaryTable } from "./report.ts";
import type { ShapeRun } from "./shape_run.ts";

/** The figures of one run that the summary tables read. */
function run(inGroup: boolean): ShapeRun {
  return {
    variant: "worker",
    shape: "1x4",
    throughput: {
      perSecond: 600,
      statementsPerJob: { questions: 0.64 },
      cpuPerJobMs: { workers: 0.5, launchers: 1.5, master: 0.02, database: 0.25, bench: 0.05 },
    },
    rawSpawn: { perSecond: 1000, spawnerMs: 0.35, launcherMs: 0.75 },
    groupSpawn: inGroup ? { perSecond: 750, spawnerMs: 0.36, launcherMs: 1.45 } : undefined,
    ratios: {
      spawn: 0.6,
      cpu: 0.48,
      spawnInGroup: inGroup ? 0.8 : undefined,
      cpuInGroup: inGroup ? 0.79 : undefined,
      updateSequential: 0,
      updateConcurrent: 0,
    },
    manual: [],
    memory: [],
  } as unknown as ShapeRun;
}

function resultOf(runs: ShapeRun[]): BenchResult {
  return { runs, pokeToStart: [] } as unknown as BenchResult;
}

/** The cells of the table's first data row, by header. */
function firstRow(table: string): Record<string, string> {
  const [headers, , row] = table.split("\n").map((line) =>
    line.split("|").slice(1, -1).map((cell) => cell.trim())
  );
  return Object.fromEntries(headers.map((header, column) => [header, row[column]]));
}

Deno.test("the summary sets a run against the raw spawn plain and in a process group", () => {
  const row = firstRow(summaryTable(resultOf([run(true)])));
  assert.equal(row["raw/s"], "1000");
  assert.equal(row["of raw"], "60.0 %");
  assert.equal(row["raw in group/s"], "750");
  assert.equal(row["of raw in group"], "80.0 %");
  assert.equal(row["CPU ratio in group"], "79.0 %");
});

Deno.test("without the raw spawn in a group the summary keeps the plain columns only", () => {
  const table = summaryTable(resultOf([run(false)]));
  assert.doesNotMatch(table, /in group/);
  assert.equal(firstRow(table)["of raw"], "60.0 %");
  assert.doesNotMatch(cpuTable(resultOf([run(false)])), /group/);
});

Deno.test("the CPU table puts each party's ms per job beside a raw launch's", () => {
  const row = firstRow(cpuTable(resultOf([run(true)])));
  assert.equal(row["worker"], "0.50");
  assert.equal(row["launchers"], "1.50");
  assert.equal(row["database"], "0.25");
  // Worker, launchers, master and database; not the benchmark's own look at the table.
  assert.equal(row["our job"], "2.27");
  assert.equal(row["raw spawner"], "0.35");
  assert.equal(row["raw launcher"], "0.75");
  assert.equal(row["group launcher"], "1.45");
});
