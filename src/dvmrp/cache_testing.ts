/**
 * A lab for the forwarding cache's tests: a route table driven through `stepRoutes`, a cache,
 * the context between them with IGMP members and neighbor capabilities to set, and a fake clock.
 * Not used by the daemon.
 *
 * The lab answers the cache's `read-counts` at once, as the runtime does, from the packet counts
 * a test sets ({@link CacheLab.packets}); what the cache asked is kept in
 * {@link CacheLab.reads}. The cache's draws come from {@link CacheLab.draw}: 0 by default, for
 * our full prune lifetime and retransmission checks at half their interval (1.5 s, 3 s...).
 *
 * Our router: vif 0 on LAN A (10.0.0.0/24, towards the sources: N1 there is the upstream
 * neighbor for SRC 192.168.1.0/24 at metric 2), vif 1 on LAN B (10.0.1.0/24, where the
 * downstream routers D and E can depend on us), vif 2 on LAN C (10.0.2.0/24, a leaf, threshold
 * 16).
 *
 * @module
 */

import { formatIPv4 } from "../proto/addr.ts";
import { ip } from "../proto/testing.ts";
import { DVMRP_INFINITY, type DvmrpRoute } from "../proto/dvmrp.ts";
import {
  type CacheAction,
  type CacheContext,
  cacheEntries,
  type CacheEntryView,
  type CacheEvent,
  type CacheState,
  createCache,
  nextCacheDeadline,
  stepCache,
} from "./cache.ts";
import { createRouteTable, type RouteEvent, type RouteTable, stepRoutes } from "./routes.ts";

/** Our address on LAN A. */
export const US_A = ip("10.0.0.1");
/** Our address on LAN B. */
export const US_B = ip("10.0.1.5");
/** Our address on LAN C. */
export const US_C = ip("10.0.2.1");
/** The upstream neighbor on LAN A. */
export const N1 = ip("10.0.0.2");
/** Another router on LAN A. */
export const N2 = ip("10.0.0.3");
/** A downstream router on LAN B. */
export const D = ip("10.0.1.2");
/** Another downstream router on LAN B. */
export const E = ip("10.0.1.3");
/** The source network, reached through N1. */
export const SRC = ip("192.168.1.0");
/** A source host in it. */
export const S1 = ip("192.168.1.10");
/** Another source host in it. */
export const S2 = ip("192.168.1.20");
/** The group. */
export const G = ip("239.1.1.1");
/** Another group. */
export const G2 = ip("239.2.2.2");
/** Infinity. */
export const INF = DVMRP_INFINITY;

/** A route of a report for a /24. */
export function r24(source: number, metric: number): DvmrpRoute {
  return { source, prefixLength: 24, metric };
}

/** The lab: tables, context and clock. */
export class CacheLab {
  /** The route table. */
  readonly routes: RouteTable = createRouteTable(0);
  /** The cache under test. */
  readonly cache: CacheState;
  /** Members by `vif:group`. */
  readonly members = new Set<string>();
  /** Neighbors without the prune capability. */
  readonly nonPruning = new Set<number>();
  /** Boundaries by `vif:group`. */
  readonly boundaries = new Set<string>();
  /** The context the cache reads. */
  readonly ctx: CacheContext;
  /** The clock (ms). */
  now = 0;
  /** What the cache draws in [0, 1). */
  draw = 0;
  /** Packet counts of the kernel entries by `source:group`; absent: 0; undefined: unreadable. */
  readonly packets = new Map<string, number | undefined>();
  /** The entries whose counts the cache asked for, with when. */
  readonly reads: { at: number; entries: string[] }[] = [];
  /** Whether `read-counts` is answered (false: the counts never come). */
  answerCounts = true;

  constructor(opts: { maxEntries?: number; pruning?: boolean } = {}) {
    this.cache = createCache({ maxEntries: opts.maxEntries, random: () => this.draw });
    const vifs = new Map([[0, { threshold: 1 }], [1, { threshold: 1 }], [2, { threshold: 16 }]]);
    this.ctx = {
      routes: this.routes,
      vifs,
      hasMembers: (vif, group) => this.members.has(`${vif}:${group}`),
      canPrune: (_vif, neighbor) => !this.nonPruning.has(neighbor),
      isBoundary: (vif, group) => this.boundaries.has(`${vif}:${group}`),
      pruneLifetime: 7_200_000,
      cacheLifetime: 300_000,
      pruning: opts.pruning ?? true,
    };
    const lan = { prefixLength: 24, metric: 1 };
    this.route({ kind: "vif-up", vif: 0, address: US_A, ...lan });
    this.route({ kind: "vif-up", vif: 1, address: US_B, ...lan });
    this.route({ kind: "vif-up", vif: 2, address: US_C, ...lan });
    this.route({ kind: "report-received", vif: 0, neighbor: N1, routes: [r24(SRC, 2)] });
  }

