import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { DVMRP_INFINITY, type DvmrpRoute } from "../proto/dvmrp.ts";
import { ip } from "../proto/testing.ts";
import type { ReceivedFacts } from "./route_accept.ts";
import { MAX_ROUTES } from "./route_table.ts";
import {
  acceptanceRow,
  advertisedMetric,
  createRouteTable,
  dependentsOn,
  hasPath,
  isForwarder,
  isReachable,
  matchForwardingRoute,
  matchRoute,
  MIN_FLASH_UPDATE_INTERVAL,
  nextDeadline,
  reportFor,
  ROUTE_ACCEPTANCE,
  ROUTE_EXPIRATION_TIME,
  ROUTE_HOLDDOWN,
  ROUTE_REPORT_INTERVAL,
  type RouteAction,
  type RouteDecision,
  type RouteEntry,
  type RouteTable,
  stepRoutes,
} from "./routes.ts";

// Our router: vif 0 on LAN A (10.0.0.0/24, towards the sources), vif 1 on LAN B (10.0.1.0/24),
// both of metric 1. N1 and N2 are routers on A; D (lower than us) and R9 (higher) on B.
const US_A = ip("10.0.0.1");
const US_B = ip("10.0.1.5");
const N1 = ip("10.0.0.2");
const N2 = ip("10.0.0.3");
const D = ip("10.0.1.2");
const R9 = ip("10.0.1.9");
const NET_A = ip("10.0.0.0");
const NET_B = ip("10.0.1.0");
const SRC = ip("192.168.1.0");
const SRC2 = ip("192.168.2.0");
const INF = DVMRP_INFINITY;

/** A route of a report for a /24. */
function r24(source: number, metric: number): DvmrpRoute {
  return { source, prefixLength: 24, metric };
}

/** A table with LANs A and B up at time 0 (nothing sent: no neighbors yet). */
function twoLans(): RouteTable {
  const table = createRouteTable(0);
  deepStrictEqual(
    stepRoutes(table, { kind: "vif-up", vif: 0, address: US_A, prefixLength: 24, metric: 1 }, 0),
    [{ kind: "route-changed", source: NET_A, prefixLength: 24 }],
  );
  stepRoutes(table, { kind: "vif-up", vif: 1, address: US_B, prefixLength: 24, metric: 1 }, 0);
  return table;
}

function report(
  table: RouteTable,
  at: { vif: number; neighbor: number; now: number },
  routes: DvmrpRoute[],
): RouteAction[] {
  return stepRoutes(
    table,
    { kind: "report-received", vif: at.vif, neighbor: at.neighbor, routes },
    at.now,
  );
}

function routeOf(table: RouteTable, source = SRC): RouteEntry {
  const r = matchRoute(table, source + 7);
  ok(r !== undefined, "the route exists");
  return r;
}

function reports(actions: RouteAction[]): Extract<RouteAction, { kind: "send-report" }>[] {
  return actions.filter((a) => a.kind === "send-report");
}

function changed(actions: RouteAction[]): number[] {
  return actions.flatMap((a) => a.kind === "route-changed" ? [a.source] : []);
}

/** Ticks at every deadline before `until`, then at `until`; returns the last tick's actions. */
function runUntil(table: RouteTable, until: number): RouteAction[] {
  while (nextDeadline(table) < until) stepRoutes(table, { kind: "tick" }, nextDeadline(table));
  return stepRoutes(table, { kind: "tick" }, until);
}

