/**
 * Every jobctl command, for the worker and for the master (`--master`): its
 * arguments, help and example, the request it sends and how it shows the
 * answer. Help texts are built from this table.
 *
 * @module
 */

import type { MasterClient, WorkerClient } from "../net/client.ts";
import type {
  MasterSendSignalResult,
  MasterStatus,
  RunManualResult,
  WorkerStatus,
} from "../protocol/requests.ts";
import {
  type Command,
  type CommandSpec,
  defineCommand,
  type Mode,
  UnexpectedAnswerError,
} from "./command.ts";
import { controlCommands, targetsWithWaiting } from "./control_commands.ts";
import { targetsWithWaitingTable } from "./control_reports.ts";
import { isPlainObject } from "../text.ts";
import { confirmed, quoteList } from "./format.ts";
import {
  readConcurrency,
  readJobId,
  readSignal,
  readTarget,
  readTargets,
  refuseDuplicateIds,
  type SignalValue,
  splitFields,
} from "./operands.ts";
import {
  memoryTable,
  registeredWorkersTable,
  runManualReport,
  signalsReport,
  workersTable,
} from "./reports.ts";
import { MASTER_SCHEDULE_COMMANDS, WORKER_SCHEDULE_COMMANDS } from "./schedule_commands.ts";
import { UsageError } from "./usage_error.ts";

/** Requires exactly `names.length` arguments. */
function exactly(command: string, args: readonly string[], names: readonly string[]): void {
  if (args.length !== names.length) {
    const wanted = names.length === 0
      ? "no arguments"
      : `${names.length} argument${names.length === 1 ? "" : "s"} (${names.join(" ")})`;
    throw new UsageError(`'${command}' takes ${wanted}, got ${args.length}`, { command });
  }
}

/** Requires at least one argument. */
function atLeastOne(command: string, args: readonly string[], what: string): void {
  if (args.length === 0) {
    throw new UsageError(`'${command}' needs at least one ${what}`, { command });
  }
}

function noArguments(args: readonly string[], command: string): void {
  exactly(command, args, []);
}

/** Optional targets: none means all. */
function optionalTargets(args: readonly string[], command: string): string[] | undefined {
  return args.length === 0 ? undefined : readTargets(command, args);
}

function someTargets(args: readonly string[], command: string): string[] {
  atLeastOne(command, args, "target");
  return readTargets(command, args);
}

function jobIds(args: readonly string[], command: string): number[] {
  atLeastOne(command, args, "job id");
  const ids = args.map((arg) => readJobId(command, arg));
  refuseDuplicateIds(command, ids);
  return ids;
}

/** `TARGET N`: a target and its concurrency. */
function targetAndConcurrency(
  args: readonly string[],
  command: string,
): { target: string; concurrency: number } {
  exactly(command, args, ["TARGET", "N"]);
  return { target: readTarget(command, args[0]), concurrency: readConcurrency(command, args[1]) };
}

/** `"ok"`, as the daemon answers a request with nothing to report. */
const OK = "ok";

/** The `execute` of a request with nothing to report: sends it, then resolves with {@linkcode OK}. */
function thenOk<C, P>(
  send: (client: C, params: P) => Promise<void>,
): (client: C, params: P) => Promise<typeof OK> {
  return async (client, params) => {
    await send(client, params);
    return OK;
  };
}

/** The worker's `status`; a master's (it lists `workers`) or any other answer is refused. */
async function workerStatus(client: WorkerClient): Promise<WorkerStatus> {
  const status: unknown = await client.status();
  if (isPlainObject(status) && isPlainObject(status.targets)) {
    return status as unknown as WorkerStatus;
  }
  throw new UnexpectedAnswerError(
    isPlainObject(status) && Array.isArray(status.workers)
      ? "it answers like a master: add --master"
      : "expected a worker's status, with 'targets'",
  );
}

/** The master's `status`; a worker's (it lists `targets`) or any other answer is refused. */
async function masterStatus(client: MasterClient, pollWorkers: boolean): Promise<MasterStatus> {
  const status: unknown = await client.status(pollWorkers);
  if (isPlainObject(status) && Array.isArray(status.workers)) {
    return status as unknown as MasterStatus;
  }
  throw new UnexpectedAnswerError(
    isPlainObject(status) && isPlainObject(status.targets)
      ? "it answers like a worker: leave out --master"
      : "expected a master's status, with 'workers'",
  );
}

