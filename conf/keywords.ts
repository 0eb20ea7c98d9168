/**
 * The statement keywords of each level of mcast-proxy.conf: what a statement may start with at
 * top level and inside an interface block. The parser dispatches on them and suggests one of
 * them for a mistyped word; `KEYWORDS` of lexer.ts is the flat list of every reserved word.
 *
 * @module
 */

import { TIMER_KEYWORDS, type TimerKeyword } from "../src/core/timers.ts";

/** The timer keywords, valid at both levels. */
const TIMER_WORDS: readonly string[] = TIMER_KEYWORDS.map((k) => k.keyword);

/** Keywords that start a top-level statement. */
export const TOP_KEYWORDS: readonly string[] = [
  "ipv4",
  "ipv6",
  "user",
  "chroot",
  "interface",
  "include",
  "name",
  ...TIMER_WORDS,
];

/** Keywords that start a statement inside an interface block. */
export const INTERFACE_KEYWORDS: readonly string[] = [
  "ipv4",
  "ipv6",
  "threshold",
  "source",
  "boundary",
  ...TIMER_WORDS,
  "upstream",
  "downstream",
  "disabled",
];

/**
 * The timer a keyword sets, or `undefined` when it is no timer keyword.
 *
 * @example
 * ```ts
 * findTimer("robustness")?.field; // "robustness"
 * findTimer("threshold"); // undefined
 * ```
 */
export function findTimer(word: string): TimerKeyword | undefined {
  return TIMER_KEYWORDS.find((k) => k.keyword === word);
}
