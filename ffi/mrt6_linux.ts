/**
 * The IPv6 port of the Linux OS layer: the raw ICMPv6 socket that holds the kernel's IPv6
 * multicast routing table (MRT6_INIT), its MIFs and forwarding cache, MLD in and out, upcalls,
 * and the upstream IPv6 memberships.
 *
 * Addresses come and go as bigints and are 16 bytes in network order only in the kernel's
 * structs. As in `mrt_linux.ts`, every call whose errno matters is synchronous and checked at
 * once, and buffers handed to the kernel by pointer are fields.
 *
 * @module
 */

import { bigIntToIPv6, ipv6ToBigInt } from "../src/proto/addr.ts";
import type {
  FamilyPort,
  JoinOutcome,
  MfcSpec,
  Received,
  SgCount,
  VifCount,
  VifSpec,
} from "../src/runtime/sys.ts";
import { checkCall } from "./errno.ts";
import { type Libc, pointerValue } from "./libc.ts";
import {
  AF_INET6,
  ICMP6_FILTER,
  IPPROTO_ICMPV6,
  IPPROTO_IPV6,
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
import { libcMembershipCalls, readSysctlInt } from "./membership_calls.ts";
import { MembershipPool } from "./membership_pool.ts";
import {
  decodeMrt6msg,
  decodeSiocMifReq6,
  decodeSiocSgReq6,
  encodeIcmp6Filter,
  encodeMf6cctl,
  encodeMif6ctl,
  encodeMifi,
  encodeSiocMifReq6,
  encodeSiocSgReq6,
  SIZEOF_MF6CCTL,
  SIZEOF_MIF6CTL,
  SIZEOF_MIFI,
  SIZEOF_SIOC_MIF_REQ6,
  SIZEOF_SIOC_SG_REQ6,
} from "./mroute6_structs.ts";
import type { MrtOptions } from "./mrt_linux.ts";
import type { SourceFilter } from "../src/core/actions.ts";
import { type ReceivedBytes, Receiver } from "./receiver.ts";
import {
  encodeIn6PktinfoCmsg,
  findHopByHopRouterAlert,
  findHopLimit,
  findIn6Pktinfo,
  IOVEC,
  MSGHDR,
  SIZEOF_IN6_PKTINFO_CMSG,
  SIZEOF_IOVEC,
  SIZEOF_MSGHDR,
} from "./msghdr.ts";
import {
  encodeSockaddrIn6,
  LITTLE_ENDIAN,
  SIZEOF_IN6_ADDR,
  SIZEOF_SOCKADDR_IN6,
  SOCKADDR_IN6,
} from "./socket_structs.ts";
import { raiseReceiveBuffer, setSockOpt, setSockOptInt } from "./sockopt.ts";

/** ICMPv6 types let through the socket's filter: MLD query, v1 report, done, v2 report. */
/** The sysctl of the sources the kernel takes per IPv6 socket filter (not per namespace). */
export const MLD_MAX_MSF = "net.ipv6.mld_max_msf";
/** Its default. */
export const MLD_MAX_MSF_DEFAULT = 64;

const MLD_TYPES = [130, 131, 132, 143];
const RECV_BUFFER_SIZE = 65536;
const CONTROL_BUFFER_SIZE = 512;

/** The IPv6 multicast routing socket and what goes with it. */
export class LinuxMrt6 implements FamilyPort<bigint> {
  readonly #libc: Libc;
  readonly #opened: (() => void) | undefined;
  readonly #readSysctl: (name: string) => number | undefined;
  #fd = -1;
  readonly #pool: MembershipPool<bigint>;
  /** Made by the first {@link receive}: it points a `msghdr` at its buffers (needs FFI). */
  #receiver: Receiver | undefined;
  readonly #int = new Uint8Array(4);
  readonly #mif6ctl = new Uint8Array(SIZEOF_MIF6CTL);
  readonly #mifi = new Uint8Array(SIZEOF_MIFI);
  readonly #mf6cctl = new Uint8Array(SIZEOF_MF6CCTL);
  readonly #sockaddr = new Uint8Array(SIZEOF_SOCKADDR_IN6);
  readonly #sgreq = new Uint8Array(SIZEOF_SIOC_SG_REQ6);
  readonly #mifreq = new Uint8Array(SIZEOF_SIOC_MIF_REQ6);
  /** sendmsg's msghdr, iovec and IPV6_PKTINFO cmsg (the source address of what is sent). */
  readonly #sendMsghdr = new Uint8Array(SIZEOF_MSGHDR);
  readonly #sendIov = new Uint8Array(SIZEOF_IOVEC);
  readonly #sendControl = new Uint8Array(SIZEOF_IN6_PKTINFO_CMSG);

  /** Wraps an opened libc; nothing is opened until {@link init}. */
  constructor(libc: Libc, opts: MrtOptions = {}) {
    this.#libc = libc;
    this.#opened = opts.opened;
    this.#readSysctl = opts.readSysctl ?? readSysctlInt;
    const calls = libcMembershipCalls(libc, {
      domain: AF_INET6,
      level: IPPROTO_IPV6,
      address: bigIntToIPv6,
    });
    this.#pool = new MembershipPool(calls, {
      maxSources: MLD_MAX_MSF_DEFAULT,
      sysctl: MLD_MAX_MSF,
    });
  }

  /** The socket, for a poll set; -1 before {@link init} and after {@link close}. */
  get fd(): number {
    return this.#fd;
  }

  /**
   * Opens the raw ICMPv6 socket and takes the kernel table (MRT6_INIT), then asks for the
   * arrival interface, hop limit and hop-by-hop header of what it receives, lets only MLD
   * through, and sets what queries need: hop limit 1, no loop, Router Alert. Needs root (or
   * CAP_NET_ADMIN and CAP_NET_RAW). Throws `SysError`, having closed what it opened. First it
   * reads `net.ipv6.mld_max_msf`, the sources the kernel takes per socket filter.
   */
  init(): void {
    this.#pool.maxSources = this.#readSysctl(MLD_MAX_MSF) ?? MLD_MAX_MSF_DEFAULT;
    const socket = this.#libc.symbols.socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    this.#fd = checkCall(this.#libc, socket, {
      call: "socket",
      op: "AF_INET6, SOCK_RAW, IPPROTO_ICMPV6",
    });
    try {
      this.#setInt(IPPROTO_IPV6, MRT6_INIT, 1, "MRT6_INIT");
      this.#setInt(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
      this.#setInt(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
      this.#setInt(IPPROTO_IPV6, IPV6_RECVHOPOPTS, 1, "IPV6_RECVHOPOPTS");
      this.#setInt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 1, "IPV6_MULTICAST_HOPS");
      this.#setInt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");
      const ra = IPV6_HOPOPTS_RA_BYTES as Uint8Array;
      this.#setOpt(IPPROTO_IPV6, IPV6_HOPOPTS, ra, "IPV6_HOPOPTS");
      this.#setOpt(IPPROTO_ICMPV6, ICMP6_FILTER, encodeIcmp6Filter(MLD_TYPES), "ICMP6_FILTER");
      raiseReceiveBuffer(this.#libc, this.#fd);
    } catch (err) {
      this.close();
      throw err;
    }
    this.#opened?.();
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

  /** MRT6_ADD_MIF for an interface (the kernel keeps no threshold per MIF: it is 1). */
  addVif(mif: VifSpec<bigint>): void {
    const bytes = encodeMif6ctl(this.#mif6ctl, {
      mifi: mif.vifi,
      ifindex: mif.ifindex,
      threshold: 1,
    });
    this.#setOpt(IPPROTO_IPV6, MRT6_ADD_MIF, bytes, "MRT6_ADD_MIF");
  }

  /** MRT6_DEL_MIF (the kernel reads a bare mifi_t). */
  delVif(mifi: number): void {
    this.#setOpt(IPPROTO_IPV6, MRT6_DEL_MIF, encodeMifi(this.#mifi, mifi), "MRT6_DEL_MIF");
  }

  /** MRT6_ADD_MFC (adds, or updates in place); the oifs' TTLs mean nothing to IPv6. */
  addMfc(mfc: MfcSpec<bigint>): void {
    const bytes = encodeMf6cctl(this.#mf6cctl, {
      source: bigIntToIPv6(mfc.source),
      group: bigIntToIPv6(mfc.group),
      parent: mfc.parent,
      oifs: mfc.oifs.map((o) => o.vifi),
    });
    this.#setOpt(IPPROTO_IPV6, MRT6_ADD_MFC, bytes, "MRT6_ADD_MFC");
  }

  /** MRT6_DEL_MFC. */
  delMfc(source: bigint, group: bigint): void {
    const bytes = encodeMf6cctl(this.#mf6cctl, {
      source: bigIntToIPv6(source),
      group: bigIntToIPv6(group),
      parent: 0,
      oifs: [],
    });
    this.#setOpt(IPPROTO_IPV6, MRT6_DEL_MFC, bytes, "MRT6_DEL_MFC");
  }

  /** SIOCGETSGCNT_IN6: an entry's counters. */
  sgCount(source: bigint, group: bigint): SgCount {
    encodeSiocSgReq6(this.#sgreq, { source: bigIntToIPv6(source), group: bigIntToIPv6(group) });
    const r = this.#libc.symbols.ioctl(this.#fd, BigInt(SIOCGETSGCNT_IN6), this.#sgreq);
    checkCall(this.#libc, r, { call: "ioctl", op: "SIOCGETSGCNT_IN6" });
    return decodeSiocSgReq6(this.#sgreq);
  }

  /** SIOCGETMIFCNT_IN6: a MIF's counters (EINVAL for a MIF not in use). */
  vifCount(mifi: number): VifCount {
    encodeSiocMifReq6(this.#mifreq, mifi);
    const r = this.#libc.symbols.ioctl(this.#fd, BigInt(SIOCGETMIFCNT_IN6), this.#mifreq);
    checkCall(this.#libc, r, { call: "ioctl", op: "SIOCGETMIFCNT_IN6" });
    return decodeSiocMifReq6(this.#mifreq);
  }

  /**
   * Joins a group as a host on an interface (upstream memberships; ff02::2 and ff02::16
   * downstream) with a source filter, or changes it in place, on a pool of UDP sockets (see
   * {@link MembershipPool}; net.ipv6.mld_max_msf sources per socket filter).
   */
  joinGroup(group: bigint, ifindex: number, filter?: SourceFilter<bigint>): JoinOutcome {
    return this.#pool.join({ group, ifindex }, filter);
  }

  /** Leaves a group joined with {@link joinGroup} (on every socket that holds it). */
  leaveGroup(group: bigint, ifindex: number): void {
    this.#pool.leave({ group, ifindex });
  }

  /** The filter each socket of the pool holds for a group (tests, diagnostics). */
  membershipSlots(group: bigint, ifindex: number): ReturnType<MembershipPool<bigint>["slotsOf"]> {
    return this.#pool.slotsOf({ group, ifindex });
  }

  /**
   * Sends an MLD message (checksum 0: the kernel fills it in) out of one interface to
   * `destination`, with hop limit 1 and Router Alert, from `source` (IPV6_PKTINFO); the
   * unspecified address (0) sends no IPV6_PKTINFO and lets the kernel choose. MLD needs the
   * link-local source: left to itself, the kernel picks a global address for a destination of
   * wider scope (an address-specific query for ff05::1), and hosts ignore such queries
   * (RFC 2710 section 5).
   */
  send(opts: { ifindex: number; source: bigint; destination: bigint; message: Uint8Array }): void {
    this.#setInt(IPPROTO_IPV6, IPV6_MULTICAST_IF, opts.ifindex, "IPV6_MULTICAST_IF");
    encodeSockaddrIn6(this.#sockaddr, bigIntToIPv6(opts.destination), opts.ifindex);
    const withSource = opts.source !== 0n;
    if (withSource) {
      const address = bigIntToIPv6(opts.source);
      encodeIn6PktinfoCmsg(this.#sendControl, { address, ifindex: opts.ifindex });
    }
    const controllen = withSource ? SIZEOF_IN6_PKTINFO_CMSG : 0;
    this.#pointSendMsghdr(opts.message, controllen);
    const n = this.#libc.symbols.sendmsg(this.#fd, this.#sendMsghdr, 0);
    checkCall(this.#libc, n, { call: "sendmsg", op: "MLD" });
  }

  /** Reads one pending MLD message or upcall without blocking. */
  receive(): Received<bigint> | undefined {
    if (this.#fd < 0) return undefined;
    const r = this.#receiver ??= new Receiver({
      data: RECV_BUFFER_SIZE,
      control: CONTROL_BUFFER_SIZE,
      name: SIZEOF_SOCKADDR_IN6,
    });
    const length = r.receive(this.#libc, this.#fd);
    if (length === undefined) return undefined;
    return decodeMldReceived(r.message(length));
  }

  /** Points sendmsg's `msghdr` at the destination, `message` and `controllen` bytes of cmsg. */
  #pointSendMsghdr(message: Uint8Array, controllen: number): void {
    const iov = new DataView(this.#sendIov.buffer);
    iov.setBigUint64(IOVEC.iov_base, pointerValue(message), LITTLE_ENDIAN);
    iov.setBigUint64(IOVEC.iov_len, BigInt(message.byteLength), LITTLE_ENDIAN);
    const msg = new DataView(this.#sendMsghdr.buffer);
    msg.setBigUint64(MSGHDR.msg_name, pointerValue(this.#sockaddr), LITTLE_ENDIAN);
    msg.setUint32(MSGHDR.msg_namelen, SIZEOF_SOCKADDR_IN6, LITTLE_ENDIAN);
    msg.setBigUint64(MSGHDR.msg_iov, pointerValue(this.#sendIov), LITTLE_ENDIAN);
    msg.setBigUint64(MSGHDR.msg_iovlen, 1n, LITTLE_ENDIAN);
    msg.setBigUint64(MSGHDR.msg_control, pointerValue(this.#sendControl), LITTLE_ENDIAN);
    msg.setBigUint64(MSGHDR.msg_controllen, BigInt(controllen), LITTLE_ENDIAN);
  }

  #setOpt(level: number, option: number, bytes: Uint8Array, name: string): void {
    setSockOpt(this.#libc, this.#fd, { level, option, name }, bytes);
  }

  #setInt(level: number, option: number, value: number, name: string): void {
    setSockOptInt(this.#libc, this.#fd, { level, option, name }, value);
  }
}

/**
 * What the raw ICMPv6 socket read, as the core takes it: an upcall (`struct mrt6msg`, whose
 * first byte is 0 where an ICMPv6 type would be), or an MLD message with its sender
 * (`msg_name`), its destination and arrival interface (IPV6_PKTINFO; 0 and `::` when absent),
 * its hop limit (when the kernel told) and whether it carried Router Alert. `data` stays a view
 * of the receive buffer.
 */
export function decodeMldReceived(msg: ReceivedBytes): Received<bigint> {
  const upcall = decodeMrt6msg(msg.data, msg.length);
  if (upcall !== undefined) {
    const { msgtype, mif, source, group } = upcall;
    const addresses = { source: ipv6ToBigInt(source), group: ipv6ToBigInt(group) };
    return { kind: "upcall", msgtype, vif: mif, ...addresses };
  }
  const pktinfo = findIn6Pktinfo(msg.control, msg.controlLength);
  const hopLimit = findHopLimit(msg.control, msg.controlLength);
  const from = SOCKADDR_IN6.sin6_addr;
  return {
    kind: "packet",
    ifindex: pktinfo?.ifindex ?? 0,
    data: msg.data,
    length: msg.length,
    source: ipv6ToBigInt(msg.name.slice(from, from + SIZEOF_IN6_ADDR)),
    destination: pktinfo === undefined ? 0n : ipv6ToBigInt(pktinfo.address),
    ...(hopLimit === undefined ? {} : { hopLimit }),
    routerAlert: findHopByHopRouterAlert(msg.control, msg.controlLength),
  };
}