function targetsPhrase(targets: readonly string[] | undefined, all: string): string {
  return targets === undefined ? all : quoteList(targets);
}

const worker = <P, D>(spec: CommandSpec<"worker", P, D>) => defineCommand("worker", spec);
const master = <P, D>(spec: CommandSpec<"master", P, D>) => defineCommand("master", spec);

/** The worker's commands, in help order. */
export const WORKER_COMMANDS: readonly Command<"worker">[] = [
  worker({
    name: "list-targets",
    args: "",
    summary: "Targets: concurrency, length, paused, waiting rows",
    details: "LENGTH counts the jobs this worker holds: running, and claimed but not yet " +
      "started. WAITING counts the table's 'waiting' rows of the target, which any worker " +
      "serving it may claim ('?' when the worker cannot count them). A worker with deferred " +
      "jobs adds DELAYED (its delayed rows, as last counted; 10000+ at its limit), TIMEOUT " +
      "and RETRIES.",
    example: "jobctl list-targets",
    parse: noArguments,
    execute: async (client) => targetsWithWaiting(client, await workerStatus(client)),
    render: (status, _, style) => ({ text: targetsWithWaitingTable(status.targets, style) }),
  }),
  worker({
    name: "memory-usage",
    args: "",
    summary: "Memory use, and the run-manual jobs and result writes pending",
    details: "pendingJobPromises counts the run-manual jobs the worker is waiting for, " +
      "pendingResultWrites the ended jobs whose row is not written yet.",
    example: "jobctl memory-usage",
    parse: noArguments,
    execute: workerStatus,
    render: (status, _, style) => ({
      text: memoryTable(status.memoryUsage, workerCounters(status), style),
    }),
  }),
  worker({
    name: "status",
    args: "",
    summary: "The targets table (as list-targets shows it) and the memory table",
    example: "jobctl status",
    parse: noArguments,
    execute: async (client) => targetsWithWaiting(client, await workerStatus(client)),
    render: (status, _, style) => ({
      text: `${targetsWithWaitingTable(status.targets, style)}\n${
        memoryTable(status.memoryUsage, workerCounters(status), style)
      }`,
    }),
  }),
  worker({
    name: "poll",
    args: "TARGET...",
    summary: "Ask the worker to claim waiting jobs of these targets",
    details: "The worker answers at once and claims the jobs in the background.",
    example: "jobctl poll build deploy",
    parse: someTargets,
    execute: thenOk((client, targets) => client.poll(targets)),
    render: (_, targets) => confirmed(`Asked the worker to poll ${quoteList(targets)}`),
  }),
  worker({
    name: "pause",
    args: "[TARGET...]",
    summary: "Pause targets (all when none named): no new job starts",
    details: "Running jobs finish; claimed jobs wait until 'continue'.",
    example: "jobctl pause build",
    parse: optionalTargets,
    execute: thenOk((client, targets) => client.pause(targets)),
    render: (_, targets) => confirmed(`Paused ${targetsPhrase(targets, "all targets")}`),
  }),
  worker({
    name: "continue",
    args: "[TARGET...]",
    summary: "Resume targets (all when none named) and poll them",
    example: "jobctl continue build",
    parse: optionalTargets,
    execute: thenOk((client, targets) => client.continue(targets)),
    render: (_, targets) => confirmed(`Resumed ${targetsPhrase(targets, "all targets")}`),
  }),
  worker({
    name: "set-target-concurrency",
    args: "TARGET N",
    summary: "Set how many jobs of a target run at once",
    details: "Takes effect at once: with a higher N, queued jobs start right away. " +
      "It lasts until the worker restarts or a reload (SIGHUP) whose config file " +
      "changed the target's line in [targets].",
    example: "jobctl set-target-concurrency build 4",
    parse: targetAndConcurrency,
    execute: thenOk((client, { target, concurrency }) =>
      client.setTargetConcurrency(target, concurrency)
    ),
    render: (_, { target, concurrency }) =>
      confirmed(`Set the concurrency of '${target}' to ${concurrency}`),
  }),
  worker({
    name: "add-target",
    args: "TARGET N",
    summary: "Start serving a target with concurrency N",
    details: "A reload (SIGHUP) keeps it unless the config file changed the target's " +
      "line in [targets] (the file's line then applies); a restart serves only [targets]: " +
      "add the target there to keep it.",
    example: "jobctl add-target reports 2",
    parse: targetAndConcurrency,
    execute: thenOk((client, { target, concurrency }) => client.addTarget(target, concurrency)),
    render: (_, { target, concurrency }) =>
      confirmed(`Added target '${target}' with concurrency ${concurrency}`),
  }),
  worker({
    name: "remove-target",
    args: "TARGET",
    summary: "Stop serving a target that has no running job",
    details: "Refused while a job of the target runs. Jobs it claimed and has not started " +
      "(a paused target keeps those of its free slots) go back to 'waiting'. The change lasts until the worker restarts or a reload (SIGHUP) whose " +
      "config file added or changed the target's line in [targets].",
    example: "jobctl remove-target reports",
    parse: (args, name) => {
      exactly(name, args, ["TARGET"]);
      return readTarget(name, args[0]);
    },
    execute: thenOk((client, target: string) => client.removeTarget(target)),
    render: (_, target) => confirmed(`Removed target '${target}'`),
  }),
  worker({
    name: "run-manual",
    args: "ID...",
    summary: "Run 'manual' jobs by id and show how they ended",
    details: "Prints each job's result, exit code, signal, stdout and stderr, or the " +
      "reason it could not run. Exits with status 1 when any job did not end 'ok'.",
    example: "jobctl run-manual 1021 1022",
    waitsForJobs: true,
    parse: jobIds,
    execute: (client, ids) => client.runManual(ids),
    render: (result, ids, style) => runManualReport(result, ids, style),
  }),
  worker({
    name: "send-signal",
    args: "ID SIGNAL...",
    summary: "Signal running jobs: pairs of job id and signal",
    details: "SIGNAL is a name (TERM, SIGKILL, usr1) or a number. Exits with status 1 when " +
      "a signal was not delivered (the job is not running on this worker).",
    example: "jobctl send-signal 1021 TERM 1022 KILL",
    parse: (args, name) => {
      if (args.length === 0 || args.length % 2 !== 0) {
        throw new UsageError(
          `'${name}' takes pairs of ID SIGNAL, got ${args.length} argument${
            args.length === 1 ? "" : "s"
          }`,
          { command: name },
        );
      }
      const pairs: { id: number; signal: SignalValue }[] = [];
      for (let index = 0; index < args.length; index += 2) {
        pairs.push({ id: readJobId(name, args[index]), signal: readSignal(name, args[index + 1]) });
      }
      refuseDuplicateIds(name, pairs.map((pair) => pair.id));
      return pairs;
    },
    execute: (client, pairs) =>
      client.sendSignal(Object.fromEntries(pairs.map(({ id, signal }) => [id, signal]))),
    render: (result, pairs, style) =>
      signalsReport(
        pairs.map(({ id, signal }) => ({ id, signal, outcome: result[String(id)] })),
        style,
      ),
  }),
  ...controlCommands("worker"),
  ...WORKER_SCHEDULE_COMMANDS,
];

