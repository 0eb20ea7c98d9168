/**
 * Kernel struct layouts for Linux x86_64/aarch64 (LP64), encoded into host-endian, aligned bytes.
 * Pure: no FFI here, so the layouts are unit-tested without `--allow-ffi`.
 *
 * Addresses inside kernel structs (`struct in_addr`, `struct in6_addr`) are in network byte
 * order; every other integer is host order (little-endian on the platforms we run on). IPv6
 * addresses are 16-byte `Uint8Array`s, as `src/proto/addr.ts` parses them.
 *
 * The IPv6 sizes and offsets were checked with `sizeof`/`offsetof` from the system headers and
 * against a running kernel (MRT6_ADD_MIF/MFC read back from /proc/net/ip6_mr_*).
 *
 * @module
 */

import { hasMldRouterAlert } from "../src/proto/mld_packet.ts";
import {
  AF_INET6,
  AF_NETLINK,
  IFA_ADDRESS,
  IFA_FLAGS,
  IP_PKTINFO,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HOPLIMIT,
  IPV6_HOPOPTS,
  IPV6_PKTINFO,
  MAXMIFS,
  MAXVIFS,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  RTM_GETADDR,
  RTM_NEWADDR,
  VIFF_USE_IFINDEX,
} from "./linux_constants.ts";

/** sizeof(struct vifctl). */
export const SIZEOF_VIFCTL = 16;
/** sizeof(struct mfcctl). */
export const SIZEOF_MFCCTL = 60;
/** sizeof(struct ip_mreqn). */
export const SIZEOF_IP_MREQN = 12;
/** sizeof(struct sioc_sg_req). */
export const SIZEOF_SIOC_SG_REQ = 32;
/** sizeof(struct sioc_vif_req): a `vifi_t` (u16), 6 bytes of padding, four `unsigned long`. */
export const SIZEOF_SIOC_VIF_REQ = 40;
/** sizeof(struct sockaddr_in). */
export const SIZEOF_SOCKADDR_IN = 16;
/** sizeof(struct msghdr). */
export const SIZEOF_MSGHDR = 56;
/** sizeof(struct iovec). */
export const SIZEOF_IOVEC = 16;
/** sizeof(struct igmpmsg). */
export const SIZEOF_IGMPMSG = 20;
/** sizeof(struct sockaddr_nl). */
export const SIZEOF_SOCKADDR_NL = 12;
/** sizeof(struct in_pktinfo). */
export const SIZEOF_IN_PKTINFO = 12;
/** sizeof(struct mif6ctl): MRT6_ADD_MIF's optlen (shorter is EINVAL; longer is accepted). */
export const SIZEOF_MIF6CTL = 12;
/** sizeof(struct mf6cctl): MRT6_ADD/DEL_MFC's optlen (shorter is EINVAL; longer is accepted). */
export const SIZEOF_MF6CCTL = 92;
/** sizeof(mifi_t): what MRT6_DEL_MIF reads. */
export const SIZEOF_MIFI = 2;
/** sizeof(struct sockaddr_in6). */
export const SIZEOF_SOCKADDR_IN6 = 28;
/** sizeof(struct ipv6_mreq). */
export const SIZEOF_IPV6_MREQ = 20;
/** sizeof(struct in6_pktinfo). */
export const SIZEOF_IN6_PKTINFO = 20;
/** sizeof(struct mrt6msg): the meaningful head of an IPv6 upcall. */
export const SIZEOF_MRT6MSG = 40;
/** sizeof(struct icmp6_filter). */
export const SIZEOF_ICMP6_FILTER = 32;
/** sizeof(struct sioc_sg_req6): two sockaddr_in6, 0 bytes of padding, three `unsigned long`. */
export const SIZEOF_SIOC_SG_REQ6 = 80;
/** sizeof(struct sioc_mif_req6): a `mifi_t` (u16), 6 bytes of padding, four `unsigned long`. */
export const SIZEOF_SIOC_MIF_REQ6 = 40;

