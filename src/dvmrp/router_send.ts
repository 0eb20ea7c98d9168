/**
 * How the routing mode's three tables talk to each other and to the wire: each table's actions
 * become the next table's events (a neighbor up gets the route table; a route changed
 * re-checks the forwarding cache) or messages to send, encoded here; the cache's entries
 * become the proxy core's `addMfc` and `delMfc` actions.
 *
 * ```
 *  neighbors ──neighbor-up/lost──▶ routes ──route-changed──▶ cache ──add/del-mfc──▶ kernel
 *      │                             │                         │   ──read-counts──▶
 *      │                             │                         │   ◀────counts─────
 *      └─send-probe                  └─send-report             └─send-prune/graft/graft-ack
 * ```
 *
 * @module
 */

import {
  DVMRP_CAPABILITIES,
  type DvmrpHeaderOptions,
  encodeGraft,
  encodeGraftAck,
  encodeProbe,
  encodePrune,
  encodeReports,
} from "../proto/dvmrp_encode.ts";
import { formatIPv4 } from "../proto/addr.ts";
import { inAnySubnet } from "../core/subnet.ts";
import { INADDR_DVMRP_GROUP } from "../proto/dvmrp.ts";
import { type CacheAction, type CacheContext, type CacheEvent, stepCache } from "./cache.ts";
import { findNeighbor, type NeighborEvent, stepNeighbors } from "./neighbors.ts";
import { type RouteEvent, stepRoutes } from "./routes.ts";
import { debugOn, routerLog, type RouterState, type RouterStep } from "./router_state.ts";

/** Runs an event through the neighbor table and what follows from its actions. */
export function runNeighbors(step: RouterStep, event: NeighborEvent): void {
  const { state, now } = step;
  // Probes first: a neighbor that just became two-way with us must hear our probe listing it
  // before the table we send it, or it drops the table as coming from a stranger.
  const actions = stepNeighbors(state.neighbors, event, now);
  const ordered = [
    ...actions.filter((a) => a.kind === "send-probe"),
    ...actions.filter((a) => a.kind !== "send-probe"),
  ];
  for (const a of ordered) {
    switch (a.kind) {
      case "send-probe":
        send(
          step,
          a.vif,
          a.to,
          encodeProbe({ ...HEADER, generationId: state.settings.genid, neighbors: a.neighbors }),
          "probe",
        );
        break;
      case "neighbor-up":
        routerLog(
          step,
          "info",
          `DVMRP neighbor ${formatIPv4(a.neighbor)} up on ${vifName(state, a.vif)}`,
        );
        runRoutes(step, { kind: "neighbor-up", vif: a.vif, neighbor: a.neighbor });
        break;
      case "neighbor-lost":
        routerLog(
          step,
          "info",
          `DVMRP neighbor ${formatIPv4(a.neighbor)} lost on ${vifName(state, a.vif)} (${a.reason})`,
        );
        runRoutes(step, { kind: "neighbor-lost", vif: a.vif, neighbor: a.neighbor });
        runCache(step, { kind: "neighbor-lost", vif: a.vif, neighbor: a.neighbor });
        break;
      case "log":
        if (a.level !== "debug" || debugOn(state)) routerLog(step, a.level, a.message);
        break;
    }
  }
}

/** Runs an event through the route table and what follows from its actions. */
export function runRoutes(step: RouterStep, event: RouteEvent): void {
  const { state, now } = step;
  const changed: { source: number; prefixLength: number }[] = [];
  for (const a of stepRoutes(state.routes, event, now)) {
    if (a.kind === "route-changed") {
      changed.push(a);
      continue;
    }
    const messages = encodeReports(a.routes, HEADER);
    const to = a.to === undefined ? "" : ` to ${formatIPv4(a.to)}`;
    for (const m of messages) {
      send(step, a.vif, a.to, m, `report (${a.routes.length} routes)${to}`);
    }
  }
  for (const c of changed) {
    runCache(step, { kind: "route-changed", source: c.source, prefixLength: c.prefixLength });
  }
}

/** Runs an event through the forwarding cache and executes what it asks. */
export function runCache(step: RouterStep, event: CacheEvent): void {
  const { state, now } = step;
  for (const a of stepCache(state.cache, cacheContext(state), event, now)) cacheAction(step, a);
}

/** One action of the cache as the proxy core's action or a message. */
function cacheAction(step: RouterStep, a: CacheAction): void {
  const { state } = step;
  switch (a.kind) {
    case "add-mfc":
      step.out.push({
        kind: "addMfc",
        source: a.source,
        group: a.group,
        parent: a.parent,
        oifs: a.oifs,
      });
      return;
    case "del-mfc":
      step.out.push({ kind: "delMfc", source: a.source, group: a.group });
      return;
    case "read-counts":
      // The runtime reads them at once and feeds them back as `mfc-counters` (router.ts).
      step.out.push({ kind: "sampleMfc", entries: a.entries });
      return;
    case "send-prune":
    case "send-graft":
    case "send-graft-ack":
      return sendPruneOrGraft(step, a);
    case "log":
      if (a.level !== "debug" || debugOn(state)) routerLog(step, a.level, a.message);
      return;
  }
}

