/**
 * The master's status page (`GET /`): one self-contained HTML document,
 * styles and script inline, no other request than `/api/status` and the
 * actions, so it works offline and is compiled into the binary. The script
 * builds every element with `textContent` (never `innerHTML`): names, job
 * output and errors come from workers and the jobs table.
 *
 * @module
 */

import { CONTROL_PATTERN, escapeCharacter } from "../text.ts";

/** Seconds between the page's refreshes. */
export const STATUS_PAGE_REFRESH_SECONDS = 5;

/** The page's styles; their SHA-256 is allowed by the page's Content-Security-Policy. */
export const STATUS_PAGE_STYLE = `
:root { color-scheme: light dark; --fg: #1d232b; --muted: #66707c; --line: #d9dee4;
  --bg: #ffffff; --panel: #f5f7f9; --bad: #b3261e; --ok: #1e7b34; --warn: #8a5a00; }
@media (prefers-color-scheme: dark) { :root { --fg: #e4e8ec; --muted: #9aa4ae; --line: #39414a;
  --bg: #14181c; --panel: #1c2127; --bad: #ff8a80; --ok: #7cd992; --warn: #f2c46d; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 1em; padding: 12px 20px;
  border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 18px; margin: 0; }
header .muted { margin-left: auto; }
main { padding: 4px 20px 24px; max-width: 1400px; }
h2 { font-size: 15px; margin: 22px 0 8px; }
h2 .count { color: var(--muted); font-weight: normal; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 10px 5px 0; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: .03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.bad { color: var(--bad); font-weight: 600; }
.ok { color: var(--ok); }
.warn { color: var(--warn); }
.empty { color: var(--muted); padding: 6px 0; }
pre { margin: 4px 0 0; padding: 6px 8px; max-height: 12em; overflow: auto; white-space: pre-wrap;
  word-break: break-all; background: var(--panel); border: 1px solid var(--line);
  border-radius: 4px; font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; }
button { font: inherit; padding: 2px 10px; border: 1px solid var(--line); border-radius: 4px;
  background: var(--panel); color: var(--fg); cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
#problems { margin: 12px 0 0; padding: 8px 12px; border: 1px solid var(--bad);
  border-radius: 4px; color: var(--bad); }
#problems:empty, #notice:empty { display: none; }
summary { cursor: pointer; }
#notice { margin: 12px 0 0; padding: 8px 12px; border: 1px solid var(--line); border-radius: 4px; }
main.stale section { opacity: .5; }
td { overflow-wrap: anywhere; }
.chip { display: inline-block; margin: 0 6px 2px 0; max-width: 100%; }
#problems, #notice, .chip { overflow-wrap: anywhere; }
`;

