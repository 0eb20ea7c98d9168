/**
 * Router-side membership of one group on one downstream interface, with source filtering:
 * IGMPv3 (RFC 3376 sections 6 and 7.3) and MLDv2 (RFC 3810 sections 7 and 8), which also
 * cover IGMPv1/v2 and MLDv1 hosts through their compatibility rules.
 *
 * The machine runs on a record of `group_record.ts`. Every change of the source sets runs a row
 * of `filter_table.ts`; older messages are first translated as RFC 3376 section 7.3.2 says (a
 * report is IS_EX({}), a Leave is TO_IN({})), so that one table serves every version.
 *
 * The machine is pure: {@link stepMembership} takes the record, an input and `now`, and returns
 * the next record with the effects for the caller (joined, left, send a query) as data. Timers
 * are absolute deadlines in the record; `tick` turns the due ones into events.
 *
 * @module
 */

import {
  applyRow,
  FILTER_ROWS,
  type FilterAction,
  type FilterEvent,
  isRefreshRow,
} from "./filter_table.ts";
import {
  compatibilityMode,
  type FilterState,
  filterState,
  type GroupRecord,
  newRecord,
} from "./group_record.ts";
import {
  groupMembershipInterval,
  olderHostPresentInterval,
  type ProtocolTimers,
} from "./timers.ts";

/** A record type of IGMPv3 / MLDv2 reports. */
export type RecordType = Exclude<FilterEvent, "SOURCE_TIMER" | "GROUP_TIMER">;

/**
 * What a group record reacts to. A report names its sender as `reporter`, which the record keeps
 * as its last reporter when the report wants traffic.
 */
export type MembershipInput<A> =
  /** An IGMPv3 / MLDv2 group record. */
  | { kind: "record"; type: RecordType; sources: readonly A[]; reporter?: A }
  /** An IGMPv1 report. */
  | { kind: "v1-report"; reporter?: A }
  /** An IGMPv2 or MLDv1 report. */
  | { kind: "v2-report"; reporter?: A }
  /** An IGMPv2 Leave or MLDv1 Done. */
  | { kind: "leave" }
  /** Another router's group-specific query without the S flag: lower the group timer. */
  | { kind: "group-query"; lastMemberQueryTime: number }
  /** Another router's group-and-source-specific query without the S flag. */
  | { kind: "source-query"; sources: readonly A[]; lastMemberQueryTime: number }
  /** Check the timers. */
  | { kind: "tick" };

/** What the machine needs besides the record and the input. */
export interface MembershipContext<A> {
  /** The time of the input (ms). */
  now: number;
  /** The LAN's protocol variables. */
  timers: ProtocolTimers;
  /** Whether the proxy is the querier: only the querier sends queries and lowers timers for them. */
  querier: boolean;
  /** Whether group-and-source-specific queries can be sent (an IGMPv3 / MLDv2 querier). */
  sourceQueries: boolean;
  /**
   * The newest compatibility mode the LAN's groups may be in, in IGMP's numbering: 1 where the
   * LAN is queried with IGMPv1 (RFC 3376 section 7.3.1: every group runs as if an IGMPv1 host
   * were present). Default 3.
   */
  versionCap?: 1 | 2 | 3;
  /** Hears every transition taken (for a debug line each). */
  trace?: (t: MembershipTransition<A>) => void;
}

/** One transition taken, for the caller's debug log. */
export interface MembershipTransition<A> {
  /** The input as the machine saw it, e.g. `TO_IN (B)`, `v2-report as IS_EX ({})`. */
  event: string;
  /** The filter state before (undefined: no record). */
  from: FilterState<A> | undefined;
  /** The row's text and actions, when a row ran. */
  actions: readonly string[];
  /** The filter state after (undefined: no record). */
  next: FilterState<A> | undefined;
}

/** Effects of a step, executed by the caller. */
export type MembershipEffect<A> =
  /** The record was created: the LAN has members of the group. */
  | { kind: "joined" }
  /** The record was deleted. */
  | { kind: "left" }
  /** Send a group-specific query; `suppress` is its S flag. */
  | { kind: "send-group-query"; suppress: boolean }
  /** Send a group-and-source-specific query for `sources`; `suppress` is its S flag. */
  | { kind: "send-source-query"; sources: A[]; suppress: boolean }
  /** An input ignored under the compatibility rules: what, and why (for the log). */
  | { kind: "ignored"; what: string; why: string };

