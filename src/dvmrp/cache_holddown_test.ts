// Route hold-down and forwarding (draft-ietf-idmr-dvmrp-v3-11 section 3.4.8), one test per
// sentence of the draft, through the route table and the cache of a CacheLab: N1 on LAN A is
// the upstream neighbor for SRC (192.168.1.0/24, metric 3), N2 another router there; D and E
// are routers on LAN B; LAN C (vif 2) is a leaf.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { ip } from "../proto/testing.ts";
import { cacheStats } from "./cache.ts";
import {
  CacheLab,
  D,
  E,
  G,
  G2,
  HEADER,
  INF,
  N1,
  N2,
  only,
  quiet,
  r24,
  S1,
  SRC,
} from "./cache_testing.ts";
import {
  advertisedMetric,
  matchRoute,
  reportFor,
  ROUTE_EXPIRATION_TIME,
  ROUTE_HOLDDOWN,
  type RouteEvent,
  stepRoutes,
} from "./routes.ts";

/** The route of SRC in the lab. */
function src(lab: CacheLab) {
  return [...lab.routes.routes.values()].find((r) => r.source === SRC && r.prefixLength === 24)!;
}

/** N1 withdraws SRC at `now`: the route goes into hold-down without a path (3.4.6 B.2.a). */
function withdraw(lab: CacheLab, now: number) {
  lab.now = now;
  return lab.route({ kind: "report-received", vif: 0, neighbor: N1, routes: [r24(SRC, INF)] });
}

/** `neighbor` on LAN A reports SRC at `metric` at `now`. */
function offer(lab: CacheLab, neighbor: number, metric: number, now: number) {
  lab.now = now;
  return lab.route({ kind: "report-received", vif: 0, neighbor, routes: [r24(SRC, metric)] });
}

Deno.test("hold-down: 'all forwarding cache entries based on the route should be flushed'", () => {
  const ways: [string, RouteEvent, number][] = [
    ["infinity from the next hop", {
      kind: "report-received",
      vif: 0,
      neighbor: N1,
      routes: [r24(SRC, INF)],
    }, 10_000],
    ["the next hop lost", { kind: "neighbor-lost", vif: 0, neighbor: N1 }, 10_000],
    ["expiry", { kind: "tick" }, ROUTE_EXPIRATION_TIME],
  ];
  for (const [why, event, at] of ways) {
    const lab = new CacheLab();
    lab.members.add(`2:${G}`);
    lab.upcall(S1, G);
    // G2 has no members: pruned upstream, its entry held for the prune's lifetime.
    equal(only(lab.upcall(S1, G2), "send-prune").length, 1, why);
    lab.now = at;
    deepStrictEqual(quiet(lab.route(event)), [
      { kind: "del-mfc", source: S1, group: G },
      { kind: "del-mfc", source: S1, group: G2 },
    ], why);
    deepStrictEqual([cacheStats(lab.cache).entries, lab.cacheView().length], [0, 0], why);
    equal(src(lab).holddownUntil, at + ROUTE_HOLDDOWN, why);
    // Without a path (and no shorter prefix), data from the source gets no entry.
    deepStrictEqual(quiet(lab.upcall(S1, G)), [], why);
    equal(cacheStats(lab.cache).noRoute, 1, why);
  }
});

Deno.test("hold-down: without a path the route is passed over for a shorter prefix (mrouted)", () => {
  const lab = new CacheLab();
  lab.members.add(`2:${G}`);
  // 192.168.0.0/16 through D on LAN B.
  lab.route({
    kind: "report-received",
    vif: 1,
    neighbor: D,
    routes: [{ source: ip("192.168.0.0"), prefixLength: 16, metric: 1 }],
  });
  withdraw(lab, 10_000);
  deepStrictEqual(quiet(lab.upcall(S1, G, 1)), [
    { kind: "add-mfc", source: S1, group: G, parent: 1, oifs: [{ vifi: 2, ttl: 16 }] },
  ]);
  equal(lab.cacheView()[0].prefixLength, 16);
  // N2 offers SRC: a path in hold-down, and the entry moves back to the /24, from LAN A.
  deepStrictEqual(quiet(offer(lab, N2, 3, 20_000)), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [{ vifi: 2, ttl: 16 }] },
  ]);
  deepStrictEqual(lab.cacheView().map((r) => [r.prefixLength, r.upstream]), [[24, N2]]);
});

