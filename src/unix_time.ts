/**
 * The time as the jobs table keeps it: whole seconds since the Unix epoch.
 *
 * @module
 */

/** Now, in whole Unix seconds. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
