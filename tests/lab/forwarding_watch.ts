/**
 * Whether the proxy forwarded every datagram of some streams across a window (a reload, a
 * leave, a link going away), judged by the kernel's own counters in the proxy namespace rather
 * than by what a receiving host's agent saw: under emulation an agent can fall seconds behind
 * and lose datagrams in its own socket, which says nothing about the proxy.
 *
 * @example
 * ```ts
 * const forwardedAll = await watchForwarding(lab, { family: 4, iif: "up0", oif: "dn1" });
 * // ... reload the daemon while the stream runs ...
 * await forwardedAll("across the reload");
 * ```
 *
 * @module
 */

import { deepStrictEqual } from "node:assert/strict";
import type { Lab } from "./lab.ts";
import { parseMr6Cache, parseMr6Vif, parseMrCache, parseMrVif } from "./proc.ts";

/** Which streams {@link watchForwarding} watches: a family and two of its interfaces. */
export interface ForwardingPath {
  /** IPv4 (VIFs, `/proc/net/ip_mr_*`) or IPv6 (MIFs, `/proc/net/ip6_mr_*`). */
  family: 4 | 6;
  /** The interface the streams come in on, e.g. `up0`. */
  iif: string;
  /** The interface they go out on, e.g. `dn1`. */
  oif: string;
}

/** The counters of one reading: the cache, the interface table, the cache again. */
export interface ForwardingCounts {
  /** Packets in on iif, at the reading of the interface table. */
  in: number;
  /** Packets out on oif, then. */
  out: number;
  /**
   * Resolved entries from iif, by `origin group`: their packets and whether oif is an oif, read
   * just before the interface table and just after (a packet counts in its entry and on iif at
   * once, so the interface table's moment lies between the two).
   */
  before: Map<string, Entry>;
  after: Map<string, Entry>;
}

/** One resolved entry's counter and whether it forwards to the watched oif. */
export interface Entry {
  packets: number;
  toOif: boolean;
}

/** Packets between an entry's counter and an interface's (the same packet, a few steps apart). */
const SLACK = 2;

/** Reads the cache, the interface table and the cache again, one right after the other. */
async function readCounts(lab: Lab, path: ForwardingPath): Promise<ForwardingCounts> {
  const six = path.family === 6 ? "6" : "";
  const read = (table: string) => lab.readProc(lab.ns.proxy, `/proc/net/ip${six}_mr_${table}`);
  const [cacheBefore, vifText, cacheAfter] = [
    await read("cache"),
    await read("vif"),
    await read("cache"),
  ];
  const table = path.family === 4 ? parseMrVif(vifText) : parseMr6Vif(vifText);
  const index = (v: (typeof table)[number]) => "vif" in v ? v.vif : v.mif;
  const find = (name: string) => {
    const v = table.find((x) => x.name === name);
    if (v === undefined) throw new Error(`No ${path.family === 4 ? "VIF" : "MIF"} for ${name}`);
    return v;
  };
  const [iif, oif] = [find(path.iif), find(path.oif)];
  const entries = (text: string) => {
    const cache = path.family === 4 ? parseMrCache(text) : parseMr6Cache(text);
    const map = new Map<string, Entry>();
    for (const e of cache) {
      if (e.iif !== index(iif)) continue;
      map.set(`${e.origin} ${e.group}`, {
        packets: e.packets,
        toOif: e.oifs.some((o) => o.vif === index(oif)),
      });
    }
    return map;
  };
  return {
    in: iif.pktsIn,
    out: oif.pktsOut,
    before: entries(cacheBefore),
    after: entries(cacheAfter),
  };
}

/** The packets of `keys` from `from` to `to` (an entry new in `to` counts from 0). */
function grown(from: Map<string, Entry>, to: Map<string, Entry>, keys: Iterable<string>): number {
  let n = 0;
  for (const k of keys) n += (to.get(k)?.packets ?? 0) - (from.get(k)?.packets ?? 0);
  return n;
}

/**
 * What went wrong between two readings of the counters, in words; empty when the proxy
 * forwarded every datagram of the streams from iif to oif without a break:
 *
 * - every entry that forwarded from iif to oif at the start still does at the end;
 * - no entry from iif went away or started again: the packets its entries counted add up to
 *   the packets that came in on iif (an entry deleted and added again counts fewer);
 * - their packets all went out on oif (an oif taken out of an entry for a moment sends fewer);
 * - and some came.
 */
export function forwardingProblems(
  start: ForwardingCounts,
  end: ForwardingCounts,
  path: ForwardingPath,
): string[] {
  const problems: string[] = [];
  const route = `${path.iif} → ${path.oif}`;
  const watched = [...start.after].filter(([, e]) => e.toOif).map(([k]) => k);
  for (const k of start.after.keys()) {
    if (!end.before.has(k)) problems.push(`the entry (${k}) from ${path.iif} went away`);
  }
  for (const k of watched) {
    if (end.before.get(k)?.toOif === false) problems.push(`${path.oif} left the entry (${k})`);
  }
  // At the interface table's moment, each entry's count lies between its two readings. (An
  // entry that went away is named above.)
  const keys = end.after.keys();
  const countedAtMost = grown(start.before, end.after, keys);
  const came = end.in - start.in;
  if (came > countedAtMost + SLACK) {
    problems.push(
      `${came} datagrams came in on ${path.iif}, its entries counted at most ` +
        `${countedAtMost}: an entry was added again`,
    );
  }
  const forwarded = grown(start.after, end.before, watched);
  const sent = end.out - start.out;
  if (grown(start.before, end.after, watched) <= 0) problems.push(`no datagram came ${route}`);
  else if (sent < forwarded - SLACK) {
    problems.push(`${forwarded} datagrams came ${route}, ${sent} went out on ${path.oif}`);
  }
  return problems;
}

/**
 * Starts watching the streams that come in on `path.iif` and go out on `path.oif`; the function
 * it resolves to asserts that, since, the proxy forwarded every one of their datagrams onto
 * `oif` without a break ({@link forwardingProblems}). `what` names the window in the message.
 */
export async function watchForwarding(
  lab: Lab,
  path: ForwardingPath,
): Promise<(what: string) => Promise<void>> {
  const start = await readCounts(lab, path);
  return async (what) => {
    const problems = forwardingProblems(start, await readCounts(lab, path), path);
    deepStrictEqual(problems, [], `${what}: ${problems.join("; ")}`);
  };
}
