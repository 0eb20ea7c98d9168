/**
 * Text for people, shared by the status dump (SIGUSR1) and the control socket's tables: columns
 * laid out as wide as their widest cell, and durations in two units as mrouted prints ages.
 *
 * @example
 * ```ts
 * const columns = [{ title: "Group" }, { title: "Age", right: true }];
 * const t = renderTable(columns, [["239.1.1.1", "2m05s"]]);
 * t.header; // " Group        Age"
 * t.rows[0]; // " 239.1.1.1  2m05s"
 * ```
 *
 * @module
 */

/** A column of a table. */
export interface Column {
  /** Its header. */
  title: string;
  /** Right-aligned (numbers); left-aligned otherwise. */
  right?: boolean;
}

/** A laid-out table. */
export interface RenderedTable {
  /** The header line. */
  header: string;
  /** One line per row. */
  rows: string[];
  /** Where each column begins (0-based character offsets). */
  starts: number[];
}

/**
 * Lays out a table: one leading blank, columns as wide as their widest cell, two blanks
 * between them, the last one unpadded, no trailing blanks.
 */
export function renderTable(columns: readonly Column[], rows: readonly string[][]): RenderedTable {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => r[i].length)));
  const starts: number[] = [];
  let at = 1;
  for (const w of widths) {
    starts.push(at);
    at += w + 2;
  }
  const line = (cells: string[]) =>
    " " + cells.map((cell, i) => {
      if (i === cells.length - 1 && !columns[i].right) return cell;
      return columns[i].right ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
    }).join("  ").trimEnd();
  return { header: line(columns.map((c) => c.title)), rows: rows.map(line), starts };
}

/**
 * A duration as mrouted's dump gives ages, to two units: `45s`, `2m05s`, `1h02m`, `3d04h`;
 * negative durations are `0s`.
 */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${two(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${two(m % 60)}m`;
  return `${Math.floor(h / 24)}d${two(h % 24)}h`;
}
