/**
 * MLD messages captured from Linux hosts and the Linux bridge's querier, byte by byte with a
 * comment per field, with the addresses and hop-by-hop header each travelled with: the vectors
 * the MLD codec tests share. Not used by the daemon.
 *
 * @module
 */

import { hex } from "./testing.ts";

// ---------------------------------------------------------------------------------------------
// Captures. Each is the ICMPv6 message as a raw ICMPv6 socket delivers it, with the IPv6 source,
// destination and hop-by-hop header it travelled with (hop limit 1 for all).
//
// Made in two network namespaces joined by a veth pair (Linux 6.18, accept_dad=0): a stock host
// (net.ipv6.conf.h0.force_mld_version 1 or 2) joining with IPV6_JOIN_GROUP and
// MCAST_JOIN_SOURCE_GROUP / MCAST_LEAVE_SOURCE_GROUP from python3, facing a Linux bridge with
// `mcast_querier 1 mcast_mld_version 1|2 mcast_query_interval 2000 mcast_last_member_interval
// 100`; captured with `tcpdump -n -i h0 -w` (no filter) and cut after the hop-by-hop header.
// The reports from :: come from a third namespace with DAD left on. Checksums are the kernel's:
// the "captures carry valid ICMPv6 checksums" test (mld_test.ts) proves the bytes were copied
// intact.

/** One captured MLD message. */
export interface Capture {
  /** IPv6 source address. */
  source: string;
  /** IPv6 destination address. */
  destination: string;
  /** The hop-by-hop options header, as IPV6_RECVHOPOPTS delivers it. */
  hopByHop: Uint8Array;
  /** The ICMPv6 message. */
  message: Uint8Array;
}

/** Hop-by-hop header of Linux hosts' reports and dones. */
export const HOST_HOP_BY_HOP = hex(`
  3a           # next header: 58 (ICMPv6)
  00           # hdr ext len: 0 (8 bytes)
  05 02 00 00  # Router Alert, length 2, value 0 (MLD)
  01 00        # PadN, length 0
`);

/** Hop-by-hop header of the Linux bridge's queries: the same option, padded with two Pad1. */
export const BRIDGE_HOP_BY_HOP = hex(`
  3a           # next header: 58 (ICMPv6)
  00           # hdr ext len: 0 (8 bytes)
  05 02 00 00  # Router Alert, length 2, value 0 (MLD)
  00           # Pad1
  00           # Pad1
`);

/** The bridge querier of the MLDv1 run. */
const BRIDGE_V1 = "fe80::1c0f:76ff:fe9b:8b94";
/** The bridge querier of the MLDv2 run. */
const BRIDGE_V2 = "fe80::7457:d3ff:fef2:116c";
/** The host of the MLDv1 run. */
export const HOST_V1 = "fe80::f85b:49ff:fe6b:4aba";
/** The host of the MLDv2 run. */
const HOST_V2 = "fe80::9cc0:3fff:fe74:3fb7";

/** MLDv1 general query, 10 s, from the bridge (mcast_query_response_interval 10 s). */
export const LINUX_V1_GENERAL_QUERY: Capture = {
  source: BRIDGE_V1,
  destination: "ff02::1",
  hopByHop: BRIDGE_HOP_BY_HOP,
  message: hex(`
    82           # type 130: multicast listener query
    00           # code: 0
    3b d9        # checksum
    27 10        # maximum response delay: 10 000 ms
    00 00        # reserved
    00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  # multicast address: :: (general query)
  `),
};

/**
 * MLDv1 multicast address specific query for ff05::db8:1, 1 s (last listener query interval),
 * sent by the bridge after the host's done. Linux sends it to ff02::1, not to the group.
 */