Deno.test("routes: a new route is learned with the adjusted metric (3.4.6 A, 3.4.3)", () => {
  const table = twoLans();
  const actions = report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2)]);
  const r = routeOf(table);
  deepStrictEqual(
    { metric: r.metric, upstream: r.upstream, vif: r.vif, local: r.local, expiresAt: r.expiresAt },
    { metric: 3, upstream: N1, vif: 0, local: false, expiresAt: 1000 + ROUTE_EXPIRATION_TIME },
  );
  ok(isReachable(r));
  deepStrictEqual(changed(actions), [SRC], "the forwarding layer re-checks RPF");
  // N1 counts as a neighbor now: the triggered update goes to LAN A, poisoned.
  deepStrictEqual(reports(actions), [{ kind: "send-report", vif: 0, routes: [r24(SRC, 3 + INF)] }]);
  // A route too far away, or unreachable, is not learned.
  report(table, { vif: 0, neighbor: N1, now: 2000 }, [r24(SRC2, 31), r24(ip("192.168.3.0"), INF)]);
  equal(matchRoute(table, SRC2 + 1), undefined);
  equal(matchRoute(table, ip("192.168.3.1")), undefined);
});

Deno.test("routes: the interface's subnet is a local route at its metric (3.4.3, 2.2)", () => {
  const table = createRouteTable(0);
  stepRoutes(table, {
    kind: "vif-up",
    vif: 3,
    address: ip("172.16.5.9"),
    prefixLength: 16,
    metric: 4,
  }, 0);
  const r = matchRoute(table, ip("172.16.200.1"))!;
  deepStrictEqual(
    { source: r.source, prefixLength: r.prefixLength, metric: r.metric, upstream: r.upstream },
    { source: ip("172.16.0.0"), prefixLength: 16, metric: 4, upstream: undefined },
  );
  ok(r.local);
  equal(r.expiresAt, Infinity, "a local route never expires");
});

Deno.test("routes: a better metric from another neighbor wins (3.4.6 B.1.b)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N2, now: 1000 }, [r24(SRC, 5)]);
  const actions = report(table, { vif: 0, neighbor: N1, now: 2000 }, [r24(SRC, 2)]);
  const r = routeOf(table);
  deepStrictEqual([r.metric, r.upstream], [3, N1]);
  deepStrictEqual(changed(actions), [SRC], "a new upstream neighbor");
  // A worse metric from another neighbor is skipped.
  report(table, { vif: 0, neighbor: N2, now: 3000 }, [r24(SRC, 4)]);
  deepStrictEqual([r.metric, r.upstream], [3, N1]);
  // A better path on another interface moves the upstream interface.
  report(table, { vif: 1, neighbor: D, now: 4000 }, [r24(SRC, 1)]);
  deepStrictEqual([r.metric, r.upstream, r.vif], [2, D, 1]);
  ok(isForwarder(r, 0), "we forward onto the interface we left (3.3.1)");
  ok(!isForwarder(r, 1), "never onto the upstream interface");
});

Deno.test("routes: the same neighbor raises the metric, with a flash (3.4.6 B.1.a)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2)]);
  const actions = report(table, { vif: 0, neighbor: N1, now: 10_000 }, [r24(SRC, 6)]);
  const r = routeOf(table);
  deepStrictEqual([r.metric, r.upstream, r.expiresAt], [7, N1, 10_000 + ROUTE_EXPIRATION_TIME]);
  deepStrictEqual(reports(actions), [{ kind: "send-report", vif: 0, routes: [r24(SRC, 7 + INF)] }]);
  deepStrictEqual(changed(actions), [], "the same upstream: the forwarding does not change");
});

Deno.test("routes: an equal metric goes to the lower neighbor address (3.4.6 B.1.c)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N2, now: 1000 }, [r24(SRC, 2)]);
  const r = routeOf(table);
  equal(r.upstream, N2);
  // Equal from a lower address: switch.
  report(table, { vif: 0, neighbor: N1, now: 2000 }, [r24(SRC, 2)]);
  deepStrictEqual([r.metric, r.upstream], [3, N1]);
  // Equal from a higher address: no switch, and no refresh either.
  report(table, { vif: 0, neighbor: N2, now: 50_000 }, [r24(SRC, 2)]);
  deepStrictEqual([r.upstream, r.expiresAt], [N1, 2000 + ROUTE_EXPIRATION_TIME]);
  // Equal from the upstream neighbor: refreshed.
  report(table, { vif: 0, neighbor: N1, now: 60_000 }, [r24(SRC, 2)]);
  equal(r.expiresAt, 60_000 + ROUTE_EXPIRATION_TIME);
});

