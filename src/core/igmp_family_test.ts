import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { IGMP_FAMILY } from "./igmp_family.ts";
import type { ProtocolMessage } from "./family.ts";
import { CHANGE_TO_INCLUDE_MODE, MODE_IS_EXCLUDE } from "../proto/igmp.ts";
import { encodeV3Report } from "../proto/igmp_encode.ts";
import { buildIPv4Packet, hex, ip } from "../proto/testing.ts";

/** The message `family.decode` reads from an IGMP message sent from 10.0.0.2 to `to`. */
function decodeSent(igmp: Uint8Array, to = ip("224.0.0.1")): ProtocolMessage<number> {
  const data = buildIPv4Packet({ source: ip("10.0.0.2"), destination: to, payload: igmp });
  const r = IGMP_FAMILY.decode({ data, length: data.length });
  ok(r.ok, r.ok ? "" : r.reason);
  return r.value.message;
}

Deno.test("IGMP family: versions, their names and the SSM range", () => {
  equal(IGMP_FAMILY.latestVersion, 3);
  deepStrictEqual(IGMP_FAMILY.queryVersions, [1, 2, 3]);
  equal(IGMP_FAMILY.versionName(3), "IGMPv3");
  equal(IGMP_FAMILY.versionName(2), "IGMPv2");
  equal(IGMP_FAMILY.versionName(1), "IGMPv1");
  deepStrictEqual([1, 2, 3].map(IGMP_FAMILY.groupQueries), [false, true, true]);
  deepStrictEqual([1, 2, 3].map(IGMP_FAMILY.hostResponseTimeMs), [10_000, undefined, undefined]);
  deepStrictEqual(IGMP_FAMILY.ssmRanges, [{ address: ip("232.0.0.0"), prefixLength: 8 }]);
  ok(IGMP_FAMILY.inAnySubnet(ip("232.1.1.1"), IGMP_FAMILY.ssmRanges));
  ok(IGMP_FAMILY.inAnySubnet(ip("232.255.255.255"), IGMP_FAMILY.ssmRanges));
  ok(!IGMP_FAMILY.inAnySubnet(ip("233.0.0.1"), IGMP_FAMILY.ssmRanges));
  ok(!IGMP_FAMILY.inAnySubnet(ip("231.255.255.255"), IGMP_FAMILY.ssmRanges));
});

Deno.test("IGMP family: an IGMPv3 general query, Max Resp 25.6 s as a float code, byte for byte", () => {
  const q = IGMP_FAMILY.encodeQuery({ version: 3, group: 0, maxRespTimeMs: 25_600 });
  deepStrictEqual(
    q,
    hex(`
      11      # type: Membership Query
      90      # Max Resp Code: 1 exp=001 mant=0000 -> (0x10 | 0) << (1 + 3) = 256 tenths = 25.6 s
      eb f2   # checksum
      00 00 00 00  # group: general query
      02      # Resv 0000, S 0, QRV 2 (the default robustness)
      7d      # QQIC: 125 s, linear below 128 (the default query interval)
      00 00   # number of sources: 0
    `),
  );
  deepStrictEqual(
    decodeSent(q),
    {
      kind: "query",
      version: 3,
      legacy: false,
      group: 0,
      maxRespTimeMs: 25_600,
      suppressRouterSide: false,
      sources: [],
      qrv: 2,
      qqicMs: 125_000,
    },
  );
});

Deno.test("IGMP family: a group-and-source query with the S flag, QRV 3 and QQIC 300 s as a float code", () => {
  const q = IGMP_FAMILY.encodeQuery({
    version: 3,
    group: ip("232.1.1.1"),
    maxRespTimeMs: 1_000,
    suppressRouterSide: true,
    robustness: 3,
    queryIntervalMs: 300_000,
    sources: [ip("10.0.0.2"), ip("10.0.0.3")],
  });
  deepStrictEqual(
    q,
    hex(`
      11      # type: Membership Query
      0a      # Max Resp Code: 10 tenths = 1 s, linear below 128
      e6 59   # checksum
      e8 01 01 01  # group: 232.1.1.1
      0b      # Resv 0000, S 1 (0x08), QRV 3
      92      # QQIC: 1 exp=001 mant=0010 -> 0x12 << 4 = 288 s (300 rounded down to a float)
      00 02   # number of sources: 2
      0a 00 00 02  # source 10.0.0.2
      0a 00 00 03  # source 10.0.0.3
    `),
  );
  const m = decodeSent(q, ip("232.1.1.1"));
  ok(m.kind === "query");
  equal(m.version, 3);
  equal(m.group, ip("232.1.1.1"));
  equal(m.maxRespTimeMs, 1_000);
  equal(m.suppressRouterSide, true);
  deepStrictEqual(m.sources, [ip("10.0.0.2"), ip("10.0.0.3")]);
  equal(m.qrv, 3);
  equal(m.qqicMs, 288_000);
});

