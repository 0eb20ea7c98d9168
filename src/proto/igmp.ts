/**
 * IGMP messages: IGMPv1 (RFC 1112), IGMPv2 (RFC 2236) and IGMPv3 (RFC 3376) queries, reports
 * and leaves, decoded from and encoded to wire bytes.
 *
 * Addresses are unsigned 32-bit numbers. Decoders return a {@link Result} and never throw.
 * Encoders produce the IGMP message only: the kernel adds the IP header (TTL 1 and Router Alert
 * come from socket options).
 *
 * @module
 */

import { internetChecksum } from "./checksum.ts";
import { decodeIPv4Header, IPPROTO_IGMP, type IPv4Header } from "./ipv4.ts";
import { type DropReason, fail, type Result } from "./result.ts";

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

/**
 * Largest value an IGMPv3 floating-point code carries: (0x0f | 0x10) << (7 + 3), in tenths of a
 * second for Max Resp Code and in seconds for QQIC.
 */
export const IGMP_FLOAT_MAX = 31744;

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

/** An IPv4 packet carrying IGMP. */
export interface IgmpPacket {
  /** The IP header. */
  ip: IPv4Header;
  /** The IGMP message. */
  igmp: IgmpMessage;
}

/** Options of {@link encodeQuery}. */
export interface QueryOptions {
  /** 0 for a general query, else the group queried. */
  group: number;
  /** Max Resp Time in milliseconds; rounded to tenths of a second and clamped per version. */
  maxRespTimeMs: number;
  /** IGMPv2 (8 bytes) or IGMPv3 (12 bytes and 4 per source). */
  version: 2 | 3;
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
 * Decodes an IGMPv3 floating-point code (Max Resp Code, QQIC; RFC 3376 sections 4.1.1 and
 * 4.1.7): below 128 the code is the value, else `1 exp(3) mant(4)` means
 * `(mant | 0x10) << (exp + 3)`.
 *
 * @example
 * ```ts
 * import { decodeFloatCode } from "./igmp.ts";
 *
 * decodeFloatCode(100); // 100
 * decodeFloatCode(0x8f); // 248: exp 0, mant 15 -> 31 << 3
 * ```
 */
export function decodeFloatCode(code: number): number {
  if (code < 0x80) return code;
  return ((code & 0x0f) | 0x10) << (((code >> 4) & 0x07) + 3);
}

/**
 * Encodes a value as an IGMPv3 floating-point code, rounding down to the nearest representable
 * value, clamped to 0 .. {@link IGMP_FLOAT_MAX}. Inverse of {@link decodeFloatCode} on every
 * value it returns.
 */
export function encodeFloatCode(value: number): number {
  const v = clamp(Math.floor(value), 0, IGMP_FLOAT_MAX);
  if (v < 0x80) return v;
  let exp = 0;
  while (v >> (exp + 3) > 0x1f) exp++;
  return 0x80 | (exp << 4) | ((v >> (exp + 3)) & 0x0f);
}

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
  return typeof m === "string" ? fail(m) : { ok: true, value: m };
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
      if (!isMulticast(group)) return "group-not-multicast";
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

function parseQuery(buf: Uint8Array, offset: number, length: number): IgmpQuery | DropReason {
  const code = buf[offset + 1];
  const group = readU32(buf, offset + 4);
  if (group !== 0 && !isMulticast(group)) return "group-not-multicast";
  if (length === IGMP_MINLEN) {
    return code === 0
      ? { type: "query", version: 1, group, maxRespTimeMs: 10_000 }
      : { type: "query", version: 2, group, maxRespTimeMs: code * 100 };
  }
  if (length < IGMP_V3_QUERY_MINLEN) return "bad-query-length";
  const flags = buf[offset + 8];
  const count = (buf[offset + 10] << 8) | buf[offset + 11];
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

function parseV3Report(
  buf: Uint8Array,
  offset: number,
  length: number,
): IgmpV3Report | DropReason {
  const count = (buf[offset + 6] << 8) | buf[offset + 7];
  // Every record takes at least 8 bytes: reject an impossible count before looping.
  if (IGMP_MINLEN + 8 * count > length) return "truncated-igmp";
  const end = offset + length;
  const records: GroupRecord[] = [];
  let at = offset + IGMP_MINLEN;
  for (let r = 0; r < count; r++) {
    if (at + 8 > end) return "truncated-igmp";
    const recordType = buf[at];
    const auxWords = buf[at + 1];
    const numSources = (buf[at + 2] << 8) | buf[at + 3];
    const size = 8 + 4 * numSources + 4 * auxWords;
    if (at + size > end) return "truncated-igmp";
    const group = readU32(buf, at + 4);
    if (!isMulticast(group)) return "group-not-multicast";
    if (recordType >= MODE_IS_INCLUDE && recordType <= BLOCK_OLD_SOURCES) {
      const sources = new Array<number>(numSources);
      for (let i = 0, s = at + 8; i < numSources; i++, s += 4) sources[i] = readU32(buf, s);
      records.push({ recordType: recordType as GroupRecordType, group, sources });
    }
    at += size;
  }
  return { type: "v3-report", records };
}

/**
 * Decodes an IPv4 packet carrying IGMP as read from a raw socket: the IP header (see
 * {@link decodeIPv4Header}), protocol 2, then the IGMP message up to Total Length (see
 * {@link decodeIgmp}). IGMPv1/v2 reports must be addressed to their group
 * ("report-group-mismatch"); leaves and IGMPv3 reports may go anywhere. TTL, Router Alert and
 * the source address are left for the caller to judge.
 *
 * @example
 * ```ts
 * import { decodeIgmpPacket } from "./igmp.ts";
 *
 * const buf = new Uint8Array(2048);
 * const length = 32; // from recvmsg
 * const r = decodeIgmpPacket(buf, length);
 * if (r.ok && r.value.igmp.type === "v2-report") console.log(r.value.igmp.group);
 * ```
 */
export function decodeIgmpPacket(buf: Uint8Array, length: number): Result<IgmpPacket> {
  const ip = decodeIPv4Header(buf, length);
  if (!ip.ok) return ip;
  const { headerLength, totalLength, protocol, destination } = ip.value;
  if (protocol !== IPPROTO_IGMP) return fail("not-igmp");
  const igmp = parseIgmp(buf, headerLength, totalLength - headerLength);
  if (typeof igmp === "string") return fail(igmp);
  if ((igmp.type === "v1-report" || igmp.type === "v2-report") && igmp.group !== destination) {
    return fail("report-group-mismatch");
  }
  return { ok: true, value: { ip: ip.value, igmp } };
}

/**
 * Encodes a Membership Query with its checksum. IGMPv2: Max Resp Code in tenths of a second,
 * clamped to 1..255. IGMPv3: tenths clamped to 1..{@link IGMP_FLOAT_MAX}, floating point from
 * 12.8 s; QQIC likewise in seconds. Throws RangeError past 65535 sources (a programming error).
 *
 * @example
 * ```ts
 * import { encodeQuery } from "./igmp.ts";
 *
 * // IGMPv2 general query, 10 s: 11 64 ee 9b 00 00 00 00
 * const q = encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 2 });
 * ```
 */
export function encodeQuery(opts: QueryOptions): Uint8Array {
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
  out[10] = sources.length >> 8;
  out[11] = sources.length & 0xff;
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
 * import { CHANGE_TO_EXCLUDE_MODE, encodeV3Report, type GroupRecord } from "./igmp.ts";
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
    size += 8 + 4 * r.sources.length;
  }
  const out = new Uint8Array(size);
  out[0] = IGMP_V3_MEMBERSHIP_REPORT;
  out[6] = records.length >> 8;
  out[7] = records.length & 0xff;
  let at = IGMP_MINLEN;
  for (const r of records) {
    out[at] = r.recordType;
    out[at + 2] = r.sources.length >> 8;
    out[at + 3] = r.sources.length & 0xff;
    writeU32(out, at + 4, r.group);
    at += 8;
    for (const s of r.sources) {
      writeU32(out, at, s);
      at += 4;
    }
  }
  return withChecksum(out);
}

function encodeSimple(type: number, group: number): Uint8Array {
  const out = new Uint8Array(IGMP_MINLEN);
  out[0] = type;
  writeU32(out, 4, group);
  return withChecksum(out);
}

function withChecksum(msg: Uint8Array): Uint8Array {
  const sum = internetChecksum(msg);
  msg[2] = sum >> 8;
  msg[3] = sum & 0xff;
  return msg;
}

function isMulticast(addr: number): boolean {
  return addr >>> 28 === 0xe;
}

/** Clamps `v` to `lo..hi`; NaN becomes `lo`. */
function clamp(v: number, lo: number, hi: number): number {
  return v >= lo ? (v > hi ? hi : v) : lo;
}

function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
}

function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}
