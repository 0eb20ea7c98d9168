/**
 * IGMP messages: IGMPv1 (RFC 1112), IGMPv2 (RFC 2236) and IGMPv3 (RFC 3376) queries, reports
 * and leaves as they are on the wire, and the decoder that reads and checks them. Encoders are in
 * igmp_encode.ts; the IPv4 packet that carries a message is read by igmp_packet.ts.
 *
 * Addresses are unsigned 32-bit numbers. Decoders return a {@link Result} and never throw.
 *
 * @module
 */

import { isIPv4Multicast } from "./addr.ts";
import { internetChecksum } from "./checksum.ts";
import { decodeFloatCode } from "./float_code.ts";
import { type DropReason, fail, ok, type Result } from "./result.ts";
import { readU16, readU32 } from "./wire.ts";

/** Membership Query, all versions. */
export const IGMP_MEMBERSHIP_QUERY = 0x11;
/** IGMPv1 Membership Report. */
export const IGMP_V1_MEMBERSHIP_REPORT = 0x12;
/** IGMPv2 Membership Report. */
export const IGMP_V2_MEMBERSHIP_REPORT = 0x16;
/** IGMPv2 Leave Group. */
export const IGMP_V2_LEAVE_GROUP = 0x17;
/** IGMPv3 Membership Report. */
export const IGMP_V3_MEMBERSHIP_REPORT = 0x22;

/** 224.0.0.1, all systems on this subnet: general queries go here. */
export const INADDR_ALLHOSTS_GROUP = 0xe0000001;
/** 224.0.0.2, all routers on this subnet: leaves go here. */
export const INADDR_ALLRTRS_GROUP = 0xe0000002;
/** 224.0.0.22, all IGMPv3-capable routers: IGMPv3 reports go here. */
export const INADDR_ALLRPTS_GROUP = 0xe0000016;

/** IGMPv3 record type: current state, filter mode INCLUDE. */
export const MODE_IS_INCLUDE = 1;
/** IGMPv3 record type: current state, filter mode EXCLUDE. */
export const MODE_IS_EXCLUDE = 2;
/** IGMPv3 record type: filter mode changed to INCLUDE. */
export const CHANGE_TO_INCLUDE_MODE = 3;
/** IGMPv3 record type: filter mode changed to EXCLUDE. */
export const CHANGE_TO_EXCLUDE_MODE = 4;
/** IGMPv3 record type: sources added. */
export const ALLOW_NEW_SOURCES = 5;
/** IGMPv3 record type: sources removed. */
export const BLOCK_OLD_SOURCES = 6;

/** Length of IGMPv1/v2 messages and of the fixed part of an IGMPv3 report. */
export const IGMP_MINLEN = 8;
/** Length of an IGMPv3 query without sources. */
export const IGMP_V3_QUERY_MINLEN = 12;
/** Length of an IGMPv3 group record without sources or auxiliary data. */
export const IGMP_V3_RECORD_MINLEN = 8;

/** A Membership Query. IGMPv3 fields are present only when `version` is 3. */
export interface IgmpQuery {
  /** Discriminant. */
  type: "query";
  /** By RFC 3376 section 7.1: 8 bytes with code 0 -> 1; 8 bytes -> 2; 12 or more -> 3. */
  version: 1 | 2 | 3;
  /** 0 for a general query, else the group queried. */
  group: number;
  /** Max Resp Time in milliseconds; 10 000 for IGMPv1 queries (RFC 2236 section 4). */
  maxRespTimeMs: number;
  /** IGMPv3: S flag, suppress router-side processing. */
  suppressRouterSide?: boolean;
  /** IGMPv3: Querier's Robustness Variable, 0 to 7 (0: above 7 or unset). */
  qrv?: number;
  /** IGMPv3: Querier's Query Interval in seconds, decoded from QQIC. */
  qqicSeconds?: number;
  /** IGMPv3: the sources of a group-and-source-specific query. */
  sources?: number[];
}

/** An IGMPv1 Membership Report. */
export interface IgmpV1Report {
  /** Discriminant. */
  type: "v1-report";
  /** The group reported. */
  group: number;
}

/** An IGMPv2 Membership Report. */
export interface IgmpV2Report {
  /** Discriminant. */
  type: "v2-report";
  /** The group reported. */
  group: number;
}

/** An IGMPv2 Leave Group. */
export interface IgmpLeave {
  /** Discriminant. */
  type: "leave";
  /** The group left. */
  group: number;
}

/** IGMPv3 group record type, MODE_IS_INCLUDE (1) to BLOCK_OLD_SOURCES (6). */
export type GroupRecordType = 1 | 2 | 3 | 4 | 5 | 6;

/** One group record of an IGMPv3 report. */
export interface GroupRecord {
  /** MODE_IS_INCLUDE .. BLOCK_OLD_SOURCES. */
  recordType: GroupRecordType;
  /** The multicast group. */
  group: number;
  /** The record's sources, in wire order. */
  sources: number[];
}

/** An IGMPv3 Membership Report; records of unknown types are left out (RFC 3376 4.2.12). */
export interface IgmpV3Report {
  /** Discriminant. */
  type: "v3-report";
  /** The group records of known types, in wire order. */
  records: GroupRecord[];
}

/** Any IGMP message the proxy handles. */
export type IgmpMessage = IgmpQuery | IgmpV1Report | IgmpV2Report | IgmpLeave | IgmpV3Report;

