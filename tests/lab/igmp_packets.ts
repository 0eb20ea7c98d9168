/**
 * Whole IPv4/IGMP packets for the lab's packet injector ({@link ./igmp_tool.ts}): valid queries,
 * reports and leaves, and seeded malformed traffic of named kinds.
 *
 * Pure: no `Deno.*`, no FFI, so unit tests import it without `--allow-ffi`. Addresses are
 * unsigned 32-bit numbers (`0x0a000001` is `10.0.0.1`).
 *
 * @example
 * ```ts
 * import { buildIPv4Packet, garbagePacket, igmpQuery, mulberry32 } from "./igmp_packets.ts";
 *
 * const query = buildIPv4Packet({
 *   source: 0x0a010001,
 *   destination: 0xe0000001,
 *   payload: igmpQuery({ version: 2 }),
 * });
 * const rand = mulberry32(1);
 * const { packet, destination } = garbagePacket("bad-igmp-checksum", rand, { source: 0x0a010001 });
 * ```
 *
 * @module
 */

import { internetChecksum } from "../../src/proto/checksum.ts";
import {
  IGMP_MEMBERSHIP_QUERY,
  IGMP_V1_MEMBERSHIP_REPORT,
  IGMP_V2_LEAVE_GROUP,
  IGMP_V2_MEMBERSHIP_REPORT,
  IGMP_V3_MEMBERSHIP_REPORT,
  INADDR_ALLHOSTS_GROUP,
  INADDR_ALLRPTS_GROUP,
} from "../../src/proto/igmp.ts";
import { encodeQuery, encodeV2Report } from "../../src/proto/igmp_encode.ts";
import { buildIPv4Packet as buildTestPacket, fixChecksum } from "../../src/proto/testing.ts";

/** The Router Alert option, value 0 (RFC 2113). */
const ROUTER_ALERT = [0x94, 0x04, 0x00, 0x00] as const;
/** Length of the IPv4 header {@link garbagePacket} builds: 20 bytes and Router Alert. */
const RA_HEADER_LENGTH = 24;

/** Options of {@link buildIPv4Packet}. */
export interface IPv4Options {
  /** Source address. */
  source: number;
  /** Destination address. */
  destination: number;
  /** The bytes after the header. */
  payload: Uint8Array;
  /** TTL; default 1. */
  ttl?: number;
  /** Whether to add the Router Alert option (IHL 6); default true. */
  routerAlert?: boolean;
  /** IP protocol; default 2 (IGMP). */
  protocol?: number;
}

/**
 * An IPv4 packet as Linux sends IGMP (TOS 0xc0, ID 0, DF), with a correct header checksum.
 *
 * @example
 * ```ts
 * import { buildIPv4Packet } from "./igmp_packets.ts";
 * import { encodeV2Report } from "../../src/proto/igmp_encode.ts";
 *
 * // 10.0.0.2 -> 239.1.1.1, IGMPv2 report: 24-byte header (Router Alert) + 8 bytes.
 * const pkt = buildIPv4Packet({
 *   source: 0x0a000002,
 *   destination: 0xef010101,
 *   payload: encodeV2Report(0xef010101),
 * });
 * pkt.length; // 32
 * ```
 */
export function buildIPv4Packet(opts: IPv4Options): Uint8Array {
  return buildTestPacket({
    source: opts.source,
    destination: opts.destination,
    payload: opts.payload,
    ttl: opts.ttl ?? 1,
    protocol: opts.protocol ?? 2,
    options: opts.routerAlert ?? true ? ROUTER_ALERT : [],
  });
}

/** Options of {@link igmpQuery}. */
export interface IgmpQueryOptions {
  /** IGMPv1 (8 bytes, code 0), IGMPv2 (8 bytes) or IGMPv3 (12 bytes). */
  version: 1 | 2 | 3;
  /** 0 (the default) for a general query, else the group queried. */
  group?: number;
  /** Max Resp Time in ms (IGMPv2/v3; default 10 000). IGMPv1 queries carry none. */
  maxRespTimeMs?: number;
}

/**
 * An IGMP Membership Query (the IP payload) with its checksum.
 *
 * @example
 * ```ts
 * import { igmpQuery } from "./igmp_packets.ts";
 *
 * igmpQuery({ version: 1 }); // 11 00 ee ff 00 00 00 00
 * ```
 */
export function igmpQuery(opts: IgmpQueryOptions): Uint8Array {
  const group = opts.group ?? 0;
  if (opts.version === 1) return simpleMessage(IGMP_MEMBERSHIP_QUERY, group);
  return encodeQuery({ version: opts.version, group, maxRespTimeMs: opts.maxRespTimeMs ?? 10_000 });
}

/**
 * The Ethernet address a multicast group maps to (RFC 1112 section 6.4): `01:00:5e` and the low
 * 23 bits of the group.
 *
 * @example
 * ```ts
 * import { multicastMac } from "./igmp_packets.ts";
 *
 * multicastMac(0xefc10101); // 01:00:5e:41:01:01 for 239.193.1.1
 * ```
 */
