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
 * - `group-not-multicast`: a group address that is neither multicast nor, in a query, 0 (IGMP)
 *   or `::` (MLD).
 * - `report-group-mismatch`: an IGMPv1/v2 report whose IP destination is not its group, or an
 *   MLDv1 report sent to another multicast address.
 * - `not-mld`: an ICMPv6 message of a type other than 130, 131, 132 and 143 (neighbor discovery,
 *   multicast router discovery, a kernel upcall, ...).
 * - `truncated-mld`: fewer bytes than the MLD message needs (below 24, below 8 for an MLDv2
 *   report, or a source list or multicast address record runs past the end).
 * - `bad-mld-query-length`: a query of 25 to 27 bytes (RFC 3810 section 8.1: silently ignored).
 * - `mld-source-unspecified`: an MLD message from `::`, which routers discard (RFC 3810 sections
 *   5.1.14 and 5.2.13; RFC 3590 allows it only while a host has no link-local address).
 * - `mld-source-not-link-local`: an MLD message from an address outside fe80::/10.
 * - `bad-hop-limit`: an MLD message with an IPv6 hop limit other than 1.
 * - `missing-router-alert`: an MLD message without a Router Alert option of value 0 in its
 *   hop-by-hop header (RFC 3810 sections 6.2 and 7.4).
 * - `igmpv3-bad-ttl`: an IGMPv3 report or query with an IPv4 TTL other than 1 (RFC 3376
 *   sections 4 and 9: every IGMPv3 message is sent with TTL 1; IGMPv1/v2 ones are not judged).
 * - `igmpv3-missing-router-alert`: an IGMPv3 report or query without an IPv4 Router Alert option
 *   of value 0 (RFC 3376 sections 4 and 9, RFC 2113; IGMPv1/v2 ones are not judged).
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
  | "report-group-mismatch"
  | "not-mld"
  | "truncated-mld"
  | "bad-mld-query-length"
  | "mld-source-unspecified"
  | "mld-source-not-link-local"
  | "bad-hop-limit"
  | "missing-router-alert"
  | "igmpv3-bad-ttl"
  | "igmpv3-missing-router-alert";

/** Every {@link DropReason}, once (the type checks that none is missing). */
const EVERY_DROP_REASON: Record<DropReason, true> = {
  "truncated-ip": true,
  "bad-ip-version": true,
  "bad-ip-header-length": true,
  "bad-ip-checksum": true,
  "bad-ip-total-length": true,
  "bad-ip-options": true,
  "not-igmp": true,
  "truncated-igmp": true,
  "bad-igmp-checksum": true,
  "unknown-igmp-type": true,
  "bad-query-length": true,
  "group-not-multicast": true,
  "report-group-mismatch": true,
  "not-mld": true,
  "truncated-mld": true,
  "bad-mld-query-length": true,
  "mld-source-unspecified": true,
  "mld-source-not-link-local": true,
  "bad-hop-limit": true,
  "missing-router-alert": true,
  "igmpv3-bad-ttl": true,
  "igmpv3-missing-router-alert": true,
};

/**
 * The {@link DropReason}s in the order the type lists them, so that counters can show every
 * reason, those never counted too.
 */
export const DROP_REASONS: readonly DropReason[] = Object.freeze(
  Object.keys(EVERY_DROP_REASON) as DropReason[],
);

/**
 * A decoded value, or the reason the input was dropped. `R` is the family of reasons: the
 * proxy's {@link DropReason}s unless a decoder keeps its own (DVMRP's, in dvmrp.ts).
 */
export type Result<T, R extends string = DropReason> =
  | { ok: true; value: T }
  | { ok: false; reason: R };

/** Wraps a decoded value. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** A drop with its reason; typed to fit any `Result<T>`. */
export function fail<T = never>(reason: DropReason): Result<T> {
  return { ok: false, reason };
}
