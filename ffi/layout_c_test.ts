/**
 * The hand-typed kernel struct layouts and constants of `ffi/` against the C headers: for each
 * subsystem a small C program asserts, at compile time, that every `sizeof`, `offsetof` and
 * constant equals the TypeScript number (`_Static_assert`), and the system's C compiler checks
 * it (`-fsyntax-only`, the source on standard input: nothing is written or run). Subsystems get
 * one program each, so that headers that clash (the kernel's and the C library's) never meet.
 *
 * The comparison needs a C compiler (`cc` or `gcc`) and `--allow-run` for it (the unit stage
 * grants `--allow-run=cc,gcc`): without them it is skipped and says why. The test that every
 * layout and constant has its check runs everywhere.
 *
 * @module
 */

import { deepStrictEqual } from "node:assert/strict";
import * as constants from "./linux_constants.ts";
import * as mroute from "./mroute_structs.ts";
import * as mroute6 from "./mroute6_structs.ts";
import * as msghdr from "./msghdr.ts";
import * as netlink from "./netlink_structs.ts";
import * as poll from "./poll.ts";
import { PASSWD } from "./privileges.ts";
import { SIZEOF_SOCK_FPROG, SOCK_FPROG } from "./seccomp.ts";
import * as seccomp from "./seccomp_filter.ts";
import * as sockets from "./socket_structs.ts";
import { SIZEOF_SOCKADDR_UN, SOCKADDR_UN } from "./syslog.ts";

/** One number of the TypeScript side and the C expression that must print the same. */
interface Check {
  /** The TypeScript name, e.g. `VIFCTL.vifc_flags`. */
  ts: string;
  /** Its value. */
  value: number;
  /** A C expression of integer type, e.g. `offsetof(struct vifctl, vifc_flags)`. */
  c: string;
}

/** A C program: its headers and the checks it prints, one line each. */
interface Program {
  /** Its name (the subsystem). */
  name: string;
  /** Headers, in include order. */
  headers: string[];
  /** What it checks. */
  checks: Check[];
}

/** Every name of the TypeScript side, with its value. */
const TS: Readonly<Record<string, unknown>> = {
  ...constants,
  ...sockets,
  ...msghdr,
  ...mroute,
  ...mroute6,
  ...netlink,
  ...poll,
  ...seccomp,
  PASSWD,
  SIZEOF_SOCK_FPROG,
  SOCK_FPROG,
  SIZEOF_SOCKADDR_UN,
  SOCKADDR_UN,
};

function numberOf(name: string): number {
  const v = TS[name];
  if (typeof v !== "number") throw new TypeError(`${name} is not a number`);
  return v;
}

/** `name` is `sizeof(type)` (or the value of `c`, when the size is a macro's). */
function size(name: string, type: string, c = `sizeof(${type})`): Check {
  return { ts: name, value: numberOf(name), c };
}

/**
 * Every field of the layout object `name` is `offsetof(type, field)`: its keys are the C member
 * names, except those `exprs` gives a C expression for.
 */
function offsets(name: string, type: string, exprs: Record<string, string> = {}): Check[] {
  const layout = TS[name] as Record<string, number>;
  return Object.entries(layout).map(([field, value]) => ({
    ts: `${name}.${field}`,
    value,
    c: exprs[field] ?? `offsetof(${type}, ${field})`,
  }));
}

/**
 * Constants spelled as in the headers, their names separated by white space (or with the C
 * expression `exprs` gives).
 */
function values(names: string, exprs: Record<string, string> = {}): Check[] {
  return names.trim().split(/\s+/).map((n) => ({ ts: n, value: numberOf(n), c: exprs[n] ?? n }));
}

