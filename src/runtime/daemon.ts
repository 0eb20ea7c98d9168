/**
 * The imperative shell: resolves the configured interfaces against the system, takes the kernel
 * multicast routing table, feeds packets, upcalls and timer ticks to the proxy core, and executes
 * the actions it returns through the OS port.
 *
 * @module
 */

import type { Config, InterfaceConfig, Prefix } from "../../conf/config.ts";
import { effectiveTimers, interfaceIpv4, interfaceIpv6 } from "../../conf/config.ts";
import type { Action } from "../core/actions.ts";
import {
  createProxy,
  MAXVIFS,
  nextDeadline,
  type ProxyEvent,
  type ProxyInterface,
  type ProxyState,
  step,
} from "../core/proxy.ts";
import { formatSubnet, type Subnet } from "../core/subnet.ts";
import type { Logger } from "../log.ts";
import { formatIPv4, parseIPv4 } from "../proto/addr.ts";
import type { Sys, SystemInterface } from "./sys.ts";

/** A startup failure: `main.ts` prints the message as one fatal line and exits 1. */
export class StartupError extends Error {
  /** Builds the error with a one-line, user-facing message. */
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

/** Options of {@link Daemon}. */
export interface DaemonOptions {
  /** The OS port. */
  sys: Sys;
  /** The parsed configuration (protocol timers and boundaries come from it, per interface). */
  config: Config;
  /** Where logs go. */
  log: Logger;
  /** Monotonic clock in ms (default `performance.now`). */
  now?: () => number;
  /**
   * Says which process holds the kernel multicast routing table, e.g. `igmpproxy (pid 42)`,
   * when MRT_INIT fails with EADDRINUSE.
   */
  describeTableHolder?: () => string | undefined;
}

/** How many messages are read per loop round before timers get their turn. */
const MAX_BATCH = 512;
/** The longest the loop sleeps without looking at the clock. */
const MAX_WAIT_MS = 60_000;
/** How often interfaces are looked at again although the system said nothing changed. */
export const RESCAN_INTERVAL_MS = 30_000;
/** The same when the system cannot tell about changes: this look is all there is. */
export const UNWATCHED_RESCAN_INTERVAL_MS = 5_000;

/** The IPv4 prefixes of an interface's `source` or `boundary` lines as numbers; IPv6 ones are left out. */
function toSubnets(ic: InterfaceConfig, field: "sources" | "boundaries"): Subnet[] {
  const prefixes: Prefix[] = field === "sources" ? ic.sources : ic.boundaries.map((b) => b.prefix);
  return prefixes.filter((p) => p.family === 4).map((p) => {
    const address = parseIPv4(p.address);
    if (address === undefined) {
      throw new StartupError(`Interface "${ic.name}": bad address "${p.address}" in ${field}`);
    }
    return { address, prefixLength: p.length };
  });
}

/** A configured interface the daemon proxies IPv4 on: everything but what the system says. */
export type ConfiguredInterface = Omit<ProxyInterface, "ifindex" | "address" | "subnets">;

/**
 * Why a configured interface cannot be used right now. `no-carrier` (up, but not running) only
 * keeps an interface from being taken into use: one in use keeps its VIF and memberships
 * through a carrier loss.
 */
export type InterfaceProblem = "missing" | "down" | "no-multicast" | "no-ipv4" | "no-carrier";

/** A configured interface that is not usable now. */
export interface UnusableInterface {
  /** Its name. */
  name: string;
  /** Its role. */
  role: ProxyInterface["role"];
  /** Why it is not usable. */
  problem: InterfaceProblem;
  /** What it would be if usable: set when only the carrier is missing. */
  iface?: ProxyInterface;
}

/** Configured interfaces matched against the system's. */
export interface InterfaceScan {
  /** The usable ones, in configuration order. */
  usable: ProxyInterface[];
  /** The others, in configuration order, with why each one is not usable. */
  unusable: UnusableInterface[];
}

/**
 * The interfaces of the configuration that proxy IPv4 (not disabled, IPv4 on), each with its
 * effective protocol timers and IPv4 boundaries. Throws {@link StartupError} for what no change
 * of the system can mend: an upstream with IPv4 off, no downstream with IPv4 on.
 */
export function configuredInterfaces(config: Config): ConfiguredInterface[] {
  const result: ConfiguredInterface[] = [];
  for (const ic of config.interfaces) {
    if (ic.role === "disabled") continue;
    if (!interfaceIpv4(config, ic)) {
      if (ic.role === "upstream") {
        throw new StartupError("The upstream interface has IPv4 off: nothing to proxy from");
      }
      continue;
    }
    result.push({
      name: ic.name,
      role: ic.role,
      sources: toSubnets(ic, "sources"),
      threshold: ic.threshold,
      timers: effectiveTimers(config, ic),
      boundaries: toSubnets(ic, "boundaries"),
    });
  }
  if (!result.some((i) => i.role === "upstream")) {
    throw new StartupError("No upstream interface configured: nothing to proxy from");
  }
  if (!result.some((i) => i.role === "downstream")) {
    throw new StartupError("No downstream interface has IPv4 on: nothing to proxy to");
  }
  return result;
}

/**
 * Matches configured interfaces against the system's: usable means it exists, is up and
 * running (queries sent before the carrier is there are lost), multicast capable, and has an
 * IPv4 address.
 */
export function scanInterfaces(
  configured: readonly ConfiguredInterface[],
  system: readonly SystemInterface[],
): InterfaceScan {
  const byName = new Map(system.map((i) => [i.name, i]));
  const scan: InterfaceScan = { usable: [], unusable: [] };
  for (const ci of configured) {
    const sysIf = byName.get(ci.name);
    const problem: InterfaceProblem | undefined = sysIf === undefined
      ? "missing"
      : !sysIf.up
      ? "down"
      : !sysIf.multicast
      ? "no-multicast"
      : sysIf.ipv4.length === 0
      ? "no-ipv4"
      : !sysIf.running
      ? "no-carrier"
      : undefined;
    const iface: ProxyInterface | undefined =
      sysIf === undefined || (problem !== undefined && problem !== "no-carrier") ? undefined : {
        ...ci,
        ifindex: sysIf.index,
        address: sysIf.ipv4[0].address,
        subnets: sysIf.ipv4.map((a) => ({ address: a.address, prefixLength: a.prefixLength })),
      };
    if (problem === undefined && iface !== undefined) scan.usable.push(iface);
    else {
      scan.unusable.push({
        name: ci.name,
        role: ci.role,
        problem: problem ?? "missing",
        ...(iface === undefined ? {} : { iface }),
      });
    }
  }
  return scan;
}

const WAITING: Record<InterfaceProblem, string> = {
  "missing": "does not exist: waiting for it",
  "down": "is down: waiting for it to come up",
  "no-multicast": "is not multicast capable: waiting until it is",
  "no-ipv4": "has no IPv4 address: waiting for one",
  "no-carrier": "has no carrier: waiting for its link to come up",
};

const LOST: Record<InterfaceProblem, string> = {
  "missing": "no longer exists",
  "down": "went down",
  "no-multicast": "no longer multicast capable",
  "no-ipv4": "lost its IPv4 address",
  "no-carrier": "lost its carrier",
};

/** Why an interface in use must be taken down and up again, or `undefined` if it is unchanged. */
export function describeChange(was: ProxyInterface, now: ProxyInterface): string | undefined {
  if (was.ifindex !== now.ifindex) return `index changed: ${was.ifindex} to ${now.ifindex}`;
  if (was.address !== now.address) {
    return `address changed: ${formatIPv4(was.address)} to ${formatIPv4(now.address)}`;
  }
  const subnets = (i: ProxyInterface) => i.subnets.map(formatSubnet).join(" ");
  if (subnets(was) !== subnets(now)) return `addresses changed: ${subnets(now)}`;
  return undefined;
}

/**
 * Turns configured interfaces into the core's interface list, each with its effective protocol
 * timers and its IPv4 boundaries; warns about each configured interface that is not usable
 * yet (it is used once it is), once when IPv6 is asked for (only IPv4 is proxied yet), and when
 * there is no upstream or no downstream yet. Throws {@link StartupError} for a configuration
 * no change of the system can mend, and for more usable interfaces than the kernel has VIFs.
 */
export function resolveInterfaces(
  config: Config,
  system: SystemInterface[],
  log: Logger,
): ProxyInterface[] {
  if (config.ipv6 || config.interfaces.some((ic) => interfaceIpv6(config, ic))) {
    log.warn("IPv6 is not supported yet: only IPv4 is proxied");
  }
  const configured = configuredInterfaces(config);
  const { usable, unusable } = scanInterfaces(configured, system);
  for (const u of unusable) log.warn(`Interface "${u.name}" ${WAITING[u.problem]}`);
  if (!usable.some((i) => i.role === "upstream")) {
    const up = unusable.find((u) => u.role === "upstream")!;
    log.warn(
      `No upstream interface yet: nothing is forwarded until "${up.name}" ${
        up.problem === "missing" ? "appears" : "is usable"
      }`,
    );
  }
  if (!usable.some((i) => i.role === "downstream")) {
    const names = unusable.filter((u) => u.role === "downstream").map((u) => `"${u.name}"`);
    log.warn(
      `No downstream interface yet: nothing is forwarded until ${
        names.length === 1 ? names[0] : `one of ${names.join(", ")}`
      } is usable`,
    );
  }
  if (usable.length > MAXVIFS) {
    throw new StartupError(
      `${usable.length} interfaces are usable at once, the kernel supports ${MAXVIFS} VIFs`,
    );
  }
  return usable;
}

function explainMrtInit(err: unknown, holder: string | undefined): StartupError {
  const code = (err as { code?: string }).code;
  if (code === "EADDRINUSE") {
    return new StartupError(
      "Cannot take the kernel multicast routing table: another multicast router holds it (" +
        (holder ?? "mrouted, pimd, smcroute, igmpproxy or another mcast-proxy") + ")",
    );
  }
  if (code === "EPERM" || code === "EACCES") {
    return new StartupError(
      "Cannot open the multicast routing socket: permission denied (run as root, or with " +
        "CAP_NET_ADMIN and CAP_NET_RAW)",
    );
  }
  if (code === "ENOPROTOOPT") {
    return new StartupError(
      "Cannot take the kernel multicast routing table: the kernel has no multicast routing " +
        "(CONFIG_IP_MROUTE)",
    );
  }
  return new StartupError(`Cannot take the kernel multicast routing table: ${String(err)}`);
}

/**
 * An interface whose actions may fail without it being news: it vanished, or its VIF could not
 * be added. Failures of actions on it are logged at debug level, not as warnings.
 */
interface Expected {
  /** Its interface index (joins and leaves). */
  ifindex: number;
  /** Its VIF number (delVif). */
  vifi: number;
  /** Also turn the core's info lines about it into debug lines. */
  quietLog?: boolean;
}

/** A canonical string of what the system says of an interface, to tell whether it changed. */
function interfaceKey(i: ProxyInterface): string {
  return `${i.ifindex} ${i.subnets.map((s) => `${s.address}/${s.prefixLength}`).join(" ")}`;
}

/** The running daemon. */
export class Daemon {
  readonly #opts: DaemonOptions;
  readonly #now: () => number;
  #state: ProxyState | undefined;
  #configured: ConfiguredInterface[] = [];
  #watching = false;
  #nextRescan = 0;
  /** Interfaces the core did not take (no VIF free), until a VIF is freed or they change. */
  readonly #refused = new Map<string, string>();
  /** Interfaces whose VIF could not be added, until the next periodic look or they change. */
  readonly #failed = new Map<string, string>();
  #stopping = false;
  #closed = false;

