/** "Did you mean": the known word closest to a mistyped one, if it is close enough to be what was meant. */

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The closest of `known` to `word`: within a third of its length (at least 1, at most 3 edits), or one it starts. */
export function closest(word: string, known: Iterable<string>): string | null {
  let best: { word: string; distance: number } | null = null;
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  for (const k of known) {
    const distance = k.startsWith(word) && word.length >= 3 ? 0.5 : editDistance(word, k);
    if (distance <= limit && (!best || distance < best.distance)) best = { word: k, distance };
  }
  return best?.word ?? null;
}

/** " (did you mean X?)", or nothing. */
export function didYouMean(word: string, known: Iterable<string>): string {
  const match = closest(word, known);
  return match ? ` (did you mean ${match}?)` : "";
}
