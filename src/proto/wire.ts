/**
 * Big-endian fields of wire bytes, as the codecs read and write them, and the clamp that fits a
 * value to a field's range. Reads never check bounds: callers check the length first.
 *
 * @module
 */

/**
 * The 16-bit big-endian number at `at`.
 *
 * @example
 * ```ts
 * import { readU16 } from "./wire.ts";
 *
 * readU16(new Uint8Array([0x27, 0x10]), 0); // 10 000
 * ```
 */
export function readU16(buf: Uint8Array, at: number): number {
  return (buf[at] << 8) | buf[at + 1];
}

/** Writes the low 16 bits of `v` big-endian at `at`. */
export function writeU16(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >> 8;
  buf[at + 1] = v & 0xff;
}

/**
 * The 32-bit big-endian number at `at`, unsigned.
 *
 * @example
 * ```ts
 * import { readU32 } from "./wire.ts";
 *
 * readU32(new Uint8Array([239, 1, 1, 1]), 0); // 0xef010101, 239.1.1.1
 * ```
 */
export function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
}

/** Writes the low 32 bits of `v` big-endian at `at`. */
export function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}

/**
 * Clamps `v` to `lo..hi`; NaN becomes `lo`.
 *
 * @example
 * ```ts
 * import { clamp } from "./wire.ts";
 *
 * clamp(300, 1, 255); // 255
 * clamp(Number.NaN, 1, 255); // 1
 * ```
 */
export function clamp(v: number, lo: number, hi: number): number {
  return v >= lo ? (v > hi ? hi : v) : lo;
}
