/**
 * Accepting a route from a neighbor's report (draft-ietf-idmr-dvmrp-v3-11 section 3.4.6) as a
 * table: what is known about the received route is reduced to five facts, and the first row
 * whose columns match them gives the actions, in the draft's words.
 *
 * The facts:
 * - `metric`: the Metric received, with the Adjusted Metric (the interface's metric added, at
 *   most infinity): `illegal` (0, or 2 × infinity and above), `reachable` (both below
 *   infinity), `too-far` (received below infinity, adjusted to infinity), `infinity`, `poison`
 *   (between infinity and 2 × infinity: the neighbor depends on us, section 3.4.4).
 * - `route`: `none` (new), `local` (a directly connected subnet), `relearned` (in hold-down, and
 *   reported again by the same neighbor with the same metric, section 3.4.8), `learned`.
 * - `from`: the sender is our `upstream` neighbor, another neighbor on the `upstream-interface`,
 *   or a neighbor on a `downstream-interface`.
 * - `adjusted`: the Adjusted Metric against the route's: `better`, `same`, `worse`.
 * - `address`: the sender's address against the upstream neighbor's: `lower`, `higher`.
 *
 * @module
 */

import { DVMRP_INFINITY, type DvmrpRoute } from "../proto/dvmrp.ts";
import {
  addRoute,
  advertisedMetric,
  endHolddown,
  holdDown,
  isBetter,
  MAX_ROUTES,
  refresh,
  type RouteEntry,
  routeKey,
  type RouteStep,
  type RouteTable,
  setPath,
  touch,
} from "./route_table.ts";

/** The received metric's class. */
export type MetricClass = "illegal" | "reachable" | "too-far" | "infinity" | "poison";
/** The existing route's class. */
export type RouteClass = "none" | "local" | "relearned" | "learned";
/** Where the sender stands for the route. */
export type SenderClass = "upstream" | "upstream-interface" | "downstream-interface";
/** The Adjusted Metric against the route's metric. */
export type MetricComparison = "better" | "same" | "worse";
/** The sender's address against the upstream neighbor's. */
export type AddressComparison = "lower" | "higher";

/** The facts a row matches. */
export interface ReceivedFacts {
  metric: MetricClass;
  route: RouteClass;
  from: SenderClass;
  adjusted: MetricComparison;
  address: AddressComparison;
}

/**
 * What a row does:
 * - `ignore`: nothing.
 * - `add-route`: add the route through the sender (3.4.6 A).
 * - `add-dependent`: register the sender as a downstream dependent router (B.3.a).
 * - `cancel-dependency`: the sender is no longer a dependent neighbor (B.1, B.2.b).
 * - `forwarder-self`: if the sender was the designated forwarder on its interface, we are now
 *   (B.2, B.3).
 * - `update-forwarder`: if the sender advertises a better metric (or the same from a lower
 *   address) than the designated forwarder on its interface, it is the designated forwarder; if
 *   it was and is now worse than us, we are (B.1).
 * - `hold-down`: the route is unreachable: delete it into hold-down (B.2.a, section 3.4.8).
 * - `leave-hold-down`: take the route out of hold-down early, on the path it had (3.4.8).
 * - `update-metric`: take the sender's worse metric; flash (B.1.a).
 * - `switch-upstream`: the sender is the new upstream neighbor at its metric; flash, and flash
 *   the poison upstream (B.1.b, B.1.c).
 * - `refresh`: restart the route's expiry (B.1.c).
 */
export type AcceptanceAction =
  | "ignore"
  | "add-route"
  | "add-dependent"
  | "cancel-dependency"
  | "forwarder-self"
  | "update-forwarder"
  | "hold-down"
  | "leave-hold-down"
  | "update-metric"
  | "switch-upstream"
  | "refresh";

/** A column's value in a row: one class, several, or any. */
type Column<T> = T | readonly T[] | "any";

/** One row of {@link ROUTE_ACCEPTANCE}. */
export interface AcceptanceRow {
  /** The draft's rule. */
  rule: string;
  /** The condition, in the draft's words. */
  when: string;
  metric: Column<MetricClass>;
  route: Column<RouteClass>;
  from: Column<SenderClass>;
  adjusted: Column<MetricComparison>;
  address: Column<AddressComparison>;
  actions: readonly AcceptanceAction[];
}

const BELOW: readonly MetricClass[] = ["reachable", "too-far"];

