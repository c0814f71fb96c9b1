/**
 * The worker's name lock on SQLite: an exclusive `flock` on a small file
 * beside the database, one per table and worker name
 * (`jobs.db.jobd-worker-<hash>.lock`, beside the file its path leads to). The system releases it when the
 * process ends, however it ends. The holder writes who it is into the file
 * (process id, host, listening address), so that a second worker can say
 * whom it met. The file is never removed: removing it while another process
 * opens it could leave two holders of two different files. Nor is it opened
 * through a symbolic link or a second hard link: the applications that insert
 * rows can write to the database's directory, and a link they put at the lock
 * file's name must not make the worker create or truncate a file elsewhere.
 */

import { createHash } from "node:crypto";
import { StorageError } from "../errors.ts";
import { messageOf } from "../../text.ts";
import { type NameLock, NameTakenError, nameTakenMessage } from "../name_lock.ts";

/** Where the table is, whose worker name is locked. */
export interface SqliteNameLockOptions {
  /** The database file. */
  path: string;
  /** The jobs table: workers of one name on different tables do not meet. */
  table: string;
  workerName: string;
  /** The worker's listening address (`host:port`), written for a second worker to read. */
  address: string;
}

/** What the holder writes into the lock file. */
interface Holder {
  name: string;
  pid: number;
  host?: string;
  address: string;
}

/**
 * The lock file of a worker name on a table of the database file `path`
 * (resolved: see {@linkcode lockSqliteWorkerName}).
 */
export function nameLockPath(path: string, table: string, workerName: string): string {
  const digest = createHash("sha256").update(`${table}\0${workerName}`).digest("hex");
  return `${path}.jobd-worker-${digest.slice(0, 16)}.lock`;
}

/**
 * Takes the lock on `workerName` for the table now. Throws a
 * `NameTakenError` naming the name and the holder (process id, host,
 * address) when another process holds it, and a `StorageError` naming the
 * lock file when it cannot be opened.
 */
export async function lockSqliteWorkerName(options: SqliteNameLockOptions): Promise<NameLock> {
  const { path, table, workerName } = options;
  // Beside the file itself: two workers reaching it through different paths (a symbolic link, a
  // relative path) meet at one lock, as SQLite puts its -wal beside the file itself too.
  const lockPath = nameLockPath(await realPathOr(path), table, workerName);
  const where = `table '${table}' of SQLite file '${path}'`;
  let file: Deno.FsFile;
  try {
    file = await openLockFile(lockPath);
  } catch (error) {
    throw new StorageError(
      `Cannot lock the worker name '${workerName}' on the ${where}: cannot open the lock ` +
        `file '${lockPath}': ${messageOf(error)}` +
        (error instanceof Deno.errors.PermissionDenied
          ? " (made by a worker run as another user, root say? give it to this worker's user, " +
            "or remove it while no worker of that name runs)"
          : ""),
      { cause: error },
    );
  }
  try {
    if (!await file.tryLock(true)) {
      const holder = await readHolder(file);
      throw new NameTakenError(nameTakenMessage(workerName, where, holder));
    }
    const holder: Holder = {
      name: workerName,
      pid: Deno.pid,
      host: hostName(),
      address: options.address,
    };
    await file.truncate(0);
    await file.write(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
  } catch (error) {
    file.close();
    if (error instanceof StorageError) throw error;
    throw new StorageError(
      `Cannot lock the worker name '${workerName}' on the ${where} with the lock file ` +
        `'${lockPath}': ${messageOf(error)}`,
      { cause: error },
    );
  }
  let held = true;
  return {
    name: workerName,
    get held() {
      return held;
    },
    // A file lock is never lost while the process lives.
    retryNow() {},
    async release() {
      if (!held) return;
      held = false;
      try {
        await file.truncate(0);
      } finally {
        file.close();
      }
    },
  };
}

/**
 * The mode of a lock file the worker creates (the umask may take more
 * away): its owner's alone. `flock` needs only a file open for reading, so a
 * lock file other users could read would let any of them hold the name and
 * keep the worker from starting. A file that exists keeps its mode.
 */
export const NAME_LOCK_FILE_MODE = 0o600;

/** Tries at opening the lock file while another process swaps what is at its name. */
const OPEN_ATTEMPTS = 3;

/**
 * Opens the lock file at `lockPath` for reading and writing, creating it when
 * there is none, never through a symbolic link and never a file with another
 * name (a hard link): what lstat found at the name must be what was opened.
 */
async function openLockFile(lockPath: string): Promise<Deno.FsFile> {
  for (let attempt = 1;; attempt++) {
    const again = attempt < OPEN_ATTEMPTS;
    let found: Deno.FileInfo | undefined;
    try {
      found = await Deno.lstat(lockPath);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (found === undefined) {
      try {
        // O_EXCL: fails on a symbolic link, even one to nothing.
        return await Deno.open(lockPath, {
          read: true,
          write: true,
          createNew: true,
          mode: NAME_LOCK_FILE_MODE,
        });
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists && again) continue;
        throw error;
      }
    }
    if (!found.isFile) {
      throw new Error(
        `it is ${found.isSymlink ? "a symbolic link" : "not a regular file"}: remove it`,
      );
    }
    if (found.nlink !== null && found.nlink > 1) {
      throw new Error(`it has ${found.nlink} hard links, a lock file has one: remove it`);
    }
    const file = await Deno.open(lockPath, { read: true, write: true });
    const opened = await file.stat();
    if (opened.ino === found.ino && opened.dev === found.dev) return file;
    file.close();
    if (!again) throw new Error("it was replaced while being opened");
  }
}

/** Who holds the lock, from what it wrote into the file; undefined when unknown. */
async function readHolder(file: Deno.FsFile): Promise<string | undefined> {
  try {
    const bytes = new Uint8Array(4096);
    await file.seek(0, Deno.SeekMode.Start);
    const count = await file.read(bytes) ?? 0;
    const text = new TextDecoder().decode(bytes.subarray(0, count));
    const holder = JSON.parse(text) as Partial<Holder>;
    const parts = [
      typeof holder.pid === "number" ? `process ${holder.pid}` : undefined,
      typeof holder.host === "string" ? `on host '${holder.host}'` : undefined,
      typeof holder.address === "string" ? `listening on ${holder.address}` : undefined,
    ].filter((part) => part !== undefined);
    return parts.length > 0 ? parts.join(" ") : undefined;
  } catch {
    return undefined;
  }
}

/** `path` with its symbolic links resolved, or as given when that fails. */
async function realPathOr(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    return path;
  }
}

function hostName(): string | undefined {
  try {
    return Deno.hostname();
  } catch {
    return undefined;
  }
}
