import { deepStrictEqual, equal } from "node:assert/strict";
import { ip } from "../proto/testing.ts";
import { cacheStats, nextCacheDeadline } from "./cache.ts";
import {
  CacheLab,
  D,
  E,
  G,
  G2,
  HEADER,
  INF,
  N1,
  only,
  quiet,
  r24,
  S1,
  S2,
  SRC,
} from "./cache_testing.ts";

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

Deno.test("cache: the last member leaving prunes upstream with the shortest lifetime (3.5.4)", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.members.add(`2:${G}`);
  lab.upcall();
  // D prunes for 600 s: LAN B leaves the entry, LAN C's members keep it.
  lab.now = 10_000;
  deepStrictEqual(quiet(lab.prune(D, 600)), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [{ vifi: 2, ttl: 16 }] },
  ]);
  // The last member leaves at 20 s: D's prune has 590 s left, less than our 7200 s.
  lab.now = 20_000;
  deepStrictEqual(quiet(lab.setMembers(2, G, false)), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [] },
    {
      kind: "send-prune",
      vif: 0,
      to: N1,
      source: SRC,
      group: G,
      prefixLength: 24,
      lifetimeSeconds: 590,
    },
  ]);
  // While it holds, nothing is sent again: not for another source, not for a change.
  lab.now = 30_000;
  deepStrictEqual(quiet(lab.upcall(S2)), [
    { kind: "add-mfc", source: S2, group: G, parent: 0, oifs: [] },
  ]);
  deepStrictEqual(quiet(lab.step({ kind: "members-changed", vif: 2, group: G })), []);
});

Deno.test("cache: a leaf router prunes with its own lifetime at once (3.5.1)", () => {
  const lab = new CacheLab();
  deepStrictEqual(quiet(lab.upcall()), [
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
  const [row] = lab.cacheView();
  deepStrictEqual([row.upstreamState, row.prunedFor], ["pruned", 7_200_000]);
});

Deno.test("cache: no prune with pruning off, to a non-pruning neighbor, or for a local source (3.5.4)", () => {
  const off = new CacheLab({ pruning: false });
  deepStrictEqual(only(off.upcall(), "send-prune"), []);
  const old = new CacheLab();
  old.nonPruning.add(N1);
  deepStrictEqual(only(old.upcall(), "send-prune"), []);
  // A source on LAN C, directly connected: no upstream neighbor.
  const lab = new CacheLab();
  deepStrictEqual(quiet(lab.upcall(ip("10.0.2.9"), G, 2)), [
    { kind: "add-mfc", source: ip("10.0.2.9"), group: G, parent: 2, oifs: [] },
  ]);
  // With pruning off, prunes received are not honored either.
  off.depend(D);
  off.upcall(S1, G2);
  deepStrictEqual(quiet(off.prune(D, 600)), []);
  equal(cacheStats(off.cache).prunesIgnored, 1);
});

Deno.test("cache: an interface leaves only when every dependent there pruned (3.5.3, 3.4.4)", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.depend(E);
  lab.upcall();
  deepStrictEqual(quiet(lab.prune(D, 600)), [], "E still depends on us");
  deepStrictEqual(quiet(lab.prune(E, 900)), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [] },
    {
      kind: "send-prune",
      vif: 0,
      to: N1,
      source: SRC,
      group: G,
      prefixLength: 24,
      lifetimeSeconds: 600,
    },
  ]);
});

Deno.test("cache: members on a LAN keep it despite its dependents' prunes (3.5.3 step 9)", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.members.add(`1:${G}`);
  lab.upcall();
  deepStrictEqual(quiet(lab.prune(D, 600)), []);
  // They leave: now the prune takes LAN B off.
  deepStrictEqual(only(lab.setMembers(1, G, false), "add-mfc")[0].oifs, []);
});

