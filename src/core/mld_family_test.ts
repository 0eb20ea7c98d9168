import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { MLD_FAMILY } from "./mld_family.ts";
import type { ProtocolMessage } from "./family.ts";
import { ipv6ToBigInt } from "../proto/addr.ts";
import { encodeMldV2Report } from "../proto/mld_encode.ts";
import { hex, ip6 } from "../proto/testing.ts";

const a6 = (text: string) => ipv6ToBigInt(ip6(text));

/** The message `family.decode` reads from an MLD message sent from fe80::2 to `to`. */
function decodeSent(data: Uint8Array, to = "ff02::1"): ProtocolMessage<bigint> {
  const r = MLD_FAMILY.decode({
    data,
    length: data.length,
    source: a6("fe80::2"),
    destination: a6(to),
    hopLimit: 1,
    routerAlert: true,
  });
  ok(r.ok, r.ok ? "" : r.reason);
  return r.value.message;
}

Deno.test("MLD family: versions, their names and the 16 SSM prefixes ff3x::/96", () => {
  equal(MLD_FAMILY.latestVersion, 2);
  deepStrictEqual(MLD_FAMILY.queryVersions, [1, 2]);
  equal(MLD_FAMILY.versionName(2), "MLDv2");
  equal(MLD_FAMILY.versionName(1), "MLDv1");
  equal(MLD_FAMILY.ssmRanges.length, 16);
  deepStrictEqual(
    MLD_FAMILY.ssmRanges.map((s) => MLD_FAMILY.formatSubnet(s)),
    Array.from({ length: 16 }, (_, x) => `ff3${x.toString(16)}::/96`),
  );
  const ssm = (text: string) => MLD_FAMILY.inAnySubnet(a6(text), MLD_FAMILY.ssmRanges);
  ok(ssm("ff3e::8000:1"));
  ok(ssm("ff30::1"));
  ok(ssm("ff3f::ffff:ffff"));
  ok(!ssm("ff3e::1:0:0:1"), "outside the /96: bits 64-95 set");
  ok(!ssm("ff3e:40:2001:db8::1"), "a unicast-prefix-based group, ff3x::/32 but not /96");
  ok(!ssm("ff0e::1"));
  ok(!ssm("ff2e::1"));
  ok(!ssm("ff40::1"));
});

Deno.test("MLD family: an MLDv2 general query, Max Resp 40 s as a float code, byte for byte", () => {
  const q = MLD_FAMILY.encodeQuery({ version: 2, group: 0n, maxRespTimeMs: 40_000 });
  deepStrictEqual(
    q,
    hex(`
      82      # type: Multicast Listener Query (130)
      00      # code
      00 00   # checksum: the kernel fills it in
      83 88   # Maximum Response Code: 1 exp=000 mant=0x388 -> 0x1388 << 3 = 40 000 ms
      00 00   # reserved
      00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  # multicast address: :: (general)
      02      # Resv 0000, S 0, QRV 2 (the default robustness)
      7d      # QQIC: 125 s (the default query interval)
      00 00   # number of sources: 0
    `),
  );
  deepStrictEqual(decodeSent(q), {
    kind: "query",
    version: 2,
    legacy: false,
    group: 0n,
    maxRespTimeMs: 40_000,
    suppressRouterSide: false,
    sources: [],
    qrv: 2,
    qqicMs: 125_000,
  });
});

Deno.test("MLD family: a multicast address and source query with the S flag, QRV 7 and QQIC 200 s", () => {
  const q = MLD_FAMILY.encodeQuery({
    version: 2,
    group: a6("ff3e::8000:1"),
    maxRespTimeMs: 1_000,
    suppressRouterSide: true,
    robustness: 7,
    queryIntervalMs: 200_000,
    sources: [a6("2001:db8::2"), a6("2001:db8::3")],
  });
  deepStrictEqual(
    q,
    hex(`
      82 00 00 00  # type 130, code 0, checksum left to the kernel
      03 e8   # Maximum Response Code: 1 000 ms, linear below 32 768
      00 00   # reserved
      ff 3e 00 00 00 00 00 00 00 00 00 00 80 00 00 01  # multicast address: ff3e::8000:1
      0f      # Resv 0000, S 1 (0x08), QRV 7
      89      # QQIC: 1 exp=000 mant=1001 -> 0x19 << 3 = 200 s
      00 02   # number of sources: 2
      20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02  # 2001:db8::2
      20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 03  # 2001:db8::3
    `),
  );
  const m = decodeSent(q, "ff3e::8000:1");
  ok(m.kind === "query");
  equal(m.group, a6("ff3e::8000:1"));
  equal(m.maxRespTimeMs, 1_000);
  equal(m.suppressRouterSide, true);
  deepStrictEqual(m.sources, [a6("2001:db8::2"), a6("2001:db8::3")]);
  equal(m.qrv, 7);
  equal(m.qqicMs, 200_000);
});

Deno.test("MLD family: an MLDv1 query is 24 bytes; the MLDv2 fields are left out", () => {
  const q = MLD_FAMILY.encodeQuery({
    version: 1,
    group: a6("ff05::1"),
    maxRespTimeMs: 1_000,
    suppressRouterSide: true,
    robustness: 3,
    sources: [a6("2001:db8::2")],
  });
  deepStrictEqual(
    q,
    hex(`
      82 00 00 00  # type 130, code 0, checksum left to the kernel
      03 e8   # Maximum Response Delay: 1 000 ms
      00 00   # reserved
      ff 05 00 00 00 00 00 00 00 00 00 00 00 00 00 01  # multicast address: ff05::1
    `),
  );
  const m = decodeSent(q, "ff05::1");
  ok(m.kind === "query");
  equal(m.version, 1);
  deepStrictEqual([m.sources, m.qrv, m.qqicMs, m.suppressRouterSide], [[], 0, 0, false]);
});

Deno.test("MLD family: no versions but 1 and 2 are written", () => {
  throws(
    () => MLD_FAMILY.encodeQuery({ version: 3, group: 0n, maxRespTimeMs: 10_000 }),
    RangeError,
  );
  throws(
    () => MLD_FAMILY.encodeQuery({ version: 0, group: 0n, maxRespTimeMs: 10_000 }),
    RangeError,
  );
});

Deno.test("MLD family: a report's records carry their sources, in wire order", () => {
  const report = encodeMldV2Report([
    { recordType: 3, group: ip6("ff3e::8000:1"), sources: [ip6("2001:db8::2")] },
    { recordType: 2, group: ip6("ff05::1"), sources: [] },
  ]);
  deepStrictEqual(decodeSent(report, "ff02::16"), {
    kind: "records",
    records: [
      { recordType: 3, group: a6("ff3e::8000:1"), sources: [a6("2001:db8::2")] },
      { recordType: 2, group: a6("ff05::1"), sources: [] },
    ],
  });
});
