/**
 * Helpers for codec tests and test traffic: readable addresses, hex dumps, IPv4 packets with
 * correct header checksums, the check of a drop reason. Not used by the daemon.
 *
 * @module
 */

import { deepStrictEqual } from "node:assert/strict";
import { parseIPv4, parseIPv6 } from "./addr.ts";
import { internetChecksum } from "./checksum.ts";
import type { DropReason, Result } from "./result.ts";

/** Parses a dotted quad for a test; throws on a typo. */
export function ip(s: string): number {
  const n = parseIPv4(s);
  if (n === undefined) throw new TypeError(`Bad IPv4 address in test: "${s}"`);
  return n;
}

/** Parses an IPv6 address for a test; throws on a typo. */
export function ip6(s: string): Uint8Array {
  const b = parseIPv6(s);
  if (b === undefined) throw new TypeError(`Bad IPv6 address in test: "${s}"`);
  return b;
}

/**
 * Asserts that a decoder dropped its input for `reason`.
 *
 * @example
 * ```ts
 * import { decodeIgmp } from "./igmp.ts";
 * import { expectDrop } from "./testing.ts";
 *
 * expectDrop(decodeIgmp(new Uint8Array(4), 0, 4), "truncated-igmp");
 * ```
 */
export function expectDrop<T, R extends string = DropReason>(r: Result<T, R>, reason: R): void {
  deepStrictEqual(r, { ok: false, reason });
}

/**
 * Bytes from a hex dump such as tcpdump's `-x` output: whitespace is ignored, and so is
 * everything from `#` to the end of a line.
 *
 * @example
 * ```ts
 * import { hex } from "./testing.ts";
 *
 * hex("16 00 f9 fc  # type, code, checksum\n ef 01 01 01"); // 8 bytes
 * ```
 */
export function hex(dump: string): Uint8Array {
  const digits = dump.replace(/#.*$/gm, "").replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new TypeError(`Bad hex dump: "${dump}"`);
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Recomputes the checksum of `length` bytes at `offset` whose 16-bit checksum field is at
 * `offset + field`, in place; returns `bytes`. Use it after corrupting another field on purpose.
 */
export function fixChecksum(
  bytes: Uint8Array,
  opts: { offset?: number; length?: number; field: number },
): Uint8Array {
  const offset = opts.offset ?? 0;
  const length = opts.length ?? bytes.length - offset;
  bytes[offset + opts.field] = 0;
  bytes[offset + opts.field + 1] = 0;
  const sum = internetChecksum(bytes, offset, length);
  bytes[offset + opts.field] = sum >> 8;
  bytes[offset + opts.field + 1] = sum & 0xff;
  return bytes;
}

/** Options of {@link buildIPv4Packet}. */
export interface IPv4PacketOptions {
  /** Source address. */
  source: number;
  /** Destination address. */
  destination: number;
  /** The payload after the header. */
  payload: Uint8Array;
  /** Protocol; default 2 (IGMP). */
  protocol?: number;
  /** TTL; default 1. */
  ttl?: number;
  /** Type of service; default 0xc0 (internetwork control, as Linux sends IGMP). */
  tos?: number;
  /** Option bytes, a multiple of 4; default the Router Alert option `94 04 00 00`. */
  options?: readonly number[];
  /** Total Length to write instead of the real one (for corrupt vectors). */
  totalLength?: number;
}

/**
 * An IPv4 packet shaped as Linux sends IGMP (ID 0, DF set) with a correct header checksum.
 *
 * @example
 * ```ts
 * import { encodeV2Report } from "./igmp_encode.ts";
 * import { buildIPv4Packet, ip } from "./testing.ts";
 *
 * const group = ip("239.1.1.1");
 * const pkt = buildIPv4Packet({
 *   source: ip("10.0.0.2"),
 *   destination: group,
 *   payload: encodeV2Report(group),
 * });
 * ```
 */
export function buildIPv4Packet(opts: IPv4PacketOptions): Uint8Array {
  const options = opts.options ?? [0x94, 0x04, 0x00, 0x00];
  if (options.length % 4 !== 0 || options.length > 40) {
    throw new RangeError(`IPv4 options must be 0-40 bytes in 4-byte words: ${options.length}`);
  }
  const headerLength = 20 + options.length;
  const total = headerLength + opts.payload.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint8(0, 0x40 | (headerLength / 4)); // version 4, IHL
  view.setUint8(1, opts.tos ?? 0xc0);
  view.setUint16(2, opts.totalLength ?? total);
  view.setUint16(4, 0); // identification
  view.setUint16(6, 0x4000); // flags DF, fragment offset 0
  view.setUint8(8, opts.ttl ?? 1);
  view.setUint8(9, opts.protocol ?? 2);
  view.setUint32(12, opts.source);
  view.setUint32(16, opts.destination);
  out.set(options, 20);
  out.set(opts.payload, headerLength);
  return fixChecksum(out, { length: headerLength, field: 10 });
}

/** The seeded generator of the cores, for tests that want reproducible random input. */
export { mulberry32 } from "../core/random.ts";
