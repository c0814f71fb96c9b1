/**
 * The time as the jobs table keeps it: whole seconds since the Unix epoch;
 * and the check of the dates operators write.
 *
 * @module
 */

/**
 * The latest time a job row holds: `time_run_at` is an `int(10) UNSIGNED`
 * (2106-02-07T06:28:15Z).
 */
export const MAX_ROW_TIME = 4_294_967_295;

/** Now, in whole Unix seconds. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Whether the date that `text` starts with (`YYYY-MM-DD`) is a day of the
 * calendar. `Date.parse` reads `2026-02-30` as the 2nd of March and
 * `2026-06-31` as the 1st of July; a time given so is a mistake to report.
 */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (match === null) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
}
