/**
 * Hand-made MLD vectors and the helpers the MLD codec tests share (the captures are in
 * mld_captures.ts). Not used by the daemon.
 *
 * @module
 */

import { decodeMld, type MldMessage } from "./mld.ts";
import type { Result } from "./result.ts";
import { hex } from "./testing.ts";

// ---------------------------------------------------------------------------------------------
// Hand-made vectors.

/** MLDv2 query with floating-point codes: 65 536 ms, QQIC 224 s, QRV above 7 sent as 0. */
export const V2_FLOAT_QUERY = hex(`
  82           # type 130: multicast listener query
  00           # code: 0
  00 00        # checksum: left to the kernel
  90 00        # maximum response code: 1 001 0000 0000 0000 -> 0x1000 << (1 + 3) = 65 536 ms
  00 00        # reserved
  ff 0e 00 00 00 00 00 00  00 00 00 00 0d b8 00 02  # multicast address: ff0e::db8:2
  00           # resv 0000, S 0, QRV 0
  8c           # QQIC: 1 000 1100 -> (0x0c | 0x10) << 3 = 224 s
  00 00        # number of sources: 0
`);

// ---------------------------------------------------------------------------------------------
// Helpers.

/** Decodes a whole vector: `msg` from its first byte to its last. */
export function decodeAll(msg: Uint8Array): Result<MldMessage> {
  return decodeMld(msg, 0, msg.length);
}

/**
 * Decodes `msg` at an odd offset inside a larger buffer of 0xa5 bytes: a decoder that reads
 * outside its `length` bytes, or trusts `buf.length`, sees garbage and fails or differs.
 */
export function decodeInside(msg: Uint8Array, offset = 37): Result<MldMessage> {
  const buf = new Uint8Array(offset + msg.length + 29).fill(0xa5);
  buf.set(msg, offset);
  return decodeMld(buf, offset, msg.length);
}

/** The message of a decoder's result; throws with the drop reason when there is none. */
export function expectMessage(r: Result<MldMessage>): MldMessage {
  if (!r.ok) throw new Error(`Expected a message, got "${r.reason}"`);
  return r.value;
}

/** A copy of a message with its checksum field zeroed, as our encoders leave it. */
export function withoutChecksum(msg: Uint8Array): Uint8Array {
  const copy = msg.slice();
  copy[2] = copy[3] = 0;
  return copy;
}

/** A copy of `msg` resized to `length` bytes: cut, or padded with zeros. */
export function resized(msg: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(msg.subarray(0, length));
  return out;
}
