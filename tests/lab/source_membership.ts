/**
 * Source-specific memberships of a lab host (RFC 3678 §5.2, the protocol-independent calls a
 * stock Linux host makes for IGMPv3/MLDv2 source filters): `MCAST_JOIN_SOURCE_GROUP` and
 * `MCAST_LEAVE_SOURCE_GROUP` for INCLUDE mode, `MCAST_BLOCK_SOURCE` and `MCAST_UNBLOCK_SOURCE`
 * on an any-source membership for EXCLUDE mode. One `struct group_source_req` serves both
 * families; the socket's level (`IPPROTO_IP` or `IPPROTO_IPV6`) follows the group's family.
 *
 * The daemon's own socket-filter structs live in `ffi/`; this is the lab hosts' side, written
 * from `<linux/in.h>` and `<bits/in.h>` so that the tests check the daemon against an
 * independent encoding.
 *
 * @module
 */

import { AF_INET, AF_INET6 } from "../../ffi/linux_constants.ts";
import { parseIPv4, parseIPv6 } from "../../src/proto/addr.ts";

/** `<linux/in.h>`: block a source of an any-source membership (EXCLUDE mode). */
export const MCAST_BLOCK_SOURCE = 43;
/** `<linux/in.h>`: unblock a source blocked with {@link MCAST_BLOCK_SOURCE}. */
export const MCAST_UNBLOCK_SOURCE = 44;
/** `<linux/in.h>`: add a source to an INCLUDE-mode membership (creating it if needed). */
export const MCAST_JOIN_SOURCE_GROUP = 46;
/** `<linux/in.h>`: drop a source of an INCLUDE-mode membership (the last one ends it). */
export const MCAST_LEAVE_SOURCE_GROUP = 47;

/**
 * `sizeof(struct group_source_req)` on 64-bit Linux: `gsr_interface` (u32) @0, then two
 * `struct __kernel_sockaddr_storage` (128 bytes, 8-byte aligned), the group @8 and the
 * source @136.
 */
export const SIZEOF_GROUP_SOURCE_REQ = 264;

/** What a host does to one source of a group. */
export type SourceOp = "join-source" | "leave-source" | "block" | "unblock";

/** The socket option of each {@link SourceOp}, with its C name for error messages. */
export const SOURCE_OPS: Readonly<Record<SourceOp, { option: number; name: string }>> = {
  "join-source": { option: MCAST_JOIN_SOURCE_GROUP, name: "MCAST_JOIN_SOURCE_GROUP" },
  "leave-source": { option: MCAST_LEAVE_SOURCE_GROUP, name: "MCAST_LEAVE_SOURCE_GROUP" },
  "block": { option: MCAST_BLOCK_SOURCE, name: "MCAST_BLOCK_SOURCE" },
  "unblock": { option: MCAST_UNBLOCK_SOURCE, name: "MCAST_UNBLOCK_SOURCE" },
};

/** Whether a word is a {@link SourceOp}. */
export function isSourceOp(word: string): word is SourceOp {
  return Object.hasOwn(SOURCE_OPS, word);
}

/** Writes a `sockaddr_in` or `sockaddr_in6` (port 0) for `address` at `offset`. */
function writeSockaddr(out: Uint8Array, offset: number, address: string, little: boolean): void {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const a4 = parseIPv4(address);
  if (a4 !== undefined) {
    v.setUint16(offset, AF_INET, little); // sin_family, host order
    v.setUint32(offset + 4, a4, false); // sin_addr, network order
    return;
  }
  const a6 = parseIPv6(address);
  if (a6 === undefined) throw new Error(`Bad address "${address}"`);
  v.setUint16(offset, AF_INET6, little); // sin6_family, host order
  out.set(a6, offset + 8); // sin6_addr after port and flowinfo
}

/**
 * `struct group_source_req` for a group and source of one family on interface `ifindex`.
 * Throws when the addresses are not of one family.
 *
 * @example
 * ```ts
 * const req = encodeGroupSourceReq({ ifindex: 2, group: "232.1.1.1", source: "10.0.0.2" });
 * // req[0..4] = 02 00 00 00; req[8..10] = 02 00 (AF_INET); req[12..16] = e8 01 01 01
 * ```
 */
export function encodeGroupSourceReq(
  req: { ifindex: number; group: string; source: string },
  littleEndian = true,
): Uint8Array {
  if (req.group.includes(":") !== req.source.includes(":")) {
    throw new Error(`Group "${req.group}" and source "${req.source}" differ in family`);
  }
  const out = new Uint8Array(SIZEOF_GROUP_SOURCE_REQ);
  new DataView(out.buffer).setUint32(0, req.ifindex >>> 0, littleEndian);
  writeSockaddr(out, 8, req.group, littleEndian);
  writeSockaddr(out, 136, req.source, littleEndian);
  return out;
}
