/**
 * The daemon's syscall filter: what it refuses once running, and the classic-BPF program
 * (`struct sock_filter[]`) that makes the kernel refuse it. Pure: the program is built here as
 * bytes and installed by `ffi/seccomp.ts`.
 *
 * Refused with EPERM:
 * - sockets of any family but AF_UNIX (syslog, the control socket), AF_NETLINK (link and
 *   address news) and AF_INET/AF_INET6, and of those only SOCK_DGRAM (group memberships,
 *   tunnel ioctls) and SOCK_RAW (IGMP, MLD, the multicast routing socket): no TCP, so nothing
 *   can listen for connections, the runtime's debugger included;
 * - running programs (`execve`, `execveat`), tracing or reading other processes, kernel modules,
 *   mounts, BPF and perf, kexec and reboot, swap, io_uring (whose requests would go around this
 *   filter), namespaces (`unshare`, `setns`, and `clone` with a CLONE_NEW* flag), the kernel
 *   keyring, userfaultfd.
 *
 * `clone3` fails with ENOSYS, as on a kernel without it: the C library then starts threads with
 * `clone`, whose flags the filter can read.
 *
 * What is planned next fits without loosening it: the control socket is an AF_UNIX stream
 * socket, DVMRP tunnels are VIFs with VIFF_TUNNEL (setsockopt on the raw IGMP socket) or ipip
 * links made over netlink.
 *
 * A syscall of another architecture (32-bit `int 0x80`, x32 numbers) kills the process: no
 * runtime does that on its own.
 *
 * Syscall numbers are per architecture, as `<asm/unistd_64.h>` (x86_64) and
 * `<asm-generic/unistd.h>` (aarch64) spell them; the unit tests compare them with those
 * headers.
 *
 * @module
 */

import { AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, SOCK_DGRAM, SOCK_RAW } from "./linux_constants.ts";

/** `<linux/audit.h>`: AUDIT_ARCH_X86_64 = EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH_X86_64 = 0xc000003e;
/** `<linux/audit.h>`: AUDIT_ARCH_AARCH64 = EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
/** `<asm/unistd_x32.h>`: the bit x32 syscall numbers carry on x86_64. */
export const X32_SYSCALL_BIT = 0x40000000;

/** `<linux/seccomp.h>` */
export const SECCOMP_SET_MODE_FILTER = 1;
/** `<linux/seccomp.h>`: apply the filter to every thread of the process. */
export const SECCOMP_FILTER_FLAG_TSYNC = 1;
/** `<linux/seccomp.h>`: log every action but "allow" (to the audit log). */
export const SECCOMP_FILTER_FLAG_LOG = 2;
/** `<linux/seccomp.h>` */
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
/** `<linux/seccomp.h>`: fail the call; the low 16 bits are the errno. */
export const SECCOMP_RET_ERRNO = 0x00050000;
/** `<linux/seccomp.h>` */
export const SECCOMP_RET_ALLOW = 0x7fff0000;
/** `<linux/prctl.h>` */
export const PR_SET_NO_NEW_PRIVS = 38;

/** `<linux/filter.h>`: BPF_LD | BPF_W | BPF_ABS. */
export const BPF_LD_W_ABS = 0x20;
/** `<linux/filter.h>`: BPF_JMP | BPF_JEQ | BPF_K. */
export const BPF_JEQ_K = 0x15;
/** `<linux/filter.h>`: BPF_JMP | BPF_JGE | BPF_K. */
export const BPF_JGE_K = 0x35;
/** `<linux/filter.h>`: BPF_JMP | BPF_JSET | BPF_K (jump when A & k is not 0). */
export const BPF_JSET_K = 0x45;
/** `<linux/filter.h>`: BPF_ALU | BPF_AND | BPF_K. */
export const BPF_AND_K = 0x54;
/** `<linux/filter.h>`: BPF_RET | BPF_K. */
export const BPF_RET_K = 0x06;
/** `<linux/filter.h>`: BPF_MAXINSNS. */
export const BPF_MAXINSNS = 4096;

/** `struct seccomp_data` offsets: nr, arch, then six u64 args (the low half first, LE). */
export const SECCOMP_DATA = Object.freeze({ nr: 0, arch: 4, args: 16 });

/** The type bits of socket(2)'s second argument (the rest are SOCK_NONBLOCK, SOCK_CLOEXEC). */
const SOCK_TYPE_MASK = 0xf;
/** `<asm-generic/errno-base.h>` */
const EPERM = 1;
/** `<asm-generic/errno.h>`: what clone3(2) gets, so that the C library falls back to clone(2),
 * whose flags the filter can read (clone3's are behind a pointer). */
const ENOSYS = 38;
/** `<linux/sched.h>`: CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
 * CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET, the flags of clone(2) that make namespaces. */
export const CLONE_NEW_NAMESPACES = 0x7e020000;

