/**
 * The routing mode's core: a DVMRP router (draft-ietf-idmr-dvmrp-v3-11) over the proxy core.
 * The proxy core runs IGMP on every LAN as it does downstream (querier election, memberships,
 * their timers, the VIFs); with no upstream it joins nothing and, fed no upcalls, plans no
 * forwarding. This core adds the DVMRP tables and plans the forwarding itself:
 *
 * | file                | holds                                                          |
 * | ------------------- | -------------------------------------------------------------- |
 * | `router_state.ts`   | the state, the settings, the vifs                              |
 * | `router_receive.ts` | DVMRP messages received: checks, dispatch, Ask Neighbors2      |
 * | `router_send.ts`    | the tables' actions chained and encoded                        |
 * | `neighbors.ts`      | probes, generation IDs, two-way adjacency (section 3.2)         |
 * | `routes.ts`         | route reports, split horizon, expiry, hold-down (section 3.4)   |
 * | `cache.ts`          | the forwarding cache, prunes and grafts (sections 3.5, 3.6)     |
 *
 * `stepRouter(state, event, now)` takes the proxy core's events: IGMP packets and everything
 * about interfaces go to the proxy core first, then the vifs follow its VIFs; DVMRP packets
 * and upcalls (data with no forwarding entry) go to the DVMRP tables, and so do the packet
 * counts of forwarding entries the cache asked for; a change of membership on a LAN re-checks
 * the cache entries of its group. It performs no I/O.
 *
 * @module
 */

import type { Action } from "../core/actions.ts";
import {
  createProxy,
  IGMPMSG_NOCACHE,
  MAXVIFS,
  nextDeadline as nextProxyDeadline,
  type ProxyEvent,
  type ProxyOptions,
  step as stepProxy,
} from "../core/proxy.ts";
import { formatIPv4, maskIPv4 } from "../proto/addr.ts";
import { DVMRP_INFINITY } from "../proto/dvmrp.ts";
import { encodeReports } from "../proto/dvmrp_encode.ts";
import { createCache, nextCacheDeadline } from "./cache.ts";
import { createNeighborTable, nextNeighborDeadline } from "./neighbors.ts";
import { createRouteTable, nextDeadline as nextRouteDeadline } from "./routes.ts";
import { dropInput, isDvmrpPacket, receiveDvmrp } from "./router_receive.ts";
import { HEADER, runCache, runNeighbors, runRoutes, send } from "./router_send.ts";
import {
  routerLog,
  type RouterSettings,
  type RouterState,
  type RouterStep,
  type RouterVif,
} from "./router_state.ts";
import { INADDR_DVMRP_GROUP } from "../proto/dvmrp.ts";

export {
  DEFAULT_CACHE_LIFETIME,
  DEFAULT_PRUNE_LIFETIME,
  type RouterDropReason,
  type RouterSettings,
  type RouterState,
  type RouterVif,
  type TunnelSpec,
} from "./router_state.ts";

/**
 * Creates the router over the interfaces present at start (all LANs: their roles are ignored).
 * The tunnels take the VIF numbers from 31 down; the interfaces get the others.
 */
export function createRouter(options: ProxyOptions<number>, settings: RouterSettings): RouterState {
  if (settings.tunnels.length >= MAXVIFS) throw new RangeError(`More than ${MAXVIFS - 1} tunnels`);
  const proxy = createProxy<number>({
    ...options,
    interfaces: options.interfaces.map((i) => ({ ...i, role: "downstream" as const })),
    vifLimit: MAXVIFS - settings.tunnels.length,
  });
  proxy.changedGroups = new Set();
  return {
    proxy,
    settings,
    vifs: new Map(),
    neighbors: createNeighborTable(settings.genid),
    routes: createRouteTable(0),
    cache: createCache({ seed: settings.seed ?? settings.genid }),
    drops: new Map(),
    received: new Map(),
    startedAt: 0,
    askBudget: { tokens: 10, at: 0 },
  };
}

