import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { decodeFloatCode } from "./float_code.ts";
import {
  ALLOW_NEW_SOURCES,
  BLOCK_OLD_SOURCES,
  CHANGE_TO_EXCLUDE_MODE,
  CHANGE_TO_INCLUDE_MODE,
  type GroupRecord,
  MODE_IS_INCLUDE,
} from "./igmp.ts";
import {
  encodeLeave,
  encodeQuery,
  encodeV1Report,
  encodeV2Report,
  encodeV3Report,
} from "./igmp_encode.ts";
import {
  decodeAll,
  expectMessage,
  LEAVE,
  LINUX_V3_REPORT_PACKET,
  V1_QUERY,
  V1_REPORT,
  V2_GENERAL_QUERY,
  V2_GROUP_QUERY,
  V2_REPORT,
  V3_GENERAL_QUERY,
  V3_SOURCE_QUERY,
} from "./igmp_testing.ts";
import { ip } from "./testing.ts";

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

Deno.test("encodeQuery writes the IGMPv1 general query byte for byte, whatever the Max Resp Time", () => {
  // 11 00 ee ff 00 00 00 00: type, code 0 (no Max Resp Time in IGMPv1), checksum, group 0.
  deepStrictEqual(encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 1 }), V1_QUERY);
  deepStrictEqual(encodeQuery({ group: 0, maxRespTimeMs: 1_000, version: 1 }), V1_QUERY);
  strictEqual(V1_QUERY.length, 8);
  const m = expectMessage(decodeAll(encodeQuery({ group: 0, maxRespTimeMs: 0, version: 1 })));
  deepStrictEqual(m, { type: "query", version: 1, group: 0, maxRespTimeMs: 10_000 });
});

Deno.test("encodeQuery refuses an IGMPv1 group-specific query (IGMPv1 has none)", () => {
  throws(
    () => encodeQuery({ group: ip("239.1.1.1"), maxRespTimeMs: 1_000, version: 1 }),
    /IGMPv1 has no group-specific queries/,
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