/** Result of one step; `record` undefined means no members (drop the record). */
export interface MembershipStep<A> {
  record: GroupRecord<A> | undefined;
  /** The effects, in order (read-only: an empty list is shared). */
  effects: readonly MembershipEffect<A>[];
  /** Whether the filter mode or a source set changed (forwarding and upstream follow). */
  changed: boolean;
  /**
   * Set when the step was a refresh: it only set the timers of the record's sources to this
   * deadline. The record's earliest deadline is then no earlier than it was, or than this.
   */
  refreshedTo?: number;
}

/** Why a group is in IGMPv1 mode, for the debug line of an input ignored for it. */
function whyV1<A>(st: Step<A>): string {
  return st.g.v1HostUntil > st.c.now ? "an IGMPv1 host is a member" : "the LAN runs IGMPv1";
}

/**
 * Whether an input wants some traffic of the group, so that it may create a record: an IGMPv1/v2
 * or MLDv1 report, an IS_EX or TO_EX record, or another record naming sources other than BLOCK.
 * The sender of such a report is the record's last reporter.
 */
export function wantsTraffic<A>(input: MembershipInput<A>): boolean {
  if (input.kind !== "record") return input.kind === "v1-report" || input.kind === "v2-report";
  if (input.type === "IS_EX" || input.type === "TO_EX") return true;
  return input.type !== "BLOCK" && input.sources.length > 0;
}

/** Last Member Query Time = LMQC × LMQI. */
function lastMemberQueryTime(t: ProtocolTimers): number {
  return t.lastMemberQueryCount * t.lastMemberQueryInterval;
}

/** One step in progress. */
interface Step<A> {
  g: GroupRecord<A>;
  existed: boolean;
  c: MembershipContext<A>;
  /** The effects so far; {@link NO_EFFECTS} until the first. */
  effects: MembershipEffect<A>[];
  changed: boolean;
  /** The deadline a refresh row set, when one ran (see {@link MembershipStep.refreshedTo}). */
  refreshedTo: number | undefined;
}

/** The effects of a step that has none (most steps: refreshes), shared and frozen. */
const NO_EFFECTS: MembershipEffect<never>[] = Object.freeze([]) as unknown as [];

/** Adds an effect to the step. */
function emit<A>(st: Step<A>, effect: MembershipEffect<A>): void {
  if (st.effects === NO_EFFECTS) st.effects = [];
  st.effects.push(effect);
}

/**
 * Applies an input to a group's record. `record` undefined is INCLUDE ({}): only inputs that
 * want traffic create a record (and emit `joined`).
 */
export function stepMembership<A>(
  record: GroupRecord<A> | undefined,
  input: MembershipInput<A>,
  c: MembershipContext<A>,
): MembershipStep<A> {
  const st: Step<A> = {
    g: record ?? newRecord<A>(),
    existed: record !== undefined,
    c,
    effects: NO_EFFECTS,
    changed: false,
    refreshedTo: undefined,
  };
  noteReporter(st.g, input);
  switch (input.kind) {
    case "record":
      receiveRecord(st, input.type, input.sources);
      return finish(st, st.refreshedTo);
    case "v1-report":
      st.g.v1HostUntil = c.now + olderHostPresentInterval(c.timers);
      runRow(st, "IS_EX", [], "v1-report as IS_EX ({})");
      break;
    case "v2-report":
      st.g.v2HostUntil = c.now + olderHostPresentInterval(c.timers);
      runRow(st, "IS_EX", [], "v2-report as IS_EX ({})");
      break;
    case "leave":
      if (compatibilityMode(st.g, c.now, c.versionCap) === 1) {
        emit(st, { kind: "ignored", what: "Leave", why: whyV1(st) });
      } else runRow(st, "TO_IN", [], "leave as TO_IN ({})");
      break;
    case "group-query":
      hearGroupQuery(st, input.lastMemberQueryTime);
      break;
    case "source-query":
      hearSourceQuery(st, input.sources, input.lastMemberQueryTime);
      break;
    case "tick":
      tick(st);
      break;
  }
  return finish(st);
}

