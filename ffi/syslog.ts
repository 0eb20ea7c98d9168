/**
 * A syslog client over the local datagram socket (`/dev/log`), through libc. It is connected at
 * start, before the daemon chroots, so that logging goes on from inside the jail, where
 * `/dev/log` cannot be reached again by name.
 *
 * @module
 */

import { checkCall, Errno } from "./errno.ts";
import { type Libc, readErrno } from "./libc.ts";
import {
  AF_UNIX,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
} from "./linux_constants.ts";

/** The standard syslog socket. */
export const PATH_LOG = "/dev/log";

/** sizeof(struct sockaddr_un) (`<sys/un.h>`). */
export const SIZEOF_SOCKADDR_UN = 110;
/** `struct sockaddr_un` offsets: the family (u16), then the path (108 bytes). */
export const SOCKADDR_UN = Object.freeze({ sun_family: 0, sun_path: 2 });

/** A connected syslog socket. */
export class SyslogSocket {
  readonly #libc: Libc;
  readonly #path: string;
  readonly #addr = new Uint8Array(SIZEOF_SOCKADDR_UN);
  #fd = -1;

  /** Connects to the syslog socket at `path`. Throws `SysError`. */
  constructor(libc: Libc, path: string = PATH_LOG) {
    this.#libc = libc;
    this.#path = path;
    const bytes = new TextEncoder().encode(path);
    if (bytes.length >= SIZEOF_SOCKADDR_UN - SOCKADDR_UN.sun_path) {
      throw new RangeError(`Syslog socket path too long: "${path}"`);
    }
    new DataView(this.#addr.buffer).setUint16(SOCKADDR_UN.sun_family, AF_UNIX, true);
    this.#addr.set(bytes, SOCKADDR_UN.sun_path);
    this.#connect();
  }

  /** The socket's path. */
  get path(): string {
    return this.#path;
  }

  #connect(): void {
    const s = this.#libc.symbols;
    const fd = checkCall(this.#libc, s.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), {
      call: "socket",
      op: "AF_UNIX, SOCK_DGRAM",
    });
    try {
      const r = s.connect(fd, this.#addr, SIZEOF_SOCKADDR_UN);
      checkCall(this.#libc, r, { call: "connect", op: this.#path });
    } catch (err) {
      s.close(fd);
      throw err;
    }
    this.#fd = fd;
  }

  /**
   * Sends one message (`<PRI>ident[pid]: text`) without blocking. When the syslog daemon went
   * away and came back, the socket is connected again once (which only works where the path can
   * still be reached, i.e. outside the jail). Returns false when the message could not be sent.
   */
  send(message: string): boolean {
    const bytes = new TextEncoder().encode(message);
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.#fd < 0) {
        try {
          this.#connect();
        } catch {
          return false;
        }
      }
      const n = this.#libc.symbols.sendto(
        this.#fd,
        bytes,
        BigInt(bytes.length),
        MSG_DONTWAIT | MSG_NOSIGNAL,
        null,
        0,
      );
      if (n >= 0) return true;
      const errno = readErrno(this.#libc);
      // A full socket (EAGAIN) drops this message only; a peer that went away is reconnected.
      if (errno !== Errno.ECONNREFUSED && errno !== Errno.ENOTCONN) return false;
      this.close();
    }
    return false;
  }

  /** Closes the socket. Never throws. */
  close(): void {
    if (this.#fd < 0) return;
    this.#libc.symbols.close(this.#fd);
    this.#fd = -1;
  }
}
