/**
 * DVMRP messages (draft-ietf-idmr-dvmrp-v3-11, "the draft" below) as they are on the wire, and
 * the decoder that reads and checks them. Encoders are in dvmrp_encode.ts.
 *
 * Every DVMRP message is an IGMP message of type 0x13 whose code names it (section 3.1): Probe,
 * Report, Prune, Graft and Graft Ack, and mrinfo's Ask Neighbors2 and Neighbors2 (Appendix B).
 * The 8-byte header carries, where IGMP has its group, a reserved byte, the sender's
 * capabilities and its minor and major version: mrouted sends 3.255 and capabilities 0x0e.
 *
 * Addresses are unsigned 32-bit numbers, prefixes a network and a length. Decoders return a
 * {@link Result} and never throw; their drop reasons are DVMRP's own ({@link DvmrpDropReason}),
 * apart from the proxy's, whose IGMP decoder drops type 0x13 as `unknown-igmp-type`.
 *
 * @module
 */

import { ipv4MaskLength, isIPv4Multicast } from "./addr.ts";
import { internetChecksum } from "./checksum.ts";
import type { Result } from "./result.ts";
import { readU32 } from "./wire.ts";

/** IGMP type of every DVMRP message (section 3.1). */
export const IGMP_DVMRP = 0x13;

/** Code of a Probe, neighbor discovery (section 3.2). */
export const DVMRP_PROBE = 1;
/** Code of a Report, route exchange (section 3.4). */
export const DVMRP_REPORT = 2;
/** Code of the obsolete Ask Neighbors (Appendix B): not decoded. */
export const DVMRP_ASK_NEIGHBORS = 3;
/** Code of the obsolete Neighbors (Appendix B): not decoded. */
export const DVMRP_NEIGHBORS = 4;
/** Code of an Ask Neighbors2, mrinfo's request (Appendix B, section 11.1). */
export const DVMRP_ASK_NEIGHBORS2 = 5;
/** Code of a Neighbors2, the answer to an Ask Neighbors2 (section 11.2). */
export const DVMRP_NEIGHBORS2 = 6;
/** Code of a Prune (section 3.5). */
export const DVMRP_PRUNE = 7;
/** Code of a Graft (section 3.6). */
export const DVMRP_GRAFT = 8;
/** Code of a Graft Ack (section 3.6.4). */
export const DVMRP_GRAFT_ACK = 9;

/** 224.0.0.4, All-DVMRP-Routers (section 4): probes and periodic reports go here. */
export const INADDR_DVMRP_GROUP = 0xe0000004;

/** Major version of this specification (section 3.1). */
export const DVMRP_MAJOR_VERSION = 3;
/** Minor version of this specification, 0xff (section 3.1). */
export const DVMRP_MINOR_VERSION = 0xff;

/** Length of the common header (Figure 1), the IGMP header. */
export const DVMRP_HEADER_LEN = 8;
/**
 * Bytes of data after the header in a message of 576 bytes, the size RFC 1122 guarantees
 * without Path MTU discovery (section 3.7), less the largest IPv4 header (60) and the DVMRP
 * header: 508, mrouted's limit. An encapsulated message (two 20-byte headers) fits too.
 */
export const MAX_DVMRP_DATA_LEN = 576 - 60 - DVMRP_HEADER_LEN;

/** The Infinity metric, 32: unreachable (section 3.4.3). Poison reverse adds it (3.4.4). */
export const DVMRP_INFINITY = 32;

/** Capability bit 0: a leaf router (Figure 2, Table 4). */
export const DVMRP_CAP_LEAF = 0x01;
/** Capability bit 1: understands pruning. */
export const DVMRP_CAP_PRUNE = 0x02;
/** Capability bit 2: sends generation IDs. */
export const DVMRP_CAP_GENID = 0x04;
/** Capability bit 3: handles mtrace requests. */
export const DVMRP_CAP_MTRACE = 0x08;
/** Capability bit 4: supports the DVMRP MIB. */
export const DVMRP_CAP_SNMP = 0x10;
/** Capability bit 5: accepts a netmask in Prune, Graft and Graft Ack (section 3.2.1). */
export const DVMRP_CAP_NETMASK = 0x20;

