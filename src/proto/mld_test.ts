import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { parseIPv6 } from "./addr.ts";
import { internetChecksum } from "./checksum.ts";
import {
  decodeMld,
  decodeMldMaxRespCode,
  decodeMldPacket,
  encodeMldDone,
  encodeMldMaxRespCode,
  encodeMldQuery,
  encodeMldV1Report,
  encodeMldV2Report,
  hasMldRouterAlert,
  IN6ADDR_ANY,
  IN6ADDR_LINKLOCAL_ALLNODES,
  IN6ADDR_LINKLOCAL_ALLROUTERS,
  IN6ADDR_LINKLOCAL_ALLV2ROUTERS,
  IP6_ALERT_MLD,
  IP6OPT_ROUTER_ALERT,
  isMldProxiableGroup,
  MLD_ALLOW_NEW_SOURCES,
  MLD_BLOCK_OLD_SOURCES,
  MLD_CHANGE_TO_EXCLUDE_MODE,
  MLD_CHANGE_TO_INCLUDE_MODE,
  MLD_LISTENER_DONE,
  MLD_LISTENER_QUERY,
  MLD_LISTENER_REPORT,
  MLD_MINLEN,
  MLD_MODE_IS_EXCLUDE,
  MLD_MODE_IS_INCLUDE,
  MLD_MRC_MAX,
  MLD_V2_QUERY_MINLEN,
  MLD_V2_REPORT_MINLEN,
  type MldMessage,
  type MldPacketInput,
  type MldQueryOptions,
  MLDV2_LISTENER_REPORT,
  type MulticastAddressRecord,
} from "./mld.ts";
import type { DropReason, Result } from "./result.ts";
import { hex, mulberry32 } from "./testing.ts";

/** Parses an IPv6 address for a test; throws on a typo. */
function ip6(s: string): Uint8Array {
  const b = parseIPv6(s);
  if (b === undefined) throw new TypeError(`Bad IPv6 address in test: "${s}"`);
  return b;
}

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
// the "captures carry valid ICMPv6 checksums" test proves the bytes were copied intact.

