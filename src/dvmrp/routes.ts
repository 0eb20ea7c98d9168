/**
 * DVMRP route exchange (draft-ietf-idmr-dvmrp-v3-11 section 3.4): the route table as a pure
 * machine. {@link stepRoutes} takes the table, an event and `now`, updates the table and
 * returns what the runtime must do: reports to send and routes whose forwarding changed.
 *
 * ```
 *  vif-up ──▶ local route (the interface's subnet, its metric)
 *  report-received ──▶ each route through ROUTE_ACCEPTANCE (route_accept.ts)
 *  neighbor-up ──▶ the whole table unicast to it          ┐
 *  neighbor-lost, vif-down ──▶ its routes into hold-down  │ changed routes ──▶ flash update
 *  tick ──▶ expiry (140 s), end of hold-down (120 s)      ┘   (at most every 5 s)
 *       └─▶ periodic report (60 s): every route, every interface with neighbors
 * ```
 *
 * Reports carry {@link DvmrpRoute}s for the codec's `encodeReports`, split horizon with poison
 * reverse applied per interface ({@link reportFor}). A route in hold-down is advertised with
 * infinity; for forwarding it is passed over until it learns a path, which then serves local
 * group members only, until the hold-down ends (section 3.4.8; route_table.ts).
 *
 * Neighbor discovery (probes, two-way adjacency, time-out) is the caller's: it feeds
 * `neighbor-up` when a probe first lists our address and `neighbor-lost` when the neighbor
 * times out, and passes on only reports from neighbors it knows (section 3.4.6).
 *
 * @module
 */

import { maskIPv4 } from "../proto/addr.ts";
import { DVMRP_INFINITY, type DvmrpRoute } from "../proto/dvmrp.ts";
import { acceptRoute, type RouteDecision } from "./route_accept.ts";
import { sendFlashUpdate, sendFullReport, sendPeriodicReport } from "./route_report.ts";
import {
  addRoute,
  deleteRoute,
  endHolddown,
  hasPath,
  holdDown,
  type RouteAction,
  type RouteEntry,
  routeKey,
  type RouteStep,
  type RouteTable,
  schedule,
  setPath,
  touch,
} from "./route_table.ts";

export {
  type AcceptanceRow,
  acceptanceRow,
  adjustMetric,
  ROUTE_ACCEPTANCE,
  type RouteDecision,
} from "./route_accept.ts";
export { reportFor, reportMetric } from "./route_report.ts";
export {
  advertisedMetric,
  createRouteTable,
  type Forwarder,
  hasPath,
  type HeldPath,
  isReachable,
  MIN_FLASH_UPDATE_INTERVAL,
  ROUTE_EXPIRATION_TIME,
  ROUTE_HOLDDOWN,
  ROUTE_REPORT_INTERVAL,
  type RouteAction,
  type RouteEntry,
  type RouteTable,
  type RouteVif,
} from "./route_table.ts";

/** What the route table reacts to. */
export type RouteEvent =
  /**
   * An interface runs DVMRP: our address on it, its subnet's length and its metric (1 to 31).
   * One already up goes down first.
   */
  | {
    kind: "vif-up";
    vif: number;
    address: number;
    prefixLength: number;
    metric: number;
    /** A tunnel: a point-to-point vif with no subnet of its own, so no local route. */
    tunnel?: boolean;
    /**
     * More subnets on the interface (mrouted's `altnet`), each a local route too; those a report
     * cannot carry (shorter than /8, but /0) are left out.
     */
    altnets?: readonly { address: number; prefixLength: number }[];
  }
  /** An interface stops: its neighbors are lost and its subnet goes into hold-down (3.7.1). */
  | { kind: "vif-down"; vif: number }
  /** A neighbor's probe lists our address for the first time: it gets the table (3.4.5). */
  | { kind: "neighbor-up"; vif: number; neighbor: number }
  /** A neighbor timed out (section 3.2.4). */
  | { kind: "neighbor-lost"; vif: number; neighbor: number }
  /** A Report from a known neighbor (section 3.4.6); the neighbor counts as present. */
  | { kind: "report-received"; vif: number; neighbor: number; routes: readonly DvmrpRoute[] }
  /** Time passed: expiry, hold-down, periodic and delayed flash reports. */
  | { kind: "tick" };

