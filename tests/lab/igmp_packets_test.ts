import { deepStrictEqual, notDeepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { formatIPv4 } from "../../src/proto/addr.ts";
import { internetChecksum } from "../../src/proto/checksum.ts";
import { type IgmpMessage, INADDR_ALLRPTS_GROUP } from "../../src/proto/igmp.ts";
import { encodeLeave, encodeV1Report, encodeV2Report } from "../../src/proto/igmp_encode.ts";
import { decodeIgmpPacket } from "../../src/proto/igmp_packet.ts";
import { decodeIPv4Header } from "../../src/proto/ipv4.ts";
import type { DropReason } from "../../src/proto/result.ts";
import { hex, ip } from "../../src/proto/testing.ts";
import {
  buildIPv4Packet,
  GARBAGE_KINDS,
  type GarbageKind,
  garbagePacket,
  igmpQuery,
  mulberry32,
  multicastMac,
} from "./igmp_packets.ts";

const SOURCE = ip("10.1.0.11");
const GROUP = ip("239.2.0.1");
const SEEDS = 200;

/** Decodes a whole packet and returns its IGMP message; fails the test on a drop. */
function decodeMessage(packet: Uint8Array): IgmpMessage {
  const r = decodeIgmpPacket(packet, packet.length);
  if (!r.ok) throw new Error(`Dropped: ${r.reason}`);
  return r.value.igmp;
}

Deno.test("buildIPv4Packet writes a Linux-style IGMP header with Router Alert", () => {
  const packet = buildIPv4Packet({
    source: ip("10.0.0.2"),
    destination: GROUP,
    payload: encodeV2Report(GROUP),
  });
  deepStrictEqual(
    packet,
    hex(`
      46 c0 00 20  # version 4, IHL 6; TOS 0xc0; total length 32
      00 00 40 00  # ID 0; DF, offset 0
      01 02 eb 12  # TTL 1, protocol 2 (IGMP); header checksum
      0a 00 00 02  # source 10.0.0.2
      ef 02 00 01  # destination 239.2.0.1
      94 04 00 00  # Router Alert, value 0
      16 00 fa fb  # IGMPv2 report; checksum
      ef 02 00 01  # group
    `),
  );
  strictEqual(internetChecksum(packet, 0, 24), 0);
  const header = decodeIPv4Header(packet, packet.length);
  ok(header.ok && header.value.hasRouterAlert);
});

Deno.test("buildIPv4Packet leaves out Router Alert and takes TTL and protocol", () => {
  const packet = buildIPv4Packet({
    source: SOURCE,
    destination: ip("10.1.0.1"),
    payload: new Uint8Array([1, 2, 3]),
    ttl: 64,
    routerAlert: false,
    protocol: 17,
  });
  strictEqual(packet.length, 23);
  strictEqual(packet[0], 0x45);
  strictEqual(internetChecksum(packet, 0, 20), 0);
  deepStrictEqual(decodeIPv4Header(packet, packet.length), {
    ok: true,
    value: {
      headerLength: 20,
      totalLength: 23,
      ttl: 64,
      protocol: 17,
      source: SOURCE,
      destination: ip("10.1.0.1"),
      hasRouterAlert: false,
    },
  });
});

Deno.test("igmpQuery builds queries of each version that decode as sent", () => {
  const packet = (payload: Uint8Array, destination = ip("224.0.0.1")) =>
    buildIPv4Packet({ source: SOURCE, destination, payload });
  deepStrictEqual(igmpQuery({ version: 1 }), hex("11 00 ee ff 00 00 00 00"));
  deepStrictEqual(decodeMessage(packet(igmpQuery({ version: 1 }))), {
    type: "query",
    version: 1,
    group: 0,
    maxRespTimeMs: 10_000,
  });
  deepStrictEqual(decodeMessage(packet(igmpQuery({ version: 2 }))), {
    type: "query",
    version: 2,
    group: 0,
    maxRespTimeMs: 10_000,
  });
  deepStrictEqual(
    decodeMessage(packet(igmpQuery({ version: 2, group: GROUP, maxRespTimeMs: 1000 }), GROUP)),
    { type: "query", version: 2, group: GROUP, maxRespTimeMs: 1000 },
  );
  const v3 = decodeMessage(packet(igmpQuery({ version: 3, maxRespTimeMs: 5000 })));
  ok(v3.type === "query");
  strictEqual(v3.version, 3);
  strictEqual(v3.group, 0);
  strictEqual(v3.maxRespTimeMs, 5000);
  deepStrictEqual(v3.sources, []);
});

Deno.test("reports and leaves sent through buildIPv4Packet decode as their message", () => {
  const send = (payload: Uint8Array, destination: number) =>
    decodeMessage(buildIPv4Packet({ source: SOURCE, destination, payload }));
  deepStrictEqual(send(encodeV1Report(GROUP), GROUP), { type: "v1-report", group: GROUP });
  deepStrictEqual(send(encodeV2Report(GROUP), GROUP), { type: "v2-report", group: GROUP });
  deepStrictEqual(send(encodeLeave(GROUP), ip("224.0.0.2")), { type: "leave", group: GROUP });
});

Deno.test("multicastMac maps the low 23 bits of the group", () => {
  deepStrictEqual(multicastMac(ip("224.0.0.1")), hex("01 00 5e 00 00 01"));
  deepStrictEqual(multicastMac(ip("239.193.2.3")), hex("01 00 5e 41 02 03"));
  deepStrictEqual(multicastMac(ip("224.0.0.22")), hex("01 00 5e 00 00 16"));
});

Deno.test("mulberry32 repeats per seed, differs between seeds, stays in [0, 1)", () => {
  const take = (seed: number) => Array.from({ length: 1000 }, mulberry32(seed));
  deepStrictEqual(take(1), take(1));
  notDeepStrictEqual(take(1), take(2));
  ok(take(3).every((x) => x >= 0 && x < 1));
});

/** The reason each deterministic kind is dropped with; the random kinds are missing. */
const EXPECTED_REASON: Partial<Record<GarbageKind, DropReason>> = {
  "bad-igmp-checksum": "bad-igmp-checksum",
  "bad-ip-checksum": "bad-ip-checksum",
  "truncated-ip": "truncated-ip",
  "truncated-igmp": "truncated-igmp",
  "absurd-v3-records": "truncated-igmp",
  "absurd-v3-sources": "truncated-igmp",
  "bad-query-length": "bad-query-length",
  "unknown-type": "unknown-igmp-type",
  "group-not-multicast": "group-not-multicast",
};

for (const kind of GARBAGE_KINDS) {
  const expected = EXPECTED_REASON[kind];
  const outcome = expected === undefined ? "is never thrown on" : `is dropped as "${expected}"`;
  Deno.test(`garbagePacket "${kind}" ${outcome} over ${SEEDS} seeds`, () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { packet, destination } = garbagePacket(kind, mulberry32(seed), { source: SOURCE });
      deepStrictEqual(garbagePacket(kind, mulberry32(seed), { source: SOURCE }).packet, packet);
      ok(packet.length <= 1500, `${kind} seed ${seed}: ${packet.length} bytes`);
      strictEqual(destination >>> 28, 0xe, `${kind} seed ${seed}: ${formatIPv4(destination)}`);
      const r = decodeIgmpPacket(packet, packet.length);
      if (expected !== undefined) {
        deepStrictEqual(r, { ok: false, reason: expected }, `${kind} seed ${seed}`);
      }
      if (kind !== "random-bytes") {
        // The IP addresses are right even where the header is not.
        strictEqual(new DataView(packet.buffer).getUint32(12), SOURCE);
        strictEqual(new DataView(packet.buffer).getUint32(16), destination);
      }
      if (kind.includes("v3")) strictEqual(destination, INADDR_ALLRPTS_GROUP);
    }
  });
}

