import { equal, ok } from "node:assert/strict";
import {
  buildRows,
  bytesPerGroup,
  completeRate,
  type ContenderResults,
  losslessRate,
  markdownReport,
  type RunInfo,
} from "./report.ts";
import type { StormResult } from "./scenarios.ts";
import type { Row } from "./stats.ts";

const MB = 1048576;

function storm(rate: number, over: Partial<StormResult> = {}): StormResult {
  return {
    targetRate: rate,
    sent: rate * 10,
    sentRate: rate,
    dropped: 0,
    processedRate: rate,
    groups: 10000,
    joinedUpstream: 10000,
    drainedMs: 10_050,
    cpuS: rate / 12_500,
    rssBytes: 60 * MB,
    rssBeforeBytes: 48 * MB,
    ...over,
  };
}

function results(name: string, over: Partial<ContenderResults> = {}): ContenderResults {
  return {
    name,
    version: "1",
    startup: { firstQueryMs: 60, idleRssBytes: 48 * MB, startCpuS: 0.06, idleCpuS: 0, idleS: 3 },
    joinLeave: {
      joinMs: [9, 10, 11, 12],
      reportToDataMs: [0.5, 1, 1.5, 2],
      leaveMs: [2000, 2001, 2002, 2050],
      joinTimeouts: 0,
      cpuS: 0.01,
      rate: 1000,
    },
    burst: {
      groups: 1000,
      firstMs: Array.from({ length: 1000 }, (_, i) => 20 + i / 20),
      within1s: 1000,
      within5s: 1000,
      received: 1000,
      ratePerGroup: 20,
      joinSpreadMs: 110,
      rssBytes: 52 * MB,
      rssBeforeBytes: 49 * MB,
      cpuS: 0.05,
    },
    storms: [storm(10_000), storm(50_000), storm(100_000)],
    ...over,
  };
}

const INFO: RunInfo = {
  date: "2026-12-03T08:00:00.000Z",
  quick: false,
  machine: { cpu: "Test CPU", cpus: 2, memoryGiB: 24, kernel: "6.1.0", distro: "Debian 12" },
  deno: "2.9.6",
  defaults: { ourLastMemberQueryMs: 2000 },
  plan: {
    trials: 4,
    leaveFastTrials: 4,
    burstGroups: 1000,
    stormRates: [10_000, 50_000, 100_000],
    stormGroups: 10_000,
    stormSeconds: 10,
  },
};

function find(rows: Row[], section: RegExp, measure: string): Row {
  const row = rows.find((r) => section.test(r.section) && r.measure === measure);
  ok(row, `a row ${section} / ${measure}`);
  return row;
}

Deno.test("completeRate and losslessRate: the fastest storm with every group joined, and with nothing dropped", () => {
  const storms = [
    storm(10_000),
    storm(50_000),
    storm(100_000, { dropped: 5, processedRate: 90_000 }),
  ];
  equal(completeRate(storms), 90_000);
  equal(losslessRate(storms), 50_000);
  equal(completeRate([storm(10_000, { joinedUpstream: 9999 })]), 0);
  equal(completeRate([]), 0);
  equal(losslessRate([storm(10_000, { dropped: 1 })]), 0);
});

Deno.test("bytesPerGroup: RSS growth from idle to the slowest storm, per group joined", () => {
  equal(bytesPerGroup(results("a")), (12 * MB) / 10000);
  const partial = results("b", { storms: [storm(10_000, { joinedUpstream: 1000 })] });
  equal(bytesPerGroup(partial), (12 * MB) / 1000);
  ok(Number.isNaN(bytesPerGroup(results("c", { storms: [] }))));
  ok(Number.isNaN(bytesPerGroup(results("d", { storms: [storm(1, { joinedUpstream: 0 })] }))));
});

Deno.test("buildRows: both columns, percentiles, and the issue's targets judged", () => {
  const slowPeer = results("igmpproxy", {
    joinLeave: {
      joinMs: [8, 9, 30, 40],
      reportToDataMs: [0.4, 0.5, 0.6, 0.7],
      leaveMs: [25_000, 27_000, 28_000, 30_000],
      joinTimeouts: 1,
      cpuS: 0,
      rate: 1000,
    },
    storms: [storm(10_000, { dropped: 15_000, joinedUpstream: 9000 })],
  });
  const mine = results("mcast-proxy", {
    leaveFast: { ...results("x").joinLeave, leaveMs: [200, 201, 250, 320] },
  });
  const rows = buildRows(mine, slowPeer, INFO);
  const joinP50 = find(rows, /^join latency/, "p50");
  equal(joinP50.ours, 10);
  equal(joinP50.peer, 9);
  equal(joinP50.met, false, "10 ms is not ≤ 9 ms");
  equal(find(rows, /^join latency/, "p99").met, true, "12 ≤ 40");
  equal(find(rows, /^join latency/, "no datagram in 15 s").peer, 1);
  equal(find(rows, /^join: report/, "max").ours, 2);
  const within = find(rows, /^burst join/, "groups within 1 s");
  equal(within.target, "1000/1000");
  equal(within.met, true);
  const leave = find(rows, /^leave latency \(defaults/, "max");
  equal(leave.ours, 2050);
  equal(leave.met, true, "2050 ≤ 2000 + 100");
  equal(find(rows, /^leave latency \(ours at 0\.1/, "max").met, false, "320 > 300");
  ok(Number.isNaN(find(rows, /^leave latency \(ours at 0\.1/, "p50").peer as number));
  // The peer ran one storm: the other rates have no peer numbers.
  ok(Number.isNaN(find(rows, /^report storm 100000\/s/, "dropped").peer as number));
  equal(find(rows, /^report storm 10000\/s/, "dropped").peer, 15_000);
  const complete = find(rows, /^report storm$/, "fastest with the state complete");
  equal(complete.ours, 100_000);
  equal(complete.peer, 0, "igmpproxy's one storm left groups out");
  equal(complete.met, true);
  equal(find(rows, /^report storm$/, "fastest with no report dropped").ours, 100_000);
  const rss = find(rows, /^cost$/, "RSS, 10000 groups reported");
  equal(rss.ours, 60);
  equal(rss.met, true, "60 MB is within the target");
  equal(find(rows, /^cost$/, "RSS idle").peer, 48);
});

Deno.test("markdownReport: circumstances, method and the table", () => {
  const mine = results("mcast-proxy");
  const peer = results("igmpproxy");
  const md = markdownReport(buildRows(mine, peer, INFO), mine, peer, INFO);
  ok(md.startsWith("# Benchmarks: mcast-proxy and igmpproxy\n"));
  ok(md.includes("- Date: 2026-12-03T08:00:00.000Z\n"));
  ok(md.includes("Test CPU, 2 CPUs, 24 GiB; Debian 12, Linux 6.1.0"));
  ok(md.includes("| section | measure | mcast-proxy | igmpproxy | ratio | target |"));
  ok(md.endsWith("|\n"));
  ok(!md.includes("--quick"), "a full run says nothing of --quick");
  ok(markdownReport([], mine, peer, { ...INFO, quick: true }).includes("`--quick` run"));
});
