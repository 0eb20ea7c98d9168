import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import {
  AARCH64,
  assemble,
  AUDIT_ARCH_AARCH64,
  AUDIT_ARCH_X86_64,
  BPF_AND_K,
  BPF_JEQ_K,
  BPF_JGE_K,
  BPF_JSET_K,
  BPF_LD_W_ABS,
  BPF_RET_K,
  describeFilter,
  encodeFilter,
  filterProgram,
  REFUSED_SYSCALLS,
  SECCOMP_DATA,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  type SockFilter,
  type SyscallArch,
  syscallArch,
  X86_64,
} from "./seccomp_filter.ts";
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  AF_PACKET,
  AF_UNIX,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOCK_STREAM,
} from "./linux_constants.ts";

/** A classic-BPF interpreter for the instructions the filter uses, over a `seccomp_data`. */
function run(program: readonly SockFilter[], data: Uint8Array): number {
  const v = new DataView(data.buffer);
  let a = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc];
    switch (code) {
      case BPF_LD_W_ABS:
        a = v.getUint32(k, true);
        break;
      case BPF_JEQ_K:
        pc += a === k ? jt : jf;
        break;
      case BPF_JGE_K:
        pc += a >= k ? jt : jf;
        break;
      case BPF_JSET_K:
        pc += (a & k) !== 0 ? jt : jf;
        break;
      case BPF_AND_K:
        a = (a & k) >>> 0;
        break;
      case BPF_RET_K:
        return k;
      default:
        throw new Error(`opcode ${code} at ${pc}`);
    }
  }
  throw new Error("the program ran off its end");
}

/** `struct seccomp_data` for a call: nr, arch, args (each a u64, given as numbers). */
function call(arch: number, nr: number, ...args: (number | bigint)[]): Uint8Array {
  const data = new Uint8Array(64);
  const v = new DataView(data.buffer);
  v.setInt32(SECCOMP_DATA.nr, nr, true);
  v.setUint32(SECCOMP_DATA.arch, arch, true);
  args.forEach((x, i) => v.setBigUint64(SECCOMP_DATA.args + 8 * i, BigInt(x), true));
  return data;
}

const EPERM = SECCOMP_RET_ERRNO | 1;
/** `<bits/socket_type.h>` */
const SOCK_SEQPACKET = 5;

for (const arch of [X86_64, AARCH64]) {
  const program = filterProgram(arch);
  const verdict = (name: keyof SyscallArch["nr"], ...args: (number | bigint)[]) =>
    run(program, call(arch.auditArch, arch.nr[name], ...args));

  Deno.test(`seccomp filter (${arch.name}): the daemon's sockets are allowed`, () => {
    equal(verdict("socket", AF_INET, SOCK_RAW, 2), SECCOMP_RET_ALLOW); // IGMP, MRT
    equal(verdict("socket", AF_INET6, SOCK_RAW | SOCK_CLOEXEC, 58), SECCOMP_RET_ALLOW); // MLD
    equal(verdict("socket", AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), SECCOMP_RET_ALLOW);
    equal(verdict("socket", AF_INET6, SOCK_DGRAM, 0), SECCOMP_RET_ALLOW);
    equal(verdict("socket", AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0), SECCOMP_RET_ALLOW);
    equal(verdict("socket", AF_UNIX, SOCK_DGRAM, 0), SECCOMP_RET_ALLOW); // syslog
    equal(verdict("socket", AF_UNIX, SOCK_STREAM, 0), SECCOMP_RET_ALLOW); // control socket
  });

  Deno.test(`seccomp filter (${arch.name}): TCP and other families are refused`, () => {
    equal(verdict("socket", AF_INET, SOCK_STREAM, 0), EPERM);
    equal(verdict("socket", AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 6), EPERM);
    equal(verdict("socket", AF_INET, SOCK_SEQPACKET, 132), EPERM); // SCTP
    equal(verdict("socket", AF_PACKET, SOCK_RAW, 0), EPERM);
    // The kernel reads int arguments from the low half: junk in the high half changes nothing.
    equal(verdict("socket", (1n << 32n) | BigInt(AF_INET), SOCK_STREAM, 0), EPERM);
    equal(verdict("socket", AF_INET, (1n << 40n) | BigInt(SOCK_STREAM), 0), EPERM);
  });

  Deno.test(`seccomp filter (${arch.name}): threads yes, namespaces no; clone3 is ENOSYS`, () => {
    // glibc's pthread_create: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|
    // CHILD_CLEARTID; fork: SIGCHLD|CHILD_SETTID|CHILD_CLEARTID.
    equal(verdict("clone", 0x3d0f00), SECCOMP_RET_ALLOW);
    equal(verdict("clone", 0x1200011), SECCOMP_RET_ALLOW);
    for (const ns of [0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000]) {
      equal(verdict("clone", 0x11 | ns), EPERM, ns.toString(16));
    }
    equal(verdict("clone", 0x40000000 | 0x11), EPERM, "CLONE_NEWNET");
    equal(verdict("clone3", 0), SECCOMP_RET_ERRNO | 38);
  });

  Deno.test(`seccomp filter (${arch.name}): every refused syscall is refused`, () => {
    const names = Object.values(REFUSED_SYSCALLS).flat();
    for (const name of names) equal(verdict(name), EPERM, name);
    equal(new Set(names.map((n) => arch.nr[n])).size, names.length, "numbers are distinct");
  });

  Deno.test(`seccomp filter (${arch.name}): everything else is allowed`, () => {
    const looked = new Set(Object.values(arch.nr));
    for (let nr = 0; nr < 460; nr++) {
      if (!looked.has(nr)) {
        equal(run(program, call(arch.auditArch, nr)), SECCOMP_RET_ALLOW, `${nr}`);
      }
    }
  });

  Deno.test(`seccomp filter (${arch.name}): another architecture's call kills`, () => {
    const other = arch === X86_64 ? AUDIT_ARCH_AARCH64 : AUDIT_ARCH_X86_64;
    equal(run(program, call(other, 0)), SECCOMP_RET_KILL_PROCESS);
    equal(run(program, call(0x40000003, 11)), SECCOMP_RET_KILL_PROCESS); // i386 execve
    if (arch.foreignAbove !== undefined) {
      equal(run(program, call(arch.auditArch, 0x40000000 | 520)), SECCOMP_RET_KILL_PROCESS); // x32
    }
  });

  Deno.test(`seccomp filter (${arch.name}): encodes as struct sock_filter`, () => {
    const bytes = encodeFilter(program);
    equal(bytes.length, program.length * 8);
    const v = new DataView(bytes.buffer);
    deepStrictEqual(
      [v.getUint16(0, true), v.getUint8(2), v.getUint8(3), v.getUint32(4, true)],
      [BPF_LD_W_ABS, 0, 0, SECCOMP_DATA.arch],
    );
    const last = bytes.length - 8;
    deepStrictEqual([v.getUint16(last, true), v.getUint32(last + 4, true)], [
      BPF_RET_K,
      SECCOMP_RET_KILL_PROCESS,
    ]);
  });
}

