/**
 * MLD messages: MLDv1 (RFC 2710) and MLDv2 (RFC 3810) queries, reports and dones, decoded from
 * and encoded to wire bytes, with the checks RFC 2710 and RFC 3810 ask of a router.
 *
 * A raw ICMPv6 socket delivers the ICMPv6 message only, without the IPv6 header: the source
 * address comes from `msg_name`, the hop limit from an IPV6_HOPLIMIT control message and the
 * Router Alert option from an IPV6_HOPOPTS one (see {@link hasMldRouterAlert}). The kernel
 * verifies the ICMPv6 checksum before it delivers a message to a raw ICMPv6 socket and fills it
 * in when one is sent (RFC 3542 section 3.1), so decoders ignore it and encoders leave it 0.
 *
 * Addresses are 16-byte arrays in network order (see `parseIPv6` in addr.ts). Decoded addresses
 * are copies, never views into the receive buffer. Decoders return a {@link Result} and never
 * throw.
 *
 * @module
 */

import {
  equalIPv6,
  ipv6MulticastScope,
  isIPv6LinkLocalUnicast,
  isIPv6Multicast,
  isIPv6Unspecified,
} from "./addr.ts";
import { decodeFloatCode, encodeFloatCode } from "./igmp.ts";
import { type DropReason, fail, ok, type Result } from "./result.ts";

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
const MLD_V2_RECORD_MINLEN = 20;

/**
 * Largest Maximum Response Delay an MLDv2 Maximum Response Code carries, in milliseconds:
 * (0x0fff | 0x1000) << (7 + 3), about 2 h 20 min.
 */
export const MLD_MRC_MAX = 8_387_584;

/** Hop-by-hop option type Pad1: one byte, no length (RFC 8200 section 4.2). */
const IP6OPT_PAD1 = 0x00;
/** Hop-by-hop option type Router Alert (RFC 2711). */
export const IP6OPT_ROUTER_ALERT = 0x05;
/** Router Alert value: the datagram contains an MLD message (RFC 2711). */
export const IP6_ALERT_MLD = 0x0000;

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

/** What a raw ICMPv6 socket gave for one message, for {@link decodeMldPacket}. */
export interface MldPacketInput {
  /** IPv6 source address, from `msg_name`. */
  source: Uint8Array;
  /** IPv6 destination address (IPV6_PKTINFO), when known. */
  destination?: Uint8Array;
  /** IPv6 hop limit (IPV6_HOPLIMIT), when known. */
  hopLimit: number | undefined;
  /** Whether the hop-by-hop header carries Router Alert 0 (IPV6_HOPOPTS), when known. */
  routerAlert?: boolean;
  /** The ICMPv6 message from its first byte. */
  data: Uint8Array;
  /** Bytes of `data` received. */
  length: number;
}

/** A validated MLD message with the addresses it came with. */
export interface MldPacket {
  /** The IPv6 source: always link-local unicast. */
  source: Uint8Array;
  /** The IPv6 destination, when it was known. */
  destination?: Uint8Array;
  /** The MLD message. */
  mld: MldMessage;
}

/** Options of {@link encodeMldQuery}. */
export interface MldQueryOptions {
  /** `::` for a general query, else the multicast address queried. */
  group: Uint8Array;
  /** Maximum Response Delay in milliseconds; rounded and clamped per version. */
  maxRespDelayMs: number;
  /** MLDv1 (24 bytes) or MLDv2 (28 bytes and 16 per source). */
  version: 1 | 2;
  /** MLDv2: S flag. Default false. */
  suppressRouterSide?: boolean;
  /** MLDv2: Querier's Robustness Variable; above 7 is sent as 0 (RFC 3810 5.1.8). Default 2. */
  qrv?: number;
  /** MLDv2: Querier's Query Interval in seconds, encoded as QQIC. Default 125. */
  qqicSeconds?: number;
  /** MLDv2: sources of a multicast address and source specific query. Default none. */
  sources?: readonly Uint8Array[];
}

/**
 * Decodes an MLDv2 Maximum Response Code (RFC 3810 section 5.1.3) to milliseconds: below 32768
 * the code is the value, else `1 exp(3) mant(12)` means `(mant | 0x1000) << (exp + 3)`.
 *
 * @example
 * ```ts
 * import { decodeMldMaxRespCode } from "./mld.ts";
 *
 * decodeMldMaxRespCode(10_000); // 10 000 ms
 * decodeMldMaxRespCode(0x8000); // 32 768 ms: exp 0, mant 0 -> 0x1000 << 3
 * decodeMldMaxRespCode(0x9c40); // 115 712 ms: exp 1, mant 0xc40 -> 0x1c40 << 4
 * ```
 */
