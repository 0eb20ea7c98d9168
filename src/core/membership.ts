/**
 * Router-side membership of one group on one downstream interface (RFC 2236 section 6, with
 * the IGMPv1 compatibility of RFC 3376 section 7.3.2), as a transition table: each row is
 * `{state, event, actions, next}`, and {@link stepMembership} is the one function that runs it.
 *
 * ```
 *                      v1/v2 report
 *   no-members-present ------------> members-present <------------------------+
 *          ^                          |   ^      |                             |
 *          | group timer expired      |   |      | leave (no IGMPv1 host)      | v1/v2 report
 *          +--------------------------+   |      v                             |
 *          ^                              +-- checking-membership -------------+
 *          |       group timer expired       |  ^  retransmit timer: query again
 *          +---------------------------------+  +-----+
 * ```
 *
 * The machine is pure: it takes the record, an event and `now`, and returns the next record
 * with the effects for the caller (join, leave, send a query) as data. Timers are absolute
 * deadlines in the record; `tick` turns the due ones into timer events.
 *
 * @module
 */

import {
  groupMembershipInterval,
  olderHostPresentInterval,
  type ProtocolTimers,
} from "./timers.ts";

/** Group states on an interface (RFC 2236 §6: the router's "No Members Present" is no record). */
export type MembershipState = "members-present" | "checking-membership";

/** The table's states: a record's, or no record at all. */
export type MembershipTableState = MembershipState | "no-members-present";

/** Membership of one group on one interface. */
export interface GroupRecord {
  /** Current state. */
  state: MembershipState;
  /** Group timer: the membership ends at this time unless refreshed. */
  expires: number;
  /** IGMPv1 host present until this time (0: no v1 host), RFC 3376 §7.3.2. */
  v1HostUntil: number;
  /** Group-specific queries still to send while checking membership. */
  queriesLeft: number;
  /** When the next group-specific query is due (0: none). */
  nextQuery: number;
  /**
   * The deadline this record waits for in the proxy's timer queue (`Infinity`: not queued);
   * kept by the proxy, not by the machine.
   */
  queuedAt: number;
}

/**
 * Events a group record reacts to. `group-query` is another querier's group-specific query,
 * heard while the proxy is not the querier: the caller passes timers whose Last Member Query
 * Interval is the query's Max Response Time (RFC 2236 section 6). `tick` checks the timers.
 */
export type MembershipEvent = "v1-report" | "v2-report" | "leave" | "group-query" | "tick";

/**
 * The events of the table, derived from a {@link MembershipEvent} and the record's timers:
 * a Leave while an IGMPv1 host is present, a group query that would not lower the group timer,
 * and the three timers (group, retransmit, IGMPv1 host present) each have their own.
 */
export type MembershipTableEvent =
  | "v1-report"
  | "v2-report"
  | "leave"
  | "leave-v1-host-present"
  | "group-query"
  | "group-query-timer-lower"
  | "group-timer-expired"
  | "retransmit-timer-expired"
  | "v1-host-timer-expired";

/**
 * Effects of a transition, executed by the caller. `v1-host-present` says a Leave was ignored
 * because an IGMPv1 host is a member (for the log).
 */
export type MembershipEffect = "joined" | "left" | "send-group-query" | "v1-host-present";

/** What a row does to the record itself. */
type RecordAction =
  /** Group timer := Group Membership Interval. */
  | "start-group-timer"
  /** Group timer := LMQC × LMQI, and LMQC − 1 more queries LMQI apart. */
  | "start-last-member-timers"
  /** Group timer := LMQC × the heard query's Max Response Time. */
  | "lower-group-timer"
  /** One more query sent: the next LMQI later, if any is left. */
  | "next-retransmit"
  /** No more group-specific queries. */
  | "stop-retransmit-timer"
  /** IGMPv1 host present for the Older Host Present Interval. */
  | "start-v1-host-timer"
  | "stop-v1-host-timer";

