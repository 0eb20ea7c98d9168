/**
 * Socket structs for Linux x86_64/aarch64 (LP64): addresses (`sockaddr_in`, `sockaddr_in6`),
 * group requests (`ip_mreqn`, `ipv6_mreq`, and RFC 3678's `group_req`, `group_source_req`,
 * `group_filter` for both families), and the address helpers the other layouts share. What
 * `sendmsg`/`recvmsg` carry (`msghdr`, `iovec`, cmsgs) is in `msghdr.ts`. Pure: no FFI here, so
 * the layouts are unit-tested without `--allow-ffi`; `layout_c_test.ts` compares every size and
 * offset with the C headers.
 *
 * Addresses inside kernel structs (`struct in_addr`, `struct in6_addr`) are in network byte
 * order; every other integer is host order (little-endian on the platforms we run on). IPv6
 * addresses are 16-byte `Uint8Array`s, as `src/proto/addr.ts` parses them.
 *
 * @module
 */

import { AF_INET, AF_INET6, MCAST_EXCLUDE, MCAST_INCLUDE } from "./linux_constants.ts";

/** Every kernel struct integer but an address is host order: little-endian here. */
export const LITTLE_ENDIAN = true;

/** sizeof(struct timeval): {tv_sec, tv_usec}, two 64-bit integers (SO_RCVTIMEO). */
export const SIZEOF_TIMEVAL = 16;

/** sizeof(struct in6_addr). */
export const SIZEOF_IN6_ADDR = 16;

/** sizeof(struct sockaddr_in). */
export const SIZEOF_SOCKADDR_IN = 16;
/** `struct sockaddr_in` offsets (`<netinet/in.h>`). */
export const SOCKADDR_IN = Object.freeze({ sin_family: 0, sin_port: 2, sin_addr: 4 });

/** sizeof(struct sockaddr_in6). */
export const SIZEOF_SOCKADDR_IN6 = 28;
/** `struct sockaddr_in6` offsets (`<netinet/in.h>`). */
export const SOCKADDR_IN6 = Object.freeze({
  sin6_family: 0,
  sin6_port: 2,
  sin6_flowinfo: 4,
  sin6_addr: 8,
  sin6_scope_id: 24,
});

/** sizeof(struct ip_mreqn). */
export const SIZEOF_IP_MREQN = 12;
/** `struct ip_mreqn` offsets (`<netinet/in.h>`). */
export const IP_MREQN = Object.freeze({ imr_multiaddr: 0, imr_address: 4, imr_ifindex: 8 });

/** sizeof(struct ipv6_mreq). */
export const SIZEOF_IPV6_MREQ = 20;
/** `struct ipv6_mreq` offsets (`<netinet/in.h>`). */
export const IPV6_MREQ = Object.freeze({ ipv6mr_multiaddr: 0, ipv6mr_interface: 16 });

/** sizeof(struct sockaddr_storage): room for any sockaddr, 8-byte aligned. */
export const SIZEOF_SOCKADDR_STORAGE = 128;

/** sizeof(struct group_req). */
export const SIZEOF_GROUP_REQ = 136;
/** `struct group_req` offsets (`<netinet/in.h>`, RFC 3678 §5.1). */
export const GROUP_REQ = Object.freeze({ gr_interface: 0, gr_group: 8 });

/** sizeof(struct group_source_req). */
export const SIZEOF_GROUP_SOURCE_REQ = 264;
/** `struct group_source_req` offsets (`<netinet/in.h>`, RFC 3678 §5.1). */
export const GROUP_SOURCE_REQ = Object.freeze({
  gsr_interface: 0,
  gsr_group: 8,
  gsr_source: 136,
});

/** sizeof(struct group_filter): the header and room for one source. */
export const SIZEOF_GROUP_FILTER = 272;
/** `struct group_filter` offsets (`<netinet/in.h>`, RFC 3678 §5.2); `gf_slist` is an array. */
export const GROUP_FILTER = Object.freeze({
  gf_interface: 0,
  gf_group: 8,
  gf_fmode: 136,
  gf_numsrc: 140,
  gf_slist: 144,
});

/** GROUP_FILTER_SIZE(n): the bytes of a `group_filter` with `n` sources (the exact optlen). */
export function groupFilterSize(n: number): number {
  return GROUP_FILTER.gf_slist + n * SIZEOF_SOCKADDR_STORAGE;
}

