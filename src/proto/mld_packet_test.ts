import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  BRIDGE_HOP_BY_HOP,
  type Capture,
  HOST_HOP_BY_HOP,
  HOST_V1,
  LINK_LOCAL_CAPTURES,
  LINUX_V1_DONE,
  LINUX_V1_GENERAL_QUERY,
  LINUX_V1_REPORT,
  LINUX_V1_REPORT_FROM_UNSPECIFIED,
  LINUX_V2_GENERAL_QUERY,
  LINUX_V2_REPORT_BLOCK,
  LINUX_V2_REPORT_FROM_UNSPECIFIED,
  LINUX_V2_REPORT_TO_EX,
  LINUX_V2_SPECIFIC_QUERY,
} from "./mld_captures.ts";
import {
  decodeMldPacket,
  hasMldRouterAlert,
  isMldProxiableGroup,
  type MldPacketInput,
} from "./mld_packet.ts";
import { decodeAll, expectMessage, resized } from "./mld_testing.ts";
import { expectDrop, hex, ip6 } from "./testing.ts";

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
