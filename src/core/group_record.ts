/**
 * The router-side record of one group on one downstream interface (RFC 3376 section 6.2, RFC
 * 3810 section 7.2) and what is read from it. A record holds the filter mode, the group timer,
 * the sources with their timers, the older-version host present timers and the query
 * retransmissions; read from it are its filter state, the sources it admits, its compatibility
 * mode and its earliest deadline.
 *
 * Only the machine of `membership.ts` (`stepMembership`) changes a record.
 *
 * @module
 */

import type { FilterMode } from "./filter_table.ts";
import { SourceMap } from "./source_map.ts";

export type { FilterMode } from "./filter_table.ts";

/** A source of a group record. */
export interface SourceRecord {
  /** Source timer: a deadline, or 0 for an excluded source (EXCLUDE mode only). */
  timer: number;
  /** Group-and-source-specific queries still to send for it (RFC 3376 §6.6.3.2). */
  queriesLeft: number;
}

/** Membership of one group on one interface. */
export interface GroupRecord<A = number> {
  /** Filter mode. */
  mode: FilterMode;
  /** Group timer (EXCLUDE mode: the switch to INCLUDE is due then; INCLUDE: 0). */
  groupTimer: number;
  /** The sources: INCLUDE, those wanted; EXCLUDE, the requested (timer > 0) and excluded (0). */
  sources: Map<A, SourceRecord>;
  /** IGMPv1 host present until this time (0: none), RFC 3376 §7.3.2. */
  v1HostUntil: number;
  /** IGMPv2 (MLDv1) host present until this time (0: none), RFC 3376 §7.3.2, RFC 3810 §8.3.2. */
  v2HostUntil: number;
  /**
   * The host whose report last wanted traffic of the group (`wantsTraffic` in `membership.ts`);
   * `undefined` only for a record no such report named its sender for (the proxy always names it).
   */
  lastReporter: A | undefined;
  /** Group-specific queries still to send. */
  queriesLeft: number;
  /** When the next group-specific query is due (0: none). */
  nextQuery: number;
  /** When the next group-and-source-specific query is due (0: none). */
  nextSourceQuery: number;
  /**
   * The deadline this record waits for in the proxy's timer queue (`Infinity`: not queued);
   * kept by the proxy, not by the machine.
   */
  queuedAt: number;
}

/** A record's filter state, for traces and displays. */
export interface FilterState<A> {
  mode: FilterMode;
  /** INCLUDE: the sources; EXCLUDE: the requested ones (X). */
  requested: A[];
  /** EXCLUDE: the excluded sources (Y). */
  excluded: A[];
}

/**
 * The group's compatibility mode (RFC 3376 §7.3.2): 1 while an IGMPv1 host is present, 2 while
 * an IGMPv2 (MLDv1) host is, else 3; never newer than `cap`, the LAN's querier version (§7.3.1).
 * MLD has no 1.
 */
export function compatibilityMode(
  g: GroupRecord<unknown>,
  now: number,
  cap: 1 | 2 | 3 = 3,
): 1 | 2 | 3 {
  if (g.v1HostUntil > now || cap === 1) return 1;
  if (g.v2HostUntil > now || cap === 2) return 2;
  return 3;
}

/** Whether traffic from `source` is wanted on the LAN (RFC 3376 §6.3). */
export function admits<A>(g: GroupRecord<A>, source: A): boolean {
  const s = g.sources.get(source);
  return g.mode === "INCLUDE" ? s !== undefined : s === undefined || s.timer !== 0;
}

/** A record for a group with no state: INCLUDE ({}), which is "no record" in the RFC. */
export function newRecord<A>(): GroupRecord<A> {
  return {
    mode: "INCLUDE",
    groupTimer: 0,
    sources: new SourceMap(),
    v1HostUntil: 0,
    v2HostUntil: 0,
    lastReporter: undefined,
    queriesLeft: 0,
    nextQuery: 0,
    nextSourceQuery: 0,
    queuedAt: Infinity,
  };
}

/** The filter state of a record. */
export function filterState<A>(g: GroupRecord<A> | undefined): FilterState<A> | undefined {
  if (g === undefined) return undefined;
  const requested: A[] = [];
  const excluded: A[] = [];
  for (const [s, r] of g.sources) {
    (g.mode === "EXCLUDE" && r.timer === 0 ? excluded : requested).push(s);
  }
  return { mode: g.mode, requested, excluded };
}

/** The earliest deadline in a record: timers, retransmissions, compatibility. */
export function membershipDeadline<A>(g: GroupRecord<A>): number {
  let d = Infinity;
  const consider = (t: number) => {
    if (t !== 0 && t < d) d = t;
  };
  if (g.mode === "EXCLUDE") consider(g.groupTimer);
  for (const r of g.sources.values()) consider(r.timer);
  consider(g.nextQuery);
  consider(g.nextSourceQuery);
  consider(g.v1HostUntil);
  consider(g.v2HostUntil);
  return d;
}
