import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import {
  formatMarkdownTable,
  formatRatio,
  formatTable,
  formatValue,
  percentile,
  ratio,
  type Row,
  summarize,
} from "./stats.ts";

Deno.test("percentile: nearest rank over sorted samples", () => {
  const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  equal(percentile(s, 50), 5);
  equal(percentile(s, 90), 9);
  equal(percentile(s, 99), 10);
  equal(percentile(s, 100), 10);
  equal(percentile(s, 1), 1);
  equal(percentile([7], 50), 7);
  ok(Number.isNaN(percentile([], 50)));
  throws(() => percentile(s, 0), RangeError);
  throws(() => percentile(s, 101), RangeError);
});

Deno.test("summarize: sorts a copy; p99 of 20 samples is the largest", () => {
  const samples = Array.from({ length: 20 }, (_, i) => 20 - i);
  const copy = [...samples];
  deepStrictEqual(summarize(samples), { n: 20, p50: 10, p90: 18, p99: 20, max: 20 });
  deepStrictEqual(samples, copy, "the input is left alone");
  const none = summarize([]);
  equal(none.n, 0);
  ok([none.p50, none.p90, none.p99, none.max].every(Number.isNaN));
});

Deno.test("ratio: only between finite numbers, never over 0", () => {
  equal(ratio(5, 20), 0.25);
  equal(ratio(0, 20), 0);
  equal(ratio(3, 0), undefined);
  equal(ratio(NaN, 2), undefined);
  equal(ratio(2, Infinity), undefined);
  equal(ratio("yes", 2), undefined);
});

Deno.test("formatValue: three significant digits, whole numbers from 1000, - for none", () => {
  equal(formatValue(12.3456), "12.3");
  equal(formatValue(0.01234), "0.0123");
  equal(formatValue(999.94), "1000");
  equal(formatValue(123456.7), "123457");
  equal(formatValue(0), "0");
  equal(formatValue(-2.5), "-2.5");
  equal(formatValue(NaN), "-");
  equal(formatValue(undefined), "-");
  equal(formatValue(Infinity), "∞");
  equal(formatValue("yes"), "yes");
  equal(formatRatio(0.25), "0.25×");
  equal(formatRatio(undefined), "-");
});

const ROWS: Row[] = [
  { section: "join", measure: "p50", unit: "ms", ours: 1.5, peer: 3, target: "≤ peer", met: true },
  { section: "join", measure: "max", unit: "ms", ours: 4, peer: NaN },
  { section: "storm", measure: "dropped", unit: "", ours: 0, peer: 15708, target: "0", met: false },
];

Deno.test("formatTable: aligned columns, a section named once, units, ratios and targets", () => {
  const lines = formatTable(ROWS, "igmpproxy").split("\n");
  equal(lines.length, 5);
  deepStrictEqual(lines[0].split(/\s{2,}/), [
    "section",
    "measure",
    "mcast-proxy",
    "igmpproxy",
    "ratio",
    "target",
  ]);
  ok(/^-+( +-+){5}$/.test(lines[1]), lines[1]);
  deepStrictEqual(lines[2].split(/\s{2,}/), [
    "join",
    "p50",
    "1.5 ms",
    "3 ms",
    "0.5×",
    "≤ peer (met)",
  ]);
  deepStrictEqual(lines[3].trim().split(/\s{2,}/), ["max", "4 ms", "-", "-"]);
  ok(lines[3].startsWith(" ".repeat("section".length)), "the section is not repeated");
  deepStrictEqual(lines[4].split(/\s{2,}/), ["storm", "dropped", "0", "15708", "0×", "0 (missed)"]);
  // Every column starts at the same offset on every line.
  const col = lines[0].indexOf("igmpproxy");
  equal(lines[2].indexOf("3 ms"), col);
  equal(lines[4].indexOf("15708"), col);
});

Deno.test("formatMarkdownTable: a header, a rule, a line per row, | escaped", () => {
  const md = formatMarkdownTable(
    [...ROWS, { section: "a|b", measure: "m", unit: "", ours: 1, peer: 1 }],
    "igmpproxy",
  ).split("\n");
  equal(md.length, 2 + ROWS.length + 1);
  equal(md[0], "| section | measure | mcast-proxy | igmpproxy | ratio | target |");
  equal(md[1], "|---|---|---|---|---|---|");
  equal(md[2], "| join | p50 | 1.5 ms | 3 ms | 0.5× | ≤ peer (met) |");
  ok(md[5].startsWith("| a\\|b | m | 1 | 1 | 1× |"), md[5]);
});