Deno.test("routes: infinity from the upstream neighbor withdraws the route (3.4.6 B.2)", () => {
  const table = twoLans();
  stepRoutes(table, { kind: "neighbor-up", vif: 1, neighbor: D }, 0);
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2)]);
  // From another neighbor: ignored (B.2.b).
  report(table, { vif: 0, neighbor: N2, now: 10_000 }, [r24(SRC, INF)]);
  ok(isReachable(routeOf(table)));
  // From the next hop: unreachable, into hold-down and flashed everywhere (B.2.a).
  const actions = report(table, { vif: 0, neighbor: N1, now: 20_000 }, [r24(SRC, INF)]);
  const r = routeOf(table);
  ok(!isReachable(r));
  deepStrictEqual([advertisedMetric(r), r.holddownUntil], [INF, 20_000 + ROUTE_HOLDDOWN]);
  deepStrictEqual(changed(actions), [SRC]);
  deepStrictEqual(reports(actions), [
    { kind: "send-report", vif: 0, routes: [r24(SRC, INF)] },
    { kind: "send-report", vif: 1, routes: [r24(SRC, INF)] },
  ]);
});

Deno.test("routes: poison or too far from the upstream neighbor is infinity (3.4.6 B.3.b, B.1.a)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2), r24(SRC2, 2)]);
  // N1 depends on us for SRC: a loop, the route is unreachable through it.
  report(table, { vif: 0, neighbor: N1, now: 2000 }, [r24(SRC, 2 + INF), r24(SRC2, 31)]);
  ok(!isReachable(routeOf(table)));
  ok(!isReachable(routeOf(table, SRC2)), "31 + 1 adjusts to infinity");
  // Illegal metrics are ignored (B.4).
  const other = ip("192.168.9.0");
  report(table, { vif: 0, neighbor: N1, now: 3000 }, [r24(other, 0), r24(other, 64)]);
  equal(matchRoute(table, other + 1), undefined);
});

Deno.test("routes: expiry at 140 s, then deleted after the hold-down (3.4.7, 3.4.8)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2)]);
  const expiry = 1000 + ROUTE_EXPIRATION_TIME; // 141 s
  runUntil(table, expiry - 1);
  ok(isReachable(routeOf(table)), "still there before 140 s");
  equal(nextDeadline(table), expiry);
  const expired = stepRoutes(table, { kind: "tick" }, expiry);
  const r = routeOf(table);
  deepStrictEqual([advertisedMetric(r), r.holddownUntil], [INF, expiry + ROUTE_HOLDDOWN]);
  deepStrictEqual(changed(expired), [SRC]);
  deepStrictEqual(reports(expired), [{ kind: "send-report", vif: 0, routes: [r24(SRC, INF)] }]);
  // Advertised with infinity through the hold-down: the periodic reports at 180 s and 240 s.
  const periodic = runUntil(table, 240_000);
  deepStrictEqual(reports(periodic), [{
    kind: "send-report",
    vif: 0,
    routes: reportFor(table, 0),
  }]);
  deepStrictEqual(reportFor(table, 0).find((x) => x.source === SRC), r24(SRC, INF));
  runUntil(table, expiry + ROUTE_HOLDDOWN - 1);
  deepStrictEqual(reportFor(table, 1).find((x) => x.source === SRC), r24(SRC, INF));
  const gone = stepRoutes(table, { kind: "tick" }, expiry + ROUTE_HOLDDOWN);
  deepStrictEqual(changed(gone), [SRC]);
  equal(matchRoute(table, SRC + 7), undefined);
  deepStrictEqual(reportFor(table, 1), [r24(NET_A, 1), r24(NET_B, 1 + INF)]);
});

