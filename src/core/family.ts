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
    /** The sources of a group-and-source-specific query, in wire order; empty otherwise. */
    sources: A[];
    /**
     * The Querier's Robustness Variable of an IGMPv3 / MLDv2 query, 1 to 7; 0 when the query
     * has none (older versions) or says 0 (a robustness above 7, RFC 3376 section 4.1.6).
     */
    qrv: number;
    /**
     * The Querier's Query Interval of an IGMPv3 / MLDv2 query in ms, decoded from QQIC (RFC
     * 3376 section 4.1.7, RFC 3810 section 5.1.9); 0 when the query has none or says 0.
     */
    qqicMs: number;
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
    records: ProtocolRecord<A>[];
  };

/** One group record of an IGMPv3 / MLDv2 report. */
export interface ProtocolRecord<A extends Address> {
  /** MODE_IS_INCLUDE (1) .. BLOCK_OLD_SOURCES (6); the same numbers in both protocols. */
  recordType: number;
  /** The group. */
  group: A;
  /** The record's sources, in wire order. */
  sources: A[];
}

/**
 * A query to send. `version` is in the family's own numbering (IGMP 1, 2 or 3, MLD 1 or 2); the
 * fields after `maxRespTimeMs` matter only to the latest version (IGMPv3, MLDv2), whose
 * queries carry them. IGMPv1 queries carry no Max Response Time and are general only.
 */
export interface QuerySpec<A extends Address> {
  /** The version to write: IGMP 1 | 2 | 3, MLD 1 | 2. */
  version: number;
  /** The group queried; the unspecified address for a general query. */
  group: A;
  /** Max Response Time in ms (floating-point code in IGMPv3 / MLDv2). */
  maxRespTimeMs: number;
  /** The S flag, suppress router-side processing (RFC 3376 section 4.1.5). Default false. */
  suppressRouterSide?: boolean;
  /** The sources of a group-and-source-specific query. Default none. */
  sources?: readonly A[];
  /** The Robustness Variable, sent as QRV (0 when above 7). Default 2. */
  robustness?: number;
  /** The Query Interval in ms, sent as QQIC in whole seconds. Default 125 s. */
  queryIntervalMs?: number;
}

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
  /** The address family as status views and metrics label it: "ipv4" or "ipv6". */
  readonly name: "ipv4" | "ipv6";
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
  /**
   * Whether a report's sender must be on the LAN's subnets (IGMP, RFC 3376 section 9.2; 0.0.0.0
   * aside). MLD's senders are link-local, which the decoder checks instead.
   */
  readonly reportsFromSubnet: boolean;
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
  /** The newest protocol version, the default querier version: IGMP 3, MLD 2. */
  readonly latestVersion: number;
  /**
   * The versions a LAN may be run as querier with, oldest first (IGMP 1 to 3, MLD 1 and 2):
   * what `encodeQuery` writes.
   */
  readonly queryVersions: readonly number[];
  /**
   * Whether a querier of `version` has group-specific queries: every version but IGMPv1 (RFC
   * 1112), whose only query is the general one.
   */
  groupQueries(version: number): boolean;
  /**
   * The Max Response Time hosts use for a query of `version` that carries none, in ms: 10 s for
   * IGMPv1 (RFC 2236 section 4, RFC 3376 section 7.2.1), whatever the Query Response Interval;
   * `undefined` for versions whose queries carry it.
   */
  hostResponseTimeMs(version: number): number | undefined;
  /** The version as its protocol names it: "IGMPv3", "MLDv1". */
  versionName(version: number): string;
  /**
   * The default source-specific multicast ranges (RFC 4607 section 1): 232.0.0.0/8; ff3x::/96,
   * as the 16 prefixes ff30::/96 .. ff3f::/96 (one per scope).
   */
  readonly ssmRanges: readonly Subnet<A>[];
  /**
   * The query message to send, in the version `spec` names (one of {@link queryVersions}).
   * Throws RangeError for another version (a programming error).
   */
  encodeQuery(spec: QuerySpec<A>): Uint8Array;
}
