/**
 * One protocol family of the running daemon: its proxy core, its configured interfaces and the
 * half of the OS port it drives. The daemon runs one plane for IPv4 (IGMP) and, when asked,
 * one for IPv6 (MLD), on the same loop; everything here is the same code for both.
 *
 * @module
 */

import type { Action } from "../core/actions.ts";
import {
  describeDump,
  type EntryCounters,
  installedEntries,
  type VifCounters,
} from "../core/dump.ts";
import type { Address, Family } from "../core/family.ts";
import {
  createProxy,
  nextDeadline,
  type ProxyEvent,
  type ProxyInterface,
  type ProxyState,
  step,
} from "../core/proxy.ts";
import type { Logger } from "../log.ts";
import {
  type ConfiguredInterface,
  describeChange,
  type FamilySpec,
  LOST,
  scanInterfaces,
  StartupError,
  WAITING,
} from "./interfaces.ts";
import type { FamilyPort, SystemInterface } from "./sys.ts";

/** How many messages are read per loop round before timers get their turn. */
const MAX_BATCH = 512;

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
function interfaceKey<A extends Address>(i: ProxyInterface<A>): string {
  return `${i.ifindex} ${i.subnets.map((s) => `${s.address}/${s.prefixLength}`).join(" ")}`;
}

/** Options of {@link Plane}. */
export interface PlaneOptions<A extends Address> {
  /** The family. */
  spec: FamilySpec<A>;
  /** Its half of the OS port. */
  port: FamilyPort<A>;
  /** Its configured interfaces (a reload replaces them, see {@link Plane.reconfigure}). */
  configured: ConfiguredInterface<A>[];
  /** Where logs go (the plane puts the family's prefix before each line). */
  log: Logger;
  /** Monotonic clock in ms. */
  now: () => number;
}

/** One family's core and the execution of its actions. */
export class Plane<A extends Address> {
  readonly #opts: PlaneOptions<A>;
  #configured: ConfiguredInterface<A>[];
  #state: ProxyState<A> | undefined;
  /** Interfaces the core did not take (no VIF free), until a VIF is freed or they change. */
  readonly #refused = new Map<string, string>();
  /** Interfaces whose VIF could not be added, until the next periodic look or they change. */
  readonly #failed = new Map<string, string>();
  #stopped = false;

