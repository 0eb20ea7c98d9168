/**
 * The DVMRP forwarding cache (draft-ietf-idmr-dvmrp-v3-11, "the draft" below, section 3.3):
 * its state, its events and actions, its timer values, and the operations on one entry that
 * the downstream side (cache_oifs.ts), the upstream side (cache_upstream.ts) and the events
 * (cache.ts) share.
 *
 * The kernel's multicast forwarding cache (MFC) holds one entry per (source host, group). Prune
 * state is per (source network, group), the network being the route's (section 3.5.2). So the
 * cache is kept as mrouted keeps it: a {@link CacheGroup} per (route, group), the "Origin" and
 * "Mcast-group" of mrouted's cache table, holding a {@link CacheSource} per kernel entry, the
 * prunes received from dependent neighbors and the prune or graft sent upstream.
 *
 * Pure: every timer is a deadline in the state, `now` is passed in, what the runtime must do
 * is returned as {@link CacheAction}s, and what is randomized draws from a seeded generator in
 * the state. Times are milliseconds, as everywhere in the core.
 *
 * @module
 */

import { mulberry32 } from "../core/random.ts";
import { TimerHeap } from "../core/timer_heap.ts";
import type { Oif } from "../core/actions.ts";
import { formatIPv4 } from "../proto/addr.ts";
import type { CacheAction, CacheContext } from "./cache_events.ts";
import { type RouteEntry, routeKey } from "./route_table.ts";

/** Graft Retransmission Time, 5 s, doubled at each retransmission (section 3.6.1, Appendix A). */
export const GRAFT_RETRANSMISSION_TIME = 5_000;
/**
 * Prune Retransmission Time, 3 s, doubled at each look for data still arriving (section 3.5.5,
 * Appendix A).
 */
export const PRUNE_RETRANSMISSION_TIME = 3_000;

/**
 * How long after a prune its baseline packet counts are read, 1 s: the datagrams already on
 * their way when the upstream neighbor took the prune have come in by then.
 */
export const PRUNE_BASELINE_DELAY = 1_000;
/**
 * How long the cache waits for the packet counts it asked for (the runtime answers at once):
 * an entry past its lifetime whose counts never came is deleted then.
 */
export const COUNTS_WAIT = 1_000;
/** The default prune lifetime, 2 hours (section 3.5.6; mrouted's `prune_lifetime` 7200). */
export const DEFAULT_PRUNE_LIFETIME = 7_200_000;
/** The default lifetime of a cache entry, 5 minutes (mrouted's `cache_lifetime` 300). */
export const DEFAULT_CACHE_LIFETIME = 300_000;
/** The most kernel entries the cache holds; upcalls beyond are dropped. */
export const MAX_CACHE_ENTRIES = 65_536;
/**
 * The most prunes one row keeps (its network's and its sources' together): a neighbor's
 * prunes past it are ignored (`prunesIgnored`).
 */
export const MAX_PRUNES_PER_ROW = 1024;

/** Where the entry stands with its upstream neighbor (sections 3.5.4, 3.6). */
export type UpstreamState =
  /** No prune sent, or it expired: the upstream neighbor forwards to us. */
  | "forwarding"
  /** A prune sent is in force. */
  | "pruned"
  /** A graft sent awaits its ack. */
  | "grafting";

/**
 * The prune we sent upstream, and its retransmission (section 3.5.5): at each check, the kernel
 * entries' packet counts are read; if they grew since the last reading, or the kernel asked for
 * an entry meanwhile, data still arrives and the prune goes again with its remaining lifetime.
 */
export interface SentPrune {
  /** The upstream neighbor. */
  readonly to: number;
  /** The interface it is on (the entry's parent). */
  readonly vif: number;
  /** The lifetime sent first. */
  readonly lifetimeSeconds: number;
  /** When it expires at the upstream neighbor. */
  readonly until: number;
  /** The wait before the check after next, doubled at each check (before randomization). */
  interval: number;
  /** When data still arriving is checked next (Infinity: no more checks). */
  nextCheckAt: number;
  /** When the baseline counts are read (Infinity: read already). */
  baselineAt: number;
  /** The baseline counts asked for are awaited. */
  awaitingBaseline: boolean;
  /** The counts asked for at a check are awaited. */
  checking: boolean;
  /** Data arrived since the last check: a new entry, or counts that grew. */
  dataSeen: boolean;
  /** How many times it was sent again. */
  retransmissions: number;
}

