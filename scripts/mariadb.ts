/**
 * Throwaway MariaDB servers for tests, benchmarks and debugging: a fresh data
 * directory in a temporary folder, a free port on 127.0.0.1, a test user with a
 * password, and nothing shared with a system-wide instance (`--no-defaults`,
 * own socket, pid file and port).
 *
 * ```ts
 * await using server = await startMariaDb();
 * // connect to server.host:server.port as server.user / server.password
 * ```
 *
 * `deno run -A scripts/mariadb.ts` starts one, prints its address and the
 * `JOBD_TEST_MYSQL` value for it, and stops it on Ctrl-C.
 */

import mysql from "mysql2/promise";
import { freePort } from "./daemon_process.ts";

/** The user created for tests, with every privilege. */
export const TEST_USER = "jobd";

/** The test user's password. */
export const TEST_PASSWORD = "jobd-test-password";

/** How long a server may take to accept connections. */
const READY_TIMEOUT_MS = 60_000;

/** How long a server may take to shut down before it is killed. */
const STOP_TIMEOUT_MS = 30_000;

/**
 * Server options for a small, fast, disposable instance. Durability is
 * relaxed (no doublewrite, log flushed once a second): the data is thrown
 * away anyway.
 */
const SERVER_TUNING = [
  "--skip-name-resolve",
  "--character-set-server=utf8mb4",
  "--collation-server=utf8mb4_general_ci",
  "--innodb-buffer-pool-size=64M",
  "--innodb-log-file-size=16M",
  "--innodb-flush-log-at-trx-commit=2",
  "--innodb-doublewrite=0",
  "--max-connections=500",
];

/** A running (or stopped) throwaway MariaDB server. */
export interface MariaDbServer extends AsyncDisposable {
  /** Always `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  /** `TEST_USER`, allowed from any host, with every privilege. */
  readonly user: string;
  readonly password: string;
  /** The server's version text, such as `10.11.6-MariaDB-0+deb12u1`. */
  readonly version: string;
  /** The temporary folder holding the data directory, socket and log. */
  readonly directory: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /**
   * The server process's id while it runs (else undefined), for tests that
   * signal it: SIGSTOP freezes it like a host that stops answering.
   */
  readonly pid: number | undefined;
  /** Starts the server again on the same data and port, after `stop()`. Does nothing if running. */
  start(): Promise<void>;
  /** Shuts the server down (SIGTERM, SIGKILL after 30 s). Does nothing if stopped. */
  stop(): Promise<void>;
  /** Stops the server and removes its temporary folder. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of `startMariaDb`. */
export interface StartMariaDbOptions {
  /** Port to listen on (default: a free one). */
  port?: number;
}

/**
 * Prepares a data directory in a new temporary folder and starts a MariaDB
 * server on it, listening on 127.0.0.1 only; resolves once the test user can
 * log in over TCP. Throws with the server's log when it cannot start.
 */
export async function startMariaDb(options: StartMariaDbOptions = {}): Promise<MariaDbServer> {
  const programs = await findPrograms();
  const directory = await Deno.makeTempDir({ prefix: "jobd-mariadb-" });
  try {
    await prepareDataDir(programs, directory);
    // A free port can be taken by someone else before the server binds it: try a few.
    for (let attempt = 1;; attempt++) {
      const server = new ThrowawayServer(programs, directory, options.port ?? freePort());
      try {
        await server.start();
        return server;
      } catch (error) {
        const portTaken = /address already in use|Can't start server: Bind/i.test(String(error));
        if (!portTaken || options.port !== undefined || attempt >= 3) throw error;
      }
    }
  } catch (error) {
    await Deno.remove(directory, { recursive: true }).catch(() => {});
    throw error;
  }
}

interface Programs {
  server: string;
  installDb: string;
  version: string;
}

class ThrowawayServer implements MariaDbServer {
  readonly host = "127.0.0.1";
  readonly user = TEST_USER;
  readonly password = TEST_PASSWORD;
  readonly port: number;
  readonly directory: string;
  readonly #programs: Programs;
  #process: Deno.ChildProcess | undefined;
  #exited: Promise<Deno.CommandStatus> | undefined;

