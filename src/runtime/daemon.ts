/**
 * The imperative shell: resolves the configured interfaces against the system, takes the kernel
 * multicast routing tables, feeds packets, upcalls and timer ticks to the proxy cores (one per
 * protocol family, see `plane.ts`), and executes the actions they return through the OS port.
 *
 * The pieces: `startup.ts` (the interfaces at start, the kernel tables' errors),
 * `interface_watch.ts` (when interfaces are looked at), `reload.ts` (SIGHUP), `status.ts`
 * (what the log says of the daemon), `plane.ts` (one family).
 *
 * @module
 */

import type { Config } from "../../conf/config.ts";
import type { Address } from "../core/family.ts";
import type { ProxyState } from "../core/proxy.ts";
import type { Logger } from "../log.ts";
import { InterfaceWatch } from "./interface_watch.ts";
import {
  type ConfiguredFamilies,
  configuredFamilies,
  configuredSsmRanges,
  IPV4,
  IPV6,
} from "./interfaces.ts";
import type { Monitor } from "./monitor.ts";
import { Plane } from "./plane.ts";
import { reloadRouting, routerCore, routerSettings } from "./router_core.ts";
import { applyReload } from "./reload.ts";
import { explainMrtInit, resolveConfigured, type ResolvedInterfaces } from "./startup.ts";
import { describeMemory, describeRunning, type MemoryUsage } from "./status.ts";
import type { Sys } from "./sys.ts";

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
export { RESCAN_INTERVAL_MS, UNWATCHED_RESCAN_INTERVAL_MS } from "./interface_watch.ts";
export { type ResolvedInterfaces, resolveInterfaces } from "./startup.ts";
export { describeMemory, type MemoryUsage } from "./status.ts";

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
  /** Who watches the events (`mcast-proxyctl monitor`). */
  monitor?: Monitor;
  /**
   * The routing mode's generation ID (DVMRP probes, section 3.2.2); default the time of the
   * start in seconds, as mrouted.
   */
  generationId?: number;
}

/** The longest the loop sleeps without looking at the clock. */
const MAX_WAIT_MS = 60_000;
/** The longest the loop runs without giving the runtime's own I/O (the control socket) a turn. */
const MAX_BUSY_MS = 50;

/** The running daemon. */
export class Daemon {
  readonly #opts: DaemonOptions;
  readonly #now: () => number;
  readonly #watch: InterfaceWatch;
  #ipv4: Plane<number> | undefined;
  #ipv6: Plane<bigint> | undefined;
  #config: Config;
  /** What signal handlers asked for, done by the loop in its next round. */
  #stopping = false;
  #dumpRequested = false;
  #cacheDumpRequested = false;
  #reloadRequested = false;
  #closed = false;

