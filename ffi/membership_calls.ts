/**
 * The kernel calls of {@link MembershipPool} through libc: datagram sockets and the
 * protocol-independent multicast options of RFC 3678 (MCAST_JOIN_GROUP,
 * MCAST_JOIN_SOURCE_GROUP, MCAST_MSFILTER, MCAST_LEAVE_GROUP), the same for IPv4 (level
 * IPPROTO_IP) and IPv6 (level IPPROTO_IPV6). Also reads the per-socket source limit from its
 * sysctl.
 *
 * @module
 */

import type { SourceFilter } from "../src/core/actions.ts";
import { checkCall, Errno } from "./errno.ts";
import { type Libc, readErrno } from "./libc.ts";
import {
  MCAST_JOIN_GROUP,
  MCAST_JOIN_SOURCE_GROUP,
  MCAST_LEAVE_GROUP,
  MCAST_MSFILTER,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
} from "./linux_constants.ts";
import type { GroupAt, MembershipCalls } from "./membership_pool.ts";
import {
  encodeGroupFilter,
  encodeGroupReq,
  encodeGroupSourceReq,
  type McastAddress,
  SIZEOF_GROUP_REQ,
  SIZEOF_GROUP_SOURCE_REQ,
} from "./socket_structs.ts";

/** How many times a membership option call is made while it fails with EAGAIN or EINTR. */
export const SET_TRIES = 3;

/** A family's socket domain, option level, and its addresses as the structs take them. */
export interface CallsFamily<A> {
  /** AF_INET or AF_INET6. */
  domain: number;
  /** IPPROTO_IP or IPPROTO_IPV6. */
  level: number;
  /** An address as a number (IPv4) or 16 bytes (IPv6). */
  address: (a: A) => McastAddress;
}

/** {@link MembershipCalls} made with libc; the request buffers stay referenced here. */
export function libcMembershipCalls<A>(libc: Libc, family: CallsFamily<A>): MembershipCalls<A> {
  const s = libc.symbols;
  const { domain, level, address } = family;
  const groupReq = new Uint8Array(SIZEOF_GROUP_REQ);
  const sourceReq = new Uint8Array(SIZEOF_GROUP_SOURCE_REQ);
  let filterReq: Uint8Array = new Uint8Array(0);
  const set = (fd: number, option: number, req: Uint8Array): number => {
    // A blocking option call has no reason to say EAGAIN, and EINTR means try again: seen once
    // in 16,384 joins under load, such a failure left a group unjoined upstream for good.
    let errno = 0;
    for (let tries = 0; tries < SET_TRIES; tries++) {
      if (s.setsockopt(fd, level, option, req, req.byteLength) === 0) return 0;
      errno = readErrno(libc);
      if (errno !== Errno.EAGAIN && errno !== Errno.EINTR) return errno;
    }
    return errno;
  };
  return {
    open: () =>
      checkCall(libc, s.socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), {
        call: "socket",
        op: "SOCK_DGRAM",
      }),
    join(fd: number, at: GroupAt<A>, source?: A): number {
      const group = address(at.group);
      if (source === undefined) {
        return set(fd, MCAST_JOIN_GROUP, encodeGroupReq(groupReq, { ifindex: at.ifindex, group }));
      }
      const req = { ifindex: at.ifindex, group, source: address(source) };
      return set(fd, MCAST_JOIN_SOURCE_GROUP, encodeGroupSourceReq(sourceReq, req));
    },
    setFilter(fd: number, at: GroupAt<A>, filter: SourceFilter<A>): number {
      const req = encodeGroupFilter({
        ifindex: at.ifindex,
        group: address(at.group),
        mode: filter.mode,
        sources: filter.sources.map(address),
      }, filterReq);
      // A bigger filter than any before got a new buffer: the next ones reuse it.
      if (req.buffer !== filterReq.buffer) filterReq = req;
      return set(fd, MCAST_MSFILTER, req);
    },
    leave(fd: number, at: GroupAt<A>): void {
      const req = encodeGroupReq(groupReq, { ifindex: at.ifindex, group: address(at.group) });
      const r = s.setsockopt(fd, level, MCAST_LEAVE_GROUP, req, req.byteLength);
      checkCall(libc, r, { call: "setsockopt", op: "MCAST_LEAVE_GROUP" });
    },
    close(fd: number): void {
      s.close(fd);
    },
  };
}

/**
 * Reads an integer sysctl (`net.ipv4.igmp_max_msf` from `/proc/sys/net/ipv4/igmp_max_msf`);
 * undefined when it cannot be read (no /proc, no permission, inside the jail).
 */
export function readSysctlInt(name: string): number | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/sys/${name.replaceAll(".", "/")}`).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