/** The rules of section 3.4.6 for one received route; the first matching row applies. */
// deno-fmt-ignore
export const ROUTE_ACCEPTANCE: readonly AcceptanceRow[] = [
  { rule: "3.4.6 B.4", when: "2 x infinity <= Received Metric (or 0): illegal, the route is ignored",
    metric: "illegal", route: "any", from: "any", adjusted: "any", address: "any", actions: ["ignore"] },
  { rule: "3.4.6 A", when: "the route is new and the Adjusted Metric is less than infinity",
    metric: "reachable", route: "none", from: "any", adjusted: "any", address: "any", actions: ["add-route"] },
  { rule: "3.4.6 A", when: "the route is new and unreachable or poisoned: nothing to learn",
    metric: "any", route: "none", from: "any", adjusted: "any", address: "any", actions: ["ignore"] },
  { rule: "3.4.6 B.3.a", when: "infinity < Received Metric < 2 x infinity, neighbor on a downstream interface",
    metric: "poison", route: "any", from: "downstream-interface", adjusted: "any", address: "any",
    actions: ["forwarder-self", "add-dependent"] },
  { rule: "3.4.6 B.3.b, B.2.a", when: "poisoned by the upstream neighbor: as infinity from the next hop",
    metric: "poison", route: "any", from: "upstream", adjusted: "any", address: "any", actions: ["hold-down"] },
  { rule: "3.4.6 B.3.b, B.2.b", when: "poisoned by another neighbor on the upstream interface: as infinity",
    metric: "poison", route: "any", from: "upstream-interface", adjusted: "any", address: "any",
    actions: ["cancel-dependency"] },
  { rule: "3.4.6 B.2.a", when: "Received Metric = infinity, next hop = existing next hop: the route is unreachable",
    metric: "infinity", route: "any", from: "upstream", adjusted: "any", address: "any", actions: ["hold-down"] },
  { rule: "3.4.6 B.2.b", when: "Received Metric = infinity, next hop != existing next hop: ignored",
    metric: "infinity", route: "any", from: "any", adjusted: "any", address: "any",
    actions: ["forwarder-self", "cancel-dependency"] },
  { rule: "3.4.6 B.1", when: "Received Metric < infinity for a directly connected subnet: never replaced",
    metric: BELOW, route: "local", from: "any", adjusted: "any", address: "any",
    actions: ["cancel-dependency", "update-forwarder"] },
  { rule: "3.4.6 B.1.c, 3.4.8", when: "in hold-down, re-learned from the SAME router with the SAME metric",
    metric: "reachable", route: "relearned", from: "any", adjusted: "any", address: "any",
    actions: ["leave-hold-down", "update-forwarder"] },
  { rule: "3.4.6 B.1.a", when: "the same neighbor reports a metric that adjusts to infinity: unreachable",
    metric: "too-far", route: "any", from: "upstream", adjusted: "any", address: "any", actions: ["hold-down"] },
  { rule: "3.4.6 B.1.a", when: "Adjusted Metric > existing metric, the same neighbor: update the metric",
    metric: "reachable", route: "any", from: "upstream", adjusted: "worse", address: "any",
    actions: ["update-metric", "update-forwarder"] },
  { rule: "3.4.6 B.1.b", when: "Adjusted Metric < existing metric: update the metric and upstream neighbor",
    metric: "reachable", route: "any", from: "any", adjusted: "better", address: "any",
    actions: ["cancel-dependency", "switch-upstream", "update-forwarder"] },
  { rule: "3.4.6 B.1.c", when: "Adjusted metric = existing metric, the same neighbor: refresh the route",
    metric: "reachable", route: "any", from: "upstream", adjusted: "same", address: "any",
    actions: ["refresh", "update-forwarder"] },
  { rule: "3.4.6 B.1.c", when: "Adjusted metric = existing metric, a lower IP address: switch to this neighbor",
    metric: "reachable", route: "any", from: "any", adjusted: "same", address: "lower",
    actions: ["cancel-dependency", "switch-upstream", "update-forwarder"] },
  { rule: "3.4.6 B.1", when: "Received Metric < infinity, no better path: skip to the next route",
    metric: "any", route: "any", from: "any", adjusted: "any", address: "any",
    actions: ["cancel-dependency", "update-forwarder"] },
];

/** One received route and where it came from. */
export interface ReceivedRoute {
  /** The interface it arrived on. */
  vif: number;
  /** The neighbor that reported it. */
  neighbor: number;
  /** The route as reported. */
  route: DvmrpRoute;
}

/** The row a received route matched, for the caller's debug log. */
export interface RouteDecision extends ReceivedRoute {
  facts: ReceivedFacts;
  row: AcceptanceRow;
}

/** The Adjusted Metric (section 3.4.6): a metric at or above infinity is not adjusted. */
export function adjustMetric(metric: number, vifMetric: number): number {
  return metric < DVMRP_INFINITY ? Math.min(metric + vifMetric, DVMRP_INFINITY) : metric;
}

/** The facts of a received route against the table (the interface must be up). */
export function receivedFacts(table: RouteTable, rx: ReceivedRoute): ReceivedFacts {
  const m = rx.route.metric;
  const adj = adjustMetric(m, table.vifs.get(rx.vif)?.metric ?? DVMRP_INFINITY);
  const r = table.routes.get(routeKey(rx.route.source, rx.route.prefixLength));
  const metric: MetricClass = m < 1 || m >= 2 * DVMRP_INFINITY
    ? "illegal"
    : m < DVMRP_INFINITY
    ? (adj < DVMRP_INFINITY ? "reachable" : "too-far")
    : m === DVMRP_INFINITY
    ? "infinity"
    : "poison";
  if (r === undefined) {
    return {
      metric,
      route: "none",
      from: "downstream-interface",
      adjusted: "better",
      address: "higher",
    };
  }
  const h = r.held;
  const relearned = h !== undefined && h.upstream === rx.neighbor && h.vif === rx.vif &&
    h.metric === adj;
  return {
    metric,
    route: r.local ? "local" : relearned ? "relearned" : "learned",
    from: rx.vif !== r.vif
      ? "downstream-interface"
      : rx.neighbor === r.upstream
      ? "upstream"
      : "upstream-interface",
    adjusted: adj < r.metric ? "better" : adj === r.metric ? "same" : "worse",
    address: r.upstream !== undefined && rx.neighbor >>> 0 < r.upstream >>> 0 ? "lower" : "higher",
  };
}