const LITTLE_ENDIAN = true;

const SIZEOF_IN6_ADDR = 16;

/** Writes an IPv4 address (number) in network byte order at `offset`. */
export function putInAddr(view: DataView, offset: number, address: number): void {
  view.setUint32(offset, address >>> 0, false);
}

/** Reads an IPv4 address (network byte order) at `offset` as a number. */
export function getInAddr(view: DataView, offset: number): number {
  return view.getUint32(offset, false);
}

/**
 * `struct vifctl` {vifi u16 @0, flags u8 @2, threshold u8 @3, rate_limit u32 @4,
 * lcl_ifindex i32 @8, rmt_addr @12}, bound by interface index.
 */
export function encodeVifctl(
  out: Uint8Array,
  vif: { vifi: number; ifindex: number; threshold: number },
): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_VIFCTL);
  out.fill(0, 0, SIZEOF_VIFCTL);
  v.setUint16(0, vif.vifi, LITTLE_ENDIAN);
  v.setUint8(2, VIFF_USE_IFINDEX);
  v.setUint8(3, vif.threshold);
  v.setUint32(4, 0, LITTLE_ENDIAN);
  v.setInt32(8, vif.ifindex, LITTLE_ENDIAN);
  return out.subarray(0, SIZEOF_VIFCTL);
}

/**
 * `struct mfcctl` {origin @0, mcastgrp @4, parent u16 @8, ttls[MAXVIFS] @10, pkt_cnt @44,
 * byte_cnt @48, wrong_if @52, expire @56}. A VIF's ttl 0 means "do not forward there".
 */
export function encodeMfcctl(
  out: Uint8Array,
  mfc: {
    source: number;
    group: number;
    parent: number;
    oifs: ReadonlyArray<{ vifi: number; ttl: number }>;
  },
): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_MFCCTL);
  out.fill(0, 0, SIZEOF_MFCCTL);
  putInAddr(v, 0, mfc.source);
  putInAddr(v, 4, mfc.group);
  v.setUint16(8, mfc.parent, LITTLE_ENDIAN);
  for (const oif of mfc.oifs) {
    if (oif.vifi < 0 || oif.vifi >= MAXVIFS) throw new RangeError(`VIF ${oif.vifi} out of range`);
    v.setUint8(10 + oif.vifi, Math.max(1, Math.min(255, oif.ttl)));
  }
  return out.subarray(0, SIZEOF_MFCCTL);
}

/** `struct ip_mreqn` {imr_multiaddr @0, imr_address @4, imr_ifindex i32 @8}. */
export function encodeIpMreqn(
  out: Uint8Array,
  req: { group: number; address: number; ifindex: number },
): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_IP_MREQN);
  putInAddr(v, 0, req.group);
  putInAddr(v, 4, req.address);
  v.setInt32(8, req.ifindex, LITTLE_ENDIAN);
  return out.subarray(0, SIZEOF_IP_MREQN);
}

/** `struct sioc_sg_req` {src @0, grp @4, pktcnt ulong @8, bytecnt ulong @16, wrong_if @24}. */
export function encodeSiocSgReq(
  out: Uint8Array,
  req: { source: number; group: number },
): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_SIOC_SG_REQ);
  out.fill(0, 0, SIZEOF_SIOC_SG_REQ);
  putInAddr(v, 0, req.source);
  putInAddr(v, 4, req.group);
  return out.subarray(0, SIZEOF_SIOC_SG_REQ);
}

/** Reads the counters the kernel wrote into a `struct sioc_sg_req`. */
export function decodeSiocSgReq(
  buf: Uint8Array,
): { packets: number; bytes: number; wrongIf: number } {
  const v = new DataView(buf.buffer, buf.byteOffset, SIZEOF_SIOC_SG_REQ);
  return {
    packets: Number(v.getBigUint64(8, LITTLE_ENDIAN)),
    bytes: Number(v.getBigUint64(16, LITTLE_ENDIAN)),
    wrongIf: Number(v.getBigUint64(24, LITTLE_ENDIAN)),
  };
}

