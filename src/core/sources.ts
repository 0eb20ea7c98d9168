/**
 * Forwarding: the sources the kernel reports (upcalls), the MFC entry each gets, and how long
 * it keeps it. RFC 4605 section 4.2 decides where data goes (`mfc_planner.ts`); this file keeps
 * the entries in line with it:
 *
 * 1. An IGMPMSG_NOCACHE upcall for (S,G) on a VIF that admits S makes a source record
 *    ({@link receiveUpcall}).
 * 2. {@link reconcileGroup} plans the outgoing VIFs of every source of a group and emits
 *    `addMfc` / `delMfc` where the installed entry differs; every change of membership, querier
 *    state or interface calls it for the groups it touched.
 * 3. Every half source lifetime the installed entries' packet counts are sampled
 *    ({@link sweepSources}); one that forwarded nothing since the last sample is removed
 *    ({@link expireIdleEntries}), and a source with no entry for a whole lifetime is forgotten.
 *
 * @module
 */

import type { Action } from "./actions.ts";
import { drop } from "./drops.ts";
import { admits } from "./group_record.ts";
import { oifsKey, planOifs, reconcileMfc } from "./mfc_planner.ts";
import {
  IGMPMSG_NOCACHE,
  isGroupBounded,
  isSourceAdmitted,
  log,
  MAX_SOURCES,
  notice,
  type ProxyState,
  sourceLifetime,
  type StepContext,
  type VifState,
} from "./state.ts";
import type { Address } from "./subnet.ts";

/** An upcall from the kernel: data of (source, group) arrived on `vif` without an entry. */
export interface Upcall<A extends Address> {
  /** The upcall type (IGMPMSG_*). */
  msgtype: number;
  /** The VIF the data arrived on. */
  vif: number;
  /** The sender. */
  source: A;
  /** The group. */
  group: A;
}

/**
 * An upcall: checks it, records the source (or refreshes it), and installs its entry. Data of
 * a new pair past {@link MAX_SOURCES} is refused, with a warning at most once a minute.
 */
export function receiveUpcall<A extends Address>(ctx: StepContext<A>, event: Upcall<A>): void {
  const { state, now } = ctx;
  const { family } = state;
  const what = () => `upcall (${family.format(event.source)}, ${family.format(event.group)})`;
  if (event.msgtype !== IGMPMSG_NOCACHE) return drop(ctx, `upcall-type-${event.msgtype}`, what);
  const vif = state.vifs.get(event.vif);
  if (vif === undefined) return drop(ctx, "upcall-unknown-vif", what);
  const on = () => `${what()} on "${vif.name}"`;
  if (family.isLocalGroup(event.group)) return drop(ctx, "link-local-group", what);
  if (isGroupBounded(state, vif, event.group)) return drop(ctx, "boundary", on);
  if (!isSourceAccepted(state, vif, event.group, event.source)) {
    state.refusedSource = { source: event.source, group: event.group, vifi: vif.vifi, at: now };
    return drop(ctx, "source-not-admitted", on);
  }
  const known = state.sources.get(event.group)?.get(event.source);
  if (known === undefined && state.sourceCount >= MAX_SOURCES) {
    drop(ctx, "source-limit", on);
    if (now - state.sourceLimitWarned >= 60_000) {
      state.sourceLimitWarned = now;
      log(
        ctx,
        "warn",
        `${MAX_SOURCES} (source, group) pairs are known, the most allowed: data of new ones is ` +
          `not forwarded (first: ${on()})`,
      );
    }
    return;
  }
  state.counters.upcalls++;
  if (known === undefined) {
    let bySource = state.sources.get(event.group);
    if (bySource === undefined) state.sources.set(event.group, bySource = new Map());
    bySource.set(event.source, {
      iif: vif.vifi,
      lastSeen: now,
      installed: undefined,
      sampledPackets: -1,
    });
    state.sourceCount++;
    if (state.options.debug) log(ctx, "debug", `New source: ${on()}`);
    notice(ctx, { kind: "new-source", vifi: vif.vifi, source: event.source, group: event.group });
  } else {
    known.lastSeen = now;
    known.iif = vif.vifi;
    // The kernel lost or never got our entry: make reconcile install it again.
    known.installed = undefined;
  }
  if (state.nextSourceSweep === 0) state.nextSourceSweep = now + sourceLifetime(state) / 2;
  reconcileGroup(ctx, event.group);
}

/**
 * Whether data of (source, group) is accepted on `vif`: from its subnets or a `source` line, or
 * upstream, from a source a LAN asks for by name (an INCLUDE membership, or a requested source
 * of an EXCLUDE one): the membership names it.
 */
export function isSourceAccepted<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  group: A,
  source: A,
): boolean {
  if (isSourceAdmitted(state, vif, source)) return true;
  if (vif.role !== "upstream") return false;
  for (const vifi of state.members.get(group) ?? []) {
    const timer = state.vifs.get(vifi)?.groups.get(group)?.sources.get(source)?.timer;
    if (timer !== undefined && timer !== 0) return true;
  }
  return false;
}