/** Neighbors2 interface flag bit 0: neighbors reached through a tunnel (Table 5). */
export const DVMRP_NF_TUNNEL = 0x01;
/** Neighbors2 interface flag bit 1: the tunnel uses IP source routing. */
export const DVMRP_NF_SRCRT = 0x02;
/** Neighbors2 interface flag bit 4: operational status down. */
export const DVMRP_NF_DOWN = 0x10;
/** Neighbors2 interface flag bit 5: administrative status down. */
export const DVMRP_NF_DISABLED = 0x20;
/** Neighbors2 interface flag bit 6: the sender is the IGMP querier on the interface. */
export const DVMRP_NF_QUERIER = 0x40;
/** Neighbors2 interface flag bit 7: no downstream neighbors on the interface. */
export const DVMRP_NF_LEAF = 0x80;

/**
 * Why a DVMRP message was dropped. Every reason names DVMRP, so none is one of the proxy's
 * {@link DropReason}s.
 *
 * - `truncated-dvmrp`: fewer than the 8 bytes of the header, or a range past the buffer (or
 *   not in whole bytes).
 * - `not-dvmrp`: an IGMP type other than 0x13.
 * - `bad-dvmrp-checksum`: the checksum over the whole message does not verify (section 3.1).
 * - `unknown-dvmrp-code`: a code other than 1, 2 and 5 to 9 (3 and 4 are obsolete, section 11).
 * - `truncated-dvmrp-probe`: a probe without its 4-byte generation ID, or whose neighbor list
 *   ends inside an address.
 * - `truncated-dvmrp-route`: a report whose route run ends inside its netmask or a source, or
 *   before a metric with the last bit (section 3.4.3).
 * - `bad-dvmrp-netmask`: a netmask that is not contiguous, in a report or appended to a prune,
 *   graft or graft ack.
 * - `dvmrp-route-host-bits`: a reported source with bits set past its netmask (a prefix longer
 *   than its mask, such as 10.17.0.0 under 255.240.0.0).
 * - `truncated-dvmrp-neighbors`: a Neighbors2 interface entry cut inside its 8 fixed bytes, or
 *   whose neighbor count runs past the end.
 * - `truncated-dvmrp-prune`: a prune shorter than its 12 bytes of source, group and lifetime, or
 *   ending inside its netmask.
 * - `truncated-dvmrp-graft`: a graft or graft ack shorter than its 8 bytes of source and group,
 *   or ending inside its netmask.
 * - `dvmrp-group-not-multicast`: a prune, graft or graft ack for a group outside 224.0.0.0/4.
 */
export type DvmrpDropReason =
  | "truncated-dvmrp"
  | "not-dvmrp"
  | "bad-dvmrp-checksum"
  | "unknown-dvmrp-code"
  | "truncated-dvmrp-probe"
  | "truncated-dvmrp-route"
  | "bad-dvmrp-netmask"
  | "dvmrp-route-host-bits"
  | "truncated-dvmrp-neighbors"
  | "truncated-dvmrp-prune"
  | "truncated-dvmrp-graft"
  | "dvmrp-group-not-multicast";

/** Every {@link DvmrpDropReason}, once (the type checks that none is missing). */
const EVERY_DVMRP_DROP_REASON: Record<DvmrpDropReason, true> = {
  "truncated-dvmrp": true,
  "not-dvmrp": true,
  "bad-dvmrp-checksum": true,
  "unknown-dvmrp-code": true,
  "truncated-dvmrp-probe": true,
  "truncated-dvmrp-route": true,
  "bad-dvmrp-netmask": true,
  "dvmrp-route-host-bits": true,
  "truncated-dvmrp-neighbors": true,
  "truncated-dvmrp-prune": true,
  "truncated-dvmrp-graft": true,
  "dvmrp-group-not-multicast": true,
};

