/**
 * The structs of the IPv4 multicast routing API (`<linux/mroute.h>`) for Linux x86_64/aarch64:
 * `vifctl` and `mfcctl` (MRT_ADD_VIF, MRT_ADD_MFC), the counters of SIOCGETSGCNT and
 * SIOCGETVIFCNT, and the `igmpmsg` upcall. Pure: no FFI here; `layout_c_test.ts` compares every
 * size and offset with the C headers.
 *
 * Addresses are in network byte order, every other integer host order (see `socket_structs.ts`).
 *
 * @module
 */

import { MAXVIFS, VIFF_TUNNEL, VIFF_USE_IFINDEX } from "./linux_constants.ts";
import { getInAddr, LITTLE_ENDIAN, putInAddr } from "./socket_structs.ts";

/** sizeof(struct vifctl): MRT_ADD_VIF's optlen, which must be exact. */
export const SIZEOF_VIFCTL = 16;
/** `struct vifctl` offsets; `vifc_lcl_ifindex` shares its place with `vifc_lcl_addr`. */
export const VIFCTL = Object.freeze({
  vifc_vifi: 0,
  vifc_flags: 2,
  vifc_threshold: 3,
  vifc_rate_limit: 4,
  vifc_lcl_ifindex: 8,
  vifc_rmt_addr: 12,
});

/** sizeof(struct mfcctl): MRT_ADD_MFC's optlen, which must be exact. */
export const SIZEOF_MFCCTL = 60;
/** `struct mfcctl` offsets; `mfcc_ttls` holds MAXVIFS bytes. */
export const MFCCTL = Object.freeze({
  mfcc_origin: 0,
  mfcc_mcastgrp: 4,
  mfcc_parent: 8,
  mfcc_ttls: 10,
  mfcc_pkt_cnt: 44,
  mfcc_byte_cnt: 48,
  mfcc_wrong_if: 52,
  mfcc_expire: 56,
});

/** sizeof(struct sioc_sg_req). */
export const SIZEOF_SIOC_SG_REQ = 32;
/** `struct sioc_sg_req` offsets: two addresses, then three `unsigned long`. */
export const SIOC_SG_REQ = Object.freeze({ src: 0, grp: 4, pktcnt: 8, bytecnt: 16, wrong_if: 24 });

/** sizeof(struct sioc_vif_req): a `vifi_t` (u16), 6 bytes of padding, four `unsigned long`. */
export const SIZEOF_SIOC_VIF_REQ = 40;
/** `struct sioc_vif_req` offsets; `struct sioc_mif_req6` has the same with `mifi`. */
export const SIOC_VIF_REQ = Object.freeze({
  vifi: 0,
  icount: 8,
  ocount: 16,
  ibytes: 24,
  obytes: 32,
});

/** sizeof(struct igmpmsg). */
export const SIZEOF_IGMPMSG = 20;
/** `struct igmpmsg` offsets: it overlays an IP header, `im_mbz` on the protocol byte. */
export const IGMPMSG = Object.freeze({
  unused1: 0,
  unused2: 4,
  im_msgtype: 8,
  im_mbz: 9,
  im_vif: 10,
  im_vif_hi: 11,
  im_src: 12,
  im_dst: 16,
});

/**
 * `struct vifctl` {vifi u16 @0, flags u8 @2, threshold u8 @3, rate_limit u32 @4,
 * lcl_ifindex i32 @8, rmt_addr @12}: bound by interface index (VIFF_USE_IFINDEX), or for a
 * tunnel (VIFF_TUNNEL) by its local address (`vifc_lcl_addr`, same place) and remote address.
 */
