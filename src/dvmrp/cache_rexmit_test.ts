import { deepStrictEqual, equal } from "node:assert/strict";
import {
  CacheLab,
  D,
  G,
  N2,
  only,
  quiet,
  S1,
  S2,
  sentPrune as prune,
  SRC,
} from "./cache_testing.ts";

/** A leaf router whose draws are the middle of their ranges: checks at 3 s, 6 s, 12 s later. */
function leaf(): CacheLab {
  const lab = new CacheLab();
  lab.draw = 0.5;
  return lab;
}

Deno.test("cache: our prune lifetime is drawn between half and all of ours (3.5.4 step 4)", () => {
  const lifetimes = [0, 0.5, 0.999_999].map((draw) => {
    const lab = new CacheLab();
    lab.draw = draw;
    return only(lab.upcall(), "send-prune")[0].lifetimeSeconds;
  });
  deepStrictEqual(lifetimes, [7200, 5400, 3600]);
  // The prunes of downstream neighbors still bound it.
  const lab = new CacheLab();
  lab.draw = 0.5;
  lab.depend(D);
  lab.upcall();
  deepStrictEqual(only(lab.prune(D, 600), "send-prune")[0].lifetimeSeconds, 600);
});

Deno.test("cache: a prune goes again while data still arrives, 3 s, 6 s, 12 s later (3.5.5)", () => {
  const lab = leaf();
  lab.setPackets(1);
  deepStrictEqual(quiet(lab.upcall()), [
    { kind: "add-mfc", source: S1, group: G, parent: 0, oifs: [] },
    prune(5400),
  ]);
  // The datagrams on their way when the prune went come in: the baseline, read a second later,
  // has them.
  lab.setPackets(40);
  deepStrictEqual(quiet(lab.runUntil(2_999)), []);
  lab.setPackets(41);
  deepStrictEqual(quiet(lab.runUntil(3_000)), [prune(5397)]);
  lab.setPackets(90);
  deepStrictEqual(quiet(lab.runUntil(8_999)), []);
  deepStrictEqual(quiet(lab.runUntil(9_000)), [prune(5391)]);
  // The data stops: the check at 21 s finds nothing new and sends nothing.
  deepStrictEqual(quiet(lab.runUntil(21_000)), []);
  // It comes again: found at the check after, 24 s later.
  lab.setPackets(95);
  deepStrictEqual(quiet(lab.runUntil(44_999)), []);
  deepStrictEqual(quiet(lab.runUntil(45_000)), [prune(5355)]);
  deepStrictEqual(lab.reads.map((r) => [r.at, r.entries]), [
    [1_000, ["192.168.1.10:239.1.1.1"]],
    [3_000, ["192.168.1.10:239.1.1.1"]],
    [9_000, ["192.168.1.10:239.1.1.1"]],
    [21_000, ["192.168.1.10:239.1.1.1"]],
    [45_000, ["192.168.1.10:239.1.1.1"]],
  ]);
  const [row] = lab.cacheView();
  deepStrictEqual([row.upstreamState, row.prunedFor], ["pruned", 5_355_000]);
});

Deno.test("cache: the checks stop once the prune would expire before the next (3.5.5)", () => {
  const lab = leaf();
  lab.ctx.pruneLifetime = 60_000;
  lab.upcall();
  // 45 s drawn. Data never stops: sent again at 3 s, 9 s and 21 s; at 21 s 24 s are left, no
  // more than the 24 s to wait, so no check after; at 45 s the prune ends, the entry goes.
  const sent: number[] = [];
  for (let t = 1_000; t <= 45_000; t += 1_000) {
    lab.setPackets(t);
    for (const p of only(lab.runUntil(t), "send-prune")) sent.push(lab.now, p.lifetimeSeconds);
  }
  deepStrictEqual(sent, [3_000, 42, 9_000, 36, 21_000, 24]);
  deepStrictEqual(lab.reads.map((r) => r.at), [1_000, 3_000, 9_000, 21_000]);
  equal(lab.cacheView().length, 0);
});