  /** Prepares the daemon; nothing touches the kernel until {@link start}. */
  constructor(opts: DaemonOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** The core's state, for status displays and tests. */
  get state(): ProxyState | undefined {
    return this.#state;
  }

  /**
   * Resolves interfaces, takes the kernel table, starts watching for interface changes and
   * adds the VIFs of the interfaces that are usable; the others are used once they are.
   * Throws {@link StartupError}.
   */
  start(): void {
    const { sys, log } = this.#opts;
    const interfaces = resolveInterfaces(this.#opts.config, sys.interfaces(), log);
    this.#configured = configuredInterfaces(this.#opts.config);
    try {
      sys.mrtInit();
    } catch (err) {
      sys.close();
      throw explainMrtInit(err, this.#opts.describeTableHolder?.());
    }
    try {
      sys.watchInterfaces();
      this.#watching = true;
    } catch (err) {
      log.warn(
        `Cannot watch interface changes: ${messageOf(err)}: looking every ${
          UNWATCHED_RESCAN_INTERVAL_MS / 1000
        } s instead`,
      );
    }
    this.#state = createProxy({ interfaces, debug: log.debugEnabled });
    const now = this.#now();
    const actions = step(this.#state, { kind: "start" }, now);
    try {
      for (const a of actions) {
        if (a.kind === "addVif") this.#addVifOrThrow(a);
        else this.#execute(a);
      }
    } catch (err) {
      this.#shutdown();
      throw err;
    }
    // Look again at once: an interface may have changed before the watch began.
    this.#nextRescan = now;
    const up = this.#state.upstream;
    const waiting = this.#configured.filter((c) => !interfaces.some((i) => i.name === c.name));
    log.info(
      `Started: ${up === undefined ? "no upstream yet" : `upstream "${up.name}"`}, ${
        interfaces.filter((i) => i.role === "downstream").length
      } downstream${
        waiting.length === 0 ? "" : `, waiting for ${waiting.map((c) => `"${c.name}"`).join(", ")}`
      }`,
    );
  }

  #addVifOrThrow(a: Extract<Action, { kind: "addVif" }>): void {
    try {
      this.#opts.sys.addVif(a);
    } catch (err) {
      throw new StartupError(`Cannot add VIF ${a.vifi} for "${a.name}": ${messageOf(err)}`);
    }
  }

  /** Asks the loop to stop; safe from a signal handler. */
  stop(): void {
    this.#stopping = true;
    this.#opts.sys.wake();
  }

  /** Runs until {@link stop}, then removes everything it added to the kernel. */
  async run(): Promise<void> {
    const state = this.#state;
    if (state === undefined) throw new Error("Daemon.run() before start()");
    const { sys } = this.#opts;
    try {
      while (!this.#stopping) {
        const wait = Math.min(nextDeadline(state), this.#nextRescan) - this.#now();
        if (wait > 0) await sys.wait(Math.min(wait, MAX_WAIT_MS));
        if (this.#stopping) break;
        this.#drain(state);
        const changed = this.#interfacesChanged();
        let now = this.#now();
        const periodic = this.#nextRescan <= now;
        if (changed || periodic) {
          this.#rescan(state, now, periodic);
          now = this.#now();
        }
        if (nextDeadline(state) <= now) this.#feed(state, { kind: "tick" }, now);
      }
    } finally {
      this.#shutdown();
    }
  }

  /** Whether the system says interfaces changed; a failing watch ends with a warning. */
  #interfacesChanged(): boolean {
    if (!this.#watching) return false;
    try {
      return this.#opts.sys.interfacesChanged();
    } catch (err) {
      this.#watching = false;
      this.#opts.log.warn(
        `Cannot watch interface changes any more: ${messageOf(err)}: looking every ${
          UNWATCHED_RESCAN_INTERVAL_MS / 1000
        } s instead`,
      );
      return true;
    }
  }

  /**
   * Looks at the system's interfaces and tells the core what changed: interfaces in use that
   * are gone, unusable or different go down first (freeing their VIFs), then the configured
   * ones that became usable come up.
   */
  #rescan(state: ProxyState, now: number, periodic: boolean): void {
    const { sys, log } = this.#opts;
    this.#nextRescan = now +
      (this.#watching ? RESCAN_INTERVAL_MS : UNWATCHED_RESCAN_INTERVAL_MS);
    if (periodic) this.#failed.clear();
    let system: SystemInterface[];
    try {
      system = sys.interfaces();
    } catch (err) {
      log.warn(`Cannot list interfaces: ${messageOf(err)}`);
      return;
    }
    const { usable, unusable } = scanInterfaces(this.#configured, system);
    const usableByName = new Map(usable.map((i) => [i.name, i]));
    const problems = new Map(unusable.map((u) => [u.name, u.problem]));
    // An interface in use that only lost its carrier stays in use, if unchanged.
    for (const u of unusable) if (u.iface !== undefined) usableByName.set(u.name, u.iface);
    for (const vif of [...state.vifs.values()]) {
      const current = usableByName.get(vif.name);
      const problem = problems.get(vif.name) ?? "missing";
      const reason = current === undefined ? LOST[problem] : describeChange(vif, current);
      if (reason === undefined) continue;
      // A vanished interface took its VIF and memberships with it: the kernel may refuse to
      // remove them again.
      const vanished = current === undefined
        ? problem === "missing"
        : current.ifindex !== vif.ifindex;
      this.#feed(
        state,
        { kind: "interface-down", name: vif.name, reason },
        now,
        vanished ? { ifindex: vif.ifindex, vifi: vif.vifi } : undefined,
      );
      this.#refused.clear();
    }
    for (const iface of usable) {
      if (state.byIfindex.get(iface.ifindex)?.name === iface.name) continue;
      const key = interfaceKey(iface);
      if (this.#refused.get(iface.name) === key || this.#failed.get(iface.name) === key) continue;
      this.#refused.delete(iface.name);
      this.#failed.delete(iface.name);
      this.#bringUp(state, iface, now);
    }
  }

  /** Feeds `interface-up`; an interface the core or the kernel does not take is remembered. */
  #bringUp(state: ProxyState, iface: ProxyInterface, now: number): void {
    const { sys, log } = this.#opts;
    const key = interfaceKey(iface);
    const actions = step(state, { kind: "interface-up", iface }, now);
    for (const a of actions) {
      if (a.kind !== "addVif") {
        this.#execute(a);
        continue;
      }
      try {
        sys.addVif(a);
      } catch (err) {
        log.warn(
          `Cannot add VIF ${a.vifi} for "${a.name}": ${messageOf(err)}: trying again on the ` +
            "next change",
        );
        this.#failed.set(iface.name, key);
        // The core counts the VIF as in use: take it back, quietly.
        this.#feed(
          state,
          { kind: "interface-down", name: a.name, reason: "its VIF could not be added" },
          now,
          { ifindex: a.ifindex, vifi: a.vifi, quietLog: true },
        );
        return;
      }
    }
    if (state.byIfindex.get(iface.ifindex)?.name !== iface.name) this.#refused.set(iface.name, key);
  }

  #drain(state: ProxyState): void {
    const { sys, log } = this.#opts;
    for (let i = 0; i < MAX_BATCH; i++) {
      let r;
      try {
        r = sys.receive();
      } catch (err) {
        log.warn(`Cannot receive on the multicast routing socket: ${messageOf(err)}`);
        return;
      }
      if (r === undefined) return;
      const event: ProxyEvent = r.kind === "packet"
        ? { kind: "packet", ifindex: r.ifindex, data: r.data, length: r.length }
        : { kind: "upcall", msgtype: r.msgtype, vif: r.vif, source: r.source, group: r.group };
      this.#feed(state, event, this.#now());
    }
  }

  #feed(state: ProxyState, event: ProxyEvent, now: number, expected?: Expected): void {
    for (const a of step(state, event, now)) this.#execute(a, expected);
  }

  /** Removes MFC entries, memberships and VIFs, then releases the kernel table. Idempotent. */
  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    const { sys, log } = this.#opts;
    if (this.#state !== undefined) {
      for (const a of step(this.#state, { kind: "stop" }, this.#now())) this.#execute(a);
    }
    sys.close();
    log.info("Stopped: forwarding entries, memberships and VIFs removed");
  }

  /** Reads the entries' counters and gives them to the core; an unreadable one is skipped. */
  #sampleMfc(entries: { source: number; group: number }[]): void {
    const state = this.#state;
    if (state === undefined) return;
    const counts = entries.map(({ source, group }) => {
      try {
        return { source, group, packets: this.#opts.sys.sgCount(source, group).packets };
      } catch (err) {
        this.#opts.log.debug(
          `Cannot read the counters of (${formatIPv4(source)}, ${formatIPv4(group)}): ${
            messageOf(err)
          }`,
        );
        return { source, group };
      }
    });
    this.#feed(state, { kind: "mfc-counters", counts }, this.#now());
  }

  #execute(a: Action, expected?: Expected): void {
    const { sys, log } = this.#opts;
    try {
      switch (a.kind) {
        case "log":
          if (expected?.quietLog && a.level === "info") log.debug(a.message);
          else log[a.level](a.message);
          return;
        case "addVif":
          sys.addVif(a);
          return;
        case "delVif":
          sys.delVif(a.vifi);
          return;
        case "addMfc":
          sys.addMfc(a);
          log.debug(
            `Forwarding (${formatIPv4(a.source)}, ${formatIPv4(a.group)}) from VIF ${a.parent} to ${
              a.oifs.map((o) => `VIF ${o.vifi}`).join(", ")
            }`,
          );
          return;
        case "delMfc":
          sys.delMfc(a.source, a.group);
          log.debug(`Removed (${formatIPv4(a.source)}, ${formatIPv4(a.group)})`);
          return;
        case "join":
          sys.joinGroup(a.group, a.ifindex);
          log.debug(`Joined ${formatIPv4(a.group)} on "${a.name}"`);
          return;
        case "leave":
          sys.leaveGroup(a.group, a.ifindex);
          log.debug(`Left ${formatIPv4(a.group)} on "${a.name}"`);
          return;
        case "sendIgmp":
          sys.sendIgmp(a);
          log.debug(`Sent ${a.what} on "${a.name}"`);
          return;
        case "sampleMfc":
          this.#sampleMfc(a.entries);
          return;
      }
    } catch (err) {
      const message = `${describeAction(a)}: ${messageOf(err)}`;
      if (isExpectedFailure(a, expected)) log.debug(`${message} (the interface is gone)`);
      else log.warn(message);
    }
  }
}

/** Whether a failed action concerns an interface known to be gone. */
function isExpectedFailure(a: Action, expected: Expected | undefined): boolean {
  if (expected === undefined) return false;
  switch (a.kind) {
    case "join":
    case "leave":
    case "sendIgmp":
      return a.ifindex === expected.ifindex;
    case "delVif":
      return a.vifi === expected.vifi;
    default:
      return false;
  }
}

function describeAction(a: Action): string {
  switch (a.kind) {
    case "addVif":
      return `Cannot add VIF ${a.vifi} for "${a.name}"`;
    case "delVif":
      return `Cannot delete VIF ${a.vifi} for "${a.name}"`;
    case "addMfc":
      return `Cannot add MFC entry for (${formatIPv4(a.source)}, ${formatIPv4(a.group)})`;
    case "delMfc":
      return `Cannot delete MFC entry for (${formatIPv4(a.source)}, ${formatIPv4(a.group)})`;
    case "join":
      return `Cannot join ${formatIPv4(a.group)} on "${a.name}"`;
    case "leave":
      return `Cannot leave ${formatIPv4(a.group)} on "${a.name}"`;
    case "sendIgmp":
      return `Cannot send ${a.what} on "${a.name}"`;
    case "sampleMfc":
      return "Cannot read forwarding counters";
    case "log":
      return "Cannot log";
  }
}

function messageOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
}
