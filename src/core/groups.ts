/**
 * Group membership across the LANs: each LAN's records run the machine of `membership.ts`;
 * this file carries out its effects. The upstream membership of a group is the merge of the
 * LANs' filters (RFC 4605 section 4.1, `upstream_merge.ts`): joined when the first LAN wants
 * some source, its source filter updated in place as the LANs change theirs, left when no LAN
 * wants any; and every change of a LAN's source sets brings the group's forwarding entries in
 * line.
 *
 * Group timers wait in a deadline heap: each record is queued for its earliest deadline, so a
 * tick and the next deadline cost the same with ten groups or ten thousand.
 *
 * @module
 */

import { isAnySource, type SourceFilter } from "./actions.ts";
import { type FilterState, type GroupRecord, membershipDeadline } from "./group_record.ts";
import {
  type MembershipEffect,
  type MembershipInput,
  type MembershipTransition,
  stepMembership,
} from "./membership.ts";
import { sendGroupQuery, sendSourceQuery } from "./queries.ts";
import { reconcileGroup } from "./sources.ts";
import {
  isGroupBounded,
  isSsmGroup,
  log,
  notice,
  type ProxyState,
  type StepContext,
  versionCap,
  type VifState,
} from "./state.ts";
import type { Address } from "./subnet.ts";
import type { ProtocolTimers } from "./timers.ts";
import { mergeMemberships } from "./upstream_merge.ts";
import { VifSet } from "./vif_set.ts";

/**
 * Runs the membership machine of `group` on `vif` for one input, keeps its record queued, and
 * carries out the effects; a change of the source sets brings the upstream membership and the
 * group's forwarding entries in line. `timers` replace the LAN's own for this input.
 */
export function applyMembership<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
  input: MembershipInput<A>,
  timers: ProtocolTimers = vif.timers,
): void {
  const before = vif.groups.get(group);
  const sizeBefore = before?.sources.size ?? 0;
  const step = stepMembership(before, input, {
    now: ctx.now,
    timers,
    querier: vif.querier,
    sourceQueries: vif.queryVersion === ctx.state.family.latestVersion,
    versionCap: versionCap(ctx.state, vif),
    trace: membershipTrace(ctx, vif, group),
  });
  const { record, effects } = step;
  ctx.state.membershipSources += (record?.sources.size ?? 0) - sizeBefore;
  if (record === undefined) {
    vif.groups.delete(group);
    if (before !== undefined) notice(ctx, { kind: "member-leave", vifi: vif.vifi, group });
  } else {
    if (before === undefined) {
      vif.groups.set(group, record);
      notice(ctx, { kind: "member-join", vifi: vif.vifi, group });
    }
    // A refresh moves no deadline before the one queued: the queue entry stands (when it comes
    // due, the record is queued again for its new earliest deadline).
    if (!(step.refreshedTo !== undefined && step.refreshedTo >= record.queuedAt)) {
      scheduleGroup(ctx.state, vif, group, record);
    }
  }
  for (const effect of effects) applyEffect(ctx, vif, group, effect);
  if (step.changed) {
    syncUpstream(ctx, group);
    reconcileGroup(ctx, group);
  }
}

/** The most sources a debug line names before it counts the rest. */
const TRACE_SOURCES = 8;

/** A filter state as a debug line shows it: `INCLUDE {10.0.0.2}`, `EXCLUDE {} {10.0.0.3}`. */
export function formatFilterState<A extends Address>(
  state: ProxyState<A>,
  f: FilterState<A> | undefined,
): string {
  const list = (sources: A[]) => {
    const shown = sources.slice(0, TRACE_SOURCES).map((a) => state.family.format(a));
    const more = sources.length - shown.length;
    return `{${shown.join(", ")}${more > 0 ? `, +${more}` : ""}}`;
  };
  if (f === undefined) return "INCLUDE {}";
  return f.mode === "INCLUDE"
    ? `INCLUDE ${list(f.requested)}`
    : `EXCLUDE ${list(f.requested)} ${list(f.excluded)}`;
}

/** With debug logging on, logs each transition of a group's machine in one line. */
function membershipTrace<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
): ((t: MembershipTransition<A>) => void) | undefined {
  const { state } = ctx;
  if (!state.options.debug) return undefined;
  return (t) =>
    log(
      ctx,
      "debug",
      `Group ${state.family.format(group)} on "${vif.name}": ${t.event}, ` +
        `${formatFilterState(state, t.from)} -> ${formatFilterState(state, t.next)}` +
        (t.actions.length === 0 ? "" : ` (${t.actions.join(", ")})`),
    );
}

/** Carries out one effect of the machine. */
function applyEffect<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
  effect: MembershipEffect<A>,
): void {
  const { state } = ctx;
  const { family } = state;
  switch (effect.kind) {
    case "send-group-query":
      if (vif.querier) sendGroupQuery(ctx, vif, group, effect.suppress);
      return;
    case "send-source-query":
      if (vif.querier) sendSourceQuery(ctx, vif, group, effect.sources, effect.suppress);
      return;
    case "ignored":
      log(
        ctx,
        "debug",
        `${effect.what} for ${family.format(group)} on "${vif.name}" ignored: ${effect.why}`,
      );
      return;
    case "joined": {
      let set = state.members.get(group);
      if (set === undefined) state.members.set(group, set = new VifSet());
      set.add(vif.vifi);
      log(ctx, "debug", `Group ${family.format(group)} joined on "${vif.name}"`);
      const up = state.upstream;
      if (
        up !== undefined && isGroupBounded(state, up, group) && state.options.debug &&
        set.size === 1
      ) {
        log(
          ctx,
          "debug",
          `Group ${family.format(group)} is inside a boundary of "${up.name}": not joined upstream`,
        );
      }
      return;
    }
    case "left":
      log(ctx, "debug", `Group ${family.format(group)} left on "${vif.name}"`);
      dropMember(ctx, vif, group);
      return;
  }
}

