/**
 * One reusable `recvmsg(2)` setup: a data buffer, a control buffer for ancillary data, an
 * optional buffer for the sender's address, and the `msghdr` and `iovec` that point at them.
 * The buffers are fields, so they stay referenced while the kernel writes into them.
 *
 * @module
 */

import { Errno, SysError } from "./errno.ts";
import { type Libc, pointerValue, readErrno } from "./libc.ts";
import { MSG_DONTWAIT } from "./linux_constants.ts";
import { MSGHDR, SIZEOF_IOVEC, SIZEOF_MSGHDR } from "./linux_structs.ts";

/** Sizes of the buffers of a {@link Receiver}. */
export interface ReceiverSizes {
  /** Data buffer. */
  data: number;
  /** Control (ancillary data) buffer. */
  control: number;
  /** Sender address buffer (`msg_name`); 0 for none. */
  name?: number;
}

/** A `recvmsg` with its buffers, reused for every message. */
export class Receiver {
  /** The data of the last message (valid up to the length {@link receive} returned). */
  readonly data: Uint8Array;
  /** Ancillary data of the last message (valid up to {@link controlLength}). */
  readonly control: Uint8Array;
  /** The sender's address of the last message (a `sockaddr`), when asked for. */
  readonly name: Uint8Array;
  readonly #iov = new Uint8Array(SIZEOF_IOVEC);
  readonly #msghdr = new Uint8Array(SIZEOF_MSGHDR);
  readonly #view = new DataView(this.#msghdr.buffer);

  /** Allocates the buffers and points a `msghdr` at them. */
  constructor(sizes: ReceiverSizes) {
    this.data = new Uint8Array(sizes.data);
    this.control = new Uint8Array(sizes.control);
    this.name = new Uint8Array(sizes.name ?? 0);
    const iov = new DataView(this.#iov.buffer);
    iov.setBigUint64(0, pointerValue(this.data), true);
    iov.setBigUint64(8, BigInt(this.data.byteLength), true);
    if (this.name.byteLength > 0) {
      this.#view.setBigUint64(MSGHDR.name, pointerValue(this.name), true);
    }
    this.#view.setBigUint64(MSGHDR.iov, pointerValue(this.#iov), true);
    this.#view.setBigUint64(MSGHDR.iovlen, 1n, true);
    this.#view.setBigUint64(MSGHDR.control, pointerValue(this.control), true);
  }

  /** The length of the ancillary data of the last message. */
  get controlLength(): number {
    return Number(this.#view.getBigUint64(MSGHDR.controllen, true));
  }

  /**
   * Reads one message from `fd` without blocking: its length, or `undefined` when none is
   * pending (EAGAIN) or the call was interrupted. Throws {@link SysError} otherwise.
   */
  receive(libc: Libc, fd: number): number | undefined {
    this.#view.setUint32(MSGHDR.namelen, this.name.byteLength, true);
    this.#view.setBigUint64(MSGHDR.controllen, BigInt(this.control.byteLength), true);
    const n = Number(libc.symbols.recvmsg(fd, this.#msghdr, MSG_DONTWAIT));
    if (n >= 0) return n;
    const errno = readErrno(libc);
    if (errno === Errno.EAGAIN || errno === Errno.EINTR) return undefined;
    throw new SysError("recvmsg", "", errno);
  }
}
