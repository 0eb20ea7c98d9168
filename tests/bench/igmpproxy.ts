/**
 * The peer for the benchmarks: Debian's igmpproxy 0.3 (`/usr/sbin/igmpproxy`), installed on
 * demand, configured like the lab's default configuration (`up0` upstream, every `dnN`
 * downstream, see `labConfig` in `tests/lab/daemon.ts`) and run in the foreground in the lab's
 * proxy namespace with its log followed, the way `startDaemon` runs ours.
 *
 * What igmpproxy 0.3 does that the benchmarks must allow for:
 *
 * - Every interface with an IPv4 address takes part unless the configuration says otherwise,
 *   so the configuration lists `lo` (and any other extra interface) as `disabled`.
 * - It accepts multicast on the upstream from sources on the upstream interface's own subnet
 *   only; the lab's sender (10.0.0.2 on 10.0.0.0/24) needs no `altnet`, a source elsewhere
 *   does.
 * - It joins every group upstream, and the all-routers groups on every downstream, on one
 *   socket, so the kernel's per-socket limit `net.ipv4.igmp_max_memberships` (20 by default)
 *   caps how many groups it can serve: raise it with {@link raiseMembershipLimit} first.
 * - Debian's package enables an init script that starts a system instance; {@link
 *   ensureIgmpproxy} stops and disables it after installing.
 *
 * @example
 * ```ts
 * await ensureIgmpproxy();
 * await using lab = await createLab({ prefix: "mcpbx-", hostsPerLan: [1, 1] });
 * await raiseMembershipLimit(lab, 1024);
 * const peer = await startIgmpproxy(lab);
 * await waitServing(lab, peer, "igmpproxy");
 * // ... run the scenario ...
 * const { code, ms } = await peer.stop();
 * ```
 *
 * @module
 */

import { aptInstall, runCommand as run } from "../lab/apt.ts";
import { type Lab, pathExists } from "../lab/lab.ts";
import { sleep } from "../lab/kernel_state.ts";
import { followLog, stopProcess } from "../lab/log_follower.ts";
import { messageOf } from "../../src/log.ts";

/** Where Debian's package installs the binary. */
export const IGMPPROXY_BIN = "/usr/sbin/igmpproxy";

/** The Debian package name. */
export const IGMPPROXY_PACKAGE = "igmpproxy";

/**
 * The flags {@link startIgmpproxy} runs igmpproxy with by default: `-d` (log to stderr, which
 * implies `-n`, no daemon) and `-v -v` (debug level: every VIF, route and membership change is
 * logged).
 */
export const IGMPPROXY_DEFAULT_FLAGS: readonly string[] = ["-d", "-v", "-v"];

/** Pids of the igmpproxy processes this module started and has not seen exit. */
const ourPids = new Set<number>();

// Lists igmpproxy processes in the network namespace of the shell itself: a system instance
// runs there, while the lab's run in their own namespaces and are left alone.
const HOST_NS_IGMPPROXY_PIDS = `self=$(readlink /proc/$$/ns/net)
for d in /proc/[0-9]*; do
  [ "$(cat "$d/comm" 2>/dev/null)" = igmpproxy ] || continue
  [ "$(readlink "$d/ns/net" 2>/dev/null)" = "$self" ] || continue
  echo "\${d#/proc/}"
done`;

/** Pids of igmpproxy processes in this host's network namespace that this module did not start. */
async function strayIgmpproxyPids(): Promise<number[]> {
  const r = await run("sh", ["-c", HOST_NS_IGMPPROXY_PIDS]);
  return r.stdout.split("\n").filter((l) => /^\d+$/.test(l)).map(Number)
    .filter((pid) => !ourPids.has(pid));
}

/**
 * Stops and disables the system instance Debian's package may have started: through systemd
 * when it is the init system, else by disabling the init script; then SIGTERM (SIGKILL after
 * 2 s) to whatever igmpproxy still runs in this host's network namespace. Throws when one
 * survives.
 */
