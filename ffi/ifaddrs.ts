/**
 * The interfaces and their addresses: getifaddrs(3) for the list, and an RTM_GETADDR dump on a
 * netlink socket for what getifaddrs does not tell, whether an IPv6 address is still tentative
 * (duplicate address detection running) or failed it.
 *
 * @module
 */

import type { SystemInterface } from "../src/runtime/sys.ts";
import { checkCall } from "./errno.ts";
import type { Libc } from "./libc.ts";
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  IFA_F_DADFAILED,
  IFA_F_TENTATIVE,
  IFF_LOOPBACK,
  IFF_MULTICAST,
  IFF_RUNNING,
  IFF_UP,
  NETLINK_ROUTE,
  SO_RCVTIMEO,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_SOCKET,
} from "./linux_constants.ts";
import {
  decodeAddrDump,
  encodeGetAddrRequest,
  encodeSockaddrNl,
  IFADDRS,
  SIZEOF_GETADDR_REQUEST,
  SIZEOF_SOCKADDR_NL,
} from "./netlink_structs.ts";
import {
  getInAddr,
  SIZEOF_IN6_ADDR,
  SIZEOF_TIMEVAL,
  SOCKADDR_IN,
  SOCKADDR_IN6,
} from "./socket_structs.ts";

/** A dump reply is read in datagrams of at most this size. */
const NETLINK_BUFFER_SIZE = 8192;
/** At most this many datagrams of a dump reply are read. */
const NETLINK_BATCH = 256;
/** Sequence numbers of the dumps, so that a late reply to an earlier one is not taken. */
let dumpSeq = 0;

/**
 * Lists interfaces and their addresses with getifaddrs(3); IPv6 addresses whose duplicate
 * address detection has not completed (or failed) are marked tentative, from an RTM_GETADDR
 * dump, since getifaddrs does not tell. Interfaces without an index are left out. Throws
 * `SysError` (getifaddrs).
 */
export function listInterfaces(libc: Libc): SystemInterface[] {
  const notReady = ipv6NotReady(libc);
  const out = new BigUint64Array(1);
  checkCall(libc, libc.symbols.getifaddrs(new Uint8Array(out.buffer)), { call: "getifaddrs" });
  const head = Deno.UnsafePointer.create(out[0]);
  const byName = new Map<string, SystemInterface>();
  try {
    for (let p = head; p !== null;) {
      const ifa = new Deno.UnsafePointerView(p);
      const iface = interfaceOf(libc, { ifa, byName });
      addAddress(iface, { ifa, notReady });
      p = ifa.getPointer(IFADDRS.ifa_next);
    }
  } finally {
    libc.symbols.freeifaddrs(head);
  }
  return [...byName.values()].filter((i) => i.index > 0);
}

/** The interface an `ifaddrs` entry belongs to: the one of its name, new for the first entry. */
function interfaceOf(
  libc: Libc,
  entry: { ifa: Deno.UnsafePointerView; byName: Map<string, SystemInterface> },
): SystemInterface {
  const namePtr = entry.ifa.getPointer(IFADDRS.ifa_name);
  const name = namePtr === null ? "" : Deno.UnsafePointerView.getCString(namePtr);
  const known = entry.byName.get(name);
  if (known !== undefined) return known;
  const flags = entry.ifa.getUint32(IFADDRS.ifa_flags);
  const iface: SystemInterface = {
    name,
    index: libc.symbols.if_nametoindex(new TextEncoder().encode(name + "\0")),
    up: (flags & IFF_UP) !== 0,
    running: (flags & IFF_RUNNING) !== 0,
    multicast: (flags & IFF_MULTICAST) !== 0,
    loopback: (flags & IFF_LOOPBACK) !== 0,
    ipv4: [],
    ipv6: [],
  };
  entry.byName.set(name, iface);
  return iface;
}

/**
 * Adds the address of an `ifaddrs` entry, if it has one of ours (AF_INET, AF_INET6), with the
 * prefix length its netmask gives (the whole address without one).
 */