Deno.test("cache: prunes from strangers, for unknown entries or wrong netmasks are ignored (3.5.2, 3.5.3)", () => {
  const lab = new CacheLab();
  lab.depend(D);
  deepStrictEqual(quiet(lab.prune(D, 600)), [], "no entry yet");
  lab.upcall();
  deepStrictEqual(quiet(lab.prune(E, 600)), [], "E does not depend on us");
  deepStrictEqual(quiet(lab.prune(D, 600, { prefixLength: 16 })), [], "not the route's mask");
  equal(cacheStats(lab.cache).prunesIgnored, 3);
  // The route's own mask is accepted.
  equal(only(lab.prune(D, 600, { prefixLength: 24 }), "send-prune").length, 1);
});

Deno.test("cache: a prune with a host mask prunes that source only (3.5.2)", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.upcall(S1);
  lab.upcall(S2);
  deepStrictEqual(quiet(lab.prune(D, 600, { source: S2, prefixLength: 32 })), [
    { kind: "add-mfc", source: S2, group: G, parent: 0, oifs: [] },
  ], "S1 still flows: no prune upstream");
});

Deno.test("cache: a received prune's expiry puts the interface back (3.5.3)", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.members.add(`2:${G}`);
  lab.upcall();
  lab.now = 10_000;
  deepStrictEqual(only(lab.prune(D, 200), "add-mfc")[0].oifs, [{ vifi: 2, ttl: 16 }]);
  equal(nextCacheDeadline(lab.cache), 210_000);
  deepStrictEqual(quiet(lab.runUntil(209_999)), []);
  deepStrictEqual(quiet(lab.runUntil(210_000)), [
    {
      kind: "add-mfc",
      source: S1,
      group: G,
      parent: 0,
      oifs: [{ vifi: 1, ttl: 1 }, { vifi: 2, ttl: 16 }],
    },
  ]);
  deepStrictEqual(lab.cacheView()[0].prunes, []);
});

Deno.test("cache: when our prune expires, entries without interfaces go; data prunes again (3.5.5)", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.upcall();
  lab.prune(D, 600);
  // The entry outlives its 300 s: our prune holds it (and D's prune would too).
  deepStrictEqual(quiet(lab.runUntil(599_999)), []);
  deepStrictEqual(quiet(lab.runUntil(600_000)), [{ kind: "del-mfc", source: S1, group: G }]);
  equal(lab.cacheView().length, 0);
  // N1 floods again; the data comes up and goes to D, which prunes again.
  deepStrictEqual(only(lab.upcall(), "add-mfc")[0].oifs, [{ vifi: 1, ttl: 1 }]);
  equal(only(lab.prune(D, 600), "send-prune")[0].lifetimeSeconds, 600);
});

Deno.test("cache: a member joining grafts; retransmitted at 5 s then 10 s; the ack stops it (3.6)", () => {
  const lab = new CacheLab();
  lab.upcall();
  lab.now = 60_000;
  deepStrictEqual(quiet(lab.setMembers(2, G, true)), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [{ vifi: 2, ttl: 16 }] },
    { kind: "send-graft", vif: 0, to: N1, source: SRC, group: G, prefixLength: 24 },
  ]);
  const graft = { kind: "send-graft", vif: 0, to: N1, source: SRC, group: G, prefixLength: 24 };
  deepStrictEqual(quiet(lab.runUntil(64_999)), []);
  deepStrictEqual(quiet(lab.runUntil(65_000)), [graft]);
  deepStrictEqual(quiet(lab.runUntil(74_999)), []);
  deepStrictEqual(quiet(lab.runUntil(75_000)), [graft]);
  // An ack from someone else, or for another group, is not the one.
  const ack = { type: "graft-ack" as const, source: SRC, group: G, ...HEADER };
  lab.step({ kind: "graft-ack-received", vif: 0, from: ip("10.0.0.3"), ack });
  lab.step({ kind: "graft-ack-received", vif: 0, from: N1, ack: { ...ack, group: G2 } });
  equal(lab.cacheView()[0].upstreamState, "grafting");
  lab.step({ kind: "graft-ack-received", vif: 0, from: N1, ack: { ...ack, source: S1 } });
  equal(lab.cacheView()[0].upstreamState, "forwarding");
  deepStrictEqual(quiet(lab.runUntil(200_000)), []);
  // The entry lives a cache lifetime from the graft: data flows again.
  deepStrictEqual(quiet(lab.runUntil(360_000)), [{ kind: "del-mfc", source: S1, group: G }]);
});

