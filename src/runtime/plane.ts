/**
 * One protocol family of the running daemon: its proxy core, its configured interfaces and the
 * port of the OS layer it drives (`sys.ipv4` or `sys.ipv6`). The daemon runs one plane for IPv4 (IGMP) and, when asked,
 * one for IPv6 (MLD), on the same loop; everything here is the same code for both.
 *
 * A plane turns what happens into core events (packets and upcalls read from its socket,
 * deadlines, interface changes, reloads) and executes the actions the core returns (see
 * `action_executor.ts`).
 *
 * @module
 */

import type { Action } from "../core/actions.ts";
import { describeDump, type DumpCounters } from "../core/dump.ts";
import type { Address, Subnet } from "../core/family.ts";
import {
  createProxy,
  nextDeadline,
  type ProxyEvent,
  type ProxyInterface,
  type ProxyOptions,
  type ProxyState,
  setDebugLogging,
  step,
} from "../core/proxy.ts";
import type { RouterState } from "../dvmrp/router.ts";
import { describeRouteTable, describeVifTable } from "../dvmrp/route_dump.ts";
import { describeCacheTable } from "../dvmrp/cache_dump.ts";
import { errnoOrMessageOf, type Logger } from "../log.ts";
import { executeAction, type ExecutorContext, type GoneInterface } from "./action_executor.ts";
import {
  currentInterfaces,
  droppedInterfaces,
  type InterfaceDown,
  interfaceKey,
  lostInterfaces,
  waitingWarnings,
} from "./interface_changes.ts";
import {
  type ConfiguredInterface,
  type FamilySpec,
  scanInterfaces,
  StartupError,
} from "./interfaces.ts";
import { readDumpCounters } from "./kernel_counters.ts";
import type { Monitor } from "./monitor.ts";
import type { FamilyPort } from "./sys.ts";
import type { SystemInterface } from "./sys.ts";

/** How many messages are read per loop round before timers get their turn. */
const MAX_BATCH = 512;
/** How many messages of a batch share one reading of the clock. */
const CLOCK_EVERY = 16;

/**
 * The protocol engine a plane runs, over one state: the proxy core, or the routing mode's core
 * (`src/dvmrp/router.ts`), which runs the proxy core for its LANs' memberships.
 */
export interface Core<A extends Address> {
  /** The proxy core's state: interfaces, memberships, queriers (what the views show). */
  readonly proxy: ProxyState<A>;
  /** The routing mode's state, when this is its core. */
  readonly router?: RouterState;
  /** Runs one event; returns the actions to execute, in order. */
  step(event: ProxyEvent<A>, now: number): Action<A>[];
  /** The earliest deadline (ms). */
  nextDeadline(): number;
}

/** Makes a plane's core over its interfaces at start. */
export type CoreFactory<A extends Address> = (options: ProxyOptions<A>) => Core<A>;

/** The proxy core as a plane's {@link Core}: the default. */
export function proxyCore<A extends Address>(options: ProxyOptions<A>): Core<A> {
  const state = createProxy(options);
  return {
    proxy: state,
    step: (event, now) => step(state, event, now),
    nextDeadline: () => nextDeadline(state),
  };
}

/** Options of {@link Plane}. */
export interface PlaneOptions<A extends Address> {
  /** The family. */
  spec: FamilySpec<A>;
  /** Its family's port of the OS layer. */
  port: FamilyPort<A>;
  /** Its configured interfaces (a reload replaces them, see {@link Plane.reconfigure}). */
  configured: ConfiguredInterface<A>[];
  /**
   * The SSM ranges the core holds to INCLUDE state; `undefined`: the family's default. Fixed
   * at start: a reload does not change them.
   */
  ssmRanges?: Subnet<A>[];
  /** Where logs go (the plane puts the family's prefix before each line). */
  log: Logger;
  /** Monotonic clock in ms. */
  now: () => number;
  /** Who watches the events (`mcast-proxyctl monitor`), if anyone may. */
  monitor?: Monitor;
  /** The engine (default {@link proxyCore}). */
  core?: CoreFactory<A>;
}

/** One family's core and the execution of its actions. */
export class Plane<A extends Address> {
  readonly #opts: PlaneOptions<A>;
  readonly #executor: ExecutorContext<A>;
  #configured: ConfiguredInterface<A>[];
  #state: ProxyState<A> | undefined;
  #core: Core<A> | undefined;
  /**
   * Interfaces held back, by name, with their {@link interfaceKey} at the time: not brought up
   * again until they change. `#refused`: the core did not take them (no VIF free), until a VIF
   * is freed. `#failed`: the kernel refused their VIF, until the next periodic look.
   */
  readonly #refused = new Map<string, string>();
  readonly #failed = new Map<string, string>();
  #stopped = false;