/** The counters of a VIF or MIF as `struct sioc_vif_req` and `struct sioc_mif_req6` hold them. */
export interface SiocVifCounters {
  /** Packets received on it (icount). */
  packetsIn: number;
  /** Packets sent out of it (ocount). */
  packetsOut: number;
  /** Bytes received (ibytes). */
  bytesIn: number;
  /** Bytes sent (obytes). */
  bytesOut: number;
}

/**
 * Writes the request of SIOCGETVIFCNT, `struct sioc_vif_req` {vifi u16 @0, icount ulong @8,
 * ocount @16, ibytes @24, obytes @32}: the VIF number, everything else zero. The kernel reads
 * the number and writes the counters.
 */
export function encodeSiocVifReq(out: Uint8Array, vifi: number): Uint8Array {
  if (!Number.isInteger(vifi) || vifi < 0 || vifi >= MAXVIFS) {
    throw new RangeError(`VIF ${vifi} out of range`);
  }
  return encodeVifCountRequest(out, vifi);
}

/** Reads the counters the kernel wrote into a `struct sioc_vif_req`. */
export function decodeSiocVifReq(buf: Uint8Array): SiocVifCounters {
  return decodeVifCounters(buf);
}

/**
 * Writes the request of SIOCGETMIFCNT_IN6, `struct sioc_mif_req6`: the layout of
 * `struct sioc_vif_req` with a `mifi_t` {mifi u16 @0, icount ulong @8, ocount @16, ibytes @24,
 * obytes @32}.
 */
export function encodeSiocMifReq6(out: Uint8Array, mifi: number): Uint8Array {
  if (!Number.isInteger(mifi) || mifi < 0 || mifi >= MAXMIFS) {
    throw new RangeError(`MIF ${mifi} out of range`);
  }
  return encodeVifCountRequest(out, mifi);
}

/** Reads the counters the kernel wrote into a `struct sioc_mif_req6`. */
export function decodeSiocMifReq6(buf: Uint8Array): SiocVifCounters {
  return decodeVifCounters(buf);
}

/** The request both structs share: the interface number (u16) at 0, the rest zero. */
function encodeVifCountRequest(out: Uint8Array, index: number): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_SIOC_VIF_REQ);
  out.fill(0, 0, SIZEOF_SIOC_VIF_REQ);
  v.setUint16(0, index, LITTLE_ENDIAN);
  return out.subarray(0, SIZEOF_SIOC_VIF_REQ);
}

/** The four `unsigned long` counters both structs share, at 8, 16, 24 and 32. */
function decodeVifCounters(buf: Uint8Array): SiocVifCounters {
  const v = new DataView(buf.buffer, buf.byteOffset, SIZEOF_SIOC_VIF_REQ);
  return {
    packetsIn: Number(v.getBigUint64(8, LITTLE_ENDIAN)),
    packetsOut: Number(v.getBigUint64(16, LITTLE_ENDIAN)),
    bytesIn: Number(v.getBigUint64(24, LITTLE_ENDIAN)),
    bytesOut: Number(v.getBigUint64(32, LITTLE_ENDIAN)),
  };
}

/** `struct sockaddr_in` {family u16 @0, port u16 (network order) @2, addr @4}. */
export function encodeSockaddrIn(out: Uint8Array, address: number, port = 0): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_SOCKADDR_IN);
  out.fill(0, 0, SIZEOF_SOCKADDR_IN);
  v.setUint16(0, 2, LITTLE_ENDIAN);
  v.setUint16(2, port, false);
  putInAddr(v, 4, address);
  return out.subarray(0, SIZEOF_SOCKADDR_IN);
}

/**
 * `struct sockaddr_nl` {nl_family u16 @0, nl_pad u16 @2, nl_pid u32 @4, nl_groups u32 @8}, for
 * binding a netlink socket to multicast groups. `pid` 0 lets the kernel pick the port id.
 */