Deno.test("hold-down: 'The router MAY use this new route for delivering to local group members'", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.members.add(`2:${G}`);
  withdraw(lab, 10_000);
  // N2 offers SRC at 3 (adjusted 4): a path, while the route stays in hold-down.
  offer(lab, N2, 3, 20_000);
  const r = src(lab);
  deepStrictEqual([r.metric, r.upstream, advertisedMetric(r)], [4, N2, INF]);
  // The members on LAN C get the data; D, which depends on us on LAN B, does not.
  deepStrictEqual(quiet(lab.upcall()), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [{ vifi: 2, ttl: 16 }] },
  ]);
  // No members of G2 anywhere: an entry without outgoing vifs, and no prune to N2, which does
  // not count us as dependent (we advertise infinity to it).
  deepStrictEqual(quiet(lab.upcall(S1, G2)), [
    { kind: "add-mfc", source: S1, group: G2, parent: 0, oifs: [] },
  ]);
  deepStrictEqual(lab.cacheView().map((e) => [e.group, e.upstreamState, e.vifs]), [
    [G, "forwarding", [{ vif: 2, flag: "" }]],
    [G2, "forwarding", []],
  ]);
  // Members on LAN B: delivered there too, no graft.
  deepStrictEqual(quiet(lab.setMembers(1, G2, true)), [
    { kind: "add-mfc", source: S1, group: G2, parent: 0, oifs: [{ vifi: 1, ttl: 1 }] },
  ]);
  // E on LAN B reports SRC at 5: better than the infinity we advertise there, so E is the
  // designated forwarder on LAN B (3.3.1) and delivers to its members.
  lab.now = 30_000;
  deepStrictEqual(
    quiet(lab.route({ kind: "report-received", vif: 1, neighbor: E, routes: [r24(SRC, 5)] })),
    [{ kind: "add-mfc", source: S1, group: G2, parent: 0, oifs: [] }],
  );
});

Deno.test("hold-down: the path learned in it lost, the entries are flushed again", () => {
  const lab = new CacheLab();
  lab.members.add(`2:${G}`);
  withdraw(lab, 10_000);
  offer(lab, N2, 3, 20_000);
  equal(only(lab.upcall(), "add-mfc").length, 1);
  // N2, now the next hop, withdraws it: no path; the hold-down goes on, not restarted.
  deepStrictEqual(quiet(offer(lab, N2, INF, 30_000)), [{ kind: "del-mfc", source: S1, group: G }]);
  deepStrictEqual([src(lab).metric, src(lab).holddownUntil], [INF, 10_000 + ROUTE_HOLDDOWN]);
  deepStrictEqual(quiet(lab.upcall()), []);
  // At the end of the hold-down the route goes; data from SRC still gets no entry.
  lab.now = 10_000 + ROUTE_HOLDDOWN;
  lab.route({ kind: "tick" });
  equal(matchRoute(lab.routes, S1), undefined);
  deepStrictEqual(quiet(lab.upcall()), []);
});

Deno.test("hold-down: at its end the new path serves dependent neighbors and prunes again", () => {
  const lab = new CacheLab();
  lab.depend(D);
  withdraw(lab, 10_000);
  offer(lab, N2, 3, 20_000);
  offer(lab, N2, 3, 80_000); // refreshed: no expiry before the hold-down ends
  deepStrictEqual(quiet(lab.upcall()), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [] },
  ]);
  // "installing a new route during the hold-down period allows the route to be advertised
  // with a non-infinity metric more quickly once the hold-down period is over"
  lab.now = 10_000 + ROUTE_HOLDDOWN;
  deepStrictEqual(quiet(lab.route({ kind: "tick" })), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [{ vifi: 1, ttl: 1 }] },
  ]);
  deepStrictEqual(advertisedMetric(src(lab)), 4);
  // D prunes: nothing is wanted any more, and the prune goes to N2.
  deepStrictEqual(only(lab.prune(D, 600), "send-prune").map((p) => [p.to, p.lifetimeSeconds]), [
    [N2, 600],
  ]);
});

