/**
 * Querier election on one LAN (RFC 2236 section 3, RFC 3376 section 6.6.2), as a transition
 * table: every router starts as querier; a query from a numerically lower address makes it a
 * non-querier until the Other Querier Present timer expires, when it is querier again. Queries
 * from 0.0.0.0 never win, whatever their version. An IGMPv1 router on the LAN (which has no
 * election, RFC 2236 section 4) and a router querying in a newer version than the LAN is
 * configured for (RFC 3376 section 7.3.1) are reported, once per Other Querier Present Interval.
 *
 * ```
 *             query from a lower address
 *   querier ------------------------------> non-querier --+ query from the querier, a lower
 *      ^                                        |   ^     | one, or one after its silence
 *      +----------------------------------------+   +-----+
 *           Other Querier Present timer expired
 * ```
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
  /**
   * Until when a router querying in a newer version than the LAN's counts as present (0: none
   * heard).
   */
  newerQuerierUntil: number;
}

/** What a query or a timer changed; the proxy acts on these. */
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
  | "v1-router"
  /**
   * A router queries in a newer version than the LAN's, where none did for an Other Querier
   * Present Interval.
   */
  | "newer-router";

/** The table's states. */
export type QuerierRole = "querier" | "non-querier";

/**
 * The table's events, derived from a heard query (its source against ours and the querier
 * known) or from the Other Querier Present timer.
 */
export type QuerierEvent =
  /** From a lower address than ours, while we are querier; or from a router between. */
  | "lower-query"
  /** From the router we know as querier. */
  | "querier-query"
  /** From a router lower than the known querier, or one heard after its silence. */
  | "new-querier-query"
  /** The Other Querier Present timer expired. */
  | "other-querier-timer-expired"
  /** An IGMPv1 query, the first for an Other Querier Present Interval. */
  | "v1-router-query"
  /** An IGMPv1 query while one was heard recently. */
  | "v1-query"
  /** A query newer than the LAN's version, the first for an Other Querier Present Interval. */
  | "newer-router-query"
  /** A query newer than the LAN's version while one was heard recently. */
  | "newer-query";

/** What a row does to the state (the {@link QuerierChange}s are for the proxy). */
type StateAction =
  /** The query's source is the querier, heard now. */
  | "note-querier"
  /** The known querier was heard now. */
  | "note-heard"
  | "start-other-querier-timer"
  | "stop-other-querier-timer"
  | "start-v1-querier-timer"
  | "start-newer-querier-timer";

/** An action of a row. */
export type QuerierAction = StateAction | QuerierChange;

/** One row of the table; `next` undefined keeps the role. */
export interface QuerierRow {
  state: QuerierRole | "any";
  event: QuerierEvent;
  actions: readonly QuerierAction[];
  next: QuerierRole | undefined;
}

/** One transition taken, for the caller's debug log. */
export interface QuerierTransition {
  event: QuerierEvent;
  from: QuerierRole;
  actions: readonly QuerierAction[];
  next: QuerierRole;
}

const OQP = "start-other-querier-timer";

/** The election table. */
// deno-fmt-ignore
export const QUERIER_TABLE: readonly QuerierRow[] = [
  { state: "querier",     event: "lower-query",                 actions: ["note-querier", OQP, "lost"],         next: "non-querier" },
  { state: "non-querier", event: "lower-query",                 actions: [OQP],                                 next: "non-querier" },
  { state: "non-querier", event: "querier-query",               actions: ["note-heard", OQP],                   next: "non-querier" },
  { state: "non-querier", event: "new-querier-query",           actions: ["note-querier", OQP, "new-querier"],  next: "non-querier" },
  { state: "non-querier", event: "other-querier-timer-expired", actions: ["stop-other-querier-timer", "resumed"], next: "querier" },
  { state: "any",         event: "v1-router-query",             actions: ["start-v1-querier-timer", "v1-router"], next: undefined },
  { state: "any",         event: "v1-query",                    actions: ["start-v1-querier-timer"],            next: undefined },
  { state: "any",         event: "newer-router-query",          actions: ["start-newer-querier-timer", "newer-router"], next: undefined },
  { state: "any",         event: "newer-query",                 actions: ["start-newer-querier-timer"],         next: undefined },
];

