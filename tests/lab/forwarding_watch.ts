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

/** The counters of one reading. */
export interface ForwardingCounts {
  /** Packets in on iif. */
  in: number;
  /** Packets out on oif. */
  out: number;
  /** Resolved entries from iif, by `origin group`: their packets, whether oif is an oif. */
  entries: Map<string, { packets: number; toOif: boolean }>;
}

/** Datagrams that may come between the reads of the interface table and of the cache. */
const SLACK = 5;

/** Reads the interface table and then the cache, in one process, one right after the other. */
async function readCounts(lab: Lab, path: ForwardingPath): Promise<ForwardingCounts> {
  const six = path.family === 6 ? "6" : "";
  const r = await lab.exec(lab.ns.proxy, [
    "sh",
    "-c",
    `cat /proc/net/ip${six}_mr_vif /proc/net/ip${six}_mr_cache`,
  ]);
  if (r.code !== 0) throw new Error(`Cannot read the forwarding tables: ${r.stderr}`);
  const split = r.stdout.search(/^Group\s/m);
  const [vifText, cacheText] = [r.stdout.slice(0, split), r.stdout.slice(split)];
  const table = path.family === 4 ? parseMrVif(vifText) : parseMr6Vif(vifText);
  const find = (name: string) => {
    const v = table.find((x) => x.name === name);
    if (v === undefined) throw new Error(`No ${path.family === 4 ? "VIF" : "MIF"} for ${name}`);
    return v;
  };
  const index = (v: (typeof table)[number]) => "vif" in v ? v.vif : v.mif;
  const [iif, oif] = [find(path.iif), find(path.oif)];
  const cache = path.family === 4 ? parseMrCache(cacheText) : parseMr6Cache(cacheText);
  const entries = new Map<string, { packets: number; toOif: boolean }>();
  for (const e of cache) {
    if (e.iif !== index(iif)) continue;
    entries.set(`${e.origin} ${e.group}`, {
      packets: e.packets,
      toOif: e.oifs.some((o) => o.vif === index(oif)),
    });
  }
  return { in: iif.pktsIn, out: oif.pktsOut, entries };
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
  const watched = [...start.entries].filter(([, e]) => e.toOif).map(([k]) => k);
  for (const k of start.entries.keys()) {
    if (!end.entries.has(k)) problems.push(`the entry (${k}) from ${path.iif} went away`);
  }
  for (const k of watched) {
    if (end.entries.get(k)?.toOif === false) problems.push(`${path.oif} left the entry (${k})`);
  }
  let counted = 0;
  for (const [k, e] of end.entries) counted += e.packets - (start.entries.get(k)?.packets ?? 0);
  const came = end.in - start.in;
  if (Math.abs(counted - came) > SLACK) {
    problems.push(
      `${came} datagrams came in on ${path.iif} and its entries counted ${counted}: ` +
        "an entry was added again",
    );
  }
  const forwarded = watched.reduce(
    (n, k) => n + (end.entries.get(k)?.packets ?? 0) - start.entries.get(k)!.packets,
    0,
  );
  const sent = end.out - start.out;
  if (forwarded <= 0) problems.push(`no datagram came ${route}`);
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
