import { deepStrictEqual, equal } from "node:assert/strict";
import { cacheStats, nextCacheDeadline } from "./cache.ts";
import { CacheLab, G, G2, quiet, S1, S2 } from "./cache_testing.ts";

/** A lab forwarding to members on LAN C: no prune, the entries live by their counts alone. */
function forwarding(): CacheLab {
  const lab = new CacheLab();
  lab.members.add(`2:${G}`);
  lab.members.add(`2:${G2}`);
  return lab;
}

Deno.test("cache: at the end of its lifetime an entry that forwarded lives another one", () => {
  const lab = forwarding();
  lab.upcall();
  lab.setPackets(120);
  deepStrictEqual(quiet(lab.runUntil(300_000)), []);
  deepStrictEqual(lab.reads, [{ at: 300_000, entries: ["192.168.1.10:239.1.1.1"] }]);
  deepStrictEqual(lab.cacheView()[0].sources.map((s) => s.expiresIn), [300_000]);
  equal(nextCacheDeadline(lab.cache), 600_000);
  // Still flowing at 600 s: on again; then the source stops, and at 900 s the entry goes.
  lab.setPackets(400);
  deepStrictEqual(quiet(lab.runUntil(600_000)), []);
  deepStrictEqual(quiet(lab.runUntil(899_999)), []);
  deepStrictEqual(quiet(lab.runUntil(900_000)), [{ kind: "del-mfc", source: S1, group: G }]);
  deepStrictEqual(lab.reads.map((r) => r.at), [300_000, 600_000, 900_000]);
  deepStrictEqual([lab.cacheView(), nextCacheDeadline(lab.cache)], [[], Infinity]);
});

Deno.test("cache: an entry that forwarded nothing in its lifetime is deleted then", () => {
  const lab = forwarding();
  lab.upcall();
  deepStrictEqual(quiet(lab.runUntil(300_000)), [{ kind: "del-mfc", source: S1, group: G }]);
  equal(cacheStats(lab.cache).entries, 0);
  // Data again later: a new upcall, a new entry.
  lab.now = 400_000;
  equal(quiet(lab.upcall()).length, 1);
});

Deno.test("cache: an entry whose counts cannot be read is gone from the kernel: deleted", () => {
  const lab = forwarding();
  lab.upcall();
  lab.setPackets(undefined);
  deepStrictEqual(quiet(lab.runUntil(300_000)), [{ kind: "del-mfc", source: S1, group: G }]);
  equal(lab.cacheView().length, 0);
});

Deno.test("cache: only the entries past their lifetime are read, together", () => {
  const lab = forwarding();
  lab.upcall(S1, G);
  lab.upcall(S1, G2);
  lab.now = 100_000;
  lab.upcall(S2, G);
  lab.setPackets(5, S1, G);
  // (S1, G) and (S1, G2) at 300 s, in one reading: the first forwarded, the second did not.
  deepStrictEqual(quiet(lab.runUntil(300_000)), [{ kind: "del-mfc", source: S1, group: G2 }]);
  deepStrictEqual(lab.reads, [{
    at: 300_000,
    entries: ["192.168.1.10:239.1.1.1", "192.168.1.10:239.2.2.2"],
  }]);
  // (S2, G) at 400 s, alone.
  deepStrictEqual(quiet(lab.runUntil(400_000)), [{ kind: "del-mfc", source: S2, group: G }]);
  deepStrictEqual(lab.reads.at(-1), { at: 400_000, entries: ["192.168.1.20:239.1.1.1"] });
});

Deno.test("cache: counts that never come: the entry goes a second later", () => {
  const lab = forwarding();
  lab.upcall();
  lab.answerCounts = false;
  lab.setPackets(50);
  deepStrictEqual(quiet(lab.runUntil(300_000)), []);
  deepStrictEqual(quiet(lab.runUntil(300_999)), []);
  deepStrictEqual(quiet(lab.runUntil(301_000)), [{ kind: "del-mfc", source: S1, group: G }]);
  equal(lab.reads.length, 1);
});

Deno.test("cache: counts for entries the cache does not hold change nothing", () => {
  const lab = forwarding();
  lab.upcall();
  const out = lab.step({
    kind: "counts",
    counts: [{ source: S2, group: G, packets: 9 }, { source: S1, group: G2 }],
  });
  deepStrictEqual(quiet(out), []);
  equal(nextCacheDeadline(lab.cache), 300_000);
});

Deno.test("cache: entries held by our prune are not read at their lifetime's end", () => {
  const lab = new CacheLab();
  lab.ctx.pruneLifetime = 400_000;
  lab.upcall();
  lab.setPackets(0);
  // The prune holds the entry past 300 s; its checks read it, its lifetime does not.
  lab.runUntil(399_999);
  equal(lab.cacheView()[0].sources.length, 1);
  equal(lab.reads.every((r) => r.at !== 300_000), true);
  deepStrictEqual(quiet(lab.runUntil(400_000)), [{ kind: "del-mfc", source: S1, group: G }]);
  equal(lab.cacheView().length, 0);
});
