/**
 * The messages a neighbor sends about the forwarding cache (draft-ietf-idmr-dvmrp-v3-11
 * sections 3.5.3, 3.6.2, 3.6.5): prunes, grafts and graft acks. The caller passes on only those
 * from known neighbors (two-way adjacency, sections 3.5.3 step 1 and 3.6.2 step 1).
 *
 * @module
 */

import { maskIPv4 } from "../proto/addr.ts";
import {
  forgetPrunes,
  graftedPrefix,
  isBoundary,
  overlaps,
  prunedPrefix,
  receivedPruneCap,
  recordPrune,
} from "./cache_oifs.ts";
import { refresh, settle } from "./cache_refresh.ts";
import type { CacheEvent } from "./cache_events.ts";
import {
  type CacheStep,
  describeNeighbor,
  describePair,
  findGroup,
  log,
  MAX_PRUNES_PER_ROW,
} from "./cache_table.ts";
import { runUpstream } from "./cache_upstream.ts";
import { dependentsOn, hasPath, matchRoute } from "./routes.ts";

/**
 * A prune from a neighbor (section 3.5.3): from a dependent neighbor for a route with an entry,
 * it is recorded with its lifetime; the interface leaves the entry once every dependent there
 * pruned and no members are present.
 */
export function pruneReceived(
  step: CacheStep,
  e: Extract<CacheEvent, { kind: "prune-received" }>,
): void {
  const { cache, ctx, now } = step;
  const { prune, vif, from } = e;
  const pair = describePair(prune.source, prune.group);
  const what = `Prune for ${pair} from ${describeNeighbor(from, vif)}`;
  const ignore = (why: string) => {
    cache.counters.prunesIgnored++;
    log(step, "debug", `${what} ignored: ${why}`);
  };
  if (!ctx.pruning) return ignore("pruning is off");
  // The route the prune names, held down or not: a prune without a netmask for a route held
  // down without a path must not fall through to a shorter prefix and prune all of it.
  const route = matchRoute(ctx.routes, prune.source);
  if (route === undefined) return ignore("no route");
  if (!hasPath(route)) return ignore("its route is held down, without a path");
  const prefix = prunedPrefix(route, prune);
  if (prefix === undefined) {
    return ignore(`its netmask /${prune.prefixLength} is not the route's /${route.prefixLength}`);
  }
  const g = findGroup(cache, route, prune.group);
  if (g === undefined) return ignore("no cache entry");
  if (!dependentsOn(route, vif).has(from)) return ignore("not a dependent neighbor");
  if (isBoundary(ctx, vif, prune.group)) return ignore("a boundary for the group");
  // A host prune names one source: only one the kernel has an entry for counts, so that a
  // neighbor cannot fill the row with prunes for made-up sources.
  if (prefix.prefixLength === 32 && !g.sources.has(prefix.source)) {
    return ignore("no entry for that source");
  }
  if (g.prunes.length >= MAX_PRUNES_PER_ROW) return ignore("too many prunes for the row");
  const lifetime = Math.min(prune.lifetimeSeconds * 1000, receivedPruneCap(ctx));
  recordPrune(g, { vif, neighbor: from, ...prefix }, now + lifetime, now);
  log(step, "debug", `${what}: ${lifetime / 1000} s`);
  refresh(step, g);
}

/**
 * A graft (section 3.6.2): acknowledged whatever it finds; the sender's prunes for the source
 * network or host end, and the entry grafts upstream if it had pruned there.
 */
export function graftReceived(
  step: CacheStep,
  e: Extract<CacheEvent, { kind: "graft-received" }>,
): void {
  const { cache, ctx } = step;
  const { graft, vif, from } = e;
  step.out.push({
    kind: "send-graft-ack",
    vif,
    to: from,
    source: graft.source,
    group: graft.group,
    ...(graft.prefixLength === undefined ? {} : { prefixLength: graft.prefixLength }),
  });
  const pair = describePair(graft.source, graft.group);
  const what = `Graft for ${pair} from ${describeNeighbor(from, vif)}`;
  // As for a prune: the route named, held down or not; one without a path has no entries.
  const route = matchRoute(ctx.routes, graft.source);
  const g = route === undefined || !hasPath(route)
    ? undefined
    : findGroup(cache, route, graft.group);
  if (route === undefined || g === undefined) {
    log(step, "debug", `${what} acknowledged: no cache entry`);
    return;
  }
  const grafted = graftedPrefix(route, graft);
  const n = forgetPrunes(g, (p) => p.vif === vif && p.neighbor === from && overlaps(p, grafted));
  log(step, "debug", `${what} acknowledged: ${n} prune(s) ended`);
  refresh(step, g);
}

/** A graft ack from the neighbor we grafted to stops the retransmissions (section 3.6.5). */
export function graftAckReceived(
  step: CacheStep,
  e: Extract<CacheEvent, { kind: "graft-ack-received" }>,
): void {
  const { ack, vif, from } = e;
  let acked = false;
  for (const g of [...step.cache.groups.get(ack.group)?.values() ?? []]) {
    const graft = g.graft;
    if (graft === undefined || graft.to !== from || graft.vif !== vif) continue;
    if (maskIPv4(ack.source, g.prefixLength) !== g.source) continue;
    acked = runUpstream(step, g, "graft-ack") || acked;
    settle(step, g);
  }
  if (!acked) {
    const pair = describePair(ack.source, ack.group);
    log(
      step,
      "debug",
      `Graft ack for ${pair} from ${describeNeighbor(from, vif)} ignored: no graft pending`,
    );
  }
}
