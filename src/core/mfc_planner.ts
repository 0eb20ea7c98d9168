/**
 * The forwarding-cache planner: which outgoing VIFs an (S,G) entry needs, and which kernel
 * action turns what is installed into that.
 *
 * @module
 */

import type { Action, Oif } from "./actions.ts";
import { inAnySubnet, type Subnet } from "./subnet.ts";

/** What the planner needs to know of a VIF. */
export interface PlannerVif {
  /** VIF number. */
  vifi: number;
  /**
   * TTL threshold, given to the kernel as the oif's ttl in the MFC entry: Linux forwards onto
   * the VIF only packets whose TTL is greater than this.
   */
  threshold: number;
  /** Administrative boundaries: groups in these ranges are never forwarded onto the VIF. */
  boundaries: Subnet[];
}

/** What {@link planOifs} plans from. */
export interface OifsInput {
  /** The group of the entry. */
  group: number;
  /** The VIF the data arrives on. */
  iif: number;
  /** VIFs with members of the group. */
  members: Iterable<number>;
  /** Every VIF by number. */
  vifs: ReadonlyMap<number, PlannerVif>;
}

/** An entry as it is installed in the kernel. */
export interface InstalledMfc {
  /** Incoming VIF. */
  parent: number;
  /** Canonical form of the outgoing VIFs (see {@link oifsKey}). */
  key: string;
}

/**
 * The outgoing interfaces of an (S,G) entry: every VIF with members of G, except the one the
 * data arrives on and those with G inside one of their boundaries, in VIF order.
 *
 * @example
 * ```ts
 * planOifs({ group, iif: 0, members: [2, 1], vifs }); // [{vifi: 1, ttl: 1}, {vifi: 2, ttl: 5}]
 * ```
 */
export function planOifs(input: OifsInput): Oif[] {
  const { group, iif, members, vifs } = input;
  const oifs: Oif[] = [];
  for (const vifi of members) {
    if (vifi === iif) continue;
    const vif = vifs.get(vifi);
    if (vif === undefined || inAnySubnet(group, vif.boundaries)) continue;
    oifs.push({ vifi, ttl: vif.threshold });
  }
  oifs.sort((a, b) => a.vifi - b.vifi);
  return oifs;
}

/** A canonical string for a list of oifs, to compare what is installed with what is planned. */
export function oifsKey(oifs: ReadonlyArray<Oif>): string {
  return oifs.map((o) => `${o.vifi}:${o.ttl}`).join(",");
}

/**
 * The action that moves the kernel from `installed` to the planned entry: `addMfc` to create or
 * update, `delMfc` when no oif is left, nothing when it already matches.
 */
export function reconcileMfc(
  installed: InstalledMfc | undefined,
  planned: { source: number; group: number; parent: number; oifs: Oif[] },
): Action | undefined {
  if (planned.oifs.length === 0) {
    return installed === undefined
      ? undefined
      : { kind: "delMfc", source: planned.source, group: planned.group };
  }
  const key = oifsKey(planned.oifs);
  if (installed !== undefined && installed.parent === planned.parent && installed.key === key) {
    return undefined;
  }
  return { kind: "addMfc", ...planned };
}