/** An action of a row: on the record, or an effect for the caller. */
export type MembershipAction = RecordAction | MembershipEffect;

/** One row of the table. */
export interface MembershipRow {
  state: MembershipTableState;
  event: MembershipTableEvent;
  actions: readonly MembershipAction[];
  next: MembershipTableState;
}

/** One transition taken, for the caller's debug log. */
export interface MembershipTransition {
  event: MembershipTableEvent;
  from: MembershipTableState;
  actions: readonly MembershipAction[];
  next: MembershipTableState;
}

/** Result of one step; `record` undefined means "no members present" (drop the record). */
export interface MembershipStep {
  record: GroupRecord | undefined;
  effects: MembershipEffect[];
}

const REFRESH = ["start-group-timer", "stop-retransmit-timer"] as const;
const REFRESH_V1 = ["start-v1-host-timer", ...REFRESH] as const;

/** A row: state, event, actions, next state. */
function row(
  state: MembershipTableState,
  event: MembershipTableEvent,
  actions: readonly MembershipAction[],
  next: MembershipTableState,
): MembershipRow {
  return { state, event, actions, next };
}

const NONE = "no-members-present";
const PRESENT = "members-present";
const CHECKING = "checking-membership";

/** The transition table. A pair with no row leaves the record as it is. */
// deno-fmt-ignore
export const MEMBERSHIP_TABLE: readonly MembershipRow[] = [
  row(NONE,     "v1-report",                [...REFRESH_V1, "joined"],                         PRESENT),
  row(NONE,     "v2-report",                [...REFRESH, "joined"],                            PRESENT),

  row(PRESENT,  "v1-report",                REFRESH_V1,                                        PRESENT),
  row(PRESENT,  "v2-report",                REFRESH,                                           PRESENT),
  row(PRESENT,  "leave",                    ["start-last-member-timers", "send-group-query"],  CHECKING),
  row(PRESENT,  "leave-v1-host-present",    ["v1-host-present"],                               PRESENT),
  row(PRESENT,  "group-query",              ["lower-group-timer", "stop-retransmit-timer"],    CHECKING),
  row(PRESENT,  "group-query-timer-lower",  ["stop-retransmit-timer"],                         PRESENT),
  row(PRESENT,  "v1-host-timer-expired",    ["stop-v1-host-timer"],                            PRESENT),
  row(PRESENT,  "group-timer-expired",      ["left"],                                          NONE),

  row(CHECKING, "v1-report",                REFRESH_V1,                                        PRESENT),
  row(CHECKING, "v2-report",                REFRESH,                                           PRESENT),
  row(CHECKING, "leave",                    [],                                                CHECKING),
  row(CHECKING, "leave-v1-host-present",    [],                                                CHECKING),
  row(CHECKING, "group-query",              ["lower-group-timer", "stop-retransmit-timer"],    CHECKING),
  row(CHECKING, "group-query-timer-lower",  ["stop-retransmit-timer"],                         CHECKING),
  row(CHECKING, "retransmit-timer-expired", ["next-retransmit", "send-group-query"],           CHECKING),
  row(CHECKING, "v1-host-timer-expired",    ["stop-v1-host-timer"],                            CHECKING),
  row(CHECKING, "group-timer-expired",      ["left"],                                          NONE),
];

/** The table by state, then event: one lookup per transition, nothing built per report. */
const ROWS: { [S in MembershipTableState]?: { [E in MembershipTableEvent]?: MembershipRow } } = {};
for (const r of MEMBERSHIP_TABLE) (ROWS[r.state] ??= {})[r.event] = r;

const EFFECTS: ReadonlySet<MembershipAction> = new Set<MembershipEffect>([
  "joined",
  "left",
  "send-group-query",
  "v1-host-present",
]);

