/** A temporary directory for one test, removed when the test's `await using` scope ends. */

/** Makes a directory named with `prefix` (its real path: no symbolic link in it). */
export async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

/**
 * The permission bits a file created in `dir` with `mode` gets: `mode` less
 * the process's umask (found by creating a probe file, removed after).
 */
export async function modeAfterUmask(dir: string, mode: number): Promise<number> {
  const probe = `${dir}/.umask-probe`;
  await Deno.writeFile(probe, new Uint8Array(), { mode: 0o777, createNew: true });
  try {
    return mode & (await Deno.stat(probe)).mode! & 0o777;
  } finally {
    await Deno.remove(probe);
  }
}