  /** Prepares the plane; nothing touches the kernel until {@link start}. */
  constructor(opts: PlaneOptions<A>) {
    this.#opts = opts;
    this.#configured = opts.configured;
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

  /** The earliest deadline of the core (ms), `Infinity` before start. */
  nextDeadline(): number {
    return this.#state === undefined ? Infinity : nextDeadline(this.#state);
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
    const state = createProxy<A>({
      interfaces,
      family: this.#opts.spec.family,
      debug: this.#opts.log.debugEnabled,
    });
    this.#state = state;
    for (const a of step(state, { kind: "start" }, now)) {
      if (a.kind !== "addVif") {
        this.#execute(a);
        continue;
      }
      try {
        this.#opts.port.addVif(a);
      } catch (err) {
        throw new StartupError(
          `${this.#opts.spec.logPrefix}Cannot add ${this.#opts.spec.family.vifWord} ${a.vifi} ` +
            `for "${a.name}": ${messageOf(err)}`,
        );
      }
    }
  }

  /** Feeds a tick when a deadline is due. */
  tick(now: number): void {
    if (this.#state !== undefined && nextDeadline(this.#state) <= now) {
      this.#feed({ kind: "tick" }, now);
    }
  }

  /** Reads what is pending on the family's socket (at most one batch) and feeds it. */
  drain(): void {
    if (this.#state === undefined) return;
    for (let i = 0; i < MAX_BATCH; i++) {
      let event: ProxyEvent<A> | undefined;
      try {
        event = this.#opts.port.receive();
      } catch (err) {
        this.log("warn", `Cannot receive on the multicast routing socket: ${messageOf(err)}`);
        return;
      }
      if (event === undefined) return;
      this.#feed(event, this.#opts.now());
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
    const { spec } = this.#opts;
    if (periodic) this.#failed.clear();
    const { usable, unusable } = scanInterfaces(spec, this.#configured, system);
    const usableByName = new Map(usable.map((i) => [i.name, i]));
    const problems = new Map(unusable.map((u) => [u.name, u.problem]));
    // An interface in use that only lost its carrier stays in use, if unchanged.
    for (const u of unusable) if (u.iface !== undefined) usableByName.set(u.name, u.iface);
    for (const vif of [...state.vifs.values()]) {
      const current = usableByName.get(vif.name);
      const problem = problems.get(vif.name) ?? "missing";
      const reason = current === undefined
        ? LOST[problem]
        : describeChange(spec.family, vif, current);
      if (reason === undefined) continue;
      // A vanished interface took its VIF and memberships with it: the kernel may refuse to
      // remove them again.
      const vanished = current === undefined
        ? problem === "missing"
        : current.ifindex !== vif.ifindex;
      this.#feed(
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
    const { spec } = this.#opts;
    const { usable, unusable } = scanInterfaces(spec, configured, system);
    const byName = new Map(usable.map((i) => [i.name, i]));
    for (const u of unusable) if (u.iface !== undefined) byName.set(u.name, u.iface);
    const roles = new Map(configured.map((c) => [c.name, c.role]));
    const vifs = [...state.vifs.values()];
    // Downs first, so that an upstream that moves to another interface is free to.
    for (const vif of vifs) {
      const role = roles.get(vif.name);
      if (role !== undefined && role === vif.role) continue;
      this.#feed({
        kind: "interface-down",
        name: vif.name,
        reason: role === undefined
          ? "it is no longer in the configuration"
          : `it is ${role} in the new configuration`,
      }, now);
    }
    for (const vif of vifs) {
      const iface = byName.get(vif.name);
      if (state.vifs.get(vif.vifi) !== vif || iface === undefined) continue;
      this.#feed({ kind: "reconfigure", iface }, now);
    }
    this.#refused.clear();
    this.#failed.clear();
    this.rescan(system, now, false);
    return unusable.filter((u) => !before.has(u.name)).map((u) =>
      `Interface "${u.name}" ${WAITING[u.problem]}`
    );
  }

  /** Feeds `interface-up`; an interface the core or the kernel does not take is remembered. */
  #bringUp(state: ProxyState<A>, iface: ProxyInterface<A>, now: number): void {
    const key = interfaceKey(iface);
    const actions = step(state, { kind: "interface-up", iface }, now);
    for (const a of actions) {
      if (a.kind !== "addVif") {
        this.#execute(a);
        continue;
      }
      try {
        this.#opts.port.addVif(a);
      } catch (err) {
        this.log(
          "warn",
          `Cannot add ${this.#opts.spec.family.vifWord} ${a.vifi} for "${a.name}": ` +
            `${messageOf(err)}: trying again on the next change`,
        );
        this.#failed.set(iface.name, key);
        // The core counts the VIF as in use: take it back, quietly.
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

  /**
   * Logs the family's interface table and forwarding cache (see `core/dump.ts`) at info level,
   * one log line per line, with the family's prefix. The counters are read from the kernel now;
   * one that cannot be read prints as `-` (and the failure is a debug line). Never throws.
   */
  dump(now: number): void {
    const state = this.#state;
    if (state === undefined || this.#stopped) return;
    const { port, spec } = this.#opts;
    const { format, vifWord } = spec.family;
    const vifs = new Map<number, VifCounters>();
    for (const vifi of state.vifs.keys()) {
      try {
        vifs.set(vifi, port.vifCount(vifi));
      } catch (err) {
        this.log("debug", `Cannot read the counters of ${vifWord} ${vifi}: ${messageOf(err)}`);
      }
    }
    const entries = new Map<A, Map<A, EntryCounters>>();
    for (const { source, group } of installedEntries(state)) {
      try {
        const { packets, bytes } = port.sgCount(source, group);
        let bySource = entries.get(group);
        if (bySource === undefined) entries.set(group, bySource = new Map());
        bySource.set(source, { packets, bytes });
      } catch (err) {
        this.log(
          "debug",
          `Cannot read the counters of (${format(source)}, ${format(group)}): ${messageOf(err)}`,
        );
      }
    }
    for (const line of describeDump(state, { vifs, entries }, now)) this.log("info", line);
  }

  /** Removes the family's MFC entries, memberships and VIFs. Idempotent. */
  stop(now: number): void {
    if (this.#stopped || this.#state === undefined) return;
    this.#stopped = true;
    this.#feed({ kind: "stop" }, now);
  }

  #feed(event: ProxyEvent<A>, now: number, expected?: Expected): void {
    const state = this.#state;
    if (state === undefined) return;
    for (const a of step(state, event, now)) this.#execute(a, expected);
  }

  /** Reads the entries' counters and gives them to the core; an unreadable one is skipped. */
  #sampleMfc(entries: { source: A; group: A }[]): void {
    const { format } = this.#opts.spec.family;
    const counts = entries.map(({ source, group }) => {
      try {
        return { source, group, packets: this.#opts.port.sgCount(source, group).packets };
      } catch (err) {
        this.log(
          "debug",
          `Cannot read the counters of (${format(source)}, ${format(group)}): ${messageOf(err)}`,
        );
        return { source, group };
      }
    });
    this.#feed({ kind: "mfc-counters", counts }, this.#opts.now());
  }

  #execute(a: Action<A>, expected?: Expected): void {
    const { port } = this.#opts;
    const { format, vifWord } = this.#opts.spec.family;
    try {
      switch (a.kind) {
        case "log":
          this.log(expected?.quietLog && a.level === "info" ? "debug" : a.level, a.message);
          return;
        case "addVif":
          port.addVif(a);
          return;
        case "delVif":
          port.delVif(a.vifi);
          return;
        case "addMfc":
          port.addMfc(a);
          this.log(
            "debug",
            `Forwarding (${format(a.source)}, ${format(a.group)}) from ${vifWord} ${a.parent} to ${
              a.oifs.map((o) => `${vifWord} ${o.vifi}`).join(", ")
            }`,
          );
          return;
        case "delMfc":
          port.delMfc(a.source, a.group);
          this.log("debug", `Removed (${format(a.source)}, ${format(a.group)})`);
          return;
        case "join":
          port.joinGroup(a.group, a.ifindex);
          this.log("debug", `Joined ${format(a.group)} on "${a.name}"`);
          return;
        case "leave":
          port.leaveGroup(a.group, a.ifindex);
          this.log("debug", `Left ${format(a.group)} on "${a.name}"`);
          return;
        case "sendIgmp":
          port.send({
            ifindex: a.ifindex,
            source: a.source,
            destination: a.destination,
            message: a.igmp,
          });
          this.log("debug", `Sent ${a.what} on "${a.name}"`);
          return;
        case "sampleMfc":
          this.#sampleMfc(a.entries);
          return;
      }
    } catch (err) {
      const message = `${describeAction(this.#opts.spec.family, a)}: ${messageOf(err)}`;
      if (isExpectedFailure(a, expected)) this.log("debug", `${message} (the interface is gone)`);
      else this.log("warn", message);
    }
  }
}

/** Whether a failed action concerns an interface known to be gone. */
function isExpectedFailure<A extends Address>(
  a: Action<A>,
  expected: Expected | undefined,
): boolean {
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

function describeAction<A extends Address>(family: Family<A>, a: Action<A>): string {
  const { format, vifWord } = family;
  switch (a.kind) {
    case "addVif":
      return `Cannot add ${vifWord} ${a.vifi} for "${a.name}"`;
    case "delVif":
      return `Cannot delete ${vifWord} ${a.vifi} for "${a.name}"`;
    case "addMfc":
      return `Cannot add MFC entry for (${format(a.source)}, ${format(a.group)})`;
    case "delMfc":
      return `Cannot delete MFC entry for (${format(a.source)}, ${format(a.group)})`;
    case "join":
      return `Cannot join ${format(a.group)} on "${a.name}"`;
    case "leave":
      return `Cannot leave ${format(a.group)} on "${a.name}"`;
    case "sendIgmp":
      return `Cannot send ${a.what} on "${a.name}"`;
    case "sampleMfc":
      return "Cannot read forwarding counters";
    case "log":
      return "Cannot log";
  }
}

/** The errno name of a failed call, or the error's message. */
export function messageOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
}
