/**
 * What mrinfo does, for the lab (`igmp_tool.ts ask-neighbors`): an Ask Neighbors2 (DVMRP, IGMP
 * type 0x13 code 5) sent as unicast to a router from a raw IGMP socket, and the Neighbors2
 * (code 6) it answers with, decoded by the daemon's own decoder (`src/proto/dvmrp.ts`).
 *
 * The question goes without IP options, as mrinfo sends it: the socket sets no IP_OPTIONS. With
 * a Router Alert, a Linux router on the way that runs a multicast routing daemon would hand it
 * to that daemon instead of forwarding it (`ip_forward` → `ip_call_ra_chain`).
 *
 * A reply is taken, as mrinfo takes it, when it comes from the address asked or lists that
 * address as one of its interfaces' (a router answers from the address of the interface the
 * question came in on). Everything else the socket reads (queries, reports, our own question
 * looped back) is skipped.
 *
 * @module
 */

import { errnoName } from "../../ffi/errno.ts";
import { type Libc, readErrno } from "../../ffi/libc.ts";
import {
  AF_INET,
  IPPROTO_IGMP,
  POLLIN,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_SOCKET,
} from "../../ffi/linux_constants.ts";
import { Receiver } from "../../ffi/receiver.ts";
import { encodeSockaddrIn, SIZEOF_SOCKADDR_IN } from "../../ffi/socket_structs.ts";
import { formatIPv4 } from "../../src/proto/addr.ts";
import {
  decodeDvmrp,
  type DvmrpCapabilities,
  type DvmrpNeighbors2,
  type DvmrpVifFlags,
} from "../../src/proto/dvmrp.ts";
import { encodeAskNeighbors2 } from "../../src/proto/dvmrp_encode.ts";
import { decodeIPv4Header } from "../../src/proto/ipv4.ts";

/** `<asm-generic/socket.h>`: bind a socket to an interface by name. */
const SO_BINDTODEVICE = 25;
/** How long one `poll` waits at most. */
const POLL_MS = 200;
/** Largest packet read: an IP header with options and a DVMRP message of 576 bytes at most. */
const RECV_BUFFER_SIZE = 2048;

/** One interface of a Neighbors2 reply, addresses as text. */
export interface Neighbors2Vif {
  /** The router's address on the interface. */
  localAddress: string;
  /** The interface's metric. */
  metric: number;
  /** The interface's TTL threshold. */
  threshold: number;
  /** The interface's flags. */
  flags: DvmrpVifFlags;
  /** Its neighbors; `0.0.0.0` alone for none. */
  neighbors: string[];
}

/** A Neighbors2 as the tool prints it (the `neighbors2` event's fields). */
export interface Neighbors2Reply {
  /** The reply's IP source. */
  from: string;
  /** The reply's IP destination. */
  to: string;
  /** Whether its IP header carried a Router Alert. */
  routerAlert: boolean;
  /** The router's DVMRP version, `major.minor`: `3.255`. */
  version: string;
  /** The capabilities in its header. */
  capabilities: DvmrpCapabilities;
  /** The interface entries in wire order. */
  vifs: Neighbors2Vif[];
}

/** A decoded Neighbors2 with its addresses as text. */
export function neighbors2Json(
  m: DvmrpNeighbors2,
  ip: { from: number; to: number; routerAlert: boolean },
): Neighbors2Reply {
  return {
    from: formatIPv4(ip.from),
    to: formatIPv4(ip.to),
    routerAlert: ip.routerAlert,
    version: `${m.majorVersion}.${m.minorVersion}`,
    capabilities: m.capabilities,
    vifs: m.vifs.map((v) => ({
      localAddress: formatIPv4(v.localAddress),
      metric: v.metric,
      threshold: v.threshold,
      flags: v.flags,
      neighbors: v.neighbors.map(formatIPv4),
    })),
  };
}

/**
 * The Neighbors2 reply of `router` in an IP packet read from a raw IGMP socket (its first
 * `length` bytes), or undefined for anything else: another protocol or IGMP type, another DVMRP
 * code, a bad header or checksum, a Neighbors2 of another router.
 */