Deno.test("IGMP family: a robustness above 7 is sent as QRV 0 and read back as none", () => {
  const q = IGMP_FAMILY.encodeQuery({
    version: 3,
    group: ip("239.1.1.1"),
    maxRespTimeMs: 1_000,
    robustness: 8,
  });
  deepStrictEqual(
    q,
    hex(`
      11 0a fe 75  # type, Max Resp Code 1 s, checksum
      ef 01 01 01  # group: 239.1.1.1
      00      # Resv 0000, S 0, QRV 0: robustness 8 does not fit in 3 bits (RFC 3376 4.1.6)
      7d      # QQIC: 125 s
      00 00   # no sources
    `),
  );
  const m = decodeSent(q, ip("239.1.1.1"));
  ok(m.kind === "query");
  equal(m.qrv, 0);
});

Deno.test("IGMP family: an IGMPv2 query is 8 bytes; the IGMPv3 fields are left out", () => {
  const q = IGMP_FAMILY.encodeQuery({
    version: 2,
    group: ip("239.1.1.1"),
    maxRespTimeMs: 1_000,
    suppressRouterSide: true,
    robustness: 3,
    sources: [ip("10.0.0.2")],
  });
  deepStrictEqual(
    q,
    hex(`
      11      # type: Membership Query
      0a      # Max Resp Time: 10 tenths = 1 s
      fe f2   # checksum
      ef 01 01 01  # group: 239.1.1.1
    `),
  );
  const m = decodeSent(q, ip("239.1.1.1"));
  ok(m.kind === "query");
  equal(m.version, 2);
  deepStrictEqual([m.sources, m.qrv, m.qqicMs, m.suppressRouterSide], [[], 0, 0, false]);
});

Deno.test("IGMP family: an IGMPv1 general query, 8 bytes with code 0, whatever the Max Resp Time", () => {
  const q = IGMP_FAMILY.encodeQuery({ version: 1, group: 0, maxRespTimeMs: 1_000, robustness: 3 });
  deepStrictEqual(
    q,
    hex(`
      11           # type: Membership Query
      00           # unused in IGMPv1: 0 (Max Resp Code 0 is what says IGMPv1)
      ee ff        # checksum
      00 00 00 00  # group: general query
    `),
  );
  const m = decodeSent(q, ip("224.0.0.1"));
  ok(m.kind === "query");
  deepStrictEqual([m.version, m.legacy, m.maxRespTimeMs], [1, true, 10_000]);
});

Deno.test("IGMP family: no IGMPv1 group-specific queries nor unknown versions are written", () => {
  throws(
    () => IGMP_FAMILY.encodeQuery({ version: 1, group: ip("239.1.1.1"), maxRespTimeMs: 1_000 }),
    RangeError,
  );
  throws(
    () => IGMP_FAMILY.encodeQuery({ version: 4, group: 0, maxRespTimeMs: 10_000 }),
    RangeError,
  );
});

Deno.test("IGMP family: a report's records carry their sources, in wire order", () => {
  const report = encodeV3Report([
    {
      recordType: CHANGE_TO_INCLUDE_MODE,
      group: ip("232.1.1.1"),
      sources: [ip("10.9.0.1"), ip("10.9.0.2")],
    },
    { recordType: MODE_IS_EXCLUDE, group: ip("239.1.1.1"), sources: [] },
  ]);
  const m = decodeSent(report, ip("224.0.0.22"));
  deepStrictEqual(m, {
    kind: "records",
    records: [
      {
        recordType: CHANGE_TO_INCLUDE_MODE,
        group: ip("232.1.1.1"),
        sources: [ip("10.9.0.1"), ip("10.9.0.2")],
      },
      { recordType: MODE_IS_EXCLUDE, group: ip("239.1.1.1"), sources: [] },
    ],
  });
});