async function stopSystemIgmpproxy(): Promise<void> {
  if (await pathExists("/run/systemd/system")) {
    // The package has a SysV script only; systemd wraps it in a generated unit.
    await run("systemctl", ["disable", "--now", IGMPPROXY_PACKAGE]);
  } else if (await pathExists("/etc/init.d/igmpproxy")) {
    // Not "/etc/init.d/igmpproxy stop": it stops every igmpproxy process by executable, the
    // lab's included, in whatever namespace they run.
    await run("update-rc.d", [IGMPPROXY_PACKAGE, "disable"]);
  }
  let stray = await strayIgmpproxyPids();
  for (const [signal, waitMs] of [["SIGTERM", 2000], ["SIGKILL", 1000]] as const) {
    if (stray.length === 0) return;
    for (const pid of stray) {
      try {
        Deno.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
    const deadline = performance.now() + waitMs;
    while ((stray = await strayIgmpproxyPids()).length > 0 && performance.now() < deadline) {
      await sleep(50);
    }
  }
  if (stray.length > 0) {
    throw new Error(`Cannot stop the system's igmpproxy: pid ${stray.join(", ")} still runs`);
  }
}

let ensured: Promise<string> | undefined;

/**
 * Returns the path of the igmpproxy binary ({@link IGMPPROXY_BIN}), installing Debian's
 * package first when it is missing (quietly; `log` hears one line about it). After an install,
 * the system instance the package may start is stopped and disabled and stray igmpproxy
 * processes in this host's network namespace are killed. Needs root to install. Throws with the
 * reason when the binary is not there afterwards. Computed once per process.
 */
export function ensureIgmpproxy(
  opts: { log?: (message: string) => void } = {},
): Promise<string> {
  ensured ??= installIgmpproxy(opts.log ?? (() => {})).catch((e) => {
    ensured = undefined;
    throw e;
  });
  return ensured;
}

async function installIgmpproxy(log: (message: string) => void): Promise<string> {
  if (await pathExists(IGMPPROXY_BIN)) return IGMPPROXY_BIN;
  log(`installing Debian's ${IGMPPROXY_PACKAGE}, the benchmarks' peer`);
  try {
    await aptInstall([IGMPPROXY_PACKAGE]);
  } catch (e) {
    throw new Error(`Cannot install ${IGMPPROXY_PACKAGE}: ${messageOf(e)}`);
  }
  if (!(await pathExists(IGMPPROXY_BIN))) {
    throw new Error(`Cannot install ${IGMPPROXY_PACKAGE}: ${IGMPPROXY_BIN} is missing afterwards`);
  }
  await stopSystemIgmpproxy();
  return IGMPPROXY_BIN;
}

/**
 * The version in igmpproxy's usage text (`igmpproxy -h` ends with a line `igmpproxy 0.3`), or
 * `undefined` when there is none.
 *
 * @example
 * ```ts
 * versionFromUsage("Usage: igmpproxy [-h] [-n] [-d] [-v [-v]] <configfile>\n...\nigmpproxy 0.3\n");
 * // "0.3"
 * ```
 */
export function versionFromUsage(text: string): string | undefined {
  return /^igmpproxy\s+(\d[\w.~+-]*)\s*$/m.exec(text)?.[1];
}

/**
 * igmpproxy's version: the installed package's (`dpkg-query`, e.g. `0.3-1`), else the one its
 * usage text prints (`bin -h`, e.g. `0.3`). Throws when neither tells.
 */
export async function igmpproxyVersion(bin: string = IGMPPROXY_BIN): Promise<string> {
  const dpkg = await run("dpkg-query", ["-W", "-f", "${Version}", IGMPPROXY_PACKAGE]);
  if (dpkg.code === 0 && dpkg.stdout.trim() !== "") return dpkg.stdout.trim();
  const usage = await run(bin, ["-h"]);
  const v = versionFromUsage(usage.stdout + "\n" + usage.stderr);
  if (v === undefined) {
    throw new Error(`Cannot tell the version of "${bin}": ${usage.stderr.trim() || usage.stdout}`);
  }
  return v;
}

/** Options of {@link igmpproxyConfig}. */
export interface IgmpproxyConfigOptions {
  /**
   * `quickleave` (default true): on the last Leave from a downstream, leave the group
   * upstream at once, as our daemon does, instead of after the group's membership times out.
   */
  quickleave?: boolean;
  /** Extra `altnet a.b.c.d/n` source networks on the upstream (default none). */
  altnet?: string[];
  /**
   * Interfaces of the proxy namespace to list as `disabled` (default `["lo"]`): every
   * interface with an IPv4 address that the configuration does not mention would take part.
   */
  disabled?: string[];
}

/**
 * The igmpproxy 0.3 configuration (see igmpproxy.conf(5)) equivalent to the lab's default one:
 * the upstream interface `upstream`, every downstream `downstream`, both with no rate limit
 * and TTL threshold 1, and the namespace's other interfaces `disabled`.
 *
 * @example
 * ```ts
 * igmpproxyConfig(lab);
 * // "quickleave\nphyint up0 upstream ratelimit 0 threshold 1\n" +
 * // "phyint dn1 downstream ratelimit 0 threshold 1\n...phyint lo disabled\n"
 * ```
 */
export function igmpproxyConfig(
  lab: Pick<Lab, "ifaces">,
  opts: IgmpproxyConfigOptions = {},
): string {
  const { upstream, downstream } = lab.ifaces;
  const named = [upstream, ...downstream, ...(opts.disabled ?? [])];
  for (const name of named) {
    // igmpproxy splits its configuration at white space and has no quoting.
    if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(name)) {
      throw new Error(`Cannot name interface "${name}" in an igmpproxy configuration`);
    }
  }
  const twice = named.find((name, i) => named.indexOf(name) !== i);
  if (twice !== undefined) throw new Error(`Interface "${twice}" is given two roles`);
  for (const net of opts.altnet ?? []) {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(net)) {
      throw new Error(`Bad altnet "${net}": igmpproxy wants a.b.c.d/n`);
    }
  }
  const lines = ["# Generated for the mcast-proxy benchmark lab"];
  if (opts.quickleave ?? true) lines.push("quickleave");
  lines.push(
    `phyint ${upstream} upstream ratelimit 0 threshold 1` +
      (opts.altnet ?? []).map((net) => ` altnet ${net}`).join(""),
  );
  for (const dn of downstream) lines.push(`phyint ${dn} downstream ratelimit 0 threshold 1`);
  for (const name of opts.disabled ?? ["lo"]) lines.push(`phyint ${name} disabled`);
  return lines.join("\n") + "\n";
}

