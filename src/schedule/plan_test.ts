import assert from "node:assert/strict";
import { parseBoard, type Schedule } from "./board.ts";
import { planFire, type ScheduleState } from "./plan.ts";

function schedule(lines: string): Schedule {
  return parseBoard(`[s]\ntarget = t\n${lines}\n`, "board.ini").schedules[0];
}

function state(fields: Partial<ScheduleState> = {}): ScheduleState {
  return {
    name: "s",
    ruleHash: "",
    nextRunAt: 1000,
    lastRunAt: null,
    lastJobId: null,
    runs: 0,
    paused: false,
    ...fields,
  };
}

Deno.test("a slot not yet due plans nothing", () => {
  assert.equal(planFire(schedule("every = 10s"), state(), 999, false), undefined);
});

Deno.test("a slot on time gets one row and the next slot follows it", () => {
  const plan = planFire(schedule("every = 10s"), state(), 1000, false);
  assert.deepEqual(plan, { slots: [1000], nextRunAt: 1010, passed: 0 });
});

Deno.test("after downtime, catchup = latest runs the most recent missed slot once", () => {
  const plan = planFire(schedule("every = 10s"), state(), 1055, false);
  assert.deepEqual(plan, { slots: [1050], nextRunAt: 1060, passed: 5 });
});

Deno.test("after downtime, catchup = none runs no missed slot", () => {
  const plan = planFire(schedule("every = 10s\ncatchup = none"), state(), 1055, false);
  assert.deepEqual(plan, { slots: [], nextRunAt: 1060, passed: 6 });
  const onTime = planFire(schedule("every = 10s\ncatchup = none"), state(), 1001, false);
  assert.deepEqual(onTime?.slots, [1000], "a slot reached a second late is on time");
});

Deno.test("after downtime, catchup = all runs every missed slot within catchup_window", () => {
  const all = planFire(schedule("every = 10s\ncatchup = all"), state(), 1055, false);
  assert.deepEqual(all?.slots, [1000, 1010, 1020, 1030, 1040, 1050]);
  const windowed = planFire(
    schedule("every = 10s\ncatchup = all\ncatchup_window = 25s"),
    state(),
    1055,
    false,
  );
  assert.deepEqual(windowed?.slots, [1030, 1040, 1050]);
  assert.equal(windowed?.nextRunAt, 1060);
});

Deno.test("overlap = skip lets a slot pass while the last job is unfinished; allow runs it", () => {
  assert.deepEqual(planFire(schedule("every = 10s"), state(), 1000, true)?.slots, []);
  assert.equal(planFire(schedule("every = 10s"), state(), 1000, true)?.nextRunAt, 1010);
  assert.deepEqual(
    planFire(schedule("every = 10s\noverlap = allow"), state(), 1000, true)?.slots,
    [1000],
  );
});

Deno.test("a paused schedule lets its slots pass", () => {
  const plan = planFire(schedule("every = 10s"), state({ paused: true }), 1000, false);
  assert.deepEqual(plan, { slots: [], nextRunAt: 1010, passed: 1 });
});

Deno.test("max_runs ends the schedule; stop ends its slots", () => {
  assert.equal(
    planFire(schedule("every = 10s\nmax_runs = 2"), state({ runs: 2 }), 1000, false),
    undefined,
  );
  const all = planFire(schedule("every = 10s\nmax_runs = 2\ncatchup = all"), state(), 1055, false);
  assert.deepEqual(all?.slots, [1000, 1010]);
  const stopped = schedule("every = 10s\nstop = 1970-01-01T00:16:50Z"); // 1010
  assert.deepEqual(planFire(stopped, state(), 1055, false)?.slots, [1010]);
  assert.equal(planFire(stopped, state({ nextRunAt: 1020 }), 1055, false), undefined);
});

Deno.test("decay stretches the interval after each run", () => {
  const decaying = schedule("every = 10s\ndecay = 2\nevery_max = 30s");
  assert.equal(planFire(decaying, state({ runs: 0 }), 1000, false)?.nextRunAt, 1020);
  assert.equal(planFire(decaying, state({ runs: 1 }), 1000, false)?.nextRunAt, 1030);
  assert.equal(planFire(decaying, state({ runs: 5 }), 1000, false)?.nextRunAt, 1030);
});

Deno.test("after a gap of more slots than a firing reads, one row runs and the next slot is after now", () => {
  // A schedule every second, its worker down for a month: catchup = latest runs one row, for the
  // last slot before now, and the schedule goes on from the next second, not from an old slot
  // (which would fire again at once, and again, each firing with a row of its own).
  const month = 30 * 86_400;
  const everySecond = schedule("every = 1s\noverlap = allow");
  const plan = planFire(everySecond, state(), 1000 + month, false);
  assert.deepEqual(plan?.slots, [1000 + month]);
  assert.equal(plan?.nextRunAt, 1001 + month);
  assert.equal(plan?.gapSkipped, true, "the log says that more slots passed than it counts");
  const all = planFire(
    schedule("every = 1s\ncatchup = all\ncatchup_window = 3s"),
    state(),
    1000 + month,
    false,
  );
  assert.deepEqual(all?.slots, [997 + month, 998 + month, 999 + month, 1000 + month]);
  const none = planFire(schedule("every = 1s\ncatchup = none"), state(), 1000.5 + month, false);
  assert.deepEqual(none?.slots, [1000 + month]);
});

Deno.test("a gap longer than the catchup window keeps every's alignment and cron's slots", () => {
  const aligned = schedule("every = 10s\nstart = 1970-01-01T00:00:05Z");
  const plan0 = planFire(aligned, state({ nextRunAt: 5 }), 1_000_000, false);
  assert.deepEqual(plan0?.slots, [999_995]);
  assert.equal(plan0?.nextRunAt, 1_000_005);
  const daily = schedule("cron = 30 2 * * *");
  const day = 86_400;
  const plan = planFire(daily, state({ nextRunAt: 2.5 * 3600 }), 400 * day + 3 * 3600, false);
  assert.deepEqual(plan?.slots, [400 * day + 2.5 * 3600], "the last 02:30 before now");
  assert.equal(plan?.nextRunAt, 401 * day + 2.5 * 3600);
});

Deno.test("a gap that crosses stop runs the last slot before stop", () => {
  const stopped = schedule("every = 10s\nstop = 1970-01-02T00:00:00Z"); // 86400
  const plan = planFire(stopped, state(), 10 * 86_400, false);
  assert.deepEqual(plan?.slots, [86_400]);
  assert.ok((plan?.nextRunAt ?? 0) > 86_400, "then it is finished");
});
