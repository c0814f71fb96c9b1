/**
 * Jobs a killed worker left running (README.md, "Jobs and their processes").
 *
 * Each job runs in a session of its own, so a worker killed with SIGKILL
 * cannot take its jobs with it. Every launcher gets variables naming its
 * worker, table and job id ({@linkcode jobVariables}), which its children
 * inherit. At start-up, holding the lock on its name and before recovering
 * the rows it left `running`, the worker looks through /proc for processes
 * carrying its own name and table and the id of such a row, and ends their
 * process groups: SIGTERM, SIGKILL after the job's `timeout_grace`, then it
 * waits until they are gone. Only then is a row requeued or retried, so no
 * job runs twice at once.
 *
 * Deno reads nothing under /proc without `--allow-all`, so one `grep` (run
 * by `sh`, for the glob) reads the `stat` and the jobd variables of every
 * process: one child process per look, whatever the number of processes.
 * A process is known by its pid and start time (`stat` field 22), never by
 * its pid alone: a group is signalled only while a process seen carrying the
 * job's variables is still in it.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { StorageConfig } from "../config/worker_config.ts";
import { storageAddress } from "../daemon_summary.ts";
import { messageOf } from "../text.ts";

const log = getLogger(["jobd", "worker", "recovery"]);

/** How often the worker looks whether the groups it signalled are gone. */
const LEFTOVER_POLL_MS = 100;

/** How long a group may outlive its SIGKILL before the worker recovers its row without it. */
const LEFTOVER_KILL_WAIT_MS = 30_000;

/** The variable naming the worker (its `name`) in each job's environment. */
const WORKER_VARIABLE = "JOBD_WORKER";
/** The variable naming the jobs table (see {@linkcode tableIdentity}) in each job's environment. */
const TABLE_VARIABLE = "JOBD_TABLE";
/** The variable holding the job's id in each job's environment. */
const JOB_ID_VARIABLE = "JOBD_JOB_ID";

/** Which worker a job belongs to: the worker's name and its jobs table. */
export interface WorkerIdentity {
  worker: string;
  table: string;
}

/**
 * The jobs table as the jobs' environment names it: `HOST:PORT/DATABASE.TABLE`
 * for MySQL, `PATH:TABLE` for SQLite. With the worker's name, the same key as
 * the lock on the name: one worker at a time holds it.
 */
export function tableIdentity(storage: StorageConfig): string {
  return storage.kind === "mysql"
    ? `${storageAddress(storage)}.${storage.table}`
    : `${storage.path}:${storage.table}`;
}

/** The variables the launcher of job `jobId` gets on top of the configured ones. */
export function jobVariables(identity: WorkerIdentity, jobId: number): Record<string, string> {
  return {
    [WORKER_VARIABLE]: identity.worker,
    [TABLE_VARIABLE]: identity.table,
    [JOB_ID_VARIABLE]: String(jobId),
  };
}

/** One process as /proc shows it. */
export interface ProcessInfo {
  pid: number;
  /** Its process group. */
  pgid: number;
  /** Clock ticks since boot when it started: with the pid, tells it from a later process. */
  startTime: string;
  /** Exited, not yet reaped: nothing left to end. */
  zombie: boolean;
  /** The jobd variables of its environment (only those). */
  env: Map<string, string>;
}

/** Every process of the system, by pid. */
export type ProcessSnapshot = Map<number, ProcessInfo>;

/** Reads the processes now; throws with the reason when they cannot be read. */
export type ReadProcesses = () => Promise<ProcessSnapshot>;

// Records are NUL-terminated (`-z`), each `/proc/PID/FILE:CONTENT` (`-H`).
const SCAN_SCRIPT = `exec grep -s -a -z -H -e '^${WORKER_VARIABLE}=' -e '^${TABLE_VARIABLE}=' ` +
  `-e '^${JOB_ID_VARIABLE}=' -e '^[0-9]' /proc/[0-9]*/stat /proc/[0-9]*/environ`;

/** Bound on what one look at /proc may read (about 300 bytes per process). */
const MAX_SCAN_BYTES = 64 * 1024 * 1024;

/**
 * Reads every process's group, start time, state and jobd variables from
 * /proc, through `sh` and `grep`. Throws when this is not Linux, or when
 * /proc cannot be read (the worker's own process is not in what was read).
 */