function addAddress(
  iface: SystemInterface,
  entry: { ifa: Deno.UnsafePointerView; notReady: Set<string> },
): void {
  const addr = entry.ifa.getPointer(IFADDRS.ifa_addr);
  const mask = entry.ifa.getPointer(IFADDRS.ifa_netmask);
  if (addr === null) return;
  const family = new Deno.UnsafePointerView(addr).getUint16(0);
  if (family === AF_INET) {
    const address = inAddrAt(addr);
    const prefixLength = mask === null ? 32 : 32 - countTrailingZeros(inAddrAt(mask));
    iface.ipv4.push({ address, prefixLength });
  } else if (family === AF_INET6) {
    const address = in6AddrAt(addr).slice();
    const prefixLength = mask === null
      ? 128
      : in6AddrAt(mask).reduce((n, byte) => n + popcount8(byte), 0);
    const tentative = entry.notReady.has(`${iface.index}/${address.join(".")}`);
    iface.ipv6.push({ address, prefixLength, ...(tentative ? { tentative } : {}) });
  }
}

/** The address of a `struct sockaddr_in` the C library owns. */
function inAddrAt(sockaddr: Deno.PointerObject): number {
  const bytes = Deno.UnsafePointerView.getArrayBuffer(sockaddr, SOCKADDR_IN.sin_addr + 4);
  return getInAddr(new DataView(bytes), SOCKADDR_IN.sin_addr);
}

/** The address of a `struct sockaddr_in6` the C library owns, as a view of its memory. */
function in6AddrAt(sockaddr: Deno.PointerObject): Uint8Array {
  const at = SOCKADDR_IN6.sin6_addr;
  return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(sockaddr, SIZEOF_IN6_ADDR, at));
}

/**
 * The IPv6 addresses that are tentative or failed duplicate address detection, as
 * `ifindex/bytes`, from an RTM_GETADDR dump on a netlink socket of its own (with a 1 s receive
 * timeout, so a kernel that does not answer cannot hang the daemon). Empty when the dump fails:
 * every address then counts as ready, as getifaddrs alone would have it.
 */
function ipv6NotReady(libc: Libc): Set<string> {
  const s = libc.symbols;
  const found = new Set<string>();
  const fd = s.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return found;
  try {
    const timeout = new BigInt64Array([1n, 0n]); // struct timeval {tv_sec, tv_usec}
    const optval = new Uint8Array(timeout.buffer);
    if (s.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, optval, SIZEOF_TIMEVAL) < 0) {
      return found;
    }
    const seq = (dumpSeq = (dumpSeq + 1) >>> 0);
    const req = encodeGetAddrRequest(new Uint8Array(SIZEOF_GETADDR_REQUEST), {
      family: AF_INET6,
      seq,
    });
    const to = encodeSockaddrNl(new Uint8Array(SIZEOF_SOCKADDR_NL), { groups: 0 });
    if (s.sendto(fd, req, BigInt(req.byteLength), 0, to, SIZEOF_SOCKADDR_NL) < 0) return found;
    const buf = new Uint8Array(NETLINK_BUFFER_SIZE);
    for (let i = 0; i < NETLINK_BATCH; i++) {
      const n = Number(s.recv(fd, buf, BigInt(NETLINK_BUFFER_SIZE), 0));
      if (n <= 0) break;
      const chunk = decodeAddrDump(buf, n, seq);
      for (const a of chunk.addresses) {
        if ((a.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) !== 0) {
          found.add(`${a.index}/${a.address.join(".")}`);
        }
      }
      if (chunk.done) break;
    }
  } finally {
    s.close(fd);
  }
  return found;
}

function popcount8(b: number): number {
  let n = 0;
  for (let x = b; x !== 0; x &= x - 1) n++;
  return n;
}

function countTrailingZeros(x: number): number {
  if (x === 0) return 32;
  return 31 - Math.clz32(x & -x);
}
