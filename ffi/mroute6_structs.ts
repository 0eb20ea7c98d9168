/**
 * The structs of the IPv6 multicast routing API (`<linux/mroute6.h>`, `<netinet/icmp6.h>`) for
 * Linux x86_64/aarch64: `mif6ctl` and `mf6cctl` (MRT6_ADD_MIF, MRT6_ADD_MFC), the counters of
 * SIOCGETSGCNT_IN6 and SIOCGETMIFCNT_IN6, the `mrt6msg` upcall and the ICMPv6 type filter.
 * Pure: no FFI here; `layout_c_test.ts` compares every size and offset with the C headers, and
 * they were checked against a running kernel (MRT6_ADD_MIF/MFC read back from
 * /proc/net/ip6_mr_*).
 *
 * IPv6 addresses are 16-byte `Uint8Array`s in network order; every other integer host order.
 *
 * @module
 */

import { MAXMIFS } from "./linux_constants.ts";
import {
  decodeVifCounters,
  encodeVifCountRequest,
  type SiocVifCounters,
} from "./mroute_structs.ts";
import { checkIn6Addr, LITTLE_ENDIAN, putSockaddrIn6, SIZEOF_IN6_ADDR } from "./socket_structs.ts";

/** sizeof(struct mif6ctl): MRT6_ADD_MIF's optlen (shorter is EINVAL; longer is accepted). */
export const SIZEOF_MIF6CTL = 12;
/** `struct mif6ctl` offsets (2 bytes of padding before `vifc_rate_limit`). */
export const MIF6CTL = Object.freeze({
  mif6c_mifi: 0,
  mif6c_flags: 2,
  vifc_threshold: 3,
  mif6c_pifi: 4,
  vifc_rate_limit: 8,
});

/** sizeof(mifi_t): what MRT6_DEL_MIF reads. */
export const SIZEOF_MIFI = 2;

/** sizeof(struct mf6cctl): MRT6_ADD/DEL_MFC's optlen (shorter is EINVAL; longer is accepted). */
export const SIZEOF_MF6CCTL = 92;
/** `struct mf6cctl` offsets: two `sockaddr_in6`, the parent, the MIF set (8 × u32). */
export const MF6CCTL = Object.freeze({
  mf6cc_origin: 0,
  mf6cc_mcastgrp: 28,
  mf6cc_parent: 56,
  mf6cc_ifset: 60,
});

/** sizeof(struct sioc_sg_req6): two sockaddr_in6, 0 bytes of padding, three `unsigned long`. */
export const SIZEOF_SIOC_SG_REQ6 = 80;
/** `struct sioc_sg_req6` offsets. */
export const SIOC_SG_REQ6 = Object.freeze({
  src: 0,
  grp: 28,
  pktcnt: 56,
  bytecnt: 64,
  wrong_if: 72,
});

/** sizeof(struct sioc_mif_req6): a `mifi_t` (u16), 6 bytes of padding, four `unsigned long`. */
export const SIZEOF_SIOC_MIF_REQ6 = 40;
/** `struct sioc_mif_req6` offsets: those of `struct sioc_vif_req`. */
export const SIOC_MIF_REQ6 = Object.freeze({
  mifi: 0,
  icount: 8,
  ocount: 16,
  ibytes: 24,
  obytes: 32,
});

/** sizeof(struct mrt6msg): the meaningful head of an IPv6 upcall. */
export const SIZEOF_MRT6MSG = 40;
/** `struct mrt6msg` offsets: `im6_mbz` overlays the ICMPv6 type byte. */
export const MRT6MSG = Object.freeze({
  im6_mbz: 0,
  im6_msgtype: 1,
  im6_mif: 2,
  im6_pad: 4,
  im6_src: 8,
  im6_dst: 24,
});

/** sizeof(struct icmp6_filter). */
export const SIZEOF_ICMP6_FILTER = 32;

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
  v.setUint16(MIF6CTL.mif6c_mifi, mif.mifi, LITTLE_ENDIAN);
  v.setUint8(MIF6CTL.mif6c_flags, mif.flags ?? 0);
  v.setUint8(MIF6CTL.vifc_threshold, mif.threshold);
  v.setUint16(MIF6CTL.mif6c_pifi, mif.ifindex, LITTLE_ENDIAN);
  v.setUint32(MIF6CTL.vifc_rate_limit, 0, LITTLE_ENDIAN);
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
  putSockaddrIn6(v, MF6CCTL.mf6cc_origin, { address: mfc.source, scopeId: 0 });
  putSockaddrIn6(v, MF6CCTL.mf6cc_mcastgrp, { address: mfc.group, scopeId: 0 });
  v.setUint16(MF6CCTL.mf6cc_parent, mfc.parent, LITTLE_ENDIAN);
  for (const mif of mfc.oifs) {
    if (!Number.isInteger(mif) || mif < 0 || mif >= MAXMIFS) {
      throw new RangeError(`MIF ${mif} out of range`);
    }
    const word = MF6CCTL.mf6cc_ifset + 4 * (mif >> 5);
    v.setUint32(word, (v.getUint32(word, LITTLE_ENDIAN) | (1 << (mif & 31))) >>> 0, LITTLE_ENDIAN);
  }
  return out.subarray(0, SIZEOF_MF6CCTL);
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
  putSockaddrIn6(v, SIOC_SG_REQ6.src, { address: req.source, scopeId: 0 });
  putSockaddrIn6(v, SIOC_SG_REQ6.grp, { address: req.group, scopeId: 0 });
  return out.subarray(0, SIZEOF_SIOC_SG_REQ6);
}

/** Reads the counters the kernel wrote into a `struct sioc_sg_req6`. */
export function decodeSiocSgReq6(
  buf: Uint8Array,
): { packets: number; bytes: number; wrongIf: number } {
  const v = new DataView(buf.buffer, buf.byteOffset, SIZEOF_SIOC_SG_REQ6);
  return {
    packets: Number(v.getBigUint64(SIOC_SG_REQ6.pktcnt, LITTLE_ENDIAN)),
    bytes: Number(v.getBigUint64(SIOC_SG_REQ6.bytecnt, LITTLE_ENDIAN)),
    wrongIf: Number(v.getBigUint64(SIOC_SG_REQ6.wrong_if, LITTLE_ENDIAN)),
  };
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
  if (length < SIZEOF_MRT6MSG || buf.byteLength < SIZEOF_MRT6MSG || buf[MRT6MSG.im6_mbz] !== 0) {
    return undefined;
  }
  const mif = MRT6MSG.im6_mif;
  return {
    msgtype: buf[MRT6MSG.im6_msgtype],
    mif: buf[mif] | (buf[mif + 1] << 8),
    source: buf.slice(MRT6MSG.im6_src, MRT6MSG.im6_src + SIZEOF_IN6_ADDR),
    group: buf.slice(MRT6MSG.im6_dst, MRT6MSG.im6_dst + SIZEOF_IN6_ADDR),
  };
}
