import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  IN6ADDR_ANY,
  MLD_ALLOW_NEW_SOURCES,
  MLD_BLOCK_OLD_SOURCES,
  MLD_CHANGE_TO_EXCLUDE_MODE,
  MLD_MODE_IS_INCLUDE,
  type MldMessage,
  type MulticastAddressRecord,
} from "./mld.ts";
import {
  LINUX_V1_DONE,
  LINUX_V1_GENERAL_QUERY,
  LINUX_V1_REPORT,
  LINUX_V1_SPECIFIC_QUERY,
  LINUX_V2_GENERAL_QUERY,
  LINUX_V2_REPORT_ALLOW,
  LINUX_V2_REPORT_BLOCK,
  LINUX_V2_REPORT_CURRENT_STATE,
  LINUX_V2_REPORT_TO_EX,
  LINUX_V2_REPORT_TO_IN,
  LINUX_V2_SOURCE_QUERY,
  LINUX_V2_SPECIFIC_QUERY,
} from "./mld_captures.ts";
import {
  encodeMldDone,
  encodeMldQuery,
  encodeMldV1Report,
  encodeMldV2Report,
  type MldQueryOptions,
} from "./mld_encode.ts";
import {
  decodeAll,
  decodeInside,
  expectMessage,
  V2_FLOAT_QUERY,
  withoutChecksum,
} from "./mld_testing.ts";
import { ip6 } from "./testing.ts";

/** `msg` is `length` bytes long and decodes to `want`, alone and inside a larger buffer. */
function expectRoundTrip(msg: Uint8Array, want: MldMessage, length: number): void {
  strictEqual(msg.length, length, "encoded length");
  deepStrictEqual(decodeAll(msg), { ok: true, value: want });
  deepStrictEqual(decodeInside(msg), { ok: true, value: want });
}

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
