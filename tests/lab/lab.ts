/**
 * A network-namespace lab for end-to-end tests and the demo: an upstream sender, the proxy
 * router and downstream LANs (a bridge per LAN) with Linux hosts.
 *
 * ```text
 *  src             proxy                  lan1 (br0)      h11, h12, ...
 *  eth0 ---------- up0 10.0.0.1/24
 *  10.0.0.2/24         2001:db8::1/64
 *  2001:db8::2/64  dn1 10.1.0.1/24 ------ rt0   h1 ------ eth0 10.1.0.11/24 2001:db8:1::11/64
 *                      2001:db8:1::1/64         h2 ------ eth0 10.1.0.12/24 2001:db8:1::12/64
 *                  dn2 10.2.0.1/24 ------ lan2 ...        h21 ... 10.2.0.11/24 2001:db8:2::11/64
 *                      2001:db8:2::1/64
 * ```
 *
 * With `routedSource`, the `src` namespace becomes a router (IP forwarding on) and the sender
 * sits behind it in an `origin` namespace, on `10.9.0.0/24` and `2001:db8:9::/64`:
 *
 * ```text
 *  origin                src (router)          proxy
 *  eth0 10.9.0.2/24 ---- sn0 10.9.0.1/24        up0 10.0.0.1/24 ...
 *  2001:db8:9::2/64      eth0 10.0.0.2/24 ---- (the proxy has routes to 10.9.0.0/24 and
 *                                                 2001:db8:9::/64 via the router)
 * ```
 *
 * Every link outside the LAN namespaces has IPv4 and IPv6 addresses, the IPv6 ones mirroring
 * the IPv4 ones: LAN i is `2001:db8:i::/64` and host j on it `2001:db8:i::(10+j)`, i and
 * 10+j written in decimal digits inside the hex groups (LAN 12, host 3 is `2001:db8:12::13`,
 * not `::d`), so `10.1.0.12` and `2001:db8:1::12` are the same host. Every address is already
 * in the RFC 5952 text form that the kernel, `node:dgram` and `formatIPv6` print. Hosts and the
 * sender have a default route via their gateway in both families. Duplicate address detection
 * is off (`accept_dad` 0 before any link exists, and `nodad`) and hosts send no router
 * solicitations, so when {@link createLab} returns, every link is up with its link-local
 * address and nothing is tentative: MLD reports leave from the link-local address at once.
 * The LAN namespaces are plain switches: IPv6 is disabled there, so the bridge and its ports
 * send no MLD or ND of their own. On a kernel without IPv6 the lab is IPv4-only
 * ({@link Lab.ipv6}).
 *
 * Namespace names are `<prefix><pid>.<random>-<role>` (e.g. `mcp-4711.k3f-proxy`), so a
 * leftover from a crashed run never collides and {@link cleanStaleLabs} can tell whether the
 * process that built it is still alive. Needs root and iproute2; check {@link labSupport} first.
 *
 * @example
 * ```ts
 * await using lab = await createLab();
 * const r = await lab.exec(lab.ns.hosts[0][0], ["ip", "-4", "addr"]);
 * ```
 *
 * @module
 */

import { scaledWait } from "./wait_scale.ts";
import { messageOf } from "../../src/log.ts";

export {
  type Mr6Vif,
  type MrCacheEntry,
  type MrVif,
  parseMr6Cache,
  parseMr6Vif,
  parseMrCache,
  parseMrVif,
} from "./proc.ts";

/** Namespace name prefix used when none is given. */
export const DEFAULT_LAB_PREFIX = "mcp-";
/** Hosts per LAN when none are given: two on LAN 1, one on LAN 2. */
export const DEFAULT_HOSTS_PER_LAN: readonly number[] = [2, 1];
/** The sender's address in the `src` namespace. */
export const SRC_ADDR = "10.0.0.2";
/** The proxy's upstream address (interface `up0`). */
export const UPSTREAM_ADDR = "10.0.0.1";
/** The sender's IPv6 address in the `src` namespace. */
export const SRC_ADDR6 = "2001:db8::2";
/** The proxy's upstream IPv6 address (interface `up0`). */
export const UPSTREAM_ADDR6 = "2001:db8::1";
/**
 * A second address of the sender's link, for a second source of a group: run a second
 * sender with `ifaceAddr` set to it, after {@link addSecondSource}.
 */
export const SRC2_ADDR = "10.0.0.3";
/** The IPv6 counterpart of {@link SRC2_ADDR}. */
export const SRC2_ADDR6 = "2001:db8::3";
/** The sender behind the upstream router of a lab built with `routedSource`. */
export const ORIGIN_ADDR = "10.9.0.2";
/** The IPv6 address of the sender behind the upstream router (`routedSource`). */
export const ORIGIN_ADDR6 = "2001:db8:9::2";
/** The upstream router's address on the origin's link (`routedSource`). */
export const ROUTER_ORIGIN_ADDR = "10.9.0.1";
/** The upstream router's IPv6 address on the origin's link (`routedSource`). */
export const ROUTER_ORIGIN_ADDR6 = "2001:db8:9::1";