export const LINUX_V1_SPECIFIC_QUERY: Capture = {
  source: BRIDGE_V1,
  destination: "ff02::1",
  hopByHop: BRIDGE_HOP_BY_HOP,
  message: hex(`
    82           # type 130: multicast listener query
    00           # code: 0
    52 42        # checksum
    03 e8        # maximum response delay: 1 000 ms
    00 00        # reserved
    ff 05 00 00 00 00 00 00  00 00 00 00 0d b8 00 01  # multicast address: ff05::db8:1
  `),
};

/** MLDv1 report for ff05::db8:1 (force_mld_version 1), sent to the group. */
export const LINUX_V1_REPORT: Capture = {
  source: HOST_V1,
  destination: "ff05::db8:1",
  hopByHop: HOST_HOP_BY_HOP,
  message: hex(`
    83           # type 131: multicast listener report
    00           # code: 0
    d9 2c        # checksum
    00 00        # maximum response delay: 0 in reports
    00 00        # reserved
    ff 05 00 00 00 00 00 00  00 00 00 00 0d b8 00 01  # multicast address: ff05::db8:1
  `),
};

/** MLDv1 done for ff05::db8:1, sent to ff02::2 when the socket closed. */
export const LINUX_V1_DONE: Capture = {
  source: HOST_V1,
  destination: "ff02::2",
  hopByHop: HOST_HOP_BY_HOP,
  message: hex(`
    84           # type 132: multicast listener done
    00           # code: 0
    e5 e6        # checksum
    00 00        # maximum response delay: 0
    00 00        # reserved
    ff 05 00 00 00 00 00 00  00 00 00 00 0d b8 00 01  # multicast address: ff05::db8:1
  `),
};

/**
 * MLDv1 report for the host's solicited-node address, sent from :: as the interface came up,
 * although DAD was off (accept_dad=0): the first report leaves before the link-local address
 * is usable.
 */
export const LINUX_V1_REPORT_FROM_UNSPECIFIED: Capture = {
  source: "::",
  destination: "ff02::1:ff6b:4aba",
  hopByHop: HOST_HOP_BY_HOP,
  message: hex(`
    83           # type 131: multicast listener report
    00           # code: 0
    ea 58        # checksum
    00 00        # maximum response delay: 0
    00 00        # reserved
    ff 02 00 00 00 00 00 00  00 00 00 01 ff 6b 4a ba  # multicast address: ff02::1:ff6b:4aba
  `),
};

/** MLDv2 general query, 10 s, QRV 2, QQIC 20 s (mcast_query_interval 20 s). */
export const LINUX_V2_GENERAL_QUERY: Capture = {
  source: BRIDGE_V2,
  destination: "ff02::1",
  hopByHop: BRIDGE_HOP_BY_HOP,
  message: hex(`
    82           # type 130: multicast listener query
    00           # code: 0
    fe 49        # checksum
    27 10        # maximum response code: 10 000 ms (below 32 768: linear)
    00 00        # reserved
    00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  # multicast address: :: (general query)
    02           # resv 0000, S 0, QRV 2
    14           # QQIC: 20 s
    00 00        # number of sources: 0
  `),
};

/**
 * MLDv2 multicast address specific query for ff05::db8:1 with the S flag: the bridge's
 * retransmission after the host's TO_IN {} (RFC 3810 section 7.6.3.1). Sent to the group.
 */
export const LINUX_V2_SPECIFIC_QUERY: Capture = {
  source: BRIDGE_V2,
  destination: "ff05::db8:1",
  hopByHop: BRIDGE_HOP_BY_HOP,
  message: hex(`
    82           # type 130: multicast listener query
    00           # code: 0
    fe f7        # checksum
    03 e8        # maximum response code: 1 000 ms
    00 00        # reserved
    ff 05 00 00 00 00 00 00  00 00 00 00 0d b8 00 01  # multicast address: ff05::db8:1
    0a           # resv 0000, S 1, QRV 2
    14           # QQIC: 20 s
    00 00        # number of sources: 0
  `),
};