export function encodeSockaddrNl(
  out: Uint8Array,
  addr: { groups: number; pid?: number },
): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_SOCKADDR_NL);
  out.fill(0, 0, SIZEOF_SOCKADDR_NL);
  v.setUint16(0, AF_NETLINK, LITTLE_ENDIAN);
  v.setUint32(4, addr.pid ?? 0, LITTLE_ENDIAN);
  v.setUint32(8, addr.groups >>> 0, LITTLE_ENDIAN);
  return out.subarray(0, SIZEOF_SOCKADDR_NL);
}

/** `struct nlmsghdr` {len u32 @0, type u16 @4, flags u16 @6, seq u32 @8, pid u32 @12}. */
export const SIZEOF_NLMSGHDR = 16;
/** `struct ifaddrmsg` {family u8 @0, prefixlen u8 @1, flags u8 @2, scope u8 @3, index u32 @4}. */
export const SIZEOF_IFADDRMSG = 8;
/** An RTM_GETADDR dump request: a `nlmsghdr` and an `ifaddrmsg`. */
export const SIZEOF_GETADDR_REQUEST = SIZEOF_NLMSGHDR + SIZEOF_IFADDRMSG;

/**
 * An RTM_GETADDR dump request for the addresses of one family (AF_INET6, ...), with sequence
 * number `seq`. Returns `out` ({@link SIZEOF_GETADDR_REQUEST} bytes).
 */
export function encodeGetAddrRequest(
  out: Uint8Array,
  req: { family: number; seq: number },
): Uint8Array {
  out.fill(0, 0, SIZEOF_GETADDR_REQUEST);
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_GETADDR_REQUEST);
  v.setUint32(0, SIZEOF_GETADDR_REQUEST, LITTLE_ENDIAN);
  v.setUint16(4, RTM_GETADDR, LITTLE_ENDIAN);
  v.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, LITTLE_ENDIAN);
  v.setUint32(8, req.seq >>> 0, LITTLE_ENDIAN);
  out[SIZEOF_NLMSGHDR] = req.family;
  return out.subarray(0, SIZEOF_GETADDR_REQUEST);
}

/** An address of an RTM_NEWADDR message. */
export interface NetlinkAddress {
  /** Interface index. */
  index: number;
  /** AF_INET or AF_INET6. */
  family: number;
  /** Prefix length. */
  prefixLength: number;
  /** IFA_ADDRESS (16 bytes for IPv6, 4 for IPv4), copied; empty when absent. */
  address: Uint8Array;
  /** IFA_FLAGS when present, else the 8 bits of `ifa_flags`. */
  flags: number;
}

/** What one datagram of a netlink dump reply says. */
export interface AddrDumpChunk {
  /** The addresses in it. */
  addresses: NetlinkAddress[];
  /** Whether it ended the reply (NLMSG_DONE). */
  done: boolean;
  /** A positive errno when the kernel answered with NLMSG_ERROR. */
  error?: number;
}

/**
 * Reads one datagram of an RTM_GETADDR dump reply: its RTM_NEWADDR messages, their IFA_ADDRESS
 * and IFA_FLAGS attributes (rtattr {len u16 @0, type u16 @2, data @4}, 4-byte aligned), and
 * whether it ends the reply. Messages of other sequence numbers or types are skipped; a message
 * or attribute whose length runs past the end stops the walk.
 */
