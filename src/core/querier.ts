/**
 * Querier election on one LAN (RFC 2236 section 3, RFC 3376 section 6.6.2): every router starts
 * as querier; a query from a numerically lower address makes it a non-querier until the Other
 * Querier Present timer expires, when it is querier again. Queries from 0.0.0.0 never win.
 * An IGMPv1 router on the LAN is reported, not obeyed (RFC 2236 section 4).
 *
 * Pure: {@link hearQuery} and {@link expireQuerier} take the state, the event and `now`, update
 * the state and return what changed as data; the proxy acts on it.
 *
 * @module
 */

import type { Address } from "./subnet.ts";
import { otherQuerierPresentInterval, type ProtocolTimers } from "./timers.ts";

/** The election state of one LAN; addresses are IPv4 numbers or IPv6 bigints. */
export interface QuerierState<A extends Address = number> {
  /** Whether the proxy is the querier. */
  querier: boolean;
  /** The other router that is querier, or last was (unspecified: none heard). */
  otherQuerier: A;
  /** When a query from {@link QuerierState.otherQuerier} was last heard. */
  otherQuerierHeard: number;
  /** When the Other Querier Present timer expires (0 while the proxy is querier). */
  otherQuerierUntil: number;
  /** Until when an IGMPv1 router counts as present (0: none heard). */
  v1QuerierUntil: number;
}

/** What a query or a timer changed. */
export type QuerierChange =
  /** A lower address queries: the proxy stops being querier. */
  | "lost"
  /**
   * The proxy is not querier, and the querier is now another lower-addressed router: a lower
   * one than the last, or one that queries while the last has been silent for a Query Interval.
   */
  | "new-querier"
  /** The Other Querier Present timer expired: the proxy is querier again. */
  | "resumed"
  /** An IGMPv1 router queries where none was heard for an Other Querier Present Interval. */
  | "v1-router";

/**
 * The state of a LAN where the proxy has just started: it is querier. `unspecified` is the
 * family's unspecified address (0 for IPv4, the default).
 */
export function initialQuerier<A extends Address = number>(
  unspecified: A = 0 as A,
): QuerierState<A> {
  return {
    querier: true,
    otherQuerier: unspecified,
    otherQuerierHeard: 0,
    otherQuerierUntil: 0,
    v1QuerierUntil: 0,
  };
}

/**
 * A query from `source` (not one of ours) heard on a LAN whose address is `ours`. Returns the
 * changes, in the order they happened; empty when nothing changed but timers.
 *
 * @example
 * ```ts
 * const q = initialQuerier();
 * hearQuery(q, { source: 0x0a010001, ours: 0x0a010002, legacy: false }, 0, DEFAULT_TIMERS);
 * // ["lost"]; q.otherQuerierUntil is 255 000 ms later
 * ```
 */
export function hearQuery<A extends Address>(
  q: QuerierState<A>,
  query: { source: A; ours: A; legacy: boolean },
  now: number,
  timers: ProtocolTimers,
): QuerierChange[] {
  const changes: QuerierChange[] = [];
  // 0.0.0.0 and :: (0 or 0n): a router without an address never wins.
  if (!query.source) return changes;
  const oqpi = otherQuerierPresentInterval(timers);
  if (query.legacy) {
    if (q.v1QuerierUntil <= now) changes.push("v1-router");
    q.v1QuerierUntil = now + oqpi;
  }
  if (query.source >= query.ours) return changes;
  if (q.querier) {
    changes.push("lost");
    q.otherQuerier = query.source;
  } else if (
    query.source !== q.otherQuerier &&
    (query.source < q.otherQuerier || now - q.otherQuerierHeard > timers.queryInterval)
  ) {
    changes.push("new-querier");
    q.otherQuerier = query.source;
  }
  if (query.source === q.otherQuerier) q.otherQuerierHeard = now;
  // A router between the querier and us (about to hear the querier) keeps us quiet as well.
  q.querier = false;
  q.otherQuerierUntil = now + oqpi;
  return changes;
}

/** The Other Querier Present timer at `now`: `["resumed"]` when it expired, else nothing. */
export function expireQuerier<A extends Address>(q: QuerierState<A>, now: number): QuerierChange[] {
  if (q.querier || q.otherQuerierUntil > now) return [];
  q.querier = true;
  q.otherQuerierUntil = 0;
  return ["resumed"];
}

/** The election's next deadline: the Other Querier Present timer, or `Infinity` as querier. */
export function querierDeadline<A extends Address>(q: QuerierState<A>): number {
  return q.querier ? Infinity : q.otherQuerierUntil;
}