  /** Prepares the plane; nothing touches the kernel until {@link start}. */
  constructor(opts: PlaneOptions<A>) {
    this.#opts = opts;
    this.#configured = opts.configured;
    this.#executor = {
      port: opts.port,
      family: opts.spec.family,
      log: (level, message) => this.log(level, message),
      feedBack: (event) => this.#feed(event, opts.now()),
    };
  }

  /** The family. */
  get spec(): FamilySpec<A> {
    return this.#opts.spec;
  }

  /** The configured interfaces. */
  get configured(): readonly ConfiguredInterface<A>[] {
    return this.#configured;
  }

  /** The core's state once started. */
  get state(): ProxyState<A> | undefined {
    return this.#state;
  }

  /** The engine once started (the routing mode's state is there). */
  get core(): Core<A> | undefined {
    return this.#core;
  }

  /** The earliest deadline of the core (ms), `Infinity` before start. */
  nextDeadline(): number {
    return this.#core === undefined ? Infinity : this.#core.nextDeadline();
  }

  /** Logs one line with the family's prefix. */
  log(level: "warn" | "info" | "debug", message: string): void {
    this.#opts.log[level](this.#opts.spec.logPrefix + message);
  }

  /** Takes the family's kernel table (MRT_INIT, MRT6_INIT). Throws what the port throws. */
  init(): void {
    this.#opts.port.init();
  }

  /**
   * Creates the core over the usable interfaces and adds their VIFs: a VIF the kernel refuses
   * now is a {@link StartupError}. The kernel table must be held already.
   */
  start(interfaces: ProxyInterface<A>[], now: number): void {
    const { spec, log, ssmRanges } = this.#opts;
    const core = (this.#opts.core ?? proxyCore)({
      interfaces,
      family: spec.family,
      debug: log.debugEnabled,
      ...(ssmRanges === undefined ? {} : { ssmRanges }),
    });
    this.#core = core;
    this.#state = core.proxy;
    for (const a of core.step({ kind: "start" }, now)) {
      if (a.kind !== "addVif") {
        this.#execute(a);
        continue;
      }
      try {
        this.#opts.port.addVif(a);
      } catch (err) {
        throw new StartupError(
          `${spec.logPrefix}Cannot add ${spec.family.vifWord} ${a.vifi} for "${a.name}": ` +
            errnoOrMessageOf(err),
        );
      }
    }
  }

  /** Feeds a tick when a deadline is due. */
  tick(now: number): void {
    if (this.#core !== undefined && this.#core.nextDeadline() <= now) {
      this.#feed({ kind: "tick" }, now);
    }
  }

  /** Reads what is pending on the family's socket (at most one batch) and feeds it. */
  drain(): void {
    if (this.#state === undefined) return;
    let now = 0;
    for (let i = 0; i < MAX_BATCH; i++) {
      let event: ProxyEvent<A> | undefined;
      try {
        event = this.#opts.port.receive();
      } catch (err) {
        this.log(
          "warn",
          `Cannot receive on the multicast routing socket: ${errnoOrMessageOf(err)}`,
        );
        return;
      }
      if (event === undefined) return;
      // The clock is read for every few messages: a burst is timed within a few ms.
      if (i % CLOCK_EVERY === 0) now = this.#opts.now();
      this.#feed(event, now);
    }
  }

  /**
   * Tells the core what changed in `system`: interfaces in use that are gone, unusable or
   * different go down first (freeing their VIFs), then the configured ones that became usable
   * come up. `periodic` looks also retry interfaces whose VIF could not be added.
   */
  rescan(system: readonly SystemInterface[], now: number, periodic: boolean): void {
    const state = this.#state;
    if (state === undefined) return;
    if (periodic) this.#failed.clear();
    const scan = scanInterfaces(this.#opts.spec, this.#configured, system);
    for (const down of lostInterfaces(this.#opts.spec.family, state.vifs.values(), scan)) {
      this.#takeDown(down, now);
      // A VIF is free now: an interface the core refused for want of one may have it.
      this.#refused.clear();
    }
    for (const iface of scan.usable) {
      if (state.byIfindex.get(iface.ifindex)?.name === iface.name) continue;
      const key = interfaceKey(iface);
      if (this.#refused.get(iface.name) === key || this.#failed.get(iface.name) === key) continue;
      this.#refused.delete(iface.name);
      this.#failed.delete(iface.name);
      this.#bringUp(state, iface, now);
    }
  }

  /**
   * Takes the interfaces of a reloaded configuration, as seen in `system`: an interface in use
   * that is no longer configured, or now has another role, goes down; one whose settings
   * changed keeps its VIF, memberships and valid entries (the core's `reconfigure`); then the
   * newly configured ones that are usable come up, as on any change of the system. Returns the
   * warnings about newly configured interfaces that are not usable yet (they are used once
   * they are).
   */
  reconfigure(
    configured: ConfiguredInterface<A>[],
    system: readonly SystemInterface[],
    now: number,
  ): string[] {
    const before = new Set(this.#configured.map((c) => c.name));
    this.#configured = configured;
    const state = this.#state;
    if (state === undefined || this.#stopped) return [];
    const scan = scanInterfaces(this.#opts.spec, configured, system);
    const current = currentInterfaces(scan);
    const inUse = [...state.vifs.values()];
    // Downs first, so that an upstream that moves to another interface is free to.
    for (const down of droppedInterfaces(inUse, configured)) this.#takeDown(down, now);
    for (const vif of inUse) {
      const iface = current.get(vif.name);
      // Skip the VIFs just taken down (their number may even have gone to another interface).
      if (state.vifs.get(vif.vifi) !== vif || iface === undefined) continue;
      this.#feed({ kind: "reconfigure", iface }, now);
    }
    this.#refused.clear();
    this.#failed.clear();
    this.rescan(system, now, false);
    return waitingWarnings(scan.unusable, before);
  }

  /**
   * Logs the family's interface table and forwarding cache (see `core/dump.ts`) at info level,
   * one log line per line, with the family's prefix. The counters are read from the kernel now;
   * one that cannot be read prints as `-` (and the failure is a debug line). Never throws.
   */
  dump(now: number): void {
    const state = this.#state;
    if (state === undefined || this.#stopped) return;
    const router = this.#core?.router;
    if (router !== undefined) {
      const packets = (vifi: number) => {
        try {
          const c = this.#opts.port.vifCount(vifi);
          return { in: c.packetsIn, out: c.packetsOut };
        } catch {
          return undefined;
        }
      };
      const lines = [...describeVifTable(router, packets), ...describeRouteTable(router, now)];
      for (const line of lines) this.log("info", line);
      return;
    }
    const counters = readDumpCounters(this.#executor, state);
    for (const line of describeDump(state, counters, now)) this.log("info", line);
  }

  /** Logs the routing mode's forwarding cache in mrouted's layout (SIGUSR2). Never throws. */
  dumpCache(now: number): void {
    const router = this.#core?.router;
    if (router === undefined || this.#stopped) return;
    for (const line of describeCacheTable(router.cache, now)) this.log("info", line);
  }

  /**
   * The kernel's counters of every VIF and installed entry, for the control socket's views;
   * `undefined` before the start or after the stop. Never throws.
   */
  readCounters(): DumpCounters<A> | undefined {
    const state = this.#state;
    if (state === undefined || this.#stopped) return undefined;
    return readDumpCounters(this.#executor, state);
  }

  /** Turns the core's debug lines on or off (`mcast-proxyctl log`). */
  setDebug(on: boolean): void {
    if (this.#state !== undefined) setDebugLogging(this.#state, on);
  }

  /** Removes the family's MFC entries, memberships and VIFs. Idempotent. */
  stop(now: number): void {
    if (this.#stopped || this.#state === undefined) return;
    this.#stopped = true;
    this.#feed({ kind: "stop" }, now);
  }

  /** Feeds `interface-up`; an interface the core or the kernel does not take is held back. */
  #bringUp(state: ProxyState<A>, iface: ProxyInterface<A>, now: number): void {
    const key = interfaceKey(iface);
    for (const a of this.#core!.step({ kind: "interface-up", iface }, now)) {
      if (a.kind !== "addVif") {
        this.#execute(a);
        continue;
      }
      try {
        this.#opts.port.addVif(a);
        this.#observe(a);
      } catch (err) {
        this.log(
          "warn",
          `Cannot add ${this.#opts.spec.family.vifWord} ${a.vifi} for "${a.name}": ` +
            `${errnoOrMessageOf(err)}: trying again on the next change`,
        );
        this.#failed.set(iface.name, key);
        // The core counts the VIF as in use: take it back, quietly. The actions after the
        // addVif (memberships, the first query) are not executed: the interface is not in use.
        this.#feed(
          { kind: "interface-down", name: a.name, reason: "its VIF could not be added" },
          now,
          { ifindex: a.ifindex, vifi: a.vifi, quietLog: true },
        );
        return;
      }
    }
    if (state.byIfindex.get(iface.ifindex)?.name !== iface.name) this.#refused.set(iface.name, key);
  }

  /** Feeds `interface-down` for an interface in use. */
  #takeDown(down: InterfaceDown, now: number): void {
    this.#feed({ kind: "interface-down", name: down.name, reason: down.reason }, now, down.gone);
  }

  /**
   * Advances the core by one event and executes the actions it returns, in order; while
   * someone watches, the core's notices of the step (what it decided) go to the monitor
   * first, then the actions (what was done about it) as they are executed.
   */
  #feed(event: ProxyEvent<A>, now: number, gone?: GoneInterface): void {
    const state = this.#state;
    if (state === undefined) return;
    const monitor = this.#opts.monitor;
    if (monitor?.watched) state.notices ??= [];
    else if (state.notices !== undefined) state.notices = undefined;
    const actions = this.#core!.step(event, now);
    const notices = state.notices;
    if (notices !== undefined && notices.length > 0) {
      state.notices = [];
      for (const n of notices) monitor!.notice(state, n);
    }
    for (const a of actions) this.#execute(a, gone);
  }

  /** Executes one action (see `action_executor.ts`), and tells the monitor; never throws. */
  #execute(a: Action<A>, gone?: GoneInterface): void {
    if (executeAction(this.#executor, a, gone)) this.#observe(a);
  }

  /** Tells the monitor of an action done (a VIF, an entry, an upstream membership). */
  #observe(a: Action<A>): void {
    const monitor = this.#opts.monitor;
    if (monitor?.watched && this.#state !== undefined) monitor.action(this.#state, a);
  }
}