/** The {@link DvmrpDropReason}s in the order the type lists them, for counters. */
export const DVMRP_DROP_REASONS: readonly DvmrpDropReason[] = Object.freeze(
  Object.keys(EVERY_DVMRP_DROP_REASON) as DvmrpDropReason[],
);

/** The capability flags of the header (Figure 2; Table 4 in a Neighbors2). */
export interface DvmrpCapabilities {
  /** L, bit 0: a leaf router. The draft sends 0 in probes; mrouted sets it with one neighbor. */
  leaf: boolean;
  /** P, bit 1: understands pruning. */
  prune: boolean;
  /** G, bit 2: sends generation IDs. */
  generationId: boolean;
  /** M, bit 3: handles mtrace requests (tested in a Neighbors2 only). */
  mtrace: boolean;
  /** S, bit 4: supports the DVMRP MIB (tested in a Neighbors2 only). */
  snmp: boolean;
  /** N, bit 5: accepts a netmask appended to Prune, Graft and Graft Ack. */
  netmask: boolean;
}

/** The fields of the common header every message carries (Figure 1, Figure 3). */
export interface DvmrpHeader {
  /** The sender's capabilities; bits 6 and 7 are ignored. */
  capabilities: DvmrpCapabilities;
  /** Minor version: 0xff for this specification. */
  minorVersion: number;
  /** Major version: 3 for this specification (cisco sends 10 or 11, Appendix C). */
  majorVersion: number;
}

/** A Probe (Figure 3). */
export interface DvmrpProbe extends DvmrpHeader {
  /** Discriminant. */
  type: "probe";
  /**
   * The sender's generation ID; absent from the probes of versions before 3.3 (Appendix C),
   * which carry neither it nor a neighbor list.
   */
  generationId?: number;
  /** The neighbors the sender has heard probes from on this interface, in wire order. */
  neighbors: number[];
}

/** One route of a Report: a source network and its metric (sections 3.4.2 to 3.4.4). */
export interface DvmrpRoute {
  /** The source network, host bits clear; 0 with length 0 for the default route. */
  source: number;
  /** 0 (the default route) or 8 to 32: the wire format cannot carry a shorter mask. */
  prefixLength: number;
  /**
   * The metric, 7 bits as received: 1 to 31 reachable, 32 (infinity) unreachable, 33 to 63
   * poison reverse. The draft ignores a route with 0 or 64 and above (section 3.4.6).
   */
  metric: number;
}

/** A Report (Figure 4): routes packed in runs that share a netmask. */
export interface DvmrpReport extends DvmrpHeader {
  /** Discriminant. */
  type: "report";
  /** The routes in wire order. */
  routes: DvmrpRoute[];
}

/** An Ask Neighbors2 (Figure 8): the header only. */
export interface DvmrpAskNeighbors2 extends DvmrpHeader {
  /** Discriminant. */
  type: "ask-neighbors2";
}

/** The flags of one interface of a Neighbors2 (Table 5); bits 2 and 3 are ignored. */
export interface DvmrpVifFlags {
  /** Bit 0: the neighbors are reached through a tunnel. */
  tunnel: boolean;
  /** Bit 1: the tunnel uses IP source routing. */
  sourceRoute: boolean;
  /** Bit 4: operational status down. */
  down: boolean;
  /** Bit 5: administrative status down. */
  disabled: boolean;
  /** Bit 6: the sender is the IGMP querier there. */
  querier: boolean;
  /** Bit 7: no downstream neighbors there. */
  leaf: boolean;
}

/** One interface entry of a Neighbors2 (Figure 9). */
export interface DvmrpNeighbors2Vif {
  /** The sender's address on the interface. */
  localAddress: number;
  /** The interface's metric, 0 to 255. */
  metric: number;
  /** The interface's TTL threshold, 0 to 255. */
  threshold: number;
  /** The interface's flags. */
  flags: DvmrpVifFlags;
  /**
   * The neighbors (at most 255 in one entry); a down interface lists 0.0.0.0 or, for a tunnel,
   * the remote end (section 11.2).
   */
  neighbors: number[];
}