/** One captured MLD message. */
interface Capture {
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
const HOST_HOP_BY_HOP = hex(`
  3a           # next header: 58 (ICMPv6)
  00           # hdr ext len: 0 (8 bytes)
  05 02 00 00  # Router Alert, length 2, value 0 (MLD)
  01 00        # PadN, length 0
`);

/** Hop-by-hop header of the Linux bridge's queries: the same option, padded with two Pad1. */
const BRIDGE_HOP_BY_HOP = hex(`
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
const HOST_V1 = "fe80::f85b:49ff:fe6b:4aba";
/** The host of the MLDv2 run. */
const HOST_V2 = "fe80::9cc0:3fff:fe74:3fb7";

/** MLDv1 general query, 10 s, from the bridge (mcast_query_response_interval 10 s). */
const LINUX_V1_GENERAL_QUERY: Capture = {
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
const LINUX_V1_SPECIFIC_QUERY: Capture = {
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
const LINUX_V1_REPORT: Capture = {
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
const LINUX_V1_DONE: Capture = {
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
const LINUX_V1_REPORT_FROM_UNSPECIFIED: Capture = {
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
const LINUX_V2_GENERAL_QUERY: Capture = {
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
const LINUX_V2_SPECIFIC_QUERY: Capture = {
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
const LINUX_V2_SOURCE_QUERY: Capture = {
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
const LINUX_V2_QUERY_40S: Capture = {
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
const LINUX_V2_REPORT_TO_EX: Capture = {
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
const LINUX_V2_REPORT_TO_IN: Capture = {
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
const LINUX_V2_REPORT_ALLOW: Capture = {
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
const LINUX_V2_REPORT_CURRENT_STATE: Capture = {
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
const LINUX_V2_REPORT_BLOCK: Capture = {
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
const LINUX_V2_REPORT_FROM_UNSPECIFIED: Capture = {
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
const LINK_LOCAL_CAPTURES: readonly Capture[] = [
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
const CAPTURES: readonly Capture[] = [
  ...LINK_LOCAL_CAPTURES,
  LINUX_V1_REPORT_FROM_UNSPECIFIED,
  LINUX_V2_REPORT_FROM_UNSPECIFIED,
];

// ---------------------------------------------------------------------------------------------
// Hand-made vectors.

/** MLDv2 query with floating-point codes: 65 536 ms, QQIC 224 s, QRV above 7 sent as 0. */
const V2_FLOAT_QUERY = hex(`
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

/** MLDv2 report with three records: one with a source, one of an unknown type, one with aux. */
const V2_REPORT_UNKNOWN_AND_AUX = hex(`
  8f           # type 143: version 2 multicast listener report
  00           # reserved
  00 00        # checksum
  00 00        # reserved
  00 03        # nr of mcast address records: 3
  05           # record 1 type: ALLOW_NEW_SOURCES
  00           # aux data len: 0
  00 01        # number of sources: 1
  ff 3e 00 00 00 00 00 00  00 00 00 00 80 00 00 01  # multicast address: ff3e::8000:1
  20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 01  # source: 2001:db8::1
  07           # record 2 type: 7, unknown -> skipped (RFC 3810 section 5.2.12)
  00           # aux data len: 0
  00 01        # number of sources: 1
  ff 05 00 00 00 00 00 00  00 00 00 00 0d b8 00 02  # multicast address: ff05::db8:2
  20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 02  # source: 2001:db8::2
  02           # record 3 type: MODE_IS_EXCLUDE
  01           # aux data len: 1 word
  00 00        # number of sources: 0
  ff 05 00 00 00 00 00 00  00 00 00 00 0d b8 00 03  # multicast address: ff05::db8:3
  de ad be ef  # auxiliary data, ignored (RFC 3810 section 5.2.10)
`);

// ---------------------------------------------------------------------------------------------
// Helpers.

function decodeAll(msg: Uint8Array): Result<MldMessage> {
  return decodeMld(msg, 0, msg.length);
}

/**
 * Decodes `msg` at an odd offset inside a larger buffer of 0xa5 bytes: a decoder that reads
 * outside its `length` bytes, or trusts `buf.length`, sees garbage and fails or differs.
 */
function decodeInside(msg: Uint8Array, offset = 37): Result<MldMessage> {
  const buf = new Uint8Array(offset + msg.length + 29).fill(0xa5);
  buf.set(msg, offset);
  return decodeMld(buf, offset, msg.length);
}

/** `msg` is `length` bytes long and decodes to `want`, alone and inside a larger buffer. */
function expectRoundTrip(msg: Uint8Array, want: MldMessage, length: number): void {
  strictEqual(msg.length, length, "encoded length");
  deepStrictEqual(decodeAll(msg), { ok: true, value: want });
  deepStrictEqual(decodeInside(msg), { ok: true, value: want });
}

function expectDrop<T>(r: Result<T>, reason: DropReason): void {
  deepStrictEqual(r, { ok: false, reason });
}

function expectMessage(r: Result<MldMessage>): MldMessage {
  if (!r.ok) throw new Error(`Expected a message, got "${r.reason}"`);
  return r.value;
}

/** A copy of a message with its checksum field zeroed, as our encoders leave it. */
function withoutChecksum(msg: Uint8Array): Uint8Array {
  const copy = msg.slice();
  copy[2] = copy[3] = 0;
  return copy;
}

/** A copy of `msg` resized to `length` bytes: cut, or padded with zeros. */
function resized(msg: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(msg.subarray(0, length));
  return out;
}

/** What the raw socket gave for a capture; `overrides` replace fields. */
function packetInput(c: Capture, overrides: Partial<MldPacketInput> = {}): MldPacketInput {
  return {
    source: ip6(c.source),
    destination: ip6(c.destination),
    hopLimit: 1,
    routerAlert: hasMldRouterAlert(c.hopByHop),
    data: c.message,
    length: c.message.length,
    ...overrides,
  };
}

/** The ICMPv6 checksum over the IPv6 pseudo-header and the message: 0 when intact. */
function icmpv6Checksum(source: Uint8Array, destination: Uint8Array, msg: Uint8Array): number {
  const pseudo = new Uint8Array(40 + msg.length);
  pseudo.set(source, 0);
  pseudo.set(destination, 16);
  new DataView(pseudo.buffer).setUint32(32, msg.length); // upper-layer packet length
  pseudo[39] = 58; // next header: ICMPv6
  pseudo.set(msg, 40);
  return internetChecksum(pseudo);
}

// ---------------------------------------------------------------------------------------------
// Constants and captures.

Deno.test("MLD constants keep their C values", () => {
  strictEqual(MLD_LISTENER_QUERY, 130);
  strictEqual(MLD_LISTENER_REPORT, 131);
  strictEqual(MLD_LISTENER_DONE, 132);
  strictEqual(MLDV2_LISTENER_REPORT, 143);
  deepStrictEqual(
    [
      MLD_MODE_IS_INCLUDE,
      MLD_MODE_IS_EXCLUDE,
      MLD_CHANGE_TO_INCLUDE_MODE,
      MLD_CHANGE_TO_EXCLUDE_MODE,
      MLD_ALLOW_NEW_SOURCES,
      MLD_BLOCK_OLD_SOURCES,
    ],
    [1, 2, 3, 4, 5, 6],
  );
  deepStrictEqual([MLD_MINLEN, MLD_V2_QUERY_MINLEN, MLD_V2_REPORT_MINLEN], [24, 28, 8]);
  deepStrictEqual(IN6ADDR_ANY, ip6("::"));
  deepStrictEqual(IN6ADDR_LINKLOCAL_ALLNODES, ip6("ff02::1"));
  deepStrictEqual(IN6ADDR_LINKLOCAL_ALLROUTERS, ip6("ff02::2"));
  deepStrictEqual(IN6ADDR_LINKLOCAL_ALLV2ROUTERS, ip6("ff02::16"));
  strictEqual(IP6OPT_ROUTER_ALERT, 5);
  strictEqual(IP6_ALERT_MLD, 0);
  strictEqual(MLD_MRC_MAX, decodeMldMaxRespCode(0xffff));
});

Deno.test("captures carry valid ICMPv6 checksums (copied intact)", () => {
  for (const c of CAPTURES) {
    strictEqual(icmpv6Checksum(ip6(c.source), ip6(c.destination), c.message), 0, c.destination);
  }
});

// ---------------------------------------------------------------------------------------------
// Queries.

Deno.test("decodeMld reads captured MLDv1 general and multicast address specific queries", () => {
  deepStrictEqual(decodeAll(LINUX_V1_GENERAL_QUERY.message), {
    ok: true,
    value: { type: "query", version: 1, group: ip6("::"), maxRespDelayMs: 10_000 },
  });
  deepStrictEqual(decodeAll(LINUX_V1_SPECIFIC_QUERY.message), {
    ok: true,
    value: { type: "query", version: 1, group: ip6("ff05::db8:1"), maxRespDelayMs: 1_000 },
  });
});

Deno.test("decodeMld reads a captured MLDv2 general query", () => {
  deepStrictEqual(decodeAll(LINUX_V2_GENERAL_QUERY.message), {
    ok: true,
    value: {
      type: "query",
      version: 2,
      group: ip6("::"),
      maxRespDelayMs: 10_000,
      suppressRouterSide: false,
      qrv: 2,
      qqicSeconds: 20,
      sources: [],
    },
  });
});

Deno.test("decodeMld reads captured MLDv2 specific queries, with S flag and with a source", () => {
  deepStrictEqual(decodeAll(LINUX_V2_SPECIFIC_QUERY.message), {
    ok: true,
    value: {
      type: "query",
      version: 2,
      group: ip6("ff05::db8:1"),
      maxRespDelayMs: 1_000,
      suppressRouterSide: true,
      qrv: 2,
      qqicSeconds: 20,
      sources: [],
    },
  });
  deepStrictEqual(decodeAll(LINUX_V2_SOURCE_QUERY.message), {
    ok: true,
    value: {
      type: "query",
      version: 2,
      group: ip6("ff3e::8000:1"),
      maxRespDelayMs: 1_000,
      suppressRouterSide: false,
      qrv: 2,
      qqicSeconds: 20,
      sources: [ip6("2001:db8::1")],
    },
  });
});

Deno.test("decodeMld reads floating-point Maximum Response Codes and QQIC", () => {
  // The Linux bridge meant 40 s; RFC 3810 section 5.1.3 makes 0x9c40 mean 115.712 s.
  const bridge = expectMessage(decodeAll(LINUX_V2_QUERY_40S.message));
  strictEqual(bridge.type === "query" && bridge.maxRespDelayMs, 115_712);
  deepStrictEqual(decodeAll(V2_FLOAT_QUERY), {
    ok: true,
    value: {
      type: "query",
      version: 2,
      group: ip6("ff0e::db8:2"),
      maxRespDelayMs: 65_536,
      suppressRouterSide: false,
      qrv: 0,
      qqicSeconds: 224,
      sources: [],
    },
  });
});

Deno.test("decodeMld reads an MLDv1 query's 16-bit delay linearly, even from 32 768 ms", () => {
  // Only MLDv2 codes are floating point: 0x9c40 in a 24-byte query is 40 000 ms.
  const msg = LINUX_V1_GENERAL_QUERY.message.slice();
  msg[4] = 0x9c;
  msg[5] = 0x40;
  const q = expectMessage(decodeAll(msg));
  strictEqual(q.type === "query" && q.maxRespDelayMs, 40_000);
});

Deno.test("decodeMld ignores queries of 25 to 27 bytes (RFC 3810 section 8.1)", () => {
  for (const length of [25, 26, 27]) {
    expectDrop(decodeAll(resized(LINUX_V1_GENERAL_QUERY.message, length)), "bad-mld-query-length");
    // Cut from an MLDv2 query too: neither version.
    expectDrop(decodeAll(resized(LINUX_V2_GENERAL_QUERY.message, length)), "bad-mld-query-length");
  }
});

Deno.test("decodeMld reads a query of 28 or more bytes as MLDv2, ignoring additional data", () => {
  // RFC 3810 section 5.1.12: octets past the fields are covered by the checksum, else ignored.
  const msg = resized(LINUX_V2_GENERAL_QUERY.message, 32);
  msg.set([0xde, 0xad, 0xbe, 0xef], 28);
  deepStrictEqual(decodeAll(msg), decodeAll(LINUX_V2_GENERAL_QUERY.message));
  // A 24-byte MLDv1 query padded to 28 bytes of zeros is an MLDv2 query, QRV 0, QQIC 0.
  const padded = expectMessage(decodeAll(resized(LINUX_V1_GENERAL_QUERY.message, 28)));
  strictEqual(padded.type === "query" && padded.version, 2);
});

Deno.test("decodeMld rejects an MLDv2 query whose sources run past the end", () => {
  const msg = hex(`
    82 00 00 00  # query; code; checksum
    27 10 00 00  # 10 000 ms; reserved
    ff 3e 00 00 00 00 00 00  00 00 00 00 80 00 00 01  # ff3e::8000:1
    02 14 00 02  # QRV 2; QQIC 20 s; 2 sources claimed
    20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 01  # only one present
  `);
  expectDrop(decodeAll(msg), "truncated-mld");
  // 65535 sources claimed in a 28-byte message.
  const absurd = LINUX_V2_GENERAL_QUERY.message.slice();
  absurd[26] = absurd[27] = 0xff;
  expectDrop(decodeAll(absurd), "truncated-mld");
  expectDrop(decodeInside(absurd), "truncated-mld");
});

Deno.test("decodeMld rejects a query for a unicast address", () => {
  for (const addr of ["fe80::1", "2001:db8::1", "::1"]) {
    for (const query of [LINUX_V1_GENERAL_QUERY.message, LINUX_V2_GENERAL_QUERY.message]) {
      const msg = query.slice();
      msg.set(ip6(addr), 8);
      expectDrop(decodeAll(msg), "group-not-multicast");
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Reports and dones.

Deno.test("decodeMld reads captured MLDv1 reports and dones", () => {
  const group = ip6("ff05::db8:1");
  deepStrictEqual(decodeAll(LINUX_V1_REPORT.message), {
    ok: true,
    value: { type: "v1-report", group },
  });
  deepStrictEqual(decodeAll(LINUX_V1_DONE.message), { ok: true, value: { type: "done", group } });
  deepStrictEqual(decodeAll(LINUX_V1_REPORT_FROM_UNSPECIFIED.message), {
    ok: true,
    value: { type: "v1-report", group: ip6("ff02::1:ff6b:4aba") },
  });
});

Deno.test("decodeMld ignores bytes past 24 in MLDv1 reports and dones (RFC 2710 3.7)", () => {
  for (const c of [LINUX_V1_REPORT, LINUX_V1_DONE]) {
    const msg = resized(c.message, 28);
    msg.set([1, 2, 3, 4], 24);
    deepStrictEqual(decodeAll(msg), decodeAll(c.message));
  }
});

Deno.test("decodeMld rejects MLDv1 reports and dones for a non-multicast address", () => {
  for (const c of [LINUX_V1_REPORT, LINUX_V1_DONE]) {
    for (const addr of ["::", "fe80::1", "2001:db8::1"]) {
      const msg = c.message.slice();
      msg.set(ip6(addr), 8);
      expectDrop(decodeAll(msg), "group-not-multicast");
    }
  }
});

Deno.test("decodeMld reads captured MLDv2 reports of every record type", () => {
  const ff05 = ip6("ff05::db8:1");
  const ssm = ip6("ff3e::8000:1");
  const s1 = ip6("2001:db8::1");
  const s2 = ip6("2001:db8::2");
  const cases: [Capture, MulticastAddressRecord[]][] = [
    [LINUX_V2_REPORT_TO_EX, [{ recordType: MLD_CHANGE_TO_EXCLUDE_MODE, group: ff05, sources: [] }]],
    [LINUX_V2_REPORT_TO_IN, [{ recordType: MLD_CHANGE_TO_INCLUDE_MODE, group: ff05, sources: [] }]],
    [LINUX_V2_REPORT_ALLOW, [{ recordType: MLD_ALLOW_NEW_SOURCES, group: ssm, sources: [s1, s2] }]],
    [LINUX_V2_REPORT_BLOCK, [{ recordType: MLD_BLOCK_OLD_SOURCES, group: ssm, sources: [s1] }]],
    [LINUX_V2_REPORT_CURRENT_STATE, [
      { recordType: MLD_MODE_IS_INCLUDE, group: ssm, sources: [s1, s2] },
      { recordType: MLD_MODE_IS_EXCLUDE, group: ip6("ff02::1:ff74:3fb7"), sources: [] },
    ]],
  ];
  for (const [c, records] of cases) {
    deepStrictEqual(decodeAll(c.message), { ok: true, value: { type: "v2-report", records } });
  }
});

Deno.test("decodeMld reads an MLDv2 report, skipping unknown record types and aux data", () => {
  deepStrictEqual(decodeAll(V2_REPORT_UNKNOWN_AND_AUX), {
    ok: true,
    value: {
      type: "v2-report",
      records: [
        {
          recordType: MLD_ALLOW_NEW_SOURCES,
          group: ip6("ff3e::8000:1"),
          sources: [ip6("2001:db8::1")],
        },
        { recordType: MLD_MODE_IS_EXCLUDE, group: ip6("ff05::db8:3"), sources: [] },
      ],
    },
  });
});

Deno.test("decodeMld reads an MLDv2 report with no records, and ignores additional data", () => {
  const empty = hex("8f 00 00 00  00 00 00 00  # v2 report, 0 records");
  deepStrictEqual(decodeAll(empty), { ok: true, value: { type: "v2-report", records: [] } });
  // RFC 3810 section 5.2.11: bytes after the last record are ignored.
  const msg = resized(LINUX_V2_REPORT_TO_EX.message, 32);
  msg.set([0xde, 0xad, 0xbe, 0xef], 28);
  deepStrictEqual(decodeAll(msg), decodeAll(LINUX_V2_REPORT_TO_EX.message));
});

Deno.test("decodeMld fails fast on an absurd MLDv2 record count", () => {
  const msg = LINUX_V2_REPORT_TO_EX.message.slice();
  msg[6] = msg[7] = 0xff; // 65535 records claimed, one present
  expectDrop(decodeAll(msg), "truncated-mld");
  // Also in a large receive buffer: the message length bounds the work, not the buffer.
  const big = new Uint8Array(65536);
  big.set(msg, 100);
  expectDrop(decodeMld(big, 100, msg.length), "truncated-mld");
});

Deno.test("decodeMld rejects MLDv2 records whose sources or aux data run past the end", () => {
  const sources = LINUX_V2_REPORT_BLOCK.message.slice();
  sources[10] = sources[11] = 0xff; // 65535 sources claimed, one present
  expectDrop(decodeAll(sources), "truncated-mld");
  const aux = hex(`
    8f 00 00 00  00 00 00 01  # v2 report; 1 record
    02 02 00 00  # IS_EX; aux 2 words (8 bytes); 0 sources
    ff 05 00 00 00 00 00 00  00 00 00 00 0d b8 00 01  # ff05::db8:1
    00 00 00 00  # only 4 bytes of aux data
  `);
  expectDrop(decodeAll(aux), "truncated-mld");
  // The second of two records is cut short, then missing altogether.
  const two = LINUX_V2_REPORT_CURRENT_STATE.message;
  expectDrop(decodeAll(two.slice(0, two.length - 1)), "truncated-mld");
  expectDrop(decodeAll(two.slice(0, two.length - 20)), "truncated-mld");
});

Deno.test("decodeMld rejects an MLDv2 record for a non-multicast address, of any type", () => {
  for (const recordType of [MLD_CHANGE_TO_EXCLUDE_MODE, 7, 0]) {
    for (const addr of ["::", "2001:db8::1"]) {
      const msg = LINUX_V2_REPORT_TO_EX.message.slice();
      msg[8] = recordType;
      msg.set(ip6(addr), 12);
      expectDrop(decodeAll(msg), "group-not-multicast");
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Malformed messages and other ICMPv6 types.

Deno.test("decodeMld leaves the checksum to the kernel", () => {
  for (const c of CAPTURES) {
    const msg = c.message.slice();
    msg[2] ^= 0xff;
    deepStrictEqual(decodeAll(msg), decodeAll(c.message));
    deepStrictEqual(decodeAll(withoutChecksum(c.message)), decodeAll(c.message));
  }
});

Deno.test("decodeMld rejects messages shorter than their type needs", () => {
  for (
    const c of [LINUX_V1_GENERAL_QUERY, LINUX_V2_GENERAL_QUERY, LINUX_V1_REPORT, LINUX_V1_DONE]
  ) {
    for (const n of [0, 1, 4, 8, 23]) expectDrop(decodeMld(c.message, 0, n), "truncated-mld");
  }
  for (const n of [0, 1, 7]) {
    expectDrop(decodeMld(LINUX_V2_REPORT_TO_EX.message, 0, n), "truncated-mld");
  }
  // 8 to 27 bytes of a one-record report: the record is missing or cut.
  for (const n of [8, 20, 27]) {
    expectDrop(decodeMld(LINUX_V2_REPORT_TO_EX.message, 0, n), "truncated-mld");
  }
});

Deno.test("decodeMld rejects a length or offset outside the buffer", () => {
  const msg = LINUX_V1_REPORT.message;
  expectDrop(decodeMld(msg, 0, 25), "truncated-mld");
  expectDrop(decodeMld(msg, 4, 24), "truncated-mld");
  expectDrop(decodeMld(msg, -1, 24), "truncated-mld");
  expectDrop(decodeMld(new Uint8Array(0), 0, 0), "truncated-mld");
});

Deno.test("decodeMld calls other ICMPv6 types and kernel upcalls not-mld", () => {
  for (
    const msg of [
      hex("80 00 00 00  00 01 00 01  # echo request"),
      hex("85 00 00 00  00 00 00 00  # router solicitation"),
      hex(`
        87 00 00 00  00 00 00 00  # neighbor solicitation
        fe 80 00 00 00 00 00 00  00 00 00 00 00 00 00 01  # target fe80::1
      `),
      hex("97 10 00 00  00 7d 00 02  # multicast router advertisement (RFC 4286)"),
      hex(`
        00 01 00 00  00 00 00 00  # mrt6msg: zero byte, MRT6MSG_NOCACHE, mif 0
        20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 01  # source 2001:db8::1
        ff 0e 00 00 00 00 00 00  00 00 00 00 0d b8 00 02  # group ff0e::db8:2
      `),
    ]
  ) {
    expectDrop(decodeAll(msg), "not-mld");
  }
  for (const type of [0x81, 0x8e, 0x90, 0xff]) {
    expectDrop(decodeAll(resized(new Uint8Array([type]), 24)), "not-mld");
  }
});

Deno.test("decodeMld reads a message at an offset and copies its addresses", () => {
  const buf = new Uint8Array(200);
  buf.set(LINUX_V2_REPORT_ALLOW.message, 40);
  const r = decodeMld(buf, 40, LINUX_V2_REPORT_ALLOW.message.length);
  deepStrictEqual(r, decodeAll(LINUX_V2_REPORT_ALLOW.message));
  buf.fill(0); // the runtime reuses its receive buffer
  deepStrictEqual(r, decodeAll(LINUX_V2_REPORT_ALLOW.message));
});

Deno.test("decodeMld never throws on random bytes and bounds its work", () => {
  const rand = mulberry32(6);
  const types = [MLD_LISTENER_QUERY, MLD_LISTENER_REPORT, MLD_LISTENER_DONE, MLDV2_LISTENER_REPORT];
  for (let i = 0; i < 20_000; i++) {
    const length = Math.floor(rand() * 120);
    const buf = new Uint8Array(length + 8);
    for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
    buf[4] = types[i % types.length]; // mostly MLD, so that the parsers run
    const r = decodeMld(buf, 4, length);
    if (r.ok) continue;
    strictEqual(typeof r.reason, "string");
  }
});

// ---------------------------------------------------------------------------------------------
// Whole packets: source, hop limit, Router Alert, destination.

Deno.test("decodeMldPacket accepts every capture from a link-local address", () => {
  for (const c of LINK_LOCAL_CAPTURES) {
    deepStrictEqual(decodeMldPacket(packetInput(c)), {
      ok: true,
      value: {
        source: ip6(c.source),
        destination: ip6(c.destination),
        mld: expectMessage(decodeAll(c.message)),
      },
    });
  }
});

Deno.test("decodeMldPacket leaves out what it was not told", () => {
  const r = decodeMldPacket({
    source: ip6(HOST_V1),
    hopLimit: undefined,
    data: LINUX_V1_REPORT.message,
    length: 24,
  });
  deepStrictEqual(r, {
    ok: true,
    value: { source: ip6(HOST_V1), mld: { type: "v1-report", group: ip6("ff05::db8:1") } },
  });
});

Deno.test("decodeMldPacket drops captured reports from :: (RFC 3810 section 5.2.13)", () => {
  // RFC 3590 lets a host without a usable link-local address send these; routers discard them.
  for (const c of [LINUX_V1_REPORT_FROM_UNSPECIFIED, LINUX_V2_REPORT_FROM_UNSPECIFIED]) {
    expectDrop(decodeMldPacket(packetInput(c)), "mld-source-unspecified");
  }
  // A query from :: never wins an election (RFC 3810 section 5.1.14).
  const query = packetInput(LINUX_V2_GENERAL_QUERY, { source: ip6("::") });
  expectDrop(decodeMldPacket(query), "mld-source-unspecified");
});

Deno.test("decodeMldPacket drops MLD from sources outside fe80::/10", () => {
  for (const source of ["2001:db8::1", "fec0::1", "fe7f::1", "::1", "ff02::1", "::ffff:10.0.0.1"]) {
    for (const c of [LINUX_V1_GENERAL_QUERY, LINUX_V1_REPORT, LINUX_V2_REPORT_TO_EX]) {
      const input = packetInput(c, { source: ip6(source) });
      expectDrop(decodeMldPacket(input), "mld-source-not-link-local");
    }
  }
  // The first bytes of a link-local address are not an address.
  const short = packetInput(LINUX_V1_REPORT, { source: ip6(HOST_V1).slice(0, 4) });
  expectDrop(decodeMldPacket(short), "mld-source-not-link-local");
});

Deno.test("decodeMldPacket drops any hop limit but 1, and accepts an unknown one", () => {
  for (const hopLimit of [255, 64, 2, 0]) {
    for (const c of [LINUX_V2_GENERAL_QUERY, LINUX_V1_DONE, LINUX_V2_REPORT_BLOCK]) {
      expectDrop(decodeMldPacket(packetInput(c, { hopLimit })), "bad-hop-limit");
    }
  }
  strictEqual(decodeMldPacket(packetInput(LINUX_V1_DONE, { hopLimit: undefined })).ok, true);
});

Deno.test("decodeMldPacket drops MLD without Router Alert, and accepts when unknown", () => {
  const input = packetInput(LINUX_V2_REPORT_TO_EX, { routerAlert: false });
  expectDrop(decodeMldPacket(input), "missing-router-alert");
  const unknown = packetInput(LINUX_V2_REPORT_TO_EX, { routerAlert: undefined });
  strictEqual(decodeMldPacket(unknown).ok, true);
});

Deno.test("decodeMldPacket rejects MLDv1 reports sent to another multicast address", () => {
  for (const destination of ["ff02::2", "ff02::16", "ff05::db8:2", "ff02::1"]) {
    const input = packetInput(LINUX_V1_REPORT, { destination: ip6(destination) });
    expectDrop(decodeMldPacket(input), "report-group-mismatch");
  }
  // To one of our unicast addresses: accepted (RFC 3810 section 5.2.14).
  const unicast = packetInput(LINUX_V1_REPORT, { destination: ip6("fe80::1") });
  strictEqual(decodeMldPacket(unicast).ok, true);
  // Dones, MLDv2 reports and queries are not held to a destination.
  for (const c of [LINUX_V1_DONE, LINUX_V2_REPORT_TO_EX, LINUX_V2_SPECIFIC_QUERY]) {
    const input = packetInput(c, { destination: ip6("ff05::db8:9") });
    strictEqual(decodeMldPacket(input).ok, true, c.destination);
  }
});

Deno.test("decodeMldPacket says not-mld before judging the IPv6 header", () => {
  // A neighbor solicitation during DAD: from ::, hop limit 255, no Router Alert.
  const ns = hex(`
    87 00 00 00  00 00 00 00  # neighbor solicitation
    fe 80 00 00 00 00 00 00  00 00 00 00 00 00 00 01  # target fe80::1
  `);
  const r = decodeMldPacket({
    source: ip6("::"),
    destination: ip6("ff02::1:ff00:1"),
    hopLimit: 255,
    routerAlert: false,
    data: ns,
    length: ns.length,
  });
  expectDrop(r, "not-mld");
});

Deno.test("decodeMldPacket passes on decodeMld's reasons and checks its length", () => {
  const c = LINUX_V1_GENERAL_QUERY;
  const data = resized(c.message, 26);
  expectDrop(decodeMldPacket(packetInput(c, { data, length: 26 })), "bad-mld-query-length");
  expectDrop(decodeMldPacket(packetInput(c, { length: 20 })), "truncated-mld");
  expectDrop(decodeMldPacket(packetInput(c, { length: 25 })), "truncated-mld"); // past data
  expectDrop(decodeMldPacket(packetInput(c, { length: 0 })), "truncated-mld");
  const unicast = c.message.slice();
  unicast.set(ip6("2001:db8::1"), 8);
  expectDrop(decodeMldPacket(packetInput(c, { data: unicast })), "group-not-multicast");
});

Deno.test("decodeMldPacket copies the addresses it returns", () => {
  const input = packetInput(LINUX_V1_REPORT);
  const r = decodeMldPacket(input);
  input.source.fill(0);
  input.destination!.fill(0);
  deepStrictEqual(r.ok && r.value.source, ip6(HOST_V1));
  deepStrictEqual(r.ok && r.value.destination, ip6("ff05::db8:1"));
});

// ---------------------------------------------------------------------------------------------
// Router Alert.

Deno.test("hasMldRouterAlert finds Router Alert 0 in the captured hop-by-hop headers", () => {
  strictEqual(hasMldRouterAlert(HOST_HOP_BY_HOP), true);
  strictEqual(hasMldRouterAlert(BRIDGE_HOP_BY_HOP), true);
  // After another option, in a 16-byte header.
  const later = hex(`
    3a 01        # next header 58; hdr ext len 1 (16 bytes)
    01 02 00 00  # PadN, length 2
    c2 04 00 00 ff ff  # jumbo payload, ignored
    05 02 00 00  # Router Alert 0
  `);
  strictEqual(hasMldRouterAlert(later), true);
});

Deno.test("hasMldRouterAlert says no for another value, a bad option or a bad header", () => {
  for (
    const hbh of [
      hex("3a 00  01 04 00 00 00 00  # PadN only"),
      hex("3a 00  05 02 00 01  01 00  # Router Alert 1 (RSVP)"),
      hex("3a 00  05 01 00  01 01 00  # Router Alert of length 1"),
      hex("3a 00  01 02 00 00  05 02  # Router Alert's value would be past the 8 bytes"),
      hex("3a 01  05 02 00 00  01 00  # hdr ext len 1 says 16 bytes, 8 present"),
      hex("3a 00  00 00 00 00 00  05  # Router Alert type in the last byte, no length"),
      hex("3a 00  05 02 00  # 5 bytes"),
      new Uint8Array(0),
    ]
  ) {
    strictEqual(hasMldRouterAlert(hbh), false, Array.from(hbh).join(" "));
  }
});

// ---------------------------------------------------------------------------------------------
// Proxiable groups.

Deno.test("isMldProxiableGroup is scope 3 and wider, whatever the flags", () => {
  for (
    const group of [
      "ff03::1", // realm-local
      "ff04::1", // admin-local
      "ff05::db8:1", // site-local
      "ff08::1", // organization-local
      "ff0e::db8:2", // global
      "ff15::1", // transient, site-local
      "ff3e::8000:1", // SSM, global
      "ff35::8000:1", // SSM, site-local
      "ff7e:140:2001:db8::1", // embedded RP
      "ff0f::1", // reserved scope f: handled as global (RFC 4291 section 2.7)
    ]
  ) {
    strictEqual(isMldProxiableGroup(ip6(group)), true, group);
  }
  for (
    const group of [
      "ff00::1", // reserved scope 0
      "ff01::1", // interface-local
      "ff02::1", // all nodes
      "ff02::16", // all MLDv2 routers
      "ff02::1:ff6b:4aba", // solicited-node
      "ff12::1", // transient, link-local
      "ff32::8000:1", // SSM, link-local
      "fe80::1",
      "::",
      "2001:db8::1",
    ]
  ) {
    strictEqual(isMldProxiableGroup(ip6(group)), false, group);
  }
  strictEqual(isMldProxiableGroup(new Uint8Array([0xff, 0x0e, 0, 1])), false); // 4 bytes
});

// ---------------------------------------------------------------------------------------------
// Maximum Response Code.

Deno.test("decodeMldMaxRespCode reads linear and floating-point codes", () => {
  strictEqual(decodeMldMaxRespCode(0), 0);
  strictEqual(decodeMldMaxRespCode(10_000), 10_000);
  strictEqual(decodeMldMaxRespCode(0x7fff), 32_767);
  strictEqual(decodeMldMaxRespCode(0x8000), 32_768); // exp 0, mant 0: 0x1000 << 3
  strictEqual(decodeMldMaxRespCode(0x8fff), 65_528); // exp 0, mant 0xfff: 0x1fff << 3
  strictEqual(decodeMldMaxRespCode(0x9000), 65_536); // exp 1, mant 0: 0x1000 << 4
  strictEqual(decodeMldMaxRespCode(0x9c40), 115_712); // exp 1, mant 0xc40: 0x1c40 << 4
  strictEqual(decodeMldMaxRespCode(0xffff), 8_387_584); // exp 7, mant 0xfff: 0x1fff << 10
});

Deno.test("encodeMldMaxRespCode inverts decodeMldMaxRespCode for all 65 536 codes", () => {
  for (let code = 0; code <= 0xffff; code++) {
    const got = encodeMldMaxRespCode(decodeMldMaxRespCode(code));
    if (got !== code) throw new Error(`${code} round-trips to ${got}`);
  }
});

Deno.test("encodeMldMaxRespCode rounds down and clamps", () => {
  strictEqual(encodeMldMaxRespCode(32_767), 0x7fff);
  strictEqual(encodeMldMaxRespCode(32_775), 0x8000); // 32 768 <= v < 32 776
  strictEqual(encodeMldMaxRespCode(40_000), 0x8388); // exactly 0x1388 << 3
  strictEqual(encodeMldMaxRespCode(65_535), 0x8fff); // 65 528
  strictEqual(encodeMldMaxRespCode(1e9), 0xffff);
  strictEqual(encodeMldMaxRespCode(-5), 0);
  strictEqual(encodeMldMaxRespCode(Number.NaN), 0);
  strictEqual(encodeMldMaxRespCode(1_000.9), 1_000);
  // Every value maps to the largest representable value not above it.
  let prev = 0;
  for (let v = 0; v <= MLD_MRC_MAX; v++) {
    const got = decodeMldMaxRespCode(encodeMldMaxRespCode(v));
    if (got > v || got < prev) throw new Error(`${v} encodes to ${got}`);
    prev = got;
  }
});

// ---------------------------------------------------------------------------------------------
// Encoders and round trips.

Deno.test("encodeMldQuery writes the captured MLDv1 queries, checksum left 0", () => {
  deepStrictEqual(
    encodeMldQuery({ group: IN6ADDR_ANY, maxRespDelayMs: 10_000, version: 1 }),
    withoutChecksum(LINUX_V1_GENERAL_QUERY.message),
  );
  deepStrictEqual(
    encodeMldQuery({ group: ip6("ff05::db8:1"), maxRespDelayMs: 1_000, version: 1 }),
    withoutChecksum(LINUX_V1_SPECIFIC_QUERY.message),
  );
});

Deno.test("encodeMldQuery clamps the MLDv1 Maximum Response Delay to 1..65535 ms", () => {
  const at = (maxRespDelayMs: number) => {
    const q = encodeMldQuery({ group: IN6ADDR_ANY, maxRespDelayMs, version: 1 });
    return (q[4] << 8) | q[5];
  };
  strictEqual(at(0), 1);
  strictEqual(at(0.4), 1);
  strictEqual(at(1_000.6), 1_001);
  strictEqual(at(65_535), 65_535);
  strictEqual(at(125_000), 65_535);
  strictEqual(at(Number.NaN), 1);
});

Deno.test("encodeMldQuery writes the captured MLDv2 queries, checksum left 0", () => {
  deepStrictEqual(
    encodeMldQuery({ group: IN6ADDR_ANY, maxRespDelayMs: 10_000, version: 2, qqicSeconds: 20 }),
    withoutChecksum(LINUX_V2_GENERAL_QUERY.message),
  );
  deepStrictEqual(
    encodeMldQuery({
      group: ip6("ff05::db8:1"),
      maxRespDelayMs: 1_000,
      version: 2,
      suppressRouterSide: true,
      qrv: 2,
      qqicSeconds: 20,
    }),
    withoutChecksum(LINUX_V2_SPECIFIC_QUERY.message),
  );
  deepStrictEqual(
    encodeMldQuery({
      group: ip6("ff3e::8000:1"),
      maxRespDelayMs: 1_000,
      version: 2,
      qqicSeconds: 20,
      sources: [ip6("2001:db8::1")],
    }),
    withoutChecksum(LINUX_V2_SOURCE_QUERY.message),
  );
  deepStrictEqual(
    encodeMldQuery({
      group: ip6("ff0e::db8:2"),
      maxRespDelayMs: 65_536,
      version: 2,
      qrv: 8,
      qqicSeconds: 224,
    }),
    V2_FLOAT_QUERY,
  );
});

Deno.test("encodeMldQuery encodes what the Linux bridge could not: 40 s as 0x8388", () => {
  const q = encodeMldQuery({ group: IN6ADDR_ANY, maxRespDelayMs: 40_000, version: 2 });
  deepStrictEqual([q[4], q[5]], [0x83, 0x88]);
  const m = expectMessage(decodeAll(q));
  strictEqual(m.type === "query" && m.maxRespDelayMs, 40_000);
});

Deno.test("encodeMldQuery clamps MLDv2 codes, QRV and QQIC", () => {
  const code = (maxRespDelayMs: number) => {
    const q = encodeMldQuery({ group: IN6ADDR_ANY, maxRespDelayMs, version: 2 });
    return (q[4] << 8) | q[5];
  };
  strictEqual(code(0), 1);
  strictEqual(code(32_767), 0x7fff);
  strictEqual(code(32_768), 0x8000);
  strictEqual(code(1e12), 0xffff);
  const q = encodeMldQuery({
    group: IN6ADDR_ANY,
    maxRespDelayMs: 10_000,
    version: 2,
    qrv: 9,
    qqicSeconds: 300,
  });
  strictEqual(q[24], 0x00); // S 0, QRV above 7 sent as 0 (RFC 3810 section 5.1.8)
  strictEqual(q[25], 0x92); // 300 s -> exp 1, mant 2: 18 << 4 = 288, rounded down
  const defaults = encodeMldQuery({ group: IN6ADDR_ANY, maxRespDelayMs: 10_000, version: 2 });
  deepStrictEqual([defaults[24], defaults[25]], [0x02, 125]); // QRV 2, QQIC 125 s
});

Deno.test("encodeMldQuery output decodes to what was asked", () => {
  const cases: MldQueryOptions[] = [
    { group: IN6ADDR_ANY, maxRespDelayMs: 10_000, version: 1 },
    { group: ip6("ff0e::db8:2"), maxRespDelayMs: 1_000, version: 1 },
    { group: IN6ADDR_ANY, maxRespDelayMs: 131_072, version: 2, qrv: 3, qqicSeconds: 60 },
    {
      group: ip6("ff3e::8000:1"),
      maxRespDelayMs: 2_000,
      version: 2,
      suppressRouterSide: true,
      qrv: 7,
      qqicSeconds: 125,
      sources: [ip6("2001:db8::1"), ip6("2001:db8::2"), ip6("2001:db8:ffff::ffff")],
    },
  ];
  for (const opts of cases) {
    const n = opts.sources?.length ?? 0;
    const msg = encodeMldQuery(opts);
    const want: MldMessage = opts.version === 1
      ? { type: "query", version: 1, group: opts.group, maxRespDelayMs: opts.maxRespDelayMs }
      : {
        type: "query",
        version: 2,
        group: opts.group,
        maxRespDelayMs: opts.maxRespDelayMs,
        suppressRouterSide: opts.suppressRouterSide ?? false,
        qrv: opts.qrv ?? 2,
        qqicSeconds: opts.qqicSeconds ?? 125,
        sources: [...(opts.sources ?? [])],
      };
    expectRoundTrip(msg, want, opts.version === 1 ? 24 : 28 + 16 * n);
  }
});

Deno.test("encodeMldV1Report and encodeMldDone write the captures, checksum left 0", () => {
  const group = ip6("ff05::db8:1");
  deepStrictEqual(encodeMldV1Report(group), withoutChecksum(LINUX_V1_REPORT.message));
  deepStrictEqual(encodeMldDone(group), withoutChecksum(LINUX_V1_DONE.message));
});

Deno.test("report and done encoders round-trip through decodeMld", () => {
  for (const s of ["ff05::db8:1", "ff3e::8000:1", "ff02::1:ff6b:4aba", "ffff:ffff::ffff"]) {
    const group = ip6(s);
    expectRoundTrip(encodeMldV1Report(group), { type: "v1-report", group }, 24);
    expectRoundTrip(encodeMldDone(group), { type: "done", group }, 24);
  }
});

Deno.test("encodeMldV2Report writes the captured reports, checksum left 0", () => {
  for (
    const c of [
      LINUX_V2_REPORT_TO_EX,
      LINUX_V2_REPORT_TO_IN,
      LINUX_V2_REPORT_ALLOW,
      LINUX_V2_REPORT_CURRENT_STATE,
      LINUX_V2_REPORT_BLOCK,
    ]
  ) {
    const m = expectMessage(decodeAll(c.message));
    if (m.type !== "v2-report") throw new Error(m.type);
    deepStrictEqual(encodeMldV2Report(m.records), withoutChecksum(c.message));
  }
});

Deno.test("encodeMldV2Report round-trips through decodeMld with exact length", () => {
  const records: MulticastAddressRecord[] = [
    { recordType: MLD_CHANGE_TO_EXCLUDE_MODE, group: ip6("ff05::db8:1"), sources: [] },
    {
      recordType: MLD_ALLOW_NEW_SOURCES,
      group: ip6("ff3e::8000:1"),
      sources: [ip6("2001:db8::1"), ip6("2001:db8::2")],
    },
    {
      recordType: MLD_BLOCK_OLD_SOURCES,
      group: ip6("ff3e::8000:1"),
      sources: [ip6("2001:db8::3")],
    },
  ];
  expectRoundTrip(
    encodeMldV2Report(records),
    { type: "v2-report", records },
    8 + (20 + 0) + (20 + 32) + (20 + 16),
  );
  expectRoundTrip(encodeMldV2Report([]), { type: "v2-report", records: [] }, 8);
});

Deno.test("encoders reject lists longer than a 16-bit count and addresses of other sizes", () => {
  const many = new Array<Uint8Array>(0x10000).fill(ip6("2001:db8::1"));
  throws(
    () => encodeMldQuery({ group: IN6ADDR_ANY, maxRespDelayMs: 1_000, version: 2, sources: many }),
    RangeError,
  );
  const group = ip6("ff05::db8:1");
  throws(
    () => encodeMldV2Report([{ recordType: MLD_MODE_IS_INCLUDE, group, sources: many }]),
    RangeError,
  );
  const records = new Array<MulticastAddressRecord>(0x10000).fill({
    recordType: MLD_CHANGE_TO_EXCLUDE_MODE,
    group,
    sources: [],
  });
  throws(() => encodeMldV2Report(records), RangeError);
  const v4 = new Uint8Array([239, 1, 1, 1]);
  throws(() => encodeMldV1Report(v4), RangeError);
  throws(() => encodeMldDone(v4), RangeError);
  throws(() => encodeMldQuery({ group: v4, maxRespDelayMs: 1_000, version: 1 }), RangeError);
  throws(
    () => encodeMldQuery({ group, maxRespDelayMs: 1_000, version: 2, sources: [v4] }),
    RangeError,
  );
  throws(
    () => encodeMldV2Report([{ recordType: MLD_MODE_IS_INCLUDE, group, sources: [v4] }]),
    RangeError,
  );
});
