/**
 * MLD messages: MLDv1 (RFC 2710) and MLDv2 (RFC 3810) queries, reports and dones as they are on
 * the wire, and the decoder that reads and checks them. Encoders are in mld_encode.ts; what the
 * socket tells beside the message (source, hop limit, Router Alert) is judged by mld_packet.ts.
 *
 * A raw ICMPv6 socket delivers the ICMPv6 message only, without the IPv6 header. The kernel
 * verifies the ICMPv6 checksum before it delivers a message to a raw ICMPv6 socket and fills it
 * in when one is sent (RFC 3542 section 3.1), so decoders ignore it and encoders leave it 0.
 *
 * Addresses are 16-byte arrays in network order (see `parseIPv6` in addr.ts). Decoded addresses
 * are copies, never views into the receive buffer. Decoders return a {@link Result} and never
 * throw.
 *
 * @module
 */

import { isIPv6Multicast, isIPv6Unspecified } from "./addr.ts";
import { decodeFloatCode, decodeMldMaxRespCode } from "./float_code.ts";
import { type DropReason, fail, ok, type Result } from "./result.ts";
import { readU16 } from "./wire.ts";

/** Multicast Listener Query, MLDv1 and MLDv2 (ICMPv6 type 130). */
export const MLD_LISTENER_QUERY = 130;
/** MLDv1 Multicast Listener Report (ICMPv6 type 131). */
export const MLD_LISTENER_REPORT = 131;
/** MLDv1 Multicast Listener Done (ICMPv6 type 132). */
export const MLD_LISTENER_DONE = 132;
/** MLDv2 Multicast Listener Report (ICMPv6 type 143). */
export const MLDV2_LISTENER_REPORT = 143;

/** MLDv2 record type: current state, filter mode INCLUDE. */
export const MLD_MODE_IS_INCLUDE = 1;
/** MLDv2 record type: current state, filter mode EXCLUDE. */
export const MLD_MODE_IS_EXCLUDE = 2;
/** MLDv2 record type: filter mode changed to INCLUDE. */
export const MLD_CHANGE_TO_INCLUDE_MODE = 3;
/** MLDv2 record type: filter mode changed to EXCLUDE. */
export const MLD_CHANGE_TO_EXCLUDE_MODE = 4;
/** MLDv2 record type: sources added. */
export const MLD_ALLOW_NEW_SOURCES = 5;
/** MLDv2 record type: sources removed. */
export const MLD_BLOCK_OLD_SOURCES = 6;

/** Length of MLDv1 messages: the shortest valid MLD query, report or done (RFC 2710 section 5). */
export const MLD_MINLEN = 24;
/** Length of an MLDv2 query without sources. */
export const MLD_V2_QUERY_MINLEN = 28;
/** Length of the fixed part of an MLDv2 report, before its multicast address records. */
export const MLD_V2_REPORT_MINLEN = 8;
/** Length of a multicast address record without sources or auxiliary data. */
/** Length of a multicast address record without sources or auxiliary data. */
export const MLD_V2_RECORD_MINLEN = 20;

/** `::`, the Multicast Address of a general query. Shared: never modify it. */
export const IN6ADDR_ANY: Uint8Array = new Uint8Array(16);
/** ff02::1, link-scope all-nodes: general queries go here. Shared: never modify it. */
export const IN6ADDR_LINKLOCAL_ALLNODES: Uint8Array = linkScopeGroup(0x01);
/** ff02::2, link-scope all-routers: dones go here. Shared: never modify it. */
export const IN6ADDR_LINKLOCAL_ALLROUTERS: Uint8Array = linkScopeGroup(0x02);
/** ff02::16, all MLDv2-capable routers: MLDv2 reports go here. Shared: never modify it. */
export const IN6ADDR_LINKLOCAL_ALLV2ROUTERS: Uint8Array = linkScopeGroup(0x16);