/** The table events an event means for `g` at `now`, in the order they apply. */
function tableEvents(
  g: GroupRecord | undefined,
  event: MembershipEvent,
  now: number,
  t: ProtocolTimers,
): MembershipTableEvent[] {
  switch (event) {
    case "v1-report":
    case "v2-report":
      return [event];
    case "leave":
      // A Leave is ignored while an IGMPv1 host is present (RFC 3376 §7.3.2).
      return [g !== undefined && g.v1HostUntil > now ? "leave-v1-host-present" : "leave"];
    case "group-query": {
      const deadline = now + t.lastMemberQueryCount * t.lastMemberQueryInterval;
      return [g !== undefined && g.expires > deadline ? "group-query" : "group-query-timer-lower"];
    }
    case "tick": {
      if (g === undefined) return [];
      if (g.expires <= now) return ["group-timer-expired"];
      const due: MembershipTableEvent[] = [];
      if (g.v1HostUntil !== 0 && g.v1HostUntil <= now) due.push("v1-host-timer-expired");
      if (g.nextQuery !== 0 && g.nextQuery <= now) due.push("retransmit-timer-expired");
      return due;
    }
  }
}

/** Applies one action of a row to the record. */
function apply(g: GroupRecord, action: RecordAction, now: number, t: ProtocolTimers): void {
  switch (action) {
    case "start-group-timer":
      g.expires = now + groupMembershipInterval(t);
      return;
    case "start-last-member-timers":
      g.expires = now + t.lastMemberQueryInterval * t.lastMemberQueryCount;
      g.queriesLeft = t.lastMemberQueryCount - 1;
      g.nextQuery = g.queriesLeft > 0 ? now + t.lastMemberQueryInterval : 0;
      return;
    case "lower-group-timer":
      g.expires = now + t.lastMemberQueryCount * t.lastMemberQueryInterval;
      return;
    case "next-retransmit":
      g.queriesLeft--;
      g.nextQuery = g.queriesLeft > 0 ? g.nextQuery + t.lastMemberQueryInterval : 0;
      return;
    case "stop-retransmit-timer":
      g.queriesLeft = 0;
      g.nextQuery = 0;
      return;
    case "start-v1-host-timer":
      g.v1HostUntil = now + olderHostPresentInterval(t);
      return;
    case "stop-v1-host-timer":
      g.v1HostUntil = 0;
      return;
  }
}

/** A record for a group with no state yet. */
function newRecord(): GroupRecord {
  return {
    state: "members-present",
    expires: 0,
    v1HostUntil: 0,
    queriesLeft: 0,
    nextQuery: 0,
    queuedAt: Infinity,
  };
}

/**
 * Applies an event to a group's record. `record` undefined is the "no members present" state,
 * where only reports matter: they create the record and emit `joined`. `trace`, when given,
 * hears every transition taken (for a debug line each).
 */
export function stepMembership(
  record: GroupRecord | undefined,
  event: MembershipEvent,
  now: number,
  timers: ProtocolTimers,
  trace?: (t: MembershipTransition) => void,
): MembershipStep {
  let g = record;
  const effects: MembershipEffect[] = [];
  for (const e of tableEvents(g, event, now, timers)) {
    const from: MembershipTableState = g?.state ?? "no-members-present";
    const row = ROWS[from]?.[e];
    if (row === undefined) continue;
    g ??= newRecord();
    for (const action of row.actions) {
      if (EFFECTS.has(action)) effects.push(action as MembershipEffect);
      else apply(g, action as RecordAction, now, timers);
    }
    trace?.({ event: e, from, actions: row.actions, next: row.next });
    if (row.next === "no-members-present") g = undefined;
    else g.state = row.next;
  }
  return { record: g, effects };
}

/** The earliest deadline in a record (group timer, next query, v1 host timer). */
export function membershipDeadline(g: GroupRecord): number {
  let d = g.expires;
  if (g.nextQuery !== 0 && g.nextQuery < d) d = g.nextQuery;
  if (g.v1HostUntil !== 0 && g.v1HostUntil < d) d = g.v1HostUntil;
  return d;
}