/** Writes an IPv4 address (number) in network byte order at `offset`. */
export function putInAddr(view: DataView, offset: number, address: number): void {
  view.setUint32(offset, address >>> 0, false);
}

/** Reads an IPv4 address (network byte order) at `offset` as a number. */
export function getInAddr(view: DataView, offset: number): number {
  return view.getUint32(offset, false);
}

/** Checks that `address` is a 16-byte IPv6 address (network order); RangeError otherwise. */
export function checkIn6Addr(address: Uint8Array, what: string): void {
  if (address.byteLength !== SIZEOF_IN6_ADDR) {
    throw new RangeError(`${what} must be 16 bytes, got ${address.byteLength}`);
  }
}

/** `struct sockaddr_in` {family u16 @0, port u16 (network order) @2, addr @4}. */
export function encodeSockaddrIn(out: Uint8Array, address: number, port = 0): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_SOCKADDR_IN);
  out.fill(0, 0, SIZEOF_SOCKADDR_IN);
  v.setUint16(SOCKADDR_IN.sin_family, AF_INET, LITTLE_ENDIAN);
  v.setUint16(SOCKADDR_IN.sin_port, port, false);
  putInAddr(v, SOCKADDR_IN.sin_addr, address);
  return out.subarray(0, SIZEOF_SOCKADDR_IN);
}

/**
 * Writes `struct sockaddr_in6` {sin6_family u16 @0, sin6_port @2, sin6_flowinfo @4,
 * sin6_addr @8, sin6_scope_id u32 @24} at `offset` of `view`, port and flow info 0 (the
 * sockaddrs inside `mf6cctl` and `sioc_sg_req6` too).
 */
export function putSockaddrIn6(
  view: DataView,
  offset: number,
  sockaddr: { address: Uint8Array; scopeId: number },
): void {
  view.setUint16(offset + SOCKADDR_IN6.sin6_family, AF_INET6, LITTLE_ENDIAN);
  view.setUint16(offset + SOCKADDR_IN6.sin6_port, 0, false);
  view.setUint32(offset + SOCKADDR_IN6.sin6_flowinfo, 0, false);
  const at = view.byteOffset + offset + SOCKADDR_IN6.sin6_addr;
  new Uint8Array(view.buffer, at, SIZEOF_IN6_ADDR).set(sockaddr.address);
  view.setUint32(offset + SOCKADDR_IN6.sin6_scope_id, sockaddr.scopeId >>> 0, LITTLE_ENDIAN);
}

/**
 * `struct sockaddr_in6` {family u16 = AF_INET6 @0, port @2 = 0, flowinfo @4 = 0, addr @8,
 * scope_id u32 @24}. Give `scopeId` (the interface index) for link-local destinations; a raw
 * ICMPv6 socket needs port 0.
 */
export function encodeSockaddrIn6(out: Uint8Array, address: Uint8Array, scopeId = 0): Uint8Array {
  checkIn6Addr(address, "address");
  out.fill(0, 0, SIZEOF_SOCKADDR_IN6);
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_SOCKADDR_IN6);
  putSockaddrIn6(v, 0, { address, scopeId });
  return out.subarray(0, SIZEOF_SOCKADDR_IN6);
}

/** `struct ip_mreqn` {imr_multiaddr @0, imr_address @4, imr_ifindex i32 @8}. */
export function encodeIpMreqn(
  out: Uint8Array,
  req: { group: number; address: number; ifindex: number },
): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_IP_MREQN);
  putInAddr(v, IP_MREQN.imr_multiaddr, req.group);
  putInAddr(v, IP_MREQN.imr_address, req.address);
  v.setInt32(IP_MREQN.imr_ifindex, req.ifindex, LITTLE_ENDIAN);
  return out.subarray(0, SIZEOF_IP_MREQN);
}

/** `struct ipv6_mreq` {ipv6mr_multiaddr @0, ipv6mr_interface i32 @16}. */
export function encodeIpv6Mreq(
  out: Uint8Array,
  req: { group: Uint8Array; ifindex: number },
): Uint8Array {
  checkIn6Addr(req.group, "group");
  out.set(req.group, IPV6_MREQ.ipv6mr_multiaddr);
  new DataView(out.buffer, out.byteOffset, SIZEOF_IPV6_MREQ).setInt32(
    IPV6_MREQ.ipv6mr_interface,
    req.ifindex,
    LITTLE_ENDIAN,
  );
  return out.subarray(0, SIZEOF_IPV6_MREQ);
}

