/**
 * Socket structs for Linux x86_64/aarch64 (LP64): addresses (`sockaddr_in`, `sockaddr_in6`),
 * group requests (`ip_mreqn`, `ipv6_mreq`, and RFC 3678's `group_req`, `group_source_req`,
 * `group_filter` for both families), and what `sendmsg`/`recvmsg` carry (`msghdr`,
 * `iovec`, `cmsghdr` with `in_pktinfo`, `in6_pktinfo`, the hop limit and the hop-by-hop header).
 * Pure: no FFI here, so the layouts are unit-tested without `--allow-ffi`; `layout_c_test.ts`
 * compares every size and offset with the C headers.
 *
 * Addresses inside kernel structs (`struct in_addr`, `struct in6_addr`) are in network byte
 * order; every other integer is host order (little-endian on the platforms we run on). IPv6
 * addresses are 16-byte `Uint8Array`s, as `src/proto/addr.ts` parses them.
 *
 * @module
 */

import { hasMldRouterAlert } from "../src/proto/mld_packet.ts";
import {
  AF_INET,
  AF_INET6,
  IP_PKTINFO,
  IP_RETOPTS,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HOPLIMIT,
  IPV6_HOPOPTS,
  IPV6_PKTINFO,
  MCAST_EXCLUDE,
  MCAST_INCLUDE,
} from "./linux_constants.ts";

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

/** sizeof(struct msghdr). */
export const SIZEOF_MSGHDR = 56;
/** `struct msghdr` offsets (`<sys/socket.h>`), as `sendmsg` and `recvmsg` read them. */
export const MSGHDR = Object.freeze({
  msg_name: 0,
  msg_namelen: 8,
  msg_iov: 16,
  msg_iovlen: 24,
  msg_control: 32,
  msg_controllen: 40,
  msg_flags: 48,
});

/** sizeof(struct iovec). */
export const SIZEOF_IOVEC = 16;
/** `struct iovec` offsets (`<sys/uio.h>`). */
export const IOVEC = Object.freeze({ iov_base: 0, iov_len: 8 });

/**
 * `struct cmsghdr` offsets (`<sys/socket.h>`); `data` is where CMSG_DATA points, and each
 * header starts at a multiple of 8 (CMSG_ALIGN).
 */
export const CMSGHDR = Object.freeze({ cmsg_len: 0, cmsg_level: 8, cmsg_type: 12, data: 16 });

/** sizeof(struct in_pktinfo). */
export const SIZEOF_IN_PKTINFO = 12;
/** `struct in_pktinfo` offsets (`<netinet/in.h>`). */
export const IN_PKTINFO = Object.freeze({ ipi_ifindex: 0, ipi_spec_dst: 4, ipi_addr: 8 });

/** Bytes of a control buffer holding one IP_PKTINFO cmsg: CMSG_SPACE(sizeof in_pktinfo). */
export const SIZEOF_IN_PKTINFO_CMSG = CMSGHDR.data + ((SIZEOF_IN_PKTINFO + 7) & ~7);

/**
 * Bytes of an IP_RETOPTS cmsg without data: CMSG_SPACE(0), its header alone (CMSG_LEN(0) is
 * the same 16 bytes).
 */
export const SIZEOF_EMPTY_RETOPTS_CMSG = CMSGHDR.data;

/**
 * Bytes of the control buffer of a unicast send ({@link encodeUnicastSendControl}): an
 * IP_PKTINFO cmsg, then an IP_RETOPTS one without data. Also its `msg_controllen`.
 */
export const SIZEOF_UNICAST_SEND_CONTROL = SIZEOF_IN_PKTINFO_CMSG + SIZEOF_EMPTY_RETOPTS_CMSG;

/** sizeof(struct in6_pktinfo). */
export const SIZEOF_IN6_PKTINFO = 20;
/** `struct in6_pktinfo` offsets (`<netinet/in.h>`). */
export const IN6_PKTINFO = Object.freeze({ ipi6_addr: 0, ipi6_ifindex: 16 });

/** Bytes of a control buffer holding one IPV6_PKTINFO cmsg: CMSG_SPACE(sizeof in6_pktinfo). */
export const SIZEOF_IN6_PKTINFO_CMSG = CMSGHDR.data + ((SIZEOF_IN6_PKTINFO + 7) & ~7);

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

/**
 * Walks the cmsgs of a control buffer written by recvmsg and returns the data of the first one
 * with this level and type whose data holds at least `minLength` bytes, as a view into
 * `control` (valid until the buffer is reused). The walk stops at a cmsg whose length is
 * shorter than its header or runs past `controllen`.
 */
