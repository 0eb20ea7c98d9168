/**
 * IGMP/MLD protocol timer values (RFC 2236 §8, RFC 3376 §8, RFC 3810 §9), all in milliseconds.
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