/** The VIFs with members of `group` whose filter admits `source` (RFC 3376 section 6.3). */
function admittingVifs<A extends Address>(state: ProxyState<A>, group: A, source: A): number[] {
  const vifs: number[] = [];
  for (const vifi of state.members.get(group) ?? []) {
    const record = state.vifs.get(vifi)?.groups.get(group);
    if (record !== undefined && admits(record, source)) vifs.push(vifi);
  }
  return vifs;
}

/**
 * Brings every MFC entry of `group` in line with the current membership: each source goes to
 * the LANs whose filter admits it.
 */
export function reconcileGroup<A extends Address>(ctx: StepContext<A>, group: A): void {
  const { state, now } = ctx;
  const bySource = state.sources.get(group);
  if (bySource === undefined) return;
  for (const [source, s] of bySource) {
    const oifs = planOifs({
      group,
      iif: s.iif,
      members: admittingVifs(state, group, source),
      vifs: state.vifs,
      upstream: state.upstream?.vifi,
      inAnySubnet: state.family.inAnySubnet,
    });
    const action = reconcileMfc(s.installed, { source, group, parent: s.iif, oifs });
    if (action === undefined) continue;
    if (action.kind === "addMfc") {
      if (s.installed === undefined) s.sampledPackets = -1;
      s.installed = {
        parent: s.iif,
        key: oifsKey(action.oifs),
        oifs: action.oifs.map((o) => o.vifi),
        since: s.installed?.since ?? now,
      };
    } else {
      s.installed = undefined;
      s.lastSeen = now;
    }
    ctx.out.push(action);
  }
}

/** Brings every group's entries in line (an interface, the upstream or thresholds changed). */
export function reconcileAll<A extends Address>(ctx: StepContext<A>): void {
  for (const group of [...ctx.state.sources.keys()]) reconcileGroup(ctx, group);
}

/** Brings the entries of every group with members on `vif` in line (its forwarding changed). */
export function reconcileVif<A extends Address>(ctx: StepContext<A>, vif: VifState<A>): void {
  for (const group of vif.groups.keys()) reconcileGroup(ctx, group);
}

/**
 * Forgets sources that have had no entry for their lifetime, and asks for the packet counts of
 * the installed entries (answered by an `mfc-counters` event).
 */
export function sweepSources<A extends Address>(ctx: StepContext<A>): void {
  const { state, now } = ctx;
  const lifetime = sourceLifetime(state);
  const sample: { source: A; group: A }[] = [];
  for (const [group, bySource] of state.sources) {
    for (const [source, s] of bySource) {
      if (s.installed !== undefined) sample.push({ source, group });
      else if (s.lastSeen + lifetime <= now) deleteSource(state, group, source);
    }
  }
  if (sample.length > 0) ctx.out.push({ kind: "sampleMfc", entries: sample });
  state.nextSourceSweep = now + lifetime / 2;
}

/** Removes the installed entries that forwarded nothing since the previous sample. */
export function expireIdleEntries<A extends Address>(
  ctx: StepContext<A>,
  counts: { source: A; group: A; packets?: number }[],
): void {
  const { state, now } = ctx;
  let idle = 0;
  for (const { source, group, packets } of counts) {
    const s = state.sources.get(group)?.get(source);
    if (s?.installed === undefined || packets === undefined) continue;
    if (s.sampledPackets !== packets) {
      s.sampledPackets = packets;
      continue;
    }
    ctx.out.push({ kind: "delMfc", source, group });
    s.installed = undefined;
    s.lastSeen = now;
    idle++;
  }
  if (idle > 0 && state.options.debug) {
    log(ctx, "debug", `Removed ${idle} idle forwarding ${idle === 1 ? "entry" : "entries"}`);
  }
}

/** Forgets one (source, group) pair (its entry, if any, is the caller's). */
function deleteSource<A extends Address>(state: ProxyState<A>, group: A, source: A): void {
  const bySource = state.sources.get(group);
  if (bySource === undefined || !bySource.delete(source)) return;
  state.sourceCount--;
  if (bySource.size === 0) state.sources.delete(group);
}

/**
 * Forgets the sources for which `unwanted(group, source, iif)` holds, and returns the
 * deletions of their installed entries (for the caller to emit where its log line says).
 */
export function forgetSources<A extends Address>(
  state: ProxyState<A>,
  unwanted: (group: A, source: A, iif: number) => boolean,
): Action<A>[] {
  const entries: Action<A>[] = [];
  for (const [group, bySource] of [...state.sources]) {
    for (const [source, s] of [...bySource]) {
      if (!unwanted(group, source, s.iif)) continue;
      if (s.installed !== undefined) entries.push({ kind: "delMfc", source, group });
      deleteSource(state, group, source);
    }
  }
  return entries;
}

/** Deletes every installed entry (at stop); the sources are forgotten by the caller. */
export function removeAllEntries<A extends Address>(ctx: StepContext<A>): void {
  for (const [group, bySource] of ctx.state.sources) {
    for (const [source, s] of bySource) {
      if (s.installed !== undefined) ctx.out.push({ kind: "delMfc", source, group });
      s.installed = undefined;
    }
  }
}
