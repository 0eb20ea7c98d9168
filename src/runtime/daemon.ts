/**
 * The imperative shell: resolves the configured interfaces against the system, takes the kernel
 * multicast routing tables, feeds packets, upcalls and timer ticks to the proxy cores (one per
 * protocol family, see `plane.ts`), and executes the actions they return through the OS port.
 *
 * @module
 */

import type { Config } from "../../conf/config.ts";
import type { Address } from "../core/family.ts";
import { MAXVIFS, type ProxyInterface, type ProxyState } from "../core/proxy.ts";
import type { Logger } from "../log.ts";
import {
  type ConfiguredFamilies,
  configuredFamilies,
  type ConfiguredInterface,
  type FamilySpec,
  IPV4,
  IPV6,
  scanInterfaces,
  StartupError,
  WAITING,
} from "./interfaces.ts";
import { messageOf, Plane } from "./plane.ts";
import type { Sys, SystemInterface } from "./sys.ts";

export {
  configuredFamilies,
  type ConfiguredInterface,
  describeChange,
  type InterfaceProblem,
  type InterfaceScan,
  scanInterfaces,
  StartupError,
  type UnusableInterface,
} from "./interfaces.ts";

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
  /**
   * Reads the configuration again (SIGHUP, see {@link Daemon.requestReload}) and logs what is
   * wrong with it; returns `undefined` when it cannot be used, and the running one is kept.
   */
  readConfig?: () => Config | undefined;
  /** The process's memory, for the dump (SIGUSR1); without it the dump says nothing of memory. */
  memoryUsage?: () => MemoryUsage;
}

/** What the process uses of memory, in bytes (the fields of `Deno.memoryUsage()`). */
export interface MemoryUsage {
  /** Resident set size. */
  rss: number;
  /** The JavaScript heap's size. */
  heapTotal: number;
  /** The part of it in use. */
  heapUsed: number;
  /** Memory of JavaScript objects held outside the heap (buffers). */
  external: number;
}

/**
 * The dump's memory line; the resident size is left out when it reads 0 (no /proc in the
 * jail).
 *
 * @example
 * ```ts
 * describeMemory({ rss: 52428800, heapTotal: 20971520, heapUsed: 10485760, external: 1048576 });
 * // "Memory: 50.0 MB resident, JavaScript heap 10.0 MB used of 20.0 MB, 1.0 MB outside it"
 * ```
 */
export function describeMemory(m: MemoryUsage): string {
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  // In the jail there is no /proc to read the resident size from: it reads as 0.
  const resident = m.rss > 0 ? `${mb(m.rss)} resident, ` : "";
  return `Memory: ${resident}JavaScript heap ${mb(m.heapUsed)} used of ` +
    `${mb(m.heapTotal)}, ${mb(m.external)} outside it`;
}

/** The longest the loop sleeps without looking at the clock. */
const MAX_WAIT_MS = 60_000;
/** How often interfaces are looked at again although the system said nothing changed. */
export const RESCAN_INTERVAL_MS = 30_000;
/** The same when the system cannot tell about changes: this look is all there is. */
export const UNWATCHED_RESCAN_INTERVAL_MS = 5_000;

/** The usable interfaces of each proxied family at start. */
export interface ResolvedInterfaces {
  /** IPv4 interfaces, when IPv4 is proxied. */
  ipv4?: ProxyInterface<number>[];
  /** IPv6 interfaces, when IPv6 is proxied. */
  ipv6?: ProxyInterface<bigint>[];
}

/**
 * Matches one family's configured interfaces against the system's and returns the warnings
 * about what is not usable yet: each configured interface (it is used once it is), and a
 * missing upstream or downstream. Throws {@link StartupError} for more usable interfaces than
 * the kernel has VIFs.
 */