export function findCmsgData(
  control: Uint8Array,
  controllen: number,
  cmsg: { level: number; type: number; minLength: number },
): Uint8Array | undefined {
  const end = Math.min(controllen, control.byteLength);
  let off = 0;
  while (off + CMSGHDR.data <= end) {
    // cmsg_len is a size_t: a high half other than 0 is past any buffer.
    const high = readI32LE(control, off + CMSGHDR.cmsg_len + 4);
    const len = high === 0 ? readI32LE(control, off + CMSGHDR.cmsg_len) >>> 0 : Infinity;
    if (len < CMSGHDR.data || off + len > end) break;
    const level = readI32LE(control, off + CMSGHDR.cmsg_level);
    const type = readI32LE(control, off + CMSGHDR.cmsg_type);
    if (level === cmsg.level && type === cmsg.type && len >= CMSGHDR.data + cmsg.minLength) {
      return control.subarray(off + CMSGHDR.data, off + len);
    }
    off += (len + 7) & ~7;
  }
  return undefined;
}

/** A little-endian 32-bit signed integer of `bytes` at `at` (read without a DataView). */
function readI32LE(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
}

/** The cmsg of an `in_pktinfo`. */
const PKTINFO_CMSG = { level: IPPROTO_IP, type: IP_PKTINFO, minLength: SIZEOF_IN_PKTINFO };

/**
 * Finds the `in_pktinfo` ifindex in a control buffer written by recvmsg (cmsg level IPPROTO_IP,
 * type IP_PKTINFO); 0 if absent.
 */
export function findPktinfoIfindex(control: Uint8Array, controllen: number): number {
  const data = findCmsgData(control, controllen, PKTINFO_CMSG);
  return data === undefined ? 0 : readI32LE(data, IN_PKTINFO.ipi_ifindex);
}

/**
 * Finds the `in6_pktinfo` {ipi6_addr @0, ipi6_ifindex u32 @16} in a control buffer (cmsg level
 * IPPROTO_IPV6, type IPV6_PKTINFO, after IPV6_RECVPKTINFO). `address` is the packet's
 * destination, copied. On Linux an upcall also carries one, with ifindex 0.
 */
export function findIn6Pktinfo(
  control: Uint8Array,
  controllen: number,
): { ifindex: number; address: Uint8Array } | undefined {
  const data = findCmsgData(control, controllen, {
    level: IPPROTO_IPV6,
    type: IPV6_PKTINFO,
    minLength: SIZEOF_IN6_PKTINFO,
  });
  if (data === undefined) return undefined;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const at = IN6_PKTINFO.ipi6_addr;
  return {
    ifindex: v.getUint32(IN6_PKTINFO.ipi6_ifindex, LITTLE_ENDIAN),
    address: data.slice(at, at + SIZEOF_IN6_ADDR),
  };
}

/** Clears `out` and writes one cmsg header for `length` bytes of data; a view of `out`. */
function cmsgHeader(
  out: Uint8Array,
  h: { level: number; type: number; length: number },
): DataView {
  out.fill(0);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  v.setBigUint64(CMSGHDR.cmsg_len, BigInt(CMSGHDR.data + h.length), LITTLE_ENDIAN);
  v.setInt32(CMSGHDR.cmsg_level, h.level, LITTLE_ENDIAN);
  v.setInt32(CMSGHDR.cmsg_type, h.type, LITTLE_ENDIAN);
  return v;
}

/**
 * Writes one cmsg (level IPPROTO_IP, type IP_PKTINFO) with an `in_pktinfo` into `out`
 * ({@link SIZEOF_IN_PKTINFO_CMSG} bytes): for sendmsg, `ipi_spec_dst` is the packet's source
 * address and `ipi_ifindex` its interface (0: by the route). Returns `out`.
 */
export function encodeInPktinfoCmsg(
  out: Uint8Array,
  pktinfo: { source: number; ifindex: number },
): Uint8Array {
  const v = cmsgHeader(out, { level: IPPROTO_IP, type: IP_PKTINFO, length: SIZEOF_IN_PKTINFO });
  v.setInt32(CMSGHDR.data + IN_PKTINFO.ipi_ifindex, pktinfo.ifindex, LITTLE_ENDIAN);
  putInAddr(v, CMSGHDR.data + IN_PKTINFO.ipi_spec_dst, pktinfo.source);
  return out;
}

