/**
 * The proxy core (RFC 4605): router on the downstream interfaces, host on the upstream
 * interface, and the planner of the kernel forwarding cache. One engine serves IGMP over IPv4
 * (addresses as numbers, the default) and MLD over IPv6 (addresses as bigints): what differs
 * comes from its {@link Family} (`igmp_family.ts`, `mld_family.ts`).
 *
 * `step(state, event, now)` is the only entry point. It performs no I/O: it updates the state it
 * owns and returns the actions for the runtime to execute, in order. Every timer is an absolute
 * deadline in the state; {@link nextDeadline} says when the runtime must feed the next `tick`.
 *
 * Where to read on (each file stands alone; all take one {@link StepContext}):
 *
 * | file                | holds                                                             |
 * | ------------------- | ----------------------------------------------------------------- |
 * | `state.ts`          | the state, the events, the interfaces, shared predicates          |
 * | `receive.ts`        | reports, leaves and queries from the LANs                         |
 * | `membership.ts`     | one group on one LAN: the machine its reports and timers run      |
 * | `group_record.ts`   | its record: filter mode, sources, timers, compatibility           |
 * | `filter_table.ts`   | the RFC 3376 §6.4 source-filter tables as data                    |
 * | `groups.ts`         | the machines' effects: upstream joins, the group timer queue      |
 * | `upstream_merge.ts` | the upstream filter, the merge of the LANs' (RFC 4605 §4.1)       |
 * | `querier.ts`        | the querier election as a table                                   |
 * | `queries.ts`        | general, group and source queries, the election's effects         |
 * | `sources.ts`        | upcalls, MFC entries (planned by `mfc_planner.ts`), idle expiry   |
 * | `vifs.ts`           | interfaces appearing and going                                    |
 * | `reconfigure.ts`    | new settings for an interface in use                              |
 * | `drops.ts`          | dropped inputs: reasons, counters, rate-limited debug lines       |
 * | `describe.ts`       | lifecycle log lines                                               |
 *
 * A report takes this path: `step` → `receivePacket` (receive.ts) → `applyMembership`
 * (groups.ts, running membership.ts) → `syncUpstream` and `reconcileGroup` (sources.ts), which
 * emits `addMfc` for every known source of the group.
 *
 * Forwarding follows RFC 4605 section 4.2: data from upstream goes to the LANs with members;
 * data from a LAN's own sender goes upstream and to the other LANs with members, never back; and
 * only onto LANs where the proxy is the querier (a router with a lower address takes over until
 * it goes quiet). Every change of membership, querier state or interface brings every affected
 * entry in line at once. Interfaces come and go while it runs; without an upstream the LANs'
 * memberships are kept, and joined upstream once it appears.
 *
 * @module
 */

import type { Action } from "./actions.ts";
import { describeDrops, flushDropLog } from "./drops.ts";
import { describeVif } from "./describe.ts";
import type { Family } from "./family.ts";
import { leaveUpstream, tickGroups } from "./groups.ts";
import { IGMP_FAMILY } from "./igmp_family.ts";
import { querierDeadline } from "./querier.ts";
import { tickVif } from "./queries.ts";
import { receivePacket } from "./receive.ts";
import { reconfigureInterface } from "./reconfigure.ts";
import { expireIdleEntries, receiveUpcall, removeAllEntries, sweepSources } from "./sources.ts";
import {
  interfaceAddresses,
  log,
  MAXVIFS,
  type ProxyEvent,
  type ProxyOptions,
  type ProxyState,
  type StepContext,
  type VifState,
} from "./state.ts";
import type { Address } from "./subnet.ts";
import { TimerHeap } from "./timer_heap.ts";
import { addInterface, closeVif, newVif, openVif, removeInterface } from "./vifs.ts";

export type { Address, Subnet } from "./subnet.ts";
export {
  type CoreDropReason,
  IGMPMSG_NOCACHE,
  MAX_GROUPS,
  MAX_SOURCES,
  MAXVIFS,
  type Notice,
  type ProxyCounters,
  type ProxyDropReason,
  type ProxyEvent,
  type ProxyInterface,
  type ProxyOptions,
  type ProxyState,
  type RefusedSource,
  type SourceState,
  type StepContext,
  type VifState,
} from "./state.ts";
export { describeDrops, DROP_LOG_PER_SECOND } from "./drops.ts";
export { describeTimers } from "./describe.ts";

/**
 * Builds the initial state: the given interfaces get VIFs 0, 1, 2… in order. Throws
 * `RangeError` on an impossible interface list (two upstreams, more than {@link MAXVIFS}).
 */
