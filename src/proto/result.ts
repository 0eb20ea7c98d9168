/**
 * The result of decoding bytes from the network: a value, or the reason the input was dropped.
 *
 * Decoders never throw on bad input. The runtime counts drops by {@link DropReason} and logs
 * them at debug level.
 *
 * @example
 * ```ts
 * import { fail, ok, type Result } from "./result.ts";
 *
 * function decodeByte(buf: Uint8Array): Result<number> {
 *   return buf.length < 1 ? fail("truncated-igmp") : ok(buf[0]);
 * }
 * ```
 *
 * @module
 */

/**
 * Why a packet was dropped by a decoder. One kebab-case string per distinct reason.
 *
 * - `truncated-ip`: fewer bytes than the IPv4 header, its IHL or its Total Length say.
 * - `bad-ip-version`: the version nibble is not 4.
 * - `bad-ip-header-length`: IHL below 5 (20 bytes).
 * - `bad-ip-checksum`: the IPv4 header checksum does not verify.
 * - `bad-ip-total-length`: Total Length smaller than the header.
 * - `bad-ip-options`: an IPv4 option runs past the header or has a length below 2.
 * - `not-igmp`: the IP protocol is not 2 (IGMP).
 * - `truncated-igmp`: fewer bytes than the IGMP message needs (below 8, or a source list or
 *   group record runs past the end).
 * - `bad-igmp-checksum`: the IGMP checksum over the whole message does not verify.
 * - `unknown-igmp-type`: a type this proxy does not handle (DVMRP, PIMv1, mtrace, ...).
 * - `bad-query-length`: a query of 9 to 11 bytes (RFC 3376 section 7.1: silently ignored).
 * - `group-not-multicast`: a group address that is neither multicast nor, in a query, 0.
 * - `report-group-mismatch`: an IGMPv1/v2 report whose IP destination is not its group.
 */
export type DropReason =
  | "truncated-ip"
  | "bad-ip-version"
  | "bad-ip-header-length"
  | "bad-ip-checksum"
  | "bad-ip-total-length"
  | "bad-ip-options"
  | "not-igmp"
  | "truncated-igmp"
  | "bad-igmp-checksum"
  | "unknown-igmp-type"
  | "bad-query-length"
  | "group-not-multicast"
  | "report-group-mismatch";

/** A decoded value, or the reason the input was dropped. */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: DropReason };

/** Wraps a decoded value. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** A drop with its reason; typed to fit any `Result<T>`. */
export function fail<T = never>(reason: DropReason): Result<T> {
  return { ok: false, reason };
}
