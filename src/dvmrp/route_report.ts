/**
 * The routes a Report carries on an interface (draft-ietf-idmr-dvmrp-v3-11 sections 3.4.4,
 * 3.4.5): every route with the metric it is advertised with, poisoned on its upstream interface
 * (split horizon with poison reverse), and when the periodic, flash and first reports go.
 *
 * @module
 */

import { DVMRP_INFINITY, type DvmrpRoute } from "../proto/dvmrp.ts";
import {
  advertisedMetric,
  MIN_FLASH_UPDATE_INTERVAL,
  ROUTE_REPORT_INTERVAL,
  type RouteEntry,
  type RouteStep,
  type RouteTable,
} from "./route_table.ts";

/**
 * The metric of a route in a report on `vif`: on the route's upstream interface the metric
 * plus infinity (poison reverse: we depend on the neighbor there, section 3.4.4), elsewhere the
 * metric; infinity while in hold-down, everywhere (section 3.4.8).
 */
export function reportMetric(r: RouteEntry, vif: number): number {
  const metric = advertisedMetric(r);
  return metric < DVMRP_INFINITY && r.vif === vif ? metric + DVMRP_INFINITY : metric;
}

/**
 * The full report for an interface: every route, longest prefixes first, then by source, so
 * that `encodeReports` packs each prefix length in one run.
 *
 * @example
 * ```ts
 * import { createRouteTable, reportFor, stepRoutes } from "./routes.ts";
 *
 * const table = createRouteTable(0);
 * const lan = { prefixLength: 24, metric: 1 };
 * stepRoutes(table, { kind: "vif-up", vif: 0, address: 0x0a000001, ...lan }, 0);
 * stepRoutes(table, { kind: "vif-up", vif: 1, address: 0x0a000101, ...lan }, 0);
 * reportFor(table, 1);
 * // [{ source: 0x0a000000, prefixLength: 24, metric: 1 },
 * //  { source: 0x0a000100, prefixLength: 24, metric: 33 }] (its own subnet poisoned)
 * ```
 */
export function reportFor(table: RouteTable, vif: number): DvmrpRoute[] {
  return routesOnVif([...table.routes.values()], vif);
}

function routesOnVif(routes: readonly RouteEntry[], vif: number): DvmrpRoute[] {
  return [...routes]
    .sort((a, b) => b.prefixLength - a.prefixLength || a.source - b.source)
    .map((r) => ({ source: r.source, prefixLength: r.prefixLength, metric: reportMetric(r, vif) }));
}

/** The interfaces with neighbors, in order: reports go there only (section 3.4.5). */
function vifsWithNeighbors(table: RouteTable): number[] {
  return [...table.vifs.values()]
    .filter((v) => v.neighbors.size > 0)
    .map((v) => v.vif)
    .sort((a, b) => a - b);
}

/** The whole table unicast to a new neighbor (section 3.4.5, 3.2.2). */
export function sendFullReport(step: RouteStep, vif: number, to: number): void {
  const routes = reportFor(step.table, vif);
  if (routes.length > 0) step.out.push({ kind: "send-report", vif, to, routes });
}

/**
 * The periodic report when due (every {@link ROUTE_REPORT_INTERVAL}, section 3.4.5): every
 * route on every interface with neighbors. It carries the pending changes too.
 */
export function sendPeriodicReport(step: RouteStep): void {
  const { table, now } = step;
  if (now < table.reportAt) return;
  for (const vif of vifsWithNeighbors(table)) {
    const routes = reportFor(table, vif);
    if (routes.length > 0) step.out.push({ kind: "send-report", vif, routes });
  }
  table.reportAt = now + ROUTE_REPORT_INTERVAL;
  table.changed.clear();
  table.flashAt = Infinity;
}

/**
 * The flash update (section 3.4.5): the routes whose advertisement changed, on every interface
 * with neighbors, at most once per {@link MIN_FLASH_UPDATE_INTERVAL}; until then it waits.
 */
export function sendFlashUpdate(step: RouteStep): void {
  const { table, now } = step;
  if (table.changed.size === 0) return;
  const at = table.lastFlashAt + MIN_FLASH_UPDATE_INTERVAL;
  if (now < at) {
    table.flashAt = at;
    return;
  }
  const changed = [...table.changed].flatMap((key) => table.routes.get(key) ?? []);
  table.changed.clear();
  table.flashAt = Infinity;
  const vifs = vifsWithNeighbors(table);
  if (changed.length === 0 || vifs.length === 0) return;
  for (const vif of vifs) {
    step.out.push({ kind: "send-report", vif, routes: routesOnVif(changed, vif) });
  }
  table.lastFlashAt = now;
}
