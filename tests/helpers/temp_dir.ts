/** A temporary directory for one test, removed when the test's `await using` scope ends. */

/** Makes a directory named with `prefix` (its real path: no symbolic link in it). */
export async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}
