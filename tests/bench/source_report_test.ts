import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import {
  buildSourceRows,
  bytesPerAddedPair,
  bytesPerPair,
  formatSourceMarkdownTable,
  formatSourceTable,
  medianOf,
  type SourceContender,
  sourceMarkdownReport,
} from "./source_report.ts";
import type { SourceRunResult } from "./source_scenario.ts";
import { loadFor } from "./source_reports.ts";

const MB = 1024 * 1024;

/** A run whose pairs grew the RSS by `growth` bytes each, the second half by `added` each. */
function run(
  k: number,
  recordsPerS: number,
  growth: number,
  sources: number,
  added = growth,
): SourceRunResult {
  const load = loadFor({ pairs: 10_000, sourcesPerRecord: k });
  return {
    load,
    pairs: 10_000,
    idleRssBytes: 40 * MB,
    halfRssBytes: 40 * MB + growth * 10_000 - added * 5_000,
    filledRssBytes: 40 * MB + growth * 10_000,
    filled: { groups: load.groups, sources },
    sent: 4000,
    sentRate: 100_000,
    dropped: 1000,
    lost: 0,
    records: 3000 * load.recordsPerReport,
    drainedMs: 500,
    recordsPerS,
    cpuS: 0.5,
    stormRssBytes: 50 * MB,
    upstream: { groups: load.groups, sources },
    caughtUp: true,
  };
}

const contenders: SourceContender[] = [
  { name: "before", role: "before", version: "a", runs: [run(50, 60_000, 100, 0)] },
  { name: "after", role: "after", version: "b", runs: [run(50, 30_000, 2048, 10_000)] },
  { name: "igmpproxy", role: "peer", version: "c", runs: [run(50, 90_000, 10, 0)] },
];

Deno.test("bytesPerPair: RSS growth from idle to every pair reported, per pair", () => {
  equal(bytesPerPair(run(10, 1, 300, 0)), 300);
});

Deno.test("bytesPerAddedPair: the RSS the second half of the pairs added, per pair", () => {
  equal(bytesPerAddedPair(run(10, 1, 300, 0, 120)), 120);
  // Results written before the half-way RSS was taken have none.
  const { halfRssBytes: _, ...older } = run(10, 1, 300, 0);
  ok(Number.isNaN(bytesPerAddedPair(older)));
});

Deno.test("buildSourceRows: one value per contender, targets judged on the after column", () => {
  const rows = buildSourceRows(contenders);
  const rate = rows.find((r) => r.measure === "records read/s")!;
  deepStrictEqual(rate.values, [60_000, 30_000, 90_000]);
  equal(rate.section, "50 sources a record: 200 groups, 5 records a report");
  equal(rate.target, "≥ 50000");
  equal(rate.met, false);
  const fromIdle = rows.find((r) => r.measure === "RSS growth per pair, from idle")!;
  deepStrictEqual(fromIdle.values, [100, 2048, 10]);
  equal(fromIdle.target, undefined);
  const perPair = rows.find((r) => r.measure === "RSS per pair, second half")!;
  deepStrictEqual(perPair.values, [100, 2048, 10]);
  equal(perPair.target, "≤ 1024");
  equal(perPair.met, false);
  const met = buildSourceRows([{ ...contenders[1], runs: [run(50, 30_000, 2048, 10_000, 900)] }]);
  equal(met.find((r) => r.measure === "RSS per pair, second half")!.met, true);
  const sources = rows.find((r) => r.measure === "sources in upstream filters")!;
  deepStrictEqual(sources.values, [0, 10_000, 0]);
  equal(sources.target, undefined);
});

Deno.test("formatSourceTable: aligned columns, the peer marked group level, after/before ratio", () => {
  const text = formatSourceTable(buildSourceRows(contenders), contenders);
  const lines = text.split("\n");
  match(
    lines[0],
    /^section +measure +before +after +igmpproxy \(group level\) +after\/before +target$/,
  );
  const rate = lines.find((l) => l.includes("records read/s"))!;
  match(rate, /60000 \/s +30000 \/s +90000 \/s +0\.5× +≥ 50000 \(missed\)$/);
  ok(lines.filter((l) => l.startsWith("50 sources a record")).length === 1, "section once");
});

Deno.test("sourceMarkdownReport: the method, the group-level note and the table", () => {
  const page = sourceMarkdownReport(contenders, {
    date: "2026-12-05T15:00:00.000Z",
    quick: true,
    machine: "a machine",
    before: { ref: "main~1", sha: "0".repeat(40), title: "0000000 Subject" },
    plan: { pairs: 10_000, sourcesPerRecord: [50], stormRecords: 100_000, rate: 0, trials: 1 },
  });
  match(page, /igmpproxy reads IGMPv3 reports at group level only/);
  match(page, /`--before main~1`/);
  ok(page.includes(formatSourceMarkdownTable(buildSourceRows(contenders), contenders)));
});

Deno.test("medianOf: the lower middle of the finite values", () => {
  equal(medianOf([3, NaN, 1, 2]), 2);
  equal(medianOf([4, 1, 3, 2]), 2);
  ok(Number.isNaN(medianOf([NaN])));
});

Deno.test("buildSourceRows: medians over each contender's runs of a load, runs caught up", () => {
  const slow = { ...run(50, NaN, 100, 0), caughtUp: false };
  const many: SourceContender[] = [
    { ...contenders[0], runs: [run(50, 10, 100, 0), run(50, 30, 300, 0), run(50, 20, 200, 0)] },
    { ...contenders[1], runs: [run(50, 5, 100, 0), slow, run(50, 7, 100, 0)] },
  ];
  const rows = buildSourceRows(many);
  equal(rows[0].section, "50 sources a record: 200 groups, 5 records a report, median of 3 runs");
  deepStrictEqual(rows[0].values, [20, 5]);
  deepStrictEqual(rows[1].values, ["3/3", "2/3"]);
  deepStrictEqual(
    rows.find((r) => r.measure === "RSS growth per pair, from idle")!.values,
    [200, 100],
  );
});
