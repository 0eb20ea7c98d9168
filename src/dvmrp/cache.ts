/**
 * The DVMRP forwarding cache (draft-ietf-idmr-dvmrp-v3-11 sections 3.3, 3.5, 3.6) as a pure
 * machine. {@link stepCache} takes the cache, a context over the daemon's other tables, an event
 * and `now`, updates the cache and returns what the runtime must do: kernel entries to add or
 * delete, their packet counts to read, prunes, grafts and graft acks to send.
 *
 * ```
 *  upcall ──▶ kernel entry (S, G): parent = the route's interface, oifs (cache_oifs.ts)
 *  prune-received ──▶ the interface leaves once every dependent there pruned (3.5.3)
 *  graft-received ──▶ graft ack, always; the sender's prunes end (3.6.2)    ┐ every change:
 *  members-changed, route-changed, neighbor-lost, vif-down                  │ oifs recomputed,
 *  tick ──▶ prunes received and sent expire; grafts retransmitted;          ├ add-mfc if new,
 *           read-counts: entries at their lifetime's end, pruned ones       │ then the upstream
 *  counts ──▶ idle entries go; data still arriving resends our prune        ┘ side: prune, graft
 * ```
 *
 * Choices where the draft leaves room:
 * - A kernel entry lives a cache lifetime from its upcall; then its packet counts are read
 *   (`read-counts`, answered at once by a `counts` event, cache_counts.ts): one that forwarded
 *   since the last reading lives another lifetime; an idle one goes (del-mfc), and so does one
 *   whose counts cannot be read (gone from the kernel), as mrouted's age_table_entry does.
 *   While our prune upstream is in force the entries stay, without outgoing interfaces, so that
 *   a member joining finds them and grafts.
 * - We prune when an entry's outgoing list becomes empty (the optimization of section 3.5.4).
 *   Our lifetime is drawn between half of `pruneLifetime` and all of it, "randomized to prevent
 *   synchronization" (3.5.4 step 4): mrouted draws up to one and a half times it, but the
 *   draft's Prune Lifetime stays under its 2-hour default (Appendix A). When the prune expires,
 *   the entries still without outgoing interfaces are deleted: if data keeps coming, its upcall
 *   prunes again.
 * - While the prune is in force it is retransmitted if data still arrives (3.5.5). The draft's
 *   example, which mrouted follows (rexmit_prune), deletes the entries 3 s, 6 s, 12 s... after
 *   each prune so that data still coming makes an upcall that resends it; we keep the entries
 *   (see above, and no burst of upcalls) and read their packet counts at those times instead,
 *   each randomized between half and one and a half times, as mrouted. Counts that grew since
 *   the last reading (the first a second after the prune, so that datagrams already on their
 *   way do not count), or an upcall meanwhile, send the prune again with its remaining lifetime.
 *   The checks stop once the next would come after the prune's expiry, or when the prune ends
 *   (a graft, a new upstream neighbor). mrouted retransmits on point-to-point vifs and tunnels
 *   only, by default; we do on every vif, as the draft's SHOULD has it: on a LAN where other
 *   receivers keep the data coming, the back-off bounds it to about ten prunes per lifetime.
 * - Data on an interface other than the route's still gets its entry, with the route's parent:
 *   the kernel then drops it there, and forwards the copies arriving on the right interface
 *   (with no entry, it would hold those too, unresolved, until its upcall timed out).
 * - A graft is retransmitted until acknowledged or until the prune it cancels has expired at
 *   the upstream neighbor, which then forwards anyway.
 * - A received prune lasts at most 2 hours, or our prune lifetime if longer; a lifetime of 0
 *   ends the sender's prune in force. With pruning off, received prunes are ignored (mrouted).
 * - A graft received is acknowledged always; it grafts upstream only when ending the sender's
 *   prunes gives the entry an outgoing interface (a graft from a neighbor that does not depend
 *   on us would bring nothing).
 * - Hold-down (section 3.4.8): a route entering it has its entries flushed. Data from its
 *   sources then goes by a shorter prefix with a path, if any (mrouted's `determine_route`);
 *   once the route learns a path in hold-down, its entries come from that path and go to
 *   local members only (the draft's MAY), with no prune or graft upstream, where we are not
 *   a dependent. The end of hold-down brings the dependent neighbors and the upstream side.
 *
 * The caller feeds the route table's `route-changed` actions here after each `stepRoutes`, and
 * `neighbor-lost` and `vif-down` after the route table has seen them, with `ctx.vifs` without
 * the interface that went down. A neighbor with a new generation ID counts as lost (3.2.2).
 *
 * @module
 */