/**
 * Writes one cmsg (level IPPROTO_IP, type IP_RETOPTS) with no data into `out`
 * ({@link SIZEOF_EMPTY_RETOPTS_CMSG} bytes): the packet sendmsg sends goes without IP options,
 * whatever the socket's IP_OPTIONS. Returns `out`.
 *
 * Linux: `ip_cmsg_send` (net/ipv4/ip_sockglue.c) hands the cmsg's data to `ip_options_get`
 * (net/ipv4/ip_options.c), which for 0 bytes still allocates options, of length 0; and
 * `raw_sendmsg` (net/ipv4/raw.c) falls back to the socket's options only when no cmsg gave any.
 */
export function encodeEmptyRetoptsCmsg(out: Uint8Array): Uint8Array {
  cmsgHeader(out, { level: IPPROTO_IP, type: IP_RETOPTS, length: 0 });
  return out;
}

/**
 * Writes the control buffer of a unicast send into `out` ({@link SIZEOF_UNICAST_SEND_CONTROL}
 * bytes): the IP_PKTINFO cmsg of {@link encodeInPktinfoCmsg} (the source, and the interface or
 * 0 for the route's), then the empty IP_RETOPTS cmsg of {@link encodeEmptyRetoptsCmsg}, each at
 * its CMSG_SPACE. Returns `out`.
 *
 * The raw IGMP socket sets Router Alert (IP_OPTIONS) for the queries and reports it sends to a
 * group; a unicast message (DVMRP to a neighbor, a tunnel's far end, mrinfo) must go without it,
 * as mrouted sends it. A Linux router forwarding a packet with Router Alert first offers it to
 * the raw sockets of its protocol on the Router Alert chain (`ip_forward` calls
 * `ip_call_ra_chain`, net/ipv4/ip_forward.c and ip_input.c), and MRT_INIT puts the multicast
 * routing socket there (`ip_ra_control`, net/ipv4/ipmr.c): a router running a multicast
 * routing daemon would take our unicast IGMP for itself instead of forwarding it.
 */
export function encodeUnicastSendControl(
  out: Uint8Array,
  pktinfo: { source: number; ifindex: number },
): Uint8Array {
  encodeInPktinfoCmsg(out.subarray(0, SIZEOF_IN_PKTINFO_CMSG), pktinfo);
  encodeEmptyRetoptsCmsg(out.subarray(SIZEOF_IN_PKTINFO_CMSG, SIZEOF_UNICAST_SEND_CONTROL));
  return out;
}

/**
 * Writes one cmsg (level IPPROTO_IPV6, type IPV6_PKTINFO) with an `in6_pktinfo` into `out`
 * ({@link SIZEOF_IN6_PKTINFO_CMSG} bytes): for sendmsg, it picks the packet's source address and
 * outgoing interface. Returns `out`.
 */
export function encodeIn6PktinfoCmsg(
  out: Uint8Array,
  pktinfo: { address: Uint8Array; ifindex: number },
): Uint8Array {
  const v = cmsgHeader(out, {
    level: IPPROTO_IPV6,
    type: IPV6_PKTINFO,
    length: SIZEOF_IN6_PKTINFO,
  });
  const data = CMSGHDR.data;
  out.set(pktinfo.address.subarray(0, SIZEOF_IN6_ADDR), data + IN6_PKTINFO.ipi6_addr);
  v.setUint32(data + IN6_PKTINFO.ipi6_ifindex, pktinfo.ifindex, LITTLE_ENDIAN);
  return out;
}

/**
 * Finds the received hop limit (`int`, cmsg level IPPROTO_IPV6, type IPV6_HOPLIMIT, after
 * IPV6_RECVHOPLIMIT).
 */
export function findHopLimit(control: Uint8Array, controllen: number): number | undefined {
  const data = findCmsgData(control, controllen, {
    level: IPPROTO_IPV6,
    type: IPV6_HOPLIMIT,
    minLength: 4,
  });
  if (data === undefined) return undefined;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getInt32(0, LITTLE_ENDIAN);
}

/**
 * Whether the packet had a hop-by-hop options header with a Router Alert option of value 0
 * (MLD, RFC 2711). The cmsg (level IPPROTO_IPV6, type IPV6_HOPOPTS, after IPV6_RECVHOPOPTS)
 * holds the whole header: next header @0, length in 8-byte units past the first @1, then
 * type-length-value options, where Pad1 is a lone zero byte. A malformed header gives `false`.
 */
export function findHopByHopRouterAlert(control: Uint8Array, controllen: number): boolean {
  const data = findCmsgData(control, controllen, {
    level: IPPROTO_IPV6,
    type: IPV6_HOPOPTS,
    minLength: 8,
  });
  return data !== undefined && hasMldRouterAlert(data);
}