export function neighbors2ReplyOf(
  packet: Uint8Array,
  length: number,
  router: number,
): Neighbors2Reply | undefined {
  const ip = decodeIPv4Header(packet, length);
  if (!ip.ok || ip.value.protocol !== IPPROTO_IGMP) return undefined;
  const { headerLength, totalLength, source, destination, hasRouterAlert } = ip.value;
  const decoded = decodeDvmrp(packet, headerLength, totalLength - headerLength);
  if (!decoded.ok || decoded.value.type !== "neighbors2") return undefined;
  const m = decoded.value;
  if (source !== router && !m.vifs.some((v) => v.localAddress === router)) return undefined;
  return neighbors2Json(m, { from: source, to: destination, routerAlert: hasRouterAlert });
}

/** Where {@link askNeighbors2} asks from and whom. */
export interface AskOptions {
  /**
   * The interface the socket is bound to (SO_BINDTODEVICE), for a router on that link only.
   * Linux routes an IGMP packet with an output interface as if its destination were on that
   * link (`ip_route_output_key_hash_rcu`: no routing table lookup for IPPROTO_IGMP with an oif),
   * so a router further away would be asked for by ARP on the link, and never reached.
   */
  iface?: string;
  /** The address it is bound to: the question's source. */
  source: number;
  /** The router asked (unicast). */
  router: number;
  /** How long to wait for the reply. */
  timeoutMs: number;
}

/**
 * Sends one Ask Neighbors2 to `opts.router` (no IP options: no Router Alert) from a raw IGMP
 * socket bound to `opts.source` (and `opts.iface` when given), and resolves with the router's
 * Neighbors2, or undefined when none came within
 * `opts.timeoutMs`. `onSent` is called once the question is out. Throws an Error naming the
 * call and errno when the socket cannot be opened or the question sent.
 */
export async function askNeighbors2(
  libc: Libc,
  opts: AskOptions,
  onSent?: () => void,
): Promise<Neighbors2Reply | undefined> {
  const s = libc.symbols;
  const fail = (what: string): never => {
    throw new Error(`Cannot ${what}: ${errnoName(readErrno(libc))}`);
  };
  const fd = s.socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IGMP);
  if (fd < 0) fail("open a raw IGMP socket");
  try {
    if (opts.iface !== undefined) {
      const name = new TextEncoder().encode(opts.iface + "\0");
      if (s.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length) < 0) {
        fail(`bind the socket to "${opts.iface}" (SO_BINDTODEVICE)`);
      }
    }
    const sockaddr = new Uint8Array(SIZEOF_SOCKADDR_IN);
    encodeSockaddrIn(sockaddr, opts.source);
    if (s.bind(fd, sockaddr, SIZEOF_SOCKADDR_IN) < 0) {
      fail(`bind the socket to ${formatIPv4(opts.source)}`);
    }
    const ask = encodeAskNeighbors2();
    encodeSockaddrIn(sockaddr, opts.router);
    if (Number(s.sendto(fd, ask, BigInt(ask.length), 0, sockaddr, SIZEOF_SOCKADDR_IN)) < 0) {
      fail(`send an Ask Neighbors2 to ${formatIPv4(opts.router)}`);
    }
    onSent?.();
    return await awaitReply(libc, fd, opts);
  } finally {
    s.close(fd);
  }
}

/** Reads the socket until the router's Neighbors2 comes or the time is up. */
async function awaitReply(
  libc: Libc,
  fd: number,
  opts: AskOptions,
): Promise<Neighbors2Reply | undefined> {
  const receiver = new Receiver({ data: RECV_BUFFER_SIZE, control: 64 });
  const pollfd = new Uint8Array(8);
  const v = new DataView(pollfd.buffer);
  v.setInt32(0, fd, true);
  v.setInt16(4, POLLIN, true);
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    for (let n = receiver.receive(libc, fd); n !== undefined; n = receiver.receive(libc, fd)) {
      const reply = neighbors2ReplyOf(receiver.data, n, opts.router);
      if (reply !== undefined) return reply;
    }
    const left = deadline - performance.now();
    if (left <= 0) return undefined;
    v.setInt16(6, 0, true);
    // errno of a non-blocking call is another thread's: a failed poll is simply polled again.
    await libc.symbols.poll(pollfd, 1n, Math.ceil(Math.min(left, POLL_MS)));
  }
}