/** The graft we sent upstream, awaiting its ack. */
export interface PendingGraft {
  /** The upstream neighbor. */
  readonly to: number;
  /** The interface it is on. */
  readonly vif: number;
  /** The wait before the next retransmission, doubled after each. */
  interval: number;
  /** When it is retransmitted. */
  nextAt: number;
  /** When the prune it cancels would have expired anyway: retransmission stops. */
  readonly until: number;
}

/** A prune received from a dependent neighbor (section 3.5.3). */
export interface ReceivedPrune {
  /** The interface it came on. */
  readonly vif: number;
  /** The neighbor that sent it. */
  readonly neighbor: number;
  /** What it prunes: the route's source network, or one source host (length 32). */
  readonly source: number;
  /** The prefix length of {@link ReceivedPrune.source}. */
  readonly prefixLength: number;
  /** When it expires. */
  expiresAt: number;
}

/** A kernel entry: one source host of the entry's network. */
export interface CacheSource {
  /** The source host. */
  readonly source: number;
  /** When the kernel first asked for it. */
  readonly createdAt: number;
  /**
   * When the kernel entry's lifetime ends (cache lifetime; held while a prune is in force): its
   * packet counts are read then, and it lives on if they grew.
   */
  expiresAt: number;
  /** The packet count at the last reading (undefined: never read; counts as 0). */
  packets: number | undefined;
  /** Its lifetime ended and its counts are awaited (until `expiresAt`). */
  checking: boolean;
  /** The outgoing interfaces installed, with their TTL thresholds. */
  oifs: Oif[];
  /** The parent and outgoing interfaces installed, as a key (undefined: not installed yet). */
  installed: string | undefined;
}

/** How an interface appears in the cache table (mrouted's Forwvifs). */
export type DownstreamFlag =
  /** Forwarded onto. */
  | ""
  /** Pruned: every dependent neighbor there sent a prune, and no members. */
  | "p"
  /** An administrative boundary for the group. */
  | "b";

/** One (source network, group): mrouted's group table entry. */
export interface CacheGroup {
  /** The route's source network (mrouted's Origin). */
  readonly source: number;
  /** Its prefix length. */
  readonly prefixLength: number;
  /** The group. */
  readonly group: number;
  /** When it was created (the Age). */
  readonly createdAt: number;
  /** The incoming (RPF) interface: the route's (section 3.3.2). */
  parent: number;
  /** The upstream neighbor (undefined: the source network is directly connected). */
  upstream: number | undefined;
  /** The kernel entries, by source host. */
  readonly sources: Map<number, CacheSource>;
  /** The prunes received and in force. */
  prunes: ReceivedPrune[];
  /** Where it stands upstream. */
  state: UpstreamState;
  /** The prune sent, while `state` is `pruned`. */
  prune: SentPrune | undefined;
  /** The graft sent, while `state` is `grafting`. */
  graft: PendingGraft | undefined;
  /** The downstream interfaces as last computed, for the cache table. */
  downstream: Map<number, DownstreamFlag>;
  /** The deadline of its live entry in the timer heap (Infinity: none). */
  queuedAt: number;
  /** Set once removed: its timer entries are stale. */
  deleted: boolean;
}

/** Counters of the upcalls the cache did not turn into an entry, and more. */
export interface CacheCounters {
  /** Upcalls received. */
  upcalls: number;
  /** Upcalls for a source without a reachable route: dropped. */
  noRoute: number;
  /** Upcalls from an interface other than the route's: installed with the route's parent. */
  wrongVif: number;
  /** Upcalls dropped because the cache was full. */
  overflow: number;
  /** Prunes received and ignored (not a dependent, no entry, a wrong netmask, pruning off). */
  prunesIgnored: number;
}

/** A group's entry in the timer heap. */
export interface CacheTimer {
  /** The deadline. */
  at: number;
  /** The group. */
  group: CacheGroup;
}

