/**
 * What `mcast-proxyctl doctor` looks at ({@link DoctorFacts}): the daemon's views, asked
 * through the control socket in their JSON form (schema version 1, `src/core/status_view.ts`),
 * twice for the counters that must move, and what the client reads of the kernel itself: its
 * multicast tables in /proc/net, between the two samples, its settings in /proc/sys, and the
 * firewall's ruleset (`nft -j list ruleset`, through an injected {@link RunCommand}). The daemon
 * runs jailed and cannot, while the client runs as root on the router, in the daemon's network
 * namespace.
 *
 * The rules that judge the facts are in `doctor.ts`, pure.
 *
 * @example
 * ```ts
 * const facts = await gatherFacts({ path: DEFAULT_CONTROL_SOCKET, intervalMs: 2000 });
 * diagnose(facts);
 * ```
 *
 * @module
 */

import type { ForwardingView } from "../core/forwarding_view.ts";
import {
  type CountersView,
  type GroupView,
  type InterfaceView,
  STATUS_SCHEMA_VERSION,
  type UpstreamView,
} from "../core/status_view.ts";
import type { ControlRequest } from "../runtime/control_protocol.ts";
import { ControlError, DEFAULT_TIMEOUT_MS, request } from "./client.ts";
import { messageOf } from "../log.ts";
import { FAMILIES } from "./doctor_findings.ts";
import { type NftRuleset, parseNftRuleset } from "./doctor_nft.ts";
import { type KernelTables, parseKernelTables, PROC_NET_FILES } from "./doctor_proc_net.ts";

/** How long the doctor waits between its two samples of the counters, by default (ms). */
export const DEFAULT_DOCTOR_INTERVAL_MS = 2000;

/**
 * The views that are asked twice: the VIFs' and the forwarding entries' counters, which must
 * move, and what the kernel's tables are compared with (the entries, the upstream groups).
 */
export interface DoctorSample {
  /** `show interfaces`: every family's rows. */
  interfaces: InterfaceView[];
  /** `show forwarding`: one view per family. */
  forwarding: ForwardingView[];
  /** `show upstream`: one view per family. */
  upstream: UpstreamView[];
}

/**
 * Everything the rules judge. The first sample's interfaces were asked first and its forwarding
 * last, the second sample's forwarding first and its interfaces last: the VIFs' counters cover
 * at least the time the entries' do. The kernel's tables were read between the samples: what
 * both samples show was there when they were read.
 */
export interface DoctorFacts {
  /** `show groups`: the memberships of every LAN, every family. */
  groups: GroupView[];
  /** `show counters`: one view per family. */
  counters: CountersView[];
  /** The first sample. */
  before: DoctorSample;
  /** The second sample, {@link intervalS} later. */
  after: DoctorSample;
  /** The time between the samples, in seconds. */
  intervalS: number;
  /**
   * Integer sysctls by their path under /proc/sys (see {@link sysctlPath}); undefined when the
   * file could not be read (no such interface, no IPv6 in the kernel).
   */
  sysctls: Record<string, number | undefined>;
  /** The kernel's multicast tables in /proc/net, one per family. */
  kernel: KernelTables[];
  /** The firewall's ruleset, as `nft -j list ruleset` printed it, or why it could not. */
  firewall: FirewallFacts;
}

/** The firewall's ruleset, or why it was not read (nft missing, not root, ...). */
export type FirewallFacts = { ok: true; ruleset: NftRuleset } | { ok: false; reason: string };

/** What a command printed and how it ended. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command (`argv[0]` looked up in PATH) to its end with no input. Rejects with
 * `Deno.errors.NotFound` when there is no such program, `Deno.errors.TimedOut` when it ran
 * longer than `timeoutMs` (it is then killed), another error when it could not be started.
 */
export type RunCommand = (
  argv: readonly string[],
  opts: { timeoutMs: number },
) => Promise<CommandResult>;

/** How long nft may take to print the ruleset (ms). */
export const NFT_TIMEOUT_MS = 5000;

/** The commands tried, in order, for the firewall's ruleset (root's PATH has sbin, sudo's may not). */
export const NFT_COMMANDS: readonly (readonly string[])[] = [
  ["nft", "-j", "list", "ruleset"],
  ["/usr/sbin/nft", "-j", "list", "ruleset"],
];

