/**
 * What a look at the system's interfaces, or a reloaded configuration, means for the VIFs in
 * use: which interfaces must go down, and why. Pure: the plane feeds the resulting events to
 * its core (see `plane.ts`).
 *
 * @module
 */

import type { Address, Family } from "../core/family.ts";
import type { ProxyInterface } from "../core/proxy.ts";
import type { GoneInterface } from "./action_executor.ts";
import {
  type ConfiguredInterface,
  describeChange,
  type InterfaceScan,
  LOST,
  type UnusableInterface,
  WAITING,
} from "./interfaces.ts";

/** An interface in use to take down: the core's `interface-down` event and how to feed it. */
export interface InterfaceDown {
  /** The interface's name. */
  name: string;
  /** Why, for the core's log line, e.g. "went down". */
  reason: string;
  /** Set when the interface vanished: its VIF and memberships went with it. */
  gone?: GoneInterface;
}

/** An interface in use with its VIF number (the core's `VifState` is one). */
export type InUse<A extends Address> = ProxyInterface<A> & { vifi: number };

/**
 * A canonical string of what the system says of an interface (its index and addresses), to
 * tell whether it changed since an attempt to use it.
 *
 * @example
 * ```ts
 * interfaceKey(iface); // "11 10.1.0.1/24", with the addresses as the core holds them
 * ```
 */
export function interfaceKey<A extends Address>(i: ProxyInterface<A>): string {
  return `${i.ifindex} ${i.subnets.map((s) => `${s.address}/${s.prefixLength}`).join(" ")}`;
}

/**
 * The configured interfaces as the system shows them now, by name: the usable ones, and those
 * that only lack a carrier (one in use keeps its VIF through a carrier loss, if unchanged).
 */
export function currentInterfaces<A extends Address>(
  scan: InterfaceScan<A>,
): Map<string, ProxyInterface<A>> {
  const byName = new Map(scan.usable.map((i) => [i.name, i]));
  for (const u of scan.unusable) if (u.iface !== undefined) byName.set(u.name, u.iface);
  return byName;
}

/**
 * The interfaces in use that a look at the system takes down, in VIF order: those gone,
 * unusable, or changed (another index or other addresses: they come up again afterwards, as
 * new). One that vanished carries {@link InterfaceDown.gone}: the kernel removed its VIF and
 * memberships already, and refuses to remove them again.
 */
export function lostInterfaces<A extends Address>(
  family: Family<A>,
  inUse: Iterable<InUse<A>>,
  scan: InterfaceScan<A>,
): InterfaceDown[] {
  const current = currentInterfaces(scan);
  const problems = new Map(scan.unusable.map((u) => [u.name, u.problem]));
  const downs: InterfaceDown[] = [];
  for (const vif of inUse) {
    const now = current.get(vif.name);
    const problem = problems.get(vif.name) ?? "missing";
    const reason = now === undefined ? LOST[problem] : describeChange(family, vif, now);
    if (reason === undefined) continue;
    const vanished = now === undefined ? problem === "missing" : now.ifindex !== vif.ifindex;
    downs.push(
      vanished
        ? { name: vif.name, reason, gone: { ifindex: vif.ifindex, vifi: vif.vifi } }
        : { name: vif.name, reason },
    );
  }
  return downs;
}

/**
 * The interfaces in use that a new configuration takes down, in VIF order: those no longer
 * configured, and those with another role (they come up again in it afterwards).
 */
export function droppedInterfaces<A extends Address>(
  inUse: Iterable<InUse<A>>,
  configured: readonly ConfiguredInterface<A>[],
): InterfaceDown[] {
  const roles = new Map(configured.map((c) => [c.name, c.role]));
  const downs: InterfaceDown[] = [];
  for (const vif of inUse) {
    const role = roles.get(vif.name);
    if (role === vif.role) continue;
    downs.push({
      name: vif.name,
      reason: role === undefined
        ? "it is no longer in the configuration"
        : `it is ${role} in the new configuration`,
    });
  }
  return downs;
}

/**
 * The warnings about interfaces a new configuration adds that are not usable yet (they are
 * used once they are); those configured before were warned about already.
 */
export function waitingWarnings<A extends Address>(
  unusable: readonly UnusableInterface<A>[],
  before: ReadonlySet<string>,
): string[] {
  return unusable.filter((u) => !before.has(u.name)).map((u) =>
    `Interface "${u.name}" ${WAITING[u.problem]}`
  );
}
