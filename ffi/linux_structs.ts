/**
 * Kernel struct layouts for Linux x86_64/aarch64 (LP64), encoded into host-endian, aligned bytes.
 * Pure: no FFI here, so the layouts are unit-tested without `--allow-ffi`.
 *
 * Addresses inside kernel structs (`struct in_addr`) are in network byte order; every other
 * integer is host order (little-endian on the platforms we run on).
 *
 * @module
 */

import { AF_NETLINK, MAXVIFS, VIFF_USE_IFINDEX } from "./linux_constants.ts";

/** sizeof(struct vifctl). */
export const SIZEOF_VIFCTL = 16;
/** sizeof(struct mfcctl). */
export const SIZEOF_MFCCTL = 60;
/** sizeof(struct ip_mreqn). */
export const SIZEOF_IP_MREQN = 12;
/** sizeof(struct sioc_sg_req). */
export const SIZEOF_SIOC_SG_REQ = 32;
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

const LITTLE_ENDIAN = true;

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
 * Finds the `in_pktinfo` ifindex in a control buffer written by recvmsg (cmsg level IPPROTO_IP,
 * type IP_PKTINFO); 0 if absent.
 */
export function findPktinfoIfindex(control: Uint8Array, controllen: number): number {
  const v = new DataView(control.buffer, control.byteOffset, control.byteLength);
  let off = 0;
  while (off + CMSGHDR.data <= controllen) {
    const len = Number(v.getBigUint64(off + CMSGHDR.len, LITTLE_ENDIAN));
    if (len < CMSGHDR.data || off + len > controllen) break;
    const level = v.getInt32(off + CMSGHDR.level, LITTLE_ENDIAN);
    const type = v.getInt32(off + CMSGHDR.type, LITTLE_ENDIAN);
    if (level === 0 && type === 8 && len >= CMSGHDR.data + 12) {
      return v.getInt32(off + CMSGHDR.data, LITTLE_ENDIAN);
    }
    off += (len + 7) & ~7;
  }
  return 0;
}
