import assert from "node:assert/strict";
import { MetricsRegistry } from "./registry.ts";

Deno.test("counters add per label set, in the order labels were declared", async () => {
  const registry = new MetricsRegistry();
  const finished = registry.counter("t_finished_total", "Finished", ["target", "result"]);
  finished.inc({ result: "ok", target: "a" });
  finished.inc({ target: "a", result: "ok" }, 2);
  finished.inc({ target: "a", result: "fail" });
  finished.touch({ target: "b", result: "ok" });
  assert.equal(
    await registry.expose(),
    "# HELP t_finished_total Finished\n# TYPE t_finished_total counter\n" +
      't_finished_total{target="a",result="ok"} 3\n' +
      't_finished_total{target="a",result="fail"} 1\n' +
      't_finished_total{target="b",result="ok"} 0\n',
  );
  assert.throws(() => finished.inc({ target: "a", result: "ok" }, -1), /cannot go down/);
  assert.throws(() => finished.inc({ target: "a" } as never), /needs the label 'result'/);
});

Deno.test("histograms count each observation in the first bucket that holds it", async () => {
  const registry = new MetricsRegistry();
  const duration = registry.histogram("t_seconds", "Seconds", ["target"], [1, 10]);
  for (const value of [0.5, 1, 3, 100]) duration.observe({ target: "a" }, value);
  const text = await registry.expose();
  assert.match(text, /t_seconds_bucket\{target="a",le="1"\} 2\n/);
  assert.match(text, /t_seconds_bucket\{target="a",le="10"\} 3\n/);
  assert.match(text, /t_seconds_bucket\{target="a",le="\+Inf"\} 4\n/);
  assert.match(text, /t_seconds_sum\{target="a"\} 104.5\n/);
  assert.match(text, /t_seconds_count\{target="a"\} 4\n/);
  assert.throws(() => registry.histogram("t_bad", "x", [], [2, 1]), /ascending/);
});

Deno.test("collectors set gauges before each scrape; a failing one leaves the rest", async () => {
  const registry = new MetricsRegistry();
  const running = registry.gauge("t_running", "Running", ["target"]);
  let targets = ["a", "b"];
  registry.collect(() => {
    running.reset();
    for (const target of targets) running.set({ target }, target.length);
  });
  registry.collect(() => Promise.reject(new Error("database away")));
  const errors: unknown[] = [];
  assert.match(await registry.expose((error) => errors.push(error)), /t_running\{target="b"\} 1/);
  targets = ["c"];
  const text = await registry.expose((error) => errors.push(error));
  assert.doesNotMatch(text, /target="b"/);
  assert.match(text, /t_running\{target="c"\} 1/);
  assert.equal(errors.length, 2);
});

Deno.test("names are checked, and a name is defined once", () => {
  const registry = new MetricsRegistry();
  assert.throws(() => registry.gauge("1bad", "x"), /Invalid metric name/);
  assert.throws(() => registry.gauge("ok_name", "x", ["le"]), /Invalid label name 'le'/);
  registry.gauge("twice", "x");
  assert.throws(() => registry.counter("twice", "x"), /defined twice/);
});

Deno.test("label values written alike are one series: a lone surrogate is written as U+FFFD", async () => {
  const registry = new MetricsRegistry();
  const up = registry.gauge("t_up", "Up", ["worker"]);
  up.set({ worker: "w\uD800" }, 1);
  up.set({ worker: "w\uDBFF" }, 0);
  assert.equal(
    await registry.expose(),
    '# HELP t_up Up\n# TYPE t_up gauge\nt_up{worker="w\uFFFD"} 0\n',
  );
});
