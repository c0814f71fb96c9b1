/**
 * CPU time from `/proc` (Linux), to tell where a run's time went: in the
 * worker, in its launchers, in the database server, or nowhere (idle).
 *
 * @module
 */

/** Clock ticks per second of `/proc` times (`getconf CLK_TCK`; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds of one process. */
export interface ProcessCpu {
  /** User plus system time of the process itself. */
  own: number;
  /** User plus system time of its children that it has waited for (its launchers). */
  children: number;
}

/** CPU seconds of a process and its reaped children; undefined once it has gone. */
export async function readProcessCpu(pid: number): Promise<ProcessCpu | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // utime, stime, cutime, cstime are fields 14..17 of the line, 12..15 after the name.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return {
    own: (utime + stime) / TICKS_PER_SECOND,
    children: (cutime + cstime) / TICKS_PER_SECOND,
  };
}

/** Busy and total CPU seconds of the whole machine, summed over its cores. */
export interface MachineCpu {
  busy: number;
  total: number;
}

/** The machine's CPU times so far (`/proc/stat`). */
export async function readMachineCpu(): Promise<MachineCpu> {
  const line = (await Deno.readTextFile("/proc/stat")).split("\n")[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/)
    .slice(1, 9).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / TICKS_PER_SECOND, total: (busy + idle + iowait) / TICKS_PER_SECOND };
}

/**
 * The pid of the `mariadbd`/`mysqld` listening on `port`, found by its
 * `--port=` argument; undefined when none is found (a server run elsewhere
 * or configured in a file).
 */
export async function findDatabasePid(port: number): Promise<number | undefined> {
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const argv = await Deno.readTextFile(`/proc/${entry.name}/cmdline`)
      .then((text) => text.split("\0"), (): string[] => []);
    if (!/(mariadbd|mysqld)$/.test(argv[0] ?? "")) continue;
    if (argv.includes(`--port=${port}`)) return Number(entry.name);
  }
  return undefined;
}

/** Where the CPU went during a phase: cores busy on average (1.0 = one core all the time). */
export interface CpuShare {
  /** Length of the phase, seconds. */
  seconds: number;
  /** The worker processes themselves. */
  workers: number;
  /** The launchers the workers ran (children reaped by them). */
  launchers: number;
  master: number | undefined;
  database: number | undefined;
  /** The benchmark's own process (and, in the spawn limit, its children: `launchers`). */
  bench: number;
  /** The whole machine, everything included. */
  machine: number;
  /** What the machine spent on processes not listed here (other tests running meanwhile, say). */
  others: number;
  /** Cores of the machine. */
  cores: number;
}

/** Reads CPU times at the start of a phase; `finish()` gives the shares over the phase. */
export class CpuMeter {
  readonly #pids: { workers: number[]; master?: number; database?: number };
  #start: Promise<Snapshot>;
  #startedAt = performance.now();

  /**
   * `workers`: the processes that launch jobs (the benchmark itself, for the
   * spawn limit); their reaped children count as `launchers`.
   */
  constructor(pids: { workers: number[]; master?: number; database?: number }) {
    this.#pids = pids;
    this.#start = this.#snapshot();
  }

  /** Average cores used by each party since construction. */
  async finish(): Promise<CpuShare> {
    const end = await this.#snapshot();
    const start = await this.#start;
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const share = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? undefined : (b - a) / seconds;
    const machineTotal = end.machine.total - start.machine.total;
    const cores = navigator.hardwareConcurrency;
    const machine = machineTotal > 0
      ? ((end.machine.busy - start.machine.busy) / machineTotal) * cores
      : 0;
    const workers = share(start.workers, end.workers) ?? 0;
    const launchers = share(start.launchers, end.launchers) ?? 0;
    const master = share(start.master, end.master);
    const database = share(start.database, end.database);
    const bench = this.#pids.workers.includes(Deno.pid) ? 0 : share(start.bench, end.bench) ?? 0;
    const known = workers + launchers + (master ?? 0) + (database ?? 0) + bench;
    return {
      seconds,
      workers,
      launchers,
      master,
      database,
      bench,
      machine,
      others: Math.max(0, machine - known),
      cores,
    };
  }

  async #snapshot(): Promise<Snapshot> {
    const workers = await Promise.all(this.#pids.workers.map(readProcessCpu));
    const master = this.#pids.master === undefined
      ? undefined
      : await readProcessCpu(this.#pids.master);
    const database = this.#pids.database === undefined
      ? undefined
      : await readProcessCpu(this.#pids.database);
    const bench = await readProcessCpu(Deno.pid);
    return {
      bench: bench?.own ?? 0,
      workers: workers.reduce((sum, cpu) => sum + (cpu?.own ?? 0), 0),
      launchers: workers.reduce((sum, cpu) => sum + (cpu?.children ?? 0), 0),
      master: master?.own,
      database: database?.own,
      machine: await readMachineCpu(),
    };
  }
}

interface Snapshot {
  bench: number;
  workers: number;
  launchers: number;
  master: number | undefined;
  database: number | undefined;
  machine: MachineCpu;
}

/** CPU milliseconds per operation of each party, from a share over `count` operations. */
export function cpuPerOperation(share: CpuShare, count: number): Record<string, number> {
  const perOperation = (cores: number | undefined) =>
    cores === undefined
      ? undefined
      : Math.round((cores * share.seconds * 1000 / count) * 100) / 100;
  const entries: [string, number | undefined][] = [
    ["workers", perOperation(share.workers)],
    ["launchers", perOperation(share.launchers)],
    ["master", perOperation(share.master)],
    ["database", perOperation(share.database)],
    ["bench", perOperation(share.bench)],
  ];
  return Object.fromEntries(
    entries.filter((entry): entry is [string, number] => entry[1] !== undefined),
  );
}
