/**
 * The IPv6 half of the Linux OS port: the raw ICMPv6 socket that holds the kernel's IPv6
 * multicast routing table (MRT6_INIT), its MIFs and forwarding cache, MLD in and out, and the
 * upstream IPv6 memberships. `sys_linux.ts` serves it to the daemon as the `Sys6` half.
 *
 * Addresses are 16-byte arrays in network order. As in `sys_linux.ts`, every call whose errno
 * matters is synchronous, and buffers handed to the kernel by pointer are fields.
 *
 * @module
 */

import { SysError } from "./errno.ts";
import { type Libc, pointerValue, readErrno } from "./libc.ts";
import {
  AF_INET6,
  ICMP6_FILTER,
  IPPROTO_ICMPV6,
  IPPROTO_IPV6,
  IPV6_ADD_MEMBERSHIP,
  IPV6_DROP_MEMBERSHIP,
  IPV6_HOPOPTS,
  IPV6_HOPOPTS_RA_BYTES,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVHOPOPTS,
  IPV6_RECVPKTINFO,
  MRT6_ADD_MFC,
  MRT6_ADD_MIF,
  MRT6_DEL_MFC,
  MRT6_DEL_MIF,
  MRT6_DONE,
  MRT6_INIT,
  SIOCGETMIFCNT_IN6,
  SIOCGETSGCNT_IN6,
  SOCK_CLOEXEC,
  SOCK_RAW,
} from "./linux_constants.ts";
import {
  decodeMrt6msg,
  decodeSiocMifReq6,
  decodeSiocSgReq6,
  encodeIcmp6Filter,
  encodeIn6PktinfoCmsg,
  encodeIpv6Mreq,
  encodeMf6cctl,
  encodeMif6ctl,
  encodeMifi,
  encodeSiocMifReq6,
  encodeSiocSgReq6,
  encodeSockaddrIn6,
  findHopByHopRouterAlert,
  findHopLimit,
  findIn6Pktinfo,
  MSGHDR,
  SIZEOF_IN6_PKTINFO_CMSG,
  SIZEOF_IOVEC,
  SIZEOF_IPV6_MREQ,
  SIZEOF_MF6CCTL,
  SIZEOF_MIF6CTL,
  SIZEOF_MIFI,
  SIZEOF_MSGHDR,
  SIZEOF_SIOC_MIF_REQ6,
  SIZEOF_SIOC_SG_REQ6,
  SIZEOF_SOCKADDR_IN6,
} from "./linux_structs.ts";
import { MembershipPool } from "./membership_pool.ts";
import { Receiver } from "./receiver.ts";
import { raiseReceiveBuffer, setSockOpt, setSockOptInt } from "./sockopt.ts";
import type { Received6, SgCount, VifCount } from "../src/runtime/sys.ts";

/** ICMPv6 types let through the socket's filter: MLD query, v1 report, done, v2 report. */
const MLD_TYPES = [130, 131, 132, 143];
const RECV_BUFFER_SIZE = 65536;
const CONTROL_BUFFER_SIZE = 512;

/** An (S,G) entry of the IPv6 forwarding cache. */
export interface Mfc6Spec {
  /** Source address. */
  source: Uint8Array;
  /** Group address. */
  group: Uint8Array;
  /** Incoming MIF. */
  parent: number;
  /** Outgoing MIFs (IPv6 has no per-MIF TTL threshold in the cache). */
  oifs: readonly number[];
}