export function decodeAddrDump(buf: Uint8Array, length: number, seq: number): AddrDumpChunk {
  const v = new DataView(buf.buffer, buf.byteOffset, Math.min(length, buf.byteLength));
  const end = v.byteLength;
  const chunk: AddrDumpChunk = { addresses: [], done: false };
  for (let off = 0; off + SIZEOF_NLMSGHDR <= end;) {
    const len = v.getUint32(off, LITTLE_ENDIAN);
    if (len < SIZEOF_NLMSGHDR || off + len > end) break;
    const type = v.getUint16(off + 4, LITTLE_ENDIAN);
    if (v.getUint32(off + 8, LITTLE_ENDIAN) === (seq >>> 0)) {
      if (type === NLMSG_DONE) chunk.done = true;
      else if (type === NLMSG_ERROR && len >= SIZEOF_NLMSGHDR + 4) {
        chunk.error = -v.getInt32(off + SIZEOF_NLMSGHDR, LITTLE_ENDIAN);
        chunk.done = true;
      } else if (type === RTM_NEWADDR && len >= SIZEOF_NLMSGHDR + SIZEOF_IFADDRMSG) {
        const m = off + SIZEOF_NLMSGHDR;
        const a: NetlinkAddress = {
          family: v.getUint8(m),
          prefixLength: v.getUint8(m + 1),
          flags: v.getUint8(m + 2),
          index: v.getUint32(m + 4, LITTLE_ENDIAN),
          address: new Uint8Array(0),
        };
        for (let at = m + SIZEOF_IFADDRMSG; at + 4 <= off + len;) {
          const alen = v.getUint16(at, LITTLE_ENDIAN);
          if (alen < 4 || at + alen > off + len) break;
          const atype = v.getUint16(at + 2, LITTLE_ENDIAN);
          if (atype === IFA_ADDRESS) a.address = buf.slice(at + 4, at + alen);
          if (atype === IFA_FLAGS && alen >= 8) a.flags = v.getUint32(at + 4, LITTLE_ENDIAN);
          at += (alen + 3) & ~3;
        }
        chunk.addresses.push(a);
      }
    }
    off += (len + 3) & ~3;
  }
  return chunk;
}

/**
 * Decodes a kernel upcall, `struct igmpmsg` {unused1 u32 @0, unused2 u32 @4, im_msgtype u8 @8,
 * im_mbz u8 @9, im_vif u8 @10, im_vif_hi u8 @11, im_src @12, im_dst @16}. It overlays an IP
 * header whose protocol byte (offset 9) is 0; returns `undefined` when it is not an upcall.
 */
export function decodeIgmpmsg(
  buf: Uint8Array,
  length: number,
): { msgtype: number; vif: number; source: number; group: number } | undefined {
  if (length < SIZEOF_IGMPMSG || buf[9] !== 0) return undefined;
  const v = new DataView(buf.buffer, buf.byteOffset, length);
  return {
    msgtype: buf[8],
    vif: buf[10] | (buf[11] << 8),
    source: getInAddr(v, 12),
    group: getInAddr(v, 16),
  };
}

/** Checks that `address` is a 16-byte IPv6 address (network order). */
function checkIn6Addr(address: Uint8Array, what: string): void {
  if (address.byteLength !== SIZEOF_IN6_ADDR) {
    throw new RangeError(`${what} must be 16 bytes, got ${address.byteLength}`);
  }
}

/**
 * Writes `struct sockaddr_in6` {sin6_family u16 @0, sin6_port @2, sin6_flowinfo @4,
 * sin6_addr @8, sin6_scope_id u32 @24} at `offset` of `view`, port and flow info 0.
 */
function putSockaddrIn6(
  view: DataView,
  offset: number,
  address: Uint8Array,
  scopeId: number,
): void {
  view.setUint16(offset, AF_INET6, LITTLE_ENDIAN);
  view.setUint16(offset + 2, 0, false);
  view.setUint32(offset + 4, 0, false);
  new Uint8Array(view.buffer, view.byteOffset + offset + 8, SIZEOF_IN6_ADDR).set(address);
  view.setUint32(offset + 24, scopeId >>> 0, LITTLE_ENDIAN);
}

/**
 * `struct sockaddr_in6` {family u16 = AF_INET6 @0, port @2 = 0, flowinfo @4 = 0, addr @8,
 * scope_id u32 @24}. Give `scopeId` (the interface index) for link-local destinations; a raw
 * ICMPv6 socket needs port 0.
 */