/** The cache. */
export interface CacheState {
  /** Groups by group address, then by route key (`routeKey` of route_table.ts). */
  readonly groups: Map<number, Map<number, CacheGroup>>;
  /** Groups by route key. */
  readonly byRoute: Map<number, Set<CacheGroup>>;
  /** Group deadlines; stale entries are skipped when due. */
  readonly timers: TimerHeap<CacheTimer>;
  /** The most kernel entries held. */
  readonly maxEntries: number;
  /** Kernel entries held. */
  entries: number;
  /** Set when the full cache was reported; cleared when it has drained by a tenth. */
  overflowLogged: boolean;
  /** Counters for the status view. */
  readonly counters: CacheCounters;
  /** Draws in [0, 1) for what is randomized: prune lifetimes, retransmission intervals. */
  readonly random: () => number;
}

/** What one step works with and collects. */
export interface CacheStep {
  /** The cache. */
  readonly cache: CacheState;
  /** The daemon's other tables. */
  readonly ctx: CacheContext;
  /** The event's time. */
  readonly now: number;
  /** The actions, in order. */
  readonly out: CacheAction[];
  /** The kernel entries whose counts to read, asked for in one `read-counts` at the end. */
  readonly readings: { source: number; group: number }[];
}

/** The limits of a new cache. */
export interface CacheOptions {
  /** The most kernel entries ({@link MAX_CACHE_ENTRIES} by default). */
  maxEntries?: number;
  /** The seed of the draws (0 by default): the runtime gives one per start. */
  seed?: number;
  /** The draws in [0, 1), instead of the seeded generator (tests). */
  random?: () => number;
}

/** An empty cache. */
export function createCache(options: CacheOptions = {}): CacheState {
  return {
    groups: new Map(),
    byRoute: new Map(),
    timers: new TimerHeap(),
    maxEntries: options.maxEntries ?? MAX_CACHE_ENTRIES,
    entries: 0,
    overflowLogged: false,
    counters: { upcalls: 0, noRoute: 0, wrongVif: 0, overflow: 0, prunesIgnored: 0 },
    random: options.random ?? mulberry32(options.seed ?? 0),
  };
}

/**
 * Our prune lifetime randomized to prevent synchronization (sections 3.5.4 step 4, 3.5.6):
 * between half of it and all of it. mrouted draws between half and one and a half times it;
 * the draft's Prune Lifetime is at most the default, 2 hours (Appendix A), so we draw below.
 */
export function randomizedPruneLifetime(cache: CacheState, lifetime: number): number {
  return lifetime - cache.random() * lifetime / 2;
}

/**
 * A retransmission interval randomized to prevent synchronization (section 3.5.5): between
 * half of it and one and a half times it, as mrouted's JITTERED_VALUE.
 */
export function randomizedInterval(cache: CacheState, interval: number): number {
  return interval / 2 + cache.random() * interval;
}

/** "(10.1.0.0/16, 239.1.1.1)": a group's origin and group for the log. */
export function describeGroup(g: CacheGroup): string {
  return `(${formatIPv4(g.source)}/${g.prefixLength}, ${formatIPv4(g.group)})`;
}

/** "(192.168.1.10, 239.1.1.1)": a kernel entry's source and group for the log. */
export function describePair(source: number, group: number): string {
  return `(${formatIPv4(source)}, ${formatIPv4(group)})`;
}

/** "10.0.1.2 on vif 1": a neighbor for the log. */
export function describeNeighbor(neighbor: number, vif: number): string {
  return `${formatIPv4(neighbor)} on vif ${vif}`;
}

/** Adds a log line. */
export function log(step: CacheStep, level: "info" | "debug" | "warn", message: string): void {
  step.out.push({ kind: "log", level, message });
}

/**
 * The group's earliest deadline: a kernel entry, a received prune, the prune sent (its expiry
 * or its next check), the graft sent.
 */
export function groupDeadline(g: CacheGroup): number {
  let at = Math.min(
    g.prune?.until ?? Infinity,
    g.prune?.nextCheckAt ?? Infinity,
    g.prune?.baselineAt ?? Infinity,
    g.graft?.nextAt ?? Infinity,
  );
  for (const s of g.sources.values()) at = Math.min(at, s.expiresAt);
  for (const p of g.prunes) at = Math.min(at, p.expiresAt);
  return at;
}