const MROUTE: Program = {
  name: "mroute",
  headers: ["sys/socket.h", "netinet/in.h", "linux/mroute.h"],
  checks: [
    size("SIZEOF_VIFCTL", "struct vifctl"),
    ...offsets("VIFCTL", "struct vifctl"),
    size("SIZEOF_MFCCTL", "struct mfcctl"),
    ...offsets("MFCCTL", "struct mfcctl"),
    { ts: "MAXVIFS", value: constants.MAXVIFS, c: "sizeof(((struct mfcctl *)0)->mfcc_ttls)" },
    size("SIZEOF_SIOC_SG_REQ", "struct sioc_sg_req"),
    ...offsets("SIOC_SG_REQ", "struct sioc_sg_req"),
    size("SIZEOF_SIOC_VIF_REQ", "struct sioc_vif_req"),
    ...offsets("SIOC_VIF_REQ", "struct sioc_vif_req"),
    size("SIZEOF_IGMPMSG", "struct igmpmsg"),
    ...offsets("IGMPMSG", "struct igmpmsg"),
    ...values(`
      MRT_INIT MRT_DONE MRT_ADD_VIF MRT_DEL_VIF MRT_ADD_MFC MRT_DEL_MFC MRT_VERSION MAXVIFS
      VIFF_TUNNEL VIFF_USE_IFINDEX IGMPMSG_NOCACHE IGMPMSG_WRONGVIF IGMPMSG_WHOLEPKT IGMPMSG_WRVIFWHOLE
      SIOCGETVIFCNT SIOCGETSGCNT
    `),
  ],
};

const MROUTE6: Program = {
  name: "mroute6",
  headers: ["sys/socket.h", "netinet/in.h", "netinet/icmp6.h", "linux/mroute6.h"],
  checks: [
    size("SIZEOF_MIF6CTL", "struct mif6ctl"),
    ...offsets("MIF6CTL", "struct mif6ctl"),
    size("SIZEOF_MIFI", "mifi_t"),
    size("SIZEOF_MF6CCTL", "struct mf6cctl"),
    ...offsets("MF6CCTL", "struct mf6cctl"),
    {
      ts: "SIZEOF_MF6CCTL - MF6CCTL.mf6cc_ifset",
      value: mroute6.SIZEOF_MF6CCTL - mroute6.MF6CCTL.mf6cc_ifset,
      c: "sizeof(((struct mf6cctl *)0)->mf6cc_ifset)",
    },
    size("SIZEOF_SIOC_SG_REQ6", "struct sioc_sg_req6"),
    ...offsets("SIOC_SG_REQ6", "struct sioc_sg_req6"),
    size("SIZEOF_SIOC_MIF_REQ6", "struct sioc_mif_req6"),
    ...offsets("SIOC_MIF_REQ6", "struct sioc_mif_req6"),
    size("SIZEOF_MRT6MSG", "struct mrt6msg"),
    ...offsets("MRT6MSG", "struct mrt6msg"),
    size("SIZEOF_ICMP6_FILTER", "struct icmp6_filter"),
    ...values(`
      MRT6_INIT MRT6_DONE MRT6_ADD_MIF MRT6_DEL_MIF MRT6_ADD_MFC MRT6_DEL_MFC MRT6_VERSION
      MAXMIFS MIFF_REGISTER MRT6MSG_NOCACHE MRT6MSG_WRONGMIF MRT6MSG_WHOLEPKT
      MRT6MSG_WRMIFWHOLE SIOCGETMIFCNT_IN6 SIOCGETSGCNT_IN6 ICMP6_FILTER
    `),
  ],
};

