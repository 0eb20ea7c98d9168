/**
 * What `sendmsg` and `recvmsg` carry besides the packet, for Linux x86_64/aarch64 (LP64): the
 * `msghdr` and its `iovec`, and the control messages (`cmsghdr`) of its control buffer: the
 * `in_pktinfo` and `in6_pktinfo` both ways, the empty IP_RETOPTS of a unicast send, and the
 * received hop limit and hop-by-hop header. Pure: no FFI here, so the layouts are unit-tested
 * without `--allow-ffi`; `layout_c_test.ts` compares every size and offset with the C headers.
 *
 * Addresses inside kernel structs are in network byte order, every other integer host order
 * (see `socket_structs.ts`).
 *
 * @module
 */

import { hasMldRouterAlert } from "../src/proto/mld_packet.ts";
import {
  IP_PKTINFO,
  IP_RETOPTS,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HOPLIMIT,
  IPV6_HOPOPTS,
  IPV6_PKTINFO,
} from "./linux_constants.ts";
import { LITTLE_ENDIAN, putInAddr, SIZEOF_IN6_ADDR } from "./socket_structs.ts";

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
