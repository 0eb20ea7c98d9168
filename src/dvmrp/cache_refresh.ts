/**
 * Bringing a cache entry in line with the tables it depends on (draft-ietf-idmr-dvmrp-v3-11
 * section 3.3: "as routes, downstream dependent neighbors, or group membership change, the
 * cache forwarding table entries MUST be updated"): its route, each kernel entry's outgoing
 * interfaces, then its upstream side.
 *
 * @module
 */

import type { Oif } from "../core/actions.ts";
import { downstreamFlags, forgetPrunes, outgoingVifs, shortestPrune } from "./cache_oifs.ts";
import {
  type CacheGroup,
  type CacheSource,
  type CacheStep,
  deleteSource,
  describeGroup,
  groupRouteKey,
  isIdle,
  log,
  randomizedPruneLifetime,
  removeGroup,
  schedule,
} from "./cache_table.ts";
import { runUpstream } from "./cache_upstream.ts";
import type { RouteEntry } from "./route_table.ts";
import { dependentsOn, hasPath, isReachable } from "./routes.ts";

/** Deletes a group's kernel entries and forgets its state. */
export function deleteGroup(step: CacheStep, g: CacheGroup, why: string): void {
  for (const s of [...g.sources.values()]) deleteSource(step, g, s);
  g.prunes = [];
  g.prune = undefined;
  g.graft = undefined;
  g.state = "forwarding";
  removeGroup(step.cache, g);
  log(step, "debug", `Cache entry ${describeGroup(g)} deleted: ${why}`);
}

/** Removes the group if it holds nothing, else queues its next deadline. */
export function settle(step: CacheStep, g: CacheGroup): void {
  if (isIdle(g)) removeGroup(step.cache, g);
  else schedule(step.cache, g);
}

/**
 * Brings a group in line with the tables: its route (gone or without a path, as when it goes
 * into hold-down: the group goes; a new upstream interface or neighbor: the upstream side
 * starts over), the prunes of neighbors that still depend on us, each kernel entry's outgoing
 * interfaces (add-mfc when they change), then the upstream side: graft when data is wanted
 * again, prune when nothing is.
 */
export function refresh(step: CacheStep, g: CacheGroup): void {
  if (g.deleted) return;
  const route = step.ctx.routes.routes.get(groupRouteKey(g));
  if (route === undefined || !hasPath(route)) {
    deleteGroup(step, g, route === undefined ? "no route" : "route in hold-down");
    return;
  }
  if (route.vif !== g.parent || route.upstream !== g.upstream) {
    runUpstream(step, g, "upstream-changed");
    g.parent = route.vif;
    g.upstream = route.upstream;
    log(step, "debug", `Cache entry ${describeGroup(g)} now comes from vif ${route.vif}`);
  }
  forgetPrunes(g, (p) => p.vif === route.vif || !dependentsOn(route, p.vif).has(p.neighbor));
  for (const s of g.sources.values()) install(step, g, s, outgoingVifs(step, g, route, s.source));
  g.downstream = downstreamFlags(step, g, route);
  decideUpstream(step, g, route);
  settle(step, g);
}

/** Installs a kernel entry's parent and outgoing interfaces unless they are in place. */
export function install(step: CacheStep, g: CacheGroup, s: CacheSource, oifs: Oif[]): void {
  s.oifs = oifs;
  const key = `${g.parent}:${oifs.map((o) => `${o.vifi}/${o.ttl}`).join(",")}`;
  if (key === s.installed) return;
  s.installed = key;
  step.out.push({ kind: "add-mfc", source: s.source, group: g.group, parent: g.parent, oifs });
}

/**
 * The upstream event of a group's outgoing lists: `oifs-nonempty` when a kernel entry has one,
 * `oifs-empty` when none has and a prune may go (section 3.5.4 steps 1, 2, 4): pruning on, an
 * upstream neighbor that can prune, and a lifetime of at least a second, the shortest of our
 * prune lifetime, randomized, and the remaining lifetimes of the prunes received.
 *
 * Nothing for a route in hold-down: we advertise it with infinity on its upstream interface
 * too, without poison reverse, so the upstream neighbor does not count us as a dependent and
 * would discard a prune (section 3.5.3 step 5), and a graft would bring nothing. The group
 * starts in `forwarding` (hold-down flushed the groups before), and the end of the hold-down
 * refreshes it.
 */
export function decideUpstream(step: CacheStep, g: CacheGroup, route: RouteEntry): void {
  const { ctx } = step;
  if (g.sources.size === 0 || !isReachable(route)) return;
  for (const s of g.sources.values()) {
    if (s.oifs.length === 0) continue;
    runUpstream(step, g, "oifs-nonempty");
    return;
  }
  if (g.state === "pruned" || !ctx.pruning || g.upstream === undefined) return;
  if (!ctx.canPrune(g.parent, g.upstream)) return;
  const ours = randomizedPruneLifetime(step.cache, ctx.pruneLifetime);
  const lifetime = Math.min(ours, shortestPrune(step, g, route));
  const lifetimeSeconds = Math.min(Math.floor(lifetime / 1000), 0xffffffff);
  if (lifetimeSeconds >= 1) runUpstream(step, g, "oifs-empty", lifetimeSeconds);
}

/**
 * Installs one new (or lost) kernel entry of a group that is otherwise up to date, then the
 * upstream side: an upcall does not recompute the outgoing interfaces of the group's other
 * sources.
 */
export function admit(step: CacheStep, g: CacheGroup, route: RouteEntry, s: CacheSource): void {
  const oifs = outgoingVifs(step, g, route, s.source);
  install(step, g, s, oifs);
  for (const o of oifs) g.downstream.set(o.vifi, "");
  decideUpstream(step, g, route);
  settle(step, g);
}
