/**
 * The OS port: everything the daemon asks of the kernel, at the level of "add a VIF" or
 * "install an MFC entry". One {@link FamilyPort} per address family (IGMP over IPv4, MLD over
 * IPv6) holds that family's multicast routing socket; {@link Sys} adds what both share:
 * interfaces, their changes, and the wait for whichever socket has something. `ffi/`
 * implements it with libc; tests use a fake.
 *
 * IPv4 addresses are unsigned 32-bit numbers (host order of the number, i.e. 10.0.0.1 is
 * 0x0a000001); IPv6 addresses are 128-bit bigints. Implementations throw `SysError` (see
 * `ffi/errno.ts` for the real one) when a call fails.
 *
 * @module
 */

import type { SourceFilter } from "../core/actions.ts";
import type { Address, PacketInput } from "../core/family.ts";

/** An IPv4 address assigned to an interface. */
export interface InterfaceAddress {
  /** The address, e.g. 10.1.0.1 as 0x0a010001. */
  address: number;
  /** Prefix length of the subnet. */
  prefixLength: number;
}

/** An interface as the kernel reports it. */
export interface SystemInterface {
  /** Name, e.g. `eth0`. */
  name: string;
  /** Kernel interface index. */
  index: number;
  /** IFF_UP is set (administratively up). */
  up: boolean;
  /**
   * IFF_RUNNING is set: up and operational (a carrier, for links that have one). Until then
   * the kernel drops what is sent on the link.
   */
  running: boolean;
  /** IFF_MULTICAST is set. */
  multicast: boolean;
  /** IFF_LOOPBACK is set. */
  loopback: boolean;
  /** IPv4 addresses, primary first. */
  ipv4: InterfaceAddress[];
  /** IPv6 addresses (16 bytes each, link-local ones included), in the order the kernel lists them. */
  ipv6: Interface6Address[];
}

/** An IPv6 address assigned to an interface. */
export interface Interface6Address {
  /** The address, 16 bytes in network order. */
  address: Uint8Array;
  /** Prefix length of the subnet. */
  prefixLength: number;
  /**
   * Duplicate address detection has not completed, or failed: the kernel refuses the address
   * as a source, so it cannot send MLD yet.
   */
  tentative?: boolean;
}

/** A VIF (IPv4) or MIF (IPv6) to add to the kernel's multicast routing table. */
export interface VifSpec<A extends Address = number> {
  /** VIF number, 0..MAXVIFS-1. */
  vifi: number;
  /** Interface index (the VIF is bound with VIFF_USE_IFINDEX). */
  ifindex: number;
  /** TTL threshold of the VIF (IPv4 only: the kernel keeps none per MIF). */
  threshold: number;
  /** Local address of the interface (informational on Linux; a tunnel's local end). */
  localAddress: A;
  /** A tunnel (VIFF_TUNNEL, IPv4 only) to this far end: `ifindex` is unused. */
  tunnel?: { remote: A };
}

/** An (S,G) entry of the multicast forwarding cache. */
export interface MfcSpec<A extends Address = number> {
  /** Source (origin) address. */
  source: A;
  /** Group address. */
  group: A;
  /** Incoming VIF. */
  parent: number;
  /** Outgoing VIFs with the TTL threshold each requires (IPv6 ignores the threshold). */
  oifs: ReadonlyArray<{ vifi: number; ttl: number }>;
}

/** Packet and byte counters of an MFC entry (SIOCGETSGCNT). */
export interface SgCount {
  /** Packets forwarded. */
  packets: number;
  /** Bytes forwarded. */
  bytes: number;
  /** Packets that arrived on a wrong interface. */
  wrongIf: number;
}

/** Packet and byte counters of a VIF or MIF (SIOCGETVIFCNT, SIOCGETMIFCNT_IN6). */
export interface VifCount {
  /** Multicast packets that arrived on it to be routed. */
  packetsIn: number;
  /** Packets forwarded out of it. */
  packetsOut: number;
  /** Bytes that arrived on it. */
  bytesIn: number;
  /** Bytes forwarded out of it. */
  bytesOut: number;
}

/** What {@link FamilyPort.joinGroup} did. */
export interface JoinOutcome {
  /**
   * "joined": a new membership; "updated": the source filter of a group joined there changed
   * in place; "unchanged": it was joined with this filter already.
   */
  change: "joined" | "updated" | "unchanged";
  /**
   * Set when an EXCLUDE filter names more sources than the kernel takes in one socket filter:
   * only the first `applied` of the `wanted` sources are excluded (more traffic is admitted than
   * asked, never less). Given once, when the group starts being capped; raising `sysctl` lifts
   * the cap.
   */
  capped?: { applied: number; wanted: number; sysctl: string };
}

/**
 * Something read from a family's multicast routing socket, in the words the proxy core takes it
 * in: a packet (IGMP: the whole IPv4 packet; MLD: the ICMPv6 message, with what the socket told
 * of its addresses, hop limit and Router Alert) or a kernel upcall (`struct igmpmsg`,
 * `struct mrt6msg`: data from a source no forwarding entry covers).
 */
