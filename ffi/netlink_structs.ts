/**
 * Interface and address structs for Linux x86_64/aarch64: what rtnetlink speaks
 * (`<linux/netlink.h>`, `<linux/rtnetlink.h>`, `<linux/if_addr.h>`: `sockaddr_nl`, `nlmsghdr`,
 * `ifaddrmsg`, `rtattr`) and the list getifaddrs(3) returns (`<ifaddrs.h>`). Pure: no FFI here;
 * `layout_c_test.ts` compares every size and offset with the C headers.
 *
 * @module
 */

import {
  AF_NETLINK,
  IFA_ADDRESS,
  IFA_FLAGS,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  RTM_GETADDR,
  RTM_NEWADDR,
} from "./linux_constants.ts";
import { LITTLE_ENDIAN } from "./socket_structs.ts";

/** sizeof(struct sockaddr_nl). */
export const SIZEOF_SOCKADDR_NL = 12;
/** `struct sockaddr_nl` offsets. */
export const SOCKADDR_NL = Object.freeze({ nl_family: 0, nl_pad: 2, nl_pid: 4, nl_groups: 8 });

/** sizeof(struct nlmsghdr). */
export const SIZEOF_NLMSGHDR = 16;
/** `struct nlmsghdr` offsets; messages start at multiples of 4 (NLMSG_ALIGN). */
export const NLMSGHDR = Object.freeze({
  nlmsg_len: 0,
  nlmsg_type: 4,
  nlmsg_flags: 6,
  nlmsg_seq: 8,
  nlmsg_pid: 12,
});

/** sizeof(struct ifaddrmsg). */
export const SIZEOF_IFADDRMSG = 8;
/** `struct ifaddrmsg` offsets. */
export const IFADDRMSG = Object.freeze({
  ifa_family: 0,
  ifa_prefixlen: 1,
  ifa_flags: 2,
  ifa_scope: 3,
  ifa_index: 4,
});

/** sizeof(struct rtattr): the header of an attribute, its data right after. */
export const SIZEOF_RTATTR = 4;
/** `struct rtattr` offsets; attributes start at multiples of 4 (RTA_ALIGN). */
export const RTATTR = Object.freeze({ rta_len: 0, rta_type: 2 });

/** An RTM_GETADDR dump request: a `nlmsghdr` and an `ifaddrmsg`. */
export const SIZEOF_GETADDR_REQUEST = SIZEOF_NLMSGHDR + SIZEOF_IFADDRMSG;

/**
 * `struct ifaddrs` offsets (`<ifaddrs.h>`): the next entry, the name, the IFF_* flags, the
 * address and the netmask (pointers to a `sockaddr` of the entry's family, or null).
 */
export const IFADDRS = Object.freeze({
  ifa_next: 0,
  ifa_name: 8,
  ifa_flags: 16,
  ifa_addr: 24,
  ifa_netmask: 32,
});

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
  v.setUint16(SOCKADDR_NL.nl_family, AF_NETLINK, LITTLE_ENDIAN);
  v.setUint32(SOCKADDR_NL.nl_pid, addr.pid ?? 0, LITTLE_ENDIAN);
  v.setUint32(SOCKADDR_NL.nl_groups, addr.groups >>> 0, LITTLE_ENDIAN);
  return out.subarray(0, SIZEOF_SOCKADDR_NL);
}

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
  v.setUint32(NLMSGHDR.nlmsg_len, SIZEOF_GETADDR_REQUEST, LITTLE_ENDIAN);
  v.setUint16(NLMSGHDR.nlmsg_type, RTM_GETADDR, LITTLE_ENDIAN);
  v.setUint16(NLMSGHDR.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP, LITTLE_ENDIAN);
  v.setUint32(NLMSGHDR.nlmsg_seq, req.seq >>> 0, LITTLE_ENDIAN);
  out[SIZEOF_NLMSGHDR + IFADDRMSG.ifa_family] = req.family;
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
    const len = v.getUint32(off + NLMSGHDR.nlmsg_len, LITTLE_ENDIAN);
    if (len < SIZEOF_NLMSGHDR || off + len > end) break;
    const type = v.getUint16(off + NLMSGHDR.nlmsg_type, LITTLE_ENDIAN);
    if (v.getUint32(off + NLMSGHDR.nlmsg_seq, LITTLE_ENDIAN) === (seq >>> 0)) {
      if (type === NLMSG_DONE) chunk.done = true;
      else if (type === NLMSG_ERROR && len >= SIZEOF_NLMSGHDR + 4) {
        // struct nlmsgerr: a negative errno first.
        chunk.error = -v.getInt32(off + SIZEOF_NLMSGHDR, LITTLE_ENDIAN);
        chunk.done = true;
      } else if (type === RTM_NEWADDR && len >= SIZEOF_NLMSGHDR + SIZEOF_IFADDRMSG) {
        chunk.addresses.push(decodeNewAddr(buf, v, { offset: off, length: len }));
      }
    }
    off += (len + 3) & ~3;
  }
  return chunk;
}

/** One RTM_NEWADDR message at `msg.offset`: its `ifaddrmsg`, then its attributes. */
function decodeNewAddr(
  buf: Uint8Array,
  v: DataView,
  msg: { offset: number; length: number },
): NetlinkAddress {
  const m = msg.offset + SIZEOF_NLMSGHDR;
  const end = msg.offset + msg.length;
  const a: NetlinkAddress = {
    family: v.getUint8(m + IFADDRMSG.ifa_family),
    prefixLength: v.getUint8(m + IFADDRMSG.ifa_prefixlen),
    flags: v.getUint8(m + IFADDRMSG.ifa_flags),
    index: v.getUint32(m + IFADDRMSG.ifa_index, LITTLE_ENDIAN),
    address: new Uint8Array(0),
  };
  for (let at = m + SIZEOF_IFADDRMSG; at + SIZEOF_RTATTR <= end;) {
    const alen = v.getUint16(at + RTATTR.rta_len, LITTLE_ENDIAN);
    if (alen < SIZEOF_RTATTR || at + alen > end) break;
    const atype = v.getUint16(at + RTATTR.rta_type, LITTLE_ENDIAN);
    if (atype === IFA_ADDRESS) a.address = buf.slice(at + SIZEOF_RTATTR, at + alen);
    if (atype === IFA_FLAGS && alen >= 8) {
      a.flags = v.getUint32(at + SIZEOF_RTATTR, LITTLE_ENDIAN);
    }
    at += (alen + 3) & ~3;
  }
  return a;
}