export function encodeSockaddrIn6(out: Uint8Array, address: Uint8Array, scopeId = 0): Uint8Array {
  checkIn6Addr(address, "address");
  out.fill(0, 0, SIZEOF_SOCKADDR_IN6);
  putSockaddrIn6(
    new DataView(out.buffer, out.byteOffset, SIZEOF_SOCKADDR_IN6),
    0,
    address,
    scopeId,
  );
  return out.subarray(0, SIZEOF_SOCKADDR_IN6);
}

/**
 * `struct mif6ctl` {mif6c_mifi u16 @0, mif6c_flags u8 @2, vifc_threshold u8 @3,
 * mif6c_pifi u16 @4, 2 bytes padding, vifc_rate_limit u32 @8}. The interface index travels
 * in a u16, so an ifindex above 65535 cannot be a MIF (RangeError).
 */
export function encodeMif6ctl(
  out: Uint8Array,
  mif: { mifi: number; ifindex: number; threshold: number; flags?: number },
): Uint8Array {
  if (!Number.isInteger(mif.mifi) || mif.mifi < 0 || mif.mifi >= MAXMIFS) {
    throw new RangeError(`MIF ${mif.mifi} out of range`);
  }
  if (!Number.isInteger(mif.ifindex) || mif.ifindex < 0 || mif.ifindex > 0xffff) {
    throw new RangeError(`Interface index ${mif.ifindex} does not fit mif6c_pifi (u16)`);
  }
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_MIF6CTL);
  out.fill(0, 0, SIZEOF_MIF6CTL);
  v.setUint16(0, mif.mifi, LITTLE_ENDIAN);
  v.setUint8(2, mif.flags ?? 0);
  v.setUint8(3, mif.threshold);
  v.setUint16(4, mif.ifindex, LITTLE_ENDIAN);
  v.setUint32(8, 0, LITTLE_ENDIAN);
  return out.subarray(0, SIZEOF_MIF6CTL);
}

/** `mifi_t` (u16) for MRT6_DEL_MIF, which reads nothing else. */
export function encodeMifi(out: Uint8Array, mifi: number): Uint8Array {
  new DataView(out.buffer, out.byteOffset, SIZEOF_MIFI).setUint16(0, mifi, LITTLE_ENDIAN);
  return out.subarray(0, SIZEOF_MIFI);
}

/**
 * `struct mf6cctl` {mf6cc_origin sockaddr_in6 @0, mf6cc_mcastgrp sockaddr_in6 @28,
 * mf6cc_parent u16 @56, 2 bytes padding, mf6cc_ifset 8 × u32 @60}: MIF n is bit n & 31 of word
 * n >> 5. The kernel reads only the first MAXMIFS bits, so a higher MIF is a RangeError (as is
 * a parent from MAXMIFS on: ENFILE). It forwards to every MIF in the set when the hop limit is
 * above 1: there are no per-MIF TTLs, /proc/net/ip6_mr_cache shows each as `mif:1`.
 */
export function encodeMf6cctl(
  out: Uint8Array,
  mfc: {
    source: Uint8Array;
    group: Uint8Array;
    parent: number;
    oifs: ReadonlyArray<number>;
  },
): Uint8Array {
  checkIn6Addr(mfc.source, "source");
  checkIn6Addr(mfc.group, "group");
  if (!Number.isInteger(mfc.parent) || mfc.parent < 0 || mfc.parent >= MAXMIFS) {
    throw new RangeError(`Parent MIF ${mfc.parent} out of range`);
  }
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_MF6CCTL);
  out.fill(0, 0, SIZEOF_MF6CCTL);
  putSockaddrIn6(v, 0, mfc.source, 0);
  putSockaddrIn6(v, SIZEOF_SOCKADDR_IN6, mfc.group, 0);
  v.setUint16(56, mfc.parent, LITTLE_ENDIAN);
  for (const mif of mfc.oifs) {
    if (!Number.isInteger(mif) || mif < 0 || mif >= MAXMIFS) {
      throw new RangeError(`MIF ${mif} out of range`);
    }
    const word = 60 + 4 * (mif >> 5);
    v.setUint32(word, (v.getUint32(word, LITTLE_ENDIAN) | (1 << (mif & 31))) >>> 0, LITTLE_ENDIAN);
  }
  return out.subarray(0, SIZEOF_MF6CCTL);
}

