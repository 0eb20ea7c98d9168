/**
 * errno values (Linux), the error type every failing libc call turns into, and the one check
 * at the FFI boundary that makes the one from the other: {@link checkCall}.
 *
 * @module
 */

import { type Libc, readErrno } from "./libc.ts";

/** errno names by number, for the values a multicast daemon meets. */
export const ERRNO_NAMES: Readonly<Record<number, string>> = Object.freeze({
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  5: "EIO",
  6: "ENXIO",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  17: "EEXIST",
  19: "ENODEV",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  28: "ENOSPC",
  32: "EPIPE",
  71: "EPROTO",
  90: "EMSGSIZE",
  92: "ENOPROTOOPT",
  93: "EPROTONOSUPPORT",
  95: "EOPNOTSUPP",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  105: "ENOBUFS",
  107: "ENOTCONN",
  111: "ECONNREFUSED",
  110: "ETIMEDOUT",
  113: "EHOSTUNREACH",
});

/** errno numbers by name (the inverse of {@link ERRNO_NAMES}). */
export const Errno = Object.freeze(
  Object.fromEntries(Object.entries(ERRNO_NAMES).map(([n, name]) => [name, Number(n)])),
) as Readonly<Record<string, number>>;

/** Returns the symbolic name of an errno value, e.g. `EADDRINUSE`, or `errno 123`. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** A failed system call: which call, which option, and the errno. */
export class SysError extends Error {
  /** The libc function, e.g. `setsockopt`. */
  readonly call: string;
  /** The option or operation, e.g. `MRT_ADD_MFC`. */
  readonly op: string;
  /** The errno value. */
  readonly errno: number;
  /** The errno's symbolic name, e.g. `EEXIST`. */
  readonly code: string;

  /** Builds the error; the message reads `setsockopt(MRT_INIT): EADDRINUSE`. */
  constructor(call: string, op: string, errno: number) {
    const code = errnoName(errno);
    super(op ? `${call}(${op}): ${code}` : `${call}: ${code}`);
    this.name = "SysError";
    this.call = call;
    this.op = op;
    this.errno = errno;
    this.code = code;
  }
}

/** How a {@link SysError} names a call: the libc function, and the option or operation. */
export interface CallName {
  /** The libc function, e.g. `setsockopt`. */
  call: string;
  /** The option or operation, e.g. `MRT_ADD_MFC`; none when absent. */
  op?: string;
}

/**
 * The check every libc result goes through: a negative result (-1) is a failure, whose errno is
 * read at once and thrown as a {@link SysError} named by `name`; anything else is returned as a
 * number (a descriptor, a byte count). The call must have been synchronous and nothing may run
 * between it and this check, or errno is another call's.
 *
 * @example
 * ```ts ignore
 * const fd = checkCall(libc, libc.symbols.socket(AF_INET, SOCK_RAW, IPPROTO_IGMP), {
 *   call: "socket",
 *   op: "AF_INET, SOCK_RAW, IPPROTO_IGMP",
 * });
 * ```
 */
export function checkCall(libc: Libc, result: number | bigint, name: CallName): number {
  if (result >= 0) return Number(result);
  throw new SysError(name.call, name.op ?? "", readErrno(libc));
}
