/**
 * The routing mode's configuration: an mrouted.conf (`conf/mrouted/`) applied to the system's
 * interfaces, as the daemon's {@link Config}. As mrouted does, every multicast-capable
 * interface with an IPv4 address is a vif unless a `phyint … disable` says otherwise (the
 * loopback is never one); `phyint` names an interface by name or by one of its addresses; a
 * tunnel's local end is one of our addresses (or an interface's name, its primary address).
 *
 * @module
 */

import type { Config, InterfaceConfig, Prefix, RoutingTunnel } from "../../conf/config.ts";
import type {
  IfaceRef,
  Ipv4Prefix,
  MroutedConfig,
  PhyintConfig,
} from "../../conf/mrouted/config.ts";
import { formatIPv4 } from "../proto/addr.ts";
import type { SystemInterface } from "./sys.ts";

/** The result: the configuration, the warnings, or the errors that make it unusable. */
export type RoutingConfigResult =
  | { ok: true; config: Config; warnings: string[] }
  | { ok: false; errors: string[] };

/**
 * Applies `mrouted` to `system`; `nonPruning` is `-p`. Errors: a phyint or tunnel naming no
 * interface of the system, a tunnel's far end given as a host name (not resolved: give its
 * address), fewer than two vifs. A warning when every vif is a tunnel.
 */
export function routingConfig(
  mrouted: MroutedConfig,
  system: readonly SystemInterface[],
  opts: { nonPruning: boolean },
): RoutingConfigResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const phyints = new Map<string, PhyintConfig>();
  for (const p of mrouted.phyints) {
    const iface = findInterface(system, p.iface);
    if (iface === undefined) {
      errors.push(`${where(p.at)}: phyint ${describeRef(p.iface)}: no such interface`);
    } else phyints.set(iface.name, p);
  }
  const interfaces: InterfaceConfig[] = [];
  const metrics = new Map<string, number>();
  for (const sys of system) {
    if (sys.loopback || !sys.multicast || sys.ipv4.length === 0) continue;
    const p = phyints.get(sys.name);
    if (p?.disable === true) continue;
    interfaces.push(vifInterface(sys.name, p));
    metrics.set(sys.name, p?.metric ?? 1);
  }
  const tunnels: RoutingTunnel[] = [];
  for (const t of mrouted.tunnels) {
    const local = findInterface(system, t.local);
    const localAddress = t.local.kind === "address" ? t.local.address : local?.ipv4[0]?.address;
    if (local === undefined || localAddress === undefined) {
      errors.push(`${where(t.at)}: tunnel ${describeRef(t.local)}: no such local address`);
      continue;
    }
    if (t.remote.kind === "hostname") {
      errors.push(
        `${where(t.at)}: tunnel to "${t.remote.name}": host names are not resolved, give the ` +
          "far end's address",
      );
      continue;
    }
    tunnels.push({
      local: localAddress,
      remote: t.remote.address,
      metric: t.metric,
      threshold: t.threshold,
      boundaries: t.boundaries.map(prefixOf),
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  if (interfaces.length + tunnels.length < 2) {
    return {
      ok: false,
      errors: [
        `Fewer than two vifs (${interfaces.length} interfaces, ${tunnels.length} tunnels): ` +
        "nothing to route between",
      ],
    };
  }
  if (tunnels.length > 0 && interfaces.every((i) => tunnels.some((t) => isOn(system, i, t)))) {
    warnings.push("Every vif is a tunnel or carries one: is a phyint missing?");
  }
  const config: Config = {
    ipv4: true,
    ipv6: false,
    timers: {},
    scopes: [],
    ssmRanges: [],
    interfaces,
    routing: {
      metrics,
      tunnels,
      pruning: mrouted.pruning && !opts.nonPruning,
      pruneLifetime: mrouted.pruneLifetime,
      cacheLifetime: mrouted.cacheLifetime,
    },
  };
  return { ok: true, config, warnings };
}

/**
 * A vif's interface block: IGMP querier there, IGMPv3 by default, IGMPv1 for `igmpv1` (the
 * routers and hosts of that LAN speak nothing newer).
 */
function vifInterface(name: string, p: PhyintConfig | undefined): InterfaceConfig {
  return {
    name,
    role: "downstream",
    threshold: p?.threshold ?? 1,
    sources: (p?.altnets ?? []).map(prefixOf),
    timers: {},
    boundaries: (p?.boundaries ?? []).map((b) => ({ prefix: prefixOf(b) })),
    position: p?.at ?? { file: "", line: 0, col: 0 },
    ...(p?.igmpv1 === true ? { igmpVersion: 1 as const } : {}),
  };
}

/** Whether an interface is the local end of a tunnel. */
function isOn(system: readonly SystemInterface[], i: InterfaceConfig, t: RoutingTunnel): boolean {
  return system.find((s) => s.name === i.name)?.ipv4.some((a) => a.address === t.local) ?? false;
}

/** The system's interface a reference names: by name, or by one of its IPv4 addresses. */
function findInterface(
  system: readonly SystemInterface[],
  ref: IfaceRef,
): SystemInterface | undefined {
  return ref.kind === "name"
    ? system.find((s) => s.name === ref.name)
    : system.find((s) => s.ipv4.some((a) => a.address === ref.address));
}

function describeRef(ref: IfaceRef): string {
  return ref.kind === "name" ? `"${ref.name}"` : formatIPv4(ref.address);
}

function prefixOf(p: Ipv4Prefix): Prefix {
  return { family: 4, address: formatIPv4(p.address), length: p.length };
}

function where(at: { file: string; line: number; col: number }): string {
  return `${at.file}:${at.line}:${at.col}`;
}
