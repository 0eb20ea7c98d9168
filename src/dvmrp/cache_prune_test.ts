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
  N1,
  only,
  quiet,
  r24,
  S1,
  S2,
  SRC,
} from "./cache_testing.ts";

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
  // While it holds, nothing is sent at once: not for another source (an upcall is noted for
  // the next check, cache_rexmit_test.ts), not for a change.
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

Deno.test("cache: duplicate or stray graft acks change nothing (2.7, 3.6.5)", () => {
  const lab = new CacheLab();
  lab.upcall();
  const ack = { type: "graft-ack" as const, source: SRC, group: G, ...HEADER };
  const stray = lab.step({ kind: "graft-ack-received", vif: 0, from: N1, ack });
  deepStrictEqual(quiet(stray), []);
  equal(lab.cacheView()[0].upstreamState, "pruned", "an ack is not a graft");
  lab.setMembers(2, G, true);
  lab.step({ kind: "graft-ack-received", vif: 0, from: N1, ack });
  deepStrictEqual(quiet(lab.step({ kind: "graft-ack-received", vif: 0, from: N1, ack })), []);
  equal(lab.cacheView()[0].upstreamState, "forwarding");
});

Deno.test("cache: a neighbor that stops depending on us takes its prunes along (3.4.6 B.1)", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.members.add(`2:${G}`);
  lab.upcall();
  lab.prune(D, 600);
  // D now reports SRC as reachable through itself: no longer a dependent, no more prune.
  lab.route({ kind: "report-received", vif: 1, neighbor: D, routes: [r24(SRC, 5)] });
  deepStrictEqual(lab.cacheView()[0].prunes, []);
  // It depends on us again: LAN B is forwarded onto, its old prune gone.
  deepStrictEqual(only(lab.depend(D), "add-mfc")[0].oifs, [{ vifi: 1, ttl: 1 }, {
    vifi: 2,
    ttl: 16,
  }]);
});

Deno.test("cache: received prunes outlive the kernel entries and apply to the next ones", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.members.add(`2:${G}`);
  lab.upcall();
  lab.prune(D, 600);
  // The kernel entry goes at 300 s; the row stays for D's prune.
  deepStrictEqual(quiet(lab.runUntil(300_000)), [{ kind: "del-mfc", source: S1, group: G }]);
  deepStrictEqual(lab.cacheView().map((r) => [r.sources.length, r.expiresIn]), [[0, 300_000]]);
  lab.now = 400_000;
  deepStrictEqual(only(lab.upcall(S2), "add-mfc")[0].oifs, [{ vifi: 2, ttl: 16 }]);
  // At 600 s D's prune ends and LAN B is back; at 700 s the entry goes with its row.
  deepStrictEqual(only(lab.runUntil(600_000), "add-mfc")[0].oifs, [
    { vifi: 1, ttl: 1 },
    { vifi: 2, ttl: 16 },
  ]);
  deepStrictEqual(quiet(lab.runUntil(700_000)), [{ kind: "del-mfc", source: S2, group: G }]);
  deepStrictEqual([lab.cacheView(), nextCacheDeadline(lab.cache)], [[], Infinity]);
});

Deno.test("cache: a prune lifetime under a second is not sent", () => {
  const lab = new CacheLab();
  lab.depend(D);
  lab.upcall();
  lab.now = 1000;
  lab.prune(D, 1);
  lab.ctx.pruneLifetime = 999;
  lab.setMembers(1, G, true);
  deepStrictEqual(only(lab.setMembers(1, G, false), "send-prune"), []);
});