/**
 * Runs one event at `now` (ms). Returns a `route-changed` per route whose forwarding changed,
 * then the reports to send. `trace`, when given, hears the acceptance row of each received
 * route.
 *
 * @example
 * ```ts
 * import { createRouteTable, stepRoutes } from "./routes.ts";
 *
 * const table = createRouteTable(0);
 * const lan = { prefixLength: 24, metric: 1 };
 * stepRoutes(table, { kind: "vif-up", vif: 0, address: 0x0a000001, ...lan }, 0);
 * stepRoutes(table, { kind: "neighbor-up", vif: 0, neighbor: 0x0a000002 }, 1000);
 * // [{ kind: "send-report", vif: 0, to: 0x0a000002,
 * //    routes: [{ source: 0x0a000000, prefixLength: 24, metric: 33 }] }]
 * ```
 */
export function stepRoutes(
  table: RouteTable,
  event: RouteEvent,
  now: number,
  trace?: (d: RouteDecision) => void,
): RouteAction[] {
  const step: RouteStep = { table, now, touched: new Map(), out: [] };
  switch (event.kind) {
    case "vif-up":
      vifUp(step, event);
      break;
    case "vif-down":
      vifDown(step, event.vif);
      break;
    case "neighbor-up":
      neighborUp(step, event.vif, event.neighbor);
      break;
    case "neighbor-lost":
      neighborLost(step, event.vif, event.neighbor);
      break;
    case "report-received":
      reportReceived(step, event, trace);
      break;
    case "tick":
      expireRoutes(step);
      sendPeriodicReport(step);
      break;
  }
  sendFlashUpdate(step);
  const changed = [...step.touched.values()].map((p): RouteAction => ({
    kind: "route-changed",
    ...p,
  }));
  return [...changed, ...step.out];
}

/** The table's next deadline: a route's expiry or hold-down, a delayed flash, the report. */
export function nextDeadline(table: RouteTable): number {
  return Math.min(table.timers.peek()?.at ?? Infinity, table.flashAt, table.reportAt);
}

/** The route of an address: the longest prefix that holds it, in hold-down or not. */
export function matchRoute(table: RouteTable, address: number): RouteEntry | undefined {
  return longestMatch(table, address, () => true);
}

/**
 * The route that data from an address is forwarded by (sections 2.2, 3.3.2): the longest
 * prefix that holds it and has a path, in hold-down or not. A route in hold-down without a
 * path is a deleted route, kept only to be advertised with infinity (section 3.4.8): the lookup
 * passes over it to a shorter prefix, as mrouted's `determine_route` passes over its
 * unreachable routes.
 */
export function matchForwardingRoute(table: RouteTable, address: number): RouteEntry | undefined {
  return longestMatch(table, address, hasPath);
}

function longestMatch(
  table: RouteTable,
  address: number,
  usable: (r: RouteEntry) => boolean,
): RouteEntry | undefined {
  for (let length = 32; length >= 0; length--) {
    const r = table.routes.get(routeKey(maskIPv4(address, length), length));
    if (r !== undefined && usable(r)) return r;
  }
  return undefined;
}

/**
 * Whether we are the designated forwarder for the route on `vif` (section 3.3.1): not its
 * upstream interface, and no other router there advertises better.
 */
export function isForwarder(r: RouteEntry, vif: number): boolean {
  return vif !== r.vif && !r.forwarders.has(vif);
}

/** The neighbors on `vif` that depend on us for the route (section 3.4.4). */
export function dependentsOn(r: RouteEntry, vif: number): ReadonlySet<number> {
  return r.dependents.get(vif) ?? new Set();
}

function vifUp(step: RouteStep, e: Extract<RouteEvent, { kind: "vif-up" }>): void {
  if (!Number.isInteger(e.metric) || e.metric < 1 || e.metric >= DVMRP_INFINITY) {
    throw new RangeError(`DVMRP interface metric outside 1-31: ${e.metric}`);
  }
  if (!Number.isInteger(e.prefixLength) || e.prefixLength < 0 || e.prefixLength > 32) {
    throw new RangeError(`Prefix length outside 0-32: ${e.prefixLength}`);
  }
  const { table } = step;
  if (table.vifs.has(e.vif)) vifDown(step, e.vif);
  const { vif, prefixLength, metric } = e;
  table.vifs.set(vif, {
    vif,
    address: e.address >>> 0,
    prefixLength,
    metric,
    neighbors: new Set(),
  });
  if (e.tunnel === true) return;
  addLocalRoute(step, vif, metric, { address: e.address, prefixLength });
  for (const alt of e.altnets ?? []) {
    if (alt.prefixLength === 0 || alt.prefixLength >= 8) addLocalRoute(step, vif, metric, alt);
  }
}