/** A running igmpproxy, the counterpart of `DaemonProcess` in `tests/lab/daemon.ts`. */
export interface PeerProcess {
  /** The child process (`ip netns exec`, which execs igmpproxy: same pid). */
  readonly child: Deno.ChildProcess;
  /** Its pid. */
  readonly pid: number;
  /** The configuration file it was started with (removed once it exits). */
  readonly confPath: string;
  /** Log lines so far (stderr and stdout). */
  readonly lines: string[];
  /** Resolves with the first line matching `re` (seen before or after the call). */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * Sends a signal (default SIGTERM) and waits for the exit; resolves to the exit code and
   * time taken (ms). The configuration file is removed.
   */
  stop(signal?: Deno.Signal): Promise<{ code: number; ms: number }>;
  /** The exit status once it exited (the configuration file is removed by then). */
  readonly status: Promise<Deno.CommandStatus>;
}

/** Options of {@link startIgmpproxy}. */
export interface StartIgmpproxyOptions {
  /** Configuration text (default {@link igmpproxyConfig} of the lab). */
  config?: string;
  /** The binary (default {@link IGMPPROXY_BIN}; see {@link ensureIgmpproxy}). */
  bin?: string;
  /** Flags before the configuration file (default {@link IGMPPROXY_DEFAULT_FLAGS}). */
  flags?: string[];
  /** Echo its log to our stderr. */
  echo?: boolean;
}