Deno.test("cache: randomized checks: between half and one and a half times the interval", () => {
  const early = new CacheLab();
  early.draw = 0;
  early.upcall();
  early.runUntil(10_000);
  const late = new CacheLab();
  late.draw = 0.999_999;
  late.upcall();
  late.runUntil(10_000);
  deepStrictEqual([early.reads.map((r) => r.at), late.reads.map((r) => Math.round(r.at))], [
    [1_000, 1_500, 4_500],
    [1_000, 4_500],
  ]);
});

Deno.test("cache: datagrams on their way when the prune went do not send it again", () => {
  const lab = leaf();
  lab.setPackets(1);
  lab.upcall();
  // The upstream neighbor took the prune; three datagrams were already on the wire.
  lab.now = 200;
  lab.setPackets(4);
  deepStrictEqual(only(lab.runUntil(60_000), "send-prune"), []);
  deepStrictEqual(lab.reads.map((r) => r.at), [1_000, 3_000, 9_000, 21_000, 45_000]);
});

Deno.test("cache: data the kernel asks for while pruned is data still arriving (3.5.5)", () => {
  const lab = leaf();
  lab.upcall();
  // A source of the pruned network comes up at 1 s: its entry, and at the check the prune.
  lab.now = 1_000;
  deepStrictEqual(quiet(lab.upcall(S2)), [
    { kind: "add-mfc", source: S2, group: G, parent: 0, oifs: [] },
  ]);
  deepStrictEqual(quiet(lab.runUntil(3_000)), [prune(5397)]);
  deepStrictEqual(lab.reads.at(-1)?.entries, ["192.168.1.10:239.1.1.1", "192.168.1.20:239.1.1.1"]);
  // Nothing more came: the next check sends nothing.
  deepStrictEqual(quiet(lab.runUntil(9_000)), []);
});

Deno.test("cache: counts that cannot be read at a check are no data", () => {
  const lab = leaf();
  lab.setPackets(1);
  lab.upcall();
  lab.setPackets(undefined);
  deepStrictEqual(quiet(lab.runUntil(9_000)), []);
  equal(lab.reads.length, 3);
  // Readable again, grown: sent again at the next check.
  lab.setPackets(7);
  deepStrictEqual(quiet(lab.runUntil(21_000)), [prune(5379)]);
});

Deno.test("cache: a graft ends the prune and its checks", () => {
  const lab = leaf();
  lab.upcall();
  lab.now = 1_000;
  lab.setMembers(2, G, true);
  lab.setPackets(500);
  const after = lab.runUntil(60_000);
  deepStrictEqual(only(after, "send-prune"), []);
  // Its baseline, due at 1 s, is never read.
  deepStrictEqual(lab.reads.map((r) => r.at), []);
  // Grafting, until acknowledged or until the prune would have expired.
  deepStrictEqual(lab.cacheView()[0].upstreamState, "grafting");
});

Deno.test("cache: a new upstream neighbor ends the prune and its checks (3.2.4)", () => {
  const lab = leaf();
  lab.upcall();
  lab.now = 1_000;
  // N2 on LAN A now offers the better route: the prune to N1 ends; one goes to N2 at once.
  const moved = lab.route({
    kind: "report-received",
    vif: 0,
    neighbor: N2,
    routes: [{ source: SRC, prefixLength: 24, metric: 1 }],
  });
  deepStrictEqual(only(moved, "send-prune"), [{ ...prune(5400), to: N2 }]);
  // Data goes on after its baseline (2 s): only the prune to N2 is sent again, at its own
  // checks (4 s, 10 s).
  lab.runUntil(2_000);
  lab.setPackets(500);
  deepStrictEqual(only(lab.runUntil(4_000), "send-prune"), [{ ...prune(5397), to: N2 }]);
  lab.setPackets(600);
  deepStrictEqual(only(lab.runUntil(30_000), "send-prune"), [{ ...prune(5391), to: N2 }]);
});

Deno.test("cache: with pruning off by a reload, a prune in force is not sent again", () => {
  const lab = leaf();
  lab.upcall();
  lab.ctx.pruning = false;
  lab.setPackets(500);
  deepStrictEqual(only(lab.runUntil(30_000), "send-prune"), []);
});