function workerCounters(
  status: { jobPromisesCount: number; pendingResultWrites?: number },
): [string, number][] {
  const counters: [string, number][] = [["pendingJobPromises", status.jobPromisesCount]];
  if (status.pendingResultWrites !== undefined) {
    counters.push(["pendingResultWrites", status.pendingResultWrites]);
  }
  return counters;
}

/** A `TARGET:ID` argument of the master's run-manual. */
function targetedJob(command: string, text: string): { target: string; id: number } {
  const [target, id] = splitFields(command, text, ["TARGET", "ID"]);
  return { target: readTarget(command, target), id: readJobId(command, id) };
}

/** The master's commands, in help order. */
export const MASTER_COMMANDS: readonly Command<"master">[] = [
  master({
    name: "list-workers",
    args: "",
    summary: "Workers with their targets' concurrency, length, paused state",
    details: "Asks every registered worker for its status through the master.",
    example: "jobctl --master list-workers",
    parse: noArguments,
    execute: (client) => masterStatus(client, true),
    render: (status, _, style) => ({ text: workersTable(status.workers, style) }),
  }),
  master({
    name: "memory-usage",
    args: "",
    summary: "The master's memory use",
    example: "jobctl --master memory-usage",
    parse: noArguments,
    execute: (client) => masterStatus(client, false),
    render: (status, _, style) => ({ text: memoryTable(status.memoryUsage, [], style) }),
  }),
  master({
    name: "status",
    args: "",
    summary: "Registered workers (not asked) and the master's memory",
    example: "jobctl --master status",
    parse: noArguments,
    execute: (client) => masterStatus(client, false),
    render: (status, _, style) => ({
      text: `${registeredWorkersTable(status.workers, style)}\n${
        memoryTable(status.memoryUsage, [], style)
      }`,
    }),
  }),
  master({
    name: "poke",
    args: "TARGET...",
    summary: "Ask the workers serving these targets to poll them",
    details: "Pokes for targets no worker serves yet are delivered when such a worker registers.",
    example: "jobctl --master poke build deploy",
    parse: someTargets,
    execute: thenOk((client, targets) => client.poke(targets)),
    render: (_, targets) => confirmed(`Poked ${quoteList(targets)}`),
  }),
  master({
    name: "pause",
    args: "[TARGET...]",
    summary: "Pause targets on their workers (all when none named)",
    example: "jobctl --master pause build",
    parse: optionalTargets,
    execute: thenOk((client, targets) => client.pause(targets)),
    render: (_, targets) =>
      confirmed(`Paused ${targetsPhrase(targets, "all targets")} on the workers serving them`),
  }),
  master({
    name: "continue",
    args: "[TARGET...]",
    summary: "Resume targets on their workers (all when none named)",
    example: "jobctl --master continue build",
    parse: optionalTargets,
    execute: thenOk((client, targets) => client.continue(targets)),
    render: (_, targets) =>
      confirmed(`Resumed ${targetsPhrase(targets, "all targets")} on the workers serving them`),
  }),
  master({
    name: "run-manual",
    args: "TARGET:ID...",
    summary: "Run 'manual' jobs on the workers serving their targets",
    details: "Prints each job's result, exit code, signal, stdout and stderr, or the " +
      "reason it could not run. Exits with status 1 when any job did not end 'ok'.",
    example: "jobctl --master run-manual build:1021 deploy:1022",
    waitsForJobs: true,
    parse: (args, name) => {
      atLeastOne(name, args, "TARGET:ID");
      const jobs = args.map((arg) => targetedJob(name, arg));
      refuseDuplicateIds(name, jobs.map((job) => job.id));
      return jobs;
    },
    execute: (client, jobs): Promise<RunManualResult> => client.runManual(jobs),
    render: (result, jobs, style) => runManualReport(result, jobs.map((job) => job.id), style),
  }),
  master({
    name: "send-signal",
    args: "TARGET:ID:SIGNAL...",
    summary: "Signal running jobs through the workers serving their targets",
    details: "SIGNAL is a name (TERM, SIGKILL, usr1) or a number. Exits with status 1 when " +
      "a signal was not delivered.",
    example: "jobctl --master send-signal build:1021:TERM",
    parse: (args, name) => {
      atLeastOne(name, args, "TARGET:ID:SIGNAL");
      const jobs = args.map((arg) => {
        const [target, id, signal] = splitFields(name, arg, ["TARGET", "ID", "SIGNAL"]);
        return {
          target: readTarget(name, target),
          id: readJobId(name, id),
          signal: readSignal(name, signal),
        };
      });
      refuseDuplicateIds(name, jobs.map((job) => job.id));
      return jobs;
    },
    execute: (client, jobs): Promise<MasterSendSignalResult> => client.sendSignal(jobs),
    render: (result, jobs, style) =>
      signalsReport(
        jobs.map(({ id, target, signal }) => {
          const delivered = result[String(id)];
          return {
            id,
            target,
            signal,
            outcome: typeof delivered === "boolean" ? delivered : result.errors?.[String(id)],
          };
        }),
        style,
      ),
  }),
  ...controlCommands("master"),
  ...MASTER_SCHEDULE_COMMANDS,
];

/** The commands of a mode. */
export function commandsOf(mode: Mode): readonly Command[] {
  return mode === "master" ? MASTER_COMMANDS : WORKER_COMMANDS;
}

/**
 * The options (`--target`...) of the commands called `name`, in either mode;
 * undefined when no command has that name.
 */
export function commandOptionsOf(name: string): string[] | undefined {
  const named = [...WORKER_COMMANDS, ...MASTER_COMMANDS].filter((command) => command.name === name);
  if (named.length === 0) return undefined;
  return [...new Set(named.flatMap((command) => command.options ?? []).map(({ name }) => name))];
}

/** The command `name` of `mode`, or `undefined`. */
export function findCommand<M extends Mode>(mode: M, name: string): Command<M> | undefined {
  return (commandsOf(mode) as readonly Command<M>[]).find((command) => command.name === name);
}
