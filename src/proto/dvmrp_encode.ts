/**
 * DVMRP encoders: every message of dvmrp.ts as wire bytes with its checksum, and the report
 * encoder that packs a route list into as many messages as a size limit needs.
 *
 * Encoders produce the IGMP message only; the sender adds the IP header (section 3.1: TOS 0xc0;
 * probes with TTL 1 to 224.0.0.4, section 2.1). Header fields default to what mrouted sends:
 * version 3.255, capabilities prune, generation ID and mtrace (0x0e). Encoders throw RangeError
 * only for a programming error: a field out of its range, or a route the wire cannot carry.
 *
 * @module
 */

import { formatIPv4, ipv4Mask, isIPv4Multicast } from "./addr.ts";
import { internetChecksum } from "./checksum.ts";
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
  DVMRP_INFINITY,
  DVMRP_MAJOR_VERSION,
  DVMRP_MINOR_VERSION,
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
  type DvmrpGraft,
  type DvmrpHeader,
  type DvmrpMessage,
  type DvmrpNeighbors2Vif,
  type DvmrpProbe,
  type DvmrpRoute,
  type DvmrpVifFlags,
  IGMP_DVMRP,
  MAX_DVMRP_DATA_LEN,
  probeHasGenerationId,
  routeSourceWidth,
} from "./dvmrp.ts";
import { writeU16, writeU32 } from "./wire.ts";

/** What mrouted announces: prune, generation ID and mtrace (0x0e); no leaf, SNMP or netmask. */
export const DVMRP_CAPABILITIES: Readonly<DvmrpCapabilities> = Object.freeze({
  leaf: false,
  prune: true,
  generationId: true,
  mtrace: true,
  snmp: false,
  netmask: false,
});

/** The smallest data limit of {@link encodeReports}: a netmask, a 4-byte source, a metric. */
export const MIN_REPORT_DATA_LEN = 3 + 4 + 1;

/** Header fields of every encoder's options; unset, they are what mrouted sends. */
export interface DvmrpHeaderOptions {
  /** Default {@link DVMRP_CAPABILITIES}. */
  capabilities?: DvmrpCapabilities;
  /** Default 0xff. */
  minorVersion?: number;
  /** Default 3. */
  majorVersion?: number;
}

/** Options of {@link encodeProbe}. */
export interface ProbeOptions extends DvmrpHeaderOptions {
  /** The interface's generation ID (section 3.2.2). */
  generationId: number;
  /** The neighbors heard on the interface (section 3.2.3). Default none. */
  neighbors?: readonly number[];
}

/** Options of {@link encodeReports}. */
export interface ReportsOptions extends DvmrpHeaderOptions {
  /** Most bytes of route data per message. Default {@link MAX_DVMRP_DATA_LEN} (508). */
  maxDataLen?: number;
}

/** Options of {@link encodePrune}. */
export interface PruneOptions extends DvmrpHeaderOptions {
  /** The source host of the datagram that triggered the prune. */
  source: number;
  /** The group pruned. */
  group: number;
  /** Prune Lifetime in seconds. */
  lifetimeSeconds: number;
  /** Source Network Mask as a prefix length; send it only to a neighbor with the N flag. */
  prefixLength?: number;
}

/** Options of {@link encodeGraft} and {@link encodeGraftAck}. */
export interface GraftOptions extends DvmrpHeaderOptions {
  /** The source host or network grafted. */
  source: number;
  /** The group grafted. */
  group: number;
  /** Source Network Mask as a prefix length; send it only to a neighbor with the N flag. */
  prefixLength?: number;
}

/** The capability byte of a header (Figure 2, Table 4). */
export function encodeCapabilities(c: DvmrpCapabilities): number {
  return (c.leaf ? DVMRP_CAP_LEAF : 0) | (c.prune ? DVMRP_CAP_PRUNE : 0) |
    (c.generationId ? DVMRP_CAP_GENID : 0) | (c.mtrace ? DVMRP_CAP_MTRACE : 0) |
    (c.snmp ? DVMRP_CAP_SNMP : 0) | (c.netmask ? DVMRP_CAP_NETMASK : 0);
}

/** The flag byte of a Neighbors2 interface entry (Table 5). */
export function encodeVifFlags(f: DvmrpVifFlags): number {
  return (f.tunnel ? DVMRP_NF_TUNNEL : 0) | (f.sourceRoute ? DVMRP_NF_SRCRT : 0) |
    (f.down ? DVMRP_NF_DOWN : 0) | (f.disabled ? DVMRP_NF_DISABLED : 0) |
    (f.querier ? DVMRP_NF_QUERIER : 0) | (f.leaf ? DVMRP_NF_LEAF : 0);
}