/** The IPv6 multicast routing socket and what goes with it. */
export class LinuxMrt6 {
  readonly #libc: Libc;
  #fd = -1;
  readonly #pool: MembershipPool;
  readonly #receiver = new Receiver({
    data: RECV_BUFFER_SIZE,
    control: CONTROL_BUFFER_SIZE,
    name: SIZEOF_SOCKADDR_IN6,
  });
  readonly #int = new Uint8Array(4);
  readonly #mif6ctl = new Uint8Array(SIZEOF_MIF6CTL);
  readonly #mifi = new Uint8Array(SIZEOF_MIFI);
  readonly #mf6cctl = new Uint8Array(SIZEOF_MF6CCTL);
  readonly #mreq = new Uint8Array(SIZEOF_IPV6_MREQ);
  readonly #sockaddr = new Uint8Array(SIZEOF_SOCKADDR_IN6);
  readonly #sgreq = new Uint8Array(SIZEOF_SIOC_SG_REQ6);
  readonly #mifreq = new Uint8Array(SIZEOF_SIOC_MIF_REQ6);
  /** sendmsg's msghdr, iovec and IPV6_PKTINFO cmsg (the source address of what is sent). */
  readonly #sendMsghdr = new Uint8Array(SIZEOF_MSGHDR);
  readonly #sendIov = new Uint8Array(SIZEOF_IOVEC);
  readonly #sendControl = new Uint8Array(SIZEOF_IN6_PKTINFO_CMSG);

  /** Wraps an opened libc; nothing is opened until {@link init}. */
  constructor(libc: Libc) {
    this.#libc = libc;
    this.#pool = new MembershipPool(libc, {
      domain: AF_INET6,
      level: IPPROTO_IPV6,
      add: { option: IPV6_ADD_MEMBERSHIP, name: "IPV6_ADD_MEMBERSHIP" },
      drop: { option: IPV6_DROP_MEMBERSHIP, name: "IPV6_DROP_MEMBERSHIP" },
    });
  }

  /** The socket, for a poll set; -1 before {@link init} and after {@link close}. */
  get fd(): number {
    return this.#fd;
  }

  #fail(call: string, op: string): never {
    throw new SysError(call, op, readErrno(this.#libc));
  }

  #setOpt(level: number, option: number, bytes: Uint8Array, name: string): void {
    setSockOpt(this.#libc, this.#fd, { level, option, name }, bytes);
  }

  #setInt(level: number, option: number, value: number, name: string): void {
    setSockOptInt(this.#libc, this.#fd, { level, option, name }, value);
  }

  /**
   * Opens the raw ICMPv6 socket and takes the kernel table (MRT6_INIT), then asks for the
   * arrival interface, hop limit and hop-by-hop header of what it receives, lets only MLD
   * through, and sets what queries need: hop limit 1, no loop, Router Alert. Needs root (or
   * CAP_NET_ADMIN and CAP_NET_RAW). Throws {@link SysError}.
   */
  init(): void {
    const fd = this.#libc.symbols.socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (fd < 0) this.#fail("socket", "AF_INET6, SOCK_RAW, IPPROTO_ICMPV6");
    this.#fd = fd;
    this.#setInt(IPPROTO_IPV6, MRT6_INIT, 1, "MRT6_INIT");
    this.#setInt(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
    this.#setInt(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
    this.#setInt(IPPROTO_IPV6, IPV6_RECVHOPOPTS, 1, "IPV6_RECVHOPOPTS");
    this.#setInt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 1, "IPV6_MULTICAST_HOPS");
    this.#setInt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");
    this.#setOpt(IPPROTO_IPV6, IPV6_HOPOPTS, IPV6_HOPOPTS_RA_BYTES as Uint8Array, "IPV6_HOPOPTS");
    this.#setOpt(IPPROTO_ICMPV6, ICMP6_FILTER, encodeIcmp6Filter(MLD_TYPES), "ICMP6_FILTER");
    raiseReceiveBuffer(this.#libc, fd);
  }

  /** Drops every membership, releases the kernel table (MIFs and cache go with it). Never throws. */
  close(): void {
    this.#pool.close();
    if (this.#fd < 0) return;
    new DataView(this.#int.buffer).setInt32(0, 1, true);
    this.#libc.symbols.setsockopt(this.#fd, IPPROTO_IPV6, MRT6_DONE, this.#int, 4);
    this.#libc.symbols.close(this.#fd);
    this.#fd = -1;
  }

  /** MRT6_ADD_MIF for an interface. */
  addMif(mif: { mifi: number; ifindex: number }): void {
    const bytes = encodeMif6ctl(this.#mif6ctl, { ...mif, threshold: 1 });
    this.#setOpt(IPPROTO_IPV6, MRT6_ADD_MIF, bytes, "MRT6_ADD_MIF");
  }

  /** MRT6_DEL_MIF (the kernel reads a bare mifi_t). */
  delMif(mifi: number): void {
    this.#setOpt(IPPROTO_IPV6, MRT6_DEL_MIF, encodeMifi(this.#mifi, mifi), "MRT6_DEL_MIF");
  }

  /** MRT6_ADD_MFC (adds, or updates in place). */
  addMfc(mfc: Mfc6Spec): void {
    this.#setOpt(IPPROTO_IPV6, MRT6_ADD_MFC, encodeMf6cctl(this.#mf6cctl, mfc), "MRT6_ADD_MFC");
  }

  /** MRT6_DEL_MFC. */
  delMfc(source: Uint8Array, group: Uint8Array): void {
    const bytes = encodeMf6cctl(this.#mf6cctl, { source, group, parent: 0, oifs: [] });
    this.#setOpt(IPPROTO_IPV6, MRT6_DEL_MFC, bytes, "MRT6_DEL_MFC");
  }

  /** SIOCGETSGCNT_IN6: an entry's counters. */
  sgCount(source: Uint8Array, group: Uint8Array): SgCount {
    encodeSiocSgReq6(this.#sgreq, { source, group });
    if (this.#libc.symbols.ioctl(this.#fd, BigInt(SIOCGETSGCNT_IN6), this.#sgreq) < 0) {
      this.#fail("ioctl", "SIOCGETSGCNT_IN6");
    }
    return decodeSiocSgReq6(this.#sgreq);
  }

  /** SIOCGETMIFCNT_IN6: a MIF's counters (EINVAL for a MIF not in use). */
  mifCount(mifi: number): VifCount {
    encodeSiocMifReq6(this.#mifreq, mifi);
    if (this.#libc.symbols.ioctl(this.#fd, BigInt(SIOCGETMIFCNT_IN6), this.#mifreq) < 0) {
      this.#fail("ioctl", "SIOCGETMIFCNT_IN6");
    }
    return decodeSiocMifReq6(this.#mifreq);
  }

  /** Joins a group as a host on an interface (upstream memberships; ff02::2 and ff02::16 downstream). */
  joinGroup(group: Uint8Array, ifindex: number): void {
    this.#pool.join(key(group, ifindex), encodeIpv6Mreq(this.#mreq, { group, ifindex }));
  }

  /** Leaves a group joined with {@link joinGroup}. */
  leaveGroup(group: Uint8Array, ifindex: number): void {
    this.#pool.leave(key(group, ifindex), encodeIpv6Mreq(this.#mreq, { group, ifindex }));
  }

  /**
   * Sends an MLD message (checksum 0: the kernel fills it in) out of one interface to
   * `destination`, with hop limit 1 and Router Alert, from `source` (IPV6_PKTINFO) when given.
   * MLD needs the link-local source: left to itself, the kernel picks a global address for a
   * destination of wider scope (an address-specific query for ff05::1), and hosts ignore such
   * queries (RFC 2710 section 5).
   */
  sendMld(
    opts: { ifindex: number; source?: Uint8Array; destination: Uint8Array; message: Uint8Array },
  ): void {
    this.#setInt(IPPROTO_IPV6, IPV6_MULTICAST_IF, opts.ifindex, "IPV6_MULTICAST_IF");
    encodeSockaddrIn6(this.#sockaddr, opts.destination, opts.ifindex);
    if (opts.source !== undefined) {
      encodeIn6PktinfoCmsg(this.#sendControl, { address: opts.source, ifindex: opts.ifindex });
    }
    const iov = new DataView(this.#sendIov.buffer);
    iov.setBigUint64(0, pointerValue(opts.message), true);
    iov.setBigUint64(8, BigInt(opts.message.byteLength), true);
    const msg = new DataView(this.#sendMsghdr.buffer);
    msg.setBigUint64(MSGHDR.name, pointerValue(this.#sockaddr), true);
    msg.setUint32(MSGHDR.namelen, SIZEOF_SOCKADDR_IN6, true);
    msg.setBigUint64(MSGHDR.iov, pointerValue(this.#sendIov), true);
    msg.setBigUint64(MSGHDR.iovlen, 1n, true);
    msg.setBigUint64(MSGHDR.control, pointerValue(this.#sendControl), true);
    const controllen = opts.source === undefined ? 0 : SIZEOF_IN6_PKTINFO_CMSG;
    msg.setBigUint64(MSGHDR.controllen, BigInt(controllen), true);
    const n = this.#libc.symbols.sendmsg(this.#fd, this.#sendMsghdr, 0);
    if (n < 0) this.#fail("sendmsg", "MLD");
  }

  /** Reads one pending MLD message or upcall without blocking. */
  receive(): Received6<Uint8Array> | undefined {
    if (this.#fd < 0) return undefined;
    const r = this.#receiver;
    const n = r.receive(this.#libc, this.#fd);
    if (n === undefined) return undefined;
    const upcall = decodeMrt6msg(r.data, n);
    if (upcall !== undefined) return { kind: "upcall", ...upcall };
    const pktinfo = findIn6Pktinfo(r.control, r.controlLength);
    return {
      kind: "packet",
      ifindex: pktinfo?.ifindex ?? 0,
      source: r.name.slice(8, 24),
      destination: pktinfo?.address ?? new Uint8Array(16),
      hopLimit: findHopLimit(r.control, r.controlLength),
      routerAlert: findHopByHopRouterAlert(r.control, r.controlLength),
      data: r.data,
      length: n,
    };
  }
}

function key(group: Uint8Array, ifindex: number): string {
  return `${Array.from(group).join(".")}/${ifindex}`;
}
