/**
 * MLD encoders: the queries, reports and dones the proxy sends, as wire bytes (see mld.ts for
 * the messages and their decoder).
 *
 * The checksum field is left 0: the kernel computes the ICMPv6 checksum, which covers an IPv6
 * pseudo-header, for raw ICMPv6 sockets (RFC 3542 section 3.1). Encoders throw RangeError only
 * for a programming error: an address that is not 16 bytes, a list longer than its 16-bit count.
 *
 * @module
 */

import { encodeFloatCode, encodeMldMaxRespCode, MLD_MRC_MAX } from "./float_code.ts";
import {
  MLD_LISTENER_DONE,
  MLD_LISTENER_QUERY,
  MLD_LISTENER_REPORT,
  MLD_MINLEN,
  MLD_V2_QUERY_MINLEN,
  MLD_V2_RECORD_MINLEN,
  MLD_V2_REPORT_MINLEN,
  MLDV2_LISTENER_REPORT,
  type MulticastAddressRecord,
} from "./mld.ts";
import { clamp, writeU16 } from "./wire.ts";

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
 * Encodes a Multicast Listener Query with its checksum field 0: the kernel computes the ICMPv6
 * checksum, which covers an IPv6 pseudo-header, for raw ICMPv6 sockets. MLDv1: Maximum Response
 * Delay in milliseconds clamped to 1..65535. MLDv2: milliseconds clamped to
 * 1..{@link MLD_MRC_MAX}, floating point from 32 768 ms; QQIC in seconds as in IGMPv3. Send it
 * with hop limit 1 and Router Alert to ff02::1 (general) or to the group. Throws RangeError for
 * an address that is not 16 bytes or past 65535 sources (programming errors).
 *
 * @example
 * ```ts
 * import { IN6ADDR_ANY } from "./mld.ts";
 * import { encodeMldQuery } from "./mld_encode.ts";
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
 * import { encodeMldV1Report } from "./mld_encode.ts";
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
 * import { encodeMldDone } from "./mld_encode.ts";
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
 * import { MLD_CHANGE_TO_EXCLUDE_MODE } from "./mld.ts";
 * import { encodeMldV2Report } from "./mld_encode.ts";
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

/** The 24 bytes of an MLDv1 report or done: type, zeros, the multicast address. */
function encodeSimple(type: number, group: Uint8Array): Uint8Array {
  checkAddress(group);
  const out = new Uint8Array(MLD_MINLEN);
  out[0] = type;
  out.set(group, 8);
  return out;
}

/** Throws RangeError unless `addr` has the 16 bytes of an IPv6 address. */
function checkAddress(addr: Uint8Array): void {
  if (addr.length !== 16) throw new RangeError(`IPv6 address must be 16 bytes: ${addr.length}`);
}