Deno.test("routes: hold-down ends early only for the same router and metric (3.4.8)", () => {
  const table = twoLans();
  stepRoutes(table, { kind: "neighbor-up", vif: 1, neighbor: D }, 0);
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2), r24(SRC2, 2)]);
  report(table, { vif: 0, neighbor: N1, now: 10_000 }, [r24(SRC, INF), r24(SRC2, INF)]);
  // SRC: N1 again with the same metric, out of hold-down at once.
  const back = report(table, { vif: 0, neighbor: N1, now: 20_000 }, [r24(SRC, 2)]);
  const r = routeOf(table);
  ok(isReachable(r));
  deepStrictEqual([r.metric, r.upstream, r.holddownUntil], [3, N1, Infinity]);
  deepStrictEqual(changed(back), [SRC]);
  // SRC2: another router's path is installed but stays held until the hold-down ends.
  report(table, { vif: 0, neighbor: N2, now: 20_000 }, [r24(SRC2, 3)]);
  const r2 = routeOf(table, SRC2);
  ok(!isReachable(r2));
  deepStrictEqual([r2.metric, r2.upstream, advertisedMetric(r2)], [4, N2, INF]);
  report(table, { vif: 0, neighbor: N2, now: 100_000 }, [r24(SRC2, 3)]);
  const end = runUntil(table, 10_000 + ROUTE_HOLDDOWN);
  ok(isReachable(r2));
  deepStrictEqual(changed(end), [SRC2]);
  deepStrictEqual(reportFor(table, 1).find((x) => x.source === SRC2), r24(SRC2, 4));
});

Deno.test("routes: a path gained or lost in hold-down changes forwarding, not the advert (3.4.8)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2)]);
  const wide = { source: ip("192.168.0.0"), prefixLength: 16, metric: 5 };
  report(table, { vif: 1, neighbor: D, now: 1000 }, [wide]);
  report(table, { vif: 0, neighbor: N1, now: 10_000 }, [r24(SRC, INF)]);
  const r = routeOf(table);
  // Without a path the /24 is only advertised: data from it goes by the /16.
  deepStrictEqual([hasPath(r), matchForwardingRoute(table, SRC + 7)?.prefixLength], [false, 16]);
  // N1 again with another metric (so the hold-down goes on): a path, a route-changed, no flash.
  const gained = report(table, { vif: 0, neighbor: N1, now: 20_000 }, [r24(SRC, 4)]);
  deepStrictEqual([changed(gained), reports(gained)], [[SRC], []]);
  deepStrictEqual([hasPath(r), isReachable(r), advertisedMetric(r)], [true, false, INF]);
  equal(matchForwardingRoute(table, SRC + 7), r);
  // A report listing the route twice counts the first: a withdrawal and a path in one report
  // cannot pass through hold-down unseen.
  report(table, { vif: 0, neighbor: N1, now: 25_000 }, [r24(SRC, INF), r24(SRC, 4)]);
  equal(hasPath(r), false);
  report(table, { vif: 0, neighbor: N1, now: 26_000 }, [r24(SRC, 4)]);
  equal(hasPath(r), true);
  // N1 is lost: the path too, a route-changed, the hold-down goes on unchanged.
  const lost = stepRoutes(table, { kind: "neighbor-lost", vif: 0, neighbor: N1 }, 30_000);
  deepStrictEqual([changed(lost), hasPath(r), r.holddownUntil], [
    [SRC],
    false,
    10_000 + ROUTE_HOLDDOWN,
  ]);
});

