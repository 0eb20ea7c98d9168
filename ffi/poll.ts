/**
 * Waiting for the sockets of the OS port without blocking the event loop: one poll(2) over the
 * sockets and an eventfd, declared `nonblocking` so that it runs on another thread. Writing the
 * eventfd ({@link Poller.wake}) ends a pending wait: that is how a signal handler or shutdown
 * gets the loop's attention, and a pending call would otherwise keep the process alive.
 *
 * @module
 */

import { checkCall } from "./errno.ts";
import type { Libc } from "./libc.ts";
import { EFD_CLOEXEC, EFD_NONBLOCK, POLLIN } from "./linux_constants.ts";
import { LITTLE_ENDIAN } from "./socket_structs.ts";

/** sizeof(struct pollfd). */
export const SIZEOF_POLLFD = 8;
/** `struct pollfd` offsets (`<poll.h>`): `int fd`, `short events`, `short revents`. */
export const POLLFD = Object.freeze({ fd: 0, events: 4, revents: 6 });
/** How many sockets a wait watches beside the eventfd: two routing sockets and netlink. */
export const MAX_POLLED_SOCKETS = 3;

/** The poll set and the eventfd that wakes it. */
export class Poller {
  readonly #libc: Libc;
  #eventfd = -1;
  #waiting = false;
  readonly #pollfds = new Uint8Array((1 + MAX_POLLED_SOCKETS) * SIZEOF_POLLFD);
  readonly #view = new DataView(this.#pollfds.buffer);
  readonly #eight = new Uint8Array(8);

  /** Opens nothing until {@link open}. */
  constructor(libc: Libc) {
    this.#libc = libc;
  }

  /**
   * Opens the eventfd (nonblocking, close-on-exec) unless it is open: from then on
   * {@link wake} reaches the next or pending {@link wait}. Throws `SysError`.
   */
  open(): void {
    if (this.#eventfd >= 0) return;
    const efd = this.#libc.symbols.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    this.#eventfd = checkCall(this.#libc, efd, { call: "eventfd" });
  }

  /**
   * poll(2) on the eventfd and `fds` (at most {@link MAX_POLLED_SOCKETS}; negative ones are
   * skipped) until one is readable or `timeoutMs` passes, off the main thread; then reads the
   * eventfd, so that one wake ends one wait.
   */
  async wait(fds: readonly number[], timeoutMs: number): Promise<void> {
    if (fds.length > MAX_POLLED_SOCKETS) throw new RangeError(`Cannot poll ${fds.length} sockets`);
    this.#setPollFd(0, this.#eventfd);
    for (let i = 0; i < MAX_POLLED_SOCKETS; i++) this.#setPollFd(i + 1, fds[i] ?? -1);
    const timeout = Math.max(0, Math.min(0x7fffffff, Math.ceil(timeoutMs)));
    this.#waiting = true;
    try {
      const count = BigInt(1 + MAX_POLLED_SOCKETS);
      await this.#libc.symbols.poll(this.#pollfds, count, timeout);
    } finally {
      this.#waiting = false;
    }
    if (this.#eventfd >= 0) this.#libc.symbols.read(this.#eventfd, this.#eight, 8n);
  }

  /** Writes the eventfd so that a pending {@link wait} returns; nothing before {@link open}. */
  wake(): void {
    if (this.#eventfd < 0) return;
    new DataView(this.#eight.buffer).setBigUint64(0, 1n, LITTLE_ENDIAN);
    this.#libc.symbols.write(this.#eventfd, this.#eight, 8n);
  }

  /**
   * Closes the eventfd, unless a poll may still be pending on it: then it closes with the
   * process. Never throws.
   */
  close(): void {
    if (this.#eventfd < 0 || this.#waiting) return;
    this.#libc.symbols.close(this.#eventfd);
    this.#eventfd = -1;
  }

  /** Entry `index` of the poll set; poll(2) skips an entry with a negative fd. */
  #setPollFd(index: number, fd: number): void {
    const at = index * SIZEOF_POLLFD;
    this.#view.setInt32(at + POLLFD.fd, fd, LITTLE_ENDIAN);
    this.#view.setInt16(at + POLLFD.events, fd < 0 ? 0 : POLLIN, LITTLE_ENDIAN);
    this.#view.setInt16(at + POLLFD.revents, 0, LITTLE_ENDIAN);
  }
}
