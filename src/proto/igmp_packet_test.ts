import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  CHANGE_TO_INCLUDE_MODE,
  INADDR_ALLHOSTS_GROUP,
  INADDR_ALLRPTS_GROUP,
  INADDR_ALLRTRS_GROUP,
} from "./igmp.ts";
import { decodeIgmpPacket } from "./igmp_packet.ts";
import {
  corrupt,
  LEAVE,
  LINUX_V2_REPORT_PACKET,
  LINUX_V3_REPORT_PACKET,
  V1_REPORT,
  V2_GENERAL_QUERY,
  V2_GROUP_QUERY,
  V2_REPORT,
  V3_GENERAL_QUERY,
  V3_REPORT,
  V3_SOURCE_QUERY,
} from "./igmp_testing.ts";
import { buildIPv4Packet, expectDrop, fixChecksum, ip } from "./testing.ts";

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

Deno.test("decodeIgmpPacket drops IGMPv3 reports and queries without TTL 1 (RFC 3376 section 9)", () => {
  const source = ip("10.0.0.2");
  for (
    const [payload, destination] of [
      [V3_REPORT, INADDR_ALLRPTS_GROUP],
      [V3_GENERAL_QUERY, INADDR_ALLHOSTS_GROUP],
      [V3_SOURCE_QUERY, ip("239.1.1.1")],
    ] as const
  ) {
    for (const ttl of [0, 2, 64, 255]) {
      const pkt = buildIPv4Packet({ source, destination, payload, ttl });
      expectDrop(decodeIgmpPacket(pkt, pkt.length), "igmpv3-bad-ttl");
    }
    const good = buildIPv4Packet({ source, destination, payload, ttl: 1 });
    strictEqual(decodeIgmpPacket(good, good.length).ok, true);
  }
});

Deno.test("decodeIgmpPacket drops IGMPv3 reports and queries without Router Alert (RFC 3376 section 9)", () => {
  const source = ip("10.0.0.2");
  for (
    const [payload, destination] of [
      [V3_REPORT, INADDR_ALLRPTS_GROUP],
      [V3_GENERAL_QUERY, INADDR_ALLHOSTS_GROUP],
      [V3_SOURCE_QUERY, ip("239.1.1.1")],
    ] as const
  ) {
    const none = buildIPv4Packet({ source, destination, payload, options: [] });
    expectDrop(decodeIgmpPacket(none, none.length), "igmpv3-missing-router-alert");
    // Router Alert with value 1 is another alert, not the one IGMP is sent with.
    const other = buildIPv4Packet({ source, destination, payload, options: [0x94, 4, 0, 1] });
    expectDrop(decodeIgmpPacket(other, other.length), "igmpv3-missing-router-alert");
    // No Operation, then Router Alert: still the option.
    const padded = buildIPv4Packet({
      source,
      destination,
      payload,
      options: [0x01, 0x94, 4, 0, 0, 0, 0, 0],
    });
    strictEqual(decodeIgmpPacket(padded, padded.length).ok, true);
  }
  // Both missing: the TTL is named first.
  const both = buildIPv4Packet({
    source,
    destination: INADDR_ALLRPTS_GROUP,
    payload: V3_REPORT,
    ttl: 8,
    options: [],
  });
  expectDrop(decodeIgmpPacket(both, both.length), "igmpv3-bad-ttl");
});

Deno.test("decodeIgmpPacket keeps the older rules for IGMPv1/v2: any TTL, Router Alert or not", () => {
  const source = ip("10.0.0.2");
  const group = ip("239.1.1.1");
  for (
    const [payload, destination] of [
      [V1_REPORT, group],
      [V2_REPORT, group],
      [LEAVE, INADDR_ALLRTRS_GROUP],
      [V2_GENERAL_QUERY, INADDR_ALLHOSTS_GROUP],
      [V2_GROUP_QUERY, group],
    ] as const
  ) {
    for (const ttl of [1, 2, 64]) {
      for (const options of [[], [0x94, 4, 0, 0]]) {
        const pkt = buildIPv4Packet({ source, destination, payload, ttl, options });
        strictEqual(decodeIgmpPacket(pkt, pkt.length).ok, true, `TTL ${ttl}, ${options.length}`);
      }
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