/** Queues the group's earliest deadline unless an entry at or before it is queued. */
export function schedule(cache: CacheState, g: CacheGroup): void {
  const at = groupDeadline(g);
  if (at === Infinity || at >= g.queuedAt) return;
  g.queuedAt = at;
  cache.timers.push({ at, group: g });
}

/** The key of a group's route in {@link CacheState.groups} and {@link CacheState.byRoute}. */
export function groupRouteKey(g: { source: number; prefixLength: number }): number {
  return routeKey(g.source, g.prefixLength);
}

/** The group for (the route's source network, group address), if any. */
export function findGroup(
  cache: CacheState,
  route: { source: number; prefixLength: number },
  group: number,
): CacheGroup | undefined {
  return cache.groups.get(group)?.get(groupRouteKey(route));
}

/** A new group for the route, in the indexes, forwarding. */
export function addGroup(
  cache: CacheState,
  route: RouteEntry,
  group: number,
  now: number,
): CacheGroup {
  const key = groupRouteKey(route);
  const g: CacheGroup = {
    source: route.source,
    prefixLength: route.prefixLength,
    group,
    createdAt: now,
    parent: route.vif,
    upstream: route.upstream,
    sources: new Map(),
    prunes: [],
    state: "forwarding",
    prune: undefined,
    graft: undefined,
    downstream: new Map(),
    queuedAt: Infinity,
    deleted: false,
  };
  let byKey = cache.groups.get(group);
  if (byKey === undefined) cache.groups.set(group, byKey = new Map());
  byKey.set(key, g);
  let set = cache.byRoute.get(key);
  if (set === undefined) cache.byRoute.set(key, set = new Set());
  set.add(g);
  return g;
}

/** Removes a group from the indexes (its kernel entries must be gone). */
export function removeGroup(cache: CacheState, g: CacheGroup): void {
  const key = groupRouteKey(g);
  g.deleted = true;
  const byKey = cache.groups.get(g.group);
  if (byKey?.get(key) === g) {
    byKey.delete(key);
    if (byKey.size === 0) cache.groups.delete(g.group);
  }
  const set = cache.byRoute.get(key);
  if (set?.delete(g) && set.size === 0) cache.byRoute.delete(key);
}

/** A kernel entry for `source` in the group; not installed until the group is refreshed. */
export function addSource(step: CacheStep, g: CacheGroup, source: number): CacheSource {
  const s: CacheSource = {
    source,
    createdAt: step.now,
    expiresAt: Math.max(step.now + step.ctx.cacheLifetime, g.prune?.until ?? -Infinity),
    packets: undefined,
    checking: false,
    oifs: [],
    installed: undefined,
  };
  g.sources.set(source, s);
  step.cache.entries++;
  return s;
}

/** Deletes a kernel entry (del-mfc) from the group. */
export function deleteSource(step: CacheStep, g: CacheGroup, s: CacheSource): void {
  if (!g.sources.delete(s.source)) return;
  const { cache } = step;
  cache.entries--;
  if (cache.entries <= cache.maxEntries - Math.ceil(cache.maxEntries / 10)) {
    cache.overflowLogged = false;
  }
  step.out.push({ kind: "del-mfc", source: s.source, group: g.group });
}

/** Asks for the kernel entries' packet counts, in the step's one `read-counts`. */
export function readCounts(step: CacheStep, g: CacheGroup, sources: Iterable<CacheSource>): void {
  for (const s of sources) step.readings.push({ source: s.source, group: g.group });
}

/** The group holding the kernel entry for (source, group), with the entry, if any. */
export function findSource(
  cache: CacheState,
  source: number,
  group: number,
): { g: CacheGroup; s: CacheSource } | undefined {
  for (const g of cache.groups.get(group)?.values() ?? []) {
    const s = g.sources.get(source);
    if (s !== undefined) return { g, s };
  }
  return undefined;
}

/** Whether the group holds nothing: no kernel entry, no prune received, nothing upstream. */
export function isIdle(g: CacheGroup): boolean {
  return g.sources.size === 0 && g.prunes.length === 0 && g.state === "forwarding";
}