/** Options of {@link gatherFacts}. */
export interface GatherOptions {
  /** The daemon's control socket. */
  path: string;
  /** How long each request waits for the daemon (default {@link DEFAULT_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** The time between the two samples (default {@link DEFAULT_DOCTOR_INTERVAL_MS}). */
  intervalMs?: number;
  /** Reads a file as text (default `Deno.readTextFile`); a rejection is a file not read. */
  readFile?: (path: string) => Promise<string>;
  /** Waits `ms` (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** Runs nft (default {@link denoRunCommand}). */
  runCommand?: RunCommand;
}

/** The daemon answered a `show` request with an error: its reason is the body. */
export class DaemonRefused extends Error {
  /** The error reply's body. */
  readonly body: string;

  /** The refusal of `what` with `body`. */
  constructor(what: string, body: string) {
    super(`mcast-proxy refused show ${what}: ${body.trim()}`);
    this.name = "DaemonRefused";
    this.body = body;
  }
}

/** The views `show` answers, by the key of their JSON object. */
type Shown = {
  interfaces: InterfaceView[];
  groups: GroupView[];
  upstream: UpstreamView[];
  forwarding: ForwardingView[];
  counters: CountersView[];
};

/**
 * Asks the daemon at `opts.path` for its views, waits, reads the kernel's multicast tables,
 * asks for the views that move again, and reads the sysctls of the interfaces in use. Rejects
 * with a {@link ControlError} when the daemon cannot be reached or answers what is not a view
 * (`bad-reply`), with {@link DaemonRefused} when it answers an error.
 */
export async function gatherFacts(opts: GatherOptions): Promise<DoctorFacts> {
  const intervalMs = opts.intervalMs ?? DEFAULT_DOCTOR_INTERVAL_MS;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const readFile = opts.readFile ?? Deno.readTextFile;
  const show = <K extends keyof Shown>(what: K) => showJson(opts, what);
  const interfaces = await show("interfaces");
  const groups = await show("groups");
  const upstream = await show("upstream");
  const counters = await show("counters");
  const forwarding = await show("forwarding");
  await sleep(intervalMs);
  const kernel = await readKernelTables(readFile);
  const laterForwarding = await show("forwarding");
  const laterUpstream = await show("upstream");
  const laterInterfaces = await show("interfaces");
  return {
    groups,
    counters,
    before: { interfaces, forwarding, upstream },
    after: { interfaces: laterInterfaces, forwarding: laterForwarding, upstream: laterUpstream },
    intervalS: intervalMs / 1000,
    sysctls: await readSysctls(sysctlPaths(interfaces), readFile),
    kernel,
    firewall: await readFirewall(opts.runCommand ?? denoRunCommand),
  };
}

/** The ruleset nft prints, or why there is none; never rejects. */
export async function readFirewall(run: RunCommand): Promise<FirewallFacts> {
  let result: CommandResult | undefined;
  for (const argv of NFT_COMMANDS) {
    try {
      result = await run(argv, { timeoutMs: NFT_TIMEOUT_MS });
      break;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      if (err instanceof Deno.errors.TimedOut) {
        return { ok: false, reason: `nft did not answer within ${NFT_TIMEOUT_MS / 1000} s` };
      }
      return { ok: false, reason: `nft could not be run: ${messageOf(err)}` };
    }
  }
  if (result === undefined) {
    return { ok: false, reason: "nft is not installed (Debian's nftables package)" };
  }
  if (result.code !== 0) {
    const why = result.stderr.split("\n").map((l) => l.trim()).find((l) => l !== "");
    return { ok: false, reason: `nft failed (exit ${result.code}): ${why ?? "it said nothing"}` };
  }
  const parsed = parseNftRuleset(result.stdout);
  return parsed.ok
    ? { ok: true, ruleset: parsed.value }
    : { ok: false, reason: `nft answered what is not a ruleset: ${parsed.reason}` };
}

/** {@link RunCommand} with `Deno.Command`, killed when it takes longer than the timeout. */
export async function denoRunCommand(
  argv: readonly string[],
  opts: { timeoutMs: number },
): Promise<CommandResult> {
  const { timeoutMs } = opts;
  const signal = AbortSignal.timeout(timeoutMs);
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal,
  }).output();
  if (signal.aborted) {
    throw new Deno.errors.TimedOut(`${argv[0]} did not end within ${timeoutMs} ms`);
  }
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Both families' tables from /proc/net; a file that cannot be read is a table undefined. */
async function readKernelTables(
  readFile: (path: string) => Promise<string>,
): Promise<KernelTables[]> {
  const read = (path: string) => readFile(path).catch(() => undefined);
  return await Promise.all(FAMILIES.map(async (family) => {
    const files = PROC_NET_FILES[family];
    const [vifs, mfc, memberships, filters] = await Promise.all(
      [files.vifs, files.mfc, files.memberships, files.filters].map(read),
    );
    return parseKernelTables(family, { vifs, mfc, memberships, filters });
  }));
}