/**
 * Encodes a Probe (Figure 3): the generation ID, then the neighbors.
 *
 * @example
 * ```ts
 * import { encodeProbe } from "./dvmrp_encode.ts";
 *
 * // 13 01 cs cs 00 0e ff 03, generation ID, 10.0.0.2: 16 bytes.
 * const probe = encodeProbe({ generationId: 0x5f000000, neighbors: [0x0a000002] });
 * ```
 */
export function encodeProbe(opts: ProbeOptions): Uint8Array {
  return encodeDvmrp({
    type: "probe",
    ...headerOf(opts),
    generationId: opts.generationId,
    neighbors: [...(opts.neighbors ?? [])],
  });
}

/**
 * Encodes every route in one Report, whatever its size (see {@link encodeReports} to keep under
 * a limit). Consecutive routes of one prefix length share a run and its netmask (section
 * 3.4.2): list them grouped by length to pack them tightest. Throws RangeError for a route the
 * wire cannot carry: a length from 1 to 7, 0.0.0.0/8, host bits set, a metric outside 1-63.
 */
export function encodeReport(
  routes: readonly DvmrpRoute[],
  header: DvmrpHeaderOptions = {},
): Uint8Array {
  return encodeDvmrp({ type: "report", ...headerOf(header), routes: [...routes] });
}

/**
 * Encodes routes in as many Reports as keep each message's route data within `maxDataLen`
 * bytes (default {@link MAX_DVMRP_DATA_LEN}; for an interface's MTU, the MTU less the IP
 * header, less 20 more on a tunnel, less 8), in order, none for no routes. A run cut by the
 * limit ends with the last bit set and goes on in the next message under a repeated netmask,
 * as mrouted does. Throws RangeError as {@link encodeReport} does, or for a limit below 8.
 *
 * @example
 * ```ts
 * import { encodeReports } from "./dvmrp_encode.ts";
 *
 * // 200 /24 routes, 4 bytes each after a 3-byte netmask: 126 in the first message, 74 next.
 * const routes = Array.from({ length: 200 }, (_, i) => ({
 *   source: 0x0a000000 + (i << 8),
 *   prefixLength: 24,
 *   metric: 2,
 * }));
 * const messages = encodeReports(routes); // 2 messages
 * ```
 */
export function encodeReports(
  routes: readonly DvmrpRoute[],
  opts: ReportsOptions = {},
): Uint8Array[] {
  const max = opts.maxDataLen ?? MAX_DVMRP_DATA_LEN;
  if (!Number.isInteger(max) || max < MIN_REPORT_DATA_LEN) {
    throw new RangeError(`Report data limit below ${MIN_REPORT_DATA_LEN} bytes: ${max}`);
  }
  const header = headerOf(opts);
  return packRoutes(routes, max).map((data) => withData(DVMRP_REPORT, header, data));
}

/** Encodes an Ask Neighbors2 (Figure 8): the header alone. */
export function encodeAskNeighbors2(header: DvmrpHeaderOptions = {}): Uint8Array {
  return encodeDvmrp({ type: "ask-neighbors2", ...headerOf(header) });
}

/**
 * Encodes a Neighbors2 (Figure 9), the answer to an Ask Neighbors2; its header's capabilities
 * are the router's (Table 4). An interface with more than 255 neighbors takes several entries.
 * The encoder writes the neighbors it is given: to answer mrinfo for an interface without any,
 * give `[0]` (0.0.0.0) or, for a tunnel, the remote end (section 11.2, Appendix C).
 */
export function encodeNeighbors2(
  vifs: readonly DvmrpNeighbors2Vif[],
  header: DvmrpHeaderOptions = {},
): Uint8Array {
  return encodeDvmrp({ type: "neighbors2", ...headerOf(header), vifs: [...vifs] });
}

/**
 * Encodes a Prune (Figure 5): 20 bytes, 24 with the netmask.
 *
 * @example
 * ```ts
 * import { encodePrune } from "./dvmrp_encode.ts";
 *
 * // Prune (10.1.1.5, 239.1.2.3) for two hours.
 * const prune = encodePrune({ source: 0x0a010105, group: 0xef010203, lifetimeSeconds: 7200 });
 * ```
 */
