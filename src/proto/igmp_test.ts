import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  ALLOW_NEW_SOURCES,
  BLOCK_OLD_SOURCES,
  CHANGE_TO_EXCLUDE_MODE,
  CHANGE_TO_INCLUDE_MODE,
  decodeIgmp,
  IGMP_MEMBERSHIP_QUERY,
  IGMP_MINLEN,
  IGMP_V1_MEMBERSHIP_REPORT,
  IGMP_V2_LEAVE_GROUP,
  IGMP_V2_MEMBERSHIP_REPORT,
  IGMP_V3_MEMBERSHIP_REPORT,
  IGMP_V3_QUERY_MINLEN,
  IGMP_V3_RECORD_MINLEN,
  INADDR_ALLHOSTS_GROUP,
  INADDR_ALLRPTS_GROUP,
  INADDR_ALLRTRS_GROUP,
  MODE_IS_EXCLUDE,
  MODE_IS_INCLUDE,
} from "./igmp.ts";
import { encodeV3Report } from "./igmp_encode.ts";
import {
  corrupt,
  decodeAll,
  expectMessage,
  LEAVE,
  V1_QUERY,
  V1_REPORT,
  V2_GENERAL_QUERY,
  V2_GROUP_QUERY,
  V2_REPORT,
  V3_GENERAL_QUERY,
  V3_REPORT,
  V3_SOURCE_QUERY,
} from "./igmp_testing.ts";
import { expectDrop, fixChecksum, hex, ip } from "./testing.ts";

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

Deno.test("IGMP message lengths: 8, 12 for an IGMPv3 query, 8 per IGMPv3 group record", () => {
  deepStrictEqual([IGMP_MINLEN, IGMP_V3_QUERY_MINLEN, IGMP_V3_RECORD_MINLEN], [8, 12, 8]);
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
