/**
 * News of interface changes from the kernel: a NETLINK_ROUTE socket bound to the groups of link
 * and address events. Its messages are only counted, never parsed: any of them means "look
 * again" (getifaddrs, see `ifaddrs.ts`), which keeps this side simple and always right.
 *
 * @module
 */

import { checkCall, Errno, SysError } from "./errno.ts";
import { type Libc, readErrno } from "./libc.ts";
import {
  AF_NETLINK,
  MSG_DONTWAIT,
  NETLINK_ROUTE,
  RTMGRP_IPV4_IFADDR,
  RTMGRP_IPV6_IFADDR,
  RTMGRP_LINK,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
} from "./linux_constants.ts";
import { encodeSockaddrNl, SIZEOF_SOCKADDR_NL } from "./netlink_structs.ts";

/** Netlink messages are only counted, never parsed: a longer datagram is cut, which is fine. */
const NETLINK_BUFFER_SIZE = 8192;
/** At most this many netlink messages are read per call; poll wakes again for the rest. */
const NETLINK_BATCH = 256;

/** The watch: a netlink socket joined to RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR. */
export class NetlinkWatch {
  readonly #libc: Libc;
  #fd = -1;
  readonly #buf = new Uint8Array(NETLINK_BUFFER_SIZE);
  readonly #sockaddr = new Uint8Array(SIZEOF_SOCKADDR_NL);

  /** Opens nothing until {@link open}. */
  constructor(libc: Libc) {
    this.#libc = libc;
  }

  /** The socket, for a poll set; -1 when not watching. */
  get fd(): number {
    return this.#fd;
  }

  /**
   * Opens the NETLINK_ROUTE socket (nonblocking, close-on-exec) and binds it to the groups;
   * nothing when it is open. Throws {@link SysError}.
   */
  open(): void {
    if (this.#fd >= 0) return;
    const s = this.#libc.symbols;
    const fd = checkCall(
      this.#libc,
      s.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE),
      { call: "socket", op: "AF_NETLINK, NETLINK_ROUTE" },
    );
    encodeSockaddrNl(this.#sockaddr, {
      groups: RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
    });
    try {
      checkCall(this.#libc, s.bind(fd, this.#sockaddr, SIZEOF_SOCKADDR_NL), {
        call: "bind",
        op: "RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR",
      });
    } catch (err) {
      s.close(fd);
      throw err;
    }
    this.#fd = fd;
  }

  /**
   * Drains the socket: any message, or ENOBUFS (the kernel dropped messages because the
   * socket's buffer was full), means interfaces may have changed. Another error closes the
   * socket and is thrown ({@link SysError}).
   */
  changed(): boolean {
    if (this.#fd < 0) return false;
    let changed = false;
    for (let i = 0; i < NETLINK_BATCH; i++) {
      const n = Number(
        this.#libc.symbols.recv(this.#fd, this.#buf, BigInt(NETLINK_BUFFER_SIZE), MSG_DONTWAIT),
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
      this.close();
      throw new SysError("recv", "NETLINK_ROUTE", errno);
    }
    return changed;
  }

  /** Closes the socket: the watch ends. Never throws. */
  close(): void {
    if (this.#fd < 0) return;
    this.#libc.symbols.close(this.#fd);
    this.#fd = -1;
  }
}
