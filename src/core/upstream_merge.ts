/**
 * The upstream membership of a group as the merge of the LANs' (RFC 4605 section 4.1, with the
 * interface-state rules of RFC 3376 section 3.2): any EXCLUDE makes the merge EXCLUDE, with the
 * sources every EXCLUDE list names minus those any INCLUDE list names; otherwise INCLUDE with
 * the union of the lists.
 *
 * @module
 */

import type { SourceFilter } from "./actions.ts";

/** What the merge needs of a LAN's record: its mode, and its sources with their timers. */
export interface MergeInput<A> {
  /** Filter mode of the LAN. */
  mode: "INCLUDE" | "EXCLUDE";
  /** INCLUDE: the sources wanted. EXCLUDE: timer 0 marks the excluded ones (Y). */
  sources: ReadonlyMap<A, { timer: number }>;
}

/** Sorts addresses in numeric order (numbers or bigints). */
function sortAddresses<A>(sources: Iterable<A>): A[] {
  return [...sources].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Merges the LANs' filters; `undefined` when the merge is INCLUDE ({}), i.e. nothing is wanted.
 * Sources are in numeric order.
 *
 * @example
 * ```ts
 * // EX{a,b} + EX{b,c} -> EX{b};  IN{a} + EX{a,b} -> EX{b};  IN{a} + IN{b} -> IN{a,b}
 * mergeMemberships([lanA, lanB]);
 * ```
 */
export function mergeMemberships<A>(
  records: Iterable<MergeInput<A>>,
): SourceFilter<A> | undefined {
  const included = new Set<A>();
  let excluded: Set<A> | undefined;
  for (const r of records) {
    if (r.mode === "INCLUDE") {
      for (const s of r.sources.keys()) included.add(s);
      continue;
    }
    const y = new Set<A>();
    for (const [s, { timer }] of r.sources) if (timer === 0) y.add(s);
    if (excluded === undefined) excluded = y;
    else for (const s of excluded) if (!y.has(s)) excluded.delete(s);
  }
  if (excluded !== undefined) {
    for (const s of included) excluded.delete(s);
    return { mode: "exclude", sources: sortAddresses(excluded) };
  }
  return included.size === 0 ? undefined : { mode: "include", sources: sortAddresses(included) };
}