function resolveFamily<A extends Address>(
  spec: FamilySpec<A>,
  configured: readonly ConfiguredInterface<A>[],
  system: SystemInterface[],
): { usable: ProxyInterface<A>[]; warnings: string[] } {
  const { usable, unusable } = scanInterfaces(spec, configured, system);
  const warnings = unusable.map((u) => `Interface "${u.name}" ${WAITING[u.problem]}`);
  if (!usable.some((i) => i.role === "upstream")) {
    const up = unusable.find((u) => u.role === "upstream")!;
    warnings.push(
      `No upstream interface yet: nothing is forwarded until "${up.name}" ${
        up.problem === "missing" ? "appears" : "is usable"
      }`,
    );
  }
  if (!usable.some((i) => i.role === "downstream")) {
    const names = unusable.filter((u) => u.role === "downstream").map((u) => `"${u.name}"`);
    warnings.push(
      `No downstream interface yet: nothing is forwarded until ${
        names.length === 1 ? names[0] : `one of ${names.join(", ")}`
      } is usable`,
    );
  }
  if (usable.length > MAXVIFS) {
    throw new StartupError(
      `${spec.logPrefix}${usable.length} interfaces are usable at once, the kernel supports ` +
        `${MAXVIFS} ${spec.family.vifWord}s`,
    );
  }
  return { usable, warnings };
}

/**
 * Turns configured interfaces into each family's interface list for the core, each with its
 * effective protocol timers, sources and boundaries; warns about what the configuration asks
 * for that will not happen, about each configured interface that is not usable yet (it is used
 * once it is), and when a family has no upstream or no downstream yet. A warning the IPv6 side
 * shares with the IPv4 side is given once. Throws {@link StartupError} for a configuration no
 * change of the system can mend, and for more usable interfaces than the kernel has VIFs.
 */
export function resolveInterfaces(
  config: Config,
  system: SystemInterface[],
  log: Logger,
): ResolvedInterfaces {
  return resolveConfigured(configuredFamilies(config), system, log);
}

/** {@link resolveInterfaces} of interfaces already read from the configuration. */
function resolveConfigured(
  configured: ConfiguredFamilies,
  system: SystemInterface[],
  log: Logger,
): ResolvedInterfaces {
  for (const w of configured.warnings) log.warn(w);
  const result: ResolvedInterfaces = {};
  const given = new Set<string>();
  if (configured.ipv4 !== undefined) {
    const { usable, warnings } = resolveFamily(IPV4, configured.ipv4, system);
    for (const w of warnings) {
      log.warn(w);
      given.add(w);
    }
    result.ipv4 = usable;
  }
  if (configured.ipv6 !== undefined) {
    const { usable, warnings } = resolveFamily(IPV6, configured.ipv6, system);
    for (const w of warnings) if (!given.has(w)) log.warn(IPV6.logPrefix + w);
    result.ipv6 = usable;
  }
  return result;
}

function explainMrtInit(spec: FamilySpec<Address>, err: unknown, holder: string | undefined) {
  const code = (err as { code?: string }).code;
  const table = spec.name === "IPv4"
    ? "the kernel multicast routing table"
    : "the kernel IPv6 multicast routing table";
  if (code === "EADDRINUSE") {
    return new StartupError(
      `Cannot take ${table}: another multicast router holds it (` +
        (holder ?? "mrouted, pimd, smcroute, igmpproxy or another mcast-proxy") + ")",
    );
  }
  if (code === "EPERM" || code === "EACCES") {
    return new StartupError(
      `Cannot open the ${spec.name} multicast routing socket: permission denied (run as root, ` +
        "or with CAP_NET_ADMIN and CAP_NET_RAW)",
    );
  }
  if (code === "ENOPROTOOPT" || code === "EAFNOSUPPORT") {
    return new StartupError(
      `Cannot take ${table}: the kernel has no ${spec.name} multicast routing (${
        spec.name === "IPv4" ? "CONFIG_IP_MROUTE" : "CONFIG_IPV6_MROUTE"
      })`,
    );
  }
  return new StartupError(`Cannot take ${table}: ${String(err)}`);
}

/** The running daemon. */
export class Daemon {
  readonly #opts: DaemonOptions;
  readonly #now: () => number;
  #ipv4: Plane<number> | undefined;
  #ipv6: Plane<bigint> | undefined;
  #watching = false;
  #nextRescan = 0;
  #stopping = false;
  #dumpRequested = false;
  #reloadRequested = false;
  #config: Config;
  #closed = false;

