/**
 * What differs between IGMP over IPv4 and MLD over IPv6, as seen by the proxy core: how
 * addresses print and compare with prefixes, which groups are local to a link, how a received
 * packet reads, and how a query is written. The core is one engine over a {@link Family}, so
 * that both protocols share membership, querier election, forwarding and timers.
 *
 * @module
 */

import type { Result } from "../proto/result.ts";
import type { Address, Subnet } from "./subnet.ts";

export type { Address, Subnet } from "./subnet.ts";

/** A received message, in the words both protocols share. */
export type ProtocolMessage<A extends Address> =
  | {
    /** A Membership (Listener) Query. */
    kind: "query";
    /** Protocol version of the query: IGMP 1–3, MLD 1–2. */
    version: 1 | 2 | 3;
    /** From a router of a version without querier election (IGMPv1): worth a warning. */
    legacy: boolean;
    /** The group queried; the unspecified address for a general query. */
    group: A;
    /** Max Response Time in ms. */
    maxRespTimeMs: number;
    /** The S flag of IGMPv3 / MLDv2 queries. */
    suppressRouterSide: boolean;
    /** The number of sources of a source-specific query. */
    sourceCount: number;
  }
  | {
    /** A report of the IGMPv1/v2 or MLDv1 kind: one group, no sources. */
    kind: "report";
    /** The group reported. */
    group: A;
    /** From an older-version host (IGMPv1): its Leaves are not to be waited for. */
    older: boolean;
  }
  | {
    /** An IGMPv2 Leave or MLDv1 Done. */
    kind: "leave";
    /** The group left. */
    group: A;
  }
  | {
    /** An IGMPv3 / MLDv2 report: records of known types, in wire order. */
    kind: "records";
    /** The records. */
    records: { recordType: number; group: A; sourceCount: number }[];
  };

/** A decoded packet: who sent it and what it says. */
export interface ProtocolPacket<A extends Address> {
  /** The sender's address. */
  source: A;
  /** The message. */
  message: ProtocolMessage<A>;
  /** The message's name in its protocol, for logs: `v2-report`, `leave`, `done`, ... */
  label: string;
}

/**
 * A received packet as the runtime hands it over. For IGMP the bytes are the whole IPv4 packet;
 * for MLD they are the ICMPv6 message, and the socket tells the rest.
 */
export interface PacketInput<A extends Address> {
  /** The bytes read. */
  data: Uint8Array;
  /** Number of valid bytes in `data`. */
  length: number;
  /** The sender (MLD: from `msg_name`). */
  source?: A;
  /** The destination (MLD: IPV6_PKTINFO), when known. */
  destination?: A;
  /** The hop limit it arrived with (MLD: IPV6_HOPLIMIT), when known. */
  hopLimit?: number;
  /** Whether it carried Router Alert (MLD: the hop-by-hop header), when known. */
  routerAlert?: boolean;
}

/** The protocol-specific half of the core. */
export interface Family<A extends Address> {
  /** "IGMP" or "MLD", for logs. */
  readonly protocol: string;
  /** What the kernel calls its virtual interfaces, for logs: "VIF" (IPv4) or "MIF" (IPv6). */
  readonly vifWord: string;
  /** Whether the kernel keeps a TTL threshold per virtual interface (IPv4 only). */
  readonly thresholds: boolean;
  /** The unspecified address (0.0.0.0, ::): queries from it never win an election. */
  readonly unspecified: A;
  /** Where general queries go (224.0.0.1, ff02::1). */
  readonly allHosts: A;
  /**
   * Groups every downstream interface listens on, so that Leaves and version-3 reports reach
   * the routing socket (224.0.0.2 and 224.0.0.22; ff02::2 and ff02::16).
   */
  readonly listenGroups: readonly A[];
  /** The address as text. */
  format(address: A): string;
  /** Whether a group is local to a link: never proxied upstream nor routed. */
  isLocalGroup(group: A): boolean;
  /** Whether `address` lies in one of `subnets`. */
  inAnySubnet(address: A, subnets: ReadonlyArray<Subnet<A>>): boolean;
  /** A prefix as `address/length`. */
  formatSubnet(subnet: Subnet<A>): string;
  /** Decodes and validates a received packet; never throws. */
  decode(input: PacketInput<A>): Result<ProtocolPacket<A>>;
  /** The query message to send: `group` unspecified for a general query. */
  encodeQuery(group: A, maxRespTimeMs: number): Uint8Array;
}