export function encodeVifctl(
  out: Uint8Array,
  vif: {
    vifi: number;
    ifindex: number;
    threshold: number;
    localAddress?: number;
    tunnel?: { remote: number };
  },
): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_VIFCTL);
  out.fill(0, 0, SIZEOF_VIFCTL);
  v.setUint16(VIFCTL.vifc_vifi, vif.vifi, LITTLE_ENDIAN);
  v.setUint8(VIFCTL.vifc_threshold, vif.threshold);
  v.setUint32(VIFCTL.vifc_rate_limit, 0, LITTLE_ENDIAN);
  if (vif.tunnel === undefined) {
    v.setUint8(VIFCTL.vifc_flags, VIFF_USE_IFINDEX);
    v.setInt32(VIFCTL.vifc_lcl_ifindex, vif.ifindex, LITTLE_ENDIAN);
  } else {
    v.setUint8(VIFCTL.vifc_flags, VIFF_TUNNEL);
    putInAddr(v, VIFCTL.vifc_lcl_ifindex, vif.localAddress ?? 0);
    putInAddr(v, VIFCTL.vifc_rmt_addr, vif.tunnel.remote);
  }
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
  putInAddr(v, MFCCTL.mfcc_origin, mfc.source);
  putInAddr(v, MFCCTL.mfcc_mcastgrp, mfc.group);
  v.setUint16(MFCCTL.mfcc_parent, mfc.parent, LITTLE_ENDIAN);
  for (const oif of mfc.oifs) {
    if (oif.vifi < 0 || oif.vifi >= MAXVIFS) throw new RangeError(`VIF ${oif.vifi} out of range`);
    v.setUint8(MFCCTL.mfcc_ttls + oif.vifi, Math.max(1, Math.min(255, oif.ttl)));
  }
  return out.subarray(0, SIZEOF_MFCCTL);
}

/** `struct sioc_sg_req` {src @0, grp @4, pktcnt ulong @8, bytecnt ulong @16, wrong_if @24}. */
export function encodeSiocSgReq(
  out: Uint8Array,
  req: { source: number; group: number },
): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_SIOC_SG_REQ);
  out.fill(0, 0, SIZEOF_SIOC_SG_REQ);
  putInAddr(v, SIOC_SG_REQ.src, req.source);
  putInAddr(v, SIOC_SG_REQ.grp, req.group);
  return out.subarray(0, SIZEOF_SIOC_SG_REQ);
}

/** Reads the counters the kernel wrote into a `struct sioc_sg_req`. */
export function decodeSiocSgReq(
  buf: Uint8Array,
): { packets: number; bytes: number; wrongIf: number } {
  const v = new DataView(buf.buffer, buf.byteOffset, SIZEOF_SIOC_SG_REQ);
  return {
    packets: Number(v.getBigUint64(SIOC_SG_REQ.pktcnt, LITTLE_ENDIAN)),
    bytes: Number(v.getBigUint64(SIOC_SG_REQ.bytecnt, LITTLE_ENDIAN)),
    wrongIf: Number(v.getBigUint64(SIOC_SG_REQ.wrong_if, LITTLE_ENDIAN)),
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
 * The request `struct sioc_vif_req` and `struct sioc_mif_req6` share: the interface number
 * (u16) at 0, the rest zero.
 */
export function encodeVifCountRequest(out: Uint8Array, index: number): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, SIZEOF_SIOC_VIF_REQ);
  out.fill(0, 0, SIZEOF_SIOC_VIF_REQ);
  v.setUint16(SIOC_VIF_REQ.vifi, index, LITTLE_ENDIAN);
  return out.subarray(0, SIZEOF_SIOC_VIF_REQ);
}

/** The four `unsigned long` counters both structs share, at 8, 16, 24 and 32. */
export function decodeVifCounters(buf: Uint8Array): SiocVifCounters {
  const v = new DataView(buf.buffer, buf.byteOffset, SIZEOF_SIOC_VIF_REQ);
  return {
    packetsIn: Number(v.getBigUint64(SIOC_VIF_REQ.icount, LITTLE_ENDIAN)),
    packetsOut: Number(v.getBigUint64(SIOC_VIF_REQ.ocount, LITTLE_ENDIAN)),
    bytesIn: Number(v.getBigUint64(SIOC_VIF_REQ.ibytes, LITTLE_ENDIAN)),
    bytesOut: Number(v.getBigUint64(SIOC_VIF_REQ.obytes, LITTLE_ENDIAN)),
  };
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
  if (length < SIZEOF_IGMPMSG || buf[IGMPMSG.im_mbz] !== 0) return undefined;
  const v = new DataView(buf.buffer, buf.byteOffset, length);
  return {
    msgtype: buf[IGMPMSG.im_msgtype],
    vif: buf[IGMPMSG.im_vif] | (buf[IGMPMSG.im_vif_hi] << 8),
    source: getInAddr(v, IGMPMSG.im_src),
    group: getInAddr(v, IGMPMSG.im_dst),
  };
}
