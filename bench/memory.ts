/**
 * Resident memory of a process from `/proc/PID/status` (Linux): `VmRSS`,
 * what it holds now, and `VmHWM`, the most it has held since it started.
 *
 * @module
 */

/** Memory of one process, in bytes. */
export interface MemoryReading {
  rss: number;
  /** High-water mark of the RSS since the process started. */
  hwm: number;
  /**
   * Resident part of the `[heap]` mapping: the C allocator's main arena
   * (glibc `brk` heap), where Deno's native side and ArrayBuffer contents live.
   */
  mallocHeap: number;
  /**
   * `RssFile`: resident pages of mapped files, nearly all of them the `deno`
   * executable's code and data that the process has run or read (shared with
   * every other process of that executable, but counted in each one's RSS).
   */
  fileRss: number;
}

/** Reads a process's RSS, high-water mark, `[heap]` and file pages; undefined once gone. */
export async function readMemory(pid: number): Promise<MemoryReading | undefined> {
  let status: string;
  let smaps: string;
  try {
    [status, smaps] = await Promise.all([
      Deno.readTextFile(`/proc/${pid}/status`),
      Deno.readTextFile(`/proc/${pid}/smaps`),
    ]);
  } catch {
    return undefined;
  }
  const kib = (field: string) => {
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m"));
    return match ? Number(match[1]) * 1024 : 0;
  };
  return {
    rss: kib("VmRSS"),
    hwm: kib("VmHWM"),
    mallocHeap: heapRss(smaps),
    fileRss: kib("RssFile"),
  };
}

/** The Rss of the `[heap]` mapping in `/proc/PID/smaps` text, bytes. */
function heapRss(smaps: string): number {
  let inHeap = false;
  let kib = 0;
  for (const line of smaps.split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      inHeap = line.endsWith("[heap]");
      continue;
    }
    const match = inHeap ? line.match(/^Rss:\s+(\d+) kB/) : null;
    if (match) kib += Number(match[1]);
  }
  return kib * 1024;
}

/** A process's RSS in bytes (cheaper than `readMemory`); undefined once it has gone. */
export async function readRss(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1] ?? 0) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Samples a process's RSS every `intervalMs` until stopped, keeping the
 * largest value seen.
 */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: ReturnType<typeof setInterval>;
  #peak = 0;
  #samples = 0;

  constructor(pid: number, intervalMs = 100) {
    this.#pid = pid;
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  /** The largest RSS sampled so far, in bytes. */
  get peak(): number {
    return this.#peak;
  }

  /** How many samples were taken. */
  get samples(): number {
    return this.#samples;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
  }

  async #sample(): Promise<void> {
    const rss = await readRss(this.#pid);
    if (rss === undefined) return;
    this.#samples++;
    this.#peak = Math.max(this.#peak, rss);
  }
}

/** Bytes as mebibytes with one decimal. */
export function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}
