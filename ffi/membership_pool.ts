/**
 * Host memberships (IP_ADD_MEMBERSHIP / IPV6_ADD_MEMBERSHIP) spread over a pool of datagram
 * sockets: the kernel limits how many groups one socket may join, and a new socket is opened
 * when one is full. For IPv4 the limit is `net.ipv4.igmp_max_memberships` (20 by default) and
 * the kernel answers ENOBUFS past it; for IPv6 it is the socket's option memory
 * (`net.core.optmem_max`: about 2340 groups with the default 128 KiB, measured) and the answer
 * is ENOMEM. The user never has to raise a sysctl.
 *
 * @module
 */

import { checkCall, Errno, SysError } from "./errno.ts";
import { type Libc, readErrno } from "./libc.ts";
import { SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK } from "./linux_constants.ts";

/** How a family joins: socket domain, option level and names, and the request it passes. */
export interface PoolFamily {
  /** AF_INET or AF_INET6. */
  domain: number;
  /** IPPROTO_IP or IPPROTO_IPV6. */
  level: number;
  /** IP_ADD_MEMBERSHIP or IPV6_ADD_MEMBERSHIP, and its name for errors. */
  add: { option: number; name: string };
  /** IP_DROP_MEMBERSHIP or IPV6_DROP_MEMBERSHIP, and its name for errors. */
  drop: { option: number; name: string };
}

/** One socket of the pool and how many groups it holds. */
interface MemberSocket {
  fd: number;
  groups: number;
  full: boolean;
}

/** Memberships by `key`, on as many sockets as the kernel's per-socket limit needs. */
export class MembershipPool {
  readonly #libc: Libc;
  readonly #family: PoolFamily;
  readonly #sockets: MemberSocket[] = [];
  readonly #byKey = new Map<string, MemberSocket>();

  /** Opens nothing until the first join. */
  constructor(libc: Libc, family: PoolFamily) {
    this.#libc = libc;
    this.#family = family;
  }

  /** The number of sockets open. */
  get sockets(): number {
    return this.#sockets.length;
  }

  /**
   * Joins with `request` (an ip_mreqn or ipv6_mreq) unless `key` is joined already; opens a
   * socket when the open ones are full. Throws {@link SysError}.
   */
  join(key: string, request: Uint8Array): void {
    if (this.#byKey.has(key)) return;
    const s = this.#libc.symbols;
    const { domain, level, add } = this.#family;
    for (;;) {
      let sock = this.#sockets.find((m) => !m.full);
      if (sock === undefined) {
        const fd = checkCall(
          this.#libc,
          s.socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
          { call: "socket", op: "SOCK_DGRAM" },
        );
        sock = { fd, groups: 0, full: false };
        this.#sockets.push(sock);
      }
      if (s.setsockopt(sock.fd, level, add.option, request, request.byteLength) === 0) {
        sock.groups++;
        this.#byKey.set(key, sock);
        return;
      }
      const errno = readErrno(this.#libc);
      // A socket that holds groups and refuses one more is full; on an empty one it is news.
      if ((errno !== Errno.ENOBUFS && errno !== Errno.ENOMEM) || sock.groups === 0) {
        throw new SysError("setsockopt", add.name, errno);
      }
      sock.full = true;
    }
  }

  /** Leaves what {@link join} joined under `key`; nothing when it is not joined. */
  leave(key: string, request: Uint8Array): void {
    const sock = this.#byKey.get(key);
    if (sock === undefined) return;
    this.#byKey.delete(key);
    sock.groups--;
    sock.full = false;
    const { level, drop } = this.#family;
    const r = this.#libc.symbols.setsockopt(
      sock.fd,
      level,
      drop.option,
      request,
      request.byteLength,
    );
    checkCall(this.#libc, r, { call: "setsockopt", op: drop.name });
  }

  /** Closes every socket: the kernel drops their memberships. */
  close(): void {
    for (const m of this.#sockets) this.#libc.symbols.close(m.fd);
    this.#sockets.length = 0;
    this.#byKey.clear();
  }
}