/** A Multicast Listener Query. MLDv2 fields are present only when `version` is 2. */
export interface MldQuery {
  /** Discriminant. */
  type: "query";
  /** By RFC 3810 section 8.1: 24 bytes -> 1; 28 or more -> 2. */
  version: 1 | 2;
  /** `::` for a general query, else the multicast address queried. */
  group: Uint8Array;
  /** Maximum Response Delay in milliseconds (MLDv2: decoded from Maximum Response Code). */
  maxRespDelayMs: number;
  /** MLDv2: S flag, suppress router-side processing. */
  suppressRouterSide?: boolean;
  /** MLDv2: Querier's Robustness Variable, 0 to 7 (0: above 7 or unset). */
  qrv?: number;
  /** MLDv2: Querier's Query Interval in seconds, decoded from QQIC. */
  qqicSeconds?: number;
  /** MLDv2: the sources of a multicast address and source specific query. */
  sources?: Uint8Array[];
}

/** An MLDv1 Multicast Listener Report. */
export interface MldV1Report {
  /** Discriminant. */
  type: "v1-report";
  /** The multicast address reported. */
  group: Uint8Array;
}

/** An MLDv1 Multicast Listener Done. */
export interface MldDone {
  /** Discriminant. */
  type: "done";
  /** The multicast address no longer listened to. */
  group: Uint8Array;
}

/** MLDv2 record type, MLD_MODE_IS_INCLUDE (1) to MLD_BLOCK_OLD_SOURCES (6). */
export type MldRecordType = 1 | 2 | 3 | 4 | 5 | 6;

/** One multicast address record of an MLDv2 report. */
export interface MulticastAddressRecord {
  /** MLD_MODE_IS_INCLUDE .. MLD_BLOCK_OLD_SOURCES. */
  recordType: MldRecordType;
  /** The multicast address. */
  group: Uint8Array;
  /** The record's sources, in wire order. */
  sources: Uint8Array[];
}

/**
 * An MLDv2 Multicast Listener Report; records of unknown types are left out (RFC 3810 section
 * 5.2.12, RFC 9777 section 5.2.13).
 */
export interface MldV2Report {
  /** Discriminant. */
  type: "v2-report";
  /** The multicast address records of known types, in wire order. */
  records: MulticastAddressRecord[];
}

/** Any MLD message the proxy handles. */
export type MldMessage = MldQuery | MldV1Report | MldDone | MldV2Report;

/**
 * Decodes and validates the MLD message of `length` bytes at `offset` of `buf` (the ICMPv6
 * message as a raw ICMPv6 socket delivers it): an MLD type ("not-mld" for any other ICMPv6
 * type, and for the multicast routing socket's upcalls, whose first byte is 0), at least 24
 * bytes (8 for an MLDv2 report), query version by length (RFC 3810 section 8.1: 25 to 27 bytes
 * are ignored), multicast addresses multicast (or `::` in a query), every MLDv2 source list and
 * multicast address record within the message. Bytes past a message's known fields are ignored
 * (RFC 2710 section 3.7, RFC 3810 sections 5.1.12 and 5.2.11). The checksum is not checked:
 * the kernel has. Work is bounded by the bytes present, whatever counts the message claims.
 *
 * The IPv6 source, hop limit and Router Alert are not in these bytes: see `decodeMldPacket` in
 * mld_packet.ts.
 *
 * @example
 * ```ts
 * import { decodeMld } from "./mld.ts";
 *
 * // MLDv1 Done for ff05::db8:1, as Linux sends it.
 * const done = new Uint8Array(24);
 * done.set([132, 0, 0xe5, 0xe6]); // type, code, checksum
 * done.set([0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0d, 0xb8, 0, 1], 8);
 * const r = decodeMld(done, 0, done.length);
 * // r: { ok: true, value: { type: "done", group: Uint8Array [0xff, 0x05, ...] } }
 * ```
 */
export function decodeMld(buf: Uint8Array, offset: number, length: number): Result<MldMessage> {
  const m = parseMld(buf, offset, length);
  return typeof m === "string" ? fail(m) : ok(m);
}

/** {@link decodeMld} without the result wrapper: the message, or why it was dropped. */
function parseMld(buf: Uint8Array, offset: number, length: number): MldMessage | DropReason {
  if (length < 1 || offset < 0 || offset + length > buf.length) return "truncated-mld";
  const type = buf[offset];
  switch (type) {
    case MLD_LISTENER_QUERY:
      return parseQuery(buf, offset, length);
    case MLD_LISTENER_REPORT:
    case MLD_LISTENER_DONE: {
      if (length < MLD_MINLEN) return "truncated-mld";
      if (buf[offset + 8] !== 0xff) return "group-not-multicast";
      const group = readIPv6(buf, offset + 8);
      return { type: type === MLD_LISTENER_REPORT ? "v1-report" : "done", group };
    }
    case MLDV2_LISTENER_REPORT:
      return parseV2Report(buf, offset, length);
    default:
      return "not-mld";
  }
}

