/**
 * Suggestions for misspelt option names: the known name closest to what was written, by edit
 * distance, so that `concurency` is answered with "did you mean concurrency?".
 */

/**
 * Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`, ignoring case:
 * the optimal-string-alignment form of the Damerau-Levenshtein distance.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // rows[i][j]: distance between the first i characters of s and the first j of t.
  const rows: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j += 1) rows[0][j] = j;
  for (let i = 1; i <= s.length; i += 1) {
    for (let j = 1; j <= t.length; j += 1) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, rows[i - 2][j - 2] + 1);
      rows[i][j] = best;
    }
  }
  return rows[s.length][t.length];
}

/** Most edits a name may be away from a known one to be suggested: a third of its length, at least one. */
export function maxSuggestionDistance(name: string): number {
  return Math.max(1, Math.floor(name.length / 3));
}

/**
 * The candidate closest to `name` (the first of equally close ones), or `undefined` when none is
 * within `maxSuggestionDistance(name)` edits, where a suggestion would be a guess.
 */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  let nearest: string | undefined;
  let nearestDistance = maxSuggestionDistance(name) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < nearestDistance) {
      nearest = candidate;
      nearestDistance = distance;
    }
  }
  return nearest;
}