/** `struct ipv6_mreq` {ipv6mr_multiaddr @0, ipv6mr_interface i32 @16}. */
export function encodeIpv6Mreq(
  out: Uint8Array,
  req: { group: Uint8Array; ifindex: number },
): Uint8Array {
  checkIn6Addr(req.group, "group");
  out.set(req.group, 0);
  new DataView(out.buffer, out.byteOffset, SIZEOF_IPV6_MREQ).setInt32(
    16,
    req.ifindex,
    LITTLE_ENDIAN,
  );
  return out.subarray(0, SIZEOF_IPV6_MREQ);
}

/**
 * `struct icmp6_filter` {icmp6_filt u32[8]}: type t is bit t & 31 of word t >> 5, and a set bit
 * BLOCKS the type. The result blocks every type but `passTypes`. Upcalls are not filtered.
 */
export function encodeIcmp6Filter(
  passTypes: ReadonlyArray<number>,
  out: Uint8Array = new Uint8Array(SIZEOF_ICMP6_FILTER),
): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_ICMP6_FILTER);
  out.fill(0xff, 0, SIZEOF_ICMP6_FILTER);
  for (const type of passTypes) {
    if (!Number.isInteger(type) || type < 0 || type > 255) {
      throw new RangeError(`ICMPv6 type ${type} out of range`);
    }
    const word = 4 * (type >> 5);
    v.setUint32(
      word,
      (v.getUint32(word, LITTLE_ENDIAN) & ~(1 << (type & 31))) >>> 0,
      LITTLE_ENDIAN,
    );
  }
  return out.subarray(0, SIZEOF_ICMP6_FILTER);
}

/**
 * `struct sioc_sg_req6` {src sockaddr_in6 @0, grp sockaddr_in6 @28, pktcnt ulong @56,
 * bytecnt ulong @64, wrong_if ulong @72}, for SIOCGETSGCNT_IN6. The kernel reads only the two
 * addresses.
 */
export function encodeSiocSgReq6(
  out: Uint8Array,
  req: { source: Uint8Array; group: Uint8Array },
): Uint8Array {
  checkIn6Addr(req.source, "source");
  checkIn6Addr(req.group, "group");
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_SIOC_SG_REQ6);
  out.fill(0, 0, SIZEOF_SIOC_SG_REQ6);
  putSockaddrIn6(v, 0, req.source, 0);
  putSockaddrIn6(v, SIZEOF_SOCKADDR_IN6, req.group, 0);
  return out.subarray(0, SIZEOF_SIOC_SG_REQ6);
}

/** Reads the counters the kernel wrote into a `struct sioc_sg_req6`. */
export function decodeSiocSgReq6(
  buf: Uint8Array,
): { packets: number; bytes: number; wrongIf: number } {
  const v = new DataView(buf.buffer, buf.byteOffset, SIZEOF_SIOC_SG_REQ6);
  return {
    packets: Number(v.getBigUint64(56, LITTLE_ENDIAN)),
    bytes: Number(v.getBigUint64(64, LITTLE_ENDIAN)),
    wrongIf: Number(v.getBigUint64(72, LITTLE_ENDIAN)),
  };
}

/**
 * Decodes an IPv6 kernel upcall, `struct mrt6msg` {im6_mbz u8 @0, im6_msgtype u8 @1,
 * im6_mif u16 @2, im6_pad u32 @4, im6_src @8, im6_dst @24}. It arrives on the raw ICMPv6
 * socket in place of an ICMPv6 message, whose type byte (offset 0) is never 0; returns
 * `undefined` when it is not an upcall. The kernel sends more than 40 bytes; the rest means
 * nothing. The addresses are copies.
 */