/** A Multicast Listener Query; its version by its length (RFC 3810 section 8.1). */
function parseQuery(buf: Uint8Array, offset: number, length: number): MldQuery | DropReason {
  if (length < MLD_MINLEN) return "truncated-mld";
  if (length < MLD_V2_QUERY_MINLEN && length > MLD_MINLEN) return "bad-mld-query-length";
  const code = readU16(buf, offset + 4);
  const group = readIPv6(buf, offset + 8);
  if (!isIPv6Multicast(group) && !isIPv6Unspecified(group)) return "group-not-multicast";
  if (length === MLD_MINLEN) return { type: "query", version: 1, group, maxRespDelayMs: code };
  const flags = buf[offset + 24];
  const count = readU16(buf, offset + 26);
  if (MLD_V2_QUERY_MINLEN + 16 * count > length) return "truncated-mld";
  const sources = new Array<Uint8Array>(count);
  for (let i = 0, at = offset + MLD_V2_QUERY_MINLEN; i < count; i++, at += 16) {
    sources[i] = readIPv6(buf, at);
  }
  return {
    type: "query",
    version: 2,
    group,
    maxRespDelayMs: decodeMldMaxRespCode(code),
    suppressRouterSide: (flags & 0x08) !== 0,
    qrv: flags & 0x07,
    qqicSeconds: decodeFloatCode(buf[offset + 25]),
    sources,
  };
}

/** An MLDv2 report: its multicast address records, each within the message. */
function parseV2Report(buf: Uint8Array, offset: number, length: number): MldV2Report | DropReason {
  if (length < MLD_V2_REPORT_MINLEN) return "truncated-mld";
  const count = readU16(buf, offset + 6);
  // Every record takes at least 20 bytes: reject an impossible count before looping.
  if (MLD_V2_REPORT_MINLEN + MLD_V2_RECORD_MINLEN * count > length) return "truncated-mld";
  const end = offset + length;
  const records: MulticastAddressRecord[] = [];
  let at = offset + MLD_V2_REPORT_MINLEN;
  for (let r = 0; r < count; r++) {
    if (at + MLD_V2_RECORD_MINLEN > end) return "truncated-mld";
    const recordType = buf[at];
    const auxWords = buf[at + 1];
    const numSources = readU16(buf, at + 2);
    const size = MLD_V2_RECORD_MINLEN + 16 * numSources + 4 * auxWords;
    if (at + size > end) return "truncated-mld";
    if (buf[at + 4] !== 0xff) return "group-not-multicast";
    if (recordType >= MLD_MODE_IS_INCLUDE && recordType <= MLD_BLOCK_OLD_SOURCES) {
      const sources = new Array<Uint8Array>(numSources);
      for (let i = 0, s = at + MLD_V2_RECORD_MINLEN; i < numSources; i++, s += 16) {
        sources[i] = readIPv6(buf, s);
      }
      records.push({
        recordType: recordType as MldRecordType,
        group: readIPv6(buf, at + 4),
        sources,
      });
    }
    at += size;
  }
  return { type: "v2-report", records };
}

/**
 * Whether an ICMPv6 type is one of MLD's: a query, an MLDv1 report or done, an MLDv2 report.
 *
 * @example
 * ```ts
 * import { isMldType, MLD_LISTENER_DONE } from "./mld.ts";
 *
 * isMldType(MLD_LISTENER_DONE); // true
 * isMldType(135); // false: a neighbor solicitation
 * ```
 */
export function isMldType(type: number): boolean {
  return type === MLD_LISTENER_QUERY || type === MLD_LISTENER_REPORT ||
    type === MLD_LISTENER_DONE || type === MLDV2_LISTENER_REPORT;
}

/** A copy of the 16 bytes at `at`. */
function readIPv6(buf: Uint8Array, at: number): Uint8Array {
  return buf.slice(at, at + 16);
}

/** ff02::`last`, a link-scope multicast address. */
function linkScopeGroup(last: number): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = 0xff;
  out[1] = 0x02;
  out[15] = last;
  return out;
}