  /**
   * Runs a route table event at the lab's time, then feeds its `route-changed` actions to the
   * cache; returns the cache's actions.
   */
  route(e: RouteEvent): CacheAction[] {
    const out: CacheAction[] = [];
    for (const a of stepRoutes(this.routes, e, this.now)) {
      if (a.kind === "route-changed") out.push(...this.step(a));
    }
    return out;
  }

  /** A neighbor on LAN B reports SRC poisoned: it depends on us (section 3.4.4). */
  depend(neighbor: number): CacheAction[] {
    return this.route({
      kind: "report-received",
      vif: 1,
      neighbor,
      routes: [r24(SRC, 3 + INF)],
    });
  }

  /**
   * Runs a cache event at the lab's time; a `read-counts` is answered at once with a `counts`
   * event, whose actions follow.
   */
  step(e: CacheEvent): CacheAction[] {
    const out: CacheAction[] = [];
    for (const a of stepCache(this.cache, this.ctx, e, this.now)) {
      out.push(a);
      if (a.kind !== "read-counts") continue;
      const keys = a.entries.map(({ source, group }) =>
        `${formatIPv4(source)}:${formatIPv4(group)}`
      );
      this.reads.push({ at: this.now, entries: keys });
      if (!this.answerCounts) continue;
      const counts = a.entries.map(({ source, group }, i) => {
        const packets = this.packets.has(keys[i]) ? this.packets.get(keys[i]) : 0;
        return packets === undefined ? { source, group } : { source, group, packets };
      });
      out.push(...this.step({ kind: "counts", counts }));
    }
    return out;
  }

  /** Sets the packet count of (source, group) (undefined: its counts cannot be read). */
  setPackets(packets: number | undefined, source = S1, group = G): void {
    this.packets.set(`${formatIPv4(source)}:${formatIPv4(group)}`, packets);
  }

  /** Data from `source` to `group` arrives on `vif` (0, the RPF interface, by default). */
  upcall(source = S1, group = G, vif = 0): CacheAction[] {
    return this.step({ kind: "upcall", vif, source, group });
  }

  /** Hosts on `vif` join (true) or leave (false) `group`. */
  setMembers(vif: number, group: number, present: boolean): CacheAction[] {
    if (present) this.members.add(`${vif}:${group}`);
    else this.members.delete(`${vif}:${group}`);
    return this.step({ kind: "members-changed", vif, group });
  }

  /** A prune from `from` on LAN B. */
  prune(
    from: number,
    lifetimeSeconds: number,
    more: { source?: number; prefixLength?: number } = {},
  ): CacheAction[] {
    return this.step({
      kind: "prune-received",
      vif: 1,
      from,
      prune: {
        type: "prune",
        source: more.source ?? S1,
        group: G,
        lifetimeSeconds,
        prefixLength: more.prefixLength,
        ...HEADER,
      },
    });
  }

  /** The cache table now. */
  cacheView(): CacheEntryView[] {
    return cacheEntries(this.cache, this.now);
  }

  /** Moves the clock to `until`, ticking the cache at each deadline on the way. */
  runUntil(until: number): CacheAction[] {
    const out: CacheAction[] = [];
    for (let at = nextCacheDeadline(this.cache); at <= until; at = nextCacheDeadline(this.cache)) {
      this.now = Math.max(this.now, at);
      out.push(...this.step({ kind: "tick" }));
    }
    this.now = until;
    return out;
  }
}

/** The header fields of a message from mrouted 3.9. */
export const HEADER = {
  capabilities: {
    leaf: false,
    prune: true,
    generationId: true,
    mtrace: true,
    snmp: false,
    netmask: true,
  },
  minorVersion: 0xff,
  majorVersion: 3,
};

/** Our prune for (192.168.1.0/24, G) to N1 on vif 0, with the lifetime given. */
export function sentPrune(lifetimeSeconds: number): CacheAction {
  return {
    kind: "send-prune",
    vif: 0,
    to: N1,
    source: SRC,
    group: G,
    prefixLength: 24,
    lifetimeSeconds,
  };
}

/**
 * The actions without the log lines and the lab's own exchange of counts (`read-counts`, which
 * {@link CacheLab.reads} keeps).
 */
export function quiet(actions: CacheAction[]): CacheAction[] {
  return actions.filter((a) => a.kind !== "log" && a.kind !== "read-counts");
}

/** The actions of one kind. */
export function only<K extends CacheAction["kind"]>(
  actions: CacheAction[],
  kind: K,
): Extract<CacheAction, { kind: K }>[] {
  return actions.filter((a): a is Extract<CacheAction, { kind: K }> => a.kind === kind);
}
