/**
 * The OS port: everything the daemon asks of the kernel, at the level of "add a VIF" or
 * "install an MFC entry". `ffi/` implements it with libc; tests use a fake.
 *
 * IPv4 addresses are unsigned 32-bit numbers (host order of the number, i.e. 10.0.0.1 is
 * 0x0a000001); IPv6 addresses (the {@link Sys6} half) are 128-bit bigints. Implementations throw
 * `SysError` (see `ffi/errno.ts` for the real one) when a call fails.
 *
 * @module
 */

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
export interface VifSpec<A extends number | bigint = number> {
  /** VIF number, 0..MAXVIFS-1. */
  vifi: number;
  /** Interface index (the VIF is bound with VIFF_USE_IFINDEX). */
  ifindex: number;
  /** TTL threshold of the VIF (IPv4 only: the kernel keeps none per MIF). */
  threshold: number;
  /** Local address of the interface (informational on Linux). */
  localAddress: A;
}

/** An (S,G) entry of the multicast forwarding cache. */
export interface MfcSpec<A extends number | bigint = number> {
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

/** Something read from the multicast routing socket. */
export type Received =
  | {
    /** An IGMP packet, IP header included. */
    kind: "packet";
    /** Interface it arrived on (IP_PKTINFO), 0 if unknown. */
    ifindex: number;
    /** The bytes; valid until the next `receive()` call. */
    data: Uint8Array;
    /** Number of valid bytes in `data`. */
    length: number;
  }
  | {
    /** A kernel upcall (struct igmpmsg). */
    kind: "upcall";
    /** IGMPMSG_NOCACHE, IGMPMSG_WRONGVIF, ... */
    msgtype: number;
    /** VIF the data arrived on. */
    vif: number;
    /** Source of the data. */
    source: number;
    /** Group of the data. */
    group: number;
  };

/**
 * Something read from the IPv6 multicast routing socket; addresses as bigints (the default) or,
 * in the FFI layer, as 16 bytes in network order.
 */
export type Received6<A extends bigint | Uint8Array = bigint> =
  | {
    /** An MLD message: the ICMPv6 message, without IPv6 header (the kernel checked its checksum). */
    kind: "packet";
    /** Interface it arrived on (IPV6_PKTINFO), 0 if unknown. */
    ifindex: number;
    /** The sender's address. */
    source: A;
    /** The destination address (IPV6_PKTINFO). */
    destination: A;
    /** The hop limit it arrived with, when the kernel told. */
    hopLimit: number | undefined;
    /** Whether its hop-by-hop header carried Router Alert. */
    routerAlert: boolean;
    /** The bytes; valid until the next `receive()` call. */
    data: Uint8Array;
    /** Number of valid bytes in `data`. */
    length: number;
  }
  | {
    /** A kernel upcall (struct mrt6msg). */
    kind: "upcall";
    /** MRT6MSG_NOCACHE, ... */
    msgtype: number;
    /** MIF the data arrived on. */
    mif: number;
    /** Source of the data. */
    source: A;
    /** Group of the data. */
    group: A;
  };

/**
 * The IPv6 half of the OS port: the MRT6 socket, its MIFs and cache, MLD in and out, and
 * upstream IPv6 memberships. Nothing is opened until {@link Sys6.mrtInit}; `Sys.close()` closes
 * it too, and `Sys.wait()` watches its socket once open.
 */
export interface Sys6 {
  /** Opens the IPv6 multicast routing socket and takes the kernel table (MRT6_INIT). */
  mrtInit(): void;
  /** Adds a MIF (MRT6_ADD_MIF). */
  addMif(mif: VifSpec<bigint>): void;
  /** Deletes a MIF (MRT6_DEL_MIF). */
  delMif(mifi: number): void;
  /** Adds or updates an MFC entry (MRT6_ADD_MFC). */
  addMfc(mfc: MfcSpec<bigint>): void;
  /** Deletes an MFC entry (MRT6_DEL_MFC). */
  delMfc(source: bigint, group: bigint): void;
  /** Reads an MFC entry's counters (SIOCGETSGCNT_IN6). */
  sgCount(source: bigint, group: bigint): SgCount;
  /** Reads a MIF's counters (SIOCGETMIFCNT_IN6). */
  mifCount(mifi: number): VifCount;
  /** Joins a group as a host on an interface (upstream; ff02::2 and ff02::16 downstream). */
  joinGroup(group: bigint, ifindex: number): void;
  /** Leaves a group joined with `joinGroup`. */
  leaveGroup(group: bigint, ifindex: number): void;
  /** Sends an MLD message with hop limit 1 and Router Alert from `source` (link-local). */
  sendMld(
    opts: { ifindex: number; source: bigint; destination: bigint; message: Uint8Array },
  ): void;
  /** Returns the next pending message, or `undefined` when there is none (never blocks). */
  receive(): Received6 | undefined;
}

/** The operations the runtime needs from the OS. */
export interface Sys {
  /** The IPv6 half. */
  readonly ipv6: Sys6;
  /** Lists interfaces with their IPv4 and IPv6 addresses. */
  interfaces(): SystemInterface[];
  /** Opens the multicast routing socket and takes the kernel table (MRT_INIT). */
  mrtInit(): void;
  /** Releases the kernel tables (MRT_DONE, MRT6_DONE) and closes every socket. Never throws. */
  close(): void;
  /** Adds a VIF (MRT_ADD_VIF). */
  addVif(vif: VifSpec): void;
  /** Deletes a VIF (MRT_DEL_VIF). */
  delVif(vifi: number): void;
  /** Adds or updates an MFC entry (MRT_ADD_MFC). */
  addMfc(mfc: MfcSpec): void;
  /** Deletes an MFC entry (MRT_DEL_MFC). */
  delMfc(source: number, group: number): void;
  /** Reads an MFC entry's counters (SIOCGETSGCNT). */
  sgCount(source: number, group: number): SgCount;
  /** Reads a VIF's counters (SIOCGETVIFCNT). */
  vifCount(vifi: number): VifCount;
  /**
   * Joins a group as a host on an interface: upstream memberships, and 224.0.0.2 / 224.0.0.22
   * downstream so that Leaves and IGMPv3 reports reach the routing socket.
   */
  joinGroup(group: number, ifindex: number): void;
  /** Leaves a group joined with `joinGroup`. */
  leaveGroup(group: number, ifindex: number): void;
  /** Sends an IGMP message (no IP header) with TTL 1 and Router Alert out of an interface. */
  sendIgmp(opts: { ifindex: number; source: number; destination: number; igmp: Uint8Array }): void;
  /** Returns the next pending message, or `undefined` when there is none (never blocks). */
  receive(): Received | undefined;
  /**
   * Starts watching for changes of interfaces (links appearing, vanishing, going up or down,
   * addresses added or removed): from then on `wait()` also returns when one happens, and
   * {@link interfacesChanged} tells. Call it after `mrtInit()`; `close()` ends the watch.
   */
  watchInterfaces(): void;
  /**
   * Whether interfaces may have changed since the last call (never blocks). It consumes the
   * notifications, so call it after every `wait()` while watching. It says nothing about what
   * changed: `interfaces()` does. On an error the watch ends and the error is thrown.
   */
  interfacesChanged(): boolean;
  /**
   * Waits until a socket (IPv4 or IPv6) is readable, `wake()` is called, or `timeoutMs` passes;
   * returns at once when neither routing socket is open.
   */
  wait(timeoutMs: number): Promise<void>;
  /** Makes a pending `wait()` return (safe to call from a signal handler). */
  wake(): void;
}