/** The page's script; its SHA-256 is allowed by the page's Content-Security-Policy. */
export const STATUS_PAGE_SCRIPT = `
"use strict";
const REFRESH_MS = ${STATUS_PAGE_REFRESH_SECONDS * 1000};
let timer;

// Control and invisible format characters shown escaped, as jobctl shows them: a name with
// U+202E would show the text after it reversed (a count "12/1" read "1/21").
const HIDDEN = new RegExp(${JSON.stringify(CONTROL_PATTERN)}, "gu");

const escapeCharacter = ${escapeCharacter.toString()};

function shown(text) {
  return text.replace(HIDDEN, escapeCharacter);
}

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" || typeof child === "number" ? shown(String(child)) : child);
  }
  return node;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "-";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m";
  return Math.floor(s / 86400) + "d" + String(Math.floor(s % 86400 / 3600)).padStart(2, "0") + "h";
}

// Longest list shown whole; the rest of a longer one is folded away, so that 200 workers
// failing alike leave the page readable.
const LIST_SHOWN = 10;
// Which folded lists the reader opened: they stay open across refreshes.
const opened = new Set();

function folded(key, summary, ...children) {
  const details = el("details", "", el("summary", "", summary), ...children);
  details.open = opened.has(key);
  details.addEventListener("toggle", () => details.open ? opened.add(key) : opened.delete(key));
  return details;
}

function utc(unix) {
  return new Date(unix * 1000).toISOString().replace("T", " ").replace(/\\.\\d+Z$/, "Z");
}

function when(unix, now) {
  if (!unix) return el("span", "muted", "-");
  const span = el("span", "", unix > now ? "in " + duration(unix - now) : duration(now - unix) + " ago");
  span.title = utc(unix);
  return span;
}

function count(value, classIfAny) {
  if (value === null || value === undefined) return el("td", "num muted", "?");
  return el("td", value > 0 && classIfAny ? "num " + classIfAny : "num", String(value));
}

function table(headers, rows, emptyText) {
  if (rows.length === 0) return el("div", "empty", emptyText);
  const head = el("tr", "");
  for (const header of headers) {
    const numeric = header.endsWith("#");
    head.append(el("th", numeric ? "num" : "", numeric ? header.slice(0, -1) : header));
  }
  return el("table", "", el("thead", "", head), el("tbody", "", ...rows));
}

function section(id, title, size, content) {
  const box = document.getElementById(id);
  box.replaceChildren(el("h2", "", title + " ", el("span", "count", "(" + size + ")")), content);
}

function workersTable(report) {
  const rows = report.workers.map((worker) => {
    const chips = worker.targets.map((target) => {
      const text = target.name + " " + (target.running ?? "?") + "/" + (target.limit ?? "?") +
        (target.paused ? " paused" : "");
      return el("span", target.paused ? "chip warn" : "chip", text);
    });
    const targets = el("td", "", ...chips.slice(0, LIST_SHOWN));
    if (chips.length > LIST_SHOWN) {
      targets.append(folded("targets:" + worker.name, (chips.length - LIST_SHOWN) + " more targets",
        ...chips.slice(LIST_SHOWN)));
    }
    const state = worker.answering
      ? el("td", "ok", "answering" + (worker.pendingResultWrites ? ", " + worker.pendingResultWrites + " results unwritten" : ""))
      : el("td", "bad", "not answering: " + (worker.error || "no answer"));
    return el("tr", "", el("td", "", worker.name), el("td", "", worker.address), targets,
      el("td", "", when(worker.lastHeard, report.time)), state);
  });
  section("workers", "Workers", report.workers.length,
    table(["Name", "Address", "Targets (running/limit)", "Last heard", "State"], rows,
      "No worker is registered."));
}

function targetsTable(report) {
  // Retries are counted only on a table with the column attempts.
  const retries = report.targets.some((target) => target.retrying !== null);
  const rows = report.targets.map((target) => el("tr", "",
    el("td", "", target.name),
    count(target.waiting), count(target.delayed), retries ? count(target.retrying, "warn") : null,
    count(target.running), el("td", "num", String(target.limit)),
    count(target.okLastHour, "ok"), count(target.failedLastHour, "bad"),
    count(target.timedOutLastHour, "bad"),
    el("td", "num", duration(target.oldestWaitingAge)),
    el("td", "", target.workers.length > LIST_SHOWN
      ? folded("workers:" + target.name, target.workers.length + " workers", target.workers.join(", "))
      : target.workers.join(", ") || "none",
      target.pausedOn.length ? el("span", "warn", " (paused on " + target.pausedOn.join(", ") + ")") : null),
  ));
  section("targets", "Targets", report.targets.length,
    table(["Target", "Waiting#", "Delayed#", ...(retries ? ["Retrying#"] : []), "Running#",
      "Limit#", "OK 1h#", "Failed 1h#", "Timed out 1h#", "Oldest waiting#", "Workers"], rows,
      "No target."));
}

function failuresTable(report) {
  const rows = report.failures.map((job) => {
    const output = job.stderrTail === null
      ? el("span", "muted", "stderr not read: " + (job.error || "unknown"))
      : job.stderrTail === "" ? el("span", "muted", "no stderr")
      : el("pre", "stderr", (job.stderrCut ? "…" : "") + job.stderrTail);
    const button = el("button", "retry", "Retry");
    button.dataset.id = String(job.id);
    button.addEventListener("click", () => act(button, "api/retry", { id: job.id }, "Retry job " + job.id));
    const code = job.signal ? job.signal : job.code === null ? "-" : String(job.code);
    const row = el("tr", "", el("td", "num", String(job.id)), el("td", "", job.target),
      el("td", "bad", code), el("td", "", when(job.finished, report.time)), el("td", "", output),
      el("td", "", button));
    row.dataset.id = String(job.id);
    return row;
  });
  section("failures", "Last failures", report.failures.length,
    table(["ID#", "Target", "Code", "Finished", "Stderr (end)", ""], rows, "No failed job."));
}

function schedulesTable(report) {
  const rows = report.schedules.map((schedule) => {
    const button = el("button", schedule.paused ? "resume" : "pause", schedule.paused ? "Resume" : "Pause");
    button.addEventListener("click", () => act(button,
      schedule.paused ? "api/schedule-resume" : "api/schedule-pause", { name: schedule.name },
      (schedule.paused ? "Resume " : "Pause ") + schedule.name));
    const last = schedule.lastJobId === null ? el("span", "muted", "-")
      : el("span", schedule.lastResult === "fail" ? "bad" : schedule.lastResult === "ok" ? "ok" : "",
        "#" + schedule.lastJobId + " " + [schedule.lastStatus || "gone", schedule.lastResult].filter(Boolean).join(" "));
    const state = schedule.problem ? el("span", "bad", schedule.problem)
      : schedule.finished ? el("span", "muted", "finished")
      : schedule.paused ? el("span", "warn", "paused") : el("span", "ok", "active");
    const row = el("tr", "", el("td", "", schedule.name), el("td", "", schedule.target),
      el("td", "", schedule.rule), el("td", "", when(schedule.nextRunAt, report.time)),
      el("td", "", when(schedule.lastRunAt, report.time)), el("td", "", last), el("td", "", state),
      el("td", "", button));
    row.dataset.name = schedule.name;
    return row;
  });
  section("schedules", "Schedules", report.schedules.length,
    table(["Name", "Target", "Rule", "Next run", "Last run", "Last job", "State", ""], rows,
      "No schedule (no worker has a job board)."));
}

function render(report) {
  const problems = report.problems.map((problem) => el("div", "", problem));
  document.getElementById("problems").replaceChildren(...problems.slice(0, LIST_SHOWN),
    ...problems.length > LIST_SHOWN
      ? [folded("problems", (problems.length - LIST_SHOWN) + " more", ...problems.slice(LIST_SHOWN))]
      : []);
  workersTable(report);
  targetsTable(report);
  failuresTable(report);
  schedulesTable(report);
  const updated = document.getElementById("updated");
  updated.textContent = "updated " + utc(report.time);
  updated.className = "muted";
  shownTime = report.time;
  document.querySelector("main").classList.remove("stale");
}

let latest = 0;
// The time of the report shown, so that a failed refresh can say how old it is.
let shownTime = null;

async function refresh() {
  clearTimeout(timer);
  const asked = ++latest;
  try {
    const response = await fetch("api/status", { cache: "no-store", signal: AbortSignal.timeout(30000) });
    if (!response.ok) throw new Error("HTTP " + response.status + ": " + (await response.text()).trim());
    const report = await response.json();
    // An answer overtaken by a later refresh (after an action) is not shown.
    if (asked === latest) render(report);
  } catch (error) {
    if (asked !== latest) return;
    const updated = document.getElementById("updated");
    updated.textContent = "cannot refresh: " + error.message +
      (shownTime === null ? "" : "; the data shown is from " + utc(shownTime));
    updated.className = "bad";
    // The tables stay, greyed: what was last known, not what is now.
    document.querySelector("main").classList.add("stale");
  } finally {
    if (asked === latest) {
      clearTimeout(timer);
      timer = setTimeout(refresh, REFRESH_MS);
    }
  }
}

function notice(text, bad) {
  const box = document.getElementById("notice");
  box.replaceChildren(el("span", bad ? "bad" : "", text));
}

async function act(button, path, body, what) {
  button.disabled = true;
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({ error: "HTTP " + response.status }));
    if (!response.ok || answer.error) throw new Error(answer.error || "HTTP " + response.status);
    const errors = answer.errors ? Object.values(answer.errors) : [];
    if (errors.length > 0) notice(what + ": " + errors.join("; "), true);
    else notice(what + ": done" + (answer.retried ? ", waiting again" : ""), false);
  } catch (error) {
    notice(what + " failed: " + error.message, true);
  } finally {
    button.disabled = false;
    refresh();
  }
}

document.getElementById("updated").textContent = "loading…";
refresh();
`;

/** The whole page. */
export const STATUS_PAGE_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>jobd-master status</title>
<style>${STATUS_PAGE_STYLE}</style>
</head>
<body>
<header><h1>jobd-master</h1><span id="updated" class="muted"></span></header>
<main>
<noscript><p>This page needs JavaScript. Without it, read its data as JSON at
<a href="api/status">api/status</a>, the metrics at <a href="metrics">metrics</a>, or run
<code>jobctl --master status</code>.</p></noscript>
<div id="problems"></div>
<div id="notice"></div>
<section id="workers"></section>
<section id="targets"></section>
<section id="failures"></section>
<section id="schedules"></section>
</main>
<script>${STATUS_PAGE_SCRIPT}</script>
</body>
</html>
`;
