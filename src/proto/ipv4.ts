/**
 * The IPv4 header (RFC 791) as read from a raw socket, with the Router Alert option (RFC 2113).
 *
 * Wire bytes are big-endian; addresses are unsigned 32-bit numbers.
 *
 * @module
 */

import { internetChecksum } from "./checksum.ts";
import { fail, type Result } from "./result.ts";
import { readU16, readU32 } from "./wire.ts";

/** IP protocol number of IGMP. */
export const IPPROTO_IGMP = 2;

/** Router Alert option type: copied flag, class 0, number 20 (RFC 2113). */
export const IPOPT_RA = 148;

/** Length of an IPv4 header without options. */
export const IPV4_MIN_HEADER_LENGTH = 20;

/** The fields of an IPv4 header the proxy uses. */
export interface IPv4Header {
  /** Header length in bytes (IHL * 4), 20 to 60; the payload starts here. */
  headerLength: number;
  /** Total Length, header included; never more than the bytes read. */
  totalLength: number;
  /** Time to live. */
  ttl: number;
  /** Protocol number (2 for IGMP). */
  protocol: number;
  /** Source address. */
  source: number;
  /** Destination address. */
  destination: number;
  /** Whether the header carries a Router Alert option with value 0. */
  hasRouterAlert: boolean;
}

/**
 * Decodes and validates the IPv4 header at the start of `buf`, of which `length` bytes were
 * read: version 4, IHL at least 5 and within the bytes, header checksum, Total Length at least
 * the header and within the bytes, and well-formed options.
 *
 * Linux and OpenBSD raw sockets deliver Total Length in network byte order, as received. Bytes
 * past Total Length (link-layer padding) are ignored: `totalLength` is what the payload ends at.
 *
 * Kernel upcalls on the multicast routing socket (`igmpmsg`, byte 9 = 0) are not IP packets and
 * fail the checksum: tell them apart before calling this.
 *
 * @example
 * ```ts
 * import { decodeIPv4Header } from "./ipv4.ts";
 *
 * const pkt = new Uint8Array(64); // e.g. filled by recvmsg
 * const r = decodeIPv4Header(pkt, 32);
 * if (!r.ok) console.log(r.reason); // "bad-ip-version" for these zero bytes
 * ```
 */
export function decodeIPv4Header(buf: Uint8Array, length: number): Result<IPv4Header> {
  const n = Math.min(length, buf.length);
  if (n < IPV4_MIN_HEADER_LENGTH) return fail("truncated-ip");
  if (buf[0] >> 4 !== 4) return fail("bad-ip-version");
  const headerLength = (buf[0] & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_LENGTH) return fail("bad-ip-header-length");
  if (headerLength > n) return fail("truncated-ip");
  if (internetChecksum(buf, 0, headerLength) !== 0) return fail("bad-ip-checksum");
  const totalLength = readU16(buf, 2);
  if (totalLength < headerLength) return fail("bad-ip-total-length");
  if (totalLength > n) return fail("truncated-ip");
  const routerAlert = findRouterAlert(buf, headerLength);
  if (routerAlert < 0) return fail("bad-ip-options");
  return {
    ok: true,
    value: {
      headerLength,
      totalLength,
      ttl: buf[8],
      protocol: buf[9],
      source: readU32(buf, 12),
      destination: readU32(buf, 16),
      hasRouterAlert: routerAlert === 1,
    },
  };
}

/**
 * Walks the options between byte 20 and `headerLength`: 1 when a Router Alert with value 0 is
 * present (as Linux recognises it), 0 when not, -1 when an option is malformed.
 */
function findRouterAlert(buf: Uint8Array, headerLength: number): number {
  let found = 0;
  let i = IPV4_MIN_HEADER_LENGTH;
  while (i < headerLength) {
    const type = buf[i];
    if (type === 0) break; // End of Option List
    if (type === 1) { // No Operation
      i++;
      continue;
    }
    if (i + 1 >= headerLength) return -1;
    const len = buf[i + 1];
    if (len < 2 || i + len > headerLength) return -1;
    if (type === IPOPT_RA && len === 4 && buf[i + 2] === 0 && buf[i + 3] === 0) found = 1;
    i += len;
  }
  return found;
}