/** A Neighbors2 (Figure 9): the sender's interfaces, the capabilities in its header. */
export interface DvmrpNeighbors2 extends DvmrpHeader {
  /** Discriminant. */
  type: "neighbors2";
  /** The interface entries in wire order; an interface may take several. */
  vifs: DvmrpNeighbors2Vif[];
}

/** A Prune (Figure 5). */
export interface DvmrpPrune extends DvmrpHeader {
  /** Discriminant. */
  type: "prune";
  /** The source host of the datagram that triggered the prune. */
  source: number;
  /** The group pruned. */
  group: number;
  /** Prune Lifetime in seconds, unsigned 32 bits. */
  lifetimeSeconds: number;
  /** The optional Source Network Mask, as a prefix length (section 3.5.2). */
  prefixLength?: number;
}

/** A Graft (Figure 6) or a Graft Ack (Figure 7): the same fields. */
export interface DvmrpGraft extends DvmrpHeader {
  /** Discriminant. */
  type: "graft" | "graft-ack";
  /** The source host or network grafted. */
  source: number;
  /** The group grafted. */
  group: number;
  /** The optional Source Network Mask, as a prefix length. */
  prefixLength?: number;
}

/** Any DVMRP message the decoder reads. */
export type DvmrpMessage =
  | DvmrpProbe
  | DvmrpReport
  | DvmrpAskNeighbors2
  | DvmrpNeighbors2
  | DvmrpPrune
  | DvmrpGraft;

/**
 * Decodes and validates the DVMRP message of `length` bytes at `offset` of `buf` (the IP
 * payload): at least the 8-byte header, IGMP type 0x13, the checksum over the whole message
 * (section 3.1), a known code, and every field, list and route run within the message. Bytes
 * past the known fields of a prune, graft, graft ack or ask neighbors2 are ignored, as mrouted
 * ignores them after a prune or graft. Work is bounded by the bytes present.
 *
 * @example
 * ```ts
 * import { decodeDvmrp } from "./dvmrp.ts";
 *
 * // Ask Neighbors2 from mrinfo, version 3.255, capabilities 0x0e.
 * const r = decodeDvmrp(new Uint8Array([0x13, 5, 0xed, 0xe8, 0, 0x0e, 0xff, 3]));
 * // r.ok && r.value.type === "ask-neighbors2"
 * ```
 */
export function decodeDvmrp(
  buf: Uint8Array,
  offset = 0,
  length: number = buf.length - offset,
): Result<DvmrpMessage, DvmrpDropReason> {
  const m = parseDvmrp(buf, offset, length);
  return typeof m === "string" ? { ok: false, reason: m } : { ok: true, value: m };
}

/** The capabilities in a header's capability byte. */
export function decodeCapabilities(byte: number): DvmrpCapabilities {
  return {
    leaf: (byte & DVMRP_CAP_LEAF) !== 0,
    prune: (byte & DVMRP_CAP_PRUNE) !== 0,
    generationId: (byte & DVMRP_CAP_GENID) !== 0,
    mtrace: (byte & DVMRP_CAP_MTRACE) !== 0,
    snmp: (byte & DVMRP_CAP_SNMP) !== 0,
    netmask: (byte & DVMRP_CAP_NETMASK) !== 0,
  };
}

/** The flags in a Neighbors2 interface entry's flag byte. */
export function decodeVifFlags(byte: number): DvmrpVifFlags {
  return {
    tunnel: (byte & DVMRP_NF_TUNNEL) !== 0,
    sourceRoute: (byte & DVMRP_NF_SRCRT) !== 0,
    down: (byte & DVMRP_NF_DOWN) !== 0,
    disabled: (byte & DVMRP_NF_DISABLED) !== 0,
    querier: (byte & DVMRP_NF_QUERIER) !== 0,
    leaf: (byte & DVMRP_NF_LEAF) !== 0,
  };
}