/**
 * The membership of `group` the upstream interface needs (RFC 4605 section 4.1): the merge of
 * every LAN's filter, `undefined` when no LAN wants any source. SSM groups never take part in
 * an EXCLUDE (any-source) membership.
 */
function upstreamFilter<A extends Address>(
  state: ProxyState<A>,
  group: A,
): SourceFilter<A> | undefined {
  const records: GroupRecord<A>[] = [];
  const ssm = isSsmGroup(state, group);
  for (const vifi of state.members.get(group) ?? []) {
    const record = state.vifs.get(vifi)?.groups.get(group);
    if (record !== undefined && !(ssm && record.mode === "EXCLUDE")) records.push(record);
  }
  return mergeMemberships(records);
}

/** Whether two filters are the same (their sources in numeric order, as the merge gives them). */
function sameFilter<A extends Address>(a: SourceFilter<A>, b: SourceFilter<A>): boolean {
  if (a.mode !== b.mode || a.sources.length !== b.sources.length) return false;
  for (let i = 0; i < a.sources.length; i++) if (a.sources[i] !== b.sources[i]) return false;
  return true;
}

/**
 * Brings the upstream membership of `group` in line with the LANs': joins it, updates its
 * source filter in place, or leaves it. Nothing without an upstream (it is joined when the
 * upstream appears) or inside an upstream boundary. Returns whether a new join was issued.
 */
export function syncUpstream<A extends Address>(ctx: StepContext<A>, group: A): boolean {
  const { state } = ctx;
  state.changedGroups?.add(group);
  const up = state.upstream;
  if (up === undefined || isGroupBounded(state, up, group)) return false;
  const filter = upstreamFilter(state, group);
  const joined = state.upstreamJoined.get(group);
  if (filter === undefined) {
    if (joined !== undefined) {
      state.upstreamJoined.delete(group);
      ctx.out.push({ kind: "leave", group, ifindex: up.ifindex, name: up.name });
    }
    return false;
  }
  if (joined !== undefined && sameFilter(joined, filter)) return false;
  state.upstreamJoined.set(group, filter);
  ctx.out.push({
    kind: "join",
    group,
    ifindex: up.ifindex,
    name: up.name,
    ...(isAnySource(filter) ? {} : { filter }),
  });
  return joined === undefined;
}

/** Takes a VIF out of a group's members; upstream follows what the other LANs want. */
export function dropMember<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
): void {
  const { state } = ctx;
  const set = state.members.get(group);
  set?.delete(vif.vifi);
  if (set !== undefined && set.size === 0) state.members.delete(group);
  syncUpstream(ctx, group);
}

/** Ends the membership of `vif` in `group` (the group's entries are the caller's). */
export function endMembership<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
): void {
  const record = vif.groups.get(group);
  if (record !== undefined) {
    ctx.state.membershipSources -= record.sources.size;
    vif.groups.delete(group);
    notice(ctx, { kind: "member-leave", vifi: vif.vifi, group });
  }
  dropMember(ctx, vif, group);
}

/** Leaves every group joined upstream and forgets them. */
export function leaveUpstream<A extends Address>(ctx: StepContext<A>): void {
  const { state } = ctx;
  const up = state.upstream;
  if (up !== undefined) {
    for (const group of state.upstreamJoined.keys()) {
      ctx.out.push({ kind: "leave", group, ifindex: up.ifindex, name: up.name });
    }
  }
  state.upstreamJoined.clear();
}

/** Runs the machines of the records whose earliest timer is due. */
export function tickGroups<A extends Address>(ctx: StepContext<A>): void {
  const { state, now } = ctx;
  for (const timer of state.groupTimers.popDue(now)) {
    const { vif, group, record } = timer;
    // Stale: the VIF or the record is gone, or the record was queued again for earlier.
    if (state.vifs.get(vif.vifi) !== vif || vif.groups.get(group) !== record) continue;
    if (record.queuedAt !== timer.at) continue;
    record.queuedAt = Infinity;
    if (membershipDeadline(record) <= now) applyMembership(ctx, vif, group, { kind: "tick" });
    else scheduleGroup(state, vif, group, record);
  }
}

/** How many stale group timers may wait in the queue beyond one per record. */
const STALE_TIMERS_SLACK = 1024;

/**
 * Queues the record's earliest timer unless an entry at least as early is queued already. When
 * stale entries (left behind by timers that moved earlier, e.g. a Leave then a Report, again
 * and again) outnumber the records, the queue is rebuilt from the records.
 */
function scheduleGroup<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  group: A,
  record: GroupRecord<A>,
): void {
  const at = membershipDeadline(record);
  if (!(at < record.queuedAt)) return;
  record.queuedAt = at;
  state.groupTimers.push({ at, vif, group, record });
  if (state.groupTimers.size > STALE_TIMERS_SLACK) {
    let records = 0;
    for (const v of state.vifs.values()) records += v.groups.size;
    if (state.groupTimers.size > 2 * records + STALE_TIMERS_SLACK) rebuildGroupTimers(state);
  }
}

/** Rebuilds the timer queue with one entry per record. */
function rebuildGroupTimers<A extends Address>(state: ProxyState<A>): void {
  state.groupTimers.clear();
  for (const vif of state.vifs.values()) {
    for (const [group, record] of vif.groups) {
      const at = membershipDeadline(record);
      record.queuedAt = at;
      state.groupTimers.push({ at, vif, group, record });
    }
  }
}