export function encodePrune(opts: PruneOptions): Uint8Array {
  const { source, group, lifetimeSeconds, prefixLength } = opts;
  const prune = { type: "prune" as const, ...headerOf(opts), source, group, lifetimeSeconds };
  return encodeDvmrp(prefixLength === undefined ? prune : { ...prune, prefixLength });
}

/** Encodes a Graft (Figure 6): 16 bytes, 20 with the netmask. */
export function encodeGraft(opts: GraftOptions): Uint8Array {
  return encodeDvmrp(graftOf("graft", opts));
}

/**
 * Encodes a Graft Ack (Figure 7), the graft's fields echoed. mrouted drops an ack longer than
 * 16 bytes: echo a netmask only to a neighbor that sent one.
 */
export function encodeGraftAck(opts: GraftOptions): Uint8Array {
  return encodeDvmrp(graftOf("graft-ack", opts));
}

/**
 * Encodes any message as {@link decodeDvmrp} reads it, so that `decodeDvmrp(encodeDvmrp(m))`
 * gives `m` back (a report in one message; a probe without a generation ID as the header
 * alone). Throws RangeError for a field out of its range, or a probe whose header does not say
 * whether it carries a generation ID as it does.
 */
export function encodeDvmrp(m: DvmrpMessage): Uint8Array {
  switch (m.type) {
    case "probe":
      return withData(DVMRP_PROBE, m, probeData(m));
    case "report":
      return withData(DVMRP_REPORT, m, packRoutes(m.routes, Infinity)[0] ?? []);
    case "ask-neighbors2":
      return withData(DVMRP_ASK_NEIGHBORS2, m, []);
    case "neighbors2":
      return withData(DVMRP_NEIGHBORS2, m, neighbors2Data(m.vifs));
    case "prune":
      return withData(DVMRP_PRUNE, m, [
        ...sourceAndGroup(m),
        ...u32Bytes(m.lifetimeSeconds, "prune lifetime"),
        ...netmaskBytes(m.prefixLength),
      ]);
    case "graft":
    case "graft-ack":
      return withData(
        m.type === "graft" ? DVMRP_GRAFT : DVMRP_GRAFT_ACK,
        m,
        [...sourceAndGroup(m), ...netmaskBytes(m.prefixLength)],
      );
  }
}

/** The header fields of encoder options, with mrouted's values where unset. */
function headerOf(opts: DvmrpHeaderOptions): DvmrpHeader {
  return {
    capabilities: opts.capabilities ?? DVMRP_CAPABILITIES,
    minorVersion: opts.minorVersion ?? DVMRP_MINOR_VERSION,
    majorVersion: opts.majorVersion ?? DVMRP_MAJOR_VERSION,
  };
}

/** A Graft or Graft Ack from options. */
function graftOf(type: DvmrpGraft["type"], opts: GraftOptions): DvmrpGraft {
  const graft: DvmrpGraft = { type, ...headerOf(opts), source: opts.source, group: opts.group };
  return opts.prefixLength === undefined ? graft : { ...graft, prefixLength: opts.prefixLength };
}

/** The message of `code`: the header, `data`, and the checksum over both (section 3.1). */
function withData(code: number, header: DvmrpHeader, data: readonly number[]): Uint8Array {
  const out = new Uint8Array(DVMRP_HEADER_LEN + data.length);
  out[0] = IGMP_DVMRP;
  out[1] = code;
  out[5] = encodeCapabilities(header.capabilities);
  out[6] = checkU8(header.minorVersion, "minor version");
  out[7] = checkU8(header.majorVersion, "major version");
  out.set(data, DVMRP_HEADER_LEN);
  writeU16(out, 2, internetChecksum(out));
  return out;
}

/**
 * A probe's data: the generation ID and the neighbors, or nothing without a generation ID.
 * Throws RangeError unless the header says whether one follows as the probe does (the G flag or
 * version 3.3 and later), since a receiver reads the data by the header.
 */
function probeData(p: DvmrpProbe): number[] {
  if ((p.generationId !== undefined) !== probeHasGenerationId(p)) {
    throw new RangeError(
      `A probe ${p.generationId === undefined ? "without" : "with"} a generation ID from ` +
        `version ${p.majorVersion}.${p.minorVersion} ` +
        `${p.capabilities.generationId ? "with" : "without"} the G flag`,
    );
  }
  if (p.generationId === undefined) return [];
  const data = u32Bytes(p.generationId, "generation ID");
  for (const n of p.neighbors) data.push(...u32Bytes(n, "neighbor"));
  return data;
}

