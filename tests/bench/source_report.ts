/**
 * The source-filter benchmark's report: rows of one table with a column per contender (the
 * daemon before, the daemon after, igmpproxy), the targets of issue 17 checked on the "after"
 * column, and the Markdown page. Pure: everything comes in as data.
 *
 * @module
 */

import { formatRatio, formatValue, ratio, renderSectionTable } from "./stats.ts";
import type { SourceRunResult } from "./source_scenario.ts";
import type { SourceLoad } from "./source_reports.ts";

/** What a contender is in the comparison. */
export type Role = "before" | "after" | "peer";

/** Everything measured of one contender: one run per load. */
export interface SourceContender {
  /** Column title. */
  name: string;
  /** Its role. */
  role: Role;
  /** Its version, for the report. */
  version: string;
  /** Its runs: per sources-per-record value in the plan's order, one per trial. */
  runs: SourceRunResult[];
}

/** The run's circumstances. */
export interface SourceRunInfo {
  /** ISO date of the start. */
  date: string;
  /** Whether it was a `--quick` run. */
  quick: boolean;
  /** The machine, in words. */
  machine: string;
  /** The "before" commit: as given, resolved, and its subject. */
  before: { ref: string; sha: string; title: string };
  /** What was run. */
  plan: SourcePlan;
}

/** What a run measures, and how much of it. */
export interface SourcePlan {
  /** (group, source) pairs of each load. */
  pairs: number;
  /** Sources per record, one load each. */
  sourcesPerRecord: number[];
  /** Records of each storm (about). */
  stormRecords: number;
  /** The storm's reports/s; 0 as fast as the generator goes. */
  rate: number;
  /** Runs of each contender on each load (the table shows medians). */
  trials: number;
}

/** One row: a measure and its value per contender. */
export interface ColumnRow {
  /** Section, e.g. `50 sources a record`. */
  section: string;
  /** Measure. */
  measure: string;
  /** Unit printed after the numbers. */
  unit: string;
  /** One value per contender (NaN: not measured). */
  values: (number | string)[];
  /** The target, for the "after" column. */
  target?: string;
  /** Whether the "after" column meets it. */
  met?: boolean;
}

/** Issue 17's targets. */
export const TARGET_RECORDS_PER_S = 50_000;
/** Issue 17's targets: RSS per (group, source) pair. */
export const TARGET_BYTES_PER_PAIR = 1024;

/** What the report says of igmpproxy, in the table's title and the page. */
export const GROUP_LEVEL_NOTE =
  "igmpproxy reads IGMPv3 reports at group level only: it ignores the sources and joins each " +
  "group upstream from any source";

/** RSS growth from idle to every pair reported once, per pair (bytes). */
export function bytesPerPair(r: SourceRunResult): number {
  return r.pairs > 0 ? (r.filledRssBytes - r.idleRssBytes) / r.pairs : NaN;
}

/**
 * RSS the second half of the pairs added, per pair (bytes): the cost of one more pair, without
 * what the first reports cost once (NaN for results without the half-way RSS).
 */
export function bytesPerAddedPair(r: SourceRunResult): number {
  const half = r.halfRssBytes ?? NaN;
  return r.pairs > 0 ? (r.filledRssBytes - half) / (r.pairs / 2) : NaN;
}

const MB = 1024 * 1024;

/**
 * The median of the finite numbers among `values` (the lower one of the middle two), NaN when
 * there is none.
 *
 * @example
 * ```ts
 * medianOf([3, NaN, 1, 2]); // 2
 * ```
 */
export function medianOf(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return finite.length === 0 ? NaN : finite[Math.ceil(finite.length / 2) - 1];
}

/**
 * The rows: per load (per k, in the order of the runs), the storm (records/s, target ≥ 50,000
 * for "after"), what became of the reports, the upstream state, and the memory (bytes per pair
 * from idle, and bytes per pair the second half of the pairs added, target ≤ 1 KB for "after").
 * A contender's value is the median over its runs of that load.
 */
export function buildSourceRows(contenders: readonly SourceContender[]): ColumnRow[] {
  const rows: ColumnRow[] = [];
  const after = contenders.findIndex((c) => c.role === "after");
  const loads = new Map<number, SourceLoad>();
  for (const c of contenders) for (const r of c.runs) loads.set(r.load.sourcesPerRecord, r.load);
  for (const [k, load] of loads) {
    const runs = contenders.map((c) => c.runs.filter((r) => r.load.sourcesPerRecord === k));
    const trials = Math.max(...runs.map((r) => r.length));
    const section = `${k} source${k === 1 ? "" : "s"} a record: ${load.groups} groups, ` +
      `${load.recordsPerReport} records a report${trials > 1 ? `, median of ${trials} runs` : ""}`;
    const add = (
      measure: string,
      unit: string,
      value: (r: SourceRunResult) => number,
      target?: { text: string; ok: (v: number) => boolean },
    ) => {
      const values = runs.map((rs) => medianOf(rs.map(value)));
      const row: ColumnRow = { section, measure, unit, values };
      if (target !== undefined && after >= 0) {
        const v = values[after];
        row.target = target.text;
        row.met = typeof v === "number" && Number.isFinite(v) && target.ok(v);
      }
      rows.push(row);
    };
    add("records read/s", "/s", (r) => r.recordsPerS, {
      text: `≥ ${TARGET_RECORDS_PER_S}`,
      ok: (v) => v >= TARGET_RECORDS_PER_S,
    });
    rows.push({
      section,
      measure: "runs caught up (the others: no rate)",
      unit: "",
      values: runs.map((rs) =>
        rs.length === 0 ? NaN : `${rs.filter((r) => r.caughtUp !== false).length}/${rs.length}`
      ),
    });
    add("reports sent", "", (r) => r.sent);
    add("reports sent/s", "/s", (r) => r.sentRate);
    add("dropped at its socket", "", (r) => r.dropped);
    add("lost before it", "", (r) => r.lost);
    add("records read", "", (r) => r.records);
    add("caught up after", "ms", (r) => r.drainedMs);
    add("CPU", "s", (r) => r.cpuS);
    add("groups joined upstream", "", (r) => r.upstream.groups);
    add("sources in upstream filters", "", (r) => r.upstream.sources);
    add("RSS idle", "MB", (r) => r.idleRssBytes / MB);
    add(`RSS, ${(load.groups * k) / 2} pairs reported`, "MB", (r) => (r.halfRssBytes ?? NaN) / MB);
    add(`RSS, ${load.groups * k} pairs reported`, "MB", (r) => r.filledRssBytes / MB);
    add("RSS growth per pair, from idle", "B", bytesPerPair);
    add("RSS per pair, second half", "B", bytesPerAddedPair, {
      text: `≤ ${TARGET_BYTES_PER_PAIR}`,
      ok: (v) => v <= TARGET_BYTES_PER_PAIR,
    });
    add("RSS after the storm", "MB", (r) => r.stormRssBytes / MB);
  }
  return rows;
}