Deno.test("routes: poison reverse to the upstream neighbor's interface (3.4.4, 2.3)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2)]);
  // On LAN A, where N1 is, every route learned there is echoed with infinity added, our own
  // subnet too; on LAN B the metrics are plain.
  deepStrictEqual(reportFor(table, 0), [r24(NET_A, 1 + INF), r24(NET_B, 1), r24(SRC, 3 + INF)]);
  deepStrictEqual(reportFor(table, 1), [r24(NET_A, 1), r24(NET_B, 1 + INF), r24(SRC, 3)]);
  // The default route and mixed lengths: longest prefixes first, for encodeReports's runs.
  report(table, { vif: 0, neighbor: N1, now: 2000 }, [{ source: 0, prefixLength: 0, metric: 5 }]);
  deepStrictEqual(reportFor(table, 1).at(-1), { source: 0, prefixLength: 0, metric: 6 });
});

Deno.test("routes: split horizon: nothing reachable goes back where it was learned (3.4.4)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2), r24(SRC2, 4)]);
  report(table, { vif: 1, neighbor: D, now: 1000 }, [r24(ip("192.168.7.0"), 1)]);
  for (const vif of [0, 1]) {
    const upstreamHere = [...table.routes.values()].filter((r) => r.vif === vif);
    for (const r of upstreamHere) {
      const sent = reportFor(table, vif).find((x) => x.source === r.source)!;
      ok(sent.metric > INF, `${r.source} is poisoned on vif ${vif}`);
    }
  }
  // A route in hold-down is advertised with infinity there, not infinity plus infinity.
  report(table, { vif: 0, neighbor: N1, now: 2000 }, [r24(SRC, INF)]);
  deepStrictEqual(reportFor(table, 0).find((x) => x.source === SRC), r24(SRC, INF));
});

Deno.test("routes: dependent downstream neighbors come and go (3.4.4, 3.4.6 B.3.a, B.1, B.2.b)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2)]);
  const r = routeOf(table);
  // D on LAN B echoes SRC with infinity added: it depends on us.
  const added = report(table, { vif: 1, neighbor: D, now: 2000 }, [r24(SRC, 4 + INF)]);
  deepStrictEqual([...dependentsOn(r, 1)], [D]);
  deepStrictEqual(changed(added), [SRC]);
  // It reports a reachable metric: the dependency is canceled.
  report(table, { vif: 1, neighbor: D, now: 3000 }, [r24(SRC, 5)]);
  deepStrictEqual([...dependentsOn(r, 1)], []);
  // Again, then infinity: canceled again.
  report(table, { vif: 1, neighbor: D, now: 4000 }, [r24(SRC, 4 + INF)]);
  report(table, { vif: 1, neighbor: D, now: 5000 }, [r24(SRC, INF)]);
  deepStrictEqual([...dependentsOn(r, 1)], []);
  // Our directly connected subnet has dependents too.
  report(table, { vif: 1, neighbor: D, now: 6000 }, [r24(NET_A, 2 + INF)]);
  deepStrictEqual([...dependentsOn(routeOf(table, NET_A), 1)], [D]);
  // A neighbor on the upstream interface that echoes the route is not a dependent (B.3.b).
  report(table, { vif: 0, neighbor: N2, now: 7000 }, [r24(SRC, 3 + INF)]);
  deepStrictEqual([...dependentsOn(r, 0)], []);
  ok(isReachable(r), "and the route through N1 stands");
});

