/**
 * What the proxy core asks the runtime to do, as data. The runtime executes these through the
 * OS port (`Sys`), in order.
 *
 * @module
 */

import type { Address } from "./subnet.ts";

/** Log levels the core may emit (fatal belongs to `main.ts`). */
export type LogLevel = "warn" | "info" | "debug";

/** One outgoing VIF of an MFC entry with its TTL threshold. */
export interface Oif {
  /** VIF number. */
  vifi: number;
  /** TTL threshold. */
  ttl: number;
}

/**
 * A source filter (RFC 3376 §2, RFC 3810 §2 / RFC 4604): INCLUDE admits only `sources`,
 * EXCLUDE admits every source but them. EXCLUDE {} is "any source"; the core never asks for
 * INCLUDE {} (it leaves instead).
 */
export interface SourceFilter<A> {
  /** The filter mode. */
  mode: "include" | "exclude";
  /** The sources it names, without duplicates. */
  sources: readonly A[];
}

/** Whether a filter admits any source: EXCLUDE {}. */
export function isAnySource<A>(f: SourceFilter<A>): boolean {
  return f.mode === "exclude" && f.sources.length === 0;
}

/** An action for the runtime; addresses are IPv4 numbers (the default) or IPv6 bigints. */
export type Action<A extends Address = number> =
  | {
    kind: "addVif";
    vifi: number;
    ifindex: number;
    name: string;
    threshold: number;
    localAddress: A;
    /**
     * A tunnel (VIFF_TUNNEL, IPv4 only): multicast to and from `remote` travels in IP-in-IP
     * between `localAddress` and it; `ifindex` is unused (0).
     */
    tunnel?: { remote: A };
  }
  | { kind: "delVif"; vifi: number; name: string }
  | { kind: "addMfc"; source: A; group: A; parent: number; oifs: Oif[] }
  | { kind: "delMfc"; source: A; group: A }
  /**
   * Join a group as a host on an interface, with a source filter (none: any source); a join of
   * a group already joined there changes its filter in place (no leave and join).
   */
  | { kind: "join"; group: A; ifindex: number; name: string; filter?: SourceFilter<A> }
  | { kind: "leave"; group: A; ifindex: number; name: string }
  /** Send a query (IGMP or MLD, as the family encoded it) out of a LAN. */
  | {
    kind: "sendQuery";
    ifindex: number;
    name: string;
    source: A;
    destination: A;
    /** The IGMP message (IPv4) or ICMPv6 MLD message (IPv6), without the IP header. */
    message: Uint8Array;
    /** What is sent, for logs: "general query", "group-specific query for 239.1.1.1". */
    what: string;
  }
  /**
   * Read the packet counts of these entries (SIOCGETSGCNT) and feed them back at once as an
   * `mfc-counters` event.
   */
  | { kind: "sampleMfc"; entries: { source: A; group: A }[] }
  /**
   * Send a DVMRP message (IGMP type 0x13, without the IP header; the routing mode): to
   * All-DVMRP-Routers out of one interface, or unicast to a neighbor or a tunnel's far end.
   */
  | {
    kind: "sendDvmrp";
    ifindex: number;
    name: string;
    source: A;
    destination: A;
    message: Uint8Array;
    /** What is sent, for logs: "probe", "report (12 routes) to 10.100.1.2". */
    what: string;
  }
  | { kind: "log"; level: LogLevel; message: string };