/** The column titles: section, measure, each contender, after / before, target. */
export function sourceHeaders(contenders: readonly SourceContender[]): string[] {
  return [
    "section",
    "measure",
    ...contenders.map((c) => c.role === "peer" ? `${c.name} (group level)` : c.name),
    "after/before",
    "target",
  ];
}

function cells(row: ColumnRow, contenders: readonly SourceContender[]): string[] {
  const unit = row.unit === "" ? "" : ` ${row.unit}`;
  const withUnit = (v: number | string) => {
    const text = formatValue(v);
    return text === "-" || typeof v === "string" ? text : text + unit;
  };
  const at = (role: Role) => {
    const i = contenders.findIndex((c) => c.role === role);
    return i < 0 ? NaN : row.values[i];
  };
  const met = row.met === undefined ? "" : row.met ? " (met)" : " (missed)";
  return [
    row.section,
    row.measure,
    ...row.values.map(withUnit),
    formatRatio(ratio(at("after"), at("before"))),
    row.target === undefined ? "" : `${row.target}${met}`,
  ];
}

/**
 * The table as plain text with aligned columns; a section's name is printed on its first row
 * only.
 *
 * @example
 * ```ts
 * formatSourceTable(buildSourceRows(contenders), contenders);
 * ```
 */
export function formatSourceTable(
  rows: readonly ColumnRow[],
  contenders: readonly SourceContender[],
): string {
  return renderSectionTable([sourceHeaders(contenders), ...rows.map((r) => cells(r, contenders))]);
}

/** The same table in Markdown (`|` in cells escaped). */
export function formatSourceMarkdownTable(
  rows: readonly ColumnRow[],
  contenders: readonly SourceContender[],
): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const line = (r: string[]) => `| ${r.map(esc).join(" | ")} |`;
  const head = sourceHeaders(contenders);
  return [
    line(head),
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => line(cells(r, contenders))),
  ].join("\n");
}

/** The Markdown page: circumstances, method, and the table. */
export function sourceMarkdownReport(
  contenders: readonly SourceContender[],
  info: SourceRunInfo,
): string {
  const p = info.plan;
  return [
    "# Benchmark: IGMPv3 reports with sources",
    "",
    "Written by `deno task bench-sources` (see the README); the JSON next to this page has every",
    "number.",
    "",
    `- Date: ${info.date}${info.quick ? " (a `--quick` run: shorter storms)" : ""}`,
    `- Machine: ${info.machine}`,
    ...contenders.map((c) => `- ${c.name}: ${c.version}`),
    `- before: commit ${info.before.sha} (\`--before ${info.before.ref}\`); after: this checkout`,
    "",
    `Each load holds ${p.pairs} (group, source) pairs: ${p.pairs} / k groups in 232.100/16,`,
    "each reported by one LAN host with a MODE_IS_INCLUDE record of the same k sources, as many",
    "records to a report as fit in 1500 bytes (and divide the groups). Each daemon is started",
    `fresh per run (\`-d\`, ours jailed as an unprivileged user), ${
      p.trials ?? 1
    } run(s) of each on`,
    "each load, the contenders in turn (in a rotating order). RSS is taken idle, then during",
    "one paced pass over the load (every pair reported once): after its first half of the",
    "groups and after the second. The first reports cost some memory once, whatever follows",
    "(the code they run is compiled, the heap takes its first pages): the RSS the second half",
    "added, per pair, is the cost of a pair, and the target is judged on it; the growth from",
    "idle is shown too. Then a storm of passes, about",
    `${p.stormRecords} records, goes out ${
      p.rate === 0 ? "as fast as the generator can" : `at ${p.rate} reports/s`
    }`,
    "(a raw-socket generator on a LAN host, sharing the machine's CPUs with the daemon).",
    "Records read/s: the reports the proxy's namespace delivered (`Ip: InDelivers`) less those",
    "the daemon's IGMP socket dropped (`/proc/net/raw`), times the records a report, over the",
    "time from the first report until the socket's queue was empty and the upstream state",
    "(groups in `/proc/net/igmp`, sources in `/proc/net/mcfilter`) stood still for 500 ms.",
    "",
    `Note: ${GROUP_LEVEL_NOTE}; its numbers are group-level processing of the same reports.`,
    "So is the default 'before' (main before issue 17's source filtering): that is the point of",
    "the comparison.",
    "",
    formatSourceMarkdownTable(buildSourceRows(contenders), contenders),
    "",
  ].join("\n");
}