export async function readProcesses(): Promise<ProcessSnapshot> {
  if (Deno.build.os !== "linux") {
    throw new Error(`there is no /proc on ${Deno.build.os}`);
  }
  const { code, stdout, stderr } = await new Deno.Command("/bin/sh", {
    args: ["-c", SCAN_SCRIPT],
    env: { LC_ALL: "C" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  // grep: 0 = found, 1 = nothing found, 2 = some file was not readable (a process that ended).
  if (code > 2) {
    const said = new TextDecoder().decode(stderr).trim().slice(0, 500);
    throw new Error(`'sh -c "grep ... /proc/[0-9]*/environ"' exited with ${code}: ${said}`);
  }
  if (stdout.length > MAX_SCAN_BYTES) {
    throw new Error(`/proc gave more than ${MAX_SCAN_BYTES} bytes of process data`);
  }
  const snapshot = parseProcesses(new TextDecoder().decode(stdout));
  if (!snapshot.has(Deno.pid)) {
    throw new Error(`/proc/${Deno.pid}/stat, the worker's own, could not be read`);
  }
  return snapshot;
}

/** Parses the records of {@linkcode SCAN_SCRIPT}. */
export function parseProcesses(text: string): ProcessSnapshot {
  const snapshot: ProcessSnapshot = new Map();
  const envs = new Map<number, Map<string, string>>();
  for (const record of text.split("\0")) {
    const match = /^\/proc\/(\d+)\/(stat|environ):/.exec(record);
    if (match === null) continue;
    const pid = Number(match[1]);
    const content = record.slice(match[0].length);
    if (match[2] === "environ") {
      const equals = content.indexOf("=");
      if (equals < 0) continue;
      const env = envs.get(pid) ?? new Map<string, string>();
      env.set(content.slice(0, equals), content.slice(equals + 1));
      envs.set(pid, env);
      continue;
    }
    // `PID (COMM) STATE PPID PGRP SESSION ...`: COMM may hold spaces and parentheses.
    const fields = content.slice(content.lastIndexOf(")") + 2).trimEnd().split(" ");
    const pgid = Number(fields[2]);
    const startTime = fields[19];
    if (!Number.isSafeInteger(pgid) || pgid <= 0 || startTime === undefined) continue;
    snapshot.set(pid, { pid, pgid, startTime, zombie: fields[0] === "Z", env: new Map() });
  }
  for (const [pid, env] of envs) {
    const process = snapshot.get(pid);
    if (process) process.env = env;
  }
  return snapshot;
}

/** A job whose row was left `running`, and how long its processes get after SIGTERM. */
export interface LeftoverCandidate {
  id: number;
  graceSeconds: number;
}

/** Options of {@linkcode endLeftoverJobs}, for tests. */
export interface EndLeftoversOptions {
  readProcesses?: ReadProcesses;
  /** How often to look whether the groups are gone, in ms. */
  pollMs?: number;
  /** How long a group may outlive its SIGKILL before the worker goes on without it, in ms. */
  afterKillMs?: number;
}

/** A process group of a leftover job, known by the processes seen in it. */
interface LeftoverGroup {
  jobId: number;
  pgid: number;
  /**
   * `pid:startTime` of its processes at the last look: the group is the same
   * while one of them is still in it (its id may be reused once it is gone).
   */
  members: Set<string>;
  /** When it gets SIGKILL (ms since the epoch); undefined once it got it. */
  killAt: number | undefined;
  /** When the worker stops waiting for it. */
  giveUpAt: number;
}

const memberKey = (process: ProcessInfo) => `${process.pid}:${process.startTime}`;

/**
 * Ends the processes that the previous instance of this worker (the same
 * name and table) left running for the jobs `jobs`: SIGTERM to each of their
 * process groups, SIGKILL after the job's grace, and waits until they are
 * gone (or have outlived the SIGKILL by `afterKillMs`). Logs a warning per
 * job found. When /proc cannot be read, logs a warning naming the jobs and
 * returns. Never throws.
 *
 * @returns the ids of the jobs whose processes were found
 */
export async function endLeftoverJobs(
  identity: WorkerIdentity,
  jobs: readonly LeftoverCandidate[],
  options: EndLeftoversOptions = {},
): Promise<number[]> {
  if (jobs.length === 0) return [];
  const read = options.readProcesses ?? readProcesses;
  const pollMs = options.pollMs ?? LEFTOVER_POLL_MS;
  const afterKillMs = options.afterKillMs ?? LEFTOVER_KILL_WAIT_MS;
  const graces = new Map(jobs.map((job) => [job.id, job.graceSeconds]));
  let snapshot: ProcessSnapshot;
  try {
    snapshot = await read();
  } catch (error) {
    log.warn(
      "Cannot look for processes a killed worker left running for jobs {ids} ({reason}): " +
        "if they still run, their jobs may run twice at once after recovery",
      { ids: jobs.map((job) => job.id).join(", "), reason: messageOf(error) },
    );
    return [];
  }
  const groups = findGroups(identity, graces, snapshot);
  if (groups.length === 0) return [];
  const now = Date.now();
  const byJob = new Map<number, LeftoverGroup[]>();
  for (const group of groups) {
    const grace = (graces.get(group.jobId) ?? 0) * 1000;
    group.killAt = now + grace;
    group.giveUpAt = now + grace + afterKillMs;
    byJob.set(group.jobId, [...byJob.get(group.jobId) ?? [], group]);
  }
  for (const [id, jobGroups] of byJob) {
    log.warn(
      "Job {id} was left running by a killed worker (pid {pids}): ending it before its row is " +
        "recovered, with SIGTERM to its process group and SIGKILL after {grace} s",
      { id, pids: jobGroups.map((group) => group.pgid).join(", "), grace: graces.get(id) },
    );
  }
  let waiting = groups.filter((group) => signal(group, "SIGTERM"));
  while (waiting.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    try {
      snapshot = await read();
    } catch (error) {
      log.warn("Cannot look whether the leftover jobs {ids} are gone: {reason}", {
        ids: [...new Set(waiting.map((group) => group.jobId))].join(", "),
        reason: messageOf(error),
      });
      break;
    }
    const time = Date.now();
    waiting = waiting.filter((group) => {
      if (!stillThere(group, snapshot)) return false;
      if (group.killAt !== undefined && time >= group.killAt) {
        group.killAt = undefined;
        signal(group, "SIGKILL");
      } else if (time >= group.giveUpAt) {
        log.error(
          "The process group {pgid} of job {id}, left by a killed worker, outlived its SIGKILL " +
            "by {seconds} s: recovering the row without waiting longer",
          { pgid: group.pgid, id: group.jobId, seconds: afterKillMs / 1000 },
        );
        return false;
      }
      return true;
    });
  }
  return [...byJob.keys()];
}

/** The groups of processes carrying `identity` and the id of one of `jobs`, but not the worker's own. */
function findGroups(
  identity: WorkerIdentity,
  jobs: ReadonlyMap<number, number>,
  snapshot: ProcessSnapshot,
): LeftoverGroup[] {
  const ownGroup = snapshot.get(Deno.pid)?.pgid;
  const groups = new Map<number, LeftoverGroup>();
  for (const process of snapshot.values()) {
    if (process.zombie || process.pgid === ownGroup) continue;
    if (process.env.get(WORKER_VARIABLE) !== identity.worker) continue;
    if (process.env.get(TABLE_VARIABLE) !== identity.table) continue;
    const text = process.env.get(JOB_ID_VARIABLE) ?? "";
    const jobId = /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : NaN;
    if (!jobs.has(jobId)) continue;
    const group = groups.get(process.pgid) ??
      { jobId, pgid: process.pgid, members: new Set(), killAt: 0, giveUpAt: 0 };
    groups.set(process.pgid, group);
  }
  // The group's other processes too: those that dropped the variables are still the job's.
  for (const group of groups.values()) stillThere(group, snapshot);
  return [...groups.values()];
}

/**
 * Whether the group still has a live process that was in it at the last
 * look; its processes now become the ones it is known by.
 */
function stillThere(group: LeftoverGroup, snapshot: ProcessSnapshot): boolean {
  const now = [...snapshot.values()]
    .filter((process) => process.pgid === group.pgid && !process.zombie)
    .map(memberKey);
  if (group.members.size > 0 && !now.some((key) => group.members.has(key))) return false;
  group.members = new Set(now);
  return now.length > 0;
}

/** Signals the group; false when it is gone. */
function signal(group: LeftoverGroup, sig: Deno.Signal): boolean {
  if (group.pgid <= 1) return false;
  try {
    Deno.kill(-group.pgid, sig);
    return true;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      log.warn("Cannot send {signal} to the process group {pgid} of job {id}: {reason}", {
        signal: sig,
        pgid: group.pgid,
        id: group.jobId,
        reason: messageOf(error),
      });
    }
    return false;
  }
}
