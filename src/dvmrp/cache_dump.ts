/**
 * The forwarding cache in the layout of mrouted(8) (what SIGUSR2 writes to the log): the
 * Multicast Routing Cache Table, one row per (origin subnet, group) with its timers (CTmr,
 * Age, Ptmr), its incoming vif (`P` after it: pruned upstream) and its outgoing vifs (`p`:
 * pruned by the neighbors there, `b`: a boundary), then a `>` line per source host.
 *
 * @module
 */

import { formatIPv4 } from "../proto/addr.ts";
import { cacheEntries } from "./cache.ts";
import type { CacheState } from "./cache.ts";
import { formatSubnet } from "./route_dump.ts";

/** A duration as mrouted prints it: `28s`, `9m`, `2h`, `3d`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** The Multicast Routing Cache Table at `now`, one string per line. */
export function describeCacheTable(cache: CacheState, now: number): string[] {
  const rows = cacheEntries(cache, now);
  const lines = [
    `Multicast Routing Cache Table (${rows.length} entries)`,
    " Origin             Mcast-group     CTmr  Age Ptmr IVif Forwvifs",
  ];
  for (const r of rows) {
    const ptmr = r.prunedFor === undefined ? "-" : formatDuration(r.prunedFor);
    const ivif = `${r.parent}${r.upstreamState === "pruned" ? "P" : ""}`;
    const forw = r.vifs.map((v) => `${v.vif}${v.flag}`).join(" ");
    lines.push(
      ` ${formatSubnet(r.source, r.prefixLength).padEnd(18)} ${formatIPv4(r.group).padEnd(15)}` +
        `${formatDuration(r.expiresIn).padStart(5)}${formatDuration(r.age).padStart(5)}` +
        `${ptmr.padStart(5)}  ${ivif.padEnd(4)} ${forw}`.trimEnd(),
    );
    for (const s of r.sources) lines.push(`>${formatIPv4(s.source)}`);
  }
  return lines;
}