/** MLDv2 multicast address and source specific query, after the host's BLOCK {2001:db8::1}. */
export const LINUX_V2_SOURCE_QUERY: Capture = {
  source: BRIDGE_V2,
  destination: "ff3e::8000:1",
  hopByHop: BRIDGE_HOP_BY_HOP,
  message: hex(`
    82           # type 130: multicast listener query
    00           # code: 0
    f4 29        # checksum
    03 e8        # maximum response code: 1 000 ms
    00 00        # reserved
    ff 3e 00 00 00 00 00 00  00 00 00 00 80 00 00 01  # multicast address: ff3e::8000:1 (SSM)
    02           # resv 0000, S 0, QRV 2
    14           # QQIC: 20 s
    00 01        # number of sources: 1
    20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 01  # source: 2001:db8::1
  `),
};

/**
 * MLDv2 general query from a bridge configured with a 40 s query response interval. Linux
 * writes the 40 000 ms as a plain 16-bit number, 0x9c40, which RFC 3810 section 5.1.3 reads as
 * floating point: exp 1, mant 0xc40 -> 0x1c40 << 4 = 115 712 ms (tcpdump prints the same).
 */
export const LINUX_V2_QUERY_40S: Capture = {
  source: "fe80::4fe:d7ff:fea0:5efb",
  destination: "ff02::1",
  hopByHop: BRIDGE_HOP_BY_HOP,
  message: hex(`
    82           # type 130: multicast listener query
    00           # code: 0
    a7 35        # checksum
    9c 40        # maximum response code: 1 001 1100 0100 0000 -> 115 712 ms
    00 00        # reserved
    00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  # multicast address: :: (general query)
    02           # resv 0000, S 0, QRV 2
    14           # QQIC: 20 s
    00 00        # number of sources: 0
  `),
};

/** MLDv2 report: the host starts listening to ff05::db8:1 from any source. */
export const LINUX_V2_REPORT_TO_EX: Capture = {
  source: HOST_V2,
  destination: "ff02::16",
  hopByHop: HOST_HOP_BY_HOP,
  message: hex(`
    8f           # type 143: version 2 multicast listener report
    00           # reserved
    47 63        # checksum
    00 00        # reserved
    00 01        # nr of mcast address records: 1
    04           # record type: CHANGE_TO_EXCLUDE_MODE
    00           # aux data len: 0
    00 00        # number of sources: 0
    ff 05 00 00 00 00 00 00  00 00 00 00 0d b8 00 01  # multicast address: ff05::db8:1
  `),
};

/** MLDv2 report: the host stops listening to ff05::db8:1 (the MLDv2 form of a done). */
export const LINUX_V2_REPORT_TO_IN: Capture = {
  source: HOST_V2,
  destination: "ff02::16",
  hopByHop: HOST_HOP_BY_HOP,
  message: hex(`
    8f           # type 143: version 2 multicast listener report
    00           # reserved
    48 63        # checksum
    00 00        # reserved
    00 01        # nr of mcast address records: 1
    03           # record type: CHANGE_TO_INCLUDE_MODE
    00           # aux data len: 0
    00 00        # number of sources: 0
    ff 05 00 00 00 00 00 00  00 00 00 00 0d b8 00 01  # multicast address: ff05::db8:1
  `),
};

/** MLDv2 report: two MCAST_JOIN_SOURCE_GROUP on ff3e::8000:1, INCLUDE {} -> INCLUDE {S1, S2}. */
export const LINUX_V2_REPORT_ALLOW: Capture = {
  source: HOST_V2,
  destination: "ff02::16",
  hopByHop: HOST_HOP_BY_HOP,
  message: hex(`
    8f           # type 143: version 2 multicast listener report
    00           # reserved
    78 4a        # checksum
    00 00        # reserved
    00 01        # nr of mcast address records: 1
    05           # record type: ALLOW_NEW_SOURCES
    00           # aux data len: 0
    00 02        # number of sources: 2
    ff 3e 00 00 00 00 00 00  00 00 00 00 80 00 00 01  # multicast address: ff3e::8000:1
    20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 01  # source: 2001:db8::1
    20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 02  # source: 2001:db8::2
  `),
};

