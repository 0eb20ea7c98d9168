/**
 * The forwarding-cache planner: which outgoing VIFs an (S,G) entry needs, and which kernel
 * action turns what is installed into that.
 *
 * @module
 */

import type { Action, Oif } from "./actions.ts";

/** What the planner needs to know of a VIF. */
export interface PlannerVif {
  /** VIF number. */
  vifi: number;
  /** TTL threshold (the oif's ttl in the MFC entry). */
  threshold: number;
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
 * data arrives on, in VIF order.
 */
export function planOifs(
  iif: number,
  memberVifs: Iterable<number>,
  vifs: ReadonlyMap<number, PlannerVif>,
): Oif[] {
  const oifs: Oif[] = [];
  for (const vifi of memberVifs) {
    if (vifi === iif) continue;
    const vif = vifs.get(vifi);
    if (vif !== undefined) oifs.push({ vifi, ttl: vif.threshold });
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
