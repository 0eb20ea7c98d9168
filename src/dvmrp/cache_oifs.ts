/**
 * The downstream side of a cache entry (draft-ietf-idmr-dvmrp-v3-11 sections 3.3.3 and 3.5.3):
 * which interfaces a source's data goes out of, and the prunes received from the dependent
 * neighbors that take an interface off.
 *
 * An interface other than the parent is an outgoing interface for source S and group G where we
 * are the designated forwarder for S's route (section 3.3.1) and either
 * - hosts there are members of G admitting S (section 2.5.1), or
 * - neighbors there depend on us for the route (section 3.4.4) and not all of them pruned
 *   (S's network, G) (section 3.5.3 steps 8 to 10), the route not in hold-down.
 *
 * A route in hold-down with a path learned meanwhile delivers "to local group members" only
 * (section 3.4.8): we advertise it with infinity, so no neighbor may depend on us for it.
 *
 * Nothing goes out of, or comes in through, an administrative boundary for G.
 *
 * @module
 */

import type { Oif } from "../core/actions.ts";
import { maskIPv4, prefixContainsIPv4 } from "../proto/addr.ts";
import type { DvmrpPrune } from "../proto/dvmrp.ts";
import type { CacheContext } from "./cache_events.ts";
import {
  type CacheGroup,
  type CacheStep,
  DEFAULT_PRUNE_LIFETIME,
  type DownstreamFlag,
  type ReceivedPrune,
} from "./cache_table.ts";
import type { RouteEntry } from "./route_table.ts";
import { dependentsOn, isForwarder, isReachable } from "./routes.ts";

/** A source network or host that a prune or graft names. */
export interface Prefix {
  /** The address, host bits clear. */
  source: number;
  /** Its length: the route's, or 32 for one source host. */
  prefixLength: number;
}

/** Whether the interface is an administrative boundary for the group. */
export function isBoundary(ctx: CacheContext, vif: number, group: number): boolean {
  return ctx.isBoundary?.(vif, group) ?? false;
}

/** Whether a prune in force from `neighbor` on `vif` covers the source host. */
export function isPrunedBy(
  g: CacheGroup,
  at: { vif: number; neighbor: number; source: number },
  now: number,
): boolean {
  return g.prunes.some((p) =>
    p.vif === at.vif && p.neighbor === at.neighbor && p.expiresAt > now &&
    prefixContainsIPv4(p.source, p.prefixLength, at.source)
  );
}

/**
 * Whether every neighbor on `vif` that depends on us for the route pruned the source (section
 * 3.5.3 step 8); false where none depends on us.
 */
export function isPrunedOn(
  g: CacheGroup,
  route: RouteEntry,
  at: { vif: number; source: number },
  now: number,
): boolean {
  const dependents = dependentsOn(route, at.vif);
  if (dependents.size === 0) return false;
  for (const neighbor of dependents) {
    if (!isPrunedBy(g, { ...at, neighbor }, now)) return false;
  }
  return true;
}

/** The interfaces that are up, by number. */
function vifsInOrder(ctx: CacheContext): [number, { threshold: number }][] {
  return [...ctx.vifs].sort((a, b) => a[0] - b[0]);
}

/**
 * The downstream interface list of one source (section 3.3.3), with each interface's TTL
 * threshold, by interface number. Empty when the parent is a boundary for the group.
 */
export function outgoingVifs(
  step: CacheStep,
  g: CacheGroup,
  route: RouteEntry,
  source: number,
): Oif[] {
  const { ctx, now } = step;
  if (isBoundary(ctx, route.vif, g.group)) return [];
  const oifs: Oif[] = [];
  const dependents = isReachable(route);
  for (const [vif, { threshold }] of vifsInOrder(ctx)) {
    if (!isForwarder(route, vif) || isBoundary(ctx, vif, g.group)) continue;
    const wanted = ctx.hasMembers(vif, g.group, source) ||
      (dependents && dependentsOn(route, vif).size > 0 &&
        !isPrunedOn(g, route, { vif, source }, now));
    if (wanted) oifs.push({ vifi: vif, ttl: threshold });
  }
  return oifs;
}

/**
 * The interfaces of mrouted's Forwvifs column: where we are the designated forwarder, forwarded
 * onto (""), pruned by every dependent neighbor ("p") or a boundary ("b"); a leaf without
 * members is not listed, nor, in hold-down, an interface whose dependents we do not serve.
 */
