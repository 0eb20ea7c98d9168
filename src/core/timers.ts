/**
 * IGMP/MLD protocol timer values (RFC 2236 §8, RFC 3376 §8, RFC 3810 §9), all in milliseconds,
 * the keywords that set them in the configuration file, and how their values are written.
 *
 * @module
 */

/** The configurable protocol variables. */
export interface ProtocolTimers {
  /** Robustness Variable. */
  robustness: number;
  /** Query Interval. */
  queryInterval: number;
  /** Query Response Interval (the Max Response Time of general queries). */
  queryResponseInterval: number;
  /** Last Member Query Interval (Max Response Time of group-specific queries, and their spacing). */
  lastMemberQueryInterval: number;
  /** Last Member Query Count. */
  lastMemberQueryCount: number;
  /** Startup Query Interval. */
  startupQueryInterval: number;
  /** Startup Query Count. */
  startupQueryCount: number;
}

/** RFC defaults: RV 2, QI 125 s, QRI 10 s, LMQI 1 s, LMQC = RV, SQI = QI/4, SQC = RV. */
export const DEFAULT_TIMERS: Readonly<ProtocolTimers> = Object.freeze({
  robustness: 2,
  queryInterval: 125_000,
  queryResponseInterval: 10_000,
  lastMemberQueryInterval: 1_000,
  lastMemberQueryCount: 2,
  startupQueryInterval: 31_250,
  startupQueryCount: 2,
});

/** Group Membership Interval = RV × QI + QRI. */
export function groupMembershipInterval(t: ProtocolTimers): number {
  return t.robustness * t.queryInterval + t.queryResponseInterval;
}

/** Other Querier Present Interval = RV × QI + QRI / 2. */
export function otherQuerierPresentInterval(t: ProtocolTimers): number {
  return t.robustness * t.queryInterval + t.queryResponseInterval / 2;
}

/** Older Host Present Interval (IGMPv1 host present timeout) = RV × QI + QRI. */
export function olderHostPresentInterval(t: ProtocolTimers): number {
  return t.robustness * t.queryInterval + t.queryResponseInterval;
}

/** How a timer keyword's value is written: a count, or seconds (decimals allowed). */
export type TimerUnit = "count" | "seconds";

/** A timer keyword of the configuration file and the protocol variable it sets. */
export interface TimerKeyword {
  /** The keyword, e.g. `query-interval`. */
  keyword: string;
  /** The field of {@link ProtocolTimers} it sets. */
  field: keyof ProtocolTimers;
  /** How the value is written. */
  unit: TimerUnit;
  /** Smallest value (a count, or milliseconds). */
  min: number;
  /** Largest value (a count, or milliseconds). */
  max: number;
}

/**
 * The timer keywords in canonical order, with their ranges.
 *
 * Intervals are written in seconds with at most one decimal (0.1 s is the unit of IGMP's Max
 * Resp Code). Response intervals stop at 25.5 s, the largest IGMPv2 queries can carry; the
 * Robustness Variable stops at 7, the largest the QRV field holds.
 */
export const TIMER_KEYWORDS: readonly TimerKeyword[] = [
  { keyword: "robustness", field: "robustness", unit: "count", min: 1, max: 7 },
  {
    keyword: "query-interval",
    field: "queryInterval",
    unit: "seconds",
    min: 1_000,
    max: 31_744_000,
  },
  {
    keyword: "query-response-interval",
    field: "queryResponseInterval",
    unit: "seconds",
    min: 100,
    max: 25_500,
  },
  {
    keyword: "last-member-query-interval",
    field: "lastMemberQueryInterval",
    unit: "seconds",
    min: 100,
    max: 25_500,
  },
  {
    keyword: "last-member-query-count",
    field: "lastMemberQueryCount",
    unit: "count",
    min: 1,
    max: 255,
  },
  {
    keyword: "startup-query-interval",
    field: "startupQueryInterval",
    unit: "seconds",
    min: 100,
    max: 31_744_000,
  },
  { keyword: "startup-query-count", field: "startupQueryCount", unit: "count", min: 1, max: 255 },
];

/**
 * The keyword that sets a protocol variable.
 *
 * @example
 * ```ts
 * timerKeywordOf("queryInterval").keyword; // "query-interval"
 * ```
 */
export function timerKeywordOf(field: keyof ProtocolTimers): TimerKeyword {
  const row = TIMER_KEYWORDS.find((k) => k.field === field);
  if (row === undefined) throw new Error(`No timer keyword sets "${field}"`);
  return row;
}

/**
 * Formats milliseconds as the seconds of the file: whole, or with one decimal.
 *
 * @example
 * ```ts
 * formatSeconds(500); // "0.5"
 * formatSeconds(125_000); // "125"
 * ```
 */
export function formatSeconds(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const tenths = Math.round((ms % 1000) / 100);
  return tenths === 0 ? String(whole) : `${whole}.${tenths}`;
}

/** Options of {@link formatTimer}. */
export interface FormatTimerOptions {
  /** Append `s` to an interval (`30s`), as log lines write it; counts stay bare. */
  withUnit?: boolean;
}

/**
 * A protocol variable's value as the configuration file writes it: a count as is, an interval
 * (milliseconds) in seconds with at most one decimal.
 *
 * @example
 * ```ts
 * formatTimer("queryInterval", 30_000); // "30"
 * formatTimer("queryInterval", 30_000, { withUnit: true }); // "30s"
 * formatTimer("lastMemberQueryInterval", 500); // "0.5"
 * formatTimer("robustness", 3, { withUnit: true }); // "3"
 * ```
 */
export function formatTimer(
  field: keyof ProtocolTimers,
  value: number,
  options: FormatTimerOptions = {},
): string {
  if (timerKeywordOf(field).unit === "count") return String(value);
  return options.withUnit ? `${formatSeconds(value)}s` : formatSeconds(value);
}