const CHANGES: ReadonlySet<QuerierAction> = new Set<QuerierChange>([
  "lost",
  "new-querier",
  "resumed",
  "v1-router",
  "newer-router",
]);

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
    newerQuerierUntil: 0,
  };
}

/** A query as the election sees it. */
export interface HeardQuery<A extends Address> {
  /** Its source. */
  source: A;
  /** Our address on the LAN. */
  ours: A;
  /** From an IGMPv1 router. */
  legacy: boolean;
  /** In a newer version than the LAN is queried with (RFC 3376 section 7.3.1). */
  newer?: boolean;
}

/** The table events a query means, in the order they apply. */
export function queryEvents<A extends Address>(
  q: QuerierState<A>,
  query: HeardQuery<A>,
  now: number,
  timers: ProtocolTimers,
): QuerierEvent[] {
  // 0.0.0.0 and :: (0 or 0n): a router without an address never wins.
  if (!query.source) return [];
  const events: QuerierEvent[] = [];
  if (query.legacy) events.push(q.v1QuerierUntil <= now ? "v1-router-query" : "v1-query");
  if (query.newer) events.push(q.newerQuerierUntil <= now ? "newer-router-query" : "newer-query");
  if (query.source >= query.ours) return events;
  if (q.querier) events.push("lower-query");
  else if (query.source === q.otherQuerier) events.push("querier-query");
  else if (query.source < q.otherQuerier || now - q.otherQuerierHeard > timers.queryInterval) {
    events.push("new-querier-query");
  } // A router between the querier and us (about to hear the querier) keeps us quiet as well.
  else events.push("lower-query");
  return events;
}

/**
 * Runs one table event. `source` is the query's (unused for timer events). Returns the changes
 * for the proxy; `trace`, when given, hears the transition.
 */
export function stepQuerier<A extends Address>(
  q: QuerierState<A>,
  event: QuerierEvent,
  ctx: { source: A; now: number; timers?: ProtocolTimers },
  trace?: (t: QuerierTransition) => void,
): QuerierChange[] {
  const from: QuerierRole = q.querier ? "querier" : "non-querier";
  const row = QUERIER_TABLE.find((r) =>
    r.event === event && (r.state === from || r.state === "any")
  );
  if (row === undefined) return [];
  const changes: QuerierChange[] = [];
  const { now } = ctx;
  const oqpi = () => {
    if (ctx.timers === undefined) throw new TypeError(`${event} needs the protocol timers`);
    return otherQuerierPresentInterval(ctx.timers);
  };
  for (const action of row.actions) {
    if (CHANGES.has(action)) {
      changes.push(action as QuerierChange);
      continue;
    }
    switch (action as StateAction) {
      case "note-querier":
        q.otherQuerier = ctx.source;
        q.otherQuerierHeard = now;
        break;
      case "note-heard":
        q.otherQuerierHeard = now;
        break;
      case "start-other-querier-timer":
        q.otherQuerierUntil = now + oqpi();
        break;
      case "stop-other-querier-timer":
        q.otherQuerierUntil = 0;
        break;
      case "start-v1-querier-timer":
        q.v1QuerierUntil = now + oqpi();
        break;
      case "start-newer-querier-timer":
        q.newerQuerierUntil = now + oqpi();
        break;
    }
  }
  const next = row.next ?? from;
  q.querier = next === "querier";
  trace?.({ event, from, actions: row.actions, next });
  return changes;
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
  query: HeardQuery<A>,
  now: number,
  timers: ProtocolTimers,
  trace?: (t: QuerierTransition) => void,
): QuerierChange[] {
  const ctx = { source: query.source, now, timers };
  return queryEvents(q, query, now, timers).flatMap((e) => stepQuerier(q, e, ctx, trace));
}

/** The Other Querier Present timer at `now`: `["resumed"]` when it expired, else nothing. */
export function expireQuerier<A extends Address>(
  q: QuerierState<A>,
  now: number,
  trace?: (t: QuerierTransition) => void,
): QuerierChange[] {
  if (q.querier || q.otherQuerierUntil > now) return [];
  return stepQuerier(q, "other-querier-timer-expired", { source: q.otherQuerier, now }, trace);
}

/** The election's next deadline: the Other Querier Present timer, or `Infinity` as querier. */
export function querierDeadline<A extends Address>(q: QuerierState<A>): number {
  return q.querier ? Infinity : q.otherQuerierUntil;
}