Deno.test("routes: designated forwarder election between two routers on a LAN (2.4, 3.3.1, 3.4.6 B.1)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2)]); // our metric: 3
  const r = routeOf(table);
  ok(isForwarder(r, 1), "at first we assume we are (3.3.1)");
  // R9 on LAN B reports 2: a lower metric than our 3, it forwards there.
  const lost = report(table, { vif: 1, neighbor: R9, now: 2000 }, [r24(SRC, 2)]);
  ok(!isForwarder(r, 1));
  deepStrictEqual(r.forwarders.get(1), { neighbor: R9, metric: 2 });
  deepStrictEqual(changed(lost), [SRC]);
  // R9 now reports 4: worse than ours, we are again.
  report(table, { vif: 1, neighbor: R9, now: 3000 }, [r24(SRC, 4)]);
  ok(isForwarder(r, 1));
  // The same metric: the lower address wins. R9 (10.0.1.9) is above us (10.0.1.5) ...
  report(table, { vif: 1, neighbor: R9, now: 4000 }, [r24(SRC, 3)]);
  ok(isForwarder(r, 1));
  // ... D (10.0.1.2) is below.
  report(table, { vif: 1, neighbor: D, now: 5000 }, [r24(SRC, 3)]);
  deepStrictEqual(r.forwarders.get(1), { neighbor: D, metric: 3 });
  // R9 with 3 does not beat D with 3.
  report(table, { vif: 1, neighbor: R9, now: 6000 }, [r24(SRC, 3)]);
  equal(r.forwarders.get(1)?.neighbor, D);
  // Our metric improves to 2 (N2 reports 1): we beat D's 3 and take the LAN back (B.1).
  report(table, { vif: 0, neighbor: N2, now: 7000 }, [r24(SRC, 1)]);
  ok(isForwarder(r, 1));
  // D reports 1, then poisons the route (it depends on us now): we are the forwarder (B.3).
  report(table, { vif: 1, neighbor: D, now: 8000 }, [r24(SRC, 1)]);
  ok(!isForwarder(r, 1));
  report(table, { vif: 1, neighbor: D, now: 9000 }, [r24(SRC, 3 + INF)]);
  ok(isForwarder(r, 1));
});

Deno.test("routes: a lost neighbor's routes go into hold-down, its roles end (3.2.4)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2), r24(SRC2, 5)]);
  // D's 5 for SRC2 beats our 6 on LAN B, but 5 + 1 is no better a path than N1's 6.
  report(table, { vif: 1, neighbor: D, now: 1000 }, [r24(SRC, 3 + INF), r24(SRC2, 5)]);
  const r = routeOf(table);
  const r2 = routeOf(table, SRC2);
  deepStrictEqual([[...dependentsOn(r, 1)], r2.forwarders.get(1)?.neighbor], [[D], D]);
  // D goes: its dependency on SRC ends, and we forward SRC2 onto LAN B again.
  const d = stepRoutes(table, { kind: "neighbor-lost", vif: 1, neighbor: D }, 40_000);
  deepStrictEqual([[...dependentsOn(r, 1)], isForwarder(r2, 1)], [[], true]);
  deepStrictEqual(changed(d), [SRC, SRC2]);
  // N1 goes: the routes learned from it are held.
  const n = stepRoutes(table, { kind: "neighbor-lost", vif: 0, neighbor: N1 }, 50_000);
  deepStrictEqual([isReachable(r), isReachable(r2)], [false, false]);
  deepStrictEqual([r.holddownUntil, r2.holddownUntil], [
    50_000 + ROUTE_HOLDDOWN,
    50_000 + ROUTE_HOLDDOWN,
  ]);
  deepStrictEqual(changed(n), [SRC, SRC2]);
  deepStrictEqual(reports(n), [], "no neighbor left to tell");
  // Unknown neighbors and interfaces are nothing.
  deepStrictEqual(stepRoutes(table, { kind: "neighbor-lost", vif: 0, neighbor: N1 }, 60_000), []);
  deepStrictEqual(stepRoutes(table, { kind: "neighbor-lost", vif: 7, neighbor: N1 }, 60_000), []);
});

Deno.test("routes: an interface going down loses its neighbors and subnet (3.7.1)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2)]);
  stepRoutes(table, { kind: "neighbor-up", vif: 1, neighbor: D }, 1000);
  const actions = stepRoutes(table, { kind: "vif-down", vif: 0 }, 10_000);
  deepStrictEqual(changed(actions).sort(), [NET_A, SRC].sort());
  ok(!isReachable(routeOf(table)));
  const a = routeOf(table, NET_A);
  deepStrictEqual([a.local, advertisedMetric(a)], [false, INF]);
  deepStrictEqual(reports(actions), [{
    kind: "send-report",
    vif: 1,
    routes: [r24(NET_A, INF), r24(SRC, INF)],
  }]);
  // Up again within the hold-down: our own subnet at once.
  stepRoutes(table, { kind: "vif-up", vif: 0, address: US_A, prefixLength: 24, metric: 1 }, 20_000);
  deepStrictEqual([a.local, advertisedMetric(a), a.holddownUntil], [true, 1, Infinity]);
});