/** Runs one event at `now` (ms); returns the actions for the runtime, in order. */
export function stepRouter(
  state: RouterState,
  event: ProxyEvent<number>,
  now: number,
): Action<number>[] {
  const step: RouterStep = { state, now, out: [] };
  switch (event.kind) {
    case "start":
      state.startedAt = now;
      state.routes.reportAt = now + 1_000;
      step.out.push(...stepProxy(state.proxy, event, now));
      tunnelsUp(step);
      followVifs(step);
      break;
    case "interface-up":
    case "interface-down":
      step.out.push(...stepProxy(state.proxy, event, now));
      followVifs(step);
      break;
    case "reconfigure":
      step.out.push(...stepProxy(state.proxy, event, now));
      followVifs(step);
      takeSettings(step);
      break;
    case "packet":
      if (isDvmrpPacket(event.data, event.length)) {
        receiveDvmrp(step, event.ifindex, event.data, event.length);
      } else step.out.push(...stepProxy(state.proxy, event, now));
      break;
    case "upcall":
      receiveUpcall(step, event);
      break;
    case "mfc-counters":
      // The answer to the cache's `read-counts` (the proxy core samples nothing here).
      runCache(step, { kind: "counts", counts: event.counts });
      break;
    case "tick":
      tick(step);
      break;
    case "stop":
      stop(step);
      return step.out;
  }
  membershipChanges(step);
  return step.out;
}

/** The earliest deadline of the router and its proxy core (ms). */
export function nextRouterDeadline(state: RouterState): number {
  return Math.min(
    nextProxyDeadline(state.proxy),
    nextNeighborDeadline(state.neighbors),
    nextRouteDeadline(state.routes),
    nextCacheDeadline(state.cache),
  );
}

/** Every table whose deadline is due. */
function tick(step: RouterStep): void {
  const { state, now } = step;
  if (nextProxyDeadline(state.proxy) <= now) {
    step.out.push(...stepProxy(state.proxy, { kind: "tick" }, now));
  }
  if (nextNeighborDeadline(state.neighbors) <= now) runNeighbors(step, { kind: "tick" });
  if (nextRouteDeadline(state.routes) <= now) runRoutes(step, { kind: "tick" });
  if (nextCacheDeadline(state.cache) <= now) runCache(step, { kind: "tick" });
}

/** Data with no forwarding entry: the cache decides (an upcall of another type is dropped). */
function receiveUpcall(
  step: RouterStep,
  e: Extract<ProxyEvent<number>, { kind: "upcall" }>,
): void {
  const what = () => `upcall for (${formatIPv4(e.source)}, ${formatIPv4(e.group)})`;
  if (e.msgtype !== IGMPMSG_NOCACHE) return dropInput(step, "upcall-type", what);
  if (!step.state.vifs.has(e.vif)) return dropInput(step, "upcall-no-vif", what);
  runCache(step, { kind: "upcall", vif: e.vif, source: e.source, group: e.group });
}

/** The groups whose membership changed in the proxy core re-check their cache entries. */
function membershipChanges(step: RouterStep): void {
  const changed = step.state.proxy.changedGroups;
  if (changed === undefined || changed.size === 0) return;
  const groups = [...changed];
  changed.clear();
  for (const group of groups) runCache(step, { kind: "members-changed", vif: -1, group });
}

/**
 * Brings the LAN vifs in line with the proxy core's VIFs: a VIF that is gone, or now another
 * interface, goes down first; a new one comes up (its subnet a route, probes, 224.0.0.4).
 */
function followVifs(step: RouterStep): void {
  const { state, now } = step;
  for (const vif of [...state.vifs.values()]) {
    if (vif.tunnel !== undefined) continue;
    const lan = state.proxy.vifs.get(vif.vifi);
    if (lan === undefined || lan.ifindex !== vif.ifindex || lan.address !== vif.address) {
      vifDown(step, vif);
    }
  }
  for (const lan of state.proxy.vifs.values()) {
    if (state.vifs.has(lan.vifi)) continue;
    let subnet = lan.subnets.find((s) =>
      maskIPv4(lan.address, s.prefixLength) === maskIPv4(s.address, s.prefixLength)
    ) ?? { address: lan.address, prefixLength: 32 };
    if (subnet.prefixLength < 8) {
      // A report carries /0 and /8 to /32 only (section 3.4.3): the address alone is routed.
      routerLog(
        step,
        "warn",
        `"${lan.name}": its subnet /${subnet.prefixLength} is shorter than DVMRP carries: ` +
          "only its address is advertised",
      );
      subnet = { address: lan.address, prefixLength: 32 };
    }
    const vif: RouterVif = {
      vifi: lan.vifi,
      name: lan.name,
      ifindex: lan.ifindex,
      address: lan.address,
      prefixLength: subnet.prefixLength,
      // In the routing mode the interface's `source` networks are its altnets.
      altnets: lan.sources,
      metric: state.settings.metrics.get(lan.name) ?? 1,
      threshold: lan.threshold,
      boundaries: lan.boundaries,
      since: now,
    };
    vifUp(step, vif);
    step.out.push({
      kind: "join",
      group: INADDR_DVMRP_GROUP,
      ifindex: lan.ifindex,
      name: lan.name,
    });
  }
}

