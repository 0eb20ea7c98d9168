/**
 * A probe under the daemon's syscall filter: installs it exactly as the daemon does
 * (`ffi/seccomp.ts`), then tries what the filter must refuse and what the daemon needs, and
 * prints one JSON line: `{"modes":[2,…],"calls":{"tcp4":"EPERM","udp4":"ok",…}}`.
 *
 * ```sh
 * deno run --allow-all tests/lab/filter_probe.ts [--log]
 * ```
 *
 * With `--log` the filter is installed as `-v` installs it: the kernel logs each refused call.
 *
 * Run as root for the raw sockets. It runs nothing itself but `/bin/true` (which the filter
 * must refuse).
 *
 * @module
 */

import { errnoName } from "../../ffi/errno.ts";
import { openLibc, readErrno } from "../../ffi/libc.ts";
import { installSyscallFilter, threadSeccompModes } from "../../ffi/seccomp.ts";
import { syscallArch } from "../../ffi/seccomp_filter.ts";
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  AF_PACKET,
  AF_UNIX,
  IPPROTO_ICMPV6,
  IPPROTO_IGMP,
  NETLINK_ROUTE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
} from "../../ffi/linux_constants.ts";
import { messageOf } from "../../src/log.ts";

/** What each probe call did: "ok", or the errno's name, or the error's message. */
export type ProbeCalls = Record<string, string>;

/** The probe's report. */
export interface ProbeReport {
  /** The seccomp mode of each thread after the filter (2: filter), a worker's included. */
  modes: number[];
  /** The number of threads before the worker started, and while it runs. */
  threads: [number, number];
  /** Each call's outcome. */
  calls: ProbeCalls;
  /** The probe's pid, to find the kernel's log lines of it. */
  pid: number;
}

async function probe(log: boolean): Promise<ProbeReport> {
  const libc = openLibc();
  const arch = syscallArch(Deno.build.arch);
  if (arch === undefined) throw new Error(`no filter for ${Deno.build.arch}`);
  installSyscallFilter(libc, { arch, log });
  const calls: ProbeCalls = {};
  const socket = (name: string, domain: number, type: number, protocol: number) => {
    const fd = libc.symbols.socket(domain, type | SOCK_CLOEXEC, protocol);
    calls[name] = fd < 0 ? errnoName(readErrno(libc)) : "ok";
    if (fd >= 0) libc.symbols.close(fd);
  };
  socket("tcp4", AF_INET, SOCK_STREAM, 0);
  socket("tcp6", AF_INET6, SOCK_STREAM, 0);
  socket("packet", AF_PACKET, SOCK_RAW, 0);
  socket("udp4", AF_INET, SOCK_DGRAM, 0);
  socket("udp6", AF_INET6, SOCK_DGRAM, 0);
  socket("rawIgmp", AF_INET, SOCK_RAW, IPPROTO_IGMP);
  socket("rawIcmp6", AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
  socket("netlink", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  socket("unixStream", AF_UNIX, SOCK_STREAM, 0);
  socket("unixDgram", AF_UNIX, SOCK_DGRAM, 0);
  // A new namespace (a user namespace needs no privilege where the filter is not).
  const extra = Deno.dlopen("libc.so.6", { unshare: { parameters: ["i32"], result: "i32" } });
  try {
    const CLONE_NEWUSER = 0x10000000;
    calls.unshare = extra.symbols.unshare(CLONE_NEWUSER) < 0 ? errnoName(readErrno(libc)) : "ok";
  } finally {
    extra.close();
  }
  // The runtime's own paths: a TCP listener (as its debugger opens) and running a program.
  try {
    Deno.listen({ hostname: "127.0.0.1", port: 0 }).close();
    calls.denoListen = "ok";
  } catch (err) {
    calls.denoListen = messageOf(err);
  }
  try {
    await new Deno.Command("/bin/true").output();
    calls.execve = "ok";
  } catch (err) {
    calls.execve = messageOf(err);
  }
  // A thread started after the filter (a worker's) inherits it.
  const before = threadSeccompModes().size;
  const worker = new Worker(
    `data:text/javascript,${encodeURIComponent("postMessage('up')")}`,
    { type: "module" },
  );
  try {
    await new Promise((resolve) => worker.onmessage = resolve);
    const modes = [...threadSeccompModes().values()];
    return { modes, threads: [before, modes.length], calls, pid: Deno.pid };
  } finally {
    worker.terminate();
  }
}

if (import.meta.main) console.log(JSON.stringify(await probe(Deno.args.includes("--log"))));