Deno.test("routes: a directly connected subnet is never replaced by a learned route (3.4.6 B.1)", () => {
  const table = twoLans();
  stepRoutes(table, {
    kind: "vif-up",
    vif: 2,
    address: ip("10.0.2.1"),
    prefixLength: 24,
    metric: 5,
  }, 0);
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(ip("10.0.2.0"), 1)]);
  const r = routeOf(table, ip("10.0.2.0"));
  deepStrictEqual([r.local, r.metric, r.upstream, r.vif], [true, 5, undefined, 2]);
  ok(!isForwarder(r, 0), "but N1 with 1 forwards it onto LAN A");
});

Deno.test("routes: a new neighbor gets the whole table, unicast (3.4.5)", () => {
  const table = twoLans();
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2)]);
  const actions = stepRoutes(table, { kind: "neighbor-up", vif: 1, neighbor: D }, 2000);
  deepStrictEqual(actions, [{
    kind: "send-report",
    vif: 1,
    to: D,
    routes: [r24(NET_A, 1), r24(NET_B, 1 + INF), r24(SRC, 3)],
  }]);
});

Deno.test("routes: triggered updates carry only the changes, 5 s apart (3.4.5)", () => {
  const table = twoLans();
  stepRoutes(table, { kind: "neighbor-up", vif: 1, neighbor: D }, 0);
  const first = report(table, { vif: 0, neighbor: N1, now: 10_000 }, [r24(SRC, 2), r24(SRC2, 2)]);
  deepStrictEqual(reports(first), [
    { kind: "send-report", vif: 0, routes: [r24(SRC, 3 + INF), r24(SRC2, 3 + INF)] },
    { kind: "send-report", vif: 1, routes: [r24(SRC, 3), r24(SRC2, 3)] },
  ]);
  // A refresh changes nothing: no report.
  deepStrictEqual(
    reports(report(table, { vif: 0, neighbor: N1, now: 20_000 }, [r24(SRC, 2), r24(SRC2, 2)])),
    [],
  );
  // One route changes: only it is sent.
  const second = report(table, { vif: 0, neighbor: N1, now: 30_000 }, [r24(SRC, 4), r24(SRC2, 2)]);
  deepStrictEqual(reports(second), [
    { kind: "send-report", vif: 0, routes: [r24(SRC, 5 + INF)] },
    { kind: "send-report", vif: 1, routes: [r24(SRC, 5)] },
  ]);
  // Another change 1 s later waits for the Minimum Flash Update Interval.
  const third = report(table, { vif: 0, neighbor: N1, now: 31_000 }, [r24(SRC2, 6)]);
  deepStrictEqual(reports(third), []);
  equal(nextDeadline(table), 30_000 + MIN_FLASH_UPDATE_INTERVAL);
  deepStrictEqual(reports(stepRoutes(table, { kind: "tick" }, 34_999)), []);
  deepStrictEqual(reports(stepRoutes(table, { kind: "tick" }, 35_000)), [
    { kind: "send-report", vif: 0, routes: [r24(SRC2, 7 + INF)] },
    { kind: "send-report", vif: 1, routes: [r24(SRC2, 7)] },
  ]);
});

