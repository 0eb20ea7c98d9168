/**
 * What the DVMRP forwarding cache (draft-ietf-idmr-dvmrp-v3-11 sections 3.3, 3.5, 3.6) reads
 * from the daemon's other tables ({@link CacheContext}), the events it reacts to
 * ({@link CacheEvent}) and what it asks the runtime to do ({@link CacheAction}).
 *
 * @module
 */

import type { Oif } from "../core/actions.ts";
import type { DvmrpGraft, DvmrpPrune } from "../proto/dvmrp.ts";
import type { RouteTable } from "./route_table.ts";

/** What the cache reads from the daemon's other tables; it never changes them. */
export interface CacheContext {
  /** The DVMRP route table (section 3.4): the RPF interface, forwarders, dependents. */
  routes: RouteTable;
  /** The interfaces that are up, with their TTL thresholds. */
  vifs: ReadonlyMap<number, { threshold: number }>;
  /** Whether hosts on a LAN are members of `group` admitting `source` (IGMP, section 2.5.1). */
  hasMembers(vif: number, group: number, source: number): boolean;
  /** Whether the neighbor's probes carry the prune capability (section 3.2.1). */
  canPrune(vif: number, neighbor: number): boolean;
  /**
   * Whether the interface is an administrative boundary for the group (mrouted's `boundary`):
   * nothing of the group is forwarded across it. Absent: no boundaries.
   */
  isBoundary?(vif: number, group: number): boolean;
  /** The lifetime of the prunes we send, ms (mrouted's `prune_lifetime`, 7200 s by default). */
  pruneLifetime: number;
  /** The lifetime of a cache entry, ms (mrouted's `cache_lifetime`, 300 s by default). */
  cacheLifetime: number;
  /** False in non-pruning mode (mrouted's `-p`, `pruning off`): no prunes sent nor honored. */
  pruning: boolean;
}

/** What the cache reacts to. */
export type CacheEvent =
  /** The kernel has data from `source` to `group` on `vif` and no entry for them. */
  | { kind: "upcall"; vif: number; source: number; group: number }
  /** A Prune from a known neighbor (section 3.5.3). */
  | { kind: "prune-received"; vif: number; from: number; prune: DvmrpPrune }
  /** A Graft from a known neighbor (section 3.6.2): always acknowledged. */
  | { kind: "graft-received"; vif: number; from: number; graft: DvmrpGraft }
  /** A Graft Ack (section 3.6.5). */
  | { kind: "graft-ack-received"; vif: number; from: number; ack: DvmrpGraft }
  /** The route table's `route-changed` for a source network. */
  | { kind: "route-changed"; source: number; prefixLength: number }
  /** IGMP membership of a group on a LAN changed (section 2.5.1). */
  | { kind: "members-changed"; vif: number; group: number }
  /** A neighbor timed out or restarted (sections 3.2.2, 3.2.4). */
  | { kind: "neighbor-lost"; vif: number; neighbor: number }
  /** An interface went down (section 3.7.1). */
  | { kind: "vif-down"; vif: number }
  /** Time passed: entry, prune and graft timers. */
  | { kind: "tick" }
  /**
   * The answer to `read-counts`: each kernel entry's packet count, none where it could not be
   * read (the entry is gone from the kernel).
   */
  | { kind: "counts"; counts: { source: number; group: number; packets?: number }[] }
  /** Shutdown: every kernel entry is deleted. */
  | { kind: "stop" };

/** What the cache asks the runtime to do. */
export type CacheAction =
  /** Install or replace the kernel entry for (source, group). */
  | { kind: "add-mfc"; source: number; group: number; parent: number; oifs: Oif[] }
  /** Delete the kernel entry for (source, group). */
  | { kind: "del-mfc"; source: number; group: number }
  /**
   * Read the packet counts of these kernel entries (SIOCGETSGCNT) and feed them back at once as
   * a `counts` event: at the end of an entry's lifetime, and to tell whether data still arrives
   * while our prune is in force.
   */
  | { kind: "read-counts"; entries: { source: number; group: number }[] }
  /** Send a Prune for the source network to the upstream neighbor (section 3.5.4). */
  | {
    kind: "send-prune";
    vif: number;
    to: number;
    source: number;
    group: number;
    prefixLength: number;
    lifetimeSeconds: number;
  }
  /** Send a Graft for the source network to the upstream neighbor (section 3.6.1). */
  | {
    kind: "send-graft";
    vif: number;
    to: number;
    source: number;
    group: number;
    prefixLength: number;
  }
  /** Acknowledge a Graft with its own source, group and mask (section 3.6.4). */
  | {
    kind: "send-graft-ack";
    vif: number;
    to: number;
    source: number;
    group: number;
    prefixLength?: number;
  }
  /** A line for the log. */
  | { kind: "log"; level: "info" | "debug" | "warn"; message: string };
