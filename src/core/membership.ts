/**
 * Router-side group membership of one group on one downstream interface (RFC 2236 §6,
 * RFC 3376 §7.3.2 for IGMPv1 compatibility), as a transition table.
 *
 * The machine is pure: `stepMembership` takes the record, an event and `now`, and returns the
 * next state with effects as data. Timers are absolute deadlines in the record.
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
}

/**
 * Events a group record reacts to. `group-query` is another querier's group-specific query,
 * heard while the proxy is not the querier: the caller passes timers whose Last Member Query
 * Interval is the query's Max Response Time (RFC 2236 section 6).
 */
export type MembershipEvent = "v1-report" | "v2-report" | "leave" | "group-query" | "tick";

/**
 * Effects of a transition, executed by the caller. `v1-host-present` says a Leave was ignored
 * because an IGMPv1 host is a member (for the log).
 */
export type MembershipEffect = "joined" | "left" | "send-group-query" | "v1-host-present";

/** Result of one step; `record` undefined means "no members present" (drop the record). */
export interface MembershipStep {
  record: GroupRecord | undefined;
  effects: MembershipEffect[];
}

type Transition = (
  g: GroupRecord,
  now: number,
  t: ProtocolTimers,
) => MembershipStep;

const NONE: MembershipEffect[] = [];

function refresh(g: GroupRecord, now: number, t: ProtocolTimers): MembershipStep {
  g.state = "members-present";
  g.expires = now + groupMembershipInterval(t);
  g.queriesLeft = 0;
  g.nextQuery = 0;
  return { record: g, effects: NONE };
}

function refreshV1(g: GroupRecord, now: number, t: ProtocolTimers): MembershipStep {
  g.v1HostUntil = now + olderHostPresentInterval(t);
  return refresh(g, now, t);
}

function startChecking(g: GroupRecord, now: number, t: ProtocolTimers): MembershipStep {
  // A Leave is ignored while an IGMPv1 host is present (RFC 3376 §7.3.2).
  if (g.v1HostUntil > now) return { record: g, effects: ["v1-host-present"] };
  g.state = "checking-membership";
  g.expires = now + t.lastMemberQueryInterval * t.lastMemberQueryCount;
  g.queriesLeft = t.lastMemberQueryCount - 1;
  g.nextQuery = g.queriesLeft > 0 ? now + t.lastMemberQueryInterval : 0;
  return { record: g, effects: ["send-group-query"] };
}

/**
 * A non-querier hearing a group-specific query: the group timer drops to Last Member Query
 * Count × the query's Max Response Time unless it is already lower; no query of our own.
 */
function lowerTimer(g: GroupRecord, now: number, t: ProtocolTimers): MembershipStep {
  const deadline = now + t.lastMemberQueryCount * t.lastMemberQueryInterval;
  if (g.expires > deadline) {
    g.state = "checking-membership";
    g.expires = deadline;
  }
  g.queriesLeft = 0;
  g.nextQuery = 0;
  return { record: g, effects: NONE };
}

function ignore(g: GroupRecord): MembershipStep {
  return { record: g, effects: NONE };
}

function expireTimers(g: GroupRecord, now: number, t: ProtocolTimers): MembershipStep {
  if (g.expires <= now) return { record: undefined, effects: ["left"] };
  if (g.v1HostUntil !== 0 && g.v1HostUntil <= now) g.v1HostUntil = 0;
  if (g.state === "checking-membership" && g.nextQuery !== 0 && g.nextQuery <= now) {
    g.queriesLeft--;
    g.nextQuery = g.queriesLeft > 0 ? g.nextQuery + t.lastMemberQueryInterval : 0;
    return { record: g, effects: ["send-group-query"] };
  }
  return { record: g, effects: NONE };
}

/** The transition table: state × event → transition. */
const TABLE: Record<MembershipState, Record<MembershipEvent, Transition>> = {
  "members-present": {
    "v1-report": refreshV1,
    "v2-report": refresh,
    "leave": startChecking,
    "group-query": lowerTimer,
    "tick": expireTimers,
  },
  "checking-membership": {
    "v1-report": refreshV1,
    "v2-report": refresh,
    "leave": ignore,
    "group-query": lowerTimer,
    "tick": expireTimers,
  },
};

/**
 * Applies an event to a group's record. `record` undefined is the "no members present" state,
 * where only reports matter: they create the record and emit `joined`.
 */
export function stepMembership(
  record: GroupRecord | undefined,
  event: MembershipEvent,
  now: number,
  timers: ProtocolTimers,
): MembershipStep {
  if (record === undefined) {
    if (event !== "v1-report" && event !== "v2-report") return { record: undefined, effects: NONE };
    const fresh: GroupRecord = {
      state: "members-present",
      expires: 0,
      v1HostUntil: 0,
      queriesLeft: 0,
      nextQuery: 0,
    };
    const step = TABLE[fresh.state][event](fresh, now, timers);
    return { record: step.record, effects: ["joined"] };
  }
  return TABLE[record.state][event](record, now, timers);
}

/** The earliest deadline in a record (group timer, next query, v1 host timer). */
export function membershipDeadline(g: GroupRecord): number {
  let d = g.expires;
  if (g.nextQuery !== 0 && g.nextQuery < d) d = g.nextQuery;
  if (g.v1HostUntil !== 0 && g.v1HostUntil < d) d = g.v1HostUntil;
  return d;
}
