/**
 * The Internet checksum (RFC 1071), used by the IPv4 header and IGMP.
 *
 * @module
 */

/** Whether this machine stores integers little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The 16-bit ones' complement of the ones' complement sum of `length` bytes of `bytes` from
 * `offset`, read as big-endian 16-bit words; an odd last byte is padded with a zero byte.
 *
 * Over a message whose checksum field holds 0 it gives the value to store there; over a whole
 * message with its checksum filled in it gives 0 when the message is intact. It reads only the
 * given range (clamped to the array); an aligned range is summed 32 bits at a time, through a
 * typed-array view.
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
  if ((bytes.byteOffset + offset) % 4 === 0 && end - offset >= 8) {
    // Aligned: 32-bit words in the machine's order. The ones' complement sum does not depend
    // on byte order (RFC 1071 section 2(B)): swap the folded sum on a little-endian machine.
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + offset, (end - offset) >> 2);
    for (let w = 0; w < words.length; w++) {
      const x = words[w];
      sum += (x & 0xffff) + (x >>> 16);
    }
    while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
    if (LITTLE_ENDIAN) sum = ((sum & 0xff) << 8) | (sum >> 8);
    i = offset + words.length * 4;
  }
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