/** `show WHAT --json`, its rows or views. */
async function showJson<K extends keyof Shown>(
  opts: GatherOptions,
  what: K,
): Promise<Shown[K]> {
  const req: ControlRequest = { command: "show", what, format: "json" };
  const reply = await request(opts.path, req, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  if (!reply.ok) throw new DaemonRefused(what, reply.body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body);
  } catch {
    throw notAView(opts.path, `show ${what} answered what is not JSON`);
  }
  const object = parsed as Record<string, unknown> | null;
  if (typeof object !== "object" || object === null) {
    throw notAView(opts.path, `show ${what} answered what is not an object`);
  }
  if (object.version !== STATUS_SCHEMA_VERSION || !Array.isArray(object[what])) {
    throw notAView(
      opts.path,
      `show ${what} answered schema version ${JSON.stringify(object.version)}, ` +
        `not ${STATUS_SCHEMA_VERSION} with "${what}"`,
    );
  }
  return object[what] as Shown[K];
}

function notAView(path: string, reason: string): ControlError {
  return new ControlError("bad-reply", {
    path,
    message: `not a view of mcast-proxy on ${JSON.stringify(path)}: ${reason}`,
  });
}

/** The sysctls the rules know, as {@link sysctlPath} names them. */
export type SysctlKey =
  | { family: "ipv4" | "ipv6"; name: "rp_filter" | "mc_forwarding"; iface: string }
  | { family: "ipv4"; name: "igmp_max_memberships" | "igmp_max_msf" }
  | { family: "ipv6"; name: "mld_max_msf" }
  | { family: "core"; name: "optmem_max" };

/**
 * A sysctl's file under /proc/sys: `/proc/sys/net/ipv4/conf/IFACE/rp_filter` (`all` for every
 * interface), `/proc/sys/net/ipv4/igmp_max_msf`.
 */
export function sysctlPath(key: SysctlKey): string {
  return "iface" in key
    ? `/proc/sys/net/${key.family}/conf/${key.iface}/${key.name}`
    : `/proc/sys/net/${key.family}/${key.name}`;
}

/**
 * A sysctl as `sysctl -w` names it: `net.ipv4.conf.eth0/100.rp_filter` (a dot in an interface
 * name becomes a slash).
 */
export function sysctlName(key: SysctlKey): string {
  return "iface" in key
    ? `net.${key.family}.conf.${key.iface.replaceAll(".", "/")}.${key.name}`
    : `net.${key.family}.${key.name}`;
}

/**
 * The sysctls to read: rp_filter of `all` and of the IPv4 upstream, mc_forwarding of `all` in
 * each family and of each VIF's (MIF's) interface, the ceilings of memberships and source
 * filters (the socket option memory, net.core.optmem_max, bounds a filter too).
 */
export function sysctlPaths(interfaces: readonly InterfaceView[]): string[] {
  const keys: SysctlKey[] = [
    { family: "ipv4", name: "rp_filter", iface: "all" },
    { family: "ipv4", name: "mc_forwarding", iface: "all" },
    { family: "ipv6", name: "mc_forwarding", iface: "all" },
    { family: "ipv4", name: "igmp_max_memberships" },
    { family: "ipv4", name: "igmp_max_msf" },
    { family: "ipv6", name: "mld_max_msf" },
    { family: "core", name: "optmem_max" },
  ];
  for (const i of interfaces) {
    if (i.family === "ipv4" && i.role === "upstream") {
      keys.push({ family: "ipv4", name: "rp_filter", iface: i.name });
    }
    keys.push({ family: i.family, name: "mc_forwarding", iface: i.name });
  }
  return [...new Set(keys.map(sysctlPath))];
}

/** Each file's integer, or undefined when it cannot be read or holds no integer. */
async function readSysctls(
  paths: readonly string[],
  readFile: (path: string) => Promise<string>,
): Promise<Record<string, number | undefined>> {
  const values: Record<string, number | undefined> = {};
  for (const path of paths) {
    const text = await readFile(path).catch(() => undefined);
    const value = text === undefined ? NaN : Number(text.trim());
    values[path] = Number.isInteger(value) && text!.trim() !== "" ? value : undefined;
  }
  return values;
}
