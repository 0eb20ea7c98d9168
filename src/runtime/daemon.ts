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
  nextDeadline,
  type ProxyEvent,
  type ProxyInterface,
  type ProxyState,
  step,
} from "../core/proxy.ts";
import type { Subnet } from "../core/subnet.ts";
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

/**
 * Turns configured interfaces into the core's interface list, each with its effective protocol
 * timers and its IPv4 boundaries; warns about unusable interfaces, and once when IPv6 is asked
 * for (only IPv4 is proxied yet).
 */
export function resolveInterfaces(
  config: Config,
  system: SystemInterface[],
  log: Logger,
): ProxyInterface[] {
  if (config.ipv6 || config.interfaces.some((ic) => interfaceIpv6(config, ic))) {
    log.warn("IPv6 is not supported yet: only IPv4 is proxied");
  }
  const byName = new Map(system.map((i) => [i.name, i]));
  const result: ProxyInterface[] = [];
  for (const ic of config.interfaces) {
    if (ic.role === "disabled" || !interfaceIpv4(config, ic)) continue;
    const sysIf = byName.get(ic.name);
    const problem = sysIf === undefined
      ? "does not exist"
      : !sysIf.up
      ? "is down"
      : !sysIf.multicast
      ? "is not multicast capable"
      : sysIf.ipv4.length === 0
      ? "has no IPv4 address"
      : undefined;
    if (problem !== undefined || sysIf === undefined) {
      if (ic.role === "upstream") {
        throw new StartupError(`Upstream interface "${ic.name}" ${problem}`);
      }
      log.warn(`Interface "${ic.name}" ${problem}: not used`);
      continue;
    }
    result.push({
      name: ic.name,
      ifindex: sysIf.index,
      role: ic.role,
      address: sysIf.ipv4[0].address,
      subnets: sysIf.ipv4.map((a) => ({ address: a.address, prefixLength: a.prefixLength })),
      sources: toSubnets(ic, "sources"),
      threshold: ic.threshold,
      timers: effectiveTimers(config, ic),
      boundaries: toSubnets(ic, "boundaries"),
    });
  }
  if (!result.some((i) => i.role === "downstream")) {
    throw new StartupError("No usable downstream interface: nothing to proxy to");
  }
  if (!result.some((i) => i.role === "upstream")) {
    // Only when the upstream has IPv4 off: a missing or unusable one is reported above.
    throw new StartupError("The upstream interface has IPv4 off: nothing to proxy from");
  }
  if (result.length > 32) {
    throw new StartupError(`${result.length} interfaces configured, the kernel supports 32 VIFs`);
  }
  return result;
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

/** The running daemon. */
export class Daemon {
  readonly #opts: DaemonOptions;
  readonly #now: () => number;
  #state: ProxyState | undefined;
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

  /** Resolves interfaces, takes the kernel table and adds the VIFs. Throws {@link StartupError}. */
  start(): void {
    const { sys, log } = this.#opts;
    const interfaces = resolveInterfaces(this.#opts.config, sys.interfaces(), log);
    try {
      sys.mrtInit();
    } catch (err) {
      sys.close();
      throw explainMrtInit(err, this.#opts.describeTableHolder?.());
    }
    this.#state = createProxy({ interfaces, debug: log.debugEnabled });
    const actions = step(this.#state, { kind: "start" }, this.#now());
    try {
      for (const a of actions) {
        if (a.kind === "addVif") this.#addVifOrThrow(a);
        else this.#execute(a);
      }
    } catch (err) {
      this.#shutdown();
      throw err;
    }
    log.info(
      `Started: upstream "${this.#state.upstream.name}", ${interfaces.length - 1} downstream`,
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
        const wait = nextDeadline(state) - this.#now();
        if (wait > 0) await sys.wait(Math.min(wait, MAX_WAIT_MS));
        if (this.#stopping) break;
        this.#drain(state);
        const now = this.#now();
        if (nextDeadline(state) <= now) this.#feed(state, { kind: "tick" }, now);
      }
    } finally {
      this.#shutdown();
    }
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

  #feed(state: ProxyState, event: ProxyEvent, now: number): void {
    for (const a of step(state, event, now)) this.#execute(a);
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

  #execute(a: Action): void {
    const { sys, log } = this.#opts;
    try {
      switch (a.kind) {
        case "log":
          log[a.level](a.message);
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
      }
    } catch (err) {
      log.warn(`${describeAction(a)}: ${messageOf(err)}`);
    }
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
    case "log":
      return "Cannot log";
  }
}

function messageOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
}
