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
import { IOVEC, MSGHDR, SIZEOF_IOVEC, SIZEOF_MSGHDR } from "./msghdr.ts";
import { LITTLE_ENDIAN } from "./socket_structs.ts";

/** Sizes of the buffers of a {@link Receiver}. */
export interface ReceiverSizes {
  /** Data buffer. */
  data: number;
  /** Control (ancillary data) buffer. */
  control: number;
  /** Sender address buffer (`msg_name`); 0 for none. */
  name?: number;
}

/** What one `recvmsg` read: the message's bytes, its ancillary data and its sender. */
export interface ReceivedBytes {
  /** The data (valid up to `length`). */
  data: Uint8Array;
  /** Number of valid bytes in `data`. */
  length: number;
  /** Ancillary data (valid up to `controlLength`). */
  control: Uint8Array;
  /** Length of the ancillary data. */
  controlLength: number;
  /** The sender's address (a `sockaddr`), empty when not asked for. */
  name: Uint8Array;
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
  readonly #controllen: bigint;

  /** Allocates the buffers and points a `msghdr` at them. */
  constructor(sizes: ReceiverSizes) {
    this.data = new Uint8Array(sizes.data);
    this.control = new Uint8Array(sizes.control);
    this.name = new Uint8Array(sizes.name ?? 0);
    this.#controllen = BigInt(this.control.byteLength);
    const iov = new DataView(this.#iov.buffer);
    iov.setBigUint64(IOVEC.iov_base, pointerValue(this.data), LITTLE_ENDIAN);
    iov.setBigUint64(IOVEC.iov_len, BigInt(this.data.byteLength), LITTLE_ENDIAN);
    if (this.name.byteLength > 0) {
      this.#view.setBigUint64(MSGHDR.msg_name, pointerValue(this.name), LITTLE_ENDIAN);
    }
    this.#view.setBigUint64(MSGHDR.msg_iov, pointerValue(this.#iov), LITTLE_ENDIAN);
    this.#view.setBigUint64(MSGHDR.msg_iovlen, 1n, LITTLE_ENDIAN);
    this.#view.setBigUint64(MSGHDR.msg_control, pointerValue(this.control), LITTLE_ENDIAN);
  }

  /** The length of the ancillary data of the last message. */
  get controlLength(): number {
    // A size_t no larger than the buffer: the low half holds it.
    return this.#view.getUint32(MSGHDR.msg_controllen, LITTLE_ENDIAN);
  }

  /** The last message, `length` bytes long (as {@link receive} returned), with its buffers. */
  message(length: number): ReceivedBytes {
    const { data, control, controlLength, name } = this;
    return { data, length, control, controlLength, name };
  }

  /**
   * Reads one message from `fd` without blocking: its length, or `undefined` when none is
   * pending (EAGAIN) or the call was interrupted. Throws {@link SysError} otherwise.
   */
  receive(libc: Libc, fd: number): number | undefined {
    this.#view.setUint32(MSGHDR.msg_namelen, this.name.byteLength, LITTLE_ENDIAN);
    this.#view.setBigUint64(MSGHDR.msg_controllen, this.#controllen, LITTLE_ENDIAN);
    const n = Number(libc.symbols.recvmsg(fd, this.#msghdr, MSG_DONTWAIT));
    if (n >= 0) return n;
    const errno = readErrno(libc);
    if (errno === Errno.EAGAIN || errno === Errno.EINTR) return undefined;
    throw new SysError("recvmsg", "", errno);
  }
}