Deno.test("hold-down: left early 'ONLY if the route is re-learned from the SAME router with the SAME metric'", () => {
  const lab = new CacheLab();
  lab.depend(D);
  withdraw(lab, 10_000);
  // N1 with another metric: a path in hold-down, local delivery only.
  offer(lab, N1, 3, 20_000);
  deepStrictEqual([src(lab).metric, advertisedMetric(src(lab))], [4, INF]);
  deepStrictEqual(quiet(lab.upcall()), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [] },
  ]);
  // N1 with the metric it had: out of hold-down at once, D served again.
  deepStrictEqual(quiet(offer(lab, N1, 2, 30_000)), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [{ vifi: 1, ttl: 1 }] },
  ]);
  deepStrictEqual([src(lab).metric, src(lab).holddownUntil, advertisedMetric(src(lab))], [
    3,
    Infinity,
    3,
  ]);
});

Deno.test("hold-down: 'A route MUST only be advertised with an infinity metric while it is in hold-down'", () => {
  const lab = new CacheLab();
  withdraw(lab, 10_000);
  offer(lab, N2, 3, 20_000);
  // Infinity everywhere, with a path too: no poison reverse towards N2 on LAN A.
  for (const vif of [0, 1, 2]) {
    deepStrictEqual(reportFor(lab.routes, vif).find((x) => x.source === SRC), r24(SRC, INF));
  }
  const end = stepRoutes(lab.routes, { kind: "tick" }, 10_000 + ROUTE_HOLDDOWN);
  ok(end.some((a) => a.kind === "route-changed" && a.source === SRC));
  deepStrictEqual(reportFor(lab.routes, 0).find((x) => x.source === SRC), r24(SRC, 4 + INF));
  deepStrictEqual(reportFor(lab.routes, 1).find((x) => x.source === SRC), r24(SRC, 4));
});

Deno.test("hold-down: a prune without a netmask for a route held without a path prunes nothing", () => {
  const lab = new CacheLab();
  const S16 = ip("192.168.0.0");
  const S3 = ip("192.168.2.7");
  // 192.168.0.0/16 through N1 too; D depends on us for both routes.
  lab.route({
    kind: "report-received",
    vif: 0,
    neighbor: N1,
    routes: [{ source: S16, prefixLength: 16, metric: 2 }],
  });
  lab.route({
    kind: "report-received",
    vif: 1,
    neighbor: D,
    routes: [r24(SRC, 3 + INF), { source: S16, prefixLength: 16, metric: 3 + INF }],
  });
  lab.upcall(S3, G);
  lab.now = 10_000;
  lab.route({ kind: "report-received", vif: 0, neighbor: N1, routes: [r24(SRC, INF)] });
  lab.upcall(S1, G); // S1 now under the /16
  // D's prune for (192.168.1.0, G), sent before it heard our infinity, without a netmask (as
  // mrouted sends them): it names the held /24, not the /16 that now carries S1.
  const acts = lab.step({
    kind: "prune-received",
    vif: 1,
    from: D,
    prune: { type: "prune", source: SRC, group: G, lifetimeSeconds: 7200, ...HEADER },
  });
  deepStrictEqual(only(acts, "send-prune"), [], "no prune upstream for the /16");
  deepStrictEqual(
    lab.cacheView().map((r) => [
      r.prefixLength,
      r.upstreamState,
      r.sources.map((s) => s.oifs.map((o) => o.vifi)),
    ]),
    [[16, "forwarding", [[1], [1]]]],
    "D still gets every source of the /16",
  );
});

Deno.test("an entry leaving a pruned group for another route lives a cache lifetime again", () => {
  const lab = new CacheLab();
  lab.draw = 0.5;
  lab.members.add(`0:${G}`); // members on LAN A, the RPF interface: not an oif there
  deepStrictEqual(only(lab.upcall(), "send-prune").length, 1);
  lab.now = 10_000;
  // D on LAN B offers a better path: the route's RPF moves to vif 1, LAN A becomes downstream.
  quiet(lab.route({ kind: "report-received", vif: 1, neighbor: D, routes: [r24(SRC, 1)] }));
  const [row] = lab.cacheView();
  equal(row.upstreamState, "forwarding");
  ok(row.sources[0].expiresIn <= 300_000, `expires in ${row.sources[0].expiresIn} ms`);
  // The data stops: the entry's counts are read at the end of its lifetime, and it goes.
  const acts = lab.runUntil(10_000 + 600_000);
  ok(lab.reads.some((r) => r.at > 10_000 && r.at <= 310_000), "counts read within a lifetime");
  equal(only(acts, "del-mfc").length, 1);
});