/** MLDv2 report answering a general query: current-state records, IS_IN and IS_EX. */
export const LINUX_V2_REPORT_CURRENT_STATE: Capture = {
  source: HOST_V2,
  destination: "ff02::16",
  hopByHop: HOST_HOP_BY_HOP,
  message: hex(`
    8f           # type 143: version 2 multicast listener report
    00           # reserved
    3c 05        # checksum
    00 00        # reserved
    00 02        # nr of mcast address records: 2
    01           # record 1 type: MODE_IS_INCLUDE
    00           # aux data len: 0
    00 02        # number of sources: 2
    ff 3e 00 00 00 00 00 00  00 00 00 00 80 00 00 01  # multicast address: ff3e::8000:1
    20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 01  # source: 2001:db8::1
    20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 02  # source: 2001:db8::2
    02           # record 2 type: MODE_IS_EXCLUDE
    00           # aux data len: 0
    00 00        # number of sources: 0
    ff 02 00 00 00 00 00 00  00 00 00 01 ff 74 3f b7  # multicast address: ff02::1:ff74:3fb7
  `),
};

/** MLDv2 report: MCAST_LEAVE_SOURCE_GROUP of 2001:db8::1 on ff3e::8000:1. */
export const LINUX_V2_REPORT_BLOCK: Capture = {
  source: HOST_V2,
  destination: "ff02::16",
  hopByHop: HOST_HOP_BY_HOP,
  message: hex(`
    8f           # type 143: version 2 multicast listener report
    00           # reserved
    a5 16        # checksum
    00 00        # reserved
    00 01        # nr of mcast address records: 1
    06           # record type: BLOCK_OLD_SOURCES
    00           # aux data len: 0
    00 01        # number of sources: 1
    ff 3e 00 00 00 00 00 00  00 00 00 00 80 00 00 01  # multicast address: ff3e::8000:1
    20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 01  # source: 2001:db8::1
  `),
};

/** MLDv2 report from :: while the host's link-local address was tentative (accept_dad=1). */
export const LINUX_V2_REPORT_FROM_UNSPECIFIED: Capture = {
  source: "::",
  destination: "ff02::16",
  hopByHop: HOST_HOP_BY_HOP,
  message: hex(`
    8f           # type 143: version 2 multicast listener report
    00           # reserved
    ad 55        # checksum
    00 00        # reserved
    00 01        # nr of mcast address records: 1
    04           # record type: CHANGE_TO_EXCLUDE_MODE
    00           # aux data len: 0
    00 00        # number of sources: 0
    ff 02 00 00 00 00 00 00  00 00 00 01 ff 32 c2 02  # multicast address: ff02::1:ff32:c202
  `),
};

/** Every capture from a link-local source. */
export const LINK_LOCAL_CAPTURES: readonly Capture[] = [
  LINUX_V1_GENERAL_QUERY,
  LINUX_V1_SPECIFIC_QUERY,
  LINUX_V1_REPORT,
  LINUX_V1_DONE,
  LINUX_V2_GENERAL_QUERY,
  LINUX_V2_SPECIFIC_QUERY,
  LINUX_V2_SOURCE_QUERY,
  LINUX_V2_QUERY_40S,
  LINUX_V2_REPORT_TO_EX,
  LINUX_V2_REPORT_TO_IN,
  LINUX_V2_REPORT_ALLOW,
  LINUX_V2_REPORT_CURRENT_STATE,
  LINUX_V2_REPORT_BLOCK,
];

/** Every capture. */
export const CAPTURES: readonly Capture[] = [
  ...LINK_LOCAL_CAPTURES,
  LINUX_V1_REPORT_FROM_UNSPECIFIED,
  LINUX_V2_REPORT_FROM_UNSPECIFIED,
];
