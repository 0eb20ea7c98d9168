import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  ALLOW_NEW_SOURCES,
  BLOCK_OLD_SOURCES,
  CHANGE_TO_EXCLUDE_MODE,
  CHANGE_TO_INCLUDE_MODE,
  decodeFloatCode,
  decodeIgmp,
  decodeIgmpPacket,
  encodeFloatCode,
  encodeLeave,
  encodeQuery,
  encodeV1Report,
  encodeV2Report,
  encodeV3Report,
  type GroupRecord,
  IGMP_FLOAT_MAX,
  IGMP_MEMBERSHIP_QUERY,
  IGMP_V1_MEMBERSHIP_REPORT,
  IGMP_V2_LEAVE_GROUP,
  IGMP_V2_MEMBERSHIP_REPORT,
  IGMP_V3_MEMBERSHIP_REPORT,
  type IgmpMessage,
  INADDR_ALLHOSTS_GROUP,
  INADDR_ALLRPTS_GROUP,
  INADDR_ALLRTRS_GROUP,
  MODE_IS_EXCLUDE,
  MODE_IS_INCLUDE,
} from "./igmp.ts";
import type { DropReason, Result } from "./result.ts";
import { buildIPv4Packet, fixChecksum, hex, ip } from "./testing.ts";

// ---------------------------------------------------------------------------------------------
// Vectors. Each is the IGMP message only (the IP payload) unless its name says "packet".

/** IGMPv1 general query, as an IGMPv1 router (RFC 1112 Appendix I) sends it. */
const V1_QUERY = hex(`
  11           # type: membership query
  00           # unused in IGMPv1 (max resp code 0 -> v1 by RFC 3376 section 7.1)
  ee ff        # checksum
  00 00 00 00  # group: 0 (general)
`);

/** IGMPv2 general query, max resp 10 s (code 100), as Linux's bridge querier sends it. */
const V2_GENERAL_QUERY = hex(`
  11           # type: membership query
  64           # max resp code: 100 tenths = 10 s
  ee 9b        # checksum
  00 00 00 00  # group: 0 (general)
`);

/** IGMPv2 group-specific query for 239.1.1.1, max resp 1 s (Last Member Query Interval). */
const V2_GROUP_QUERY = hex(`
  11           # type: membership query
  0a           # max resp code: 10 tenths = 1 s
  fe f2        # checksum
  ef 01 01 01  # group: 239.1.1.1
`);

/** IGMPv3 general query: 10 s, QRV 2, QQIC 125 s, no sources. */
const V3_GENERAL_QUERY = hex(`
  11           # type: membership query
  64           # max resp code: 100 -> 10 s
  ec 1e        # checksum
  00 00 00 00  # group: 0 (general)
  02           # resv 0000, S 0, QRV 2
  7d           # QQIC: 125 s
  00 00        # number of sources: 0
`);