/**
 * Decodes and validates the IGMP message of `length` bytes at `offset` of `buf` (the IP payload):
 * at least 8 bytes, checksum over the whole message, query version by length (RFC 3376 section
 * 7.1), group addresses multicast (or 0 in a query), every IGMPv3 source list and group record
 * within the message. Bytes past a message's known fields are ignored (RFC 2236 section 2.5, RFC
 * 3376 sections 4.1.10 and 4.2.11). Work is bounded by the bytes present, whatever counts the
 * message claims.
 *
 * @example
 * ```ts
 * import { decodeIgmp } from "./igmp.ts";
 *
 * // IGMPv2 leave for 239.1.1.1.
 * const r = decodeIgmp(new Uint8Array([0x17, 0, 0xf8, 0xfc, 239, 1, 1, 1]), 0, 8);
 * // r: { ok: true, value: { type: "leave", group: 0xef010101 } }
 * ```
 */
export function decodeIgmp(buf: Uint8Array, offset: number, length: number): Result<IgmpMessage> {
  const m = parseIgmp(buf, offset, length);
  return typeof m === "string" ? fail(m) : ok(m);
}

/** {@link decodeIgmp} without the result wrapper: the message, or why it was dropped. */
function parseIgmp(buf: Uint8Array, offset: number, length: number): IgmpMessage | DropReason {
  if (length < IGMP_MINLEN || offset < 0 || offset + length > buf.length) return "truncated-igmp";
  if (internetChecksum(buf, offset, length) !== 0) return "bad-igmp-checksum";
  const type = buf[offset];
  switch (type) {
    case IGMP_MEMBERSHIP_QUERY:
      return parseQuery(buf, offset, length);
    case IGMP_V1_MEMBERSHIP_REPORT:
    case IGMP_V2_MEMBERSHIP_REPORT:
    case IGMP_V2_LEAVE_GROUP: {
      const group = readU32(buf, offset + 4);
      if (!isIPv4Multicast(group)) return "group-not-multicast";
      const kind = type === IGMP_V1_MEMBERSHIP_REPORT
        ? "v1-report"
        : type === IGMP_V2_MEMBERSHIP_REPORT
        ? "v2-report"
        : "leave";
      return { type: kind, group };
    }
    case IGMP_V3_MEMBERSHIP_REPORT:
      return parseV3Report(buf, offset, length);
    default:
      return "unknown-igmp-type";
  }
}

/** A Membership Query; its version by its length and Max Resp Code (RFC 3376 section 7.1). */
function parseQuery(buf: Uint8Array, offset: number, length: number): IgmpQuery | DropReason {
  const code = buf[offset + 1];
  const group = readU32(buf, offset + 4);
  if (group !== 0 && !isIPv4Multicast(group)) return "group-not-multicast";
  if (length === IGMP_MINLEN) {
    return code === 0
      ? { type: "query", version: 1, group, maxRespTimeMs: 10_000 }
      : { type: "query", version: 2, group, maxRespTimeMs: code * 100 };
  }
  if (length < IGMP_V3_QUERY_MINLEN) return "bad-query-length";
  const flags = buf[offset + 8];
  const count = readU16(buf, offset + 10);
  if (IGMP_V3_QUERY_MINLEN + 4 * count > length) return "truncated-igmp";
  const sources = new Array<number>(count);
  for (let i = 0, at = offset + IGMP_V3_QUERY_MINLEN; i < count; i++, at += 4) {
    sources[i] = readU32(buf, at);
  }
  return {
    type: "query",
    version: 3,
    group,
    maxRespTimeMs: decodeFloatCode(code) * 100,
    suppressRouterSide: (flags & 0x08) !== 0,
    qrv: flags & 0x07,
    qqicSeconds: decodeFloatCode(buf[offset + 9]),
    sources,
  };
}

/** An IGMPv3 Membership Report: its group records, each within the message. */
function parseV3Report(
  buf: Uint8Array,
  offset: number,
  length: number,
): IgmpV3Report | DropReason {
  const count = readU16(buf, offset + 6);
  // Every record takes at least 8 bytes: reject an impossible count before looping.
  if (IGMP_MINLEN + IGMP_V3_RECORD_MINLEN * count > length) return "truncated-igmp";
  const end = offset + length;
  const records: GroupRecord[] = [];
  let at = offset + IGMP_MINLEN;
  for (let r = 0; r < count; r++) {
    if (at + IGMP_V3_RECORD_MINLEN > end) return "truncated-igmp";
    const recordType = buf[at];
    const auxWords = buf[at + 1];
    const numSources = readU16(buf, at + 2);
    const size = IGMP_V3_RECORD_MINLEN + 4 * numSources + 4 * auxWords;
    if (at + size > end) return "truncated-igmp";
    const group = readU32(buf, at + 4);
    if (!isIPv4Multicast(group)) return "group-not-multicast";
    if (recordType >= MODE_IS_INCLUDE && recordType <= BLOCK_OLD_SOURCES) {
      const sources = new Array<number>(numSources);
      for (let i = 0, s = at + IGMP_V3_RECORD_MINLEN; i < numSources; i++, s += 4) {
        sources[i] = readU32(buf, s);
      }
      records.push({ recordType: recordType as GroupRecordType, group, sources });
    }
    at += size;
  }
  return { type: "v3-report", records };
}
