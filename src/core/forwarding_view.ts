/**
 * The forwarding view of one family (`show forwarding`): the installed (S,G) entries with their
 * kernel counters and rates, and the sources known without an entry. Its JSON schema is part of
 * version 1 of the status views (see `status_view.ts`).
 *
 * @example
 * ```ts
 * let previous = new Map<string, ForwardingSample>();
 * const { view, samples } = forwardingView(state, counters, now, previous);
 * previous = samples; // the next call's rates cover the time since this one
 * ```
 *
 * @module
 */

import { type DumpCounters, installedEntries } from "./dump.ts";
import type { Address, Family } from "./family.ts";
import type { ProxyState } from "./state.ts";
import { type FamilyName, toSeconds } from "./status_view.ts";
import { compareAddresses } from "./subnet.ts";

/** A VIF an entry names. */
export interface VifRef {
  vif: number;
  /** Its interface name; null if the VIF is gone. */
  name: string | null;
}

/** An installed (S,G) entry. */
export interface ForwardingEntryView {
  source: string;
  group: string;
  /** Where its data arrives. */
  input: VifRef;
  /** Where it is forwarded, in VIF order. */
  outputs: VifRef[];
  /** Kernel counters; null when they could not be read. */
  packets: number | null;
  bytes: number | null;
  /**
   * Packets and bytes per second, one decimal: since the previous sample when the caller has
   * one, else on average since the entry was installed; null without counters or time.
   */
  packetRate: number | null;
  byteRate: number | null;
  /** Seconds since it was installed. */
  age: number;
}

/** A source known from upcalls without an entry (no LAN wants it yet). */
export interface WaitingSourceView {
  source: string;
  group: string;
  /** Where its data arrives. */
  input: VifRef;
  /** Seconds since its last upcall. */
  idle: number;
}

/** `show forwarding` of one family. */
export interface ForwardingView {
  family: FamilyName;
  /** By group, then source. */
  entries: ForwardingEntryView[];
  /** By group, then source. */
  waiting: WaitingSourceView[];
}

/** An entry's counters at a time, to compute its rates from at the next view. */
export interface ForwardingSample {
  packets: number;
  bytes: number;
  /** When they were read (ms, the clock of `now`). */
  at: number;
}

/** What {@link forwardingView} returns: the view, and the samples for the next call. */
export interface ForwardingResult {
  view: ForwardingView;
  /** Each entry's counters now, by {@link sampleKey}; entries without counters have none. */
  samples: Map<string, ForwardingSample>;
}

/**
 * The installed entries with their counters and rates, then the sources waiting without an
 * entry. `previous` holds the samples a former call returned (by {@link sampleKey}): an entry's
 * rate covers the time since its sample, or, without one (or one older than the entry, or with
 * counters that went down), the time since it was installed.
 */
export function forwardingView<A extends Address>(
  state: ProxyState<A>,
  counters: DumpCounters<A>,
  now: number,
  previous?: ReadonlyMap<string, ForwardingSample>,
): ForwardingResult {
  const { family } = state;
  const samples = new Map<string, ForwardingSample>();
  const entries = installedEntries(state).map(({ source, group }): ForwardingEntryView => {
    const installed = state.sources.get(group)!.get(source)!.installed!;
    const c = counters.entries.get(group)?.get(source);
    const key = sampleKey(family, source, group);
    let packetRate: number | null = null;
    let byteRate: number | null = null;
    if (c !== undefined) {
      samples.set(key, { packets: c.packets, bytes: c.bytes, at: now });
      const p = previous?.get(key);
      const fresh = p !== undefined && p.at >= installed.since && p.at < now &&
        p.packets <= c.packets && p.bytes <= c.bytes;
      const from = fresh ? p : { packets: 0, bytes: 0, at: installed.since };
      if (now > from.at) {
        packetRate = rate(c.packets - from.packets, now - from.at);
        byteRate = rate(c.bytes - from.bytes, now - from.at);
      }
    }
    return {
      source: family.format(source),
      group: family.format(group),
      input: vifRef(state, installed.parent),
      outputs: installed.oifs.map((v) => vifRef(state, v)),
      packets: c?.packets ?? null,
      bytes: c?.bytes ?? null,
      packetRate,
      byteRate,
      age: toSeconds(now - installed.since),
    };
  });
  const waiting: WaitingSourceView[] = [];
  for (const group of [...state.sources.keys()].sort(compareAddresses)) {
    const bySource = state.sources.get(group)!;
    for (const source of [...bySource.keys()].sort(compareAddresses)) {
      const s = bySource.get(source)!;
      if (s.installed !== undefined) continue;
      waiting.push({
        source: family.format(source),
        group: family.format(group),
        input: vifRef(state, s.iif),
        idle: toSeconds(now - s.lastSeen),
      });
    }
  }
  return { view: { family: family.name, entries, waiting }, samples };
}

/** The key of an entry's sample: `source group`, as the family prints them. */
export function sampleKey<A extends Address>(family: Family<A>, source: A, group: A): string {
  return `${family.format(source)} ${family.format(group)}`;
}

function vifRef<A extends Address>(state: ProxyState<A>, vifi: number): VifRef {
  return { vif: vifi, name: state.vifs.get(vifi)?.name ?? null };
}

/** A count over `ms` as a rate per second, one decimal. */
function rate(n: number, ms: number): number {
  return Math.round(n * 10_000 / ms) / 10;
}
