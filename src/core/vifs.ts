/**
 * The interface lifecycle: a VIF per interface the proxy runs on, opened at start or when the
 * interface appears (the lowest free VIF number), closed when it goes. Opening a LAN listens on
 * the family's router groups and schedules the startup queries; the upstream appearing joins
 * the LANs' groups there. Closing one first removes everything that used its VIF: the entries
 * of its sources, its memberships (and the upstream joins only it wanted), or every upstream
 * join.
 *
 * ```
 *   (none) --start / interface-up--> open --interface-down / stop--> (none)
 *                                     |  ^
 *                                     +--+ reconfigure (same role and index; see reconfigure.ts)
 * ```
 *
 * @module
 */

import { describeTimers, describeVif } from "./describe.ts";
import type { Family } from "./family.ts";
import { endMembership, leaveUpstream, syncUpstream } from "./groups.ts";
import { initialQuerier } from "./querier.ts";
import { tickVif } from "./queries.ts";
import { forgetSources, reconcileAll, reconcileGroup } from "./sources.ts";
import {
  interfaceAddresses,
  log,
  type ProxyInterface,
  type ProxyState,
  type StepContext,
  vifNamed,
  type VifState,
} from "./state.ts";
import type { Address } from "./subnet.ts";
import type { ProtocolTimers } from "./timers.ts";
import { MAXVIFS } from "./vif_set.ts";

/**
 * The protocol variables a LAN runs with: the configured ones, but when its query version's
 * queries carry no Max Response Time (IGMPv1), the Query Response Interval is the time its hosts
 * take to answer (10 s), so that the Group Membership Interval waits for them.
 */
export function lanTimers<A extends Address>(
  family: Family<A>,
  iface: Pick<ProxyInterface<A>, "timers" | "queryVersion">,
): ProtocolTimers {
  const responseTime = family.hostResponseTimeMs(iface.queryVersion);
  const { timers } = iface;
  return responseTime === undefined || responseTime === timers.queryResponseInterval
    ? timers
    : { ...timers, queryResponseInterval: responseTime };
}

/** A VIF for `iface` as number `vifi`, with no router state yet; it starts as querier. */
export function newVif<A extends Address>(
  family: Family<A>,
  iface: ProxyInterface<A>,
  vifi: number,
): VifState<A> {
  const timers = lanTimers(family, iface);
  return {
    ...iface,
    ...initialQuerier(family.unspecified),
    vifi,
    startupQueriesLeft: 0,
    nextGeneralQuery: 0,
    groups: new Map(),
    timers,
    ownTimers: timers,
  };
}

/**
 * Adds the VIF and logs `line` about it; downstream, also logs the timers that differ from the
 * defaults, listens on the family's router groups (224.0.0.2 / 224.0.0.22) and schedules the
 * startup queries (sent by the caller's tick).
 */
export function openVif<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  line: string,
): void {
  ctx.out.push({
    kind: "addVif",
    vifi: vif.vifi,
    ifindex: vif.ifindex,
    name: vif.name,
    threshold: vif.threshold,
    localAddress: vif.address,
  });
  log(ctx, "info", line);
  if (vif.role !== "downstream") return;
  const timers = describeTimers(vif.timers);
  if (timers !== "") log(ctx, "info", `Interface "${vif.name}" runs with ${timers}`);
  // Leaves go to 224.0.0.2 and IGMPv3 reports to 224.0.0.22: listen for both.
  for (const group of ctx.state.family.listenGroups) {
    ctx.out.push({ kind: "join", group, ifindex: vif.ifindex, name: vif.name });
  }
  vif.startupQueriesLeft = vif.timers.startupQueryCount;
  vif.nextGeneralQuery = ctx.now;
}

/** Stops listening downstream and deletes the VIF; memberships and entries are the caller's. */
export function closeVif<A extends Address>(ctx: StepContext<A>, vif: VifState<A>): void {
  if (vif.role === "downstream") {
    for (const group of ctx.state.family.listenGroups) {
      ctx.out.push({ kind: "leave", group, ifindex: vif.ifindex, name: vif.name });
    }
    vif.nextGeneralQuery = Infinity;
    vif.startupQueriesLeft = 0;
    vif.groups.clear();
  }
  ctx.out.push({ kind: "delVif", vifi: vif.vifi, name: vif.name });
}

/** The lowest VIF number not in use, or `undefined` when all {@link MAXVIFS} are. */
function freeVifNumber<A extends Address>(state: ProxyState<A>): number | undefined {
  const limit = Math.min(state.options.vifLimit ?? MAXVIFS, MAXVIFS);
  for (let vifi = 0; vifi < limit; vifi++) if (!state.vifs.has(vifi)) return vifi;
  return undefined;
}

