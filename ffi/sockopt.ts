/**
 * setsockopt(2) as both family ports (IPv4 in `mrt_linux.ts`, IPv6 in `mrt6_linux.ts`) use it:
 * a failure throws a `SysError` naming the option, and the receive buffer of a routing
 * socket is raised the same way for both.
 *
 * @module
 */

import { checkCall } from "./errno.ts";
import type { Libc } from "./libc.ts";
import { SO_RCVBUF, SO_RCVBUFFORCE, SOL_SOCKET } from "./linux_constants.ts";

/** Scratch for int options; every call using it is synchronous. */
const INT = new Uint8Array(4);

/**
 * Receive buffer asked for on a routing socket (the kernel doubles it for its bookkeeping): a
 * LAN of set-top boxes rebooting at once sends thousands of reports in a burst, and the default
 * (net.core.rmem_default, about 200 kB, some 300 small packets) overflows before the loop reads
 * them.
 */
export const ROUTING_RCVBUF_BYTES = 8 * 1024 * 1024;

/** setsockopt with a byte buffer; throws `SysError` with `name` on failure. */
export function setSockOpt(
  libc: Libc,
  fd: number,
  option: { level: number; option: number; name: string },
  bytes: Uint8Array,
): void {
  const r = libc.symbols.setsockopt(fd, option.level, option.option, bytes, bytes.byteLength);
  checkCall(libc, r, { call: "setsockopt", op: option.name });
}

/** setsockopt with an int; throws `SysError` with `name` on failure. */
export function setSockOptInt(
  libc: Libc,
  fd: number,
  option: { level: number; option: number; name: string },
  value: number,
): void {
  new DataView(INT.buffer).setInt32(0, value, true);
  setSockOpt(libc, fd, option, INT);
}

/**
 * Raises a socket's receive buffer to {@link ROUTING_RCVBUF_BYTES}: past net.core.rmem_max as
 * root (SO_RCVBUFFORCE), else as far as rmem_max allows. Never throws: the default buffer still
 * works, bursts may then lose reports, which hosts repeat. Returns whether it was raised.
 */
export function raiseReceiveBuffer(libc: Libc, fd: number): boolean {
  const tries = [
    { level: SOL_SOCKET, option: SO_RCVBUFFORCE, name: "SO_RCVBUFFORCE" },
    { level: SOL_SOCKET, option: SO_RCVBUF, name: "SO_RCVBUF" },
  ];
  for (const option of tries) {
    try {
      setSockOptInt(libc, fd, option, ROUTING_RCVBUF_BYTES);
      return true;
    } catch {
      // Try the next, or keep the default.
    }
  }
  return false;
}