Deno.test("garbagePacket random-bytes spans 0 to 1500 bytes and is never IGMP", () => {
  const rand = mulberry32(9);
  const lengths = Array.from(
    { length: 2000 },
    () => garbagePacket("random-bytes", rand, { source: SOURCE }).packet.length,
  );
  ok(Math.min(...lengths) < 20);
  ok(Math.max(...lengths) > 1400);
  for (let seed = 1; seed <= SEEDS; seed++) {
    const { packet } = garbagePacket("random-bytes", mulberry32(seed), { source: SOURCE });
    strictEqual(decodeIgmpPacket(packet, packet.length).ok, false);
  }
});

Deno.test("garbagePacket random-v3-records: checksums verify, some decode, some drop", () => {
  const reasons = new Map<string, number>();
  let records = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const { packet } = garbagePacket("random-v3-records", mulberry32(seed), { source: SOURCE });
    strictEqual(internetChecksum(packet, 24), 0, `seed ${seed}`); // after IP header and RA
    const r = decodeIgmpPacket(packet, packet.length);
    const key = r.ok ? "ok" : r.reason;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
    if (r.ok && r.value.igmp.type === "v3-report") records += r.value.igmp.records.length;
  }
  ok((reasons.get("ok") ?? 0) >= SEEDS / 10, JSON.stringify([...reasons]));
  ok((reasons.get("truncated-igmp") ?? 0) >= SEEDS / 10, JSON.stringify([...reasons]));
  ok(reasons.has("group-not-multicast"), JSON.stringify([...reasons]));
  ok(records > 0);
  ok(!reasons.has("bad-igmp-checksum") && !reasons.has("bad-ip-checksum"));
});

Deno.test("garbagePacket fixed IGMP lengths: truncated-igmp 0-7, bad-query-length 9-11", () => {
  const rand = mulberry32(5);
  const igmpLengths = (kind: GarbageKind) =>
    new Set(
      Array.from({ length: 300 }, () => garbagePacket(kind, rand, { source: SOURCE }).packet)
        .map((p) => p.length - 24),
    );
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  deepStrictEqual(sorted(igmpLengths("truncated-igmp")), [0, 1, 2, 3, 4, 5, 6, 7]);
  deepStrictEqual(sorted(igmpLengths("bad-query-length")), [9, 10, 11]);
});
