/**
 * Installing the syscall filter of `seccomp_filter.ts` on every thread of the process, and the
 * checks around it: which threads run under it, and whether a TCP socket listens in the
 * process (the runtime's debugger, opened by a SIGUSR1 that came before the filter).
 *
 * `prctl(PR_SET_NO_NEW_PRIVS)` first (an unprivileged process may install a filter only then;
 * `execve` could never gain privileges anyway), then `seccomp(SECCOMP_SET_MODE_FILTER,
 * SECCOMP_FILTER_FLAG_TSYNC)` so that the runtime's threads started before take it too; threads
 * started later inherit it. A filter can't be removed: the process keeps it until it exits.
 *
 * @module
 */

import { checkCall } from "./errno.ts";
import { type Libc, pointerValue } from "./libc.ts";
import {
  encodeFilter,
  filterProgram,
  PR_SET_NO_NEW_PRIVS,
  SECCOMP_FILTER_FLAG_LOG,
  SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_SET_MODE_FILTER,
  type SyscallArch,
} from "./seccomp_filter.ts";

/** sizeof(struct sock_fprog) (`<linux/filter.h>`, 64-bit). */
export const SIZEOF_SOCK_FPROG = 16;
/** `struct sock_fprog` offsets: the number of instructions (u16), then a pointer to them. */
export const SOCK_FPROG = Object.freeze({ len: 0, filter: 8 });

/**
 * Installs the filter for `arch` on every thread. With `log`, the kernel also writes each
 * refused call to the audit log (`type=SECCOMP … syscall=N`). Throws `SysError` when the
 * kernel refuses (no seccomp: ENOSYS or EINVAL), or an Error naming a thread it could not
 * synchronize.
 */
export function installSyscallFilter(
  libc: Libc,
  opts: { arch: SyscallArch; log: boolean },
): void {
  checkCall(libc, libc.symbols.prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n), {
    call: "prctl",
    op: "PR_SET_NO_NEW_PRIVS",
  });
  const program = filterProgram(opts.arch);
  const filter = encodeFilter(program);
  const fprog = new Uint8Array(SIZEOF_SOCK_FPROG);
  const v = new DataView(fprog.buffer);
  v.setUint16(SOCK_FPROG.len, program.length, true);
  v.setBigUint64(SOCK_FPROG.filter, pointerValue(filter), true);
  const flags = SECCOMP_FILTER_FLAG_TSYNC | (opts.log ? SECCOMP_FILTER_FLAG_LOG : 0);
  const r = libc.symbols.syscall(
    BigInt(opts.arch.seccomp),
    BigInt(SECCOMP_SET_MODE_FILTER),
    BigInt(flags),
    fprog,
  );
  // With TSYNC, a positive result is a thread that could not take the filter.
  const thread = checkCall(libc, r, { call: "seccomp", op: "SECCOMP_SET_MODE_FILTER" });
  if (thread > 0) {
    throw new Error(`seccomp(SECCOMP_SET_MODE_FILTER): thread ${thread} kept its own`);
  }
}

/**
 * The seccomp mode of each thread of a process, this one by default (`Seccomp:` in
 * /proc/PID/task/N/status; 2 is a filter).
 */
export function threadSeccompModes(pid: number | "self" = "self"): Map<number, number> {
  const modes = new Map<number, number>();
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const status = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/status`);
      const m = status.match(/^Seccomp:\s+(\d+)$/m);
      if (m !== null) modes.set(Number(t.name), Number(m[1]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return modes;
}

/**
 * The local ports of the TCP sockets in LISTEN state, among `/proc/net/tcp` (or `tcp6`) lines;
 * with `inodes`, only those whose inode is one of them.
 */
export function listeningPorts(procNetTcp: string, inodes?: ReadonlySet<number>): number[] {
  const ports: number[] = [];
  for (const line of procNetTcp.split("\n").slice(1)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    const f = line.trim().split(/\s+/);
    const TCP_LISTEN = "0A";
    if (f.length > 9 && f[3] === TCP_LISTEN && (inodes?.has(Number(f[9])) ?? true)) {
      ports.push(parseInt(f[1].slice(f[1].lastIndexOf(":") + 1), 16));
    }
  }
  return ports;
}

/** The inodes of this process's open sockets (`socket:[N]` links in /proc/self/fd). */
export function ownSocketInodes(): Set<number> {
  const out = new Set<number>();
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      const m = Deno.readLinkSync(`/proc/self/fd/${e.name}`).match(/^socket:\[(\d+)\]$/);
      if (m !== null) out.add(Number(m[1]));
    } catch {
      // closed meanwhile (the readDir's own descriptor)
    }
  }
  return out;
}

/** The TCP ports this process listens on (none, when nothing opened the debugger). */
export function ownListeningTcpPorts(): number[] {
  const own = ownSocketInodes();
  return ["/proc/self/net/tcp", "/proc/self/net/tcp6"].flatMap((file) => {
    try {
      return listeningPorts(Deno.readTextFileSync(file), own);
    } catch {
      return []; // no IPv6
    }
  });
}