Deno.test("routes: the periodic report carries every route to every LAN with neighbors (3.4.5)", () => {
  const table = twoLans();
  stepRoutes(table, {
    kind: "vif-up",
    vif: 2,
    address: ip("10.0.2.1"),
    prefixLength: 24,
    metric: 1,
  }, 0);
  report(table, { vif: 0, neighbor: N1, now: 1000 }, [r24(SRC, 2)]);
  equal(nextDeadline(table), ROUTE_REPORT_INTERVAL);
  const NET_C = ip("10.0.2.0");
  deepStrictEqual(reports(stepRoutes(table, { kind: "tick" }, ROUTE_REPORT_INTERVAL)), [
    {
      kind: "send-report",
      vif: 0,
      routes: [r24(NET_A, 1 + INF), r24(NET_B, 1), r24(NET_C, 1), r24(SRC, 3 + INF)],
    },
  ]);
  // LAN B gets a neighbor; the next one goes there as well, and nothing to LAN C.
  stepRoutes(table, { kind: "neighbor-up", vif: 1, neighbor: D }, 70_000);
  equal(nextDeadline(table), 2 * ROUTE_REPORT_INTERVAL);
  const next = reports(stepRoutes(table, { kind: "tick" }, 2 * ROUTE_REPORT_INTERVAL));
  deepStrictEqual(next.map((a) => [a.vif, a.routes.length]), [[0, 4], [1, 4]]);
});

Deno.test("routes: the acceptance table names the draft's rules and every row is reachable", () => {
  const seen = new Set<number>();
  const values = {
    metric: ["illegal", "reachable", "too-far", "infinity", "poison"],
    route: ["none", "local", "relearned", "learned"],
    from: ["upstream", "upstream-interface", "downstream-interface"],
    adjusted: ["better", "same", "worse"],
    address: ["lower", "higher"],
  } as const;
  for (const metric of values.metric) {
    for (const route of values.route) {
      for (const from of values.from) {
        for (const adjusted of values.adjusted) {
          for (const address of values.address) {
            const facts: ReceivedFacts = { metric, route, from, adjusted, address };
            seen.add(ROUTE_ACCEPTANCE.indexOf(acceptanceRow(facts)));
          }
        }
      }
    }
  }
  deepStrictEqual([...seen].sort((a, b) => a - b), ROUTE_ACCEPTANCE.map((_, i) => i));
  for (const row of ROUTE_ACCEPTANCE) ok(row.rule.startsWith("3.4.6"), row.rule);
  // The trace hears the row of each received route.
  const table = twoLans();
  const rules: string[] = [];
  const trace = (d: RouteDecision) => rules.push(d.row.rule);
  for (const routes of [[r24(SRC, 2)], [r24(SRC, 2), r24(SRC2, 64)]]) {
    stepRoutes(table, { kind: "report-received", vif: 0, neighbor: N1, routes }, 1000, trace);
  }
  deepStrictEqual(rules, ["3.4.6 A", "3.4.6 B.1.c", "3.4.6 B.4"]);
});

Deno.test("routes: a report on an interface that is down is ignored", () => {
  const table = twoLans();
  deepStrictEqual(report(table, { vif: 5, neighbor: N1, now: 1000 }, [r24(SRC, 2)]), []);
  equal(matchRoute(table, SRC + 1), undefined);
});

Deno.test("stepRoutes: past MAX_ROUTES, new source networks are counted, not learned", () => {
  const table = createRouteTable(0);
  stepRoutes(
    table,
    { kind: "vif-up", vif: 0, address: 0x0a000001, prefixLength: 24, metric: 1 },
    0,
  );
  stepRoutes(table, { kind: "neighbor-up", vif: 0, neighbor: 0x0a000002 }, 0);
  const routes = Array.from({ length: MAX_ROUTES + 10 }, (_, i) => ({
    source: (0x64000000 + i * 256) >>> 0,
    prefixLength: 24,
    metric: 1,
  }));
  stepRoutes(table, { kind: "report-received", vif: 0, neighbor: 0x0a000002, routes }, 1000);
  equal(table.routes.size, MAX_ROUTES);
  equal(table.refusedRoutes, 11, "our own subnet takes one place: 11 are left out");
});
