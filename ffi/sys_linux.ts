/**
 * The OS port on Linux, put together from one module per kernel subsystem: a port per address
 * family (`mrt_linux.ts`: the IPv4 multicast routing API and IGMP; `mrt6_linux.ts`: the IPv6
 * one and MLD), the interface list (`ifaddrs.ts`), the NETLINK_ROUTE watch that tells when
 * links or addresses change (`netlink_watch.ts`), and the poll/eventfd wait (`poll.ts`).
 *
 * @module
 */

import type { Sys, SystemInterface } from "../src/runtime/sys.ts";
import { listInterfaces } from "./ifaddrs.ts";
import type { Libc } from "./libc.ts";
import { LinuxMrt } from "./mrt_linux.ts";
import { LinuxMrt6 } from "./mrt6_linux.ts";
import { NetlinkWatch } from "./netlink_watch.ts";
import { Poller } from "./poll.ts";

/** `Sys` over glibc on Linux. */
export class LinuxSys implements Sys {
  /** IGMP over IPv4: opened by its `init()`, closed by {@link close}. */
  readonly ipv4: LinuxMrt;
  /** MLD over IPv6: opened by its `init()`, closed by {@link close}. */
  readonly ipv6: LinuxMrt6;
  readonly #libc: Libc;
  readonly #watch: NetlinkWatch;
  readonly #poller: Poller;

  /** Wraps an opened libc; nothing is opened until a port's `init()`. */
  constructor(libc: Libc) {
    this.#libc = libc;
    this.#poller = new Poller(libc);
    this.#watch = new NetlinkWatch(libc);
    // The eventfd opens with the first routing socket, so that a wake() before the first wait()
    // is not lost.
    const opened = () => this.#poller.open();
    this.ipv4 = new LinuxMrt(libc, { opened });
    this.ipv6 = new LinuxMrt6(libc, { opened });
  }

  /** Lists interfaces and their addresses (see `listInterfaces`). */
  interfaces(): SystemInterface[] {
    return listInterfaces(this.#libc);
  }

  /** Opens the NETLINK_ROUTE socket; from then on {@link wait} polls it too. */
  watchInterfaces(): void {
    this.#watch.open();
  }

  /** Whether the netlink socket said anything since the last call (it is drained). */
  interfacesChanged(): boolean {
    return this.#watch.changed();
  }

  /** Drops every membership, releases the kernel tables and closes every socket. */
  close(): void {
    this.#watch.close();
    this.ipv6.close();
    this.ipv4.close();
    this.#poller.close();
  }

  /** poll(2) on the routing sockets, the eventfd and the netlink socket, off the main thread. */
  async wait(timeoutMs: number): Promise<void> {
    if (this.ipv4.fd < 0 && this.ipv6.fd < 0) return;
    await this.#poller.wait([this.ipv4.fd, this.ipv6.fd, this.#watch.fd], timeoutMs);
  }

  /** Writes the eventfd so that a pending {@link wait} returns. */
  wake(): void {
    this.#poller.wake();
  }
}
