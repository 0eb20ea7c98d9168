import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { type CacheGroup, createCache } from "./cache.ts";
import type { CacheStep } from "./cache_table.ts";
import {
  runUpstream,
  UPSTREAM_TRANSITIONS,
  type UpstreamAction,
  type UpstreamEvent,
  upstreamRow,
} from "./cache_upstream.ts";
import { CacheLab, G, N1, S1, sentPrune, SRC } from "./cache_testing.ts";

function group(): CacheGroup {
  return {
    source: SRC,
    prefixLength: 24,
    group: G,
    createdAt: 0,
    parent: 0,
    upstream: N1,
    sources: new Map([[S1, {
      source: S1,
      createdAt: 0,
      expiresAt: 300_000,
      packets: undefined,
      checking: false,
      oifs: [],
      installed: "0:",
    }]]),
    prunes: [],
    state: "forwarding",
    prune: undefined,
    graft: undefined,
    downstream: new Map(),
    queuedAt: Infinity,
    deleted: false,
  };
}

function stepAt(now: number): CacheStep {
  return {
    cache: createCache({ random: () => 0.5 }),
    ctx: new CacheLab().ctx,
    now,
    out: [],
    readings: [],
  };
}

Deno.test("cache upstream: one row per (state, event), every action used, the draft cited", () => {
  const seen = new Set<string>();
  const actions = new Set<UpstreamAction>();
  for (const row of UPSTREAM_TRANSITIONS) {
    const key = `${row.state} ${row.event}`;
    ok(!seen.has(key), `one row for ${key}`);
    seen.add(key);
    row.actions.forEach((a) => actions.add(a));
    ok(/^\d/.test(row.rule), `${key} cites a section`);
  }
  deepStrictEqual(actions.size, 13);
  equal(upstreamRow("forwarding", "graft-ack"), undefined, "a stray ack changes nothing");
  equal(upstreamRow("pruned", "oifs-empty"), undefined, "no prune again while one holds");
});

Deno.test("cache upstream: prune, graft, back-off, ack", () => {
  const g = group();
  const run = (now: number, event: UpstreamEvent, lifetime?: number) => {
    const step = stepAt(now);
    runUpstream(step, g, event, lifetime);
    return step.out.filter((a) => a.kind !== "log");
  };
  deepStrictEqual(run(0, "oifs-empty", 100), [
    {
      kind: "send-prune",
      vif: 0,
      to: N1,
      source: SRC,
      group: G,
      prefixLength: 24,
      lifetimeSeconds: 100,
    },
  ]);
  deepStrictEqual([g.state, g.prune?.until, g.sources.get(S1)?.expiresAt], [
    "pruned",
    100_000,
    300_000,
  ]);
  deepStrictEqual(run(10_000, "oifs-nonempty"), [
    { kind: "send-graft", vif: 0, to: N1, source: SRC, group: G, prefixLength: 24 },
  ]);
  deepStrictEqual(
    [g.state, g.prune, g.graft?.nextAt, g.graft?.until, g.sources.get(S1)?.expiresAt],
    ["grafting", undefined, 15_000, 100_000, 310_000],
  );
  run(15_000, "graft-timer");
  equal(g.graft?.nextAt, 25_000);
  run(25_000, "graft-timer");
  equal(g.graft?.nextAt, 45_000);
  deepStrictEqual(run(30_000, "graft-ack"), []);
  deepStrictEqual([g.state, g.graft], ["forwarding", undefined]);
});

Deno.test("cache upstream: a long prune holds the kernel entries; its expiry flushes them", () => {
  const g = group();
  runUpstream(stepAt(0), g, "oifs-empty", 7200);
  equal(g.sources.get(S1)?.expiresAt, 7_200_000);
  const step = stepAt(7_200_000);
  runUpstream(step, g, "prune-expired");
  deepStrictEqual(step.out.filter((a) => a.kind !== "log"), [
    { kind: "del-mfc", source: S1, group: G },
  ]);
  deepStrictEqual([g.state, g.sources.size], ["forwarding", 0]);
});

Deno.test("cache upstream: a new upstream neighbor ends the prune and the graft (3.2.4)", () => {
  const g = group();
  runUpstream(stepAt(0), g, "oifs-empty", 100);
  runUpstream(stepAt(0), g, "upstream-changed");
  deepStrictEqual([g.state, g.prune], ["forwarding", undefined]);
  runUpstream(stepAt(0), g, "oifs-empty", 100);
  runUpstream(stepAt(0), g, "oifs-nonempty");
  runUpstream(stepAt(0), g, "upstream-changed");
  deepStrictEqual([g.state, g.graft], ["forwarding", undefined]);
});

Deno.test("cache upstream: the prune's checks back off; data arriving sends it again (3.5.5)", () => {
  const g = group();
  const run = (now: number, event: UpstreamEvent, lifetime?: number) => {
    const step = stepAt(now);
    runUpstream(step, g, event, lifetime);
    return { out: step.out.filter((a) => a.kind !== "log"), readings: step.readings };
  };
  // Sent with 100 s: the counts are read 1 s later (the baseline), the first check in 3 s (the
  // draw of 0.5 is the middle of 1.5 s to 4.5 s).
  deepStrictEqual(run(0, "oifs-empty", 100).readings, []);
  deepStrictEqual([g.prune?.baselineAt, g.prune?.nextCheckAt, g.prune?.interval], [
    1_000,
    3_000,
    6_000,
  ]);
  deepStrictEqual(run(1_000, "baseline-timer").readings, [{ source: S1, group: G }]);
  deepStrictEqual([g.prune?.baselineAt, g.prune?.awaitingBaseline], [Infinity, true]);
  const check = run(3_000, "prune-timer");
  deepStrictEqual([check.out, check.readings], [[], [{ source: S1, group: G }]]);
  deepStrictEqual([g.state, g.prune?.checking, g.prune?.nextCheckAt], ["pruned", true, 9_000]);
  deepStrictEqual(run(3_000, "data-arriving").out, [sentPrune(97)]);
  deepStrictEqual([g.state, g.prune?.until, g.prune?.retransmissions], ["pruned", 100_000, 1]);
  // Then 9 s, 21 s, 45 s, 93 s; at 93 s 7 s are left, less than the 96 s to wait: no more.
  run(9_000, "prune-timer");
  run(21_000, "prune-timer");
  equal(g.prune?.nextCheckAt, 45_000);
  run(45_000, "prune-timer");
  equal(g.prune?.nextCheckAt, 93_000);
  run(93_000, "prune-timer");
  equal(g.prune?.nextCheckAt, Infinity);
  // Under a second left: nothing to send.
  deepStrictEqual(run(99_500, "data-arriving").out, []);
});
