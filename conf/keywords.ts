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

/** The query version keywords, valid at both levels, and the versions each one takes. */
export const VERSION_KEYWORDS = [
  { keyword: "igmp-version", field: "igmpVersion", protocol: "IGMP", versions: [1, 2, 3] },
  { keyword: "mld-version", field: "mldVersion", protocol: "MLD", versions: [1, 2] },
] as const;

/** A query version keyword. */
export type VersionKeyword = (typeof VERSION_KEYWORDS)[number];

const VERSION_WORDS: readonly string[] = VERSION_KEYWORDS.map((k) => k.keyword);

/**
 * The query version a keyword sets, or `undefined` when it is no version keyword.
 *
 * @example
 * ```ts
 * findVersionKeyword("mld-version")?.versions; // [1, 2]
 * ```
 */
export function findVersionKeyword(word: string): VersionKeyword | undefined {
  return VERSION_KEYWORDS.find((k) => k.keyword === word);
}

/** Keywords that start a top-level statement. */
export const TOP_KEYWORDS: readonly string[] = [
  "ipv4",
  "ipv6",
  "user",
  "chroot",
  "interface",
  "include",
  "name",
  "ssm-range",
  ...VERSION_WORDS,
  ...TIMER_WORDS,
];

/** Keywords that start a statement inside an interface block. */
export const INTERFACE_KEYWORDS: readonly string[] = [
  "ipv4",
  "ipv6",
  "threshold",
  "source",
  "boundary",
  ...VERSION_WORDS,
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