/**
 * The route data of `routes`, cut into parts of at most `max` bytes: runs of a netmask (its low
 * three bytes) and (source, metric) pairs, the last metric of every run with its high bit set.
 */
function packRoutes(routes: readonly DvmrpRoute[], max: number): number[][] {
  const parts: number[][] = [];
  let data: number[] = [];
  let run = -1; // the prefix length of the open run, -1 when none is open
  for (const r of routes) {
    checkRoute(r);
    const width = routeSourceWidth(r.prefixLength);
    const need = (r.prefixLength === run ? 0 : 3) + width + 1;
    if (data.length > 0 && data.length + need > max) {
      data[data.length - 1] |= 0x80;
      parts.push(data);
      data = [];
      run = -1;
    }
    if (r.prefixLength !== run) {
      if (run !== -1) data[data.length - 1] |= 0x80;
      const mask = ipv4Mask(r.prefixLength);
      data.push((mask >>> 16) & 0xff, (mask >>> 8) & 0xff, mask & 0xff);
      run = r.prefixLength;
    }
    for (let i = 0; i < width; i++) data.push((r.source >>> (24 - 8 * i)) & 0xff);
    data.push(r.metric);
  }
  if (data.length > 0) {
    data[data.length - 1] |= 0x80;
    parts.push(data);
  }
  return parts;
}

/** Throws RangeError for a route a report cannot carry (sections 3.4.2 to 3.4.4). */
function checkRoute(r: DvmrpRoute): void {
  const { source, prefixLength: len, metric } = r;
  checkU32(source, "route source");
  if (!Number.isInteger(len) || len > 32 || (len < 8 && len !== 0)) {
    throw new RangeError(`A report carries /0 and /8 to /32, not /${len}`);
  }
  if (((source & ~ipv4Mask(len)) >>> 0) !== 0) {
    throw new RangeError(`Route source ${formatIPv4(source)} has bits past /${len}`);
  }
  if (len === 8 && source === 0) {
    throw new RangeError("Route 0.0.0.0/8 cannot be reported: it reads as the default route");
  }
  if (!Number.isInteger(metric) || metric < 1 || metric >= 2 * DVMRP_INFINITY) {
    throw new RangeError(`Route metric outside 1-${2 * DVMRP_INFINITY - 1}: ${metric}`);
  }
}

/** A Neighbors2's data: an entry per interface, or per 255 neighbors of one. */
function neighbors2Data(vifs: readonly DvmrpNeighbors2Vif[]): number[] {
  const data: number[] = [];
  for (const v of vifs) {
    const head = [
      ...u32Bytes(v.localAddress, "local address"),
      checkU8(v.metric, "interface metric"),
      checkU8(v.threshold, "interface threshold"),
      encodeVifFlags(v.flags),
    ];
    let i = 0;
    do {
      const chunk = v.neighbors.slice(i, i + 255);
      data.push(...head, chunk.length);
      for (const n of chunk) data.push(...u32Bytes(n, "neighbor"));
      i += 255;
    } while (i < v.neighbors.length);
  }
  return data;
}

/** The source and group of a prune, graft or graft ack; the group must be multicast. */
function sourceAndGroup(m: { source: number; group: number }): number[] {
  if (!isIPv4Multicast(m.group)) {
    throw new RangeError(`Group is not multicast: ${formatIPv4(m.group)}`);
  }
  return [...u32Bytes(m.source, "source"), ...u32Bytes(m.group, "group")];
}

/** The 4 bytes of an optional Source Network Mask, or none. */
function netmaskBytes(prefixLength: number | undefined): number[] {
  if (prefixLength === undefined) return [];
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    throw new RangeError(`Netmask length outside 0-32: ${prefixLength}`);
  }
  return u32Bytes(ipv4Mask(prefixLength), "netmask");
}

/** The 4 big-endian bytes of a 32-bit field. */
function u32Bytes(v: number, what: string): number[] {
  const b = new Uint8Array(4);
  writeU32(b, 0, checkU32(v, what));
  return [...b];
}

/** `v`, or RangeError if it is not an integer in 0..255. */
function checkU8(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`Bad ${what}: ${v}`);
  return v;
}

/** `v`, or RangeError if it is not an integer in 0..2^32-1. */
function checkU32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`Bad ${what}: ${v}`);
  return v;
}
