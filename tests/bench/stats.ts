/**
 * The pure arithmetic and layout of the benchmark report: percentiles of samples, ratios, the
 * side-by-side table and its Markdown form.
 *
 * @module
 */

/** Percentiles of a set of samples (same unit as the samples), and how many there were. */
export interface Summary {
  /** Number of samples. */
  n: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** Largest sample. */
  max: number;
}

/**
 * The nearest-rank percentile `p` (0 < p ≤ 100) of samples sorted in ascending order: the
 * smallest sample such that at least p % of the samples are ≤ it. NaN for no samples.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 50); // 2
 * percentile([1, 2, 3, 4], 90); // 4
 * ```
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`A percentile is in (0, 100], not ${p}`);
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** p50, p90, p99 and max of samples in any order (NaN each when there are none). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1],
  };
}

/** One row of the report: a measure and its value for each contender. */
export interface Row {
  /** Section, e.g. `join latency`. */
  section: string;
  /** Measure, e.g. `p50`. */
  measure: string;
  /** Unit printed after the numbers, e.g. `ms`. */
  unit: string;
  /** Our value (NaN when not measured; a string for a non-numeric result such as `yes`). */
  ours: number | string;
  /** The peer's value. */
  peer: number | string;
  /** The target from the issue, as text, e.g. `≤ igmpproxy`. */
  target?: string;
  /** Whether the target is met, when it can be told from this row alone. */
  met?: boolean;
}

/**
 * ours / peer, or undefined when either is not a finite number or the peer is 0 (a ratio
 * would say nothing).
 *
 * @example
 * ```ts
 * ratio(5, 20); // 0.25
 * ratio(3, 0); // undefined
 * ```
 */
export function ratio(ours: number | string, peer: number | string): number | undefined {
  if (typeof ours !== "number" || typeof peer !== "number") return undefined;
  if (!Number.isFinite(ours) || !Number.isFinite(peer) || peer === 0) return undefined;
  return ours / peer;
}

/**
 * A number as the table prints it: 3 significant digits below 1000, whole numbers above, `-`
 * for NaN or undefined, `∞` for Infinity; strings as they are.
 *
 * @example
 * ```ts
 * formatValue(12.3456); // "12.3"
 * formatValue(0.01234); // "0.0123"
 * formatValue(123456.7); // "123457"
 * ```
 */
export function formatValue(v: number | string | undefined): string {
  if (typeof v === "string") return v;
  if (v === undefined || Number.isNaN(v)) return "-";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "-∞";
  if (v === 0) return "0";
  if (Math.abs(v) >= 1000) return Math.round(v).toString();
  return Number(v.toPrecision(3)).toString();
}

/** The ratio column: `0.25×`, or `-` when there is none. */
export function formatRatio(r: number | undefined): string {
  return r === undefined ? "-" : `${formatValue(r)}×`;
}

function cells(row: Row): string[] {
  const unit = row.unit === "" ? "" : ` ${row.unit}`;
  const withUnit = (v: number | string) => {
    const text = formatValue(v);
    return text === "-" || typeof v === "string" ? text : text + unit;
  };
  const met = row.met === undefined ? "" : row.met ? "met" : "missed";
  return [
    row.section,
    row.measure,
    withUnit(row.ours),
    withUnit(row.peer),
    formatRatio(ratio(row.ours, row.peer)),
    row.target === undefined ? "" : `${row.target}${met === "" ? "" : ` (${met})`}`,
  ];
}

/** The column titles of the table, with the peer's name. */
export function headers(peerName: string): string[] {
  return ["section", "measure", "mcast-proxy", peerName, "ratio", "target"];
}

/**
 * The report as a plain-text table with aligned columns, one row per measure; a section's name
 * is printed on its first row only.
 */
export function formatTable(rows: readonly Row[], peerName: string): string {
  return renderSectionTable([headers(peerName), ...rows.map(cells)]);
}

/**
 * A text table of a header row and body rows whose first cell names a section: a section's name
 * is shown on its first row only, columns are padded to their widest cell, and a rule of dashes
 * goes under the header.
 */
export function renderSectionTable(table: string[][]): string {
  let previous = "";
  for (let i = 1; i < table.length; i++) {
    const section = table[i][0];
    if (section === previous) table[i][0] = "";
    previous = section;
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => [...r[c]].length)));
  const line = (r: string[]) =>
    r.map((cell, c) => cell + " ".repeat(widths[c] - [...cell].length)).join("  ").trimEnd();
  return [line(table[0]), widths.map((w) => "-".repeat(w)).join("  "), ...table.slice(1).map(line)]
    .join("\n");
}

/** The same table in Markdown (`|` in cells escaped). */
export function formatMarkdownTable(rows: readonly Row[], peerName: string): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const line = (r: string[]) => `| ${r.map(esc).join(" | ")} |`;
  const head = headers(peerName);
  return [line(head), `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => line(cells(r)))]
    .join("\n");
}
