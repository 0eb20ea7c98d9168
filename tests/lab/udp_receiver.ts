/**
 * The receiving side of a lab host, through libc: a UDP socket per family bound to the port
 * the lab's senders send to, group memberships on the host's interface, and every datagram read
 * with `recvmsg` together with the time the kernel received it (`SO_TIMESTAMPNS`). That time is
 * the datagram's arrival, however late the agent gets to it: under emulation an agent may wait
 * a second or more for a CPU. Buffers are reused, so a busy stream costs little.
 *
 * A `poll` on both sockets runs off the JavaScript thread (the symbol is non-blocking), so the
 * agent keeps answering its commands while it waits for datagrams.
 *
 * @module
 */

import { errnoName, SysError } from "../../ffi/errno.ts";
import { type Libc, readErrno } from "../../ffi/libc.ts";
import {
  AF_INET,
  AF_INET6,
  IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IPV6_ADD_MEMBERSHIP,
  IPV6_DROP_MEMBERSHIP,
  POLLIN,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOL_SOCKET,
} from "../../ffi/linux_constants.ts";
import {
  encodeIpMreqn,
  encodeIpv6Mreq,
  encodeSockaddrIn,
  SIZEOF_IP_MREQN,
  SIZEOF_IPV6_MREQ,
  SIZEOF_SOCKADDR_IN,
  SIZEOF_SOCKADDR_IN6,
} from "../../ffi/socket_structs.ts";
import { findCmsgData } from "../../ffi/msghdr.ts";
import { Receiver } from "../../ffi/receiver.ts";
import { setSockOpt, setSockOptInt } from "../../ffi/sockopt.ts";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../../src/proto/addr.ts";
import { sockaddrIn6 } from "./sender.ts";
import { encodeGroupSourceReq, SOURCE_OPS, type SourceOp } from "./source_membership.ts";

/** `<asm-generic/socket.h>` */
const SO_REUSEADDR = 2;
/** `<asm-generic/socket.h>`: receive timestamps as `struct timespec`; also the cmsg type. */
const SO_TIMESTAMPNS = 35;
/** `<linux/in6.h>` */
const IPV6_V6ONLY = 26;
/** How long one `poll` waits at most, so that {@link MulticastReceiver.close} is prompt. */
const POLL_MS = 200;

/** One datagram as it arrived. */
export interface Datagram {
  /** Its bytes (a copy). */
  data: Uint8Array;
  /** The sender's address: dotted quad or RFC 5952 IPv6 text. */
  source: string;
  /** Wall-clock ms when the kernel received it. */
  t: number;
}

/** Where a {@link MulticastReceiver} listens. */
export interface ReceiverOptions {
  /** UDP port of both sockets. */
  port: number;
  /** The host's IPv4 address, IPv4 groups are joined on. */
  ifaceAddr: string;
  /** The index of the interface IPv6 groups are joined on (0: no IPv6 socket). */
  ifindex6: number;
  /**
   * The index of the interface source-specific memberships of either family are made on
   * (default `ifindex6`: a lab host has one interface).
   */
  ifindex?: number;
}

/** The sockets of a lab host and the groups they are members of. */
export class MulticastReceiver {
  readonly #libc: Libc;
  readonly #fd4: number;
  readonly #fd6: number;
  readonly #ifaceAddr: number;
  readonly #ifindex6: number;
  readonly #ifindex: number;
  readonly #receiver = new Receiver({ data: 65536, control: 64, name: SIZEOF_SOCKADDR_IN6 });
  readonly #pollfds = new Uint8Array(16);
  #running: Promise<void> | undefined;
  #stopped = false;

  /** Opens and binds both sockets (IPv4 only when `ifindex6` is 0). Throws a SysError. */
  constructor(libc: Libc, opts: ReceiverOptions) {
    const addr = parseIPv4(opts.ifaceAddr);
    if (addr === undefined) throw new Error(`Bad IPv4 address "${opts.ifaceAddr}"`);
    this.#libc = libc;
    this.#ifaceAddr = addr;
    this.#ifindex6 = opts.ifindex6;
    this.#ifindex = opts.ifindex ?? opts.ifindex6;
    this.#fd4 = this.#open(
      AF_INET,
      encodeSockaddrIn(new Uint8Array(SIZEOF_SOCKADDR_IN), 0, opts.port),
    );
    try {
      this.#fd6 = opts.ifindex6 === 0
        ? -1
        : this.#open(AF_INET6, sockaddrIn6(new Uint8Array(16), opts.port));
    } catch (e) {
      libc.symbols.close(this.#fd4);
      throw e;
    }
  }