function matches<T extends string>(column: Column<T>, value: T): boolean {
  return column === "any" || column === value ||
    (Array.isArray(column) && (column as readonly T[]).includes(value));
}

/** The first row of {@link ROUTE_ACCEPTANCE} the facts match (the last matches anything). */
export function acceptanceRow(facts: ReceivedFacts): AcceptanceRow {
  return ROUTE_ACCEPTANCE.find((row) =>
    matches(row.metric, facts.metric) && matches(row.route, facts.route) &&
    matches(row.from, facts.from) && matches(row.adjusted, facts.adjusted) &&
    matches(row.address, facts.address)
  )!;
}

/** Applies one received route to the table; `trace`, when given, hears the row taken. */
export function acceptRoute(
  step: RouteStep,
  rx: ReceivedRoute,
  trace?: (d: RouteDecision) => void,
): void {
  const facts = receivedFacts(step.table, rx);
  const row = acceptanceRow(facts);
  trace?.({ ...rx, facts, row });
  for (const action of row.actions) applyAction(step, rx, action);
}

function applyAction(step: RouteStep, rx: ReceivedRoute, action: AcceptanceAction): void {
  const { vif, neighbor } = rx;
  const adj = adjustMetric(rx.route.metric, step.table.vifs.get(vif)?.metric ?? DVMRP_INFINITY);
  const r = step.table.routes.get(routeKey(rx.route.source, rx.route.prefixLength));
  if (action === "add-route") {
    // A neighbor (any host can claim to be one) must not grow the table without bound.
    if (step.table.routes.size >= MAX_ROUTES) {
      step.table.refusedRoutes++;
      return;
    }
    addRoute(step, rx.route, { upstream: neighbor, vif, metric: adj, local: false });
    return;
  }
  if (r === undefined) return;
  switch (action) {
    case "add-dependent":
      return addDependent(step, r, rx);
    case "cancel-dependency":
      return cancelDependency(step, r, rx);
    case "forwarder-self":
      if (r.forwarders.get(vif)?.neighbor === neighbor) {
        r.forwarders.delete(vif);
        touch(step, r);
      }
      return;
    case "update-forwarder":
      return updateForwarder(step, r, rx);
    case "hold-down":
      return holdDown(step, r);
    case "leave-hold-down":
      setPath(step, r, { ...r.held!, local: false });
      return endHolddown(step, r);
    case "update-metric":
    case "switch-upstream":
      return setPath(step, r, { upstream: neighbor, vif, metric: adj, local: false });
    case "refresh":
      return refresh(step, r);
    case "ignore":
      return;
  }
}

function addDependent(step: RouteStep, r: RouteEntry, rx: ReceivedRoute): void {
  let set = r.dependents.get(rx.vif);
  if (set === undefined) r.dependents.set(rx.vif, set = new Set());
  if (set.has(rx.neighbor)) return;
  set.add(rx.neighbor);
  touch(step, r);
}

function cancelDependency(step: RouteStep, r: RouteEntry, rx: ReceivedRoute): void {
  const set = r.dependents.get(rx.vif);
  if (set === undefined || !set.delete(rx.neighbor)) return;
  if (set.size === 0) r.dependents.delete(rx.vif);
  touch(step, r);
}

/**
 * The designated forwarder on the sender's interface against the metric it reports (section
 * 3.4.6 B.1, the third case; section 3.3.1): the received metric, not the adjusted one, since
 * both routers advertise theirs onto the same network. Not kept for the upstream interface.
 */
function updateForwarder(step: RouteStep, r: RouteEntry, rx: ReceivedRoute): void {
  if (rx.vif === r.vif) return;
  const ours = {
    metric: advertisedMetric(r),
    address: step.table.vifs.get(rx.vif)?.address ?? 0,
  };
  const theirs = { metric: rx.route.metric, address: rx.neighbor };
  const current = r.forwarders.get(rx.vif);
  if (current?.neighbor === rx.neighbor) {
    current.metric = rx.route.metric;
    if (isBetter(ours, theirs)) {
      r.forwarders.delete(rx.vif);
      touch(step, r);
    }
    return;
  }
  const best = current === undefined ? ours : { metric: current.metric, address: current.neighbor };
  if (!isBetter(theirs, best)) return;
  r.forwarders.set(rx.vif, { neighbor: rx.neighbor, metric: rx.route.metric });
  if (current === undefined) touch(step, r);
}
