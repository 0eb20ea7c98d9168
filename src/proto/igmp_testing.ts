/**
 * IGMP test vectors, byte by byte with a comment per field, and the helpers the IGMP codec tests
 * share. Not used by the daemon.
 *
 * @module
 */

import { decodeIgmp, type IgmpMessage } from "./igmp.ts";
import type { Result } from "./result.ts";
import { hex } from "./testing.ts";

// ---------------------------------------------------------------------------------------------
// Vectors. Each is the IGMP message only (the IP payload) unless its name says "packet".

/** IGMPv1 general query, as an IGMPv1 router (RFC 1112 Appendix I) sends it. */
export const V1_QUERY = hex(`
  11           # type: membership query
  00           # unused in IGMPv1 (max resp code 0 -> v1 by RFC 3376 section 7.1)
  ee ff        # checksum
  00 00 00 00  # group: 0 (general)
`);

/** IGMPv2 general query, max resp 10 s (code 100), as Linux's bridge querier sends it. */
export const V2_GENERAL_QUERY = hex(`
  11           # type: membership query
  64           # max resp code: 100 tenths = 10 s
  ee 9b        # checksum
  00 00 00 00  # group: 0 (general)
`);

/** IGMPv2 group-specific query for 239.1.1.1, max resp 1 s (Last Member Query Interval). */
export const V2_GROUP_QUERY = hex(`
  11           # type: membership query
  0a           # max resp code: 10 tenths = 1 s
  fe f2        # checksum
  ef 01 01 01  # group: 239.1.1.1
`);

/** IGMPv3 general query: 10 s, QRV 2, QQIC 125 s, no sources. */
export const V3_GENERAL_QUERY = hex(`
  11           # type: membership query
  64           # max resp code: 100 -> 10 s
  ec 1e        # checksum
  00 00 00 00  # group: 0 (general)
  02           # resv 0000, S 0, QRV 2
  7d           # QQIC: 125 s
  00 00        # number of sources: 0
`);

/** IGMPv3 group-and-source-specific query with floating-point codes and the S flag. */
export const V3_SOURCE_QUERY = hex(`
  11           # type: membership query
  8f           # max resp code: 1 000 1111 -> (0x0f | 0x10) << (0 + 3) = 248 -> 24.8 s
  df dc        # checksum
  ef 01 01 01  # group: 239.1.1.1
  0a           # resv 0000, S 1, QRV 2
  8c           # QQIC: 1 000 1100 -> (0x0c | 0x10) << 3 = 224 s
  00 02        # number of sources: 2
  0a 00 00 01  # source: 10.0.0.1
  0a 00 00 02  # source: 10.0.0.2
`);

/** IGMPv1 report for 239.1.1.1. */
export const V1_REPORT = hex(`
  12           # type: v1 membership report
  00           # unused
  fd fc        # checksum
  ef 01 01 01  # group: 239.1.1.1
`);

/** IGMPv2 report for 239.1.1.1, the IGMP part of the Linux capture below. */
export const V2_REPORT = hex(`
  16           # type: v2 membership report
  00           # max resp code: 0
  f9 fc        # checksum
  ef 01 01 01  # group: 239.1.1.1
`);

/** IGMPv2 leave for 239.1.1.1. */
export const LEAVE = hex(`
  17           # type: leave group
  00           # max resp code: 0
  f8 fc        # checksum
  ef 01 01 01  # group: 239.1.1.1
`);

/** IGMPv3 report with three records: one with sources, one of an unknown type, one with aux. */
export const V3_REPORT = hex(`
  22           # type: v3 membership report
  00           # reserved
  4f 4a        # checksum
  00 00        # reserved
  00 03        # number of group records: 3
  01           # record 1 type: MODE_IS_INCLUDE
  00           # aux data len: 0
  00 02        # number of sources: 2
  ef 01 01 01  # group: 239.1.1.1
  0a 00 00 01  # source: 10.0.0.1
  0a 00 00 02  # source: 10.0.0.2
  07           # record 2 type: 7, unknown -> skipped (RFC 3376 section 4.2.12)
  00           # aux data len: 0
  00 00        # number of sources: 0
  ef 02 02 02  # group: 239.2.2.2
  02           # record 3 type: MODE_IS_EXCLUDE
  01           # aux data len: 1 word
  00 00        # number of sources: 0
  ef 03 03 03  # group: 239.3.3.3
  de ad be ef  # auxiliary data, ignored
`);

/**
 * A Linux host (10.0.0.2, force_igmp_version=2) reporting 239.1.1.1: IP header with Router
 * Alert (24 bytes), then the IGMPv2 report.
 */
export const LINUX_V2_REPORT_PACKET = hex(`
  46 c0 00 20  # version 4, IHL 6; TOS c0; total length 32
  00 00 40 00  # ID 0; flags DF
  01 02 ea 13  # TTL 1; protocol 2 (IGMP); header checksum ea13
  0a 00 00 02  # source 10.0.0.2
  ef 01 01 01  # destination 239.1.1.1 (the group)
  94 04 00 00  # Router Alert, value 0
  16 00 f9 fc  # IGMPv2 report; max resp 0; checksum f9fc
  ef 01 01 01  # group 239.1.1.1
`);

/**
 * A Linux IGMPv3 report from a public tcpdump capture ("igmp v3 report, 1 group record(s)
 * [gaddr 224.0.0.6 to_in { }]"), with the 6 bytes of Ethernet padding that followed it.
 */
export const LINUX_V3_REPORT_PACKET = hex(`
  46 c0 00 28  # version 4, IHL 6; TOS c0; total length 40
  00 00 40 00  # ID 0; flags DF
  01 02 ac 03  # TTL 1; protocol 2 (IGMP); header checksum ac03
  67 e3 f0 12  # source 103.227.240.18
  e0 00 00 16  # destination 224.0.0.22
  94 04 00 00  # Router Alert, value 0
  22 00 fa f7  # IGMPv3 report; reserved; checksum faf7
  00 00 00 01  # reserved; 1 group record
  03 00 00 00  # CHANGE_TO_INCLUDE_MODE; aux 0; 0 sources
  e0 00 00 06  # group 224.0.0.6
  00 00 00 00 00 00  # Ethernet padding, past Total Length
`);

// ---------------------------------------------------------------------------------------------
// Helpers.

/** Decodes a whole vector: `msg` from its first byte to its last. */
export function decodeAll(msg: Uint8Array): Result<IgmpMessage> {
  return decodeIgmp(msg, 0, msg.length);
}

/** The message of a decoder's result; throws with the drop reason when there is none. */
export function expectMessage(r: Result<IgmpMessage>): IgmpMessage {
  if (!r.ok) throw new Error(`Expected a message, got "${r.reason}"`);
  return r.value;
}

export /** A copy with one bit flipped at `at` (checksum no longer verifies). */
function corrupt(msg: Uint8Array, at: number): Uint8Array {
  const copy = msg.slice();
  copy[at] ^= 0x01;
  return copy;
}
