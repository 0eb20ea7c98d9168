/**
 * Group membership across the LANs: each LAN's records run the machine of `membership.ts`;
 * this file carries out its effects. The first LAN to join a group joins it upstream, the last
 * to leave leaves it there (RFC 4605 section 4.1: the upstream membership is the union of the
 * downstream ones), and every change brings the group's forwarding entries in line.
 *
 * Group timers wait in a deadline heap: each record is queued for its earliest deadline, so a
 * tick and the next deadline cost the same with ten groups or ten thousand.
 *
 * @module
 */

import {
  type GroupRecord,
  membershipDeadline,
  type MembershipEffect,
  type MembershipEvent,
  type MembershipTransition,
  stepMembership,
} from "./membership.ts";
import { sendGroupQuery } from "./queries.ts";
import { reconcileGroup } from "./sources.ts";
import { isGroupBounded, log, type ProxyState, type StepContext, type VifState } from "./state.ts";
import type { Address } from "./subnet.ts";
import type { ProtocolTimers } from "./timers.ts";
import { VifSet } from "./vif_set.ts";

/**
 * Runs the membership machine of `group` on `vif` for one event, keeps its record queued, and
 * carries out the effects. `timers` replace the LAN's own for this event (a heard group query
 * brings its Max Response Time).
 */
export function applyMembership<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
  event: MembershipEvent,
  timers: ProtocolTimers = vif.timers,
): void {
  const before = vif.groups.get(group);
  const trace = membershipTrace(ctx, vif, group);
  const { record, effects } = stepMembership(before, event, ctx.now, timers, trace);
  if (record === undefined) vif.groups.delete(group);
  else {
    if (before === undefined) vif.groups.set(group, record);
    scheduleGroup(ctx.state, vif, group, record);
  }
  for (const effect of effects) applyEffect(ctx, vif, group, effect);
}

/** With debug logging on, logs each transition of a group's machine in one line. */
function membershipTrace<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
): ((t: MembershipTransition) => void) | undefined {
  if (!ctx.state.options.debug) return undefined;
  const { family } = ctx.state;
  return (t) =>
    log(
      ctx,
      "debug",
      `Group ${family.format(group)} on "${vif.name}": ${t.event}, ${t.from} -> ${t.next}` +
        (t.actions.length === 0 ? "" : ` (${t.actions.join(", ")})`),
    );
}

/** Carries out one effect of the machine, then brings the group's entries in line. */
function applyEffect<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
  effect: MembershipEffect,
): void {
  const { state } = ctx;
  const { family } = state;
  switch (effect) {
    case "send-group-query":
      if (vif.querier) sendGroupQuery(ctx, vif, group);
      return;
    case "v1-host-present":
      log(
        ctx,
        "debug",
        `Leave for ${family.format(group)} on "${vif.name}" ignored: an IGMPv1 host is a member`,
      );
      return;
    case "joined": {
      let set = state.members.get(group);
      if (set === undefined) state.members.set(group, set = new VifSet());
      set.add(vif.vifi);
      log(ctx, "debug", `Group ${family.format(group)} joined on "${vif.name}"`);
      const up = state.upstream;
      if (up !== undefined && isGroupBounded(state, up, group)) {
        if (state.options.debug && set.size === 1) {
          log(
            ctx,
            "debug",
            `Group ${
              family.format(group)
            } is inside a boundary of "${up.name}": not joined upstream`,
          );
        }
      } else joinUpstream(ctx, group);
      break;
    }
    case "left":
      log(ctx, "debug", `Group ${family.format(group)} left on "${vif.name}"`);
      dropMember(ctx, vif, group);
      break;
  }
  reconcileGroup(ctx, group);
}

/**
 * Joins `group` on the upstream interface unless it is joined already, inside an upstream
 * boundary, or there is no upstream yet (it is joined when the upstream appears). Returns
 * whether a join was issued.
 */
export function joinUpstream<A extends Address>(ctx: StepContext<A>, group: A): boolean {
  const { state } = ctx;
  const up = state.upstream;
  if (up === undefined || state.upstreamJoined.has(group) || isGroupBounded(state, up, group)) {
    return false;
  }
  state.upstreamJoined.add(group);
  ctx.out.push({ kind: "join", group, ifindex: up.ifindex, name: up.name });
  return true;
}

/** Takes a VIF out of a group's members; the last one out leaves the group upstream. */
export function dropMember<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
): void {
  const { state } = ctx;
  const set = state.members.get(group);
  set?.delete(vif.vifi);
  if (set !== undefined && set.size > 0) return;
  state.members.delete(group);
  const up = state.upstream;
  if (state.upstreamJoined.delete(group) && up !== undefined) {
    ctx.out.push({ kind: "leave", group, ifindex: up.ifindex, name: up.name });
  }
}

/** Ends the membership of `vif` in `group` (the group's entries are the caller's). */
export function endMembership<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
): void {
  vif.groups.delete(group);
  dropMember(ctx, vif, group);
}

/** Leaves every group joined upstream and forgets them. */
export function leaveUpstream<A extends Address>(ctx: StepContext<A>): void {
  const { state } = ctx;
  const up = state.upstream;
  if (up !== undefined) {
    for (const group of state.upstreamJoined) {
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
    if (membershipDeadline(record) <= now) applyMembership(ctx, vif, group, "tick");
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
  record: GroupRecord,
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