/** `#define __NR_name N` lines of a header. */
function headerNumbers(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^#define __NR(?:3264)?_(\w+)\s+(\d+)\s*$/gm)) {
    out.set(m[1], Number(m[2]));
  }
  return out;
}

/** The kernel headers of this machine (linux-libc-dev, which `./run` installs). */
const HEADERS: [SyscallArch, string][] = [
  [X86_64, "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"],
  [AARCH64, "/usr/include/asm-generic/unistd.h"],
];

for (const [arch, path] of HEADERS) {
  Deno.test(`seccomp filter (${arch.name}): syscall numbers are ${path}'s`, () => {
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (err) {
      throw new Error(`${path}: ${err} (install linux-libc-dev: ./run does)`);
    }
    const nr = headerNumbers(text);
    for (const [name, n] of Object.entries(arch.nr)) equal(nr.get(name), n, name);
    equal(nr.get("seccomp"), arch.seccomp, "seccomp");
  });
}

Deno.test("seccomp filter: AUDIT_ARCH_* are <linux/audit.h>'s", () => {
  // EM_X86_64 62, EM_AARCH64 183 (<linux/elf-em.h>), | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE.
  equal(AUDIT_ARCH_X86_64, (62 | 0x80000000 | 0x40000000) >>> 0);
  equal(AUDIT_ARCH_AARCH64, (183 | 0x80000000 | 0x40000000) >>> 0);
});

Deno.test("seccomp filter: the architecture table follows Deno.build.arch", () => {
  equal(syscallArch("x86_64"), X86_64);
  equal(syscallArch("aarch64"), AARCH64);
  equal(syscallArch("riscv64"), undefined);
});

Deno.test("seccomp filter: assemble refuses unknown labels and backward or far jumps", () => {
  throws(() => assemble([{ code: BPF_JEQ_K, k: 1, jt: "nowhere" }]), /not defined/);
  throws(
    () => assemble([{ code: BPF_RET_K, k: 0, label: "x" }, { code: BPF_JEQ_K, k: 1, jt: "x" }]),
    /out of reach/,
  );
  const far = [
    { code: BPF_JEQ_K, k: 1, jt: "end" },
    ...Array.from({ length: 256 }, () => ({ code: BPF_AND_K, k: 1 })),
    { code: BPF_RET_K, k: 0, label: "end" },
  ];
  throws(() => assemble(far), /out of reach/);
});

Deno.test("seccomp filter: the description names what it refuses", () => {
  const d = describeFilter();
  ok(d.includes("TCP"));
  for (const what of Object.keys(REFUSED_SYSCALLS)) ok(d.includes(what), what);
});