/**
 * Whether a probe with this header carries a generation ID: the G flag, or version 3.3 and
 * later, which sent it before the flag existed (Appendix C; mrouted tests the same).
 */
export function probeHasGenerationId(header: DvmrpHeader): boolean {
  return header.capabilities.generationId ||
    (header.majorVersion === 3 && header.minorVersion > 2);
}

/**
 * How many bytes of a source network a report carries for a prefix length (section 3.4.2): one
 * per non-zero byte of the netmask, whose first byte (always 255) is not sent; at least one.
 */
export function routeSourceWidth(prefixLength: number): number {
  return prefixLength <= 8 ? 1 : Math.ceil(prefixLength / 8);
}

/** {@link decodeDvmrp} without the result wrapper: the message, or why it was dropped. */
function parseDvmrp(
  buf: Uint8Array,
  offset: number,
  length: number,
): DvmrpMessage | DvmrpDropReason {
  if (
    !Number.isInteger(offset) || !Number.isInteger(length) || length < DVMRP_HEADER_LEN ||
    offset < 0 || offset + length > buf.length
  ) return "truncated-dvmrp";
  if (buf[offset] !== IGMP_DVMRP) return "not-dvmrp";
  if (internetChecksum(buf, offset, length) !== 0) return "bad-dvmrp-checksum";
  const header: DvmrpHeader = {
    capabilities: decodeCapabilities(buf[offset + 5]),
    minorVersion: buf[offset + 6],
    majorVersion: buf[offset + 7],
  };
  const at = offset + DVMRP_HEADER_LEN;
  const end = offset + length;
  switch (buf[offset + 1]) {
    case DVMRP_PROBE:
      return parseProbe(buf, at, end, header);
    case DVMRP_REPORT:
      return parseReport(buf, at, end, header);
    case DVMRP_ASK_NEIGHBORS2:
      return { type: "ask-neighbors2", ...header };
    case DVMRP_NEIGHBORS2:
      return parseNeighbors2(buf, at, end, header);
    case DVMRP_PRUNE:
      return parsePrune(buf, at, end, header);
    case DVMRP_GRAFT:
      return parseGraft(buf, at, end, { type: "graft", ...header });
    case DVMRP_GRAFT_ACK:
      return parseGraft(buf, at, end, { type: "graft-ack", ...header });
    default:
      return "unknown-dvmrp-code";
  }
}

/** A Probe (section 3.2.5): the generation ID, then neighbor addresses to the end. */
function parseProbe(
  buf: Uint8Array,
  at: number,
  end: number,
  header: DvmrpHeader,
): DvmrpProbe | DvmrpDropReason {
  // Before 3.3 a probe carries nothing after the header that this decoder should read.
  if (!probeHasGenerationId(header)) return { type: "probe", ...header, neighbors: [] };
  if (end - at < 4 || (end - at) % 4 !== 0) return "truncated-dvmrp-probe";
  const generationId = readU32(buf, at);
  const neighbors: number[] = [];
  for (let p = at + 4; p < end; p += 4) neighbors.push(readU32(buf, p));
  return { type: "probe", ...header, generationId, neighbors };
}

/**
 * A Report (sections 3.4.2, 3.4.3, Figure 4): runs of a 3-byte netmask (its first byte, 255, not
 * sent) then (source, metric) pairs, the source in as many bytes as the mask has non-zero ones,
 * the metric's high bit marking the last pair of the run.
 */