export function createProxy<A extends Address = number>(
  options: ProxyOptions<A>,
): ProxyState<A> {
  const ups = options.interfaces.filter((i) => i.role === "upstream");
  if (ups.length > 1) throw new RangeError(`Need at most one upstream, got ${ups.length}`);
  const vifLimit = Math.min(options.vifLimit ?? MAXVIFS, MAXVIFS);
  if (options.interfaces.length > vifLimit) {
    throw new RangeError(`More than ${vifLimit} interfaces`);
  }
  const family = options.family ?? (IGMP_FAMILY as unknown as Family<A>);
  const vifs = new Map<number, VifState<A>>();
  const byIfindex = new Map<number, VifState<A>>();
  options.interfaces.forEach((iface, vifi) => {
    const vif = newVif(family, iface, vifi);
    vifs.set(vifi, vif);
    byIfindex.set(iface.ifindex, vif);
  });
  return {
    options,
    family,
    vifs,
    byIfindex,
    upstream: [...vifs.values()].find((v) => v.role === "upstream"),
    members: new Map(),
    sources: new Map(),
    upstreamJoined: new Map(),
    ownAddresses: new Set(options.interfaces.flatMap(interfaceAddresses)),
    counters: { packets: 0, upcalls: 0, drops: new Map() },
    nextSourceSweep: 0,
    dropLog: { windowStart: -Infinity, logged: 0, suppressed: 0 },
    groupTimers: new TimerHeap(),
    groupLimitWarned: -Infinity,
    sourceCount: 0,
    membershipSources: 0,
    membershipSourceLimitWarned: -Infinity,
    sourceLimitWarned: -Infinity,
    refusedSource: undefined,
    notices: undefined,
    changedGroups: undefined,
  };
}

/** Turns the core's debug log actions on or off while it runs. */
export function setDebugLogging<A extends Address>(state: ProxyState<A>, on: boolean): void {
  (state.options as ProxyOptions<A>).debug = on;
}

/**
 * Advances the core by one event at time `now` (ms) and returns the actions to execute. The
 * dispatch table of the core: each event goes to the file that holds its subsystem.
 */
export function step<A extends Address>(
  state: ProxyState<A>,
  event: ProxyEvent<A>,
  now: number,
): Action<A>[] {
  const ctx: StepContext<A> = { state, now, out: [] };
  switch (event.kind) {
    case "start":
      start(ctx);
      break;
    case "interface-up":
      addInterface(ctx, event.iface);
      break;
    case "interface-down":
      removeInterface(ctx, event.name, event.reason);
      break;
    case "reconfigure":
      reconfigureInterface(ctx, event.iface);
      break;
    case "packet":
      receivePacket(ctx, event);
      break;
    case "upcall":
      receiveUpcall(ctx, event);
      break;
    case "mfc-counters":
      expireIdleEntries(ctx, event.counts);
      break;
    case "tick":
      tick(ctx);
      break;
    case "stop":
      stop(ctx);
      break;
  }
  return ctx.out;
}

/** The earliest deadline in the state (ms), or `Infinity` when nothing is scheduled. */
export function nextDeadline<A extends Address>(state: ProxyState<A>): number {
  let d = Infinity;
  for (const vif of state.vifs.values()) {
    if (vif.role !== "downstream") continue;
    if (vif.querier && vif.nextGeneralQuery < d) d = vif.nextGeneralQuery;
    const qd = querierDeadline(vif);
    if (qd < d) d = qd;
  }
  // The earliest group timer; it may be stale, which costs one early tick at most.
  const gd = state.groupTimers.peek()?.at ?? Infinity;
  if (gd < d) d = gd;
  if (state.sources.size > 0 && state.nextSourceSweep < d) d = state.nextSourceSweep;
  return d;
}

/** `start`: opens a VIF for every interface present, then runs the first tick. */
function start<A extends Address>(ctx: StepContext<A>): void {
  for (const vif of ctx.state.vifs.values()) {
    openVif(ctx, vif, `Interface "${vif.name}" is ${describeVif(ctx.state, vif)}`);
  }
  tick(ctx);
}

/** `tick`: the LANs' querier and query timers, the due group timers, the source sweep. */
function tick<A extends Address>(ctx: StepContext<A>): void {
  const { state } = ctx;
  for (const vif of state.vifs.values()) tickVif(ctx, vif);
  tickGroups(ctx);
  if (state.nextSourceSweep <= ctx.now) sweepSources(ctx);
}

/**
 * `stop`: logs the drop totals, then removes every entry, upstream membership and VIF, leaving
 * nothing in the kernel.
 */
function stop<A extends Address>(ctx: StepContext<A>): void {
  const { state } = ctx;
  if (state.options.debug) flushDropLog(ctx);
  const drops = describeDrops(state.counters);
  if (drops !== undefined) log(ctx, "info", `Since start, ${drops}`);
  removeAllEntries(ctx);
  leaveUpstream(ctx);
  for (const vif of state.vifs.values()) closeVif(ctx, vif);
  state.members.clear();
  state.sources.clear();
  state.sourceCount = 0;
  state.membershipSources = 0;
  state.groupTimers.clear();
}