const SOCKETS: Program = {
  name: "sockets",
  headers: [
    "sys/socket.h",
    "netinet/in.h",
    "netinet/ip.h",
    "sys/uio.h",
    "sys/un.h",
    "sys/time.h",
    "poll.h",
    "sys/eventfd.h",
    "net/if.h",
  ],
  checks: [
    size("SIZEOF_SOCKADDR_IN", "struct sockaddr_in"),
    ...offsets("SOCKADDR_IN", "struct sockaddr_in"),
    size("SIZEOF_IN6_ADDR", "struct in6_addr"),
    size("SIZEOF_SOCKADDR_IN6", "struct sockaddr_in6"),
    ...offsets("SOCKADDR_IN6", "struct sockaddr_in6"),
    size("SIZEOF_IP_MREQN", "struct ip_mreqn"),
    ...offsets("IP_MREQN", "struct ip_mreqn"),
    size("SIZEOF_IPV6_MREQ", "struct ipv6_mreq"),
    ...offsets("IPV6_MREQ", "struct ipv6_mreq"),
    size("SIZEOF_SOCKADDR_STORAGE", "struct sockaddr_storage"),
    size("SIZEOF_GROUP_REQ", "struct group_req"),
    ...offsets("GROUP_REQ", "struct group_req"),
    size("SIZEOF_GROUP_SOURCE_REQ", "struct group_source_req"),
    ...offsets("GROUP_SOURCE_REQ", "struct group_source_req"),
    size("SIZEOF_GROUP_FILTER", "struct group_filter"),
    ...offsets("GROUP_FILTER", "struct group_filter"),
    ...[0, 1, 10, 64].map((n) => ({
      ts: `groupFilterSize(${n})`,
      value: sockets.groupFilterSize(n),
      c: `GROUP_FILTER_SIZE(${n})`,
    })),
    size("SIZEOF_MSGHDR", "struct msghdr"),
    ...offsets("MSGHDR", "struct msghdr"),
    size("SIZEOF_IOVEC", "struct iovec"),
    ...offsets("IOVEC", "struct iovec"),
    ...offsets("CMSGHDR", "struct cmsghdr", { data: "CMSG_LEN(0)" }),
    size("SIZEOF_IN_PKTINFO", "struct in_pktinfo"),
    ...offsets("IN_PKTINFO", "struct in_pktinfo"),
    size("SIZEOF_IN6_PKTINFO", "struct in6_pktinfo"),
    ...offsets("IN6_PKTINFO", "struct in6_pktinfo"),
    size("SIZEOF_IN6_PKTINFO_CMSG", "", "CMSG_SPACE(sizeof(struct in6_pktinfo))"),
    size("SIZEOF_IN_PKTINFO_CMSG", "", "CMSG_SPACE(sizeof(struct in_pktinfo))"),
    size("SIZEOF_EMPTY_RETOPTS_CMSG", "", "CMSG_SPACE(0)"),
    size(
      "SIZEOF_UNICAST_SEND_CONTROL",
      "",
      "CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(0)",
    ),
    size("SIZEOF_TIMEVAL", "struct timeval"),
    size("SIZEOF_SOCKADDR_UN", "struct sockaddr_un"),
    ...offsets("SOCKADDR_UN", "struct sockaddr_un"),
    size("SIZEOF_POLLFD", "struct pollfd"),
    ...offsets("POLLFD", "struct pollfd"),
    ...values(`
      AF_INET AF_INET6 AF_UNIX AF_PACKET SOCK_DGRAM SOCK_RAW SOCK_STREAM SOCK_NONBLOCK
      SOCK_CLOEXEC MSG_DONTWAIT MSG_NOSIGNAL SOL_SOCKET SO_RCVBUF SO_RCVBUFFORCE SO_RCVTIMEO
      IPPROTO_IP IPPROTO_IGMP IPPROTO_UDP IPPROTO_IPV6 IPPROTO_ICMPV6 IP_OPTIONS IP_TOS
      IPTOS_PREC_INTERNETCONTROL IP_RETOPTS IP_PKTINFO IP_MULTICAST_IF IP_MULTICAST_TTL
      IP_MULTICAST_LOOP IP_ADD_MEMBERSHIP IP_DROP_MEMBERSHIP MCAST_JOIN_GROUP MCAST_LEAVE_GROUP
      MCAST_JOIN_SOURCE_GROUP MCAST_MSFILTER MCAST_EXCLUDE MCAST_INCLUDE IPV6_MULTICAST_IF IPV6_MULTICAST_HOPS
      IPV6_MULTICAST_LOOP IPV6_ADD_MEMBERSHIP IPV6_DROP_MEMBERSHIP IPV6_RECVPKTINFO
      IPV6_PKTINFO IPV6_RECVHOPLIMIT IPV6_HOPLIMIT IPV6_RECVHOPOPTS IPV6_HOPOPTS POLLIN
      EFD_NONBLOCK EFD_CLOEXEC IFF_UP IFF_LOOPBACK IFF_RUNNING IFF_MULTICAST
    `),
  ],
};

