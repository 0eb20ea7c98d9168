/**
 * The forwarding-cache planner: which outgoing VIFs an (S,G) entry needs, and which kernel
 * action turns what is installed into that.
 *
 * @module
 */

import type { Action, Oif } from "./actions.ts";
import type { Address, Subnet } from "./subnet.ts";

/** What the planner needs to know of a VIF. */
export interface PlannerVif<A extends Address = number> {
  /** VIF number. */
  vifi: number;
  /**
   * TTL threshold, given to the kernel as the oif's ttl in the MFC entry: Linux forwards onto
   * the VIF only packets whose TTL is greater than this.
   */
  threshold: number;
  /** Administrative boundaries: groups in these ranges are never forwarded onto the VIF. */
  boundaries: Subnet<A>[];
  /**
   * Downstream: whether the proxy is the querier on the LAN. Data is forwarded only onto LANs
   * where it is (RFC 4605 section 4.2); another querier's router serves the others.
   */
  querier: boolean;
}

/** What {@link planOifs} plans from. */
export interface OifsInput<A extends Address = number> {
  /** The group of the entry. */
  group: A;
  /** The VIF the data arrives on. */
  iif: number;
  /** VIFs with members of the group. */
  members: Iterable<number>;
  /** Every VIF by number. */
  vifs: ReadonlyMap<number, PlannerVif<A>>;
  /** The upstream VIF, if there is one: data from a downstream source also goes there. */
  upstream?: number;
  /** How the family tells whether a group is inside prefixes (boundaries). */
  inAnySubnet: (group: A, subnets: ReadonlyArray<Subnet<A>>) => boolean;
}

/** An entry as it is installed in the kernel. */
export interface InstalledMfc {
  /** Incoming VIF. */
  parent: number;
  /** Canonical form of the outgoing VIFs (see {@link oifsKey}). */
  key: string;
  /** The outgoing VIFs, in VIF order (for status displays; {@link key} is what is compared). */
  oifs: readonly number[];
  /** When it was installed (ms); an update in place keeps it. */
  since: number;
}

/**
 * The outgoing interfaces of an (S,G) entry (RFC 4605 section 4.2), in VIF order: every
 * downstream VIF with members of G where the proxy is the querier, and the upstream VIF when
 * the data arrives on a downstream one; never the VIF the data arrives on, nor one with G
 * inside one of its boundaries.
 *
 * @example
 * ```ts
 * planOifs({ group, iif: 0, members: [2, 1], vifs, inAnySubnet }); // VIFs 1 (ttl 1), 2 (ttl 5)
 * planOifs({ group, iif: 2, members: [1], vifs, upstream: 0, inAnySubnet }); // VIFs 0 and 1
 * ```
 */
export function planOifs<A extends Address = number>(input: OifsInput<A>): Oif[] {
  const { group, iif, members, vifs, upstream, inAnySubnet } = input;
  const oifs: Oif[] = [];
  const add = (vif: PlannerVif<A> | undefined) => {
    if (vif !== undefined && !inAnySubnet(group, vif.boundaries)) {
      oifs.push({ vifi: vif.vifi, ttl: vif.threshold });
    }
  };
  for (const vifi of members) {
    if (vifi === iif || vifi === upstream) continue;
    const vif = vifs.get(vifi);
    if (vif?.querier) add(vif);
  }
  if (upstream !== undefined && upstream !== iif) add(vifs.get(upstream));
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
export function reconcileMfc<A extends Address = number>(
  installed: Pick<InstalledMfc, "parent" | "key"> | undefined,
  planned: { source: A; group: A; parent: number; oifs: Oif[] },
): Action<A> | undefined {
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
