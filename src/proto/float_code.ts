/**
 * The floating-point codes of IGMPv3 and MLDv2: a field that holds small values as they are and
 * larger ones as an exponent and a mantissa. IGMPv3 has one 8-bit form, for its Max Resp Code
 * and its QQIC (RFC 3376 sections 4.1.1 and 4.1.7); MLDv2 reuses it for QQIC and has a 16-bit
 * form for its Maximum Response Code (RFC 3810 sections 5.1.3 and 5.1.9).
 *
 * Decoders read any code. Encoders round down to the nearest representable value and clamp to
 * the largest, so that decoding what they wrote never gives more than was asked.
 *
 * @module
 */

import { clamp } from "./wire.ts";

/**
 * Largest value an IGMPv3 floating-point code carries: (0x0f | 0x10) << (7 + 3), in tenths of a
 * second for Max Resp Code and in seconds for QQIC.
 */
export const IGMP_FLOAT_MAX = 31744;

/**
 * Largest Maximum Response Delay an MLDv2 Maximum Response Code carries, in milliseconds:
 * (0x0fff | 0x1000) << (7 + 3), about 2 h 20 min.
 */
export const MLD_MRC_MAX = 8_387_584;

/**
 * Decodes an IGMPv3 floating-point code (Max Resp Code, QQIC; RFC 3376 sections 4.1.1 and
 * 4.1.7): below 128 the code is the value, else `1 exp(3) mant(4)` means
 * `(mant | 0x10) << (exp + 3)`.
 *
 * @example
 * ```ts
 * import { decodeFloatCode } from "./float_code.ts";
 *
 * decodeFloatCode(100); // 100
 * decodeFloatCode(0x8f); // 248: exp 0, mant 15 -> 31 << 3
 * ```
 */
export function decodeFloatCode(code: number): number {
  if (code < 0x80) return code;
  return ((code & 0x0f) | 0x10) << (((code >> 4) & 0x07) + 3);
}

/**
 * Encodes a value as an IGMPv3 floating-point code, rounding down to the nearest representable
 * value, clamped to 0 .. {@link IGMP_FLOAT_MAX}. Inverse of {@link decodeFloatCode} on every
 * value it returns.
 *
 * @example
 * ```ts
 * import { encodeFloatCode } from "./float_code.ts";
 *
 * encodeFloatCode(125); // 125: linear below 128
 * encodeFloatCode(300); // 0x92: exp 1, mant 2 -> 18 << 4 = 288, rounded down
 * ```
 */
export function encodeFloatCode(value: number): number {
  const v = clamp(Math.floor(value), 0, IGMP_FLOAT_MAX);
  if (v < 0x80) return v;
  let exp = 0;
  // The smallest exponent that leaves 5 bits, the implicit 1 and a 4-bit mantissa.
  while (v >> (exp + 3) > 0x1f) exp++;
  return 0x80 | (exp << 4) | ((v >> (exp + 3)) & 0x0f);
}

/**
 * Decodes an MLDv2 Maximum Response Code (RFC 3810 section 5.1.3) to milliseconds: below 32768
 * the code is the value, else `1 exp(3) mant(12)` means `(mant | 0x1000) << (exp + 3)`.
 *
 * @example
 * ```ts
 * import { decodeMldMaxRespCode } from "./float_code.ts";
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
 * import { encodeMldMaxRespCode } from "./float_code.ts";
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
  // The smallest exponent that leaves 13 bits, the implicit 1 and a 12-bit mantissa.
  while (v >> (exp + 3) > 0x1fff) exp++;
  return 0x8000 | (exp << 12) | ((v >> (exp + 3)) & 0x0fff);
}
