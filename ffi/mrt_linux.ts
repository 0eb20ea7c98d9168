/**
 * The IPv4 port of the Linux OS layer: the raw IGMP socket that holds the kernel's multicast
 * routing table (MRT_INIT), its VIFs and forwarding cache, IGMP in and out, upcalls, and the
 * upstream memberships, all through libc.
 *
 * Every call whose errno matters is synchronous, and its result goes through `checkCall` at
 * once. Buffers handed to the kernel by pointer are fields of this object, so they stay
 * referenced.
 *
 * @module
 */

import type { SourceFilter } from "../src/core/actions.ts";
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
  AF_INET,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_OPTIONS,
  IP_PKTINFO,
  IP_TOS,
  IPOPT_RA_BYTES,
  IPPROTO_IGMP,
  IPPROTO_IP,
  IPTOS_PREC_INTERNETCONTROL,
  MRT_ADD_MFC,
  MRT_ADD_VIF,
  MRT_DEL_MFC,
  MRT_DEL_VIF,
  MRT_DONE,
  MRT_INIT,
  SIOCGETSGCNT,
  SIOCGETVIFCNT,
  SOCK_CLOEXEC,
  SOCK_RAW,
} from "./linux_constants.ts";
import { libcMembershipCalls, readSysctlInt } from "./membership_calls.ts";
import { MembershipPool } from "./membership_pool.ts";
import {
  decodeIgmpmsg,
  decodeSiocSgReq,
  decodeSiocVifReq,
  encodeMfcctl,
  encodeSiocSgReq,
  encodeSiocVifReq,
  encodeVifctl,
  SIZEOF_MFCCTL,
  SIZEOF_SIOC_SG_REQ,
  SIZEOF_SIOC_VIF_REQ,
  SIZEOF_VIFCTL,
} from "./mroute_structs.ts";
import { type ReceivedBytes, Receiver } from "./receiver.ts";
import {
  encodeUnicastSendControl,
  findPktinfoIfindex,
  IOVEC,
  MSGHDR,
  SIZEOF_IOVEC,
  SIZEOF_MSGHDR,
  SIZEOF_UNICAST_SEND_CONTROL,
} from "./msghdr.ts";
import {
  encodeIpMreqn,
  encodeSockaddrIn,
  LITTLE_ENDIAN,
  SIZEOF_IP_MREQN,
  SIZEOF_SOCKADDR_IN,
} from "./socket_structs.ts";
import { raiseReceiveBuffer, setSockOpt, setSockOptInt } from "./sockopt.ts";

const RECV_BUFFER_SIZE = 65536;
const CONTROL_BUFFER_SIZE = 256;

/** What a family port's socket tells its owner. */
export interface MrtOptions {
  /** Called when {@link FamilyPort.init} opened the socket: the owner's poll set can take it. */
  opened?: () => void;
  /**
   * Reads an integer sysctl when the port opens (before the jail hides /proc); undefined keeps
   * the kernel's default. {@link readSysctlInt} unless given.
   */
  readSysctl?: (name: string) => number | undefined;
}

/** The sysctl of the sources the kernel takes per IPv4 socket filter. */
export const IGMP_MAX_MSF = "net.ipv4.igmp_max_msf";
/** Its default. */
export const IGMP_MAX_MSF_DEFAULT = 10;

/** The IPv4 multicast routing socket and what goes with it. */
export class LinuxMrt implements FamilyPort<number> {
  readonly #libc: Libc;
  readonly #opened: (() => void) | undefined;
  readonly #readSysctl: (name: string) => number | undefined;
  #fd = -1;
  readonly #pool: MembershipPool<number>;
  /** Made by the first {@link receive}: it points a `msghdr` at its buffers (needs FFI). */
  #receiver: Receiver | undefined;
  readonly #int = new Uint8Array(4);
  readonly #vifctl = new Uint8Array(SIZEOF_VIFCTL);
  readonly #mfcctl = new Uint8Array(SIZEOF_MFCCTL);
  readonly #mreqn = new Uint8Array(SIZEOF_IP_MREQN);
  readonly #sockaddr = new Uint8Array(SIZEOF_SOCKADDR_IN);
  readonly #sendMsghdr = new Uint8Array(SIZEOF_MSGHDR);
  readonly #sendIov = new Uint8Array(SIZEOF_IOVEC);
  readonly #sendControl = new Uint8Array(SIZEOF_UNICAST_SEND_CONTROL);
  readonly #sgreq = new Uint8Array(SIZEOF_SIOC_SG_REQ);
  readonly #vifreq = new Uint8Array(SIZEOF_SIOC_VIF_REQ);