Deno.test("cache: an unacknowledged graft stops when the prune it cancels has expired", () => {
  const lab = new CacheLab();
  lab.ctx.pruneLifetime = 30_000;
  lab.upcall();
  lab.now = 10_000;
  lab.setMembers(2, G, true);
  const grafts = only(lab.runUntil(100_000), "send-graft");
  // Sent at 10 s; again at 15 s and 25 s; at 45 s the prune (until 30 s) is long gone.
  equal(grafts.length, 2);
  equal(lab.cacheView()[0].upstreamState, "forwarding");
});

Deno.test("cache: pruning again while grafting stops the graft (3.5.4 step 3)", () => {
  const lab = new CacheLab();
  lab.upcall();
  lab.setMembers(2, G, true);
  lab.now = 1000;
  deepStrictEqual(only(lab.setMembers(2, G, false), "send-prune").length, 1);
  deepStrictEqual(only(lab.runUntil(100_000), "send-graft"), []);
});

Deno.test("cache: a graft is always acknowledged, with its netmask (3.6.2, 3.6.4)", () => {
  const lab = new CacheLab();
  const graft = { type: "graft" as const, source: ip("172.16.1.0"), group: G, ...HEADER };
  deepStrictEqual(quiet(lab.step({ kind: "graft-received", vif: 1, from: D, graft })), [
    { kind: "send-graft-ack", vif: 1, to: D, source: ip("172.16.1.0"), group: G },
  ]);
  const masked = { ...graft, source: S1, prefixLength: 24 };
  deepStrictEqual(quiet(lab.step({ kind: "graft-received", vif: 1, from: D, graft: masked })), [
    { kind: "send-graft-ack", vif: 1, to: D, source: S1, group: G, prefixLength: 24 },
  ]);
});

Deno.test("cache: a graft from a dependent that pruned ends its prune and grafts upstream (3.6.2)", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.upcall();
  lab.now = 5000;
  lab.prune(D, 600);
  lab.now = 9000;
  const graft = { type: "graft" as const, source: S1, group: G, ...HEADER };
  deepStrictEqual(quiet(lab.step({ kind: "graft-received", vif: 1, from: D, graft })), [
    { kind: "send-graft-ack", vif: 1, to: D, source: S1, group: G },
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [{ vifi: 1, ttl: 1 }] },
    { kind: "send-graft", vif: 0, to: N1, source: SRC, group: G, prefixLength: 24 },
  ]);
});

Deno.test("cache: a new dependent on a pruned branch grafts (3.6 (2))", () => {
  const lab = new CacheLab();
  lab.upcall();
  deepStrictEqual(quiet(lab.depend(D)), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [{ vifi: 1, ttl: 1 }] },
    { kind: "send-graft", vif: 0, to: N1, source: SRC, group: G, prefixLength: 24 },
  ]);
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

Deno.test("cache: hostile prune lifetimes: 0 ends a prune, 0xffffffff lasts 2 hours", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.members.add(`2:${G}`);
  lab.upcall();
  lab.prune(D, 0xffffffff);
  const [row] = lab.cacheView();
  deepStrictEqual(row.prunes.map((p) => p.expiresIn), [7_200_000]);
  deepStrictEqual(only(lab.prune(D, 0), "add-mfc")[0].oifs, [{ vifi: 1, ttl: 1 }, {
    vifi: 2,
    ttl: 16,
  }]);
  deepStrictEqual(lab.cacheView()[0].prunes, []);
  // A zero lifetime with no prune in force records nothing.
  deepStrictEqual(quiet(lab.prune(D, 0)), []);
  // Our own lifetime, configured longer, is the cap then.
  lab.ctx.pruneLifetime = 10_000_000;
  lab.prune(D, 0xffffffff);
  deepStrictEqual(lab.cacheView()[0].prunes.map((p) => p.expiresIn), [10_000_000]);
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