export function downstreamFlags(
  step: CacheStep,
  g: CacheGroup,
  route: RouteEntry,
): Map<number, DownstreamFlag> {
  const { ctx } = step;
  const flags = new Map<number, DownstreamFlag>();
  const scoped = isBoundary(ctx, route.vif, g.group);
  for (const [vif] of vifsInOrder(ctx)) {
    if (!isForwarder(route, vif)) continue;
    if (scoped || isBoundary(ctx, vif, g.group)) flags.set(vif, "b");
    else if ([...g.sources.values()].some((s) => s.oifs.some((o) => o.vifi === vif))) {
      flags.set(vif, "");
    } else if (isReachable(route) && dependentsOn(route, vif).size > 0) flags.set(vif, "p");
  }
  return flags;
}

/**
 * What a received prune names (section 3.5.2): the source host alone with a host mask, else the
 * route's source network; undefined when its netmask is neither (the prune is ignored).
 */
export function prunedPrefix(route: RouteEntry, prune: DvmrpPrune): Prefix | undefined {
  const length = prune.prefixLength;
  if (length === 32) return { source: prune.source >>> 0, prefixLength: 32 };
  if (length === undefined || length === route.prefixLength) {
    return { source: route.source, prefixLength: route.prefixLength };
  }
  return undefined;
}

/** What a received graft names: the network or host of its netmask, else the route's. */
export function graftedPrefix(
  route: RouteEntry,
  graft: { source: number; prefixLength?: number },
): Prefix {
  const length = graft.prefixLength;
  if (length === undefined) return { source: route.source, prefixLength: route.prefixLength };
  return { source: maskIPv4(graft.source, length), prefixLength: length };
}

/** Whether two prefixes share an address: one holds the other. */
export function overlaps(a: Prefix, b: Prefix): boolean {
  return prefixContainsIPv4(a.source, a.prefixLength, b.source) ||
    prefixContainsIPv4(b.source, b.prefixLength, a.source);
}

/**
 * The longest lifetime a received prune keeps (ms): the draft's bound of 2 hours (section
 * 3.5.6, Appendix A), or ours when configured longer. A neighbor that asks for more (up to
 * 0xffffffff s) gets this; its branch is flooded again then and it prunes anew.
 */
export function receivedPruneCap(ctx: CacheContext): number {
  return Math.max(ctx.pruneLifetime, DEFAULT_PRUNE_LIFETIME);
}

/**
 * Records a prune from a dependent neighbor, or renews the one in force for the same prefix
 * (section 3.5.3 steps 6 and 7). A prune that expires at once (a lifetime of 0) ends the one
 * in force instead.
 */
export function recordPrune(
  g: CacheGroup,
  prune: Omit<ReceivedPrune, "expiresAt">,
  expiresAt: number,
  now: number,
): void {
  const i = g.prunes.findIndex((p) =>
    p.vif === prune.vif && p.neighbor === prune.neighbor && p.source === prune.source &&
    p.prefixLength === prune.prefixLength
  );
  if (expiresAt <= now) {
    if (i >= 0) g.prunes.splice(i, 1);
  } else if (i >= 0) g.prunes[i].expiresAt = expiresAt;
  else g.prunes.push({ ...prune, expiresAt });
}

/** Forgets the prunes `drop` selects; returns how many. */
export function forgetPrunes(g: CacheGroup, drop: (p: ReceivedPrune) => boolean): number {
  const before = g.prunes.length;
  g.prunes = g.prunes.filter((p) => !drop(p));
  return before - g.prunes.length;
}

/**
 * The shortest remaining lifetime among the prunes in force from dependent neighbors on
 * interfaces where we forward (ms; Infinity: none): the prune we send upstream lasts no longer
 * (sections 2.6, 3.5.4 step 4).
 */
export function shortestPrune(step: CacheStep, g: CacheGroup, route: RouteEntry): number {
  let shortest = Infinity;
  for (const p of g.prunes) {
    if (p.expiresAt <= step.now || !isForwarder(route, p.vif)) continue;
    if (!dependentsOn(route, p.vif).has(p.neighbor)) continue;
    shortest = Math.min(shortest, p.expiresAt - step.now);
  }
  return shortest;
}
