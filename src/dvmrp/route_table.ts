/**
 * The DVMRP route table (draft-ietf-idmr-dvmrp-v3-11, "the draft" below, section 3.4): its
 * state, its timer values, and the operations on one route that the acceptance rules
 * (route_accept.ts), the reports (route_report.ts) and the events (routes.ts) share.
 *
 * A route is a source network (prefix) with the metric of the best path back to it, the
 * neighbor that path goes through (none for a directly connected subnet) and the interface that
 * neighbor is on: the upstream (RPF) interface. Per downstream interface it knows who is the
 * designated forwarder (section 3.3.1) and which neighbors depend on us for the source (section
 * 3.4.4). A route deleted goes into hold-down for 2 report intervals, advertised with infinity,
 * before it is removed (section 3.4.8).
 *
 * What hold-down means for forwarding (section 3.4.8), through `route-changed` to the cache:
 * - "When a route goes into hold-down, all forwarding cache entries based on the route should
 *   be flushed": {@link holdDown} leaves the route without a path ({@link hasPath}), and the
 *   cache deletes the entries of a route without one.
 * - Without a path the route is a deleted one, kept only to be advertised: the forwarding
 *   lookup passes over it to a shorter prefix, as mrouted's `determine_route` passes over
 *   its unreachable routes (`matchForwardingRoute` in routes.ts).
 * - "During the hold-down period, the route may be learned via a different gateway or the same
 *   gateway with a different metric. The router MAY use this new route for delivering to local
 *   group members": a path learned in hold-down is the RPF interface of the route's data, which
 *   goes to members only, never to dependent neighbors, since we advertise infinity to them
 *   ({@link isReachable} is false until the hold-down ends).
 *
 * Pure: every timer is a deadline in the state, `now` is passed in, and what the runtime must do
 * is returned as {@link RouteAction}s. Times are milliseconds, as everywhere in the core.
 *
 * @module
 */

import { DVMRP_INFINITY, type DvmrpRoute } from "../proto/dvmrp.ts";
import { TimerHeap } from "../core/timer_heap.ts";

/** Route Report Interval, 60 s (section 3.4.2, Appendix A): every route to every neighbor. */
export const ROUTE_REPORT_INTERVAL = 60_000;
/** Route Expiration Time, 2 × Route Report Interval + 20 s = 140 s (section 3.4.7). */
export const ROUTE_EXPIRATION_TIME = 2 * ROUTE_REPORT_INTERVAL + 20_000;
/** Route Hold-down, 2 × Route Report Interval = 120 s (section 3.4.8, Appendix A). */
export const ROUTE_HOLDDOWN = 2 * ROUTE_REPORT_INTERVAL;
/**
 * The most routes the table holds: reports naming new source networks past it are not learned
 * (counted in {@link RouteTable.refusedRoutes}), so that a neighbor, or a host posing as one,
 * cannot exhaust memory. Ten times the routes of the whole MBone at its largest.
 */
export const MAX_ROUTES = 65_536;
/** Minimum Flash Update Interval, 5 s (section 3.4.5): triggered reports no more often. */
export const MIN_FLASH_UPDATE_INTERVAL = 5_000;

/** Another router that is the designated forwarder on a LAN, and the metric it advertises. */
export interface Forwarder {
  /** Its address. */
  neighbor: number;
  /** The metric it reports for the source (as received, not adjusted). */
  metric: number;
}

/** The path a route had when it went into hold-down, to leave it early (section 3.4.8). */
export interface HeldPath {
  /** The upstream neighbor then (undefined: the subnet was directly connected). */
  upstream: number | undefined;
  /** The upstream interface then. */
  vif: number;
  /** The metric then. */
  metric: number;
}

/** One route: a source network and the best path back to it. */
export interface RouteEntry {
  /** The source network, host bits clear. */
  readonly source: number;
  /** Its prefix length, 0 to 32. */
  readonly prefixLength: number;
  /**
   * The adjusted metric of the path (the interface metric added, section 3.4.6), 1 to 31;
   * {@link DVMRP_INFINITY} in hold-down until a new path is learned.
   */
  metric: number;
  /** The upstream neighbor; undefined for a directly connected subnet. */
  upstream: number | undefined;
  /** The upstream (RPF, incoming) interface. */
  vif: number;
  /** A directly connected subnet: its metric is the interface's, it never expires. */
  local: boolean;
  /** When the path expires unless a report refreshes it (Infinity: local, or no path). */
  expiresAt: number;
  /** Set while in hold-down (section 3.4.8): the path the route had. */
  held: HeldPath | undefined;
  /** When hold-down ends (Infinity: not in hold-down); the route is deleted then without a path. */
  holddownUntil: number;
  /**
   * Per downstream interface, the other router that is the designated forwarder (section
   * 3.3.1). An interface not listed is one where we are, as we assume at first.
   */
  readonly forwarders: Map<number, Forwarder>;
  /** Per downstream interface, the neighbors that depend on us for the source (section 3.4.4). */
  readonly dependents: Map<number, Set<number>>;
  /** The deadline of the route's live entry in the timer heap (Infinity: none). */
  queuedAt: number;
}

