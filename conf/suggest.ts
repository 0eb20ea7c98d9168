/**
 * Suggestions for mistyped words: the closest keyword (or scope name) within two edits, for
 * messages such as `unknown keyword "downstrem": did you mean "downstream"?`.
 *
 * @module
 */

import { INTERFACE_KEYWORDS, TOP_KEYWORDS } from "./keywords.ts";

/** Suggestions are at most this many edits away. */
const MAX_DISTANCE = 2;

/**
 * The edit distance between two strings (Levenshtein, with a swap of two adjacent characters
 * counting as one edit), used to suggest keywords.
 *
 * @example
 * ```ts
 * editDistance("downstrem", "downstream"); // 1
 * editDistance("upsteram", "upstream"); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  // d[i][j] is the distance between the first i characters of a and the first j of b; the
  // first row and column are the distances to the empty string.
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push([i]);
    for (let j = 1; j <= b.length; j++) d[i].push(i === 0 ? j : 0);
  }
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      // Delete from a, insert into a, or substitute (free when the characters agree).
      let best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      // The last two characters swapped ("upsteram"): one edit, not two substitutions.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2][j - 2] + 1);
      }
      d[i][j] = best;
    }
  }
  return d[a.length][b.length];
}

/**
 * The closest entry within an edit distance of 2, ignoring case, of the first candidate list
 * that has one: lists are tried in order, so a nearer match in a later list loses to a farther
 * one in an earlier list. Among equally close entries the first wins.
 *
 * @example
 * ```ts
 * closest("upstrem", [["upstream", "downstream"]]); // "upstream"
 * closest("mtu", [["upstream"]]); // undefined
 * ```
 */
export function closest(word: string, lists: readonly (readonly string[])[]): string | undefined {
  for (const candidates of lists) {
    let best: string | undefined;
    let bestDistance = MAX_DISTANCE + 1;
    for (const k of candidates) {
      const dist = editDistance(word.toLowerCase(), k.toLowerCase());
      if (dist < bestDistance) {
        best = k;
        bestDistance = dist;
      }
    }
    if (best !== undefined) return best;
  }
  return undefined;
}

/**
 * The keyword closest to `word` within an edit distance of 2, preferring `preferred` (the
 * keywords valid where `word` stands) over the other statement keywords.
 *
 * @example
 * ```ts
 * suggestKeyword("interfaces", TOP_KEYWORDS); // "interface"
 * ```
 */
export function suggestKeyword(word: string, preferred: readonly string[]): string | undefined {
  const others = [...TOP_KEYWORDS, ...INTERFACE_KEYWORDS].filter((k) => !preferred.includes(k));
  return closest(word, [preferred, others]);
}

/**
 * The message for a word that is no keyword where it stands, with a suggestion when one is
 * close enough.
 *
 * @example
 * ```ts
 * unknownKeywordMessage("sorce", INTERFACE_KEYWORDS);
 * // 'unknown keyword "sorce": did you mean "source"?'
 * ```
 */
export function unknownKeywordMessage(word: string, preferred: readonly string[]): string {
  const hint = suggestKeyword(word, preferred);
  return `unknown keyword "${word}"` + (hint === undefined ? "" : `: did you mean "${hint}"?`);
}