/**
 * Writes the configuration to a temporary file and starts igmpproxy in the foreground in the
 * lab's proxy namespace, following its log. {@link Lab.destroy} also stops it. It is ready
 * once its VIFs are in the kernel: see `waitServing` in `contenders.ts`.
 */
export async function startIgmpproxy(
  lab: Lab,
  opts: StartIgmpproxyOptions = {},
): Promise<PeerProcess> {
  const confPath = await Deno.makeTempFile({ prefix: "igmpproxy-", suffix: ".conf" });
  let child: Deno.ChildProcess;
  try {
    await Deno.writeTextFile(confPath, opts.config ?? igmpproxyConfig(lab));
    child = lab.spawnIn(
      lab.ns.proxy,
      [opts.bin ?? IGMPPROXY_BIN, ...(opts.flags ?? IGMPPROXY_DEFAULT_FLAGS), confPath],
      { stdout: "piped", stderr: "piped" },
    );
  } catch (e) {
    await Deno.remove(confPath).catch(() => {});
    throw e;
  }
  const pid = child.pid;
  ourPids.add(pid);
  const log = followLog(child, "igmpproxy", opts.echo);
  const lines = log.lines;
  const status = child.status.then(async (s) => {
    await log.closed;
    ourPids.delete(pid);
    await Deno.remove(confPath).catch(() => {});
    return s;
  });
  return {
    child,
    pid,
    confPath,
    lines,
    status,
    waitForLine(re, timeoutMs = 5000) {
      return log.waitForLine(re, timeoutMs, status);
    },
    stop: (signal: Deno.Signal = "SIGTERM") => stopProcess(child, status, signal),
  };
}

/**
 * Lets one socket of the proxy namespace hold `n` group memberships: igmpproxy joins every
 * group upstream, and two all-routers groups per downstream, on one socket. Sets
 * `net.ipv4.igmp_max_memberships` (20 by default; a join past it fails with ENOBUFS) to `n`,
 * and raises `net.core.optmem_max` (the socket option memory each membership is charged to;
 * 128 KiB by default, about 2700 memberships) to 128 bytes per membership when that is more.
 * Both are per network namespace, but optmem_max only since Linux 6.2: on older kernels it is
 * raised for the whole machine.
 */
export async function raiseMembershipLimit(lab: Lab, n: number): Promise<void> {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`A membership limit is a positive integer, not ${n}`);
  }
  const sysctl = async (key: string, value: number) => {
    const r = await lab.exec(lab.ns.proxy, ["sysctl", "-w", `${key}=${value}`]);
    if (r.code !== 0) {
      throw new Error(
        `Cannot set ${key} to ${value} in namespace "${lab.ns.proxy}": ` +
          (r.stderr.trim() || `sysctl exited ${r.code}`),
      );
    }
  };
  await sysctl("net.ipv4.igmp_max_memberships", n);
  const optmem = await lab.exec(lab.ns.proxy, ["sysctl", "-n", "net.core.optmem_max"]);
  if (optmem.code === 0) {
    if (!(Number(optmem.stdout.trim()) >= n * 128)) await sysctl("net.core.optmem_max", n * 128);
    return;
  }
  // Before Linux 6.2 (Debian 12's 6.1 included) optmem_max is one value for every namespace,
  // set in the initial one: raise it there, never lower it.
  const global = await run("sysctl", ["-n", "net.core.optmem_max"]);
  if (global.code === 0 && Number(global.stdout.trim()) >= n * 128) return;
  const set = await run("sysctl", ["-w", `net.core.optmem_max=${n * 128}`]);
  if (set.code !== 0) {
    throw new Error(
      `Cannot set net.core.optmem_max to ${n * 128} (one value for every namespace on this ` +
        `kernel): ${set.stderr.trim() || `sysctl exited ${set.code}`}`,
    );
  }
}