export function decodeMrt6msg(
  buf: Uint8Array,
  length: number,
): { msgtype: number; mif: number; source: Uint8Array; group: Uint8Array } | undefined {
  if (length < SIZEOF_MRT6MSG || buf.byteLength < SIZEOF_MRT6MSG || buf[0] !== 0) {
    return undefined;
  }
  return {
    msgtype: buf[1],
    mif: buf[2] | (buf[3] << 8),
    source: buf.slice(8, 24),
    group: buf.slice(24, 40),
  };
}

/** Layout offsets of `struct msghdr` and `struct cmsghdr` used by recvmsg. */
export const MSGHDR = Object.freeze({
  name: 0,
  namelen: 8,
  iov: 16,
  iovlen: 24,
  control: 32,
  controllen: 40,
  flags: 48,
});

/** `struct cmsghdr` {cmsg_len u64 @0, cmsg_level i32 @8, cmsg_type i32 @12, data @16}. */
export const CMSGHDR = Object.freeze({ len: 0, level: 8, type: 12, data: 16 });

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
  const v = new DataView(control.buffer, control.byteOffset, control.byteLength);
  const end = Math.min(controllen, control.byteLength);
  let off = 0;
  while (off + CMSGHDR.data <= end) {
    const len = Number(v.getBigUint64(off + CMSGHDR.len, LITTLE_ENDIAN));
    if (len < CMSGHDR.data || off + len > end) break;
    const level = v.getInt32(off + CMSGHDR.level, LITTLE_ENDIAN);
    const type = v.getInt32(off + CMSGHDR.type, LITTLE_ENDIAN);
    if (level === cmsg.level && type === cmsg.type && len >= CMSGHDR.data + cmsg.minLength) {
      return control.subarray(off + CMSGHDR.data, off + len);
    }
    off += (len + 7) & ~7;
  }
  return undefined;
}

/**
 * Finds the `in_pktinfo` ifindex in a control buffer written by recvmsg (cmsg level IPPROTO_IP,
 * type IP_PKTINFO); 0 if absent.
 */
export function findPktinfoIfindex(control: Uint8Array, controllen: number): number {
  const data = findCmsgData(control, controllen, {
    level: IPPROTO_IP,
    type: IP_PKTINFO,
    minLength: SIZEOF_IN_PKTINFO,
  });
  if (data === undefined) return 0;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getInt32(0, LITTLE_ENDIAN);
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
  return {
    ifindex: v.getUint32(SIZEOF_IN6_ADDR, LITTLE_ENDIAN),
    address: data.slice(0, SIZEOF_IN6_ADDR),
  };
}

/** Bytes of a control buffer holding one IPV6_PKTINFO cmsg: CMSG_SPACE(sizeof in6_pktinfo). */
export const SIZEOF_IN6_PKTINFO_CMSG = CMSGHDR.data + ((SIZEOF_IN6_PKTINFO + 7) & ~7);

/**
 * Writes one cmsg (level IPPROTO_IPV6, type IPV6_PKTINFO) with an `in6_pktinfo` into `out`
 * ({@link SIZEOF_IN6_PKTINFO_CMSG} bytes): for sendmsg, it picks the packet's source address and
 * outgoing interface. Returns `out`.
 */
export function encodeIn6PktinfoCmsg(
  out: Uint8Array,
  pktinfo: { address: Uint8Array; ifindex: number },
): Uint8Array {
  out.fill(0);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  v.setBigUint64(CMSGHDR.len, BigInt(CMSGHDR.data + SIZEOF_IN6_PKTINFO), LITTLE_ENDIAN);
  v.setInt32(CMSGHDR.level, IPPROTO_IPV6, LITTLE_ENDIAN);
  v.setInt32(CMSGHDR.type, IPV6_PKTINFO, LITTLE_ENDIAN);
  out.set(pktinfo.address.subarray(0, SIZEOF_IN6_ADDR), CMSGHDR.data);
  v.setUint32(CMSGHDR.data + SIZEOF_IN6_ADDR, pktinfo.ifindex, LITTLE_ENDIAN);
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
