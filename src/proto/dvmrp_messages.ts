/**
 * DVMRP's wire vocabulary (draft-ietf-idmr-dvmrp-v3-11): the IGMP type and the codes of its
 * messages, the header's capability and the interface flag bits, the sizes and metric limits,
 * the messages as decoded, and DVMRP's drop reasons. The decoder is in dvmrp.ts, the encoders
 * in dvmrp_encode.ts.
 *
 * @module
 */

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