/** Recomputes our own addresses (packets from them are dropped) from the VIFs. */
function refreshOwnAddresses<A extends Address>(state: ProxyState<A>): void {
  state.ownAddresses.clear();
  for (const vif of state.vifs.values()) {
    for (const a of interfaceAddresses(vif)) state.ownAddresses.add(a);
  }
}

/** Why an interface that appeared cannot be used, or `undefined` when it can. */
function refusal<A extends Address>(
  state: ProxyState<A>,
  iface: ProxyInterface<A>,
): string | undefined {
  const { vifWord } = state.family;
  const same = [...state.vifs.values()].find((v) =>
    v.name === iface.name || v.ifindex === iface.ifindex
  );
  if (same !== undefined) {
    return `Interface "${iface.name}" appeared but "${same.name}" already is ${vifWord} ` +
      `${same.vifi}: not used`;
  }
  if (iface.role === "upstream" && state.upstream !== undefined) {
    return `Interface "${iface.name}" appeared as upstream but "${state.upstream.name}" ` +
      "already is the upstream: not used";
  }
  if (freeVifNumber(state) === undefined) {
    const limit = Math.min(state.options.vifLimit ?? MAXVIFS, MAXVIFS);
    return `Interface "${iface.name}" appeared but all ${limit} ${vifWord}s are in use: ` +
      "not used";
  }
  return undefined;
}

/** `interface-up`: a VIF for an interface that became usable while running. */
export function addInterface<A extends Address>(
  ctx: StepContext<A>,
  iface: ProxyInterface<A>,
): void {
  const { state } = ctx;
  const refused = refusal(state, iface);
  if (refused !== undefined) return log(ctx, "warn", refused);
  const vif = newVif(state.family, iface, freeVifNumber(state)!);
  state.vifs.set(vif.vifi, vif);
  state.byIfindex.set(vif.ifindex, vif);
  refreshOwnAddresses(state);
  openVif(ctx, vif, `Interface "${vif.name}" appeared: ${describeVif(state, vif)}`);
  if (vif.role === "downstream") return tickVif(ctx, vif);
  state.upstream = vif;
  let joins = 0;
  for (const group of state.members.keys()) if (syncUpstream(ctx, group)) joins++;
  if (joins > 0) {
    const groups = `${joins} ${joins === 1 ? "group" : "groups"}`;
    log(ctx, "info", `Joined ${groups} on "${vif.name}" for the LANs`);
  }
  for (const group of state.sources.keys()) reconcileGroup(ctx, group);
}

/** `interface-down`: an interface in use is gone; everything that used its VIF goes first. */
export function removeInterface<A extends Address>(
  ctx: StepContext<A>,
  name: string,
  reason: string | undefined,
): void {
  const { state } = ctx;
  const vif = vifNamed(state, name);
  if (vif === undefined) return;
  const gone = `Interface "${name}" is gone (${reason ?? "no longer usable"}): ` +
    `${state.family.vifWord} ${vif.vifi} removed`;
  // Entries whose data came in on it go first, and with them the sources learnt there.
  const entries = forgetSources(state, (_group, _source, iif) => iif === vif.vifi);
  const n = entries.length;
  const nEntries = `${n} forwarding ${n === 1 ? "entry" : "entries"}`;
  if (vif.role === "downstream") {
    log(ctx, "info", gone + (n === 0 ? "" : `, ${nEntries} of its sources dropped`));
    ctx.out.push(...entries);
    // Its memberships end: other LANs keep theirs, upstream leaves what no LAN wants any more.
    for (const group of [...vif.groups.keys()]) {
      endMembership(ctx, vif, group);
      reconcileGroup(ctx, group);
    }
  } else {
    const joined = state.upstreamJoined.size;
    log(
      ctx,
      "info",
      `${gone}, ${nEntries} and ${joined} upstream ` +
        `${joined === 1 ? "membership" : "memberships"} dropped; nothing from upstream is ` +
        "forwarded until it is back",
    );
    ctx.out.push(...entries);
    leaveUpstream(ctx);
    state.upstream = undefined;
    // Data of the LANs' own sources stops going upstream.
    reconcileAll(ctx);
  }
  closeVif(ctx, vif);
  state.vifs.delete(vif.vifi);
  state.byIfindex.delete(vif.ifindex);
  refreshOwnAddresses(state);
}
