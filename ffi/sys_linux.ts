/**
 * The OS port on Linux: raw IGMP socket with the kernel multicast routing API, upstream
 * memberships, interface discovery, a NETLINK_ROUTE socket that tells when links or addresses
 * change, and a poll/eventfd wait, all through libc. The IPv6 half (`ipv6`) is the MRT6 socket of
 * `mrt6_linux.ts`, with addresses turned from bigints into bytes.
 *
 * Every call whose errno matters is synchronous, and errno is read right after it. Buffers handed
 * to the kernel by pointer are fields of this object, so they stay referenced.
 *
 * @module
 */

import type {
  MfcSpec,
  Received,
  Received6,
  SgCount,
  Sys,
  Sys6,
  SystemInterface,
  VifCount,
  VifSpec,
} from "../src/runtime/sys.ts";
import { bigIntToIPv6, ipv6ToBigInt } from "../src/proto/addr.ts";
import { LinuxMrt6 } from "./mrt6_linux.ts";
import { Errno, SysError } from "./errno.ts";
import { MembershipPool } from "./membership_pool.ts";
import { Receiver } from "./receiver.ts";
import { raiseReceiveBuffer, setSockOpt, setSockOptInt } from "./sockopt.ts";
import { type Libc, readErrno } from "./libc.ts";
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  IFA_F_DADFAILED,
  IFA_F_TENTATIVE,
  IFF_LOOPBACK,
  IFF_MULTICAST,
  IFF_RUNNING,
  IFF_UP,
  IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP,
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
  MSG_DONTWAIT,
  NETLINK_ROUTE,
  POLLIN,
  RTMGRP_IPV4_IFADDR,
  RTMGRP_IPV6_IFADDR,
  RTMGRP_LINK,
  SIOCGETSGCNT,
  SIOCGETVIFCNT,
  SO_RCVTIMEO,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
} from "./linux_constants.ts";
import {
  decodeAddrDump,
  decodeIgmpmsg,
  decodeSiocSgReq,
  decodeSiocVifReq,
  encodeGetAddrRequest,
  encodeIpMreqn,
  encodeMfcctl,
  encodeSiocSgReq,
  encodeSiocVifReq,
  encodeSockaddrIn,
  encodeSockaddrNl,
  encodeVifctl,
  findPktinfoIfindex,
  getInAddr,
  SIZEOF_GETADDR_REQUEST,
  SIZEOF_IP_MREQN,
  SIZEOF_MFCCTL,
  SIZEOF_SIOC_SG_REQ,
  SIZEOF_SIOC_VIF_REQ,
  SIZEOF_SOCKADDR_IN,
  SIZEOF_SOCKADDR_NL,
  SIZEOF_VIFCTL,
} from "./linux_structs.ts";

const RECV_BUFFER_SIZE = 65536;
const CONTROL_BUFFER_SIZE = 256;
/** Netlink messages are only counted, never parsed: a longer datagram is cut, which is fine. */
const NETLINK_BUFFER_SIZE = 8192;
/** At most this many netlink messages are read per call; poll wakes again for the rest. */
const NETLINK_BATCH = 256;
/** struct pollfd entries: the routing sockets, the eventfd, the netlink socket. */
const POLL_MRT = 0;
const POLL_EVENTFD = 1;
const POLL_NETLINK = 2;
const POLL_MRT6 = 3;
const POLL_FDS = 4;
const SIZEOF_POLLFD = 8;

/** `Sys` over glibc on Linux. */
export class LinuxSys implements Sys {
  readonly #libc: Libc;
  #mrt = -1;
  #eventfd = -1;
  #netlink = -1;
  readonly #pool: MembershipPool;
  readonly #receiver = new Receiver({ data: RECV_BUFFER_SIZE, control: CONTROL_BUFFER_SIZE });
  readonly #pollfds = new Uint8Array(POLL_FDS * SIZEOF_POLLFD);
  readonly #pollView = new DataView(this.#pollfds.buffer);
  readonly #netlinkBuf = new Uint8Array(NETLINK_BUFFER_SIZE);
  readonly #sockaddrNl = new Uint8Array(SIZEOF_SOCKADDR_NL);
  readonly #int = new Uint8Array(4);
  readonly #eight = new Uint8Array(8);
  readonly #vifctl = new Uint8Array(SIZEOF_VIFCTL);
  readonly #mfcctl = new Uint8Array(SIZEOF_MFCCTL);
  readonly #mreqn = new Uint8Array(SIZEOF_IP_MREQN);
  readonly #sockaddr = new Uint8Array(SIZEOF_SOCKADDR_IN);
  readonly #sgreq = new Uint8Array(SIZEOF_SIOC_SG_REQ);
  readonly #vifreq = new Uint8Array(SIZEOF_SIOC_VIF_REQ);
  #waiting = false;
  #dumpSeq = 0;
  readonly #mrt6: LinuxMrt6;
  /** The IPv6 half: opened by its `mrtInit()`, closed by {@link close}. */
  readonly ipv6: Sys6;

