import assert from "node:assert/strict";
import { escapeHelp, escapeLabelValue, formatValue, renderExposition } from "./exposition.ts";

Deno.test("label values escape backslash, double quote and line feed, nothing else", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  assert.equal(escapeLabelValue("tab\there é ✓ {}=,"), "tab\there é ✓ {}=,");
});

Deno.test("help texts escape backslash and line feed, and keep double quotes", () => {
  assert.equal(escapeHelp('Jobs "started"\\ per\ntarget'), 'Jobs "started"\\\\ per\\ntarget');
});

Deno.test("values: integers and decimals as written, infinities and NaN by name", () => {
  assert.deepEqual(
    [0, 42, 0.25, -3, 1e21, Infinity, -Infinity, NaN].map(formatValue),
    ["0", "42", "0.25", "-3", "1e+21", "+Inf", "-Inf", "NaN"],
  );
});

Deno.test("counters and gauges: HELP, TYPE, then one line per series with its labels", () => {
  const text = renderExposition([
    {
      name: "jobd_jobs_started_total",
      help: "Jobs started",
      type: "counter",
      samples: [
        { labels: { target: "build" }, value: 3 },
        { labels: { target: 'we"ird\\\n' }, value: 1 },
      ],
    },
    {
      name: "jobd_database_up",
      help: "1 when up",
      type: "gauge",
      samples: [{ labels: {}, value: 1 }],
    },
  ]);
  assert.equal(
    text,
    [
      "# HELP jobd_jobs_started_total Jobs started",
      "# TYPE jobd_jobs_started_total counter",
      'jobd_jobs_started_total{target="build"} 3',
      'jobd_jobs_started_total{target="we\\"ird\\\\\\n"} 1',
      "# HELP jobd_database_up 1 when up",
      "# TYPE jobd_database_up gauge",
      "jobd_database_up 1",
      "",
    ].join("\n"),
  );
});

Deno.test("histograms: cumulative _bucket lines with le, +Inf equal to _count, then _sum and _count", () => {
  const text = renderExposition([{
    name: "jobd_job_duration_seconds",
    help: "Run time",
    type: "histogram",
    samples: [{
      labels: { target: "build" },
      bounds: [0.5, 1, 5],
      counts: [2, 0, 1],
      sum: 7.75,
      count: 4,
    }],
  }]);
  assert.equal(
    text,
    [
      "# HELP jobd_job_duration_seconds Run time",
      "# TYPE jobd_job_duration_seconds histogram",
      'jobd_job_duration_seconds_bucket{target="build",le="0.5"} 2',
      'jobd_job_duration_seconds_bucket{target="build",le="1"} 2',
      'jobd_job_duration_seconds_bucket{target="build",le="5"} 3',
      'jobd_job_duration_seconds_bucket{target="build",le="+Inf"} 4',
      'jobd_job_duration_seconds_sum{target="build"} 7.75',
      'jobd_job_duration_seconds_count{target="build"} 4',
      "",
    ].join("\n"),
  );
});

Deno.test("a family with no series still has its HELP and TYPE; nothing at all is empty", () => {
  assert.equal(
    renderExposition([{ name: "x_total", help: "h", type: "counter", samples: [] }]),
    "# HELP x_total h\n# TYPE x_total counter\n",
  );
  assert.equal(renderExposition([]), "");
});
