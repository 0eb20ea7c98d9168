import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { internetChecksum } from "./checksum.ts";
import { decodeMldMaxRespCode, MLD_MRC_MAX } from "./float_code.ts";
import {
  decodeMld,
  IN6ADDR_ANY,
  IN6ADDR_LINKLOCAL_ALLNODES,
  IN6ADDR_LINKLOCAL_ALLROUTERS,
  IN6ADDR_LINKLOCAL_ALLV2ROUTERS,
  isMldType,
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
  MLD_V2_QUERY_MINLEN,
  MLD_V2_RECORD_MINLEN,
  MLD_V2_REPORT_MINLEN,
  MLDV2_LISTENER_REPORT,
  type MulticastAddressRecord,
} from "./mld.ts";
import {
  type Capture,
  CAPTURES,
  LINUX_V1_DONE,
  LINUX_V1_GENERAL_QUERY,
  LINUX_V1_REPORT,
  LINUX_V1_REPORT_FROM_UNSPECIFIED,
  LINUX_V1_SPECIFIC_QUERY,
  LINUX_V2_GENERAL_QUERY,
  LINUX_V2_QUERY_40S,
  LINUX_V2_REPORT_ALLOW,
  LINUX_V2_REPORT_BLOCK,
  LINUX_V2_REPORT_CURRENT_STATE,
  LINUX_V2_REPORT_TO_EX,
  LINUX_V2_REPORT_TO_IN,
  LINUX_V2_SOURCE_QUERY,
  LINUX_V2_SPECIFIC_QUERY,
} from "./mld_captures.ts";
import { IP6_ALERT_MLD, IP6OPT_ROUTER_ALERT } from "./mld_packet.ts";
import { decodeAll, decodeInside, expectMessage, resized, V2_FLOAT_QUERY } from "./mld_testing.ts";
import { expectDrop, hex, ip6 } from "./testing.ts";

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

Deno.test("isMldType is true for the four MLD types only", () => {
  const mld = [MLD_LISTENER_QUERY, MLD_LISTENER_REPORT, MLD_LISTENER_DONE, MLDV2_LISTENER_REPORT];
  for (let type = 0; type < 256; type++) {
    strictEqual(isMldType(type), mld.includes(type), `${type}`);
  }
  strictEqual(MLD_V2_RECORD_MINLEN, 20);
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