/** An interface (physical or tunnel) the table routes over. */
export interface RouteVif {
  /** Its number. */
  readonly vif: number;
  /** Our address on it: the designated forwarder tie-break compares it. */
  readonly address: number;
  /** The length of its subnet, a directly connected route. */
  readonly prefixLength: number;
  /** Its metric, 1 to 31: added to what is received on it, the metric of its subnet. */
  readonly metric: number;
  /** The neighbors on it: reports go where there are some (section 3.4.5). */
  readonly neighbors: Set<number>;
}

/** A route's entry in the timer heap. */
export interface RouteTimer {
  /** The deadline. */
  at: number;
  /** The route's key ({@link routeKey}). */
  key: number;
}

/** The route table and its report timers. */
export interface RouteTable {
  /** Routes by {@link routeKey}. */
  readonly routes: Map<number, RouteEntry>;
  /** The interfaces that are up, by number. */
  readonly vifs: Map<number, RouteVif>;
  /** Route deadlines (expiry, end of hold-down); stale entries are skipped when due. */
  readonly timers: TimerHeap<RouteTimer>;
  /** Keys of the routes whose advertisement changed since the last report: the flash update. */
  readonly changed: Set<number>;
  /** Routes not learned because the table held {@link MAX_ROUTES}. */
  refusedRoutes: number;
  /** When the last flash update was sent (-Infinity: never). */
  lastFlashAt: number;
  /** When the pending flash update may go (Infinity: none pending). */
  flashAt: number;
  /** When the next periodic report is due. */
  reportAt: number;
}

/** What the table asks the runtime to do. */
export type RouteAction =
  /**
   * Send these routes in Reports on an interface: to All-DVMRP-Routers (or the tunnel's far
   * end), or unicast to `to`. The runtime packs them with `encodeReports`.
   */
  | { kind: "send-report"; vif: number; to?: number; routes: DvmrpRoute[] }
  /**
   * A route's forwarding view changed (reachability, hold-down, a path gained or lost in
   * hold-down, upstream interface or neighbor, designated forwarder, dependent neighbors), or
   * the route was added or deleted: the forwarding layer re-checks the RPF and downstream
   * interfaces of the entries it covers.
   */
  | { kind: "route-changed"; source: number; prefixLength: number };

/** What one step collects while it runs. */
export interface RouteStep {
  /** The table. */
  readonly table: RouteTable;
  /** The event's time. */
  readonly now: number;
  /** Keys of the routes whose forwarding view changed, in order. */
  readonly touched: Map<number, { source: number; prefixLength: number }>;
  /** The reports to send, in order. */
  readonly out: RouteAction[];
}

/** An empty table; the first periodic report is due a Route Report Interval after `now`. */
export function createRouteTable(now: number): RouteTable {
  return {
    routes: new Map(),
    vifs: new Map(),
    timers: new TimerHeap(),
    changed: new Set(),
    refusedRoutes: 0,
    lastFlashAt: -Infinity,
    flashAt: Infinity,
    reportAt: now + ROUTE_REPORT_INTERVAL,
  };
}

/** The key of a route in {@link RouteTable.routes}: source and prefix length in one number. */
export function routeKey(source: number, prefixLength: number): number {
  return (source >>> 0) * 64 + prefixLength;
}

/** The metric the route is advertised with: infinity while in hold-down (section 3.4.8). */
export function advertisedMetric(r: RouteEntry): number {
  return r.held === undefined ? r.metric : DVMRP_INFINITY;
}

/**
 * Whether the route is reachable as we advertise it: a path, not in hold-down. Data from its
 * sources goes to members and to dependent neighbors, and prunes and grafts go upstream.
 */
export function isReachable(r: RouteEntry): boolean {
  return r.held === undefined && r.metric < DVMRP_INFINITY;
}

/**
 * Whether the route has a path back to the source, in hold-down or not: data from its sources
 * is forwarded, in hold-down to local group members only (section 3.4.8).
 */
export function hasPath(r: RouteEntry): boolean {
  return r.metric < DVMRP_INFINITY;
}

/** Whether (metric, address) `a` beats `b`: a lower metric, then a lower address (2.4). */
export function isBetter(
  a: { metric: number; address: number },
  b: { metric: number; address: number },
): boolean {
  return a.metric < b.metric || (a.metric === b.metric && a.address >>> 0 < b.address >>> 0);
}

/** Notes that a route's forwarding view changed (one `route-changed` per step). */
export function touch(step: RouteStep, r: RouteEntry): void {
  const key = routeKey(r.source, r.prefixLength);
  if (!step.touched.has(key)) {
    step.touched.set(key, { source: r.source, prefixLength: r.prefixLength });
  }
}

/** Notes that a route's advertisement changed: it goes in the next flash update. */
export function markChanged(step: RouteStep, r: RouteEntry): void {
  step.table.changed.add(routeKey(r.source, r.prefixLength));
}

