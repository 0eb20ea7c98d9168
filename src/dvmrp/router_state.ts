/**
 * The routing mode's state: the proxy core that runs IGMP on every LAN (querier, memberships),
 * and beside it the DVMRP tables of draft-ietf-idmr-dvmrp-v3-11: neighbors (neighbors.ts),
 * routes (routes.ts) and the forwarding cache with its prunes and grafts (cache.ts). The
 * interfaces DVMRP runs on ("vifs", as mrouted calls them) are the proxy core's VIFs, all
 * downstream in its terms, plus the configured tunnels, which take the VIF numbers from the top.
 *
 * @module
 */

import type { Action, LogLevel } from "../core/actions.ts";
import type { ProxyState } from "../core/proxy.ts";
import type { Subnet } from "../core/subnet.ts";
import type { DvmrpDropReason } from "../proto/dvmrp.ts";
import type { CacheState } from "./cache.ts";
import type { NeighborTable } from "./neighbors.ts";
import type { RouteTable } from "./route_table.ts";

/** A configured tunnel (mrouted's `tunnel LOCAL REMOTE`), its addresses resolved. */
export interface TunnelSpec {
  /** Our end: one of our interfaces' addresses. */
  local: number;
  /** The far end: another DVMRP router, reached by unicast. */
  remote: number;
  /** Its metric, 1 to 31. */
  metric: number;
  /** Its TTL threshold, 1 to 255. */
  threshold: number;
  /** Administrative boundaries: groups inside them are not forwarded through it. */
  boundaries: Subnet<number>[];
}

/** What the routing mode adds to the proxy core's options. */
export interface RouterSettings {
  /** The metric of each interface by name (`phyint … metric`); default 1. */
  metrics: ReadonlyMap<string, number>;
  /** The tunnels. */
  tunnels: readonly TunnelSpec[];
  /** Whether prunes are sent (`pruning off`, `-p`: never). */
  pruning: boolean;
  /** The lifetime of the prunes we send (ms; `prune_lifetime`, default 2 hours). */
  pruneLifetime: number;
  /** How long a forwarding cache entry lives (ms; `cache_lifetime`, default 5 minutes). */
  cacheLifetime: number;
  /** The generation ID of our probes (section 3.2.2): different at each start. */
  genid: number;
  /**
   * The seed of what the cache randomizes (prune lifetimes, retransmission intervals), so that
   * routers started together do not draw alike; the generation ID when absent.
   */
  seed?: number;
}

/** Default of {@link RouterSettings.pruneLifetime}: 7200 s, as mrouted. */
export const DEFAULT_PRUNE_LIFETIME = 7_200_000;
/** Default of {@link RouterSettings.cacheLifetime}: 300 s, as mrouted. */
export const DEFAULT_CACHE_LIFETIME = 300_000;

/** An interface DVMRP runs on: a LAN or a point-to-point link, or a tunnel. */
export interface RouterVif {
  /** The VIF number. */
  readonly vifi: number;
  /** The interface's name, or `tunnel LOCAL-REMOTE`. */
  readonly name: string;
  /** The interface index messages go out of (a tunnel: its local address's interface, or 0). */
  readonly ifindex: number;
  /** Our address on it. */
  readonly address: number;
  /** Its subnet's prefix length (a tunnel: 32). */
  readonly prefixLength: number;
  /** More subnets on it (mrouted's `altnet`): local routes, and neighbors may be there. */
  readonly altnets: readonly Subnet<number>[];
  /** Its metric, 1 to 31. */
  readonly metric: number;
  /** Its TTL threshold. */
  readonly threshold: number;
  /** Administrative boundaries. */
  readonly boundaries: readonly Subnet<number>[];
  /** Set for a tunnel: its far end. */
  readonly tunnel?: { readonly remote: number };
  /** When it came up (ms). */
  readonly since: number;
}

/** Why the routing mode dropped a DVMRP message, beyond the decoder's reasons. */
export type RouterDropReason =
  | DvmrpDropReason
  | "dvmrp-bad-ip-header"
  | "dvmrp-no-vif"
  | "dvmrp-own-message"
  | "dvmrp-off-subnet"
  | "dvmrp-not-neighbor"
  | "dvmrp-unexpected-neighbors2"
  | "dvmrp-ask-rate"
  | "upcall-no-vif"
  | "upcall-type";

/** The routing mode's state. */
export interface RouterState {
  /** IGMP on the LANs: the proxy core, with no upstream. */
  readonly proxy: ProxyState<number>;
  /** The settings. */
  settings: RouterSettings;
  /** The DVMRP vifs by number: the proxy core's VIFs and the tunnels. */
  readonly vifs: Map<number, RouterVif>;
  /** Neighbor discovery. */
  readonly neighbors: NeighborTable;
  /** The route table. */
  readonly routes: RouteTable;
  /** The forwarding cache with its prune and graft state. */
  readonly cache: CacheState;
  /** Dropped inputs by reason. */
  readonly drops: Map<RouterDropReason, number>;
  /** DVMRP messages received and taken, by type. */
  readonly received: Map<string, number>;
  /** When the router started (ms). */
  startedAt: number;
  /** The token bucket of the answers to Ask Neighbors2. */
  readonly askBudget: { tokens: number; at: number };
}

/** What one step of the router collects. */
export interface RouterStep {
  /** The state. */
  readonly state: RouterState;
  /** The time of the step (ms). */
  readonly now: number;
  /** The actions so far, in order. */
  readonly out: Action<number>[];
}

/** Adds a log action. */
export function routerLog(step: RouterStep, level: LogLevel, message: string): void {
  step.out.push({ kind: "log", level, message });
}

/** Whether debug lines are wanted (the proxy core's switch: `-d`, `mcast-proxyctl log`). */
export function debugOn(state: RouterState): boolean {
  return state.proxy.options.debug === true;
}
