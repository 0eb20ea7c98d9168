/**
 * The Internet checksum (RFC 1071), used by the IPv4 header and IGMP.
 *
 * @module
 */

/**
 * The 16-bit ones' complement of the ones' complement sum of `length` bytes of `bytes` from
 * `offset`, read as big-endian 16-bit words; an odd last byte is padded with a zero byte.
 *
 * Over a message whose checksum field holds 0 it gives the value to store there; over a whole
 * message with its checksum filled in it gives 0 when the message is intact. It allocates
 * nothing and reads only the given range (clamped to the array).
 *
 * @example
 * ```ts
 * import { internetChecksum } from "./checksum.ts";
 *
 * // IGMPv2 report for 239.1.1.1 with its checksum (0xf9fc) in bytes 2-3.
 * const report = new Uint8Array([0x16, 0x00, 0xf9, 0xfc, 0xef, 0x01, 0x01, 0x01]);
 * internetChecksum(report); // 0: intact
 * ```
 */
export function internetChecksum(
  bytes: Uint8Array,
  offset = 0,
  length: number = bytes.length - offset,
): number {
  const end = Math.min(offset + length, bytes.length);
  let sum = 0;
  let i = offset;
  // 64 KiB of words sums to below 2^32, far from losing precision in a double; fold at the end.
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