/** Keeps the sender of a report that wants traffic as the record's last reporter. */
function noteReporter<A>(g: GroupRecord<A>, input: MembershipInput<A>): void {
  if (
    (input.kind === "record" || input.kind === "v1-report" || input.kind === "v2-report") &&
    input.reporter !== undefined && wantsTraffic(input)
  ) g.lastReporter = input.reporter;
}

/** A version-3 record, translated by the group's compatibility mode (RFC 3376 §7.3.2). */
function receiveRecord<A>(st: Step<A>, type: RecordType, sources: readonly A[]): void {
  const mode = compatibilityMode(st.g, st.c.now, st.c.versionCap);
  // In IGMPv1 mode TO_IN records are ignored as Leaves are: IGMPv1 hosts never leave.
  if (mode === 1 && type === "TO_IN") {
    emit(st, { kind: "ignored", what: "TO_IN record", why: whyV1(st) });
    return;
  }
  if (mode < 3 && type === "BLOCK") {
    const why = `the group is in v${mode} compatibility mode`;
    emit(st, { kind: "ignored", what: "BLOCK record", why });
    return;
  }
  if (mode < 3 && type === "TO_EX" && sources.length > 0) {
    runRow(st, "TO_EX", [], `TO_EX (A) as TO_EX ({}) in v${mode} mode`);
    return;
  }
  const label = st.c.trace ? `${type} (${st.g.mode === "INCLUDE" ? "B" : "A"})` : "";
  runRow(st, type, sources, label);
}

/** Runs the table row of the record's mode and `event` with the record's sources. */
function runRow<A>(st: Step<A>, event: FilterEvent, sources: Iterable<A>, label: string): void {
  const { g, c } = st;
  const row = FILTER_ROWS[g.mode][event];
  if (row === undefined) return;
  const before = c.trace
    ? filterState(st.existed || g.sources.size > 0 ? g : undefined)
    : undefined;
  const gmi = groupMembershipInterval(c.timers);
  const result = applyRow(row, g, sources, c.now, gmi);
  if (isRefreshRow(row)) st.refreshedTo = c.now + gmi;
  if (result.changed) st.changed = true;
  for (const action of result.queries) sendQuery(st, action);
  c.trace?.({
    event: label,
    from: before,
    actions: row.actions.map((a) => a.text),
    next: filterState(g.mode === "INCLUDE" && g.sources.size === 0 ? undefined : g),
  });
}

/**
 * A "Send Q(G)" or "Send Q(G,S)" of a row (RFC 3376 §6.6.3): the querier lowers the timers to
 * LMQT, sends at once, and retransmits LMQC − 1 times, LMQI apart. Others do nothing: the
 * querier's query will lower their timers.
 */
function sendQuery<A>(st: Step<A>, q: { action: FilterAction; sources: Set<A> }): void {
  const { g, c } = st;
  if (!c.querier) return;
  const lmqt = lastMemberQueryTime(c.timers);
  if (q.action.kind === "send-q-g") {
    if (g.groupTimer > c.now + lmqt) g.groupTimer = c.now + lmqt;
    g.queriesLeft = c.timers.lastMemberQueryCount;
    sendGroupQueryNow(st);
    return;
  }
  if (!c.sourceQueries) return;
  let any = false;
  for (const s of q.sources) {
    const r = g.sources.get(s);
    if (r === undefined || !(r.timer > c.now + lmqt)) continue;
    r.queriesLeft = c.timers.lastMemberQueryCount;
    r.timer = c.now + lmqt;
    any = true;
  }
  if (any) sendSourceQueriesNow(st);
}

/** Sends one group-specific query (S flag when the group timer is above LMQT) and schedules the next. */
function sendGroupQueryNow<A>(st: Step<A>): void {
  const { g, c } = st;
  const lmqt = lastMemberQueryTime(c.timers);
  emit(st, { kind: "send-group-query", suppress: g.groupTimer > c.now + lmqt });
  g.queriesLeft--;
  g.nextQuery = g.queriesLeft > 0 ? c.now + c.timers.lastMemberQueryInterval : 0;
}

/**
 * Sends the group-and-source-specific queries of the sources with retransmissions left (RFC 3376
 * §6.6.3.2): one with the S flag for those whose timer is above LMQT, one without for the
 * others; either is left out when empty.
 */