/**
 * A multicast address for the protocol-independent requests: an IPv4 number (a `sockaddr_in`)
 * or 16 bytes of IPv6 address in network order (a `sockaddr_in6`).
 */
export type McastAddress = number | Uint8Array;

/** Writes `address` as a `sockaddr_in` or `sockaddr_in6` at `offset` (the rest stays zero). */
function putSockaddr(view: DataView, offset: number, address: McastAddress): void {
  if (typeof address === "number") {
    view.setUint16(offset + SOCKADDR_IN.sin_family, AF_INET, LITTLE_ENDIAN);
    putInAddr(view, offset + SOCKADDR_IN.sin_addr, address);
  } else {
    checkIn6Addr(address, "address");
    putSockaddrIn6(view, offset, { address, scopeId: 0 });
  }
}

/**
 * `struct group_req` {gr_interface u32 @0, gr_group sockaddr_storage @8}: MCAST_JOIN_GROUP,
 * MCAST_LEAVE_GROUP. `out` holds at least {@link SIZEOF_GROUP_REQ} bytes.
 */
export function encodeGroupReq(
  out: Uint8Array,
  req: { ifindex: number; group: McastAddress },
): Uint8Array {
  out.fill(0, 0, SIZEOF_GROUP_REQ);
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_GROUP_REQ);
  v.setUint32(GROUP_REQ.gr_interface, req.ifindex, LITTLE_ENDIAN);
  putSockaddr(v, GROUP_REQ.gr_group, req.group);
  return out.subarray(0, SIZEOF_GROUP_REQ);
}

/**
 * `struct group_source_req` {gsr_interface u32 @0, gsr_group @8, gsr_source @136}:
 * MCAST_JOIN_SOURCE_GROUP. `out` holds at least {@link SIZEOF_GROUP_SOURCE_REQ} bytes.
 */
export function encodeGroupSourceReq(
  out: Uint8Array,
  req: { ifindex: number; group: McastAddress; source: McastAddress },
): Uint8Array {
  out.fill(0, 0, SIZEOF_GROUP_SOURCE_REQ);
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_GROUP_SOURCE_REQ);
  v.setUint32(GROUP_SOURCE_REQ.gsr_interface, req.ifindex, LITTLE_ENDIAN);
  putSockaddr(v, GROUP_SOURCE_REQ.gsr_group, req.group);
  putSockaddr(v, GROUP_SOURCE_REQ.gsr_source, req.source);
  return out.subarray(0, SIZEOF_GROUP_SOURCE_REQ);
}

/**
 * `struct group_filter` {gf_interface u32 @0, gf_group @8, gf_fmode u32 @136, gf_numsrc u32
 * @140, gf_slist[] @144 (one sockaddr_storage each)}: MCAST_MSFILTER. Writes into `out` when it
 * holds {@link groupFilterSize}(sources) bytes, else into a new buffer of that size; returns
 * exactly those bytes, the optlen the kernel checks.
 */
export function encodeGroupFilter(
  req: {
    ifindex: number;
    group: McastAddress;
    mode: "include" | "exclude";
    sources: readonly McastAddress[];
  },
  out?: Uint8Array,
): Uint8Array {
  const size = groupFilterSize(req.sources.length);
  const buf = out !== undefined && out.byteLength >= size
    ? out.fill(0, 0, size)
    : new Uint8Array(size);
  const v = new DataView(buf.buffer, buf.byteOffset, size);
  v.setUint32(GROUP_FILTER.gf_interface, req.ifindex, LITTLE_ENDIAN);
  putSockaddr(v, GROUP_FILTER.gf_group, req.group);
  const mode = req.mode === "include" ? MCAST_INCLUDE : MCAST_EXCLUDE;
  v.setUint32(GROUP_FILTER.gf_fmode, mode, LITTLE_ENDIAN);
  v.setUint32(GROUP_FILTER.gf_numsrc, req.sources.length, LITTLE_ENDIAN);
  req.sources.forEach((s, i) => putSockaddr(v, groupFilterSize(i), s));
  return buf.subarray(0, size);
}