  #check(result: number | bigint, call: string, op: string): void {
    if (Number(result) < 0) throw new SysError(call, op, readErrno(this.#libc));
  }

  #open(family: number, bound: Uint8Array): number {
    const s = this.#libc.symbols;
    const fd = s.socket(family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
    this.#check(fd, "socket", family === AF_INET ? "AF_INET" : "AF_INET6");
    try {
      const on = (level: number, option: number, name: string) =>
        setSockOptInt(this.#libc, fd, { level, option, name }, 1);
      on(SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
      on(SOL_SOCKET, SO_TIMESTAMPNS, "SO_TIMESTAMPNS");
      if (family === AF_INET6) on(IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY");
      this.#check(s.bind(fd, bound, bound.length), "bind", family === AF_INET ? "IPv4" : "IPv6");
    } catch (e) {
      s.close(fd);
      throw e;
    }
    return fd;
  }

  /** Joins (`true`) or leaves a group, IPv4 or IPv6 by its text. Throws a SysError or Error. */
  membership(group: string, join: boolean): void {
    const g4 = parseIPv4(group);
    if (g4 !== undefined) {
      const req = encodeIpMreqn(new Uint8Array(SIZEOF_IP_MREQN), {
        group: g4,
        address: this.#ifaceAddr,
        ifindex: 0,
      });
      setSockOpt(this.#libc, this.#fd4, {
        level: IPPROTO_IP,
        option: join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP,
        name: join ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP",
      }, req);
      return;
    }
    const g6 = parseIPv6(group);
    if (g6 === undefined) throw new Error(`Bad group "${group}"`);
    if (this.#fd6 < 0) throw new Error("No IPv6 socket");
    const req = encodeIpv6Mreq(new Uint8Array(SIZEOF_IPV6_MREQ), {
      group: g6,
      ifindex: this.#ifindex6,
    });
    setSockOpt(this.#libc, this.#fd6, {
      level: IPPROTO_IPV6,
      option: join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP,
      name: join ? "IPV6_ADD_MEMBERSHIP" : "IPV6_DROP_MEMBERSHIP",
    }, req);
  }

  /**
   * Changes one source of a group's membership on the host's interface (see
   * {@link SourceOp}): `join-source` and `leave-source` for INCLUDE mode, `block` and `unblock`
   * on a group joined with {@link membership} for EXCLUDE mode. The kernel sends the IGMPv3 or
   * MLDv2 state-change report. Throws a SysError or Error.
   */
  sourceMembership(op: SourceOp, group: string, source: string): void {
    const ipv6 = group.includes(":");
    if (this.#ifindex === 0) throw new Error("No interface index for source-specific calls");
    if (ipv6 && this.#fd6 < 0) throw new Error("No IPv6 socket");
    const req = encodeGroupSourceReq({ ifindex: this.#ifindex, group, source });
    setSockOpt(this.#libc, ipv6 ? this.#fd6 : this.#fd4, {
      level: ipv6 ? IPPROTO_IPV6 : IPPROTO_IP,
      ...SOURCE_OPS[op],
    }, req);
  }

  /**
   * Hands every datagram to `onDatagram` as it comes, until {@link close}. Rejects with a
   * SysError when the sockets fail.
   */
  run(onDatagram: (d: Datagram) => void): Promise<void> {
    this.#running ??= this.#loop(onDatagram);
    return this.#running;
  }

  async #loop(onDatagram: (d: Datagram) => void): Promise<void> {
    const fds = [this.#fd4, this.#fd6].filter((fd) => fd >= 0);
    const v = new DataView(this.#pollfds.buffer);
    fds.forEach((fd, i) => {
      v.setInt32(8 * i, fd, true);
      v.setInt16(8 * i + 4, POLLIN, true);
    });
    while (!this.#stopped) {
      fds.forEach((_, i) => v.setInt16(8 * i + 6, 0, true));
      const n = await this.#libc.symbols.poll(this.#pollfds, BigInt(fds.length), POLL_MS);
      // errno of a non-blocking call is another thread's: a failed poll is simply polled again.
      if (n <= 0) continue;
      for (const fd of fds) this.#drain(fd, onDatagram);
    }
  }

  #drain(fd: number, onDatagram: (d: Datagram) => void): void {
    const r = this.#receiver;
    for (;;) {
      const n = r.receive(this.#libc, fd);
      if (n === undefined) return;
      onDatagram({
        data: r.data.slice(0, n),
        source: sourceOf(r.name),
        t: arrivalOf(r.control, r.controlLength) ?? Date.now(),
      });
    }
  }

  /** Stops {@link run}, then closes the sockets (the kernel drops their memberships). */
  async close(): Promise<void> {
    this.#stopped = true;
    await this.#running?.catch(() => {});
    this.#libc.symbols.close(this.#fd4);
    if (this.#fd6 >= 0) this.#libc.symbols.close(this.#fd6);
  }
}

/** The address in a `sockaddr_in` or `sockaddr_in6` written by recvmsg. */
export function sourceOf(name: Uint8Array): string {
  const v = new DataView(name.buffer, name.byteOffset, name.byteLength);
  return v.getUint16(0, true) === AF_INET
    ? formatIPv4(v.getUint32(4, false))
    : formatIPv6(name.slice(8, 24));
}

/** The `SCM_TIMESTAMPNS` time of a datagram, in wall-clock ms, if the kernel gave one. */
export function arrivalOf(control: Uint8Array, length: number): number | undefined {
  const ts = findCmsgData(control, length, {
    level: SOL_SOCKET,
    type: SO_TIMESTAMPNS,
    minLength: 16,
  });
  if (ts === undefined) return undefined;
  const v = new DataView(ts.buffer, ts.byteOffset, 16);
  return Number(v.getBigInt64(0, true)) * 1000 + Number(v.getBigInt64(8, true)) / 1e6;
}

/** The index of an interface by name, or an Error naming what went wrong. */
export function interfaceIndex(libc: Libc, name: string): number {
  const index = libc.symbols.if_nametoindex(new TextEncoder().encode(name + "\0"));
  if (index === 0) {
    throw new Error(`No interface "${name}": ${errnoName(readErrno(libc))}`);
  }
  return index;
}