import { formatIPv4, maskIPv4 } from "../proto/addr.ts";
import { countsReceived, expireSources } from "./cache_counts.ts";
import { graftAckReceived, graftReceived, pruneReceived } from "./cache_messages.ts";
import { forgetPrunes } from "./cache_oifs.ts";
import { admit, deleteGroup, refresh } from "./cache_refresh.ts";
import type { CacheAction, CacheContext, CacheEvent } from "./cache_events.ts";
import {
  addGroup,
  addSource,
  type CacheGroup,
  type CacheState,
  type CacheStep,
  deleteSource,
  describeGroup,
  describeNeighbor,
  describePair,
  findGroup,
  findSource,
  groupRouteKey,
  log,
  removeGroup,
} from "./cache_table.ts";
import { runUpstream } from "./cache_upstream.ts";
import { routeKey } from "./route_table.ts";
import { hasPath, matchForwardingRoute } from "./routes.ts";

export type { CacheAction, CacheContext, CacheEvent } from "./cache_events.ts";
export {
  type CacheCounters,
  type CacheGroup,
  type CacheOptions,
  type CacheSource,
  type CacheState,
  createCache,
  DEFAULT_CACHE_LIFETIME,
  DEFAULT_PRUNE_LIFETIME,
  type DownstreamFlag,
  GRAFT_RETRANSMISSION_TIME,
  MAX_CACHE_ENTRIES,
  PRUNE_RETRANSMISSION_TIME,
  type ReceivedPrune,
  type UpstreamState,
} from "./cache_table.ts";
export { UPSTREAM_TRANSITIONS, type UpstreamRow } from "./cache_upstream.ts";
export {
  cacheEntries,
  type CacheEntryView,
  type CacheSourceView,
  type CacheStats,
  cacheStats,
  type ReceivedPruneView,
} from "./cache_view.ts";

/**
 * Runs one event at `now` (ms) and returns the actions, in order.
 *
 * @example
 * ```ts
 * import { createCache, stepCache } from "./cache.ts";
 * import { createRouteTable, stepRoutes } from "./routes.ts";
 *
 * const routes = createRouteTable(0);
 * const lan = { prefixLength: 24, metric: 1 };
 * stepRoutes(routes, { kind: "vif-up", vif: 0, address: 0x0a000001, ...lan }, 0);
 * stepRoutes(routes, { kind: "vif-up", vif: 1, address: 0x0a000101, ...lan }, 0);
 * const ctx = {
 *   routes,
 *   vifs: new Map([[0, { threshold: 1 }], [1, { threshold: 1 }]]),
 *   hasMembers: (vif: number) => vif === 1,
 *   canPrune: () => true,
 *   pruneLifetime: 7_200_000,
 *   cacheLifetime: 300_000,
 *   pruning: true,
 * };
 * stepCache(createCache(), ctx, { kind: "upcall", vif: 0, source: 0x0a000007, group: 0xef010101 }, 0);
 * // [..., { kind: "add-mfc", source: 0x0a000007, group: 0xef010101, parent: 0,
 * //         oifs: [{ vifi: 1, ttl: 1 }] }]
 * ```
 */
export function stepCache(
  cache: CacheState,
  ctx: CacheContext,
  e: CacheEvent,
  now: number,
): CacheAction[] {
  const step: CacheStep = { cache, ctx, now, out: [], readings: [] };
  switch (e.kind) {
    case "upcall":
      upcall(step, e);
      break;
    case "prune-received":
      pruneReceived(step, e);
      break;
    case "graft-received":
      graftReceived(step, e);
      break;
    case "graft-ack-received":
      graftAckReceived(step, e);
      break;
    case "route-changed":
      routeChanged(step, e);
      break;
    case "members-changed":
      for (const g of [...cache.groups.get(e.group)?.values() ?? []]) refresh(step, g);
      break;
    case "neighbor-lost":
      neighborLost(step, e.vif, e.neighbor);
      break;
    case "vif-down":
      vifDown(step, e.vif);
      break;
    case "tick":
      expire(step);
      break;
    case "counts":
      countsReceived(step, e);
      break;
    case "stop":
      stop(step);
      break;
  }
  askCounts(step);
  return step.out;
}