  /** Wraps an opened libc; nothing is opened until {@link init}. */
  constructor(libc: Libc, opts: MrtOptions = {}) {
    this.#libc = libc;
    this.#opened = opts.opened;
    this.#readSysctl = opts.readSysctl ?? readSysctlInt;
    const calls = libcMembershipCalls(libc, {
      domain: AF_INET,
      level: IPPROTO_IP,
      address: (a: number) => a,
    });
    this.#pool = new MembershipPool(calls, {
      maxSources: IGMP_MAX_MSF_DEFAULT,
      sysctl: IGMP_MAX_MSF,
    });
  }

  /** The socket, for a poll set; -1 before {@link init} and after {@link close}. */
  get fd(): number {
    return this.#fd;
  }

  /**
   * Opens the raw IGMP socket, takes the kernel table (MRT_INIT) and sets what receiving and
   * queries need: the arrival interface, TTL 1, no loop, precedence "internetwork control",
   * Router Alert (which unicast sends take off again, see {@link send}). Needs root (or
   * CAP_NET_ADMIN and CAP_NET_RAW). Throws `SysError`, having closed what it opened. First it
   * reads `net.ipv4.igmp_max_msf`, the sources the kernel takes per socket filter (see
   * {@link MembershipPool}).
   */
  init(): void {
    this.#pool.maxSources = this.#readSysctl(IGMP_MAX_MSF) ?? IGMP_MAX_MSF_DEFAULT;
    const socket = this.#libc.symbols.socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IGMP);
    this.#fd = checkCall(this.#libc, socket, {
      call: "socket",
      op: "AF_INET, SOCK_RAW, IPPROTO_IGMP",
    });
    try {
      this.#setInt(MRT_INIT, 1, "MRT_INIT");
      this.#setInt(IP_PKTINFO, 1, "IP_PKTINFO");
      this.#setInt(IP_MULTICAST_TTL, 1, "IP_MULTICAST_TTL");
      this.#setInt(IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP");
      this.#setInt(IP_TOS, IPTOS_PREC_INTERNETCONTROL, "IP_TOS");
      this.#setOpt(IP_OPTIONS, IPOPT_RA_BYTES as Uint8Array, "IP_OPTIONS");
      raiseReceiveBuffer(this.#libc, this.#fd);
    } catch (err) {
      this.close();
      throw err;
    }
    this.#opened?.();
  }

  /** Drops every membership, releases the kernel table (VIFs and cache go with it). Never throws. */
  close(): void {
    this.#pool.close();
    if (this.#fd < 0) return;
    new DataView(this.#int.buffer).setInt32(0, 1, true);
    this.#libc.symbols.setsockopt(this.#fd, IPPROTO_IP, MRT_DONE, this.#int, 4);
    this.#libc.symbols.close(this.#fd);
    this.#fd = -1;
  }

  /** MRT_ADD_VIF by interface index. */
  addVif(vif: VifSpec<number>): void {
    this.#setOpt(MRT_ADD_VIF, encodeVifctl(this.#vifctl, vif), "MRT_ADD_VIF");
  }

  /** MRT_DEL_VIF. */
  delVif(vifi: number): void {
    encodeVifctl(this.#vifctl, { vifi, ifindex: 0, threshold: 0 });
    this.#setOpt(MRT_DEL_VIF, this.#vifctl, "MRT_DEL_VIF");
  }

  /** MRT_ADD_MFC (adds, or updates in place). */
  addMfc(mfc: MfcSpec<number>): void {
    this.#setOpt(MRT_ADD_MFC, encodeMfcctl(this.#mfcctl, mfc), "MRT_ADD_MFC");
  }

  /** MRT_DEL_MFC. */
  delMfc(source: number, group: number): void {
    encodeMfcctl(this.#mfcctl, { source, group, parent: 0, oifs: [] });
    this.#setOpt(MRT_DEL_MFC, this.#mfcctl, "MRT_DEL_MFC");
  }

  /** SIOCGETSGCNT. */
  sgCount(source: number, group: number): SgCount {
    encodeSiocSgReq(this.#sgreq, { source, group });
    const r = this.#libc.symbols.ioctl(this.#fd, BigInt(SIOCGETSGCNT), this.#sgreq);
    checkCall(this.#libc, r, { call: "ioctl", op: "SIOCGETSGCNT" });
    return decodeSiocSgReq(this.#sgreq);
  }

  /** SIOCGETVIFCNT: a VIF's counters (EINVAL for a VIF not in use). */
  vifCount(vifi: number): VifCount {
    encodeSiocVifReq(this.#vifreq, vifi);
    const r = this.#libc.symbols.ioctl(this.#fd, BigInt(SIOCGETVIFCNT), this.#vifreq);
    checkCall(this.#libc, r, { call: "ioctl", op: "SIOCGETVIFCNT" });
    return decodeSiocVifReq(this.#vifreq);
  }

  /**
   * Joins with a source filter, or changes it in place, on a pool of UDP sockets (see
   * {@link MembershipPool}): the kernel limits memberships per socket
   * (net.ipv4.igmp_max_memberships) and sources per socket filter (net.ipv4.igmp_max_msf), so
   * a new socket is opened when one is full.
   */
  joinGroup(group: number, ifindex: number, filter?: SourceFilter<number>): JoinOutcome {
    return this.#pool.join({ group, ifindex }, filter);
  }

  /** Leaves a group joined with {@link joinGroup} (on every socket that holds it). */
  leaveGroup(group: number, ifindex: number): void {
    this.#pool.leave({ group, ifindex });
  }

  /** The filter each socket of the pool holds for a group (tests, diagnostics). */
  membershipSlots(group: number, ifindex: number): ReturnType<MembershipPool<number>["slotsOf"]> {
    return this.#pool.slotsOf({ group, ifindex });
  }

  /**
   * Sends an IGMP message out of one interface (IP_MULTICAST_IF with an `ip_mreqn` naming the
   * interface and the source); TTL 1 and Router Alert are set on the socket. A unicast
   * destination (DVMRP to a neighbor or a tunnel's far end), which IP_MULTICAST_IF does not
   * steer, goes by sendmsg with an IP_PKTINFO naming the source (a router expects its
   * neighbor's address, not the one the route would pick) and an empty IP_RETOPTS, so that it
   * goes without Router Alert, as mrouted sends it: a Linux router on the way that runs a
   * multicast routing daemon would otherwise take it instead of forwarding it (see
   * {@link encodeUnicastSendControl}).
   */
  send(opts: { ifindex: number; source: number; destination: number; message: Uint8Array }): void {
    if ((opts.destination >>> 28) !== 0xe) return this.#sendUnicast(opts);
    encodeIpMreqn(this.#mreqn, { group: 0, address: opts.source, ifindex: opts.ifindex });
    this.#setOpt(IP_MULTICAST_IF, this.#mreqn, "IP_MULTICAST_IF");
    encodeSockaddrIn(this.#sockaddr, opts.destination);
    const { message } = opts;
    const n = this.#libc.symbols.sendto(
      this.#fd,
      message,
      BigInt(message.byteLength),
      0,
      this.#sockaddr,
      SIZEOF_SOCKADDR_IN,
    );
    checkCall(this.#libc, n, { call: "sendto", op: "IGMP" });
  }

  /** sendmsg of `message` to a unicast `destination` from `source` (IP_PKTINFO), no IP options. */
  #sendUnicast(opts: { source: number; destination: number; message: Uint8Array }): void {
    encodeSockaddrIn(this.#sockaddr, opts.destination);
    encodeUnicastSendControl(this.#sendControl, { source: opts.source, ifindex: 0 });
    const { message } = opts;
    const iov = new DataView(this.#sendIov.buffer);
    iov.setBigUint64(IOVEC.iov_base, pointerValue(message), LITTLE_ENDIAN);
    iov.setBigUint64(IOVEC.iov_len, BigInt(message.byteLength), LITTLE_ENDIAN);
    const msg = new DataView(this.#sendMsghdr.buffer);
    msg.setBigUint64(MSGHDR.msg_name, pointerValue(this.#sockaddr), LITTLE_ENDIAN);
    msg.setUint32(MSGHDR.msg_namelen, SIZEOF_SOCKADDR_IN, LITTLE_ENDIAN);
    msg.setBigUint64(MSGHDR.msg_iov, pointerValue(this.#sendIov), LITTLE_ENDIAN);
    msg.setBigUint64(MSGHDR.msg_iovlen, 1n, LITTLE_ENDIAN);
    msg.setBigUint64(MSGHDR.msg_control, pointerValue(this.#sendControl), LITTLE_ENDIAN);
    msg.setBigUint64(MSGHDR.msg_controllen, BigInt(SIZEOF_UNICAST_SEND_CONTROL), LITTLE_ENDIAN);
    const n = this.#libc.symbols.sendmsg(this.#fd, this.#sendMsghdr, 0);
    checkCall(this.#libc, n, { call: "sendmsg", op: "IGMP" });
  }

  /** Reads one pending packet or upcall without blocking. */
  receive(): Received<number> | undefined {
    if (this.#fd < 0) return undefined;
    const r = this.#receiver ??= new Receiver({
      data: RECV_BUFFER_SIZE,
      control: CONTROL_BUFFER_SIZE,
    });
    const length = r.receive(this.#libc, this.#fd);
    if (length === undefined) return undefined;
    return decodeIgmpReceived(r.message(length));
  }

  #setInt(option: number, value: number, name: string): void {
    setSockOptInt(this.#libc, this.#fd, { level: IPPROTO_IP, option, name }, value);
  }

  #setOpt(option: number, bytes: Uint8Array, name: string): void {
    setSockOpt(this.#libc, this.#fd, { level: IPPROTO_IP, option, name }, bytes);
  }
}

/**
 * What the raw IGMP socket read, as the core takes it: an upcall (`struct igmpmsg`, whose
 * protocol byte is 0), or an IGMP packet (IP header included) with the interface IP_PKTINFO
 * names (0 when absent). `data` stays a view of the receive buffer.
 */
export function decodeIgmpReceived(msg: ReceivedBytes): Received<number> {
  const upcall = decodeIgmpmsg(msg.data, msg.length);
  if (upcall !== undefined) return { kind: "upcall", ...upcall };
  return {
    kind: "packet",
    ifindex: findPktinfoIfindex(msg.control, msg.controlLength),
    data: msg.data,
    length: msg.length,
  };
}
