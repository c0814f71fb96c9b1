/**
 * `did you mean ...?` for a mistyped command or option: the closest known
 * name by edit distance (a swap of two neighbours counts as one edit), when
 * it is close enough to be a likely typo.
 *
 * @module
 */

/** Edits between `a` and `b`: insertions, deletions, substitutions, swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}

/**
 * The candidate closest to `word`, or undefined when none is within a third
 * of the word's length (at least one edit). A candidate that starts with the
 * word (`li` for `list-targets`) counts as close too.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  if (bestDistance <= Math.max(1, Math.floor(word.length / 3))) return best;
  const prefixed = [...candidates].filter((candidate) =>
    lower.length >= 2 && candidate.startsWith(lower)
  );
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** `: did you mean 'X'?` for the closest candidate, or nothing. */
export function suggestion(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match === undefined ? "" : `; did you mean '${match}'?`;
}