/** A subnet of ours on `vif`: a local route, whatever path was learned for it before. */
function addLocalRoute(
  step: RouteStep,
  vif: number,
  metric: number,
  subnet: { address: number; prefixLength: number },
): void {
  const { prefixLength } = subnet;
  const source = maskIPv4(subnet.address, prefixLength);
  const path = { upstream: undefined, vif, metric, local: true };
  const r = step.table.routes.get(routeKey(source, prefixLength));
  if (r === undefined) {
    addRoute(step, { source, prefixLength }, path);
    return;
  }
  // Our own subnet replaces any path learned for it, and ends its hold-down.
  const held = r.held !== undefined;
  setPath(step, r, path);
  if (held) endHolddown(step, r);
}

function vifDown(step: RouteStep, vif: number): void {
  const v = step.table.vifs.get(vif);
  if (v === undefined) return;
  for (const neighbor of [...v.neighbors]) neighborLost(step, vif, neighbor);
  for (const r of step.table.routes.values()) {
    if (r.local && r.vif === vif) holdDown(step, r);
    const forwarder = r.forwarders.delete(vif);
    if (r.dependents.delete(vif) || forwarder) touch(step, r);
  }
  step.table.vifs.delete(vif);
}

function neighborUp(step: RouteStep, vif: number, neighbor: number): void {
  const v = step.table.vifs.get(vif);
  if (v === undefined) return;
  v.neighbors.add(neighbor);
  sendFullReport(step, vif, neighbor);
}

/**
 * Neighbor expiry (section 3.2.4): the routes learned from it go into hold-down, where it was
 * designated forwarder we are, and its dependencies on us end.
 */
function neighborLost(step: RouteStep, vif: number, neighbor: number): void {
  const v = step.table.vifs.get(vif);
  if (v === undefined || !v.neighbors.delete(neighbor)) return;
  for (const r of step.table.routes.values()) {
    if (r.vif === vif && r.upstream === neighbor && r.metric < DVMRP_INFINITY) {
      holdDown(step, r);
    }
    if (r.forwarders.get(vif)?.neighbor === neighbor) {
      r.forwarders.delete(vif);
      touch(step, r);
    }
    const dependents = r.dependents.get(vif);
    if (dependents?.delete(neighbor)) {
      if (dependents.size === 0) r.dependents.delete(vif);
      touch(step, r);
    }
  }
}

function reportReceived(
  step: RouteStep,
  e: Extract<RouteEvent, { kind: "report-received" }>,
  trace?: (d: RouteDecision) => void,
): void {
  const v = step.table.vifs.get(e.vif);
  if (v === undefined) return;
  v.neighbors.add(e.neighbor);
  // A route listed twice counts once, as the first time (mrouted skips duplicates too): else
  // a withdrawal and a new path in one report would pass through hold-down unseen by the
  // cache, which must flush the route's entries when it goes into hold-down (section 3.4.8).
  const seen = new Set<number>();
  for (const route of e.routes) {
    const key = routeKey(route.source, route.prefixLength);
    if (seen.has(key)) continue;
    seen.add(key);
    acceptRoute(step, { vif: e.vif, neighbor: e.neighbor, route }, trace);
  }
}

/**
 * The routes whose deadline passed: a path not refreshed for the Route Expiration Time goes
 * into hold-down (section 3.4.7); at the end of hold-down the route is advertised again if it
 * learned a path meanwhile, else deleted (section 3.4.8).
 */
function expireRoutes(step: RouteStep): void {
  const { table, now } = step;
  for (const due of table.timers.popDue(now)) {
    const r = table.routes.get(due.key);
    if (r === undefined || r.queuedAt !== due.at) continue;
    r.queuedAt = Infinity;
    if (r.expiresAt <= now) holdDown(step, r);
    if (r.held !== undefined && r.holddownUntil <= now) {
      if (r.metric >= DVMRP_INFINITY) {
        deleteRoute(step, r);
        continue;
      }
      endHolddown(step, r);
    }
    schedule(table, r);
  }
}