/** IGMPv3 group-and-source-specific query with floating-point codes and the S flag. */
const V3_SOURCE_QUERY = hex(`
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
const V1_REPORT = hex(`
  12           # type: v1 membership report
  00           # unused
  fd fc        # checksum
  ef 01 01 01  # group: 239.1.1.1
`);

/** IGMPv2 report for 239.1.1.1, the IGMP part of the Linux capture below. */
const V2_REPORT = hex(`
  16           # type: v2 membership report
  00           # max resp code: 0
  f9 fc        # checksum
  ef 01 01 01  # group: 239.1.1.1
`);

/** IGMPv2 leave for 239.1.1.1. */
const LEAVE = hex(`
  17           # type: leave group
  00           # max resp code: 0
  f8 fc        # checksum
  ef 01 01 01  # group: 239.1.1.1
`);

/** IGMPv3 report with three records: one with sources, one of an unknown type, one with aux. */
const V3_REPORT = hex(`
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
const LINUX_V2_REPORT_PACKET = hex(`
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
const LINUX_V3_REPORT_PACKET = hex(`
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

function decodeAll(msg: Uint8Array): Result<IgmpMessage> {
  return decodeIgmp(msg, 0, msg.length);
}

function expectDrop<T>(r: Result<T>, reason: DropReason): void {
  deepStrictEqual(r, { ok: false, reason });
}

function expectMessage(r: Result<IgmpMessage>): IgmpMessage {
  if (!r.ok) throw new Error(`Expected a message, got "${r.reason}"`);
  return r.value;
}

/** A copy with one bit flipped at `at` (checksum no longer verifies). */
function corrupt(msg: Uint8Array, at: number): Uint8Array {
  const copy = msg.slice();
  copy[at] ^= 0x01;
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Constants.

Deno.test("IGMP constants keep their C values", () => {
  strictEqual(IGMP_MEMBERSHIP_QUERY, 0x11);
  strictEqual(IGMP_V1_MEMBERSHIP_REPORT, 0x12);
  strictEqual(IGMP_V2_MEMBERSHIP_REPORT, 0x16);
  strictEqual(IGMP_V2_LEAVE_GROUP, 0x17);
  strictEqual(IGMP_V3_MEMBERSHIP_REPORT, 0x22);
  strictEqual(INADDR_ALLHOSTS_GROUP, ip("224.0.0.1"));
  strictEqual(INADDR_ALLRTRS_GROUP, ip("224.0.0.2"));
  strictEqual(INADDR_ALLRPTS_GROUP, ip("224.0.0.22"));
  deepStrictEqual(
    [
      MODE_IS_INCLUDE,
      MODE_IS_EXCLUDE,
      CHANGE_TO_INCLUDE_MODE,
      CHANGE_TO_EXCLUDE_MODE,
      ALLOW_NEW_SOURCES,
      BLOCK_OLD_SOURCES,
    ],
    [1, 2, 3, 4, 5, 6],
  );
});

// ---------------------------------------------------------------------------------------------
// Queries.

Deno.test("decodeIgmp reads an IGMPv1 query (8 bytes, code 0) as 10 s", () => {
  deepStrictEqual(decodeAll(V1_QUERY), {
    ok: true,
    value: { type: "query", version: 1, group: 0, maxRespTimeMs: 10_000 },
  });
});

Deno.test("decodeIgmp reads IGMPv2 general and group-specific queries", () => {
  deepStrictEqual(decodeAll(V2_GENERAL_QUERY), {
    ok: true,
    value: { type: "query", version: 2, group: 0, maxRespTimeMs: 10_000 },
  });
  deepStrictEqual(decodeAll(V2_GROUP_QUERY), {
    ok: true,
    value: { type: "query", version: 2, group: ip("239.1.1.1"), maxRespTimeMs: 1_000 },
  });
});

Deno.test("decodeIgmp reads an IGMPv3 general query", () => {
  deepStrictEqual(decodeAll(V3_GENERAL_QUERY), {
    ok: true,
    value: {
      type: "query",
      version: 3,
      group: 0,
      maxRespTimeMs: 10_000,
      suppressRouterSide: false,
      qrv: 2,
      qqicSeconds: 125,
      sources: [],
    },
  });
});

Deno.test("decodeIgmp reads an IGMPv3 group-and-source query with floating-point codes", () => {
  deepStrictEqual(decodeAll(V3_SOURCE_QUERY), {
    ok: true,
    value: {
      type: "query",
      version: 3,
      group: ip("239.1.1.1"),
      maxRespTimeMs: 24_800,
      suppressRouterSide: true,
      qrv: 2,
      qqicSeconds: 224,
      sources: [ip("10.0.0.1"), ip("10.0.0.2")],
    },
  });
});

Deno.test("decodeIgmp ignores queries of 9 to 11 bytes (RFC 3376 section 7.1)", () => {
  for (const extra of [1, 2, 3]) {
    // Zero bytes appended leave the checksum valid: only the length is wrong.
    const msg = new Uint8Array(8 + extra);
    msg.set(V2_GENERAL_QUERY);
    expectDrop(decodeAll(msg), "bad-query-length");
  }
});

Deno.test("decodeIgmp reads a query of 12 or more bytes as IGMPv3, ignoring trailing data", () => {
  const msg = new Uint8Array(16); // 12-byte v3 query + 4 bytes of additional data (section 4.1.10)
  msg.set(V3_GENERAL_QUERY);
  msg.set([0xde, 0xad, 0xbe, 0xef], 12);
  fixChecksum(msg, { field: 2 });
  const q = expectMessage(decodeAll(msg));
  strictEqual(q.type === "query" && q.version, 3);
  deepStrictEqual(q.type === "query" && q.sources, []);
});

Deno.test("decodeIgmp rejects an IGMPv3 query whose sources run past the end", () => {
  const msg = hex(`
    11 64 e2 1b  # query; 10 s; checksum
    00 00 00 00  # general
    02 7d 00 02  # QRV 2; QQIC 125; 2 sources claimed
    0a 00 00 01  # only one present
  `);
  expectDrop(decodeAll(msg), "truncated-igmp");
  // 65535 sources claimed in a 12-byte message.
  const absurd = V3_GENERAL_QUERY.slice();
  absurd[10] = absurd[11] = 0xff;
  fixChecksum(absurd, { field: 2 });
  expectDrop(decodeAll(absurd), "truncated-igmp");
});

Deno.test("decodeIgmp rejects a query for a unicast group", () => {
  const msg = hex("11 64 e4 9a  0a 00 00 01  # v2 query for 10.0.0.1");
  expectDrop(decodeAll(msg), "group-not-multicast");
});

// ---------------------------------------------------------------------------------------------
// Reports and leaves.

Deno.test("decodeIgmp reads IGMPv1 and IGMPv2 reports and leaves", () => {
  const group = ip("239.1.1.1");
  deepStrictEqual(decodeAll(V1_REPORT), { ok: true, value: { type: "v1-report", group } });
  deepStrictEqual(decodeAll(V2_REPORT), { ok: true, value: { type: "v2-report", group } });
  deepStrictEqual(decodeAll(LEAVE), { ok: true, value: { type: "leave", group } });
});

Deno.test("decodeIgmp ignores bytes past 8 in an IGMPv2 report (RFC 2236 section 2.5)", () => {
  const msg = hex(`
    16 00 f5 f6  # v2 report; checksum over all 12 bytes
    ef 01 01 01  # group 239.1.1.1
    01 02 03 04  # extension data
  `);
  deepStrictEqual(decodeAll(msg), {
    ok: true,
    value: { type: "v2-report", group: ip("239.1.1.1") },
  });
});

Deno.test("decodeIgmp rejects a report for a unicast group", () => {
  const msg = hex("16 00 df fe  0a 00 00 01  # v2 report for 10.0.0.1");
  expectDrop(decodeAll(msg), "group-not-multicast");
  const leave = hex("17 00 e8 ff  00 00 00 00  # leave for 0.0.0.0");
  expectDrop(decodeAll(leave), "group-not-multicast");
});

Deno.test("decodeIgmp reads an IGMPv3 report, skipping unknown record types and aux data", () => {
  deepStrictEqual(decodeAll(V3_REPORT), {
    ok: true,
    value: {
      type: "v3-report",
      records: [
        {
          recordType: MODE_IS_INCLUDE,
          group: ip("239.1.1.1"),
          sources: [ip("10.0.0.1"), ip("10.0.0.2")],
        },
        { recordType: MODE_IS_EXCLUDE, group: ip("239.3.3.3"), sources: [] },
      ],
    },
  });
});

Deno.test("decodeIgmp reads an IGMPv3 report with no records", () => {
  const msg = hex("22 00 dd ff  00 00 00 00  # v3 report, 0 records");
  deepStrictEqual(decodeAll(msg), { ok: true, value: { type: "v3-report", records: [] } });
});

Deno.test("decodeIgmp fails fast on an absurd IGMPv3 record count", () => {
  const msg = hex(`
    22 00 e9 fc  # v3 report; checksum
    00 00 ff ff  # 65535 group records claimed
    04 00 00 00  # one record: TO_EX, aux 0, 0 sources
    ef 01 01 01  # group 239.1.1.1
  `);
  expectDrop(decodeAll(msg), "truncated-igmp");
  // Also in a large receive buffer: the message length bounds the work, not the buffer.
  const big = new Uint8Array(65536);
  big.set(msg, 100);
  expectDrop(decodeIgmp(big, 100, msg.length), "truncated-igmp");
});

Deno.test("decodeIgmp rejects IGMPv3 records whose sources or aux data run past the end", () => {
  const sources = hex(`
    22 00 e2 fa  # v3 report; checksum
    00 00 00 01  # 1 record
    01 00 ff ff  # IS_IN; aux 0; 65535 sources claimed
    ef 01 01 01  # group 239.1.1.1
    0a 00 00 01  # one source present
  `);
  expectDrop(decodeAll(sources), "truncated-igmp");
  const aux = hex(`
    22 00 ec f9  # v3 report; checksum
    00 00 00 01  # 1 record
    01 02 00 00  # IS_IN; aux 2 words (8 bytes); 0 sources
    ef 01 01 01  # group 239.1.1.1
    00 00 00 00  # only 4 bytes of aux data
  `);
  expectDrop(decodeAll(aux), "truncated-igmp");
  // The second of two records is cut short.
  const second = encodeV3Report([
    { recordType: ALLOW_NEW_SOURCES, group: ip("239.1.1.1"), sources: [ip("10.0.0.1")] },
    { recordType: BLOCK_OLD_SOURCES, group: ip("239.1.1.2"), sources: [ip("10.0.0.2")] },
  ]);
  const cut = fixChecksum(second.slice(0, second.length - 4), { field: 2 });
  expectDrop(decodeAll(cut), "truncated-igmp");
});

Deno.test("decodeIgmp rejects an IGMPv3 record for a unicast group", () => {
  const msg = hex(`
    22 00 cf fd  # v3 report; checksum
    00 00 00 01  # 1 record
    04 00 00 00  # TO_EX; aux 0; 0 sources
    0a 00 00 01  # group 10.0.0.1
  `);
  expectDrop(decodeAll(msg), "group-not-multicast");
});

// ---------------------------------------------------------------------------------------------
// Malformed messages of every type.

Deno.test("decodeIgmp rejects a bad checksum for every message type", () => {
  for (
    const msg of [
      V1_QUERY,
      V2_GENERAL_QUERY,
      V2_GROUP_QUERY,
      V3_GENERAL_QUERY,
      V3_SOURCE_QUERY,
      V1_REPORT,
      V2_REPORT,
      LEAVE,
      V3_REPORT,
    ]
  ) {
    expectDrop(decodeAll(corrupt(msg, 3)), "bad-igmp-checksum"); // the checksum itself
    expectDrop(decodeAll(corrupt(msg, msg.length - 1)), "bad-igmp-checksum"); // the last byte
  }
});

Deno.test("decodeIgmp rejects messages shorter than 8 bytes", () => {
  for (const msg of [V1_QUERY, V2_REPORT, LEAVE, V3_REPORT]) {
    for (const n of [0, 1, 4, 7]) expectDrop(decodeIgmp(msg, 0, n), "truncated-igmp");
  }
});

Deno.test("decodeIgmp rejects a truncated message of every type", () => {
  // IGMPv3 messages cut inside their source lists or records.
  // Shortening changes the checksum too; re-fix it so that only the length is wrong.
  const query = fixChecksum(V3_SOURCE_QUERY.slice(0, 16), { field: 2 });
  expectDrop(decodeAll(query), "truncated-igmp");
  const report = fixChecksum(V3_REPORT.slice(0, 36), { field: 2 });
  expectDrop(decodeAll(report), "truncated-igmp");
  // A length past the end of the buffer.
  expectDrop(decodeIgmp(V2_REPORT, 0, 12), "truncated-igmp");
  expectDrop(decodeIgmp(V2_REPORT, 4, 8), "truncated-igmp");
  expectDrop(decodeIgmp(V2_REPORT, -1, 8), "truncated-igmp");
});

Deno.test("decodeIgmp rejects DVMRP, PIMv1, mtrace and other types", () => {
  for (
    const msg of [
      hex("13 00 ec ff  00 00 00 00  # DVMRP"),
      hex("14 00 eb ff  00 00 00 00  # PIMv1"),
      hex("1f 00 e0 ff  00 00 00 00  # mtrace"),
    ]
  ) {
    expectDrop(decodeAll(msg), "unknown-igmp-type");
  }
  for (const type of [0x00, 0x15, 0x1e, 0x23, 0xff]) {
    const msg = fixChecksum(new Uint8Array([type, 0, 0, 0, 0xef, 1, 1, 1]), { field: 2 });
    expectDrop(decodeAll(msg), "unknown-igmp-type");
  }
});

Deno.test("decodeIgmp reads a message at an offset", () => {
  const buf = new Uint8Array(40);
  buf.set(LEAVE, 24);
  deepStrictEqual(decodeIgmp(buf, 24, 8), {
    ok: true,
    value: { type: "leave", group: ip("239.1.1.1") },
  });
});

// ---------------------------------------------------------------------------------------------
// Whole packets.

Deno.test("decodeIgmpPacket reads a Linux IGMPv2 report with Router Alert", () => {
  deepStrictEqual(decodeIgmpPacket(LINUX_V2_REPORT_PACKET, LINUX_V2_REPORT_PACKET.length), {
    ok: true,
    value: {
      ip: {
        headerLength: 24,
        totalLength: 32,
        ttl: 1,
        protocol: 2,
        source: ip("10.0.0.2"),
        destination: ip("239.1.1.1"),
        hasRouterAlert: true,
      },
      igmp: { type: "v2-report", group: ip("239.1.1.1") },
    },
  });
});

Deno.test("decodeIgmpPacket reads a captured IGMPv3 report and ignores padding", () => {
  const r = decodeIgmpPacket(LINUX_V3_REPORT_PACKET, LINUX_V3_REPORT_PACKET.length);
  if (!r.ok) throw new Error(r.reason);
  strictEqual(r.value.ip.source, ip("103.227.240.18"));
  strictEqual(r.value.ip.destination, INADDR_ALLRPTS_GROUP);
  deepStrictEqual(r.value.igmp, {
    type: "v3-report",
    records: [{ recordType: CHANGE_TO_INCLUDE_MODE, group: ip("224.0.0.6"), sources: [] }],
  });
});

Deno.test("decodeIgmpPacket reads a leave sent to 224.0.0.2 and a query to 224.0.0.1", () => {
  const source = ip("10.0.0.2");
  const leave = buildIPv4Packet({ source, destination: INADDR_ALLRTRS_GROUP, payload: LEAVE });
  const l = decodeIgmpPacket(leave, leave.length);
  deepStrictEqual(l.ok && l.value.igmp, { type: "leave", group: ip("239.1.1.1") });
  const query = buildIPv4Packet({
    source,
    destination: INADDR_ALLHOSTS_GROUP,
    payload: V2_GENERAL_QUERY,
  });
  const q = decodeIgmpPacket(query, query.length);
  strictEqual(q.ok && q.value.igmp.type, "query");
});

Deno.test("decodeIgmpPacket rejects IGMPv1/v2 reports not sent to their group", () => {
  const source = ip("10.0.0.2");
  for (const payload of [V1_REPORT, V2_REPORT]) {
    for (const destination of [INADDR_ALLRTRS_GROUP, ip("239.9.9.9"), ip("10.0.0.1")]) {
      const pkt = buildIPv4Packet({ source, destination, payload });
      expectDrop(decodeIgmpPacket(pkt, pkt.length), "report-group-mismatch");
    }
  }
});

Deno.test("decodeIgmpPacket rejects another IP protocol", () => {
  const pkt = buildIPv4Packet({
    source: ip("10.0.0.2"),
    destination: ip("239.1.1.1"),
    protocol: 17, // UDP
    payload: V2_REPORT,
  });
  expectDrop(decodeIgmpPacket(pkt, pkt.length), "not-igmp");
});

Deno.test("decodeIgmpPacket passes on IP and IGMP drop reasons", () => {
  const pkt = LINUX_V2_REPORT_PACKET;
  expectDrop(decodeIgmpPacket(corrupt(pkt, 10), pkt.length), "bad-ip-checksum");
  expectDrop(decodeIgmpPacket(corrupt(pkt, 27), pkt.length), "bad-igmp-checksum");
  expectDrop(decodeIgmpPacket(pkt, 30), "truncated-ip");
  // Total Length 28: 4 bytes of IGMP after the 24-byte header.
  const short = pkt.slice();
  short[3] = 28;
  fixChecksum(short, { length: 24, field: 10 });
  expectDrop(decodeIgmpPacket(short, short.length), "truncated-igmp");
  // A kernel upcall (igmpmsg, byte 9 = 0) is not an IP packet: the runtime must divert it first.
  const upcall = new Uint8Array(28);
  upcall[0] = 0x45;
  upcall[8] = 1; // im_msgtype IGMPMSG_NOCACHE over the TTL byte
  expectDrop(decodeIgmpPacket(upcall, upcall.length), "bad-ip-checksum");
});

// ---------------------------------------------------------------------------------------------
// Floating-point codes.

Deno.test("decodeFloatCode reads linear and floating-point codes", () => {
  strictEqual(decodeFloatCode(0), 0);
  strictEqual(decodeFloatCode(100), 100);
  strictEqual(decodeFloatCode(127), 127);
  strictEqual(decodeFloatCode(0x80), 128); // exp 0, mant 0: 16 << 3
  strictEqual(decodeFloatCode(0x8f), 248); // exp 0, mant 15: 31 << 3 (24.8 s as Max Resp Code)
  strictEqual(decodeFloatCode(0x90), 256); // exp 1, mant 0: 16 << 4
  strictEqual(decodeFloatCode(0xff), IGMP_FLOAT_MAX); // exp 7, mant 15: 31 << 10 = 31744
});

Deno.test("encodeFloatCode inverts decodeFloatCode for all 256 codes", () => {
  for (let code = 0; code < 256; code++) strictEqual(encodeFloatCode(decodeFloatCode(code)), code);
});

Deno.test("encodeFloatCode rounds down and clamps", () => {
  strictEqual(encodeFloatCode(250), 0x8f); // 248 <= 250 < 256
  strictEqual(encodeFloatCode(255), 0x8f);
  strictEqual(encodeFloatCode(256), 0x90);
  strictEqual(encodeFloatCode(1_000_000), 0xff);
  strictEqual(encodeFloatCode(-5), 0);
  strictEqual(encodeFloatCode(Number.NaN), 0);
  // Every value maps to the largest representable value not above it.
  for (let v = 0; v <= IGMP_FLOAT_MAX; v++) {
    const got = decodeFloatCode(encodeFloatCode(v));
    if (got > v) throw new Error(`${v} encodes above itself: ${got}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Encoders and round trips.

Deno.test("encodeQuery writes IGMPv2 queries byte for byte", () => {
  deepStrictEqual(
    encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 2 }),
    V2_GENERAL_QUERY,
  );
  deepStrictEqual(
    encodeQuery({ group: ip("239.1.1.1"), maxRespTimeMs: 1_000, version: 2 }),
    V2_GROUP_QUERY,
  );
});

Deno.test("encodeQuery clamps the IGMPv2 Max Resp Code to 1..255", () => {
  strictEqual(encodeQuery({ group: 0, maxRespTimeMs: 0, version: 2 })[1], 1);
  strictEqual(encodeQuery({ group: 0, maxRespTimeMs: 40, version: 2 })[1], 1);
  strictEqual(encodeQuery({ group: 0, maxRespTimeMs: 25_500, version: 2 })[1], 255);
  strictEqual(encodeQuery({ group: 0, maxRespTimeMs: 60_000, version: 2 })[1], 255);
});

Deno.test("encodeQuery writes IGMPv3 queries byte for byte", () => {
  deepStrictEqual(
    encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 3 }),
    V3_GENERAL_QUERY,
  );
  deepStrictEqual(
    encodeQuery({
      group: ip("239.1.1.1"),
      maxRespTimeMs: 24_800,
      version: 3,
      suppressRouterSide: true,
      qrv: 2,
      qqicSeconds: 224,
      sources: [ip("10.0.0.1"), ip("10.0.0.2")],
    }),
    V3_SOURCE_QUERY,
  );
});

Deno.test("encodeQuery uses floating-point codes from 12.8 s and sends QRV above 7 as 0", () => {
  const at = (maxRespTimeMs: number) => encodeQuery({ group: 0, maxRespTimeMs, version: 3 })[1];
  strictEqual(at(12_700), 127);
  strictEqual(at(12_800), 0x80);
  strictEqual(at(25_000), 0x8f); // 250 tenths -> 248
  strictEqual(at(0), 1);
  strictEqual(at(10_000_000), 0xff);
  const q = encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 3, qrv: 9, qqicSeconds: 300 });
  strictEqual(q[8], 0x00); // S 0, QRV 0
  strictEqual(q[9], 0x92); // 300 s -> exp 1, mant 2: 18 << 4 = 288, rounded down
  strictEqual(decodeFloatCode(q[9]), 288);
});

Deno.test("encodeQuery output decodes to what was asked", () => {
  const cases = [
    { group: 0, maxRespTimeMs: 10_000, version: 2 as const },
    { group: ip("239.255.0.1"), maxRespTimeMs: 1_000, version: 2 as const },
    { group: 0, maxRespTimeMs: 102_400, version: 3 as const, qrv: 3, qqicSeconds: 60 },
    {
      group: ip("232.1.1.1"),
      maxRespTimeMs: 2_000,
      version: 3 as const,
      suppressRouterSide: true,
      qrv: 7,
      qqicSeconds: 125,
      sources: [ip("192.0.2.1"), ip("198.51.100.7"), ip("203.0.113.255")],
    },
  ];
  for (const opts of cases) {
    const m = expectMessage(decodeAll(encodeQuery(opts)));
    if (m.type !== "query") throw new Error(m.type);
    strictEqual(m.version, opts.version);
    strictEqual(m.group, opts.group);
    strictEqual(m.maxRespTimeMs, opts.maxRespTimeMs);
    if (opts.version === 3) {
      strictEqual(m.suppressRouterSide, opts.suppressRouterSide ?? false);
      strictEqual(m.qrv, opts.qrv);
      strictEqual(m.qqicSeconds, opts.qqicSeconds);
      deepStrictEqual(m.sources, opts.sources ?? []);
    }
  }
});

Deno.test("encodeV1Report, encodeV2Report and encodeLeave write the vectors", () => {
  const group = ip("239.1.1.1");
  deepStrictEqual(encodeV1Report(group), V1_REPORT);
  deepStrictEqual(encodeV2Report(group), V2_REPORT);
  deepStrictEqual(encodeLeave(group), LEAVE);
});

Deno.test("report and leave encoders round-trip through decodeIgmp", () => {
  for (const group of [ip("224.0.0.251"), ip("239.255.255.250"), ip("232.0.0.1"), 0xefffffff]) {
    deepStrictEqual(decodeAll(encodeV1Report(group)), {
      ok: true,
      value: { type: "v1-report", group },
    });
    deepStrictEqual(decodeAll(encodeV2Report(group)), {
      ok: true,
      value: { type: "v2-report", group },
    });
    deepStrictEqual(decodeAll(encodeLeave(group)), { ok: true, value: { type: "leave", group } });
  }
});

Deno.test("encodeV3Report round-trips through decodeIgmp with exact length", () => {
  const records: GroupRecord[] = [
    { recordType: CHANGE_TO_EXCLUDE_MODE, group: ip("239.1.1.1"), sources: [] },
    {
      recordType: ALLOW_NEW_SOURCES,
      group: ip("232.1.1.1"),
      sources: [ip("10.0.0.1"), ip("10.0.0.2")],
    },
    { recordType: BLOCK_OLD_SOURCES, group: ip("232.1.1.1"), sources: [ip("10.0.0.3")] },
  ];
  const msg = encodeV3Report(records);
  strictEqual(msg.length, 8 + (8 + 0) + (8 + 8) + (8 + 4));
  deepStrictEqual(decodeAll(msg), { ok: true, value: { type: "v3-report", records } });
  deepStrictEqual(
    encodeV3Report([{ recordType: CHANGE_TO_INCLUDE_MODE, group: ip("224.0.0.6"), sources: [] }]),
    LINUX_V3_REPORT_PACKET.slice(24, 40),
  );
});

Deno.test("encoders reject lists longer than a 16-bit count", () => {
  const many = new Array<number>(0x10000).fill(ip("10.0.0.1"));
  throws(
    () => encodeQuery({ group: 0, maxRespTimeMs: 1_000, version: 3, sources: many }),
    RangeError,
  );
  throws(
    () => encodeV3Report([{ recordType: MODE_IS_INCLUDE, group: ip("239.1.1.1"), sources: many }]),
    RangeError,
  );
});