/** Queues the route's earliest deadline unless an entry at or before it is queued. */
export function schedule(table: RouteTable, r: RouteEntry): void {
  const at = Math.min(r.expiresAt, r.holddownUntil);
  if (at === Infinity || at >= r.queuedAt) return;
  r.queuedAt = at;
  table.timers.push({ at, key: routeKey(r.source, r.prefixLength) });
}

/** Restarts a learned path's expiry (section 3.4.7); a local route never expires. */
export function refresh(step: RouteStep, r: RouteEntry): void {
  if (r.local || r.metric >= DVMRP_INFINITY) return;
  r.expiresAt = step.now + ROUTE_EXPIRATION_TIME;
  schedule(step.table, r);
}

/** A new route on `path`, in the table, with us designated forwarder everywhere (3.3.1). */
export function addRoute(
  step: RouteStep,
  prefix: { source: number; prefixLength: number },
  path: HeldPath & { local: boolean },
): RouteEntry {
  const r: RouteEntry = {
    source: prefix.source >>> 0,
    prefixLength: prefix.prefixLength,
    ...path,
    expiresAt: Infinity,
    held: undefined,
    holddownUntil: Infinity,
    forwarders: new Map(),
    dependents: new Map(),
    queuedAt: Infinity,
  };
  step.table.routes.set(routeKey(r.source, r.prefixLength), r);
  refresh(step, r);
  markChanged(step, r);
  touch(step, r);
  return r;
}

/**
 * Puts a route on a new path: a better metric or neighbor (section 3.4.6 B.1.b, B.1.c), a path
 * learned in hold-down, or our own subnet. On a new upstream interface nobody there is our
 * dependent or forwarder; on the one it leaves we are designated forwarder until we hear
 * better (section 3.3.1).
 */
export function setPath(
  step: RouteStep,
  r: RouteEntry,
  path: HeldPath & { local: boolean },
): void {
  const before = {
    metric: advertisedMetric(r),
    vif: r.vif,
    upstream: r.upstream,
    path: hasPath(r),
  };
  if (path.vif !== r.vif) {
    r.forwarders.delete(r.vif);
    r.forwarders.delete(path.vif);
    r.dependents.delete(path.vif);
  }
  r.metric = path.metric;
  r.upstream = path.upstream;
  r.vif = path.vif;
  r.local = path.local;
  r.expiresAt = Infinity;
  refresh(step, r);
  // A path learned in hold-down changes forwarding too: data from the source reaches members.
  if (before.vif !== r.vif || before.upstream !== r.upstream || before.path !== hasPath(r)) {
    touch(step, r);
  }
  if (before.metric !== advertisedMetric(r) || before.vif !== r.vif) markChanged(step, r);
  if (advertisedMetric(r) < before.metric) claimForwarders(step, r);
}

/**
 * Deletes a route into hold-down (sections 3.4.7, 3.4.8): advertised with infinity for
 * {@link ROUTE_HOLDDOWN}, then removed unless a path is learned meanwhile; without a path, the
 * cache flushes its entries. A route already in hold-down loses the path it learned there (its
 * entries go too), and its hold-down goes on.
 */
export function holdDown(step: RouteStep, r: RouteEntry): void {
  if (r.held !== undefined) {
    if (hasPath(r)) touch(step, r);
    r.metric = DVMRP_INFINITY;
    r.expiresAt = Infinity;
    return;
  }
  r.held = { upstream: r.upstream, vif: r.vif, metric: r.metric };
  r.metric = DVMRP_INFINITY;
  r.local = false;
  r.expiresAt = Infinity;
  r.holddownUntil = step.now + ROUTE_HOLDDOWN;
  schedule(step.table, r);
  markChanged(step, r);
  touch(step, r);
}

/** Takes a route out of hold-down, advertising the path it has (section 3.4.8). */
export function endHolddown(step: RouteStep, r: RouteEntry): void {
  r.held = undefined;
  r.holddownUntil = Infinity;
  markChanged(step, r);
  touch(step, r);
  claimForwarders(step, r);
}

/** Removes a route from the table: its hold-down ended without a new path. */
export function deleteRoute(step: RouteStep, r: RouteEntry): void {
  const key = routeKey(r.source, r.prefixLength);
  step.table.routes.delete(key);
  step.table.changed.delete(key);
  touch(step, r);
}

/**
 * Where our metric now beats the designated forwarder's, we become designated forwarder (section
 * 3.4.6 B.1, the first two cases).
 */
export function claimForwarders(step: RouteStep, r: RouteEntry): void {
  const metric = advertisedMetric(r);
  for (const [vif, f] of r.forwarders) {
    const ours = { metric, address: step.table.vifs.get(vif)?.address ?? 0 };
    if (isBetter(ours, { metric: f.metric, address: f.neighbor })) {
      r.forwarders.delete(vif);
      touch(step, r);
    }
  }
}