/** The counts the step asked for, in one `read-counts` after its other actions. */
function askCounts(step: CacheStep): void {
  const seen = new Set<string>();
  const entries = step.readings.filter(({ source, group }) => {
    const key = `${source}/${group}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return findSource(step.cache, source, group) !== undefined;
  });
  if (entries.length > 0) step.out.push({ kind: "read-counts", entries });
}

/**
 * The cache's next deadline: an entry, a received prune, the prune sent (its expiry, its next
 * check for data still arriving), a graft retransmission.
 */
export function nextCacheDeadline(cache: CacheState): number {
  // Stale entries on top (a group removed or queued anew) go first: they would wake us for
  // nothing.
  for (let top = cache.timers.peek(); top !== undefined; top = cache.timers.peek()) {
    if (!top.group.deleted && top.group.queuedAt === top.at) return top.at;
    cache.timers.pop();
  }
  return Infinity;
}

/** Every group, for the events that concern them all. */
function allGroups(cache: CacheState): CacheGroup[] {
  return [...cache.byRoute.values()].flatMap((set) => [...set]);
}

/**
 * The kernel asks for (S, G): an entry with the route's interface as parent (section 3.3.2), or
 * nothing without a route with a path (one in hold-down without a path is passed over for a
 * shorter prefix, section 3.4.8). The cache holds at most `maxEntries` entries.
 */
function upcall(step: CacheStep, e: Extract<CacheEvent, { kind: "upcall" }>): void {
  const { cache, ctx, now } = step;
  cache.counters.upcalls++;
  const what = `${describePair(e.source, e.group)} on vif ${e.vif}`;
  const route = matchForwardingRoute(ctx.routes, e.source);
  if (route === undefined) {
    cache.counters.noRoute++;
    log(step, "debug", `No route for data ${what}: dropped`);
    return;
  }
  if (route.vif !== e.vif) {
    cache.counters.wrongVif++;
    log(step, "debug", `Data ${what} is not on its RPF interface: entry from vif ${route.vif}`);
  }
  const g = findGroup(cache, route, e.group);
  const known = g?.sources.get(e.source);
  if (known === undefined && cache.entries >= cache.maxEntries) {
    cache.counters.overflow++;
    if (!cache.overflowLogged) {
      cache.overflowLogged = true;
      log(step, "warn", `Forwarding cache full at ${cache.maxEntries} entries: new data dropped`);
    }
    return;
  }
  if (known === undefined) log(step, "debug", `Cache entry ${what} added`);
  else known.installed = undefined;
  if (g === undefined) {
    const created = addGroup(cache, route, e.group, now);
    addSource(step, created, e.source);
    refresh(step, created);
    return;
  }
  // Data the kernel had no entry for, while our prune is in force: the upstream neighbor still
  // forwards (section 3.5.5); the next check sends the prune again.
  if (g.state === "pruned" && g.prune !== undefined) g.prune.dataSeen = true;
  const s = known ?? addSource(step, g, e.source);
  if (g.parent === route.vif && g.upstream === route.upstream) admit(step, g, route, s);
  else refresh(step, g);
}

/**
 * A route changed (section 3.3): the entries of its groups, and of the groups of every shorter
 * prefix holding it, are matched again. One that now matches a more specific route with a path
 * moves there (a new parent: mrouted's `steal_sources` when a route gets a path); then each
 * group is refreshed, which deletes it when its own route is gone or without a path: so a route
 * going into hold-down flushes its entries (section 3.4.8).
 */
function routeChanged(
  step: CacheStep,
  e: Extract<CacheEvent, { kind: "route-changed" }>,
): void {
  const touched = new Set<CacheGroup>();
  for (let length = e.prefixLength; length >= 0; length--) {
    const set = step.cache.byRoute.get(routeKey(maskIPv4(e.source, length), length));
    for (const g of [...set ?? []]) {
      touched.add(g);
      rehome(step, g, touched);
    }
  }
  for (const g of touched) refresh(step, g);
}

/**
 * Moves the group's kernel entries that a more specific route with a path now covers. The
 * entries of a route gone or without a path stay, for the refresh to flush (section 3.4.8).
 */
function rehome(step: CacheStep, g: CacheGroup, touched: Set<CacheGroup>): void {
  const key = groupRouteKey(g);
  const own = step.ctx.routes.routes.get(key);
  if (own === undefined || !hasPath(own)) return;
  for (const s of [...g.sources.values()]) {
    const r = matchForwardingRoute(step.ctx.routes, s.source);
    if (r === undefined || routeKey(r.source, r.prefixLength) === key) continue;
    g.sources.delete(s.source);
    const h = findGroup(step.cache, r, g.group) ?? addGroup(step.cache, r, g.group, step.now);
    s.installed = undefined;
    // Held as long as the new group's prune, if it has one; else no longer than a lifetime
    // (a prune of the old group may have held it far longer).
    s.expiresAt = h.prune !== undefined
      ? Math.max(s.expiresAt, h.prune.until)
      : Math.min(s.expiresAt, step.now + step.ctx.cacheLifetime);
    h.sources.set(s.source, s);
    touched.add(h);
    log(
      step,
      "debug",
      `Cache entry ${describePair(s.source, g.group)} moves to ${describeGroup(h)}`,
    );
  }
}

/**
 * A neighbor is lost or restarted (section 3.2.4): the entries it was upstream for are flushed
 * with their prune and graft state (steps 3, 4); its prunes elsewhere end (step 5).
 */
function neighborLost(step: CacheStep, vif: number, neighbor: number): void {
  for (const g of allGroups(step.cache)) {
    if (g.parent === vif && g.upstream === neighbor) {
      deleteGroup(step, g, `upstream neighbor ${formatIPv4(neighbor)} lost`);
    } else if (forgetPrunes(g, (p) => p.vif === vif && p.neighbor === neighbor) > 0) {
      refresh(step, g);
    }
  }
}

/** An interface went down (section 3.7.1): entries from it go, prunes on it end. */
function vifDown(step: CacheStep, vif: number): void {
  for (const g of allGroups(step.cache)) {
    if (g.parent === vif) {
      deleteGroup(step, g, `vif ${vif} down`);
      continue;
    }
    forgetPrunes(g, (p) => p.vif === vif);
    refresh(step, g);
  }
}

/** The groups whose deadline passed. */
function expire(step: CacheStep): void {
  const { cache, now } = step;
  for (const due of cache.timers.popDue(now)) {
    const g = due.group;
    if (g.deleted || g.queuedAt !== due.at) continue;
    g.queuedAt = Infinity;
    expireGroup(step, g);
  }
}

/**
 * A group's timers: received prunes expire (section 3.5.3), then the prune we sent (its entries
 * without outgoing interfaces are flushed) or its check for data still arriving comes (3.5.5),
 * the graft is retransmitted or given up, the kernel entries past their lifetime have their
 * counts read (cache_counts.ts); then the group is refreshed.
 */
function expireGroup(step: CacheStep, g: CacheGroup): void {
  const { now } = step;
  for (const p of g.prunes) {
    if (p.expiresAt > now) continue;
    const from = describeNeighbor(p.neighbor, p.vif);
    log(step, "debug", `Prune of ${describeGroup(g)} from ${from} expired`);
  }
  forgetPrunes(g, (p) => p.expiresAt <= now);
  if (g.prune !== undefined && g.prune.until <= now) runUpstream(step, g, "prune-expired");
  if (g.prune !== undefined && g.prune.baselineAt <= now) runUpstream(step, g, "baseline-timer");
  if (g.prune !== undefined && g.prune.nextCheckAt <= now) runUpstream(step, g, "prune-timer");
  if (g.graft !== undefined && g.graft.nextAt <= now) {
    runUpstream(step, g, now >= g.graft.until ? "graft-expired" : "graft-timer");
  }
  expireSources(step, g);
  refresh(step, g);
}

/** Deletes every kernel entry and forgets everything. */
function stop(step: CacheStep): void {
  const { cache } = step;
  for (const g of allGroups(cache)) {
    for (const s of [...g.sources.values()]) deleteSource(step, g, s);
    removeGroup(cache, g);
  }
  cache.timers.clear();
}
