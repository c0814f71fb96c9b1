/**
 * A config file that holds a password and that every user of the host can
 * read gets a warning naming the file, its mode and the `chmod` that fixes
 * it. A warning, not a refusal: the older jobd read such files, and jobd
 * replaces it as it is. Read by the file's group is fine: `root:jobd 0640`
 * is how a daemon's group is given its config.
 *
 * @module
 */

/**
 * The warning about the config file `path` of mode `mode` (its permission
 * bits), when it is readable by others and `passwordKeys` (the keys with a
 * non-empty password) is not empty; undefined otherwise.
 */
export function readableSecretWarning(
  path: string,
  mode: number,
  passwordKeys: readonly string[],
): string | undefined {
  if (passwordKeys.length === 0 || (mode & 0o004) === 0) return undefined;
  const keys = passwordKeys.map((key) => `'${key}'`).join(" and ");
  const fixed = mode & 0o7770;
  return `${path}: the file holds a password (${keys}) and every user of this host can read ` +
    `it (mode ${octal(mode)}): run 'chmod ${octal(fixed)} ${shellWord(path)}'`;
}

/**
 * {@linkcode readableSecretWarning} for the file at `path` as it is now;
 * undefined too when its mode cannot be read (a system without modes, a
 * file gone since).
 */
export async function checkSecretFileMode(
  path: string,
  passwordKeys: readonly (string | false | undefined)[],
): Promise<string | undefined> {
  const keys = passwordKeys.filter((key): key is string => typeof key === "string");
  if (keys.length === 0) return undefined;
  let mode: number | null;
  try {
    mode = (await Deno.stat(path)).mode;
  } catch {
    return undefined;
  }
  return mode === null ? undefined : readableSecretWarning(path, mode & 0o7777, keys);
}

/** `0644`: a mode as chmod takes it. */
function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

/** `path` as one shell word: as it is when plain, else in single quotes. */
function shellWord(path: string): string {
  return /^[\w./+:@%-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}
