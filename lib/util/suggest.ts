// Suggestions for a misspelt option name that point only at real typos.

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions). */
function osa(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The option a misspelt key most likely meant, only when it is a real typo of
 * it: the same letters in another case, two letters swapped, or one edit (two
 * for names of 8 or more letters; none for names of 3). A short word two edits
 * from an option is usually another word (`input` is not `init`), and pointing
 * at an option with another effect is worse than no suggestion.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const same = candidates.find((c) => c.toLowerCase() === lower);
  if (same) return same;
  const allowed = word.length >= 8 ? 2 : word.length >= 4 ? 1 : 0;
  const sorted = (w: string) => [...w.toLowerCase()].sort().join('');
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = osa(lower, c.toLowerCase());
    // Three letters one edit apart are other words (uid, gid, pid) unless two letters swapped (pdi).
    const ok = d <= allowed || (d === 1 && sorted(word) === sorted(c));
    if (ok && d < bestD) [best, bestD] = [c, d];
  }
  return best;
}
