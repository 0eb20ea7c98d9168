/**
 * The IGMPv3 reports of the source-filter benchmark (`bench_sources.ts`): a load of `groups`
 * consecutive groups, each reported with one MODE_IS_INCLUDE record of the same `k` sources,
 * `recordsPerReport` records to a report, as a LAN host answering a general query would send
 * them. One pass over the load reports every group once: it creates `groups × k` (group,
 * source) pairs on a router that keeps them, and refreshes them after that.
 *
 * Pure: no `Deno.*`, no FFI. Addresses are unsigned 32-bit numbers.
 *
 * @example
 * ```ts
 * import { loadFor, passPackets } from "./source_reports.ts";
 *
 * const load = loadFor({ pairs: 10_000, sourcesPerRecord: 50 });
 * // { groups: 200, sourcesPerRecord: 50, recordsPerReport: 5, ... }
 * const packets = passPackets(load, 0x0a01000b); // 40 reports of 5 records from 10.1.0.11
 * ```
 *
 * @module
 */

import { type GroupRecord, INADDR_ALLRPTS_GROUP, MODE_IS_INCLUDE } from "../../src/proto/igmp.ts";
import { encodeV3Report } from "../../src/proto/igmp_encode.ts";
import { buildIPv4Packet } from "../lab/igmp_packets.ts";

/** The lab's links carry Ethernet frames of 1500 bytes of IP. */
export const LINK_MTU = 1500;
/** An IPv4 header with Router Alert, as hosts send IGMP. */
const IP_HEADER_LENGTH = 24;
/** Type, reserved, checksum, reserved, number of group records. */
const IGMP_V3_REPORT_HEADER_LENGTH = 8;
/** Record type, aux data length, number of sources, group. */
const IGMP_V3_RECORD_HEADER_LENGTH = 8;

/** The first group of a load: 232.100.0.0, in the SSM range as IPTV channels are. */
export const FIRST_GROUP = 0xe8640000;
/** The first source of every record: 10.0.0.100, on the lab's upstream subnet. */
export const FIRST_SOURCE = 0x0a000064;

/** What one pass of reports holds. */
export interface SourceLoad {
  /** The first group; the load's groups follow it. */
  firstGroup: number;
  /** Number of consecutive groups. */
  groups: number;
  /** The first source; each record names it and the `sourcesPerRecord - 1` after it. */
  firstSource: number;
  /** Sources per record (k). */
  sourcesPerRecord: number;
  /** Records per report (R); divides `groups`, so every report of a pass is alike. */
  recordsPerReport: number;
}

/**
 * How many records of `k` sources fit in one report on a link of `mtu` bytes.
 *
 * @example
 * ```ts
 * recordsThatFit(50); // 7: 24 + 8 + 7 × (8 + 200) = 1488 bytes
 * ```
 */
export function recordsThatFit(k: number, mtu = LINK_MTU): number {
  const room = mtu - IP_HEADER_LENGTH - IGMP_V3_REPORT_HEADER_LENGTH;
  return Math.floor(room / (IGMP_V3_RECORD_HEADER_LENGTH + 4 * k));
}

/**
 * The load that holds `pairs` (group, source) pairs with `k` sources a record: `pairs / k`
 * groups, as many records to a report as fit in the MTU and divide the groups (at most
 * `maxRecordsPerReport`, default no limit). Throws when `k` does not divide `pairs` or no record
 * fits.
 *
 * @example
 * ```ts
 * loadFor({ pairs: 10_000, sourcesPerRecord: 1 }).recordsPerReport; // 100 (122 fit)
 * loadFor({ pairs: 10_000, sourcesPerRecord: 10 }).recordsPerReport; // 25 (30 fit)
 * ```
 */
export function loadFor(opts: {
  pairs: number;
  sourcesPerRecord: number;
  maxRecordsPerReport?: number;
  mtu?: number;
}): SourceLoad {
  const k = opts.sourcesPerRecord;
  if (!Number.isInteger(k) || k < 1 || opts.pairs % k !== 0) {
    throw new RangeError(`Sources per record must divide ${opts.pairs}, not ${k}`);
  }
  const groups = opts.pairs / k;
  const fit = Math.min(recordsThatFit(k, opts.mtu), opts.maxRecordsPerReport ?? Infinity);
  if (fit < 1) throw new RangeError(`No record of ${k} sources fits in a report`);
  let r = Math.min(fit, groups);
  while (groups % r !== 0) r--;
  return {
    firstGroup: FIRST_GROUP,
    groups,
    firstSource: FIRST_SOURCE,
    sourcesPerRecord: k,
    recordsPerReport: r,
  };
}

/**
 * The load in two halves of its groups, each a load of its own (the first groups, then the
 * others), for a paced pass in two steps. The records a report must divide half the groups.
 *
 * @example
 * ```ts
 * halves(loadFor({ pairs: 10_000, sourcesPerRecord: 1 })).map((h) => h.groups); // [5000, 5000]
 * ```
 */
export function halves(load: SourceLoad): [SourceLoad, SourceLoad] {
  const half = load.groups / 2;
  if (!Number.isInteger(half) || half % load.recordsPerReport !== 0) {
    throw new RangeError(`${load.recordsPerReport} records a report do not divide ${half} groups`);
  }
  return [
    { ...load, groups: half },
    { ...load, firstGroup: (load.firstGroup + half) >>> 0, groups: half },
  ];
}

/** Reports in one pass over the load. */
export function reportsPerPass(load: SourceLoad): number {
  return load.groups / load.recordsPerReport;
}

/**
 * The IGMPv3 reports (IGMP messages, no IP header) of one pass: report `i` has the records of
 * groups `i × R` to `i × R + R - 1`, each MODE_IS_INCLUDE of the load's `k` sources.
 */
export function passReports(load: SourceLoad): Uint8Array[] {
  const sources = Array.from({ length: load.sourcesPerRecord }, (_, j) => load.firstSource + j);
  const out: Uint8Array[] = [];
  for (let i = 0; i < reportsPerPass(load); i++) {
    const records = Array.from({ length: load.recordsPerReport }, (_, j): GroupRecord => ({
      recordType: MODE_IS_INCLUDE,
      group: (load.firstGroup + i * load.recordsPerReport + j) >>> 0,
      sources,
    }));
    out.push(encodeV3Report(records));
  }
  return out;
}

/**
 * The whole packets of one pass from host address `from`: {@link passReports} in IPv4 headers
 * to 224.0.0.22 with TTL 1 and Router Alert, as Linux sends them.
 */
export function passPackets(load: SourceLoad, from: number): Uint8Array[] {
  return passReports(load).map((payload) =>
    buildIPv4Packet({ source: from, destination: INADDR_ALLRPTS_GROUP, payload })
  );
}