function sendSourceQueriesNow<A>(st: Step<A>): void {
  const { g, c } = st;
  const lmqt = lastMemberQueryTime(c.timers);
  const above: A[] = [];
  const below: A[] = [];
  let more = false;
  for (const [s, r] of g.sources) {
    if (r.queriesLeft <= 0) continue;
    (r.timer > c.now + lmqt ? above : below).push(s);
    r.queriesLeft--;
    if (r.queriesLeft > 0) more = true;
  }
  if (above.length > 0) {
    emit(st, { kind: "send-source-query", sources: above, suppress: true });
  }
  if (below.length > 0) {
    emit(st, { kind: "send-source-query", sources: below, suppress: false });
  }
  g.nextSourceQuery = more ? c.now + c.timers.lastMemberQueryInterval : 0;
}

/** Another router's group-specific query: the group timer is lowered to its LMQT (§6.6.1). */
function hearGroupQuery<A>(st: Step<A>, lmqt: number): void {
  const { g, c } = st;
  if (!st.existed || g.mode !== "EXCLUDE" || !(g.groupTimer > c.now + lmqt)) return;
  g.groupTimer = c.now + lmqt;
  c.trace?.({
    event: "group-query",
    from: filterState(g),
    actions: ["Group Timer=LMQT"],
    next: filterState(g),
  });
}

/** Another router's group-and-source-specific query: its sources' timers go down to LMQT. */
function hearSourceQuery<A>(st: Step<A>, sources: readonly A[], lmqt: number): void {
  const { g, c } = st;
  if (!st.existed) return;
  let lowered = false;
  for (const s of sources) {
    const r = g.sources.get(s);
    if (r !== undefined && r.timer > c.now + lmqt) {
      r.timer = c.now + lmqt;
      lowered = true;
    }
  }
  if (lowered) {
    c.trace?.({
      event: "source-query",
      from: filterState(g),
      actions: ["(A)=LMQT"],
      next: filterState(g),
    });
  }
}

/** The due timers: compatibility, sources, group, then the query retransmissions. */
function tick<A>(st: Step<A>): void {
  const { g, c } = st;
  if (!st.existed) return;
  const { now } = c;
  for (const which of ["v1HostUntil", "v2HostUntil"] as const) {
    if (g[which] === 0 || g[which] > now) continue;
    g[which] = 0;
    const v = which === "v1HostUntil" ? 1 : 2;
    c.trace?.({
      event: `v${v}-host-timer-expired`,
      from: filterState(g),
      actions: [],
      next: filterState(g),
    });
  }
  const expired: A[] = [];
  for (const [s, r] of g.sources) if (r.timer !== 0 && r.timer <= now) expired.push(s);
  if (expired.length > 0) runRow(st, "SOURCE_TIMER", expired, "SOURCE_TIMER (expired)");
  if (g.mode === "EXCLUDE" && g.groupTimer <= now) runRow(st, "GROUP_TIMER", [], "GROUP_TIMER");
  if (g.mode === "INCLUDE" && g.sources.size === 0) return;
  if (g.nextQuery !== 0 && g.nextQuery <= now) {
    if (g.mode === "EXCLUDE") sendGroupQueryNow(st);
    else {
      g.queriesLeft = 0;
      g.nextQuery = 0;
    }
  }
  if (g.nextSourceQuery !== 0 && g.nextSourceQuery <= now) sendSourceQueriesNow(st);
}

/**
 * The step's result: a record in INCLUDE ({}) is no record. `refreshedTo`: the step ran a
 * refresh row and nothing else that moves a deadline.
 */
function finish<A>(st: Step<A>, refreshedTo?: number): MembershipStep<A> {
  const { g } = st;
  const gone = g.mode === "INCLUDE" && g.sources.size === 0;
  if (gone) {
    if (st.existed) emit(st, { kind: "left" });
    return { record: undefined, effects: st.effects, changed: st.existed };
  }
  if (!st.existed) st.effects = [{ kind: "joined" }, ...st.effects];
  const changed = st.changed || !st.existed;
  return refreshedTo === undefined
    ? { record: g, effects: st.effects, changed }
    : { record: g, effects: st.effects, changed, refreshedTo };
}
