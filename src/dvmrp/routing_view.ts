/**
 * The routing mode's state for the control socket (`mcast-proxyctl show neighbors|routes|cache`):
 * as text, the neighbor list and mrouted's tables (route_dump.ts, cache_dump.ts); as JSON,
 * plain objects with addresses as text and times in seconds.
 *
 * @module
 */

import { formatIPv4 } from "../proto/addr.ts";
import { cacheEntries } from "./cache.ts";
import { describeCacheTable, formatDuration } from "./cache_dump.ts";
import { type DvmrpNeighbor, neighborsOn } from "./neighbors.ts";
import { describeRouteTable, describeVifTable } from "./route_dump.ts";
import { ROUTE_EXPIRATION_TIME } from "./route_table.ts";
import type { RouterState } from "./router_state.ts";

/** What the routing views show. */
export type RoutingWhat = "neighbors" | "routes" | "cache";

/** The neighbors as a table: vif, address, version, capabilities, state, uptime, expiry. */
export function describeNeighbors(state: RouterState, now: number): string[] {
  const lines = [" Vif  Neighbor         Version  Flags  State    Up      Expires"];
  for (const [vif, n] of allNeighbors(state)) {
    lines.push(
      `  ${String(vif).padEnd(4)}${formatIPv4(n.address).padEnd(17)}` +
        `${`${n.majorVersion}.${n.minorVersion}`.padEnd(9)}${capabilityFlags(n).padEnd(7)}` +
        `${(n.twoWay ? "two-way" : "one-way").padEnd(9)}${
          formatDuration(now - n.since).padEnd(8)
        }` +
        `${formatDuration(n.expiresAt - now)}`,
    );
  }
  if (lines.length === 1) lines.push("  (no neighbors)");
  return [...lines, "", ...describeMessages(state)];
}

/** What was received and taken, and dropped by reason: two lines. */
export function describeMessages(state: RouterState): string[] {
  const list = (m: ReadonlyMap<string, number>) =>
    [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(", ") ||
    "none";
  const total = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return [
    `DVMRP messages taken: ${total(state.received)} (${list(state.received)})`,
    `Dropped: ${total(state.drops)} (${list(state.drops)}); routes refused past the limit: ` +
    `${state.routes.refusedRoutes}`,
  ];
}

/** The text of a view. */
export function routingText(state: RouterState, what: RoutingWhat, now: number): string[] {
  switch (what) {
    case "neighbors":
      return describeNeighbors(state, now);
    case "routes":
      return [...describeVifTable(state, () => undefined), ...describeRouteTable(state, now)];
    case "cache":
      return describeCacheTable(state.cache, now);
  }
}

/** The JSON of a view. */
export function routingJson(state: RouterState, what: RoutingWhat, now: number): unknown {
  const s = (ms: number) => Math.round(ms / 100) / 10;
  switch (what) {
    case "neighbors":
      return {
        neighbors: allNeighbors(state).map(([vif, n]) => ({
          vif,
          address: formatIPv4(n.address),
          version: `${n.majorVersion}.${n.minorVersion}`,
          generationId: n.genid ?? null,
          capabilities: n.capabilities,
          twoWay: n.twoWay,
          upSeconds: s(now - n.since),
          expiresInSeconds: s(n.expiresAt - now),
        })),
        received: Object.fromEntries(state.received),
        dropped: Object.fromEntries(state.drops),
        refusedRoutes: state.routes.refusedRoutes,
      };
    case "routes":
      return {
        routes: [...state.routes.routes.values()].map((r) => ({
          origin: `${formatIPv4(r.source)}/${r.prefixLength}`,
          gateway: r.upstream === undefined ? null : formatIPv4(r.upstream),
          metric: r.metric,
          vif: r.vif,
          local: r.local,
          holddown: r.held !== undefined,
          ageSeconds: r.local || !Number.isFinite(r.expiresAt)
            ? 0
            : s(now - (r.expiresAt - ROUTE_EXPIRATION_TIME)),
        })),
      };
    case "cache":
      return {
        cache: cacheEntries(state.cache, now).map((e) => ({
          origin: `${formatIPv4(e.source)}/${e.prefixLength}`,
          group: formatIPv4(e.group),
          incoming: e.parent,
          upstream: e.upstream === undefined ? null : formatIPv4(e.upstream),
          prunedUpstream: e.upstreamState === "pruned",
          pruneSecondsLeft: e.prunedFor === undefined ? null : s(e.prunedFor),
          expiresInSeconds: s(e.expiresIn),
          ageSeconds: s(e.age),
          outgoing: e.vifs.map((v) => ({ vif: v.vif, flag: v.flag })),
          sources: e.sources.map((x) => formatIPv4(x.source)),
        })),
      };
  }
}

/** Every neighbor with its vif, by vif then address. */
function allNeighbors(state: RouterState): [number, DvmrpNeighbor][] {
  const out: [number, DvmrpNeighbor][] = [];
  for (const vif of [...state.vifs.keys()].sort((a, b) => a - b)) {
    for (const n of neighborsOn(state.neighbors, vif)) out.push([vif, n]);
  }
  return out;
}

/** The capabilities as mrinfo prints them: P prune, G genid, M mtrace, N netmask, L leaf. */
function capabilityFlags(n: DvmrpNeighbor): string {
  const c = n.capabilities;
  return (c.prune ? "P" : "") + (c.generationId ? "G" : "") + (c.mtrace ? "M" : "") +
    (c.netmask ? "N" : "") + (c.leaf ? "L" : "");
}
