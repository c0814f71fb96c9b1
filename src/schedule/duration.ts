/**
 * Durations of the job board: `90s`, `3m5s`, `1h`, `2d`: one or more
 * `NUMBER UNIT` parts (units `d`, `h`, `m`, `s`, each at most once, largest
 * first), read as whole seconds.
 *
 * @module
 */

const UNIT_SECONDS: Readonly<Record<string, number>> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** The longest duration accepted: 10 years, far beyond any useful interval. */
export const MAX_DURATION_SECONDS = 10 * 365 * 86_400;

/**
 * The seconds `text` stands for, or `undefined` when it is not a duration of
 * at least one second (`0s`, `5`, `1.5h`, `5m1h` and `1h1h` are refused).
 */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+[dhms])+$/.test(text)) return undefined;
  let seconds = 0;
  let lastUnit = Infinity;
  for (const [, count, unit] of text.matchAll(/(\d+)([dhms])/g)) {
    const size = UNIT_SECONDS[unit];
    if (size >= lastUnit) return undefined;
    lastUnit = size;
    seconds += Number(count) * size;
  }
  if (seconds < 1 || seconds > MAX_DURATION_SECONDS) return undefined;
  return seconds;
}

/** Writes seconds back as a duration: 185 -> `3m5s`, 3600 -> `1h`. */
export function formatDuration(seconds: number): string {
  let rest = Math.round(seconds);
  let text = "";
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text || "0s";
}