  constructor(programs: Programs, directory: string, port: number) {
    this.#programs = programs;
    this.directory = directory;
    this.port = port;
  }

  get version(): string {
    return this.#programs.version;
  }

  get running(): boolean {
    return this.#process !== undefined;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  async start(): Promise<void> {
    if (this.#process !== undefined) return;
    const dir = this.directory;
    const child = new Deno.Command(this.#programs.server, {
      args: [
        "--no-defaults",
        "--user=root",
        `--datadir=${dir}/data`,
        `--tmpdir=${dir}`,
        `--socket=${dir}/mariadb.sock`,
        `--pid-file=${dir}/mariadb.pid`,
        `--log-error=${dir}/server.log`,
        `--port=${this.port}`,
        "--bind-address=127.0.0.1",
        "--skip-networking=0",
        ...SERVER_TUNING,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#process = child;
    this.#exited = child.status;
    try {
      await this.#waitUntilReady(this.#exited);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const child = this.#process;
    const exited = this.#exited;
    if (child === undefined || exited === undefined) return;
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Exited meanwhile.
        }
        resolve();
      }, STOP_TIMEOUT_MS);
    });
    await Promise.race([exited, killed]);
    await exited;
    clearTimeout(timer);
    this.#process = undefined;
    this.#exited = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    await Deno.remove(this.directory, { recursive: true }).catch(() => {});
  }

  async #waitUntilReady(exited: Promise<Deno.CommandStatus>): Promise<void> {
    let status: Deno.CommandStatus | undefined;
    exited.then((value) => status = value, () => {});
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (status !== undefined) {
        throw new Error(
          `MariaDB exited with code ${status.code} before accepting connections on ` +
            `port ${this.port}:\n${await this.#logTail()}`,
        );
      }
      try {
        const connection = await mysql.createConnection({
          host: this.host,
          port: this.port,
          user: this.user,
          password: this.password,
          connectTimeout: 2_000,
        });
        await connection.end();
        return;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(
      `MariaDB did not accept connections on port ${this.port} within ` +
        `${READY_TIMEOUT_MS / 1000} s: ${(lastError as Error)?.message}\n${await this.#logTail()}`,
    );
  }

  async #logTail(): Promise<string> {
    const log = await Deno.readTextFile(`${this.directory}/server.log`).catch(() => "");
    return log.split("\n").slice(-20).join("\n");
  }
}

/** Options of `mariadb-install-db` besides the paths. Part of the template's key. */
const INSTALL_OPTIONS = [
  "--no-defaults",
  "--user=root",
  "--auth-root-authentication-method=normal",
  "--skip-test-db",
  "--skip-name-resolve",
  // Passed on to the bootstrap server: a small redo log is quicker to create.
  "--innodb-log-file-size=16M",
];

/**
 * Puts an initialised data directory (system tables and the test user) at
 * `directory/data`. `mariadb-install-db` takes a second or two, so its result
 * is kept as a template next to the temporary folders, keyed by the server
 * version and the install options, and later servers start from a copy.
 */
async function prepareDataDir(programs: Programs, directory: string): Promise<void> {
  const data = `${directory}/data`;
  const template = templatePath(programs, directory);
  if (await exists(`${template}/ready`)) {
    try {
      await copyTree(`${template}/data`, data);
      return;
    } catch {
      // Removed or damaged meanwhile: install afresh.
      await Deno.remove(data, { recursive: true }).catch(() => {});
    }
  }
  await installDataDir(programs, directory);
  await publishTemplate(data, template);
}

/** `TMP/jobd-mariadb-template-VERSION-HASH`, beside the folder `directory`. */
function templatePath(programs: Programs, directory: string): string {
  const key = [programs.server, programs.version, ...INSTALL_OPTIONS, TEST_USER, TEST_PASSWORD];
  let hash = 0x811c9dc5;
  for (const char of key.join("\n")) {
    hash = Math.imul(hash ^ char.codePointAt(0)!, 0x01000193) >>> 0;
  }
  const version = programs.version.replace(/[^\w.-]+/g, "_");
  const parent = directory.slice(0, directory.lastIndexOf("/"));
  return `${parent}/jobd-mariadb-template-${version}-${hash.toString(16)}`;
}