/** Options for {@link createLab}. */
export interface LabOptions {
  /** Namespace name prefix (default {@link DEFAULT_LAB_PREFIX}). */
  prefix?: string;
  /** Number of hosts on each LAN; its length is the number of LANs (default `[2, 1]`). */
  hostsPerLan?: number[];
  /**
   * Put the sender behind a router: `src` forwards, and the `origin` namespace holds the
   * sender (see the module doc). Default false.
   */
  routedSource?: boolean;
}

/** Names of the lab's namespaces. */
export interface LabNamespaces {
  /** The upstream sender. */
  src: string;
  /** The router where the daemon runs. */
  proxy: string;
  /** One per LAN, index i-1 for LAN i; each holds the bridge `br0`. */
  lans: string[];
  /** `hosts[i-1][j-1]` is host j on LAN i. */
  hosts: string[][];
  /** The sender behind the router `src`, in a lab built with `routedSource`. */
  origin?: string;
}

/** Result of {@link Lab.exec}. */
export interface ExecResult {
  /** Exit code. */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
}

/** Standard stream handling for {@link Lab.spawnIn}. */
export type Stdio = "piped" | "inherit" | "null";

/** Options for {@link Lab.spawnIn}. */
export interface SpawnOptions {
  /** Default "null". */
  stdin?: Stdio;
  /** Default "inherit". A piped stream must be read, or the child blocks once the pipe fills. */
  stdout?: Stdio;
  /** Default "inherit". */
  stderr?: Stdio;
  /** Extra environment variables (the parent's are inherited; DENO_NO_UPDATE_CHECK=1 is set). */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/**
 * What every namespace lab offers, whatever its topology: running processes in its namespaces,
 * reading their /proc, sysctls, teardown. {@link Lab} is one; `router_lab.ts` builds another.
 */
export interface LabShell extends AsyncDisposable {
  /** The unique name stem of every namespace of this lab, e.g. `mcp-4711.k3f`. */
  readonly id: string;
  /**
   * Whether the lab has IPv6: false only on a kernel booted with `ipv6.disable=1`, where the
   * lab is IPv4-only and IPv6 tests should skip.
   */
  readonly ipv6: boolean;
  /** The IPv6 link-local address of an interface in a namespace, e.g. `fe80::1c:2ff:fe3a:1`. */
  linkLocal(ns: string, ifname: string): Promise<string>;
  /** Runs a command inside a namespace and waits for it. */
  exec(ns: string, argv: string[]): Promise<ExecResult>;
  /** Writes a sysctl (dotted `net.ipv4.conf.all.rp_filter` or slashed form) in a namespace. */
  sysctl(ns: string, key: string, value: string | number): Promise<void>;
  /** Forces the IGMP version a host speaks (0 = kernel default, IGMPv3 with fallback). */
  setIgmpVersion(ns: string, version: 0 | 1 | 2 | 3): Promise<void>;
  /**
   * Forces the MLD version a host speaks (0 = kernel default, MLDv2 with fallback):
   * `force_mld_version` on `all` and `eth0`.
   */
  setMldVersion(ns: string, version: 0 | 1 | 2): Promise<void>;
  /** Starts a long-running process inside a namespace; {@link LabShell.destroy} kills it. */
  spawnIn(ns: string, argv: string[], opts?: SpawnOptions): Deno.ChildProcess;
  /**
   * Reads a /proc file as seen from inside a namespace, e.g. `/proc/net/ip_mr_vif`. Files under
   * `/proc/net/` are read directly, through a process that lives in the namespace (no process
   * is started for it: a few microseconds, also under emulation); others by `cat` in it.
   */
  readProc(ns: string, path: string): Promise<string>;
  /** Kills every process spawned in the lab and deletes its namespaces. Idempotent. */
  destroy(): Promise<void>;
}

/** A built lab. Tear it down with {@link Lab.destroy} or `await using`. */
export interface Lab extends LabShell {
  /** Namespace names. */
  readonly ns: LabNamespaces;
  /** Interface names in the proxy namespace. */
  readonly ifaces: { upstream: string; downstream: string[] };
  /** Addresses of the sender and of the proxy's interfaces. */
  readonly addr: { src: string; upstream: string; downstream: string[] };
  /** Address of host j on LAN i (both 1-based): `10.i.0.(10+j)`. */
  hostAddr(i: number, j: number): string;
  /**
   * IPv6 addresses of the sender and of the proxy's interfaces: `2001:db8::2`, `2001:db8::1`
   * and `2001:db8:i::1` for `dnI`.
   */
  readonly addr6: { src: string; upstream: string; downstream: string[] };
  /**
   * IPv6 address of host j on LAN i (both 1-based): `2001:db8:i::(10+j)`, the numbers written
   * in decimal digits (host 1 on LAN 1 is `2001:db8:1::11`).
   */
  hostAddr6(i: number, j: number): string;
}

/** Result of {@link labSupport}. */
export type LabSupport = { ok: true } | { ok: false; reason: string };

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function randomSuffix(n: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}

async function run(cmd: string, args: string[], stdin?: string): Promise<ExecResult> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(encoder.encode(stdin));
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * Runs `ip [globalArgs] -batch -` with the given command lines (none: nothing is run); throws
 * with `what` ("create veth links"), the error and the commands when `ip` fails.
 */
export async function ipBatch(globalArgs: string[], lines: string[], what: string): Promise<void> {
  if (lines.length === 0) return;
  const r = await run("ip", [...globalArgs, "-batch", "-"], lines.join("\n") + "\n");
  if (r.code !== 0) {
    throw new Error(
      `Cannot ${what}: ip ${[...globalArgs, "-batch"].join(" ")} exited ${r.code}: ` +
        `${r.stderr.trim()}\n  commands:\n    ${lines.join("\n    ")}`,
    );
  }
}

function sysctlPath(key: string): string {
  return key.includes("/") ? key.replace(/^\/?(proc\/sys\/)?/, "") : key.replaceAll(".", "/");
}

// Writes KEY=VALUE pairs under /proc/sys; a key starting with "?" is skipped when absent
// (IPv6 keys on a kernel booted with ipv6.disable).
const SYSCTL_SCRIPT = `for kv in "$@"; do
  k=\${kv%%=*}; v=\${kv#*=}; opt=
  case $k in '?'*) k=\${k#?}; opt=1;; esac
  p=/proc/sys/$k
  if [ -n "$opt" ] && [ ! -e "$p" ]; then continue; fi
  printf '%s\\n' "$v" > "$p" || { echo "cannot write $v to $p" >&2; exit 1; }
done`;

/**
 * Writes sysctls in a namespace with one process: keys dotted (`net.ipv4.ip_forward`) or
 * slashed; a key starting with `?` is skipped when the kernel lacks it (IPv6 keys on a kernel
 * booted with `ipv6.disable=1`). Throws on the first that cannot be written.
 */
export async function writeSysctls(
  ns: string,
  pairs: [string, string | number][],
): Promise<void> {
  const args = pairs.map(([k, v]) => {
    const opt = k.startsWith("?");
    return `${opt ? "?" : ""}${sysctlPath(opt ? k.slice(1) : k)}=${v}`;
  });
  const r = await run("ip", ["netns", "exec", ns, "sh", "-c", SYSCTL_SCRIPT, "sh", ...args]);
  if (r.code !== 0) {
    throw new Error(`Cannot set sysctls in namespace "${ns}": ${r.stderr.trim()}`);
  }
}

/** Lists network namespaces by name. */
async function listNamespaces(): Promise<string[]> {
  const r = await run("ip", ["netns", "list"]);
  if (r.code !== 0) throw new Error(`Cannot list namespaces: ${r.stderr.trim()}`);
  return r.stdout.split("\n").map((l) => l.trim().split(/\s+/)[0]).filter((n) => n !== "");
}

/** SIGKILLs whatever still runs inside the namespace (ignores a missing namespace). */
async function killNamespacePids(ns: string): Promise<void> {
  const r = await run("ip", ["netns", "pids", ns]);
  if (r.code !== 0) return;
  for (const pid of r.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

async function deleteNamespaces(names: string[]): Promise<void> {
  await Promise.all(names.map(killNamespacePids));
  // -force: keep going past namespaces that are already gone (idempotent teardown).
  await run("ip", ["-force", "-batch", "-"], names.map((n) => `netns del ${n}`).join("\n") + "\n");
}

function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Deletes namespaces whose name starts with `prefix`, left over by crashed runs: those whose
 * creating process (the pid in the name) is gone, and those that do not follow the lab's
 * naming at all. Namespaces of a lab whose process still runs (another test run in parallel)
 * are kept unless `includeLive` is set. Processes still inside a deleted namespace are killed.
 * Returns the deleted names.
 */
export async function cleanStaleLabs(
  prefix: string = DEFAULT_LAB_PREFIX,
  opts: { includeLive?: boolean } = {},
): Promise<string[]> {
  if (prefix === "") throw new Error("Refusing to clean namespaces with an empty prefix");
  const stale = (await listNamespaces()).filter((name) => {
    if (!name.startsWith(prefix)) return false;
    if (opts.includeLive) return true;
    // Lab names end in "<pid>.<random>-<role>" whatever the prefix, so a cleanup with a
    // shorter prefix ("mcp-") recognises labs built with a longer one ("mcp-lt-").
    const m = /(\d+)\.[a-z0-9]+-[a-z0-9]+$/.exec(name.slice(prefix.length));
    if (m === null) return true;
    const pid = Number(m[1]);
    if (pid !== Deno.pid) return !pidAlive(pid);
    return !liveIds.has(name.slice(0, name.lastIndexOf("-")));
  });
  if (stale.length > 0) await deleteNamespaces(stale);
  return stale;
}

// Lab ids built by this process and not yet destroyed: never cleaned as stale.
const liveIds = new Set<string>();

/**
 * A fresh lab id, `<prefix><pid>.<random>` (e.g. `mcp-4711.k3f`), the stem of every namespace
 * name of a lab: `<id>-<role>`, the role in lower-case letters and digits. {@link cleanStaleLabs}
 * keeps the lab's namespaces until the {@link NamespaceShell} built on the id is destroyed.
 * Throws on a prefix a namespace name cannot hold.
 */
export function newLabId(prefix: string = DEFAULT_LAB_PREFIX): string {
  if (!/^[A-Za-z0-9_.-]*$/.test(prefix)) throw new Error(`Bad lab prefix: "${prefix}"`);
  const id = `${prefix}${Deno.pid}.${randomSuffix(3)}`;
  liveIds.add(id);
  return id;
}

let supportMemo: Promise<LabSupport> | undefined;

/** Whether a file exists (for /proc: whether the running kernel has it). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** What to say when the running kernel lacks multicast routing for a family. */
function noRouting(family: "IPv4" | "IPv6", file: string): LabSupport {
  return {
    ok: false,
    reason: `no ${family} multicast routing in this kernel ${Deno.osRelease()} (${file} is ` +
      `missing); "./run test" runs these tests in a VM on Debian's kernel`,
  };
}

/** {@link labSupport}, and a kernel with IPv6 multicast routing (for the MLD tests). */
export async function mldLabSupport(): Promise<LabSupport> {
  const lab = await labSupport();
  if (!lab.ok) return lab;
  const file = "/proc/net/ip6_mr_vif";
  return await pathExists(file) ? { ok: true } : noRouting("IPv6", file);
}

/**
 * Tells whether a lab can be built here: Linux, root, iproute2, namespaces with veth and
 * bridge links, and a kernel with IPv4 multicast routing. Tests use it to skip loudly. The
 * result is computed once per process.
 */
export function labSupport(): Promise<LabSupport> {
  supportMemo ??= probeSupport();
  return supportMemo;
}

async function probeSupport(): Promise<LabSupport> {
  if (Deno.build.os !== "linux") {
    return {
      ok: false,
      reason: `the lab needs Linux network namespaces, this is ${Deno.build.os}`,
    };
  }
  let uid: number | null;
  try {
    uid = Deno.uid();
  } catch (e) {
    return {
      ok: false,
      reason: `cannot read the user id (run with --allow-all): ${messageOf(e)}`,
    };
  }
  if (uid !== 0) return { ok: false, reason: `the lab needs root, running as uid ${uid}` };
  try {
    const v = await run("ip", ["-V"]);
    if (v.code !== 0) return { ok: false, reason: `"ip -V" failed: ${v.stderr.trim()}` };
  } catch (e) {
    return {
      ok: false,
      reason: `the "ip" command (iproute2) is not available: ${messageOf(e)}`,
    };
  }
  // Outside DEFAULT_LAB_PREFIX on purpose, so cleanStaleLabs never races with a probe.
  const probe = `mcprobe-${Deno.pid}-${randomSuffix(4)}`;
  try {
    const add = await run("ip", ["netns", "add", probe]);
    if (add.code !== 0) return { ok: false, reason: `"ip netns add" failed: ${add.stderr.trim()}` };
    const links = await run(
      "ip",
      ["-n", probe, "-batch", "-"],
      [
        "link add v0 type veth peer name v1",
        "link add b0 type bridge mcast_snooping 0",
      ].join("\n") + "\n",
    );
    if (links.code !== 0) {
      return { ok: false, reason: `cannot create veth or bridge links: ${links.stderr.trim()}` };
    }
    const file = "/proc/net/ip_mr_vif";
    return await pathExists(file) ? { ok: true } : noRouting("IPv4", file);
  } finally {
    await run("ip", ["netns", "del", probe]);
  }
}

/** The Deno binary for child processes: env `DENO_BIN` if set, else this process's. */
export function denoBin(): string {
  return Deno.env.get("DENO_BIN") || Deno.execPath();
}

/**
 * The argv that runs a lab script (e.g. `sender.ts`, `host_agent.ts`) with Deno, without type
 * checking (the suite checks types separately) and with only network, env and read access.
 */
export function denoRunArgv(
  script: string | URL,
  args: string[] = [],
  allow: string[] = ["--allow-net", "--allow-env", "--allow-read"],
): string[] {
  const path = script instanceof URL ? decodeURIComponent(script.pathname) : script;
  return [denoBin(), "run", "--no-check", "--no-prompt", ...allow, path, ...args];
}

interface Tracked {
  child: Deno.ChildProcess;
  opts: SpawnOptions;
}

/**
 * The process machinery every lab shares, over the namespaces a subclass lists in
 * {@link NamespaceShell.allNamespaces}: processes spawned in them (killed at teardown), an
 * anchor process in each for {@link NamespaceShell.readProc}, and the teardown that deletes
 * them and releases the id from {@link newLabId}.
 */
export abstract class NamespaceShell implements LabShell {
  #ipv6 = true;
  #children = new Set<Tracked>();
  /** A process in each namespace, for reading `/proc/PID/net/`. */
  #anchors = new Map<string, Deno.ChildProcess>();
  #destroying: Promise<void> | undefined;

  /** @param id The lab's id, from {@link newLabId}. */
  constructor(readonly id: string) {}

  /** Every namespace of the lab: the ones {@link NamespaceShell.destroy} deletes. */
  abstract get allNamespaces(): string[];

  /** Whether the lab has IPv6 (see {@link LabShell.ipv6}). */
  get ipv6(): boolean {
    return this.#ipv6;
  }

  /** Set once while the lab is built, before any address is configured. */
  set ipv6(present: boolean) {
    this.#ipv6 = present;
  }

  async linkLocal(ns: string, ifname: string): Promise<string> {
    const r = await run("ip", [
      "-n",
      ns,
      "-6",
      "-o",
      "addr",
      "show",
      "dev",
      ifname,
      "scope",
      "link",
    ]);
    const m = /\sinet6 (fe80:[0-9a-f:]*)\/\d+/.exec(r.stdout);
    if (r.code !== 0 || m === null) {
      throw new Error(
        `No link-local address on "${ifname}" in namespace "${ns}": ${r.stderr.trim() || r.stdout}`,
      );
    }
    return m[1];
  }

  exec(ns: string, argv: string[]): Promise<ExecResult> {
    return run("ip", ["netns", "exec", ns, ...argv]);
  }

  sysctl(ns: string, key: string, value: string | number): Promise<void> {
    return writeSysctls(ns, [[key, value]]);
  }

  setIgmpVersion(ns: string, version: 0 | 1 | 2 | 3): Promise<void> {
    return writeSysctls(ns, [
      ["net.ipv4.conf.all.force_igmp_version", version],
      ["net.ipv4.conf.eth0.force_igmp_version", version],
    ]);
  }

  setMldVersion(ns: string, version: 0 | 1 | 2): Promise<void> {
    return writeSysctls(ns, [
      ["net.ipv6.conf.all.force_mld_version", version],
      ["net.ipv6.conf.eth0.force_mld_version", version],
    ]);
  }

  spawnIn(ns: string, argv: string[], opts: SpawnOptions = {}): Deno.ChildProcess {
    if (this.#destroying) throw new Error(`Lab "${this.id}" is destroyed`);
    if (argv.length === 0) throw new Error("spawnIn needs a command");
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", ns, ...argv],
      stdin: opts.stdin ?? "null",
      stdout: opts.stdout ?? "inherit",
      stderr: opts.stderr ?? "inherit",
      env: { DENO_NO_UPDATE_CHECK: "1", ...opts.env },
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    }).spawn();
    const tracked = { child, opts };
    this.#children.add(tracked);
    child.status.finally(() => this.#children.delete(tracked));
    return child;
  }

  async readProc(ns: string, path: string): Promise<string> {
    const anchor = this.#anchors.get(ns);
    if (anchor !== undefined && path.startsWith("/proc/net/")) {
      return await Deno.readTextFile(`/proc/${anchor.pid}/net/${path.slice("/proc/net/".length)}`);
    }
    const r = await this.exec(ns, ["cat", path]);
    if (r.code !== 0) throw new Error(`Cannot read "${path}" in namespace "${ns}": ${r.stderr}`);
    return r.stdout;
  }

  destroy(): Promise<void> {
    this.#destroying ??= this.#teardown();
    return this.#destroying;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  /**
   * Starts a process that only sleeps in each namespace, so that {@link readProc} can read its
   * `/proc/PID/net/`; resolves once each has entered its namespace (it runs `sleep` by then).
   */
  async anchor(): Promise<void> {
    for (const ns of this.allNamespaces) {
      const child = new Deno.Command("ip", {
        args: ["netns", "exec", ns, "sleep", "infinity"],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      this.#anchors.set(ns, child);
    }
    const deadline = performance.now() + scaledWait(5000);
    for (const [ns, child] of this.#anchors) {
      for (;;) {
        const comm = await Deno.readTextFile(`/proc/${child.pid}/comm`).catch(() => "");
        if (comm.trim() === "sleep") break;
        if (performance.now() > deadline) {
          throw new Error(`The anchor process of namespace "${ns}" did not start`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  }

  async #teardown(): Promise<void> {
    for (const child of this.#anchors.values()) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await Promise.all([...this.#anchors.values()].map((c) => c.status));
    this.#anchors.clear();
    await Promise.all([...this.#children].map((t) => stopChild(t)));
    await deleteNamespaces(this.allNamespaces);
    liveIds.delete(this.id);
  }
}

class NamespaceLab extends NamespaceShell implements Lab {
  readonly ifaces: { upstream: string; downstream: string[] };
  readonly addr: { src: string; upstream: string; downstream: string[] };
  readonly addr6: { src: string; upstream: string; downstream: string[] };
  constructor(id: string, readonly ns: LabNamespaces) {
    super(id);
    const lans = ns.lans.map((_, k) => k + 1);
    this.ifaces = { upstream: "up0", downstream: lans.map((i) => `dn${i}`) };
    this.addr = {
      src: SRC_ADDR,
      upstream: UPSTREAM_ADDR,
      downstream: lans.map((i) => `10.${i}.0.1`),
    };
    this.addr6 = {
      src: SRC_ADDR6,
      upstream: UPSTREAM_ADDR6,
      downstream: lans.map((i) => `2001:db8:${i}::1`),
    };
  }

  override get allNamespaces(): string[] {
    return [
      ...(this.ns.origin === undefined ? [] : [this.ns.origin]),
      this.ns.src,
      this.ns.proxy,
      ...this.ns.lans,
      ...this.ns.hosts.flat(),
    ];
  }

  #checkHost(i: number, j: number): void {
    if (!Number.isInteger(i) || i < 1 || i > this.ns.hosts.length) {
      throw new RangeError(`No LAN ${i} in this lab (it has ${this.ns.hosts.length})`);
    }
    if (!Number.isInteger(j) || j < 1 || j > this.ns.hosts[i - 1].length) {
      throw new RangeError(`No host ${j} on LAN ${i} (it has ${this.ns.hosts[i - 1].length})`);
    }
  }

  hostAddr(i: number, j: number): string {
    this.#checkHost(i, j);
    return `10.${i}.0.${10 + j}`;
  }

  hostAddr6(i: number, j: number): string {
    this.#checkHost(i, j);
    return `2001:db8:${i}::${10 + j}`;
  }
}

/** SIGTERM, then SIGKILL after a grace period; releases piped streams nobody holds. */
async function stopChild({ child, opts }: Tracked): Promise<void> {
  const signal = (sig: Deno.Signal) => {
    try {
      child.kill(sig);
    } catch {
      // Already exited.
    }
  };
  signal("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    child.status.then(() => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), 1500)),
  ]);
  clearTimeout(timer);
  if (!exited) signal("SIGKILL");
  await child.status;
  const release = async (s: ReadableStream<Uint8Array> | WritableStream<Uint8Array>) => {
    if (s.locked) return;
    try {
      await (s instanceof ReadableStream ? s.cancel() : s.close());
    } catch {
      // Already closed.
    }
  };
  if (opts.stdout === "piped") await release(child.stdout);
  if (opts.stderr === "piped") await release(child.stderr);
  if (opts.stdin === "piped") await release(child.stdin);
}

/**
 * The sysctls of a lab namespace, set before any link exists (per-interface settings are
 * copied from "default" at creation): no reverse-path filter, no duplicate address detection or
 * router solicitations; a LAN namespace is a plain switch without IPv6 or netfilter; a router
 * forwards IPv4. Keys with `?` may be missing on this kernel.
 */
export function namespaceSysctls(opts: { lan: boolean; forwarding?: boolean }): [string, number][] {
  return [
    ["net.ipv4.conf.all.rp_filter", 0],
    ["net.ipv4.conf.default.rp_filter", 0],
    ...(opts.forwarding === true ? [["net.ipv4.ip_forward", 1] as [string, number]] : []),
    ["?net.ipv6.conf.all.accept_dad", 0],
    ["?net.ipv6.conf.default.accept_dad", 0],
    // No router solicitations: fewer ICMPv6 packets on the LANs for captures to skip.
    ["?net.ipv6.conf.all.router_solicitations", 0],
    ["?net.ipv6.conf.default.router_solicitations", 0],
    // A LAN namespace is a plain switch: no IPv6 on its bridge and ports, so they send no
    // MLD reports or neighbour discovery of their own.
    ...(opts.lan
      ? [
        ["?net.ipv6.conf.all.disable_ipv6", 1] as [string, number],
        ["?net.ipv6.conf.default.disable_ipv6", 1] as [string, number],
      ]
      : []),
    // Where br_netfilter is loaded, bridges check IPv4 headers and would drop the malformed
    // packets the flood tests send; a LAN's bridge is a plain switch.
    ["?net.bridge.bridge-nf-call-iptables", 0],
  ];
}

/**
 * Builds the lab (see the module doc for the topology). Fails with a clear error when not
 * root or when `ip netns` is unavailable. On any failure the partial lab is deleted.
 */
export async function createLab(opts: LabOptions = {}): Promise<Lab> {
  const support = await labSupport();
  if (!support.ok) throw new Error(`Cannot build the namespace lab: ${support.reason}`);
  const prefix = opts.prefix ?? DEFAULT_LAB_PREFIX;
  if (!/^[A-Za-z0-9_.-]*$/.test(prefix)) throw new Error(`Bad lab prefix: "${prefix}"`);
  const hostsPerLan = opts.hostsPerLan ?? [...DEFAULT_HOSTS_PER_LAN];
  if (hostsPerLan.length < 1 || hostsPerLan.length > 30) {
    throw new RangeError(`A lab has 1 to 30 LANs, not ${hostsPerLan.length}`);
  }
  for (const n of hostsPerLan) {
    if (!Number.isInteger(n) || n < 0 || n > 200) {
      throw new RangeError(`A LAN has 0 to 200 hosts, not ${n}`);
    }
  }
  const id = newLabId(prefix);
  const hostName = (i: number, j: number) => i < 10 && j < 10 ? `h${i}${j}` : `h${i}x${j}`;
  const ns: LabNamespaces = {
    src: `${id}-src`,
    proxy: `${id}-proxy`,
    lans: hostsPerLan.map((_, k) => `${id}-lan${k + 1}`),
    hosts: hostsPerLan.map((n, k) =>
      Array.from({ length: n }, (_, j) => `${id}-${hostName(k + 1, j + 1)}`)
    ),
    ...(opts.routedSource ? { origin: `${id}-origin` } : {}),
  };
  const lab = new NamespaceLab(id, ns);
  try {
    await build(lab);
  } catch (e) {
    await lab.destroy();
    throw new Error(`Cannot build the namespace lab "${id}": ${messageOf(e)}`, { cause: e });
  }
  return lab;
}

async function build(lab: NamespaceLab): Promise<void> {
  const { ns } = lab;
  const all = lab.allNamespaces;
  const lans = new Set(ns.lans);
  // By a child process: Deno 2.9 reads nothing under /proc without --allow-all.
  lab.ipv6 = (await run("sh", ["-c", "test -d /proc/sys/net/ipv6"])).code === 0;
  await ipBatch([], all.map((n) => `netns add ${n}`), "create namespaces");
  await lab.anchor();

  // Before any link exists: per-interface settings are copied from "default" at creation.
  await Promise.all(all.map((n) => writeSysctls(n, namespaceSysctls({ lan: lans.has(n) }))));

  // Every veth gets an ifindex different from its peer's: the kernel then treats its carrier
  // change as urgent, and operstate turns UP at once instead of after linkwatch's 1 s delay.
  let index = 10;
  const veth = (a: string, aNs: string, b: string, bNs: string) =>
    `link add ${a} netns ${aNs} index ${index++} type veth peer name ${b} netns ${bNs} ` +
    `index ${index++}`;
  const links = [veth("up0", ns.proxy, "eth0", ns.src)];
  if (ns.origin !== undefined) links.push(veth("sn0", ns.src, "eth0", ns.origin));
  ns.lans.forEach((lan, k) => {
    links.push(veth(`dn${k + 1}`, ns.proxy, "rt0", lan));
    ns.hosts[k].forEach((host, j) => links.push(veth("eth0", host, `h${j + 1}`, lan)));
  });
  await ipBatch([], links, "create veth links");

  // IPv6 lines only where the kernel has IPv6 (not booted with ipv6.disable=1).
  const v6 = (lines: string[]) => lab.ipv6 ? lines : [];
  const perNs = new Map<string, string[]>();
  perNs.set(ns.src, [
    "link set lo up",
    `addr add ${SRC_ADDR}/24 dev eth0`,
    ...v6([`addr add ${SRC_ADDR6}/64 dev eth0 nodad`]),
    "link set eth0 up",
    `route add default via ${UPSTREAM_ADDR}`,
    ...v6([`route add default via ${UPSTREAM_ADDR6}`]),
  ]);
  const proxy = [
    "link set lo up",
    `addr add ${UPSTREAM_ADDR}/24 dev up0`,
    ...v6([`addr add ${UPSTREAM_ADDR6}/64 dev up0 nodad`]),
    "link set up0 up",
  ];
  if (ns.origin !== undefined) {
    perNs.get(ns.src)!.push(
      `addr add ${ROUTER_ORIGIN_ADDR}/24 dev sn0`,
      ...v6([`addr add ${ROUTER_ORIGIN_ADDR6}/64 dev sn0 nodad`]),
      "link set sn0 up",
    );
    perNs.set(ns.origin, [
      "link set lo up",
      `addr add ${ORIGIN_ADDR}/24 dev eth0`,
      ...v6([`addr add ${ORIGIN_ADDR6}/64 dev eth0 nodad`]),
      "link set eth0 up",
      `route add default via ${ROUTER_ORIGIN_ADDR}`,
      ...v6([`route add default via ${ROUTER_ORIGIN_ADDR6}`]),
    ]);
    proxy.push(
      `route add 10.9.0.0/24 via ${SRC_ADDR}`,
      ...v6([`route add 2001:db8:9::/64 via ${SRC_ADDR6}`]),
    );
  }
  ns.lans.forEach((lan, k) => {
    const i = k + 1;
    proxy.push(
      `addr add ${lab.addr.downstream[k]}/24 dev dn${i}`,
      ...v6([`addr add ${lab.addr6.downstream[k]}/64 dev dn${i} nodad`]),
      `link set dn${i} up`,
    );
    const bridge = [
      "link set lo up",
      "link add br0 type bridge mcast_snooping 0",
      "link set br0 up",
      "link set rt0 master br0",
      "link set rt0 up",
    ];
    ns.hosts[k].forEach((host, jj) => {
      const j = jj + 1;
      bridge.push(`link set h${j} master br0`, `link set h${j} up`);
      perNs.set(host, [
        "link set lo up",
        `addr add ${lab.hostAddr(i, j)}/24 dev eth0`,
        ...v6([`addr add ${lab.hostAddr6(i, j)}/64 dev eth0 nodad`]),
        "link set eth0 up",
        `route add default via ${lab.addr.downstream[k]}`,
        ...v6([`route add default via ${lab.addr6.downstream[k]}`]),
      ]);
    });
    perNs.set(lan, bridge);
  });
  perNs.set(ns.proxy, proxy);
  await Promise.all(
    [...perNs].map(([n, lines]) => ipBatch(["-n", n], lines, `configure namespace "${n}"`)),
  );

  await writeSysctls(
    ns.proxy,
    ["up0", ...lab.ifaces.downstream].map((i) => [`net.ipv4.conf.${i}.rp_filter`, 0]),
  );
  if (ns.origin !== undefined) {
    await writeSysctls(ns.src, [
      ["net.ipv4.ip_forward", 1],
      ["?net.ipv6.conf.all.forwarding", 1],
    ]);
  }
  // Only the links the lab made: with the ipip (sit, gre) module loaded, the kernel adds a
  // tunl0 (sit0, gre0) to every new namespace, which stays DOWN.
  const made = new Map<string, string[]>();
  made.set(ns.src, ns.origin === undefined ? ["eth0"] : ["eth0", "sn0"]);
  if (ns.origin !== undefined) made.set(ns.origin, ["eth0"]);
  made.set(ns.proxy, ["up0", ...lab.ifaces.downstream]);
  ns.lans.forEach((lan, k) => {
    made.set(lan, ["br0", "rt0", ...ns.hosts[k].map((_, j) => `h${j + 1}`)]);
    for (const host of ns.hosts[k]) made.set(host, ["eth0"]);
  });
  await Promise.all(
    all.map((n) =>
      waitLinksUp(n, {
        links: made.get(n) ?? [],
        timeoutMs: scaledWait(5000),
        ipv6: lab.ipv6 && !lans.has(n),
      })
    ),
  );
}

/**
 * Waits until each of `links` in the namespace reports operstate UP: the kernel applies
 * carrier changes asynchronously (linkwatch), and until then a veth may drop traffic. With
 * `ipv6`, also until every such link has its IPv6 link-local address (the kernel adds it once
 * the carrier is up) and no IPv6 address is tentative: MLD reports sent before that leave from
 * `::`. Links the kernel made on its own (`tunl0`) are not waited for.
 */
export async function waitLinksUp(
  ns: string,
  opts: { links: string[]; timeoutMs: number; ipv6: boolean },
): Promise<void> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    const r = await run("ip", ["-n", ns, "-br", "link", "show"]);
    if (r.code !== 0) throw new Error(`Cannot list links in namespace "${ns}": ${r.stderr}`);
    const operstate = new Map(
      r.stdout.split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 2)
        .map((f) => [f[0].replace(/@.*/, ""), f[1]]),
    );
    const fields = opts.links.map((name) => [name, operstate.get(name) ?? "missing"]);
    const notReady = fields.filter(([, state]) => state !== "UP" && state !== "UNKNOWN")
      .map(([name, state]) => `${name} is ${state}`);
    if (notReady.length === 0 && opts.ipv6) {
      const a = await run("ip", ["-n", ns, "-6", "-o", "addr", "show"]);
      if (a.code !== 0) throw new Error(`Cannot list addresses in namespace "${ns}": ${a.stderr}`);
      notReady.push(...ipv6NotReady(a.stdout, fields.map(([name]) => name)));
    }
    if (notReady.length === 0) return;
    if (performance.now() > deadline) {
      throw new Error(
        `Links not ready in namespace "${ns}" after ${opts.timeoutMs} ms: ${notReady.join(", ")}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * What keeps IPv6 from being usable on the given links, from `ip -6 -o addr show` output: a
 * link without a link-local address, or a tentative address. Empty when all is ready.
 *
 * @example
 * ```ts
 * ipv6NotReady("2: eth0    inet6 fe80::1/64 scope link tentative", ["eth0"]);
 * // ["eth0 fe80::1/64 is tentative"]
 * ```
 */
export function ipv6NotReady(addrOutput: string, links: string[]): string[] {
  const problems: string[] = [];
  const withLinkLocal = new Set<string>();
  for (const line of addrOutput.split("\n")) {
    const m = /^\d+:\s+(\S+)\s+inet6\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (m === null) continue;
    const [, name, addr, rest] = m;
    const flags = rest.split("\\")[0].split(/\s+/);
    if (flags.includes("tentative")) problems.push(`${name} ${addr} is tentative`);
    else if (/^fe80:/i.test(addr)) withLinkLocal.add(name);
  }
  for (const l of links) if (!withLinkLocal.has(l)) problems.push(`${l} has no link-local address`);
  return problems;
}

/**
 * Makes every host of the lab speak IGMPv2 and send one unsolicited report per join (no random
 * repeat, `net.ipv4.igmp_qrv` 1). A Linux host sends a Leave only if it sent the last report
 * for the group, so this makes the host that leaves deterministic.
 */
export async function useIgmpV2Hosts(lab: Lab): Promise<void> {
  for (const lan of lab.ns.hosts) {
    for (const h of lan) {
      await lab.setIgmpVersion(h, 2);
      await lab.sysctl(h, "net.ipv4.igmp_qrv", 1);
    }
  }
}

/**
 * Makes every host of the lab speak MLDv1. A Linux MLDv1 host sends each unsolicited report
 * twice, the repeat after a random delay of up to `mldv1_unsolicited_report_interval` (10 s by
 * default); this sets the interval to 1 ms, so both reports go out at the join and no repeat
 * is left pending. A host sends a Done only if it sent the last report for the group, so this
 * makes the host that sends the Done deterministic, as {@link useIgmpV2Hosts} does for IGMPv2.
 */
export async function useMldV1Hosts(lab: Lab): Promise<void> {
  for (const lan of lab.ns.hosts) {
    for (const h of lan) {
      await lab.setMldVersion(h, 1);
      await lab.sysctl(h, "net.ipv6.conf.all.mldv1_unsolicited_report_interval", 1);
      await lab.sysctl(h, "net.ipv6.conf.eth0.mldv1_unsolicited_report_interval", 1);
    }
  }
}

/**
 * Adds {@link SRC2_ADDR} (and {@link SRC2_ADDR6} where the lab has IPv6) to the sender's link,
 * so that a second sender there is a second source of the same groups, on the proxy's
 * upstream subnet as the first.
 */
export async function addSecondSource(lab: Lab): Promise<void> {
  const lines = [
    `addr add ${SRC2_ADDR}/24 dev eth0`,
    ...(lab.ipv6 ? [`addr add ${SRC2_ADDR6}/64 dev eth0 nodad`] : []),
  ];
  for (const line of lines) {
    const r = await lab.exec(lab.ns.src, ["ip", ...line.split(" ")]);
    if (r.code !== 0) throw new Error(`Cannot "ip ${line}" in "${lab.ns.src}": ${r.stderr.trim()}`);
  }
}