  /** Wraps an opened libc; nothing is opened until {@link mrtInit} (or `ipv6.mrtInit`). */
  constructor(libc: Libc) {
    this.#libc = libc;
    this.#mrt6 = new LinuxMrt6(libc);
    this.ipv6 = this.#sys6();
    this.#pool = new MembershipPool(libc, {
      domain: AF_INET,
      level: IPPROTO_IP,
      add: { option: IP_ADD_MEMBERSHIP, name: "IP_ADD_MEMBERSHIP" },
      drop: { option: IP_DROP_MEMBERSHIP, name: "IP_DROP_MEMBERSHIP" },
    });
    // poll(2) skips entries with a negative fd: none is polled before it is opened.
    for (let i = 0; i < POLL_FDS; i++) this.#setPollFd(i, -1);
  }

  #setPollFd(index: number, fd: number): void {
    this.#pollView.setInt32(index * SIZEOF_POLLFD, fd, true);
    this.#pollView.setInt16(index * SIZEOF_POLLFD + 4, fd < 0 ? 0 : POLLIN, true);
    this.#pollView.setInt16(index * SIZEOF_POLLFD + 6, 0, true);
  }

  #fail(call: string, op: string): never {
    throw new SysError(call, op, readErrno(this.#libc));
  }

  #setInt(fd: number, level: number, option: number, value: number, name: string): void {
    setSockOptInt(this.#libc, fd, { level, option, name }, value);
  }

  #setOpt(fd: number, option: number, bytes: Uint8Array, name: string): void {
    setSockOpt(this.#libc, fd, { level: IPPROTO_IP, option, name }, bytes);
  }

  /**
   * Lists interfaces and their addresses with getifaddrs(3); IPv6 addresses whose duplicate
   * address detection has not completed (or failed) are marked tentative, from an RTM_GETADDR
   * dump, since getifaddrs does not tell.
   */
  interfaces(): SystemInterface[] {
    const notReady = this.#ipv6NotReady();
    const out = new BigUint64Array(1);
    if (this.#libc.symbols.getifaddrs(new Uint8Array(out.buffer)) < 0) {
      this.#fail("getifaddrs", "");
    }
    const head = Deno.UnsafePointer.create(out[0]);
    const byName = new Map<string, SystemInterface>();
    try {
      for (let p = head; p !== null;) {
        const ifa = new Deno.UnsafePointerView(p);
        const namePtr = ifa.getPointer(8);
        const name = namePtr === null ? "" : Deno.UnsafePointerView.getCString(namePtr);
        const flags = ifa.getUint32(16);
        let iface = byName.get(name);
        if (iface === undefined) {
          const index = this.#libc.symbols.if_nametoindex(new TextEncoder().encode(name + "\0"));
          iface = {
            name,
            index,
            up: (flags & IFF_UP) !== 0,
            running: (flags & IFF_RUNNING) !== 0,
            multicast: (flags & IFF_MULTICAST) !== 0,
            loopback: (flags & IFF_LOOPBACK) !== 0,
            ipv4: [],
            ipv6: [],
          };
          byName.set(name, iface);
        }
        const addr = ifa.getPointer(24);
        const mask = ifa.getPointer(32);
        if (addr !== null && new Deno.UnsafePointerView(addr).getUint16(0) === AF_INET) {
          const a = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(addr, 8));
          const address = getInAddr(new DataView(a.buffer), 4);
          let prefixLength = 32;
          if (mask !== null) {
            const m = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(mask, 8));
            const bits = getInAddr(new DataView(m.buffer), 4);
            prefixLength = 32 - countTrailingZeros(bits);
          }
          iface.ipv4.push({ address, prefixLength });
        } else if (addr !== null && new Deno.UnsafePointerView(addr).getUint16(0) === AF_INET6) {
          // struct sockaddr_in6: the address at byte 8; the netmask is one too.
          const address = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(addr, 16, 8))
            .slice();
          let prefixLength = 128;
          if (mask !== null) {
            const m = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(mask, 16, 8));
            prefixLength = m.reduce((n, byte) => n + popcount8(byte), 0);
          }
          const tentative = notReady.has(`${iface.index}/${address.join(".")}`);
          iface.ipv6.push({ address, prefixLength, ...(tentative ? { tentative } : {}) });
        }
        p = ifa.getPointer(0);
      }
    } finally {
      this.#libc.symbols.freeifaddrs(head);
    }
    return [...byName.values()].filter((i) => i.index > 0);
  }

  /**
   * The IPv6 addresses that are tentative or failed duplicate address detection, as
   * `ifindex/bytes`, from an RTM_GETADDR dump on a netlink socket of its own (with a 1 s receive
   * timeout, so a kernel that does not answer cannot hang the daemon). Empty when the dump fails:
   * every address then counts as ready, as getifaddrs alone would have it.
   */
  #ipv6NotReady(): Set<string> {
    const s = this.#libc.symbols;
    const found = new Set<string>();
    const fd = s.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return found;
    try {
      const timeout = new BigInt64Array([1n, 0n]); // struct timeval {tv_sec, tv_usec}
      if (s.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, new Uint8Array(timeout.buffer), 16) < 0) {
        return found;
      }
      const seq = (this.#dumpSeq = (this.#dumpSeq + 1) >>> 0);
      const req = encodeGetAddrRequest(new Uint8Array(SIZEOF_GETADDR_REQUEST), {
        family: AF_INET6,
        seq,
      });
      encodeSockaddrNl(this.#sockaddrNl, { groups: 0 });
      const sent = s.sendto(
        fd,
        req,
        BigInt(req.byteLength),
        0,
        this.#sockaddrNl,
        SIZEOF_SOCKADDR_NL,
      );
      if (sent < 0) return found;
      for (let i = 0; i < NETLINK_BATCH; i++) {
        const n = Number(s.recv(fd, this.#netlinkBuf, BigInt(NETLINK_BUFFER_SIZE), 0));
        if (n <= 0) break;
        const chunk = decodeAddrDump(this.#netlinkBuf, n, seq);
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

  /** Opens the raw IGMP socket, takes the kernel table and sets the options queries need. */
  mrtInit(): void {
    const fd = this.#libc.symbols.socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IGMP);
    if (fd < 0) this.#fail("socket", "AF_INET, SOCK_RAW, IPPROTO_IGMP");
    this.#mrt = fd;
    this.#setInt(fd, IPPROTO_IP, MRT_INIT, 1, "MRT_INIT");
    this.#setInt(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
    this.#setInt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 1, "IP_MULTICAST_TTL");
    this.#setInt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP");
    this.#setInt(fd, IPPROTO_IP, IP_TOS, IPTOS_PREC_INTERNETCONTROL, "IP_TOS");
    this.#setOpt(fd, IP_OPTIONS, IPOPT_RA_BYTES as Uint8Array, "IP_OPTIONS");
    raiseReceiveBuffer(this.#libc, fd);
    this.#openEventfd();
    this.#setPollFd(POLL_MRT, this.#mrt);
  }

  /** The eventfd that {@link wake} writes, opened with the first routing socket. */
  #openEventfd(): void {
    if (this.#eventfd >= 0) return;
    const efd = this.#libc.symbols.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) this.#fail("eventfd", "");
    this.#eventfd = efd;
    this.#setPollFd(POLL_EVENTFD, this.#eventfd);
  }

  /** The IPv6 half over {@link LinuxMrt6}: bigints in, bytes to the kernel. */
  #sys6(): Sys6 {
    const mrt6 = this.#mrt6;
    return {
      mrtInit: () => {
        try {
          mrt6.init();
        } catch (err) {
          mrt6.close();
          throw err;
        }
        this.#openEventfd();
        this.#setPollFd(POLL_MRT6, mrt6.fd);
      },
      addMif: (mif) => mrt6.addMif({ mifi: mif.vifi, ifindex: mif.ifindex }),
      delMif: (mifi) => mrt6.delMif(mifi),
      addMfc: (mfc) =>
        mrt6.addMfc({
          source: bigIntToIPv6(mfc.source),
          group: bigIntToIPv6(mfc.group),
          parent: mfc.parent,
          oifs: mfc.oifs.map((o) => o.vifi),
        }),
      delMfc: (source, group) => mrt6.delMfc(bigIntToIPv6(source), bigIntToIPv6(group)),
      sgCount: (source, group) => mrt6.sgCount(bigIntToIPv6(source), bigIntToIPv6(group)),
      mifCount: (mifi) => mrt6.mifCount(mifi),
      joinGroup: (group, ifindex) => mrt6.joinGroup(bigIntToIPv6(group), ifindex),
      leaveGroup: (group, ifindex) => mrt6.leaveGroup(bigIntToIPv6(group), ifindex),
      sendMld: (opts) =>
        mrt6.sendMld({
          ifindex: opts.ifindex,
          source: bigIntToIPv6(opts.source),
          destination: bigIntToIPv6(opts.destination),
          message: opts.message,
        }),
      receive: (): Received6 | undefined => {
        const r = mrt6.receive();
        if (r === undefined) return undefined;
        if (r.kind === "upcall") {
          return { ...r, source: ipv6ToBigInt(r.source), group: ipv6ToBigInt(r.group) };
        }
        return { ...r, source: ipv6ToBigInt(r.source), destination: ipv6ToBigInt(r.destination) };
      },
    };
  }

  /**
   * Opens a NETLINK_ROUTE socket (nonblocking, close-on-exec) bound to RTMGRP_LINK,
   * RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR, and adds it to the set {@link wait} polls.
   */
  watchInterfaces(): void {
    if (this.#netlink >= 0) return;
    const s = this.#libc.symbols;
    const fd = s.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) this.#fail("socket", "AF_NETLINK, NETLINK_ROUTE");
    encodeSockaddrNl(this.#sockaddrNl, {
      groups: RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
    });
    if (s.bind(fd, this.#sockaddrNl, SIZEOF_SOCKADDR_NL) < 0) {
      const errno = readErrno(this.#libc);
      s.close(fd);
      throw new SysError("bind", "RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR", errno);
    }
    this.#netlink = fd;
    this.#setPollFd(POLL_NETLINK, fd);
  }

  /**
   * Drains the netlink socket: any message, or ENOBUFS (the kernel dropped messages because
   * the socket's buffer was full), means interfaces may have changed.
   */
  interfacesChanged(): boolean {
    if (this.#netlink < 0) return false;
    let changed = false;
    for (let i = 0; i < NETLINK_BATCH; i++) {
      const n = Number(
        this.#libc.symbols.recv(
          this.#netlink,
          this.#netlinkBuf,
          BigInt(NETLINK_BUFFER_SIZE),
          MSG_DONTWAIT,
        ),
      );
      if (n > 0) {
        changed = true;
        continue;
      }
      if (n === 0) break;
      const errno = readErrno(this.#libc);
      if (errno === Errno.EAGAIN) break;
      if (errno === Errno.EINTR) continue;
      if (errno === Errno.ENOBUFS) {
        changed = true;
        continue;
      }
      this.#closeNetlink();
      throw new SysError("recv", "NETLINK_ROUTE", errno);
    }
    return changed;
  }

  #closeNetlink(): void {
    if (this.#netlink < 0) return;
    this.#setPollFd(POLL_NETLINK, -1);
    this.#libc.symbols.close(this.#netlink);
    this.#netlink = -1;
  }

  /** Drops every membership, releases the kernel tables and closes every socket. */
  close(): void {
    const s = this.#libc.symbols;
    this.#closeNetlink();
    this.#pool.close();
    this.#mrt6.close();
    this.#setPollFd(POLL_MRT6, -1);
    if (this.#mrt >= 0) {
      new DataView(this.#int.buffer).setInt32(0, 1, true);
      s.setsockopt(this.#mrt, IPPROTO_IP, MRT_DONE, this.#int, 4);
      s.close(this.#mrt);
      this.#mrt = -1;
      this.#setPollFd(POLL_MRT, -1);
    }
    // The eventfd stays open while a poll may still be pending on it; it closes with the process.
    if (this.#eventfd >= 0 && !this.#waiting) {
      s.close(this.#eventfd);
      this.#eventfd = -1;
    }
  }

  /** MRT_ADD_VIF by interface index. */
  addVif(vif: VifSpec): void {
    this.#setOpt(this.#mrt, MRT_ADD_VIF, encodeVifctl(this.#vifctl, vif), "MRT_ADD_VIF");
  }

  /** MRT_DEL_VIF. */
  delVif(vifi: number): void {
    encodeVifctl(this.#vifctl, { vifi, ifindex: 0, threshold: 0 });
    this.#setOpt(this.#mrt, MRT_DEL_VIF, this.#vifctl, "MRT_DEL_VIF");
  }

  /** MRT_ADD_MFC (adds, or updates in place). */
  addMfc(mfc: MfcSpec): void {
    this.#setOpt(this.#mrt, MRT_ADD_MFC, encodeMfcctl(this.#mfcctl, mfc), "MRT_ADD_MFC");
  }

  /** MRT_DEL_MFC. */
  delMfc(source: number, group: number): void {
    encodeMfcctl(this.#mfcctl, { source, group, parent: 0, oifs: [] });
    this.#setOpt(this.#mrt, MRT_DEL_MFC, this.#mfcctl, "MRT_DEL_MFC");
  }

  /** SIOCGETSGCNT. */
  sgCount(source: number, group: number): SgCount {
    encodeSiocSgReq(this.#sgreq, { source, group });
    if (this.#libc.symbols.ioctl(this.#mrt, BigInt(SIOCGETSGCNT), this.#sgreq) < 0) {
      this.#fail("ioctl", "SIOCGETSGCNT");
    }
    return decodeSiocSgReq(this.#sgreq);
  }

  /** SIOCGETVIFCNT: a VIF's counters (EINVAL for a VIF not in use). */
  vifCount(vifi: number): VifCount {
    encodeSiocVifReq(this.#vifreq, vifi);
    if (this.#libc.symbols.ioctl(this.#mrt, BigInt(SIOCGETVIFCNT), this.#vifreq) < 0) {
      this.#fail("ioctl", "SIOCGETVIFCNT");
    }
    return decodeSiocVifReq(this.#vifreq);
  }

  /**
   * Joins on a pool of UDP sockets (see {@link MembershipPool}): the kernel limits memberships
   * per socket (net.ipv4.igmp_max_memberships), so a new socket is opened when one is full.
   */
  joinGroup(group: number, ifindex: number): void {
    encodeIpMreqn(this.#mreqn, { group, address: 0, ifindex });
    this.#pool.join(`${group}/${ifindex}`, this.#mreqn);
  }

  /** Leaves a group joined with {@link joinGroup}. */
  leaveGroup(group: number, ifindex: number): void {
    encodeIpMreqn(this.#mreqn, { group, address: 0, ifindex });
    this.#pool.leave(`${group}/${ifindex}`, this.#mreqn);
  }

  /** Sends an IGMP message out of one interface; TTL 1 and Router Alert are set on the socket. */
  sendIgmp(
    opts: { ifindex: number; source: number; destination: number; igmp: Uint8Array },
  ): void {
    encodeIpMreqn(this.#mreqn, { group: 0, address: opts.source, ifindex: opts.ifindex });
    this.#setOpt(this.#mrt, IP_MULTICAST_IF, this.#mreqn, "IP_MULTICAST_IF");
    encodeSockaddrIn(this.#sockaddr, opts.destination);
    const n = this.#libc.symbols.sendto(
      this.#mrt,
      opts.igmp,
      BigInt(opts.igmp.byteLength),
      0,
      this.#sockaddr,
      SIZEOF_SOCKADDR_IN,
    );
    if (n < 0) this.#fail("sendto", "IGMP");
  }

  /** Reads one pending packet or upcall without blocking. */
  receive(): Received | undefined {
    if (this.#mrt < 0) return undefined;
    const r = this.#receiver;
    const n = r.receive(this.#libc, this.#mrt);
    if (n === undefined) return undefined;
    const upcall = decodeIgmpmsg(r.data, n);
    if (upcall !== undefined) return { kind: "upcall", ...upcall };
    return {
      kind: "packet",
      ifindex: findPktinfoIfindex(r.control, r.controlLength),
      data: r.data,
      length: n,
    };
  }

  /** poll(2) on the routing sockets, the eventfd and the netlink socket, off the main thread. */
  async wait(timeoutMs: number): Promise<void> {
    if (this.#mrt < 0 && this.#mrt6.fd < 0) return;
    const timeout = Math.max(0, Math.min(0x7fffffff, Math.ceil(timeoutMs)));
    this.#waiting = true;
    try {
      await this.#libc.symbols.poll(this.#pollfds, BigInt(POLL_FDS), timeout);
    } finally {
      this.#waiting = false;
    }
    if (this.#eventfd >= 0) this.#libc.symbols.read(this.#eventfd, this.#eight, 8n);
  }

  /** Writes the eventfd so that a pending {@link wait} returns. */
  wake(): void {
    if (this.#eventfd < 0) return;
    new DataView(this.#eight.buffer).setBigUint64(0, 1n, true);
    this.#libc.symbols.write(this.#eventfd, this.#eight, 8n);
  }
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