export function multicastMac(group: number): Uint8Array {
  return new Uint8Array([
    0x01,
    0x00,
    0x5e,
    (group >>> 16) & 0x7f,
    (group >>> 8) & 0xff,
    group & 0xff,
  ]);
}

export { mulberry32 } from "../../src/proto/testing.ts";

/**
 * The kinds of malformed traffic {@link garbagePacket} makes. Each is one way a packet from the
 * link can be wrong:
 *
 * - `random-bytes`: 0 to 1500 random bytes, not an IP packet at all.
 * - `bad-igmp-checksum`: a valid IP header, an IGMPv2 report whose checksum does not verify.
 * - `bad-ip-checksum`: a valid IGMPv2 report, an IP header checksum that does not verify.
 * - `truncated-ip`: an IP Total Length past the bytes sent (header checksum correct).
 * - `truncated-igmp`: 0 to 7 bytes of IGMP.
 * - `absurd-v3-records`: an IGMPv3 report claiming 65535 group records, carrying 0 to 3.
 * - `absurd-v3-sources`: an IGMPv3 report with one record claiming 65535 sources.
 * - `bad-query-length`: a query of 9 to 11 bytes (RFC 3376 section 7.1).
 * - `unknown-type`: an 8-byte message of a type the proxy does not handle.
 * - `group-not-multicast`: an IGMPv2 report for a unicast group, sent to 224.0.0.1.
 * - `random-v3-records`: an IGMPv3 report of random records (types 0-255, auxiliary data,
 *   sources, groups), its counts sometimes consistent and sometimes not.
 *
 * Every IGMP checksum is correct unless the kind says otherwise, so a decoder gets past it.
 */
export const GARBAGE_KINDS = [
  "random-bytes",
  "bad-igmp-checksum",
  "bad-ip-checksum",
  "truncated-ip",
  "truncated-igmp",
  "absurd-v3-records",
  "absurd-v3-sources",
  "bad-query-length",
  "unknown-type",
  "group-not-multicast",
  "random-v3-records",
] as const;

/** One of {@link GARBAGE_KINDS}. */
export type GarbageKind = typeof GARBAGE_KINDS[number];

/** A packet from {@link garbagePacket}. */
export interface GarbagePacket {
  /** The whole packet from the IP header on, as it should go on the link. */
  packet: Uint8Array;
  /** Where to send it: the link-layer address follows from this. */
  destination: number;
}

/**
 * A malformed packet of the given kind from `source`, its contents drawn from `rand` (see
 * {@link mulberry32}): the same kind and seed give the same bytes. See {@link GARBAGE_KINDS}.
 *
 * @example
 * ```ts
 * import { GARBAGE_KINDS, garbagePacket, mulberry32 } from "./igmp_packets.ts";
 *
 * const rand = mulberry32(7);
 * for (let i = 0; i < 100; i++) {
 *   const kind = GARBAGE_KINDS[i % GARBAGE_KINDS.length];
 *   const { packet, destination } = garbagePacket(kind, rand, { source: 0x0a010002 });
 *   // send packet to destination
 * }
 * ```
 */
export function garbagePacket(
  kind: GarbageKind,
  rand: () => number,
  opts: { source: number },
): GarbagePacket {
  const { source } = opts;
  const ipv4 = (destination: number, payload: Uint8Array) => ({
    packet: buildIPv4Packet({ source, destination, payload }),
    destination,
  });
  const report = (group: number) => ipv4(group, encodeV2Report(group));
  switch (kind) {
    case "random-bytes":
      return { packet: randomBytes(rand, randInt(rand, 0, 1500)), destination: randomGroup(rand) };
    case "bad-igmp-checksum": {
      const group = randomGroup(rand);
      return ipv4(group, spoilChecksum(encodeV2Report(group), { field: 2 }, rand));
    }
    case "bad-ip-checksum": {
      const { packet, destination } = report(randomGroup(rand));
      return {
        packet: spoilChecksum(packet, { length: RA_HEADER_LENGTH, field: 10 }, rand),
        destination,
      };
    }
    case "truncated-ip": {
      const { packet, destination } = report(randomGroup(rand));
      new DataView(packet.buffer).setUint16(2, packet.length + randInt(rand, 1, 1000));
      return { packet: fixChecksum(packet, { length: RA_HEADER_LENGTH, field: 10 }), destination };
    }
    case "truncated-igmp": {
      const group = randomGroup(rand);
      return ipv4(group, encodeV2Report(group).slice(0, randInt(rand, 0, 7)));
    }
    case "absurd-v3-records": {
      const records: number[] = [];
      for (let n = randInt(rand, 0, 3); n > 0; n--) {
        records.push(...randomRecord(rand, randInt(rand, 0, 2)));
      }
      return ipv4(INADDR_ALLRPTS_GROUP, v3Report(0xffff, records));
    }
    case "absurd-v3-sources": {
      const record = randomRecord(rand, randInt(rand, 0, 8));
      record[2] = 0xff; // number of sources: 65535
      record[3] = 0xff;
      return ipv4(INADDR_ALLRPTS_GROUP, v3Report(1, record));
    }
    case "bad-query-length": {
      const group = rand() < 0.5 ? 0 : randomGroup(rand);
      const query = new Uint8Array(randInt(rand, 9, 11));
      query.set(encodeQuery({ version: 2, group, maxRespTimeMs: randInt(rand, 100, 25_500) }));
      for (let i = 8; i < query.length; i++) query[i] = randInt(rand, 0, 255);
      return ipv4(group || INADDR_ALLHOSTS_GROUP, withChecksum(query));
    }
    case "unknown-type": {
      const group = randomGroup(rand);
      const message = simpleMessage(randomUnknownType(rand), group);
      message[1] = randInt(rand, 0, 255);
      return ipv4(group, withChecksum(message));
    }
    case "group-not-multicast": {
      const unicast = randInt(rand, 0x01000000, 0xdfffffff);
      return ipv4(INADDR_ALLHOSTS_GROUP, encodeV2Report(unicast));
    }
    case "random-v3-records":
      return ipv4(INADDR_ALLRPTS_GROUP, randomV3Report(rand));
  }
}

