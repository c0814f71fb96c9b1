/**
 * The machine a run was measured on, recorded with its figures.
 *
 * @module
 */

/** What the figures depend on besides the code. */
export interface Machine {
  cores: number;
  cpuModel: string;
  memoryMiB: number;
  os: string;
  deno: string;
  v8: string;
  typescript: string;
  database: string;
  /** Load averages (1, 5, 15 min) at the start: above 0 means others were using the CPU. */
  loadAtStart: number[];
}

/** Describes this machine; `database` is the server's `VERSION()`. */
export async function describeMachine(database: string): Promise<Machine> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  return {
    cores: navigator.hardwareConcurrency,
    cpuModel: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown",
    memoryMiB: Math.round(Deno.systemMemoryInfo().total / 1024 / 1024),
    os: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    database,
    loadAtStart: Deno.loadavg(),
  };
}
