import { deepStrictEqual, equal } from "node:assert/strict";
import { ip } from "../proto/testing.ts";
import { cacheStats, nextCacheDeadline } from "./cache.ts";
import { CacheLab, D, G, G2, INF, N1, only, quiet, r24, S1, S2, SRC } from "./cache_testing.ts";

Deno.test("cache: an upcall installs the route's interface and the wanted downstream ones (3.3)", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.members.add(`2:${G}`);
  deepStrictEqual(quiet(lab.upcall()), [
    {
      kind: "add-mfc",
      source: S1,
      group: G,
      parent: 0,
      oifs: [{ vifi: 1, ttl: 1 }, { vifi: 2, ttl: 16 }],
    },
  ]);
  // Another group: no members, no dependents on LAN C; D still depends on us on LAN B.
  deepStrictEqual(only(lab.upcall(S1, G2), "add-mfc")[0].oifs, [{ vifi: 1, ttl: 1 }]);
  equal(cacheStats(lab.cache).entries, 2);
});

Deno.test("cache: no reachable route, no entry: the data is dropped and counted (3.3.2)", () => {
  const lab = new CacheLab();
  deepStrictEqual(quiet(lab.upcall(ip("172.16.0.1"))), []);
  // N1 withdraws the route: in hold-down, unreachable.
  lab.route({ kind: "report-received", vif: 0, neighbor: N1, routes: [r24(SRC, INF)] });
  deepStrictEqual(quiet(lab.upcall()), []);
  deepStrictEqual([cacheStats(lab.cache).noRoute, cacheStats(lab.cache).entries], [2, 0]);
  equal(nextCacheDeadline(lab.cache), Infinity);
});

Deno.test("cache: data off its RPF interface gets the route's parent all the same (3.3.2)", () => {
  const lab = new CacheLab();
  lab.members.add(`2:${G}`);
  const actions = lab.upcall(S1, G, 1);
  deepStrictEqual(quiet(actions), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [{ vifi: 2, ttl: 16 }] },
  ]);
  equal(cacheStats(lab.cache).wrongVif, 1);
  // The same upcall again reinstalls the entry (the kernel lost it), nothing more.
  deepStrictEqual(only(lab.upcall(), "add-mfc").length, 1);
  equal(cacheStats(lab.cache).entries, 1);
});

Deno.test("cache: a better path moves the parent, and the upstream side starts over (3.3.2)", () => {
  const lab = new CacheLab();
  lab.members.add(`2:${G}`);
  lab.upcall();
  lab.setMembers(2, G, false);
  equal(lab.cacheView()[0].upstreamState, "pruned");
  // D offers SRC at metric 1: the route moves to LAN B through D.
  lab.now = 1000;
  const actions = quiet(
    lab.route({ kind: "report-received", vif: 1, neighbor: D, routes: [r24(SRC, 1)] }),
  );
  deepStrictEqual(actions, [
    { kind: "add-mfc", source: S1, group: G, parent: 1, oifs: [] },
    {
      kind: "send-prune",
      vif: 1,
      to: D,
      source: SRC,
      group: G,
      prefixLength: 24,
      lifetimeSeconds: 7200,
    },
  ]);
  const [row] = lab.cacheView();
  deepStrictEqual([row.parent, row.upstream, row.prunedFor], [1, D, 7_200_000]);
});

Deno.test("cache: a route gone unreachable deletes its entries (3.3)", () => {
  const lab = new CacheLab();
  lab.upcall(S1);
  lab.upcall(S2);
  deepStrictEqual(
    quiet(lab.route({ kind: "report-received", vif: 0, neighbor: N1, routes: [r24(SRC, INF)] })),
    [{ kind: "del-mfc", source: S1, group: G }, { kind: "del-mfc", source: S2, group: G }],
  );
  deepStrictEqual([cacheStats(lab.cache).entries, lab.cacheView().length], [0, 0]);
});

Deno.test("cache: a more specific route takes the sources it covers", () => {
  const lab = new CacheLab();
  lab.members.add(`2:${G}`);
  lab.upcall(S1);
  lab.upcall(S2);
  // 192.168.1.16/28 through D on LAN B: S2 (.20) moves there, S1 (.10) stays.
  const sub = { source: ip("192.168.1.16"), prefixLength: 28, metric: 1 };
  const actions = quiet(lab.route({ kind: "report-received", vif: 1, neighbor: D, routes: [sub] }));
  deepStrictEqual(actions, [
    { kind: "add-mfc", source: S2, group: G, parent: 1, oifs: [{ vifi: 2, ttl: 16 }] },
  ]);
  deepStrictEqual(lab.cacheView().map((r) => [r.prefixLength, r.sources.map((s) => s.source)]), [
    [24, [S1]],
    [28, [S2]],
  ]);
});