export function decodeMldMaxRespCode(code: number): number {
  if (code < 0x8000) return code;
  return ((code & 0x0fff) | 0x1000) << (((code >> 12) & 0x07) + 3);
}

/**
 * Encodes milliseconds as an MLDv2 Maximum Response Code, rounding down to the nearest
 * representable value, clamped to 0 .. {@link MLD_MRC_MAX}. Inverse of
 * {@link decodeMldMaxRespCode} on every value it returns.
 *
 * @example
 * ```ts
 * import { encodeMldMaxRespCode } from "./mld.ts";
 *
 * encodeMldMaxRespCode(10_000); // 10 000 (0x2710): linear below 32 768
 * encodeMldMaxRespCode(40_000); // 0x8388: exp 0, mant 0x388 -> 0x1388 << 3 = 40 000
 * encodeMldMaxRespCode(40_007); // 0x8388 too: rounded down to a multiple of 8
 * ```
 */
export function encodeMldMaxRespCode(ms: number): number {
  const v = clamp(Math.floor(ms), 0, MLD_MRC_MAX);
  if (v < 0x8000) return v;
  let exp = 0;
  while (v >> (exp + 3) > 0x1fff) exp++;
  return 0x8000 | (exp << 12) | ((v >> (exp + 3)) & 0x0fff);
}

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
 * The IPv6 source, hop limit and Router Alert are not in these bytes: see
 * {@link decodeMldPacket}.
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
 * Decodes an MLD message received on a raw ICMPv6 socket (see {@link decodeMld}) and applies
 * the checks RFC 2710 section 5 and RFC 3810 sections 5, 6.2 and 7.4 ask of a router:
 *
 * - the source is link-local unicast, fe80::/10 ("mld-source-not-link-local"); `::` is dropped
 *   too ("mld-source-unspecified"): RFC 3590 lets a host without a link-local address send
 *   reports and dones from `::`, and RFC 3810 section 5.2.13 has routers discard them;
 * - the hop limit, when known, is 1 ("bad-hop-limit");
 * - the Router Alert option, when known, is there ("missing-router-alert"); pass `undefined`
 *   when the hop-by-hop header was not read;
 * - an MLDv1 report sent to a multicast address must be sent to its own
 *   ("report-group-mismatch"); one sent to a unicast address (one of ours, or the kernel would
 *   not have delivered it) is accepted, as RFC 3810 section 5.2.14 asks. Dones and MLDv2
 *   reports may go anywhere; queries too (the Linux bridge sends MLDv1 multicast address
 *   specific queries to ff02::1).
 *
 * A message of another ICMPv6 type is "not-mld" before anything else is looked at. Telling our
 * own messages apart is left to the caller.
 *
 * @example
 * ```ts
 * import { decodeMldPacket, hasMldRouterAlert } from "./mld.ts";
 *
 * const data = new Uint8Array(1500); // filled by recvmsg
 * const r = decodeMldPacket({
 *   source: new Uint8Array(16), // from msg_name
 *   destination: undefined, // from IPV6_PKTINFO
 *   hopLimit: 1, // from IPV6_HOPLIMIT
 *   routerAlert: hasMldRouterAlert(new Uint8Array([58, 0, 5, 2, 0, 0, 1, 0])), // IPV6_HOPOPTS
 *   data,
 *   length: 24,
 * });
 * if (!r.ok) console.log(r.reason); // "not-mld" for these zero bytes
 * ```
 */
export function decodeMldPacket(input: MldPacketInput): Result<MldPacket> {
  const { source, destination, hopLimit, routerAlert, data, length } = input;
  if (length < 1 || length > data.length) return fail("truncated-mld");
  if (!isMldType(data[0])) return fail("not-mld");
  if (isIPv6Unspecified(source)) return fail("mld-source-unspecified");
  if (source.length !== 16 || !isIPv6LinkLocalUnicast(source)) {
    return fail("mld-source-not-link-local");
  }
  if (hopLimit !== undefined && hopLimit !== 1) return fail("bad-hop-limit");
  if (routerAlert === false) return fail("missing-router-alert");
  const mld = parseMld(data, 0, length);
  if (typeof mld === "string") return fail(mld);
  if (
    mld.type === "v1-report" && destination !== undefined && isIPv6Multicast(destination) &&
    !equalIPv6(destination, mld.group)
  ) {
    return fail("report-group-mismatch");
  }
  const value: MldPacket = { source: source.slice(), mld };
  if (destination !== undefined) value.destination = destination.slice();
  return ok(value);
}