const NETLINK: Program = {
  name: "netlink",
  headers: ["sys/socket.h", "linux/netlink.h", "linux/rtnetlink.h", "ifaddrs.h"],
  checks: [
    size("SIZEOF_SOCKADDR_NL", "struct sockaddr_nl"),
    ...offsets("SOCKADDR_NL", "struct sockaddr_nl"),
    size("SIZEOF_NLMSGHDR", "struct nlmsghdr"),
    ...offsets("NLMSGHDR", "struct nlmsghdr"),
    size("SIZEOF_IFADDRMSG", "struct ifaddrmsg"),
    ...offsets("IFADDRMSG", "struct ifaddrmsg"),
    size("SIZEOF_RTATTR", "struct rtattr"),
    ...offsets("RTATTR", "struct rtattr"),
    size("SIZEOF_GETADDR_REQUEST", "", "NLMSG_LENGTH(sizeof(struct ifaddrmsg))"),
    ...offsets("IFADDRS", "struct ifaddrs"),
    ...values(`
      AF_NETLINK NETLINK_ROUTE RTMGRP_LINK RTMGRP_IPV4_IFADDR RTMGRP_IPV6_IFADDR RTM_NEWADDR
      RTM_GETADDR NLMSG_DONE NLMSG_ERROR NLM_F_REQUEST NLM_F_DUMP IFA_ADDRESS IFA_FLAGS
      IFA_F_DADFAILED IFA_F_TENTATIVE
    `),
  ],
};

const SYSTEM: Program = {
  name: "system",
  headers: [
    "fcntl.h",
    "sys/stat.h",
    "pwd.h",
    "sys/prctl.h",
    "linux/audit.h",
    "linux/filter.h",
    "linux/seccomp.h",
  ],
  checks: [
    ...offsets("PASSWD", "struct passwd"),
    size("STATX_SIZE", "struct statx"),
    ...offsets("STATX", "struct statx"),
    size("SIZEOF_SOCK_FILTER", "struct sock_filter"),
    ...offsets("SOCK_FILTER", "struct sock_filter"),
    size("SIZEOF_SOCK_FPROG", "struct sock_fprog"),
    ...offsets("SOCK_FPROG", "struct sock_fprog"),
    ...offsets("SECCOMP_DATA", "struct seccomp_data"),
    ...values("O_RDONLY O_NOCTTY O_NONBLOCK O_DIRECTORY O_CLOEXEC O_PATH"),
    ...values("STATX_BASIC_STATS S_IFMT S_IFREG"),
    ...values(`
      AUDIT_ARCH_X86_64 AUDIT_ARCH_AARCH64 SECCOMP_SET_MODE_FILTER SECCOMP_FILTER_FLAG_TSYNC
      SECCOMP_FILTER_FLAG_LOG SECCOMP_RET_KILL_PROCESS SECCOMP_RET_ERRNO SECCOMP_RET_ALLOW
      PR_SET_NO_NEW_PRIVS BPF_MAXINSNS
    `),
    // The instructions seccomp_filter.ts assembles, as <linux/filter.h> composes them.
    ...values("BPF_LD_W_ABS BPF_JEQ_K BPF_JGE_K BPF_JSET_K BPF_AND_K BPF_RET_K", {
      BPF_LD_W_ABS: "BPF_LD | BPF_W | BPF_ABS",
      BPF_JEQ_K: "BPF_JMP | BPF_JEQ | BPF_K",
      BPF_JGE_K: "BPF_JMP | BPF_JGE | BPF_K",
      BPF_JSET_K: "BPF_JMP | BPF_JSET | BPF_K",
      BPF_AND_K: "BPF_ALU | BPF_AND | BPF_K",
      BPF_RET_K: "BPF_RET | BPF_K",
    }),
  ],
};

const PROGRAMS: readonly Program[] = [MROUTE, MROUTE6, SOCKETS, NETLINK, SYSTEM];

/**
 * The C source of a program: one `_Static_assert` per check, whose message names the
 * TypeScript side, its value and the C expression.
 */
