/**
 * Reading the kernel's counters of one family: the packets of forwarding entries, which the
 * core samples to remove idle entries, and the counters of VIFs and entries the status dump
 * shows. A counter that cannot be read is left out (the core keeps the entry, the dump prints
 * `-`) and the failure is a debug line: an entry or VIF may vanish between two calls.
 *
 * @module
 */

import type { LogLevel } from "../core/actions.ts";
import {
  type DumpCounters,
  type EntryCounters,
  installedEntries,
  type SourceGroup,
  type VifCounters,
} from "../core/dump.ts";
import type { Address, Family } from "../core/family.ts";
import type { ProxyState } from "../core/proxy.ts";
import { errnoOrMessageOf } from "../log.ts";
import type { FamilyPort, SgCount } from "./sys.ts";

/** What the counters are read with. */
export interface CounterContext<A extends Address> {
  /** The family's port of the OS layer (only its counter calls are used). */
  port: Pick<FamilyPort<A>, "sgCount" | "vifCount">;
  /** The core's side of the family, for the addresses in log lines. */
  family: Family<A>;
  /** Where a counter that cannot be read is told (at debug level). */
  log: (level: LogLevel, message: string) => void;
}

/**
 * The packet counts of these entries for the core's `mfc-counters` event: the packets that
 * came in on the entry's input interface (Linux counts those on another one too, then drops
 * them and counts them again as `wrong_if`). An entry whose counters cannot be read has no
 * `packets`.
 */
export function readPacketCounts<A extends Address>(
  ctx: CounterContext<A>,
  entries: readonly SourceGroup<A>[],
): { source: A; group: A; packets?: number }[] {
  return entries.map(({ source, group }) => {
    const counts = readEntry(ctx, source, group);
    if (counts === undefined) return { source, group };
    return { source, group, packets: counts.packets - counts.wrongIf };
  });
}

/** The counters of every VIF in use, then of every installed entry, for the status dump. */
export function readDumpCounters<A extends Address>(
  ctx: CounterContext<A>,
  state: ProxyState<A>,
): DumpCounters<A> {
  const vifs = new Map<number, VifCounters>();
  for (const vifi of state.vifs.keys()) {
    try {
      vifs.set(vifi, ctx.port.vifCount(vifi));
    } catch (err) {
      ctx.log(
        "debug",
        `Cannot read the counters of ${ctx.family.vifWord} ${vifi}: ${errnoOrMessageOf(err)}`,
      );
    }
  }
  const entries = new Map<A, Map<A, EntryCounters>>();
  for (const { source, group } of installedEntries(state)) {
    const counts = readEntry(ctx, source, group);
    if (counts === undefined) continue;
    let bySource = entries.get(group);
    if (bySource === undefined) entries.set(group, bySource = new Map());
    bySource.set(source, { packets: counts.packets, bytes: counts.bytes });
  }
  return { vifs, entries };
}

/** One entry's counters, or `undefined` (and a debug line) when they cannot be read. */
function readEntry<A extends Address>(
  ctx: CounterContext<A>,
  source: A,
  group: A,
): SgCount | undefined {
  try {
    return ctx.port.sgCount(source, group);
  } catch (err) {
    const { format } = ctx.family;
    ctx.log(
      "debug",
      `Cannot read the counters of (${format(source)}, ${format(group)}): ${errnoOrMessageOf(err)}`,
    );
    return undefined;
  }
}