/** An integer from `lo` to `hi`, both included. */
function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

function randomBytes(rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** A multicast address from all of 224.0.0.0/4. */
function randomGroup(rand: () => number): number {
  return (0xe0000000 | randInt(rand, 0, 0x0fffffff)) >>> 0;
}

/** An IGMP type none of the proxy's decoders handles (e.g. DVMRP 0x13, mtrace 0x1e/0x1f). */
function randomUnknownType(rand: () => number): number {
  const known = [
    IGMP_MEMBERSHIP_QUERY,
    IGMP_V1_MEMBERSHIP_REPORT,
    IGMP_V2_MEMBERSHIP_REPORT,
    IGMP_V2_LEAVE_GROUP,
    IGMP_V3_MEMBERSHIP_REPORT,
  ];
  for (;;) {
    const type = randInt(rand, 0, 255);
    if (!known.includes(type)) return type;
  }
}

/**
 * The bytes of one IGMPv3 group record of a known type (1-6) for a random group, with no
 * auxiliary data and `sources` (below 256) random sources.
 */
function randomRecord(rand: () => number, sources: number): number[] {
  const out = [randInt(rand, 1, 6), 0, 0, sources];
  pushU32(out, randomGroup(rand));
  for (let i = 0; i < sources; i++) pushU32(out, randInt(rand, 0, 0xffffffff));
  return out;
}

/**
 * An IGMPv3 report of 0 to 5 records of random types, auxiliary data, sources and groups (some
 * unicast). Half the time every count is right; otherwise one count field is random.
 */
function randomV3Report(rand: () => number): Uint8Array {
  const countFields = [6, 7]; // offsets of the count bytes: records, then aux and sources
  const bytes: number[] = [];
  const records = randInt(rand, 0, 5);
  for (let r = 0; r < records; r++) {
    const at = 8 + bytes.length;
    const aux = rand() < 0.7 ? 0 : randInt(rand, 1, 3);
    const sources = randInt(rand, 0, 8);
    const type = rand() < 0.5 ? randInt(rand, 1, 6) : randInt(rand, 0, 255);
    bytes.push(type, aux, sources >> 8, sources & 0xff);
    pushU32(bytes, rand() < 0.9 ? randomGroup(rand) : randInt(rand, 0, 0xffffffff));
    for (let i = 0; i < sources + aux; i++) pushU32(bytes, randInt(rand, 0, 0xffffffff));
    countFields.push(at + 1, at + 2, at + 3);
  }
  const message = v3Report(records, bytes);
  if (rand() < 0.5) {
    message[countFields[randInt(rand, 0, countFields.length - 1)]] = randInt(rand, 0, 255);
  }
  return withChecksum(message);
}

/** An IGMPv3 report claiming `count` records, followed by `records`, checksummed. */
function v3Report(count: number, records: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 + records.length);
  out[0] = IGMP_V3_MEMBERSHIP_REPORT;
  out[6] = count >> 8;
  out[7] = count & 0xff;
  out.set(records, 8);
  return withChecksum(out);
}

/** An 8-byte IGMP message of `type` for `group`, code 0, checksummed. */
function simpleMessage(type: number, group: number): Uint8Array {
  const out = new Uint8Array(8);
  out[0] = type;
  new DataView(out.buffer).setUint32(4, group >>> 0);
  return withChecksum(out);
}

/** Fills in the IGMP checksum (bytes 2-3) of a whole message. */
function withChecksum(message: Uint8Array): Uint8Array {
  return fixChecksum(message, { field: 2 });
}

/**
 * Replaces the checksum at `field` (of `length` bytes, default all) with a wrong one: one that
 * does not verify, so neither the right value nor its ones' complement twin.
 */
function spoilChecksum(
  bytes: Uint8Array,
  opts: { length?: number; field: number },
  rand: () => number,
): Uint8Array {
  const length = opts.length ?? bytes.length;
  do {
    const wrong = randInt(rand, 0, 0xffff);
    bytes[opts.field] = wrong >> 8;
    bytes[opts.field + 1] = wrong & 0xff;
  } while (internetChecksum(bytes, 0, length) === 0);
  return bytes;
}

function pushU32(out: number[], v: number): void {
  out.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}