/**
 * Whether an IPv6 hop-by-hop options header, as IPV6_RECVHOPOPTS delivers it (the whole header,
 * Next Header and Hdr Ext Len included), carries a Router Alert option with value 0, MLD
 * (RFC 2711). A malformed header has none.
 *
 * @example
 * ```ts
 * import { hasMldRouterAlert } from "./mld.ts";
 *
 * // Linux hosts' reports: next header 58, length 0 (8 bytes), Router Alert 0, PadN.
 * hasMldRouterAlert(new Uint8Array([58, 0, 5, 2, 0, 0, 1, 0])); // true
 * ```
 */
export function hasMldRouterAlert(hopByHop: Uint8Array): boolean {
  if (hopByHop.length < 8) return false;
  const end = (hopByHop[1] + 1) * 8;
  if (end > hopByHop.length) return false;
  for (let at = 2; at < end;) {
    const type = hopByHop[at];
    if (type === IP6OPT_PAD1) {
      at++;
      continue;
    }
    if (at + 2 > end) return false;
    const len = hopByHop[at + 1];
    if (at + 2 + len > end) return false;
    if (type === IP6OPT_ROUTER_ALERT && len === 2 && readU16(hopByHop, at + 2) === IP6_ALERT_MLD) {
      return true;
    }
    at += 2 + len;
  }
  return false;
}

/**
 * Whether a multicast address may be proxied: its scope (RFC 4291 section 2.7, whatever the
 * flags) is wider than link-local. Reserved (0), interface-local (ff01::/16) and link-local
 * (ff02::/16, solicited-node ff02::1:ff00:0/104 included) addresses are never proxied upstream
 * nor routed; realm-local (3) and wider are, the reserved scope 0xf being treated as global
 * (RFC 4291). Anything not multicast is not proxiable.
 *
 * @example
 * ```ts
 * import { parseIPv6 } from "./addr.ts";
 * import { isMldProxiableGroup } from "./mld.ts";
 *
 * isMldProxiableGroup(parseIPv6("ff3e::8000:1")!); // true: SSM, global scope
 * isMldProxiableGroup(parseIPv6("ff02::1:ff6b:4aba")!); // false: solicited-node, link-local
 * ```
 */
export function isMldProxiableGroup(group: Uint8Array): boolean {
  const scope = ipv6MulticastScope(group);
  return group.length === 16 && scope !== undefined && scope > 2;
}

/**
 * Encodes a Multicast Listener Query with its checksum field 0: the kernel computes the ICMPv6
 * checksum, which covers an IPv6 pseudo-header, for raw ICMPv6 sockets. MLDv1: Maximum Response
 * Delay in milliseconds clamped to 1..65535. MLDv2: milliseconds clamped to
 * 1..{@link MLD_MRC_MAX}, floating point from 32 768 ms; QQIC in seconds as in IGMPv3. Send it
 * with hop limit 1 and Router Alert to ff02::1 (general) or to the group. Throws RangeError for
 * an address that is not 16 bytes or past 65535 sources (programming errors).
 *
 * @example
 * ```ts
 * import { encodeMldQuery, IN6ADDR_ANY } from "./mld.ts";
 *
 * // MLDv2 general query, 10 s, QRV 2, QQIC 125 s: 82 00 00 00 27 10 00 00, ::, 02 7d 00 00
 * const q = encodeMldQuery({ group: IN6ADDR_ANY, maxRespDelayMs: 10_000, version: 2 });
 * ```
 */
export function encodeMldQuery(opts: MldQueryOptions): Uint8Array {
  checkAddress(opts.group);
  const ms = Math.round(opts.maxRespDelayMs);
  if (opts.version === 1) {
    const out = new Uint8Array(MLD_MINLEN);
    out[0] = MLD_LISTENER_QUERY;
    writeU16(out, 4, clamp(ms, 1, 0xffff));
    out.set(opts.group, 8);
    return out;
  }
  const sources = opts.sources ?? [];
  if (sources.length > 0xffff) throw new RangeError(`Too many query sources: ${sources.length}`);
  const out = new Uint8Array(MLD_V2_QUERY_MINLEN + 16 * sources.length);
  out[0] = MLD_LISTENER_QUERY;
  writeU16(out, 4, encodeMldMaxRespCode(clamp(ms, 1, MLD_MRC_MAX)));
  out.set(opts.group, 8);
  const qrv = opts.qrv ?? 2;
  out[24] = (opts.suppressRouterSide ? 0x08 : 0) |
    (Number.isInteger(qrv) && qrv >= 0 && qrv <= 7 ? qrv : 0);
  out[25] = encodeFloatCode(opts.qqicSeconds ?? 125);
  writeU16(out, 26, sources.length);
  for (let i = 0; i < sources.length; i++) {
    checkAddress(sources[i]);
    out.set(sources[i], MLD_V2_QUERY_MINLEN + 16 * i);
  }
  return out;
}

