/**
 * DVMRP messages (draft-ietf-idmr-dvmrp-v3-11, "the draft" below) as they are on the wire, and
 * the decoder that reads and checks them. The constants and message types are in
 * dvmrp_messages.ts (re-exported here), the encoders in dvmrp_encode.ts.
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
import {
  DVMRP_ASK_NEIGHBORS2,
  DVMRP_CAP_GENID,
  DVMRP_CAP_LEAF,
  DVMRP_CAP_MTRACE,
  DVMRP_CAP_NETMASK,
  DVMRP_CAP_PRUNE,
  DVMRP_CAP_SNMP,
  DVMRP_GRAFT,
  DVMRP_GRAFT_ACK,
  DVMRP_HEADER_LEN,
  DVMRP_NEIGHBORS2,
  DVMRP_NF_DISABLED,
  DVMRP_NF_DOWN,
  DVMRP_NF_LEAF,
  DVMRP_NF_QUERIER,
  DVMRP_NF_SRCRT,
  DVMRP_NF_TUNNEL,
  DVMRP_PROBE,
  DVMRP_PRUNE,
  DVMRP_REPORT,
  type DvmrpCapabilities,
  type DvmrpDropReason,
  type DvmrpGraft,
  type DvmrpHeader,
  type DvmrpMessage,
  type DvmrpNeighbors2,
  type DvmrpNeighbors2Vif,
  type DvmrpProbe,
  type DvmrpPrune,
  type DvmrpReport,
  type DvmrpRoute,
  type DvmrpVifFlags,
  IGMP_DVMRP,
} from "./dvmrp_messages.ts";

export * from "./dvmrp_messages.ts";

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
