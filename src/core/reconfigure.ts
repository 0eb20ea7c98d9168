/**
 * A reload that gives an interface in use new settings (`sources`, `threshold`, `timers`,
 * `boundaries`): it keeps its VIF, its memberships and the entries that stay valid. An
 * interface whose role or index differs goes down and comes up again (`vifs.ts`).
 *
 * @module
 */

import { describeSettingsChange } from "./describe.ts";
import { endMembership, syncUpstream } from "./groups.ts";
import { forgetSources, isSourceAccepted, reconcileAll } from "./sources.ts";
import {
  isGroupBounded,
  log,
  type ProxyInterface,
  type StepContext,
  vifNamed,
  type VifState,
} from "./state.ts";
import type { Address } from "./subnet.ts";
import { addInterface, lanTimers, removeInterface } from "./vifs.ts";

/**
 * `reconfigure`: new settings for an interface in use. Sources it no longer admits and groups
 * now inside its boundaries are dropped (entries, memberships, upstream joins); groups no
 * longer inside an upstream boundary are joined; every entry is planned again (thresholds and
 * boundaries are in its oifs); a shorter query interval brings the next general query closer.
 * Membership records keep the deadlines they have; the new timers apply from the next report.
 * A new query version applies from the next query, and to the groups at once: IGMPv1 (RFC 3376
 * section 7.3.1) ignores Leaves and sends no group-specific queries from then on.
 */
export function reconfigureInterface<A extends Address>(
  ctx: StepContext<A>,
  given: ProxyInterface<A>,
): void {
  const { state } = ctx;
  const iface = { ...given, timers: lanTimers(state.family, given) };
  const vif = vifNamed(state, iface.name);
  if (vif === undefined) return;
  if (vif.role !== iface.role || vif.ifindex !== iface.ifindex) {
    const why = vif.role !== iface.role
      ? `it is ${iface.role} in the new configuration`
      : undefined;
    removeInterface(ctx, vif.name, why);
    addInterface(ctx, given);
    return;
  }
  // The LAN's own timers: those taken from another querier are not a setting.
  const changes = describeSettingsChange(state.family, { ...vif, timers: vif.ownTimers }, iface);
  if (changes.length === 0) return;
  log(
    ctx,
    "info",
    `Interface "${vif.name}" keeps ${state.family.vifWord} ${vif.vifi} with new settings: ${
      changes.join(", ")
    }`,
  );
  vif.threshold = iface.threshold;
  vif.sources = iface.sources;
  vif.boundaries = iface.boundaries;
  vif.timers = iface.timers;
  vif.ownTimers = iface.timers;
  vif.queryVersion = iface.queryVersion;
  // Sources it no longer admits, and groups its boundaries now hold, end here.
  ctx.out.push(...forgetSources(state, (group, source, iif) =>
    iif === vif.vifi &&
    (!isSourceAccepted(state, vif, group, source) || isGroupBounded(state, vif, group))));
  if (vif.role === "downstream") applyToLan(ctx, vif);
  else applyToUpstream(ctx, vif);
  reconcileAll(ctx);
}

/** A LAN's new boundaries end its memberships inside them; a shorter Query Interval applies. */
function applyToLan<A extends Address>(ctx: StepContext<A>, vif: VifState<A>): void {
  for (const group of [...vif.groups.keys()]) {
    if (isGroupBounded(ctx.state, vif, group)) endMembership(ctx, vif, group);
  }
  const next = ctx.now + vif.timers.queryInterval;
  if (vif.startupQueriesLeft === 0 && vif.nextGeneralQuery > next) vif.nextGeneralQuery = next;
}

/** Upstream, groups inside the new boundaries are left and those now outside are joined. */
function applyToUpstream<A extends Address>(ctx: StepContext<A>, vif: VifState<A>): void {
  const { state } = ctx;
  for (const group of [...state.upstreamJoined.keys()]) {
    if (!isGroupBounded(state, vif, group)) continue;
    state.upstreamJoined.delete(group);
    ctx.out.push({ kind: "leave", group, ifindex: vif.ifindex, name: vif.name });
  }
  for (const group of state.members.keys()) syncUpstream(ctx, group);
}