/** What each cache message is called in logs. */
const MESSAGE_NAME = {
  "send-prune": "prune",
  "send-graft": "graft",
  "send-graft-ack": "graft ack",
} as const;

/**
 * A prune, graft or graft ack, encoded and sent. The netmask goes only to a neighbor that
 * takes it (the N capability); a graft ack echoes the graft's.
 */
function sendPruneOrGraft(
  step: RouterStep,
  a: Extract<CacheAction, { kind: "send-prune" | "send-graft" | "send-graft-ack" }>,
): void {
  const mask = a.kind === "send-graft-ack"
    ? a.prefixLength
    : acceptsNetmask(step.state, a.vif, a.to)
    ? a.prefixLength
    : undefined;
  const fields = {
    ...HEADER,
    source: a.source,
    group: a.group,
    ...(mask === undefined ? {} : { prefixLength: mask }),
  };
  const message = a.kind === "send-prune"
    ? encodePrune({ ...fields, lifetimeSeconds: a.lifetimeSeconds })
    : a.kind === "send-graft"
    ? encodeGraft(fields)
    : encodeGraftAck(fields);
  const what = `${MESSAGE_NAME[a.kind]} (${formatIPv4(a.source)}, ${formatIPv4(a.group)}) to ` +
    formatIPv4(a.to);
  send(step, a.vif, a.to, message, what);
}

/** What the cache asks of the other tables. */
export function cacheContext(state: RouterState): CacheContext {
  const vifs = new Map<number, { threshold: number }>();
  for (const v of state.vifs.values()) vifs.set(v.vifi, { threshold: v.threshold });
  return {
    routes: state.routes,
    vifs,
    hasMembers: (vif, group, source) => hasMembers(state, vif, group, source),
    isBoundary: (vif, group) => inAnySubnet(group, state.vifs.get(vif)?.boundaries ?? []),
    canPrune: (vif, neighbor) =>
      findNeighbor(state.neighbors, vif, neighbor)?.capabilities.prune ?? false,
    pruneLifetime: state.settings.pruneLifetime,
    cacheLifetime: state.settings.cacheLifetime,
    pruning: state.settings.pruning,
  };
}

/**
 * Whether a LAN has members of `group` that admit `source` (RFC 3376 section 6.3), outside
 * its boundaries. A tunnel has no members of its own.
 */
function hasMembers(state: RouterState, vifi: number, group: number, source: number): boolean {
  const vif = state.vifs.get(vifi);
  if (vif === undefined || vif.tunnel !== undefined) return false;
  if (inAnySubnet(group, vif.boundaries)) return false;
  const record = state.proxy.vifs.get(vifi)?.groups.get(group);
  if (record === undefined) return false;
  const s = record.sources.get(source);
  return record.mode === "INCLUDE" ? s !== undefined : s === undefined || s.timer !== 0;
}

/** Whether a neighbor takes the optional netmask of prunes and grafts (the N capability). */
function acceptsNetmask(state: RouterState, vif: number, neighbor: number): boolean {
  return findNeighbor(state.neighbors, vif, neighbor)?.capabilities.netmask ?? false;
}

/**
 * Sends one DVMRP message on a vif: to `to`, or to All-DVMRP-Routers (224.0.0.4) on a LAN or
 * to the far end of a tunnel.
 */
export function send(
  step: RouterStep,
  vifi: number,
  to: number | undefined,
  message: Uint8Array,
  what: string,
): void {
  const vif = step.state.vifs.get(vifi);
  if (vif === undefined) return;
  const destination = to ?? vif.tunnel?.remote ?? INADDR_DVMRP_GROUP;
  step.out.push({
    kind: "sendDvmrp",
    ifindex: vif.ifindex,
    name: vif.name,
    source: vif.address,
    destination,
    message,
    what,
  });
}

/** A vif's name for logs: `"eth1"` or `tunnel 10.0.0.1-10.0.2.1`. */
export function vifName(state: RouterState, vifi: number): string {
  const vif = state.vifs.get(vifi);
  if (vif === undefined) return `vif ${vifi}`;
  return vif.tunnel === undefined ? `"${vif.name}"` : vif.name;
}

/**
 * The header of what we send: mrouted's capabilities (prune, generation ID) but mtrace, which
 * we do not answer (mrinfo would show "M", and an mtrace through us would time out).
 */
export const HEADER: Readonly<DvmrpHeaderOptions> = Object.freeze({
  capabilities: Object.freeze({ ...DVMRP_CAPABILITIES, mtrace: false }),
});