  /** Prepares the daemon; nothing touches the kernel until {@link start}. */
  constructor(opts: DaemonOptions) {
    this.#opts = opts;
    this.#config = opts.config;
    this.#now = opts.now ?? (() => performance.now());
    this.#watch = new InterfaceWatch({ sys: opts.sys, log: opts.log });
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

  /** The families' planes, IPv4 first (none before {@link start}). */
  get planes(): readonly Plane<Address>[] {
    return this.#planes();
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
    this.#createPlanes(configured, resolved);
    for (const plane of this.#planes()) {
      try {
        plane.init();
      } catch (err) {
        sys.close();
        throw explainMrtInit(plane.spec, err, this.#opts.describeTableHolder?.());
      }
    }
    this.#watch.start();
    const t = this.#now();
    try {
      this.#ipv4?.start(resolved.ipv4!, t);
      this.#ipv6?.start(resolved.ipv6!, t);
    } catch (err) {
      this.#shutdown();
      throw err;
    }
    // Look again at once: an interface may have changed before the watch began.
    this.#watch.lookSoon(t);
    log.info(`Started: ${describeRunning(this.#planes())}`);
  }

  /** A plane for each family proxied, over its family's port of the OS layer. */
  #createPlanes(configured: ConfiguredFamilies, resolved: ResolvedInterfaces): void {
    const { sys, log, config } = this.#opts;
    const now = this.#now;
    if (resolved.ipv4 !== undefined) {
      const genid = this.#opts.generationId ?? Math.floor(Date.now() / 1000);
      // What the cache randomizes differs between routers started in the same second.
      const seed = this.#opts.generationId ?? crypto.getRandomValues(new Uint32Array(1))[0];
      this.#ipv4 = new Plane({
        spec: IPV4,
        port: sys.ipv4,
        configured: configured.ipv4!,
        ssmRanges: configuredSsmRanges(IPV4, config),
        log,
        now,
        ...(this.#opts.monitor === undefined ? {} : { monitor: this.#opts.monitor }),
        ...(config.routing === undefined
          ? {}
          : { core: routerCore(routerSettings(config.routing, genid, seed)) }),
      });
    }
    if (resolved.ipv6 !== undefined) {
      this.#ipv6 = new Plane({
        spec: IPV6,
        port: sys.ipv6,
        configured: configured.ipv6!,
        ssmRanges: configuredSsmRanges(IPV6, config),
        log,
        now,
        ...(this.#opts.monitor === undefined ? {} : { monitor: this.#opts.monitor }),
      });
    }
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
   * Asks the loop to log the routing mode's forwarding cache (SIGUSR2); safe from a signal
   * handler. Nothing in the proxy mode.
   */
  requestCacheDump(): void {
    this.#cacheDumpRequested = true;
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
    const planes = { ipv4: this.#ipv4, ipv6: this.#ipv6 };
    if (!applyReload({ config, running: this.#config, sys, log, planes, now: this.#now })) {
      return false;
    }
    this.#config = config;
    const router = this.#ipv4?.core?.router;
    if (router !== undefined && config.routing !== undefined) {
      for (const w of reloadRouting(router, config.routing)) log.warn(w);
    }
    log.info(`Reloaded the configuration: ${describeRunning(this.#planes())}`);
    return true;
  }

  /**
   * Reads the configuration through the option and applies it (SIGHUP, `mcast-proxyctl
   * reload`, which names `cause`); logs why when it cannot. Returns whether it was taken.
   */
  reloadNow(cause = "SIGHUP"): boolean {
    const { readConfig, log } = this.#opts;
    if (readConfig === undefined) {
      log.warn(`${cause}: this daemon cannot read its configuration again: nothing changed`);
      return false;
    }
    log.info(`${cause}: reading the configuration again`);
    const config = readConfig();
    if (config === undefined) {
      log.warn("Reload failed: the running configuration is kept");
      return false;
    }
    const taken = this.reload(config);
    // Timers may be due sooner now: the loop looks at its deadlines again.
    this.#opts.sys.wake();
    return taken;
  }

  /** Turns the cores' debug lines on or off (the logger's own switch is the caller's). */
  setDebug(on: boolean): void {
    for (const p of this.#planes()) p.setDebug(on);
  }

  /** Logs every family's interface table and forwarding cache, and the memory (SIGUSR1). */
  dumpNow(): void {
    const t = this.#now();
    for (const p of this.#planes()) p.dump(t);
    const memory = this.#opts.memoryUsage;
    if (memory !== undefined) this.#opts.log.info(describeMemory(memory()));
  }

  /**
   * Runs until {@link stop}, then removes everything it added to the kernel. Each round: sleep
   * until the earliest deadline (a core's timer or the periodic look at interfaces) or until
   * a socket, a signal or the interface watch wakes the loop; read what is pending; do what
   * signals asked for; take in interface changes; then let due timers fire.
   */
  async run(): Promise<void> {
    const planes = this.#planes();
    if (planes.length === 0) throw new Error("Daemon.run() before start()");
    let awaited = this.#now();
    try {
      while (!this.#stopping) {
        // Await only when there is time to sleep: a round with work due runs at once, the
        // first one (its look at interfaces included) before run() returns. A loop busy for
        // long still lets the control socket's clients in, every MAX_BUSY_MS.
        const wait = this.#timeToSleep(planes);
        if (wait > 0) {
          await this.#opts.sys.wait(wait);
          awaited = this.#now();
        } else if (this.#now() - awaited >= MAX_BUSY_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          awaited = this.#now();
        }
        if (this.#stopping) break;
        for (const p of planes) p.drain();
        this.#serveRequests();
        const now = this.#lookAtInterfaces(planes);
        for (const p of planes) p.tick(now);
      }
    } finally {
      this.#shutdown();
    }
  }

  /** How long to sleep (ms): until the earliest deadline, at most {@link MAX_WAIT_MS}. */
  #timeToSleep(planes: readonly Plane<Address>[]): number {
    const deadline = Math.min(this.#watch.nextLook, ...planes.map((p) => p.nextDeadline()));
    return Math.min(deadline - this.#now(), MAX_WAIT_MS);
  }

  /** Reloads and dumps, as signals asked; each request is served once however often made. */
  #serveRequests(): void {
    if (this.#reloadRequested) {
      this.#reloadRequested = false;
      this.reloadNow();
    }
    if (this.#dumpRequested) {
      this.#dumpRequested = false;
      this.dumpNow();
    }
    if (this.#cacheDumpRequested) {
      this.#cacheDumpRequested = false;
      const t = this.#now();
      for (const p of this.#planes()) p.dumpCache(t);
    }
  }

  /**
   * Looks at the system's interfaces when it announced a change or the periodic look is due;
   * returns the time for the timers that follow.
   */
  #lookAtInterfaces(planes: readonly Plane<Address>[]): number {
    // Always asked: it consumes the announcements.
    const changed = this.#watch.changed();
    const now = this.#now();
    const periodic = this.#watch.nextLook <= now;
    if (!changed && !periodic) return now;
    this.#watch.look(planes, now, periodic);
    return this.#now();
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