function cSource(p: Program): string {
  return [
    "#define _GNU_SOURCE",
    "#include <stddef.h>",
    ...p.headers.map((h) => `#include <${h}>`),
    ...p.checks.map((c) =>
      `_Static_assert((long long)(${c.c}) == ${c.value}LL, ` +
      `"${c.ts} = ${c.value}, but the headers disagree: ${c.c.replaceAll('"', "'")}");`
    ),
    "",
  ].join("\n");
}

/** The C compiler to use, or why there is none to use here. */
async function findCompiler(): Promise<{ cc: string } | { skip: string }> {
  const candidates = ["cc", "gcc"];
  const runnable: string[] = [];
  for (const command of candidates) {
    const run = await Deno.permissions.query({ name: "run", command });
    if (run.state === "granted") runnable.push(command);
  }
  if (runnable.length === 0) {
    return { skip: "needs --allow-run=cc,gcc to run the C compiler" };
  }
  for (const cc of runnable) {
    try {
      const out = await new Deno.Command(cc, { args: ["--version"], stdout: "null" }).output();
      if (out.success) return { cc };
    } catch {
      // Not installed: try the next.
    }
  }
  return { skip: `no C compiler (${candidates.join(", ")}) found` };
}

/**
 * Compiles a program's source from standard input, checking syntax only; returns the messages
 * of the static assertions that failed (empty when every number agrees). Throws on any other
 * compiler error.
 */
async function compileChecks(cc: string, source: string): Promise<string[]> {
  const child = new Deno.Command(cc, {
    args: ["-std=gnu11", "-Wall", "-Werror", "-fsyntax-only", "-x", "c", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(source));
  await writer.close();
  const { success, stderr } = await child.output();
  if (success) return [];
  const text = new TextDecoder().decode(stderr);
  const failed = [...text.matchAll(/static assertion failed: "([^"]*)"/g)].map((m) => m[1]);
  if (failed.length === 0) throw new Error(`${cc} failed:\n${text}`);
  return failed;
}

const compiler = await findCompiler();
if ("skip" in compiler) console.warn(`layout_c_test.ts: C layout checks skipped: ${compiler.skip}`);

for (const program of PROGRAMS) {
  Deno.test({
    name: `C headers agree: ${program.name} (${program.headers.join(", ")})`,
    ignore: "skip" in compiler,
    async fn() {
      if (!("cc" in compiler)) return;
      const wrong = await compileChecks(compiler.cc, cSource(program));
      deepStrictEqual(wrong, [], `${program.name}: ${wrong.join("; ")}`);
    },
  });
}

Deno.test({
  name: "C headers agree: a number that differs from the headers is reported by name",
  ignore: "skip" in compiler,
  async fn() {
    if (!("cc" in compiler)) return;
    const vifc = mroute.VIFCTL.vifc_flags;
    const wrong: Program = {
      name: "wrong",
      headers: ["sys/socket.h", "netinet/in.h", "linux/mroute.h"],
      checks: [
        { ts: "VIFCTL.vifc_flags", value: vifc + 1, c: "offsetof(struct vifctl, vifc_flags)" },
        { ts: "VIFCTL.vifc_vifi", value: 0, c: "offsetof(struct vifctl, vifc_vifi)" },
      ],
    };
    deepStrictEqual(await compileChecks(compiler.cc, cSource(wrong)), [
      `VIFCTL.vifc_flags = ${vifc + 1}, but the headers disagree: ` +
      "offsetof(struct vifctl, vifc_flags)",
    ]);
  },
});

Deno.test("C headers agree: every struct layout and constant of ffi/ has its check", () => {
  const checked = new Set(PROGRAMS.flatMap((p) => p.checks.map((c) => c.ts.split(".")[0])));
  const modules = [constants, sockets, msghdr, mroute, mroute6, netlink, poll];
  const described = modules.flatMap((m) =>
    Object.entries(m).flatMap(([name, v]) => {
      const layout = typeof v === "object" && v !== null && !(v instanceof Uint8Array);
      const number = typeof v === "number" && (m === constants || name.startsWith("SIZEOF_"));
      return layout || number ? [name] : [];
    })
  );
  deepStrictEqual(described.filter((n) => !checked.has(n)), [], "without a check");
});
