/**
 * The routing mode's tables in the layouts of mrouted(8) (what SIGUSR1 writes to the log):
 * the Virtual Interface Table (vifs, peers, groups, boundaries, packet counts) and the
 * Multicast Routing Table (Origin-Subnet, From-Gateway, Metric, Tmr, In-Vif, Out-Vifs, `*`
 * marking the leaves).
 *
 * @module
 */

import { formatIPv4, maskIPv4 } from "../proto/addr.ts";
import { DVMRP_INFINITY } from "../proto/dvmrp.ts";
import { isLeafVif, neighborsOn } from "./neighbors.ts";
import { ROUTE_EXPIRATION_TIME, type RouteEntry } from "./route_table.ts";
import { dependentsOn, isForwarder } from "./routes.ts";
import type { RouterState } from "./router_state.ts";

/** A vif's kernel packet counts, when they could be read. */
export interface VifPackets {
  /** Packets in. */
  in: number;
  /** Packets out. */
  out: number;
}

/**
 * A subnet as mrouted prints it: the network's significant bytes (`36.2` for 36.2.0.0/16,
 * `13.2.116/22` when the length is not a whole number of bytes).
 */
export function formatSubnet(network: number, prefixLength: number): string {
  const bytes = [network >>> 24, (network >>> 16) & 0xff, (network >>> 8) & 0xff, network & 0xff];
  const shown = Math.max(1, Math.ceil(prefixLength / 8));
  const text = bytes.slice(0, shown).join(".");
  return prefixLength % 8 === 0 ? text : `${text}/${prefixLength}`;
}

/** The Virtual Interface Table, one string per line. */
export function describeVifTable(
  state: RouterState,
  packets: (vifi: number) => VifPackets | undefined,
): string[] {
  const lines = [
    "Virtual Interface Table",
    " Vif  Local-Address                    Metric  Thresh  Flags",
  ];
  for (const vif of [...state.vifs.values()].sort((a, b) => a.vifi - b.vifi)) {
    const lan = state.proxy.vifs.get(vif.vifi);
    const where = vif.tunnel === undefined
      ? `subnet: ${formatSubnet(maskIPv4(vif.address, vif.prefixLength), vif.prefixLength)}`
      : `tunnel: ${formatIPv4(vif.tunnel.remote)}`;
    const flags = [
      ...(lan?.querier === true ? ["querier"] : []),
      ...(isLeafVif(state.neighbors, vif.vifi) && vif.tunnel === undefined ? ["leaf"] : []),
    ].join(" ");
    lines.push(
      `  ${String(vif.vifi).padEnd(3)} ${formatIPv4(vif.address).padEnd(13)} ${where.padEnd(20)}` +
        `${String(vif.metric).padStart(4)}${String(vif.threshold).padStart(8)}    ${flags}`
          .trimEnd(),
    );
    const peers = neighborsOn(state.neighbors, vif.vifi).map((n) =>
      `${formatIPv4(n.address)} (${n.majorVersion}.${n.minorVersion})`
    );
    pushList(lines, "peers", peers);
    const groups = lan === undefined
      ? []
      : [...lan.groups.keys()].sort((a, b) => a - b).map(formatIPv4);
    pushList(lines, "groups", groups);
    pushList(
      lines,
      "boundaries",
      vif.boundaries.map((b) => formatSubnet(b.address, b.prefixLength)),
    );
    const p = packets(vif.vifi);
    if (p !== undefined) {
      lines.push(`${"pkts in:".padStart(26)} ${p.in}`, `${"pkts out:".padStart(26)} ${p.out}`);
    }
    lines.push("");
  }
  return lines;
}

/** The Multicast Routing Table, one string per line; `now` gives the timers. */
export function describeRouteTable(state: RouterState, now: number): string[] {
  const routes = [...state.routes.routes.values()].sort((a, b) =>
    a.source - b.source || a.prefixLength - b.prefixLength
  );
  const lines = [
    `Multicast Routing Table (${routes.length} entries)`,
    " Origin-Subnet   From-Gateway    Metric Tmr In-Vif  Out-Vifs",
  ];
  for (const r of routes) lines.push(routeLine(state, r, now));
  return lines;
}

/** One route: its origin, gateway, metric, seconds since refreshed, in-vif and out-vifs. */
function routeLine(state: RouterState, r: RouteEntry, now: number): string {
  const origin = formatSubnet(r.source, r.prefixLength);
  const gateway = r.upstream === undefined ? "" : formatIPv4(r.upstream);
  const age = r.local || !Number.isFinite(r.expiresAt)
    ? 0
    : Math.max(0, Math.round((now - (r.expiresAt - ROUTE_EXPIRATION_TIME)) / 1000));
  const out: string[] = [];
  if (r.metric < DVMRP_INFINITY) {
    for (const vif of [...state.vifs.values()].sort((a, b) => a.vifi - b.vifi)) {
      if (!isForwarder(r, vif.vifi)) continue;
      const leaf = dependentsOn(r, vif.vifi).size === 0;
      out.push(`${vif.vifi}${leaf ? "*" : ""}`);
    }
  }
  return ` ${origin.padEnd(15)} ${gateway.padEnd(15)} ${String(r.metric).padStart(4)}` +
    `${String(age).padStart(6)}${String(r.vif).padStart(5)}    ${out.join(" ")}`.trimEnd();
}

function pushList(lines: string[], label: string, items: readonly string[]): void {
  items.forEach((item, i) => {
    lines.push(`${(i === 0 ? `${label}:` : ":").padStart(26)} ${item}`);
  });
}