  /** Prepares the daemon; nothing touches the kernel until {@link start}. */
  constructor(opts: DaemonOptions) {
    this.#opts = opts;
    this.#config = opts.config;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** The configuration running now: the one given, or the last one reloaded. */
  get config(): Config {
    return this.#config;
  }

  /** The IPv4 core's state, for status displays and tests. */
  get state(): ProxyState | undefined {
    return this.#ipv4?.state;
  }

  /** The IPv6 core's state, when IPv6 is proxied. */
  get state6(): ProxyState<bigint> | undefined {
    return this.#ipv6?.state;
  }

  /** The families' planes, IPv4 first. */
  #planes(): Plane<Address>[] {
    const planes: Plane<Address>[] = [];
    if (this.#ipv4 !== undefined) planes.push(this.#ipv4 as unknown as Plane<Address>);
    if (this.#ipv6 !== undefined) planes.push(this.#ipv6 as unknown as Plane<Address>);
    return planes;
  }

  /**
   * Resolves interfaces, takes the kernel table of each proxied family, starts watching for
   * interface changes and adds the VIFs of the interfaces that are usable; the others are used
   * once they are. Throws {@link StartupError}.
   */
  start(): void {
    const { sys, log, config } = this.#opts;
    const configured = configuredFamilies(config);
    const resolved = resolveConfigured(configured, sys.interfaces(), log);
    const now = this.#now;
    if (resolved.ipv4 !== undefined) {
      this.#ipv4 = new Plane({
        spec: IPV4,
        port: sys.ipv4,
        configured: configured.ipv4!,
        log,
        now,
      });
    }
    if (resolved.ipv6 !== undefined) {
      this.#ipv6 = new Plane({
        spec: IPV6,
        port: sys.ipv6,
        configured: configured.ipv6!,
        log,
        now,
      });
    }
    for (const plane of this.#planes()) {
      try {
        plane.init();
      } catch (err) {
        sys.close();
        throw explainMrtInit(plane.spec, err, this.#opts.describeTableHolder?.());
      }
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
    const t = this.#now();
    try {
      this.#ipv4?.start(resolved.ipv4!, t);
      this.#ipv6?.start(resolved.ipv6!, t);
    } catch (err) {
      this.#shutdown();
      throw err;
    }
    // Look again at once: an interface may have changed before the watch began.
    this.#nextRescan = t;
    log.info(`Started: ${this.#describeRunning()}`);
  }

  /** What each family runs on, for the log: `upstream "up0", 2 downstream; IPv6: …`. */
  #describeRunning(): string {
    const parts = this.#planes().map((plane) => {
      const state = plane.state!;
      const up = state.upstream;
      const waiting = plane.configured.filter((c) =>
        ![...state.vifs.values()].some((v) => v.name === c.name)
      );
      return `${plane.spec.logPrefix}${
        up === undefined ? "no upstream yet" : `upstream "${up.name}"`
      }, ${[...state.vifs.values()].filter((v) => v.role === "downstream").length} downstream${
        waiting.length === 0 ? "" : `, waiting for ${waiting.map((c) => `"${c.name}"`).join(", ")}`
      }`;
    });
    return parts.join("; ");
  }

  /** Asks the loop to stop; safe from a signal handler. */
  stop(): void {
    this.#stopping = true;
    this.#opts.sys.wake();
  }

  /**
   * Asks the loop to log every family's interface table and forwarding cache (SIGUSR1), once
   * it has read what is pending; safe from a signal handler.
   */
  requestDump(): void {
    this.#dumpRequested = true;
    this.#opts.sys.wake();
  }

  /**
   * Asks the loop to read the configuration again (SIGHUP) through
   * {@link DaemonOptions.readConfig} and apply what changed; safe from a signal handler.
   */
  requestReload(): void {
    this.#reloadRequested = true;
    this.#opts.sys.wake();
  }

  /**
   * Applies a new configuration to the running daemon: interfaces no longer configured (or with
   * another role) go down, new ones come up, changed settings apply in place; streams whose
   * forwarding does not change are not touched. A configuration the daemon could not start
   * with is refused, with the reason, and the running one is kept; so is a family not proxied
   * at start (its sockets need root). Returns whether the configuration was taken.
   */
  reload(config: Config): boolean {
    const { sys, log } = this.#opts;
    let configured: ConfiguredFamilies;
    try {
      configured = configuredFamilies(config);
    } catch (err) {
      if (!(err instanceof StartupError)) throw err;
      log.warn(`Reload refused: ${err.message}: the running configuration is kept`);
      return false;
    }
    let system: SystemInterface[];
    try {
      system = sys.interfaces();
    } catch (err) {
      log.warn(
        `Reload refused: cannot list interfaces: ${messageOf(err)}: the running configuration ` +
          "is kept",
      );
      return false;
    }
    for (const w of configured.warnings) log.warn(w);
    const old = this.#config;
    if ((config.user ?? "") !== (old.user ?? "") || (config.chroot ?? "") !== (old.chroot ?? "")) {
      log.warn("A new user or chroot takes effect at the next start only");
    }
    const now = this.#now();
    const families: [FamilySpec<Address>, Plane<Address> | undefined, unknown[] | undefined][] = [
      [IPV4 as FamilySpec<Address>, this.#ipv4 as Plane<Address> | undefined, configured.ipv4],
      [IPV6 as FamilySpec<Address>, this.#ipv6 as Plane<Address> | undefined, configured.ipv6],
    ];
    const given = new Set<string>();
    for (const [spec, plane, list] of families) {
      if (plane === undefined) {
        if (list !== undefined) {
          log.warn(
            `${spec.name} was not proxied at start: restart the daemon to proxy it (its ` +
              "sockets are opened as root, before the jail)",
          );
        }
        continue;
      }
      const warnings = plane.reconfigure(
        (list ?? []) as ConfiguredInterface<Address>[],
        system,
        now,
      );
      for (const w of warnings) {
        if (given.has(w)) continue;
        given.add(w);
        log.warn(spec.logPrefix + w);
      }
    }
    this.#config = config;
    log.info(`Reloaded the configuration: ${this.#describeRunning()}`);
    return true;
  }

  /** Reads the configuration through the option and applies it; logs why when it cannot. */
  #reload(): void {
    const { readConfig, log } = this.#opts;
    if (readConfig === undefined) {
      log.warn("SIGHUP: this daemon cannot read its configuration again: nothing changed");
      return;
    }
    log.info("SIGHUP: reading the configuration again");
    const config = readConfig();
    if (config === undefined) {
      log.warn("Reload failed: the running configuration is kept");
      return;
    }
    this.reload(config);
  }

  /** Runs until {@link stop}, then removes everything it added to the kernel. */
  async run(): Promise<void> {
    const planes = this.#planes();
    if (planes.length === 0) throw new Error("Daemon.run() before start()");
    const { sys } = this.#opts;
    try {
      while (!this.#stopping) {
        const deadline = Math.min(this.#nextRescan, ...planes.map((p) => p.nextDeadline()));
        const wait = deadline - this.#now();
        if (wait > 0) await sys.wait(Math.min(wait, MAX_WAIT_MS));
        if (this.#stopping) break;
        for (const p of planes) p.drain();
        if (this.#reloadRequested) {
          this.#reloadRequested = false;
          this.#reload();
        }
        if (this.#dumpRequested) {
          this.#dumpRequested = false;
          const t = this.#now();
          for (const p of planes) p.dump(t);
          const memory = this.#opts.memoryUsage;
          if (memory !== undefined) this.#opts.log.info(describeMemory(memory()));
        }
        const changed = this.#interfacesChanged();
        let now = this.#now();
        const periodic = this.#nextRescan <= now;
        if (changed || periodic) {
          this.#rescan(planes, now, periodic);
          now = this.#now();
        }
        for (const p of planes) p.tick(now);
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

  /** Looks at the system's interfaces once and lets each family take in what changed. */
  #rescan(planes: Plane<Address>[], now: number, periodic: boolean): void {
    const { sys, log } = this.#opts;
    this.#nextRescan = now +
      (this.#watching ? RESCAN_INTERVAL_MS : UNWATCHED_RESCAN_INTERVAL_MS);
    let system: SystemInterface[];
    try {
      system = sys.interfaces();
    } catch (err) {
      log.warn(`Cannot list interfaces: ${messageOf(err)}`);
      return;
    }
    for (const p of planes) p.rescan(system, now, periodic);
  }

  /** Removes MFC entries, memberships and VIFs, then releases the kernel tables. Idempotent. */
  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    const { sys, log } = this.#opts;
    for (const p of this.#planes()) p.stop(this.#now());
    sys.close();
    log.info("Stopped: forwarding entries, memberships and VIFs removed");
  }
}