export type Received<A extends Address = number> =
  | ({
    /** A protocol packet. */
    kind: "packet";
    /** Interface it arrived on (IP_PKTINFO, IPV6_PKTINFO), 0 if unknown. */
    ifindex: number;
  } & PacketInput<A>)
  | {
    /** A kernel upcall. */
    kind: "upcall";
    /** IGMPMSG_NOCACHE, MRT6MSG_NOCACHE, ... */
    msgtype: number;
    /** VIF (MIF) the data arrived on. */
    vif: number;
    /** Source of the data. */
    source: A;
    /** Group of the data. */
    group: A;
  };

/**
 * The kernel operations of one address family, with its addresses: the multicast routing
 * socket (IPv4: raw IGMP with MRT_*; IPv6: raw ICMPv6 with MRT6_*), its VIFs (MIFs) and
 * forwarding cache, IGMP (MLD) in and out, and host memberships. Nothing is opened until
 * {@link FamilyPort.init}; `Sys.close()` closes it, and `Sys.wait()` watches its socket once open.
 */
export interface FamilyPort<A extends Address> {
  /** Opens the routing socket and takes the kernel table (MRT_INIT, MRT6_INIT). */
  init(): void;
  /** Adds a VIF (MRT_ADD_VIF) or MIF (MRT6_ADD_MIF, which keeps no threshold). */
  addVif(vif: VifSpec<A>): void;
  /** Deletes a VIF (MRT_DEL_VIF) or MIF (MRT6_DEL_MIF). */
  delVif(vifi: number): void;
  /** Adds or updates a forwarding entry (MRT_ADD_MFC, MRT6_ADD_MFC). */
  addMfc(mfc: MfcSpec<A>): void;
  /** Deletes a forwarding entry (MRT_DEL_MFC, MRT6_DEL_MFC). */
  delMfc(source: A, group: A): void;
  /** Reads a forwarding entry's counters (SIOCGETSGCNT, SIOCGETSGCNT_IN6). */
  sgCount(source: A, group: A): SgCount;
  /** Reads a VIF's or MIF's counters (SIOCGETVIFCNT, SIOCGETMIFCNT_IN6). */
  vifCount(vifi: number): VifCount;
  /**
   * Joins a group as a host on an interface: upstream memberships, and downstream the groups
   * that make Leaves and v3 reports (Dones and MLDv2 reports) reach the routing socket:
   * 224.0.0.2 and 224.0.0.22 (ff02::2 and ff02::16). With a source filter (none: any source)
   * the kernel reports the sources upstream (IGMPv3, MLDv2); joining a group joined already
   * changes its filter in place, never leaving it in between.
   */
  joinGroup(group: A, ifindex: number, filter?: SourceFilter<A>): JoinOutcome;
  /** Leaves a group joined with `joinGroup`, whatever its filter. */
  leaveGroup(group: A, ifindex: number): void;
  /**
   * Sends an IGMP message (no IP header) or an MLD message out of an interface, with TTL (hop
   * limit) 1 and Router Alert, from `source` (MLD: the link-local address; the unspecified
   * address lets the kernel choose).
   */
  send(opts: { ifindex: number; source: A; destination: A; message: Uint8Array }): void;
  /** Returns the next pending message, or `undefined` when there is none (never blocks). */
  receive(): Received<A> | undefined;
}

/** The operations the runtime needs from the OS: a port per family, and what they share. */
export interface Sys {
  /** IGMP over IPv4. */
  readonly ipv4: FamilyPort<number>;
  /** MLD over IPv6. */
  readonly ipv6: FamilyPort<bigint>;
  /** Lists interfaces with their IPv4 and IPv6 addresses. */
  interfaces(): SystemInterface[];
  /** Releases the kernel tables (MRT_DONE, MRT6_DONE) and closes every socket. Never throws. */
  close(): void;
  /**
   * Starts watching for changes of interfaces (links appearing, vanishing, going up or down,
   * addresses added or removed): from then on `wait()` also returns when one happens, and
   * {@link interfacesChanged} tells. Call it after a port's `init()`; `close()` ends the watch.
   */
  watchInterfaces(): void;
  /**
   * Whether interfaces may have changed since the last call (never blocks). It consumes the
   * notifications, so call it after every `wait()` while watching. It says nothing about what
   * changed: `interfaces()` does. On an error the watch ends and the error is thrown.
   */
  interfacesChanged(): boolean;
  /**
   * Waits until a routing socket (IPv4 or IPv6) is readable, `wake()` is called, or
   * `timeoutMs` passes; returns at once when neither routing socket is open.
   */
  wait(timeoutMs: number): Promise<void>;
  /** Makes a pending `wait()` return (safe to call from a signal handler). */
  wake(): void;
}