/** The syscalls the filter refuses outright, by what they are for. */
export const REFUSED_SYSCALLS = Object.freeze(
  {
    programs: ["execve", "execveat"],
    tracing: ["ptrace", "process_vm_readv", "process_vm_writev"],
    modules: ["init_module", "finit_module", "delete_module"],
    mounts: [
      "mount",
      "umount2",
      "pivot_root",
      "open_tree",
      "move_mount",
      "fsopen",
      "fsconfig",
      "fsmount",
      "fspick",
      "mount_setattr",
    ],
    "BPF and perf": ["bpf", "perf_event_open"],
    "kexec, reboot and swap": ["kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff"],
    io_uring: ["io_uring_setup", "io_uring_enter", "io_uring_register"],
    namespaces: ["unshare", "setns"],
    keyring: ["keyctl", "add_key", "request_key"],
    userfaultfd: ["userfaultfd"],
  } as const,
);

/** The name of a syscall the filter refuses. */
export type RefusedSyscall = (typeof REFUSED_SYSCALLS)[keyof typeof REFUSED_SYSCALLS][number];

/** A syscall the filter looks at: the refused ones, and those whose arguments it checks. */
export type FilteredSyscall = RefusedSyscall | "socket" | "clone" | "clone3";

/** One architecture's facts for the filter. */
export interface SyscallArch {
  /** `Deno.build.arch`. */
  name: "x86_64" | "aarch64";
  /** `struct seccomp_data.arch` of its native syscalls. */
  auditArch: number;
  /** Numbers at or above this are another ABI's (x32); none on aarch64. */
  foreignAbove?: number;
  /** `__NR_*` of each syscall the filter looks at. */
  nr: Readonly<Record<FilteredSyscall, number>>;
  /** `__NR_seccomp`. */
  seccomp: number;
}

/** Syscalls added since Linux 5.1 have one number on every architecture (from 424 on). */
const UNIFIED = Object.freeze({
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  clone3: 435,
  mount_setattr: 442,
});

/** x86_64, `<asm/unistd_64.h>`. */
export const X86_64: SyscallArch = Object.freeze({
  name: "x86_64",
  auditArch: AUDIT_ARCH_X86_64,
  foreignAbove: X32_SYSCALL_BIT,
  seccomp: 317,
  nr: Object.freeze({
    ...UNIFIED,
    socket: 41,
    clone: 56,
    execve: 59,
    execveat: 322,
    ptrace: 101,
    process_vm_readv: 310,
    process_vm_writev: 311,
    init_module: 175,
    finit_module: 313,
    delete_module: 176,
    mount: 165,
    umount2: 166,
    pivot_root: 155,
    bpf: 321,
    perf_event_open: 298,
    kexec_load: 246,
    kexec_file_load: 320,
    reboot: 169,
    swapon: 167,
    swapoff: 168,
    unshare: 272,
    setns: 308,
    keyctl: 250,
    add_key: 248,
    request_key: 249,
    userfaultfd: 323,
  }),
});

/** aarch64, `<asm-generic/unistd.h>`. */
export const AARCH64: SyscallArch = Object.freeze({
  name: "aarch64",
  auditArch: AUDIT_ARCH_AARCH64,
  seccomp: 277,
  nr: Object.freeze({
    ...UNIFIED,
    socket: 198,
    clone: 220,
    execve: 221,
    execveat: 281,
    ptrace: 117,
    process_vm_readv: 270,
    process_vm_writev: 271,
    init_module: 105,
    finit_module: 273,
    delete_module: 106,
    mount: 40,
    umount2: 39,
    pivot_root: 41,
    bpf: 280,
    perf_event_open: 241,
    kexec_load: 104,
    kexec_file_load: 294,
    reboot: 142,
    swapon: 224,
    swapoff: 225,
    unshare: 97,
    setns: 268,
    keyctl: 219,
    add_key: 217,
    request_key: 218,
    userfaultfd: 282,
  }),
});

/** The architecture table for `Deno.build.arch`, or undefined when the filter has none. */
export function syscallArch(arch: string): SyscallArch | undefined {
  return arch === X86_64.name ? X86_64 : arch === AARCH64.name ? AARCH64 : undefined;
}

/** One BPF instruction before assembly: a jump's targets are labels. */
interface Insn {
  code: number;
  k: number;
  jt?: string;
  jf?: string;
  /** A label this instruction carries. */
  label?: string;
}

/** The address families socket(2) may create, and for the Internet ones the types. */
const ALLOWED_FAMILIES = [AF_UNIX, AF_NETLINK] as const;
const INET_FAMILIES = [AF_INET, AF_INET6] as const;
const INET_TYPES = [SOCK_DGRAM, SOCK_RAW] as const;

