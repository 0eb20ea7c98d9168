/**
 * The libc symbols the daemon uses, in one typed table with the C prototype of each. Nothing is
 * opened at import time: `main.ts` calls {@link openLibc} and hands the result to the OS layer.
 *
 * Deno types: `i32` int, `u32` unsigned int (socklen_t, uid_t, gid_t), `isize` ssize_t and
 * long, `usize` size_t, `u64` unsigned long, `buffer` a pointer to memory we own (a
 * `Uint8Array`), `pointer` one the C library owns.
 *
 * @module
 */

/** The symbol table given to `Deno.dlopen`. */
export const LIBC_SYMBOLS = {
  // int socket(int domain, int type, int protocol)
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  // int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  // int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  // ssize_t sendto(int fd, const void *buf, size_t len, int flags,
  //                const struct sockaddr *dest_addr, socklen_t addrlen)
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  // ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  // ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  // ssize_t recv(int fd, void *buf, size_t len, int flags)
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  // int bind(int fd, const struct sockaddr *addr, socklen_t addrlen)
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // int connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // int ioctl(int fd, unsigned long request, ...): one pointer argument, a request struct
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  // int close(int fd)
  close: { parameters: ["i32"], result: "i32" },
  // ssize_t read(int fd, void *buf, size_t count)
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // int open(const char *pathname, int flags, ...): never with O_CREAT, so no mode
  open: { parameters: ["buffer", "i32"], result: "i32" },
  // int openat(int dirfd, const char *pathname, int flags, ...): never with O_CREAT
  openat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  // int statx(int dirfd, const char *pathname, int flags, unsigned int mask,
  //           struct statx *statxbuf)
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  // ssize_t write(int fd, const void *buf, size_t count)
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // int eventfd(unsigned int initval, int flags)
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // int poll(struct pollfd *fds, nfds_t nfds, int timeout): on another thread, so that the
  // event loop goes on while it waits
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  // int getifaddrs(struct ifaddrs **ifap)
  getifaddrs: { parameters: ["buffer"], result: "i32" },
  // void freeifaddrs(struct ifaddrs *ifa)
  freeifaddrs: { parameters: ["pointer"], result: "void" },
  // unsigned int if_nametoindex(const char *ifname)
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  // struct passwd *getpwnam(const char *name)
  getpwnam: { parameters: ["buffer"], result: "pointer" },
  // int chroot(const char *path)
  chroot: { parameters: ["buffer"], result: "i32" },
  // int chdir(const char *path)
  chdir: { parameters: ["buffer"], result: "i32" },
  // int setgroups(size_t size, const gid_t *list)
  setgroups: { parameters: ["usize", "buffer"], result: "i32" },
  // int setresgid(gid_t rgid, gid_t egid, gid_t sgid)
  setresgid: { parameters: ["u32", "u32", "u32"], result: "i32" },
  // int setresuid(uid_t ruid, uid_t euid, uid_t suid)
  setresuid: { parameters: ["u32", "u32", "u32"], result: "i32" },
  // int getresuid(uid_t *ruid, uid_t *euid, uid_t *suid)
  getresuid: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  // int getresgid(gid_t *rgid, gid_t *egid, gid_t *sgid)
  getresgid: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  // uid_t geteuid(void)
  geteuid: { parameters: [], result: "u32" },
  // int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
  //           unsigned long arg5)
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  // long syscall(long number, ...): for seccomp(2), which glibc has no wrapper for, called as
  // syscall(SYS_seccomp, unsigned int operation, unsigned int flags, void *args)
  syscall: { parameters: ["i64", "u64", "u64", "buffer"], result: "i64" },
  // int *__errno_location(void): the calling thread's errno
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened library. */
export type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>;

/** Opens the C library (glibc on Linux). Requires `--allow-ffi`. */
export function openLibc(path = "libc.so.6"): Libc {
  return Deno.dlopen(path, LIBC_SYMBOLS);
}

/** The address of a buffer, for a struct field that points at it. */
export function pointerValue(buf: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/** Reads the calling thread's errno; call it right after the failing synchronous call. */
export function readErrno(libc: Libc): number {
  const p = libc.symbols.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32(0);
}