/**
 * A reload gave interfaces in use new settings: their thresholds and boundaries (kept by the
 * proxy core's VIFs) are taken, and every cache entry is checked again. A new metric needs
 * the vif to restart (the route table keeps it): the daemon says so.
 */
function takeSettings(step: RouterStep): void {
  const { state } = step;
  let changed = false;
  for (const vif of state.vifs.values()) {
    const lan = state.proxy.vifs.get(vif.vifi);
    if (vif.tunnel !== undefined || lan === undefined) continue;
    if (lan.threshold === vif.threshold && lan.boundaries === vif.boundaries) continue;
    state.vifs.set(vif.vifi, { ...vif, threshold: lan.threshold, boundaries: lan.boundaries });
    changed = true;
  }
  if (!changed) return;
  for (const r of [...state.routes.routes.values()]) {
    runCache(step, { kind: "route-changed", source: r.source, prefixLength: r.prefixLength });
  }
}

/** Adds the tunnels' VIFs, from the top VIF number down, and brings them up. */
function tunnelsUp(step: RouterStep): void {
  const { state, now } = step;
  state.settings.tunnels.forEach((t, i) => {
    const vifi = MAXVIFS - 1 - i;
    const name = `tunnel ${formatIPv4(t.local)}-${formatIPv4(t.remote)}`;
    step.out.push({
      kind: "addVif",
      vifi,
      ifindex: 0,
      name,
      threshold: t.threshold,
      localAddress: t.local,
      tunnel: { remote: t.remote },
    });
    vifUp(step, {
      vifi,
      name,
      // Messages to the far end are unicast: the kernel picks the interface by the address.
      ifindex: 0,
      address: t.local,
      prefixLength: 32,
      altnets: [],
      metric: t.metric,
      threshold: t.threshold,
      boundaries: t.boundaries,
      tunnel: { remote: t.remote },
      since: now,
    });
  });
}

/** A vif starts: neighbor discovery, then its subnet in the route table. */
function vifUp(step: RouterStep, vif: RouterVif): void {
  step.state.vifs.set(vif.vifi, vif);
  runNeighbors(step, {
    kind: "vif-up",
    vif: vif.vifi,
    address: vif.address,
    ...(vif.tunnel === undefined ? {} : { tunnel: { remote: vif.tunnel.remote } }),
  });
  runRoutes(step, {
    kind: "vif-up",
    vif: vif.vifi,
    address: vif.address,
    prefixLength: vif.prefixLength,
    metric: vif.metric,
    ...(vif.tunnel === undefined ? { altnets: vif.altnets } : { tunnel: true }),
  });
}

/** A vif stops: its neighbors are lost, its routes held down, its cache entries re-checked. */
function vifDown(step: RouterStep, vif: RouterVif): void {
  runNeighbors(step, { kind: "vif-down", vif: vif.vifi });
  runRoutes(step, { kind: "vif-down", vif: vif.vifi });
  step.state.vifs.delete(vif.vifi);
  runCache(step, { kind: "vif-down", vif: vif.vifi });
  if (vif.tunnel === undefined) {
    step.out.push({
      kind: "leave",
      group: INADDR_DVMRP_GROUP,
      ifindex: vif.ifindex,
      name: vif.name,
    });
  }
}

/**
 * Graceful stop (mrouted's good-bye): every route reported unreachable to every neighbor, so
 * that they turn to other paths at once; then the cache entries, the tunnels and the proxy
 * core's VIFs and memberships are removed.
 */
function stop(step: RouterStep): void {
  const { state, now } = step;
  const goodbye = [...state.routes.routes.values()].map((r) => ({
    source: r.source,
    prefixLength: r.prefixLength,
    metric: DVMRP_INFINITY,
  }));
  for (const vif of state.vifs.values()) {
    if (vif.tunnel === undefined && !hasNeighbors(state, vif.vifi)) continue;
    for (const m of encodeReports(goodbye, HEADER)) {
      send(step, vif.vifi, undefined, m, "good-bye report");
    }
  }
  runCache(step, { kind: "stop" });
  for (const vif of state.vifs.values()) {
    if (vif.tunnel === undefined) {
      step.out.push({
        kind: "leave",
        group: INADDR_DVMRP_GROUP,
        ifindex: vif.ifindex,
        name: vif.name,
      });
    } else step.out.push({ kind: "delVif", vifi: vif.vifi, name: vif.name });
  }
  step.out.push(...stepProxy(state.proxy, { kind: "stop" }, now));
}

/** Whether a vif has neighbors (reports go only there). */
function hasNeighbors(state: RouterState, vifi: number): boolean {
  return (state.routes.vifs.get(vifi)?.neighbors.size ?? 0) > 0;
}
