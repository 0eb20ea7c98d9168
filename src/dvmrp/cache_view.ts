/**
 * The forwarding cache as the views show it: mrouted's cache table (its USR2 dump), one row per
 * (source network, group) with the kernel entries under it.
 *
 * ```
 *  Origin             Mcast-group     CTmr  Age Ptmr IVif Forwvifs
 *  198.106.194/24     224.2.135.190     9m  28s   9m  0P  1p 2b
 * >198.106.194.22
 * ```
 *
 * CTmr is the time until the row goes, Age the time since it was made, Ptmr the time left of
 * the prune we sent upstream ("-": none); a "P" after the incoming vif (IVif) marks that prune.
 * Forwvifs lists the interfaces where we are the designated forwarder: forwarded onto, "p"
 * pruned by every dependent neighbor there, "b" an administrative boundary for the group; a
 * leaf without members is not listed. The lines starting with ">" are the sources.
 *
 * @module
 */

import type { Oif } from "../core/actions.ts";
import type {
  CacheCounters,
  CacheGroup,
  CacheState,
  DownstreamFlag,
  UpstreamState,
} from "./cache_table.ts";

/** One kernel entry under a row: mrouted's ">" line. */
export interface CacheSourceView {
  /** The source host. */
  readonly source: number;
  /** The time until its kernel entry goes (ms). */
  readonly expiresIn: number;
  /** The time since the kernel asked for it (ms). */
  readonly age: number;
  /** Its outgoing interfaces with their TTL thresholds. */
  readonly oifs: readonly Oif[];
}

/** A prune received, in force. */
export interface ReceivedPruneView {
  /** The interface it came on. */
  readonly vif: number;
  /** The neighbor that sent it. */
  readonly neighbor: number;
  /** What it prunes: the source network, or one host (length 32). */
  readonly source: number;
  /** The prefix length of {@link ReceivedPruneView.source}. */
  readonly prefixLength: number;
  /** The time until it expires (ms). */
  readonly expiresIn: number;
}

/** One row of the cache table: a (source network, group). */
export interface CacheEntryView {
  /** The route's source network (Origin). */
  readonly source: number;
  /** Its prefix length. */
  readonly prefixLength: number;
  /** The group (Mcast-group). */
  readonly group: number;
  /** CTmr: the time until the row goes, unless data or prunes keep it (ms). */
  readonly expiresIn: number;
  /** Age: the time since the row was made (ms). */
  readonly age: number;
  /** Ptmr: the time left of the prune we sent upstream (ms); undefined: none ("-"). */
  readonly prunedFor: number | undefined;
  /** IVif: the incoming interface. */
  readonly parent: number;
  /** The upstream neighbor; undefined for a directly connected source network. */
  readonly upstream: number | undefined;
  /** Where it stands upstream: `pruned` is the "P" after IVif. */
  readonly upstreamState: UpstreamState;
  /** Forwvifs, by interface number, each with its flag. */
  readonly vifs: readonly { vif: number; flag: DownstreamFlag }[];
  /** The kernel entries, by source. */
  readonly sources: readonly CacheSourceView[];
  /** The prunes received and in force. */
  readonly prunes: readonly ReceivedPruneView[];
}

function left(at: number, now: number): number {
  return Math.max(0, at - now);
}

/** The deadline until which the row stays: its last kernel entry, prune or graft. */
function lastDeadline(g: CacheGroup): number {
  let at = Math.max(g.prune?.until ?? -Infinity, g.graft?.until ?? -Infinity);
  for (const s of g.sources.values()) at = Math.max(at, s.expiresAt);
  for (const p of g.prunes) at = Math.max(at, p.expiresAt);
  return at;
}

function viewOf(g: CacheGroup, now: number): CacheEntryView {
  return {
    source: g.source,
    prefixLength: g.prefixLength,
    group: g.group,
    expiresIn: left(lastDeadline(g), now),
    age: now - g.createdAt,
    prunedFor: g.prune === undefined ? undefined : left(g.prune.until, now),
    parent: g.parent,
    upstream: g.upstream,
    upstreamState: g.state,
    vifs: [...g.downstream].map(([vif, flag]) => ({ vif, flag })),
    sources: [...g.sources.values()]
      .sort((a, b) => a.source - b.source)
      .map((s) => ({
        source: s.source,
        expiresIn: left(s.expiresAt, now),
        age: now - s.createdAt,
        oifs: s.oifs,
      })),
    prunes: g.prunes.map((p) => ({
      vif: p.vif,
      neighbor: p.neighbor,
      source: p.source,
      prefixLength: p.prefixLength,
      expiresIn: left(p.expiresAt, now),
    })),
  };
}

/**
 * The cache table at `now`: a row per (source network, group), by group, then source network,
 * then prefix length.
 */
export function cacheEntries(cache: CacheState, now: number): CacheEntryView[] {
  return [...cache.groups.values()]
    .flatMap((byRoute) => [...byRoute.values()])
    .sort((a, b) => a.group - b.group || a.source - b.source || a.prefixLength - b.prefixLength)
    .map((g) => viewOf(g, now));
}

/** The cache's size and counters, for the status view. */
export interface CacheStats extends CacheCounters {
  /** Kernel entries held. */
  readonly entries: number;
  /** Rows: (source network, group)s. */
  readonly groups: number;
}

/** The cache's size and counters. */
export function cacheStats(cache: CacheState): CacheStats {
  let groups = 0;
  for (const set of cache.byRoute.values()) groups += set.size;
  return { ...cache.counters, entries: cache.entries, groups };
}
