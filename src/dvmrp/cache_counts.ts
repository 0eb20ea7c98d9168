/**
 * The kernel entries' packet counts (SIOCGETSGCNT), which tell the cache what it cannot see:
 * whether data still flows through an entry. The kernel asks for an entry once (an upcall) and
 * then forwards without a word, so the cache asks for the counts with `read-counts` and the
 * runtime answers at once with a `counts` event:
 *
 * - at the end of an entry's cache lifetime: an entry whose count grew since the last reading
 *   lives another lifetime; an idle one, or one whose counts cannot be read (it is gone from the
 *   kernel), is deleted. mrouted does the same in age_table_entry.
 * - while our prune is in force (section 3.5.5): counts that grew since the last reading mean
 *   data still arrives from the upstream neighbor, and the prune goes again at the next check.
 *
 * @module
 */

import { refresh, settle } from "./cache_refresh.ts";
import type { CacheEvent } from "./cache_events.ts";
import {
  type CacheGroup,
  type CacheSource,
  type CacheStep,
  COUNTS_WAIT,
  deleteSource,
  describePair,
  findSource,
  log,
  readCounts,
} from "./cache_table.ts";
import { runUpstream } from "./cache_upstream.ts";

/**
 * The group's kernel entries past their lifetime: their counts are asked for, and they wait
 * {@link COUNTS_WAIT} for them; one whose counts were asked for and never came is deleted.
 */
export function expireSources(step: CacheStep, g: CacheGroup): void {
  const due: CacheSource[] = [];
  for (const s of [...g.sources.values()]) {
    if (s.expiresAt > step.now) continue;
    if (s.checking) {
      log(
        step,
        "debug",
        `Cache entry ${describePair(s.source, g.group)} timed out: its counts did not come`,
      );
      deleteSource(step, g, s);
      continue;
    }
    s.checking = true;
    s.expiresAt = step.now + COUNTS_WAIT;
    due.push(s);
  }
  readCounts(step, g, due);
}

/**
 * The counts asked for: each entry's count becomes its last reading; an entry past its
 * lifetime lives on or goes; then each group's prune check, if one waits for them.
 */
export function countsReceived(
  step: CacheStep,
  e: Extract<CacheEvent, { kind: "counts" }>,
): void {
  const grown = new Map<CacheGroup, boolean>();
  const emptied = new Set<CacheGroup>();
  for (const c of e.counts) {
    const found = findSource(step.cache, c.source, c.group);
    if (found === undefined) continue;
    const { g, s } = found;
    // mrouted's test: any count other than the last one read (a new kernel entry counts anew).
    const grew = c.packets !== undefined && c.packets !== (s.packets ?? 0);
    if (c.packets !== undefined) s.packets = c.packets;
    grown.set(g, (grown.get(g) ?? false) || grew);
    if (!s.checking) continue;
    s.checking = false;
    // An entry that our prune holds stays (a prune sent while its counts were awaited).
    if (grew || g.prune !== undefined) {
      s.expiresAt = Math.max(step.now + step.ctx.cacheLifetime, g.prune?.until ?? -Infinity);
      const pair = describePair(s.source, g.group);
      log(step, "debug", `Cache entry ${pair} kept: ${c.packets ?? "no"} packets counted`);
      continue;
    }
    const why = c.packets === undefined ? "its counts cannot be read" : "no data since last read";
    log(step, "debug", `Cache entry ${describePair(s.source, g.group)} timed out: ${why}`);
    deleteSource(step, g, s);
    emptied.add(g);
  }
  for (const [g, grew] of grown) {
    checkPrune(step, g, grew);
    // Its deadline moves later (an entry lives on, or goes): queued anew, the old one stale.
    g.queuedAt = Infinity;
    if (emptied.has(g)) refresh(step, g);
    else settle(step, g);
  }
}

/**
 * The prune check of section 3.5.5: counts that grew are data still arriving, unless they are
 * the baseline read when the prune was sent; at a check, data seen sends the prune again.
 */
function checkPrune(step: CacheStep, g: CacheGroup, grew: boolean): void {
  const p = g.prune;
  if (g.state !== "pruned" || p === undefined) return;
  if (grew && !p.awaitingBaseline) p.dataSeen = true;
  p.awaitingBaseline = false;
  if (!p.checking) return;
  p.checking = false;
  if (p.dataSeen) runUpstream(step, g, "data-arriving");
}