/**
 * Encodes an MLDv1 Multicast Listener Report for `group`, checksum field 0; send it to the
 * group. Throws RangeError when `group` is not 16 bytes.
 *
 * @example
 * ```ts
 * import { parseIPv6 } from "./addr.ts";
 * import { encodeMldV1Report } from "./mld.ts";
 *
 * const r = encodeMldV1Report(parseIPv6("ff05::db8:1")!); // 24 bytes: 83 00 00 00 ...
 * ```
 */
export function encodeMldV1Report(group: Uint8Array): Uint8Array {
  return encodeSimple(MLD_LISTENER_REPORT, group);
}

/**
 * Encodes an MLDv1 Multicast Listener Done for `group`, checksum field 0; send it to ff02::2.
 * Throws RangeError when `group` is not 16 bytes.
 *
 * @example
 * ```ts
 * import { parseIPv6 } from "./addr.ts";
 * import { encodeMldDone } from "./mld.ts";
 *
 * const d = encodeMldDone(parseIPv6("ff05::db8:1")!); // 24 bytes: 84 00 00 00 ...
 * ```
 */
export function encodeMldDone(group: Uint8Array): Uint8Array {
  return encodeSimple(MLD_LISTENER_DONE, group);
}

/**
 * Encodes an MLDv2 Multicast Listener Report (send it to ff02::16) with no auxiliary data,
 * checksum field 0. Throws RangeError past 65535 records or sources, or for an address that is
 * not 16 bytes (programming errors).
 *
 * @example
 * ```ts
 * import { parseIPv6 } from "./addr.ts";
 * import { encodeMldV2Report, MLD_CHANGE_TO_EXCLUDE_MODE } from "./mld.ts";
 *
 * // Listen to ff05::db8:1 from any source: one TO_EX {} record, 28 bytes.
 * const r = encodeMldV2Report([
 *   { recordType: MLD_CHANGE_TO_EXCLUDE_MODE, group: parseIPv6("ff05::db8:1")!, sources: [] },
 * ]);
 * ```
 */
export function encodeMldV2Report(records: readonly MulticastAddressRecord[]): Uint8Array {
  if (records.length > 0xffff) {
    throw new RangeError(`Too many multicast address records: ${records.length}`);
  }
  let size = MLD_V2_REPORT_MINLEN;
  for (const r of records) {
    if (r.sources.length > 0xffff) {
      throw new RangeError(`Too many record sources: ${r.sources.length}`);
    }
    checkAddress(r.group);
    for (const s of r.sources) checkAddress(s);
    size += MLD_V2_RECORD_MINLEN + 16 * r.sources.length;
  }
  const out = new Uint8Array(size);
  out[0] = MLDV2_LISTENER_REPORT;
  writeU16(out, 6, records.length);
  let at = MLD_V2_REPORT_MINLEN;
  for (const r of records) {
    out[at] = r.recordType;
    writeU16(out, at + 2, r.sources.length);
    out.set(r.group, at + 4);
    at += MLD_V2_RECORD_MINLEN;
    for (const s of r.sources) {
      out.set(s, at);
      at += 16;
    }
  }
  return out;
}

function encodeSimple(type: number, group: Uint8Array): Uint8Array {
  checkAddress(group);
  const out = new Uint8Array(MLD_MINLEN);
  out[0] = type;
  out.set(group, 8);
  return out;
}

function isMldType(type: number): boolean {
  return type === MLD_LISTENER_QUERY || type === MLD_LISTENER_REPORT ||
    type === MLD_LISTENER_DONE || type === MLDV2_LISTENER_REPORT;
}

/** Throws RangeError unless `addr` has the 16 bytes of an IPv6 address. */
function checkAddress(addr: Uint8Array): void {
  if (addr.length !== 16) throw new RangeError(`IPv6 address must be 16 bytes: ${addr.length}`);
}

/** ff02::`last`, a link-scope multicast address. */
function linkScopeGroup(last: number): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = 0xff;
  out[1] = 0x02;
  out[15] = last;
  return out;
}

/** Clamps `v` to `lo..hi`; NaN becomes `lo`. */
function clamp(v: number, lo: number, hi: number): number {
  return v >= lo ? (v > hi ? hi : v) : lo;
}

/** A copy of the 16 bytes at `at`. */
function readIPv6(buf: Uint8Array, at: number): Uint8Array {
  return buf.slice(at, at + 16);
}

function readU16(buf: Uint8Array, at: number): number {
  return (buf[at] << 8) | buf[at + 1];
}

function writeU16(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >> 8;
  buf[at + 1] = v & 0xff;
}