function parseReport(
  buf: Uint8Array,
  at: number,
  end: number,
  header: DvmrpHeader,
): DvmrpReport | DvmrpDropReason {
  const routes: DvmrpRoute[] = [];
  while (at < end) {
    if (end - at < 3) return "truncated-dvmrp-route";
    const mask = (0xff000000 | (buf[at] << 16) | (buf[at + 1] << 8) | buf[at + 2]) >>> 0;
    const maskLength = ipv4MaskLength(mask);
    if (maskLength === undefined) return "bad-dvmrp-netmask";
    const width = routeSourceWidth(maskLength);
    at += 3;
    let last = false;
    while (!last) {
      if (end - at < width + 1) return "truncated-dvmrp-route";
      let source = 0;
      for (let i = 0; i < width; i++) source |= buf[at + i] << (24 - 8 * i);
      source >>>= 0;
      const metric = buf[at + width];
      at += width + 1;
      last = (metric & 0x80) !== 0;
      if ((source & ~mask) !== 0) return "dvmrp-route-host-bits";
      // [00 00 00] then [00] is 0.0.0.0/0, not 0.0.0.0/8 (section 3.4.2).
      const prefixLength = maskLength === 8 && source === 0 ? 0 : maskLength;
      routes.push({ source, prefixLength, metric: metric & 0x7f });
    }
  }
  return { type: "report", ...header, routes };
}

/**
 * A Neighbors2 (section 11.2, Figure 9): entries of local address, metric, threshold, flags and
 * neighbor count, then that many neighbor addresses.
 */
function parseNeighbors2(
  buf: Uint8Array,
  at: number,
  end: number,
  header: DvmrpHeader,
): DvmrpNeighbors2 | DvmrpDropReason {
  const vifs: DvmrpNeighbors2Vif[] = [];
  while (at < end) {
    if (end - at < 8) return "truncated-dvmrp-neighbors";
    const count = buf[at + 7];
    if (end - at - 8 < 4 * count) return "truncated-dvmrp-neighbors";
    const neighbors = new Array<number>(count);
    for (let i = 0; i < count; i++) neighbors[i] = readU32(buf, at + 8 + 4 * i);
    vifs.push({
      localAddress: readU32(buf, at),
      metric: buf[at + 4],
      threshold: buf[at + 5],
      flags: decodeVifFlags(buf[at + 6]),
      neighbors,
    });
    at += 8 + 4 * count;
  }
  return { type: "neighbors2", ...header, vifs };
}

/** A Prune (section 3.5.6): source, group, lifetime, and the netmask if the length has it. */
function parsePrune(
  buf: Uint8Array,
  at: number,
  end: number,
  header: DvmrpHeader,
): DvmrpPrune | DvmrpDropReason {
  const size = end - at;
  if (size < 12 || (size > 12 && size < 16)) return "truncated-dvmrp-prune";
  const group = readU32(buf, at + 4);
  if (!isIPv4Multicast(group)) return "dvmrp-group-not-multicast";
  const prune: DvmrpPrune = {
    type: "prune",
    ...header,
    source: readU32(buf, at),
    group,
    lifetimeSeconds: readU32(buf, at + 8),
  };
  if (size < 16) return prune;
  const prefixLength = ipv4MaskLength(readU32(buf, at + 12));
  if (prefixLength === undefined) return "bad-dvmrp-netmask";
  return { ...prune, prefixLength };
}

/** A Graft or Graft Ack (sections 3.6.3, 3.6.6): source, group, and the netmask if present. */
function parseGraft(
  buf: Uint8Array,
  at: number,
  end: number,
  head: Pick<DvmrpGraft, "type"> & DvmrpHeader,
): DvmrpGraft | DvmrpDropReason {
  const size = end - at;
  if (size < 8 || (size > 8 && size < 12)) return "truncated-dvmrp-graft";
  const group = readU32(buf, at + 4);
  if (!isIPv4Multicast(group)) return "dvmrp-group-not-multicast";
  const graft: DvmrpGraft = { ...head, source: readU32(buf, at), group };
  if (size < 12) return graft;
  const prefixLength = ipv4MaskLength(readU32(buf, at + 8));
  if (prefixLength === undefined) return "bad-dvmrp-netmask";
  return { ...graft, prefixLength };
}