/**
 * Copies a fresh data directory to `template`, atomically: it is assembled
 * under another name and renamed into place, so a template is complete or
 * absent. When another process was quicker, its template stays. Best effort:
 * a failure only means the next server installs afresh too.
 */
async function publishTemplate(data: string, template: string): Promise<void> {
  const staging = `${template}.staging-${crypto.randomUUID()}`;
  try {
    await copyTree(data, `${staging}/data`);
    await Deno.writeTextFile(`${staging}/ready`, "");
    await Deno.rename(staging, template);
  } catch {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Copies the folder `from` to `to` (which must not exist), with its files' modes. */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true, mode: (await Deno.stat(from)).mode ?? 0o700 });
  for await (const entry of Deno.readDir(from)) {
    const source = `${from}/${entry.name}`;
    const target = `${to}/${entry.name}`;
    if (entry.isDirectory) await copyTree(source, target);
    else if (entry.isFile) await Deno.copyFile(source, target);
  }
}

/** Runs `mariadb-install-db` into `directory/data`, creating the test user. */
async function installDataDir(programs: Programs, directory: string): Promise<void> {
  const usersFile = `${directory}/users.sql`;
  const user = `'${TEST_USER}'@'%'`;
  await Deno.writeTextFile(
    usersFile,
    // The bootstrap server skips grant tables until they are flushed in.
    `FLUSH PRIVILEGES;\n` +
      `CREATE USER ${user} IDENTIFIED BY '${TEST_PASSWORD}';\n` +
      `GRANT ALL PRIVILEGES ON *.* TO ${user} WITH GRANT OPTION;\n`,
  );
  const output = await new Deno.Command(programs.installDb, {
    args: [...INSTALL_OPTIONS, `--datadir=${directory}/data`, `--extra-file=${usersFile}`],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(usersFile).catch(() => {});
  if (!output.success) {
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    throw new Error(
      `${programs.installDb} failed with code ${output.code} in ${directory}:\n${text.trim()}`,
    );
  }
}

/** Finds `mariadbd` and `mariadb-install-db` on PATH or in the usual sbin folders. */
async function findPrograms(): Promise<Programs> {
  const server = await findProgram("mariadbd");
  const installDb = await findProgram("mariadb-install-db");
  const output = await new Deno.Command(server, { args: ["--version"], stdout: "piped" }).output();
  const text = new TextDecoder().decode(output.stdout);
  const version = text.match(/Ver\s+(\S+)/)?.[1] ?? text.trim();
  return { server, installDb, version };
}

async function findProgram(name: string): Promise<string> {
  const path = Deno.env.get("PATH") ?? "";
  const folders = [...path.split(":"), "/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/sbin"];
  for (const folder of folders) {
    if (folder === "") continue;
    const candidate = `${folder}/${name}`;
    const info = await Deno.stat(candidate).catch(() => undefined);
    if (info?.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
  }
  throw new Error(
    `Cannot find '${name}' on PATH or in /usr/sbin: install MariaDB (apt-get install mariadb-server)`,
  );
}

/** The `JOBD_TEST_MYSQL` value (`host:port:user:password`) for a server. */
export function testMysqlAddress(server: MariaDbServer): string {
  return `${server.host}:${server.port}:${server.user}:${server.password}`;
}

/**
 * Starts a server, prints where it listens, and stops it on Ctrl-C or
 * SIGTERM. Returns the exit code.
 */
export async function main(): Promise<number> {
  await using server = await startMariaDb();
  console.log(`MariaDB ${server.version} listening on ${server.host}:${server.port}`);
  console.log(`user ${server.user}, password ${server.password}, files in ${server.directory}`);
  console.log(`JOBD_TEST_MYSQL=${testMysqlAddress(server)}`);
  console.log(
    `mariadb --no-defaults -h ${server.host} -P ${server.port} -u ${server.user} ` +
      `-p${server.password}`,
  );
  console.log("Press Ctrl-C to stop it.");
  const { promise: signalled, resolve } = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, resolve);
  await signalled;
  for (const signal of signals) Deno.removeSignalListener(signal, resolve);
  console.log("Stopping MariaDB");
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main());
}