/** The filter as instructions with labels, in the order the kernel runs them. */
function policy(arch: SyscallArch): Insn[] {
  const refused = Object.values(REFUSED_SYSCALLS).flat().map((name) => arch.nr[name]);
  const p: Insn[] = [
    { code: BPF_LD_W_ABS, k: SECCOMP_DATA.arch },
    { code: BPF_JEQ_K, k: arch.auditArch, jf: "kill" },
    { code: BPF_LD_W_ABS, k: SECCOMP_DATA.nr },
  ];
  if (arch.foreignAbove !== undefined) {
    p.push({ code: BPF_JGE_K, k: arch.foreignAbove, jt: "kill" });
  }
  for (const nr of refused) p.push({ code: BPF_JEQ_K, k: nr, jt: "refuse" });
  p.push({ code: BPF_JEQ_K, k: arch.nr.clone3, jt: "nosys" });
  p.push({ code: BPF_JEQ_K, k: arch.nr.clone, jt: "clone" });
  p.push({ code: BPF_JEQ_K, k: arch.nr.socket, jf: "allow" });
  // socket(domain, type, protocol): the low halves of args[0] and args[1], as the kernel's
  // int parameters see them.
  p.push({ code: BPF_LD_W_ABS, k: SECCOMP_DATA.args });
  for (const af of ALLOWED_FAMILIES) p.push({ code: BPF_JEQ_K, k: af, jt: "allow" });
  for (const af of INET_FAMILIES) p.push({ code: BPF_JEQ_K, k: af, jt: "inet" });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ERRNO | EPERM });
  p.push({ code: BPF_LD_W_ABS, k: SECCOMP_DATA.args + 8, label: "inet" });
  p.push({ code: BPF_AND_K, k: SOCK_TYPE_MASK });
  for (const t of INET_TYPES) p.push({ code: BPF_JEQ_K, k: t, jt: "allow" });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ERRNO | EPERM });
  // clone(flags, ...): flags is args[0] on both architectures.
  p.push({ code: BPF_LD_W_ABS, k: SECCOMP_DATA.args, label: "clone" });
  p.push({ code: BPF_JSET_K, k: CLONE_NEW_NAMESPACES, jt: "refuse", jf: "allow" });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ERRNO | ENOSYS, label: "nosys" });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ERRNO | EPERM, label: "refuse" });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ALLOW, label: "allow" });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_KILL_PROCESS, label: "kill" });
  return p;
}

/** One assembled instruction, as `struct sock_filter` holds it. */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Resolves labels into the forward offsets classic BPF jumps take (0–255). */
export function assemble(insns: readonly Insn[]): SockFilter[] {
  const at = new Map<string, number>();
  insns.forEach((insn, i) => {
    if (insn.label !== undefined) at.set(insn.label, i);
  });
  const offset = (from: number, label: string | undefined): number => {
    if (label === undefined) return 0;
    const to = at.get(label);
    if (to === undefined) throw new Error(`BPF label "${label}" is not defined`);
    const off = to - from - 1;
    if (off < 0 || off > 255) throw new Error(`BPF jump to "${label}" out of reach: ${off}`);
    return off;
  };
  if (insns.length > BPF_MAXINSNS) throw new Error(`BPF program too long: ${insns.length}`);
  return insns.map((insn, i) => ({
    code: insn.code,
    jt: offset(i, insn.jt),
    jf: offset(i, insn.jf),
    k: insn.k >>> 0,
  }));
}

/** The filter's program for `arch`. */
export function filterProgram(arch: SyscallArch): SockFilter[] {
  return assemble(policy(arch));
}

/** `struct sock_filter` is 8 bytes: u16 code, u8 jt, u8 jf, u32 k, host-endian. */
export const SIZEOF_SOCK_FILTER = 8;
/** `struct sock_filter` offsets (`<linux/filter.h>`). */
export const SOCK_FILTER = Object.freeze({ code: 0, jt: 2, jf: 3, k: 4 });

/** The program as the bytes of a `struct sock_filter` array (little-endian hosts). */
export function encodeFilter(program: readonly SockFilter[]): Uint8Array {
  const bytes = new Uint8Array(program.length * SIZEOF_SOCK_FILTER);
  const v = new DataView(bytes.buffer);
  program.forEach((f, i) => {
    const o = i * SIZEOF_SOCK_FILTER;
    v.setUint16(o + SOCK_FILTER.code, f.code, true);
    v.setUint8(o + SOCK_FILTER.jt, f.jt);
    v.setUint8(o + SOCK_FILTER.jf, f.jf);
    v.setUint32(o + SOCK_FILTER.k, f.k, true);
  });
  return bytes;
}

/** What the filter refuses, in words, for the daemon's startup line and the man page. */
export function describeFilter(): string {
  return `no TCP (sockets: UNIX, netlink, UDP, raw only), ${
    Object.keys(REFUSED_SYSCALLS).join(", ")
  }`;
}