Deno.test("cache: losing the upstream neighbor flushes its entries; a dependent, its prunes (3.2.4)", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.members.add(`2:${G}`);
  lab.upcall();
  lab.prune(D, 600);
  // D is lost: its prune goes with it (the route table drops it as a dependent too).
  deepStrictEqual(
    only(lab.step({ kind: "neighbor-lost", vif: 1, neighbor: D }), "add-mfc")[0].oifs,
    [
      { vifi: 1, ttl: 1 },
      { vifi: 2, ttl: 16 },
    ],
  );
  deepStrictEqual(quiet(lab.step({ kind: "neighbor-lost", vif: 0, neighbor: N1 })), [
    { kind: "del-mfc", source: S1, group: G },
  ]);
});

Deno.test("cache: an interface going down takes its entries and its oifs (3.7.1)", () => {
  const lab = new CacheLab();
  lab.members.add(`2:${G}`);
  lab.upcall(S1);
  lab.upcall(ip("10.0.1.77"), G, 1);
  (lab.ctx.vifs as Map<number, { threshold: number }>).delete(1);
  deepStrictEqual(quiet(lab.step({ kind: "vif-down", vif: 1 })), [
    { kind: "del-mfc", source: ip("10.0.1.77"), group: G },
  ]);
  (lab.ctx.vifs as Map<number, { threshold: number }>).delete(2);
  deepStrictEqual(quiet(lab.step({ kind: "vif-down", vif: 2 })), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [] },
    {
      kind: "send-prune",
      vif: 0,
      to: N1,
      source: SRC,
      group: G,
      prefixLength: 24,
      lifetimeSeconds: 7200,
    },
  ]);
});

Deno.test("cache: stop deletes every kernel entry", () => {
  const lab = new CacheLab();
  lab.upcall(S1);
  lab.upcall(S2, G2);
  deepStrictEqual(quiet(lab.step({ kind: "stop" })), [
    { kind: "del-mfc", source: S1, group: G },
    { kind: "del-mfc", source: S2, group: G2 },
  ]);
  deepStrictEqual([cacheStats(lab.cache).entries, nextCacheDeadline(lab.cache)], [0, Infinity]);
});

Deno.test("cache: entries go after the cache lifetime unless pruned upstream", () => {
  const lab = new CacheLab();
  lab.nonPruning.add(N1);
  lab.upcall();
  equal(nextCacheDeadline(lab.cache), 300_000);
  deepStrictEqual(quiet(lab.runUntil(300_000)), [{ kind: "del-mfc", source: S1, group: G }]);
  equal(nextCacheDeadline(lab.cache), Infinity);
});

Deno.test("cache: beyond its limit the cache drops upcalls, with one warning", () => {
  const lab = new CacheLab({ maxEntries: 3 });
  for (let i = 1; i <= 3; i++) lab.upcall(SRC + i);
  const first = lab.upcall(SRC + 4);
  deepStrictEqual(quiet(first), []);
  deepStrictEqual(first.filter((a) => a.kind === "log" && a.level === "warn").length, 1);
  deepStrictEqual(lab.upcall(SRC + 5).filter((a) => a.kind === "log" && a.level === "warn"), []);
  equal(cacheStats(lab.cache).overflow, 2);
  // A known entry is still served.
  equal(only(lab.upcall(SRC + 1), "add-mfc").length, 1);
});

Deno.test("cache: 65536 entries by default, then none more", () => {
  const lab = new CacheLab();
  lab.members.add(`2:${G}`);
  for (let i = 0; i < 65_536; i++) lab.upcall(SRC + (i & 0xff), G + (i >> 8));
  equal(cacheStats(lab.cache).entries, 65_536);
  deepStrictEqual(quiet(lab.upcall(S1, G + 300)), []);
});

Deno.test("cache: a boundary is neither forwarded onto nor pruned from", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.members.add(`2:${G}`);
  lab.boundaries.add(`2:${G}`);
  deepStrictEqual(only(lab.upcall(), "add-mfc")[0].oifs, [{ vifi: 1, ttl: 1 }]);
  deepStrictEqual(lab.cacheView()[0].vifs, [{ vif: 1, flag: "" }, { vif: 2, flag: "b" }]);
  // Data for the group from across a boundary goes nowhere.
  lab.boundaries.add(`0:${G2}`);
  lab.members.add(`2:${G2}`);
  deepStrictEqual(only(lab.upcall(S1, G2), "add-mfc")[0].oifs, []);
});

Deno.test("cache: the table shows mrouted's columns", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.upcall();
  lab.now = 30_000;
  lab.prune(D, 600);
  lab.now = 90_000;
  deepStrictEqual(lab.cacheView(), [{
    source: SRC,
    prefixLength: 24,
    group: G,
    expiresIn: 540_000,
    age: 90_000,
    prunedFor: 540_000,
    parent: 0,
    upstream: N1,
    upstreamState: "pruned",
    vifs: [{ vif: 1, flag: "p" }],
    sources: [{ source: S1, expiresIn: 540_000, age: 90_000, oifs: [] }],
    prunes: [{ vif: 1, neighbor: D, source: SRC, prefixLength: 24, expiresIn: 540_000 }],
  }]);
});
