/**
 * IGMP encoders: the queries, reports and leaves the proxy sends, as wire bytes with their
 * checksum (see igmp.ts for the messages and their decoder).
 *
 * Encoders produce the IGMP message only: the kernel adds the IP header (TTL 1 and Router Alert
 * come from socket options). They throw RangeError only for a programming error, a list longer
 * than its 16-bit count.
 *
 * @module
 */

import { internetChecksum } from "./checksum.ts";
import { encodeFloatCode, IGMP_FLOAT_MAX } from "./float_code.ts";
import {
  type GroupRecord,
  IGMP_MEMBERSHIP_QUERY,
  IGMP_MINLEN,
  IGMP_V1_MEMBERSHIP_REPORT,
  IGMP_V2_LEAVE_GROUP,
  IGMP_V2_MEMBERSHIP_REPORT,
  IGMP_V3_MEMBERSHIP_REPORT,
  IGMP_V3_QUERY_MINLEN,
  IGMP_V3_RECORD_MINLEN,
} from "./igmp.ts";
import { clamp, writeU16, writeU32 } from "./wire.ts";

/** Options of {@link encodeQuery}. */
export interface QueryOptions {
  /** 0 for a general query, else the group queried. */
  group: number;
  /** Max Resp Time in milliseconds; rounded to tenths of a second and clamped per version. */
  maxRespTimeMs: number;
  /**
   * IGMPv1 (8 bytes, Max Resp Code 0, general only), IGMPv2 (8 bytes) or IGMPv3 (12 bytes and 4
   * per source).
   */
  version: 1 | 2 | 3;
  /** IGMPv3: S flag. Default false. */
  suppressRouterSide?: boolean;
  /** IGMPv3: Querier's Robustness Variable; above 7 is sent as 0 (RFC 3376 4.1.6). Default 2. */
  qrv?: number;
  /** IGMPv3: Querier's Query Interval in seconds, encoded as QQIC. Default 125. */
  qqicSeconds?: number;
  /** IGMPv3: sources of a group-and-source-specific query. Default none. */
  sources?: readonly number[];
}

/**
 * Encodes a Membership Query with its checksum. IGMPv1 (RFC 1112 Appendix I): the code field is
 * unused and 0, which is how hosts tell it from an IGMPv2 query (RFC 2236 section 4, RFC 3376
 * section 7.1), and `maxRespTimeMs` is ignored (hosts answer within 10 s). IGMPv2: Max Resp Code
 * in tenths of a second, clamped to 1..255. IGMPv3: tenths clamped to 1..{@link IGMP_FLOAT_MAX},
 * floating point from 12.8 s; QQIC likewise in seconds. Throws RangeError past 65535 sources, or
 * for an IGMPv1 query with a group (IGMPv1 has no group-specific queries): programming errors.
 *
 * @example
 * ```ts
 * import { encodeQuery } from "./igmp_encode.ts";
 *
 * // IGMPv2 general query, 10 s: 11 64 ee 9b 00 00 00 00
 * const q = encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 2 });
 * ```
 */
export function encodeQuery(opts: QueryOptions): Uint8Array {
  if (opts.version === 1) {
    if (opts.group !== 0) throw new RangeError("IGMPv1 has no group-specific queries");
    const out = new Uint8Array(IGMP_MINLEN);
    out[0] = IGMP_MEMBERSHIP_QUERY;
    return withChecksum(out);
  }
  const tenths = Math.round(opts.maxRespTimeMs / 100);
  if (opts.version === 2) {
    const out = new Uint8Array(IGMP_MINLEN);
    out[0] = IGMP_MEMBERSHIP_QUERY;
    out[1] = clamp(tenths, 1, 255);
    writeU32(out, 4, opts.group);
    return withChecksum(out);
  }
  const sources = opts.sources ?? [];
  if (sources.length > 0xffff) throw new RangeError(`Too many query sources: ${sources.length}`);
  const out = new Uint8Array(IGMP_V3_QUERY_MINLEN + 4 * sources.length);
  out[0] = IGMP_MEMBERSHIP_QUERY;
  out[1] = encodeFloatCode(clamp(tenths, 1, IGMP_FLOAT_MAX));
  writeU32(out, 4, opts.group);
  const qrv = opts.qrv ?? 2;
  out[8] = (opts.suppressRouterSide ? 0x08 : 0) |
    (Number.isInteger(qrv) && qrv >= 0 && qrv <= 7 ? qrv : 0);
  out[9] = encodeFloatCode(opts.qqicSeconds ?? 125);
  writeU16(out, 10, sources.length);
  for (let i = 0; i < sources.length; i++) writeU32(out, IGMP_V3_QUERY_MINLEN + 4 * i, sources[i]);
  return withChecksum(out);
}

/** Encodes an IGMPv1 Membership Report for `group` (RFC 1112 Appendix I). */
export function encodeV1Report(group: number): Uint8Array {
  return encodeSimple(IGMP_V1_MEMBERSHIP_REPORT, group);
}

/** Encodes an IGMPv2 Membership Report for `group`; send it to the group. */
export function encodeV2Report(group: number): Uint8Array {
  return encodeSimple(IGMP_V2_MEMBERSHIP_REPORT, group);
}

/** Encodes an IGMPv2 Leave Group for `group`; send it to 224.0.0.2. */
export function encodeLeave(group: number): Uint8Array {
  return encodeSimple(IGMP_V2_LEAVE_GROUP, group);
}

/**
 * Encodes an IGMPv3 Membership Report (send it to 224.0.0.22) with no auxiliary data. Throws
 * RangeError past 65535 records or sources (a programming error).
 *
 * @example
 * ```ts
 * import { CHANGE_TO_EXCLUDE_MODE, type GroupRecord } from "./igmp.ts";
 * import { encodeV3Report } from "./igmp_encode.ts";
 *
 * // Join 239.1.1.1 from any source: one TO_EX {} record, 16 bytes.
 * const join: GroupRecord = { recordType: CHANGE_TO_EXCLUDE_MODE, group: 0xef010101, sources: [] };
 * const r = encodeV3Report([join]);
 * ```
 */
export function encodeV3Report(records: readonly GroupRecord[]): Uint8Array {
  if (records.length > 0xffff) throw new RangeError(`Too many group records: ${records.length}`);
  let size = IGMP_MINLEN;
  for (const r of records) {
    if (r.sources.length > 0xffff) {
      throw new RangeError(`Too many record sources: ${r.sources.length}`);
    }
    size += IGMP_V3_RECORD_MINLEN + 4 * r.sources.length;
  }
  const out = new Uint8Array(size);
  out[0] = IGMP_V3_MEMBERSHIP_REPORT;
  writeU16(out, 6, records.length);
  let at = IGMP_MINLEN;
  for (const r of records) {
    out[at] = r.recordType;
    writeU16(out, at + 2, r.sources.length);
    writeU32(out, at + 4, r.group);
    at += IGMP_V3_RECORD_MINLEN;
    for (const s of r.sources) {
      writeU32(out, at, s);
      at += 4;
    }
  }
  return withChecksum(out);
}

/** The 8 bytes of a report or leave: type, zeros, checksum, group. */
function encodeSimple(type: number, group: number): Uint8Array {
  const out = new Uint8Array(IGMP_MINLEN);
  out[0] = type;
  writeU32(out, 4, group);
  return withChecksum(out);
}

/** Fills in the checksum field of `msg`, computed over the whole message with the field 0. */
function withChecksum(msg: Uint8Array): Uint8Array {
  writeU16(msg, 2, internetChecksum(msg));
  return msg;
}
