/**
 * The status dump (SIGUSR1) of one protocol family, in the layout of mrouted's dump: the
 * interface table, one row per VIF (MIF for IPv6) with its groups, boundaries and counters below
 * it, then the multicast routing cache table, one row per installed (S,G) entry, then the
 * sources known from upcalls that have no entry.
 *
 * Pure: the runtime reads the kernel's counters and hands them in with `now`.
 *
 * @example
 * ```
 * Virtual Interface Table
 *  Vif  Interface  Local-Address  Subnet       Thresh  Flags
 *    0  up0        10.0.0.1       10.0.0.0/24       1  upstream
 *                         joined: 239.1.1.1
 *                        pkts in: 120 (6240 bytes)
 *                       pkts out: 0 (0 bytes)
 *    1  dn1        10.1.0.1       10.1.0.0/24       1  downstream querier
 *                         groups: 239.1.1.1
 *                     boundaries: 239.255.0.0/16
 *                        pkts in: 0 (0 bytes)
 *                       pkts out: 118 (6136 bytes)
 * Multicast Routing Cache Table (1 entry)
 *  Origin    Mcast-group  Age  Pkts  Bytes  IVif  Forwvifs
 *  10.0.0.2  239.1.1.1    12s   118   6136  0     1
 * ```
 *
 * @module
 */

import { isAnySource } from "./actions.ts";
import type { Address, Family } from "./family.ts";
import { compatibilityMode } from "./group_record.ts";
import type { ProxyState, VifState } from "./proxy.ts";
import { versionCap } from "./state.ts";
import { compareAddresses, networkOf } from "./subnet.ts";
import { type Column, formatAge, renderTable } from "./text_table.ts";

/** A VIF's counters as the kernel keeps them (SIOCGETVIFCNT, SIOCGETMIFCNT_IN6). */
export interface VifCounters {
  /** Packets that arrived on it to be routed. */
  packetsIn: number;
  /** Packets forwarded out of it. */
  packetsOut: number;
  /** Bytes that arrived on it. */
  bytesIn: number;
  /** Bytes forwarded out of it. */
  bytesOut: number;
}

/** An installed entry's counters (SIOCGETSGCNT, SIOCGETSGCNT_IN6). */
export interface EntryCounters {
  /** Packets forwarded. */
  packets: number;
  /** Bytes forwarded. */
  bytes: number;
}

/** The counters read for a dump; what is missing could not be read and prints as `-`. */
export interface DumpCounters<A extends Address = number> {
  /** By VIF number. */
  vifs: ReadonlyMap<number, VifCounters>;
  /** By group, then by source, for the installed entries. */
  entries: ReadonlyMap<A, ReadonlyMap<A, EntryCounters>>;
}

/** An (S,G) pair. */
export interface SourceGroup<A extends Address = number> {
  /** The source. */
  source: A;
  /** The group. */
  group: A;
}

/** The installed entries, by group then source: the ones whose counters a dump shows. */
export function installedEntries<A extends Address>(state: ProxyState<A>): SourceGroup<A>[] {
  const out: SourceGroup<A>[] = [];
  for (const [group, bySource] of state.sources) {
    for (const [source, s] of bySource) if (s.installed !== undefined) out.push({ source, group });
  }
  return out.sort((a, b) =>
    compareAddresses(a.group, b.group) || compareAddresses(a.source, b.source)
  );
}

/**
 * The lines of one family's dump (see the module's example): the interface table ("Virtual
 * Interface Table" with VIFs and TTL thresholds for IPv4, "Multicast Interface Table" with
 * MIFs and no thresholds for IPv6), the cache table with each entry's age since it was
 * installed and its outgoing VIFs (`b` after a VIF where a boundary keeps the group off), and,
 * when there are any, the sources known without an entry, with the time since they were last
 * seen. Lines carry no family prefix and no trailing blanks.
 *
 * @example
 * ```ts
 * const lines = describeDump(state, { vifs: new Map(), entries: new Map() }, now);
 * lines[0]; // "Virtual Interface Table"
 * ```
 */
export function describeDump<A extends Address>(
  state: ProxyState<A>,
  counters: DumpCounters<A>,
  now: number,
): string[] {
  return [
    ...describeVifTable(state, counters, now),
    ...describeCacheTable(state, counters, now),
    ...describeWaitingSources(state, now),
  ];
}

/**
 * A compatibility mode (RFC 3376 section 7.3.2, RFC 3810 section 8.3.2) in IGMP's numbering, as
 * `compatibilityMode` gives it, named as the family's protocol says it: 2 is `IGMPv2` or
 * `MLDv1`, 3 is `IGMPv3` or `MLDv2`.
 */
export function compatibilityName<A extends Address>(family: Family<A>, mode: 1 | 2 | 3): string {
  return family.versionName(family.latestVersion - (3 - mode));
}

/** `Vif` or `Mif`, as the column headers spell the family's word. */
function vifColumn<A extends Address>(family: Family<A>): string {
  return family.vifWord.charAt(0) + family.vifWord.slice(1).toLowerCase();
}

function describeVifTable<A extends Address>(
  state: ProxyState<A>,
  counters: DumpCounters<A>,
  now: number,
): string[] {
  const { family } = state;
  const vifs = [...state.vifs.values()].sort((a, b) => a.vifi - b.vifi);
  const columns: Column[] = [
    { title: vifColumn(family), right: true },
    { title: "Interface" },
    { title: "Local-Address" },
    { title: "Subnet" },
    ...(family.thresholds ? [{ title: "Thresh", right: true }] : []),
    { title: "Flags" },
  ];
  const rows = vifs.map((vif) => [
    String(vif.vifi),
    vif.name,
    family.format(vif.address),
    vif.subnets.length === 0 ? "-" : family.formatSubnet(networkOf(vif.subnets[0])),
    ...(family.thresholds ? [String(vif.threshold)] : []),
    describeFlags(family, vif),
  ]);
  const table = renderTable(columns, rows);
  const title = family.vifWord === "VIF" ? "Virtual Interface Table" : "Multicast Interface Table";
  const lines = [title, table.header];
  // The details go under the Subnet column, their labels right-aligned before it.
  const at = table.starts[3];
  const detail = (label: string, values: string[]) => {
    values.forEach((v, i) => lines.push(`${(i === 0 ? label : "").padStart(at - 1)} ${v}`));
  };
  vifs.forEach((vif, i) => {
    lines.push(table.rows[i]);
    for (const s of vif.subnets.slice(1)) {
      lines.push(" ".repeat(at) + family.formatSubnet(networkOf(s)));
    }
    detail("sources:", vif.sources.map((s) => family.formatSubnet(s)));
    if (vif.role === "downstream") {
      detail(
        "groups:",
        sorted(vif.groups.keys()).flatMap((g) => describeGroup(state, vif, g, now)),
      );
    } else {detail(
        "joined:",
        sorted(state.upstreamJoined.keys()).map((a) => {
          const f = state.upstreamJoined.get(a)!;
          const sources = f.sources.map((s) => family.format(s)).join(", ");
          return isAnySource(f) ? family.format(a) : `${family.format(a)} ${f.mode} ${sources}`;
        }),
      );}
    detail("boundaries:", vif.boundaries.map((b) => family.formatSubnet(b)));
    const c = counters.vifs.get(vif.vifi);
    detail("pkts in:", [c === undefined ? "-" : `${c.packetsIn} (${c.bytesIn} bytes)`]);
    detail("pkts out:", [c === undefined ? "-" : `${c.packetsOut} (${c.bytesOut} bytes)`]);
  });
  return lines;
}

/**
 * A group of a LAN: its filter mode (with the group timer in EXCLUDE mode), its compatibility
 * version, then one line per source with its timer, e.g.
 * `232.1.1.1 INCLUDE IGMPv3` and `  10.0.0.2 4m19s`; `  10.0.0.3 excluded`.
 */
function describeGroup<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  group: A,
  now: number,
): string[] {
  const { family } = state;
  const g = vif.groups.get(group)!;
  const version = compatibilityName(family, compatibilityMode(g, now, versionCap(state, vif)));
  const timer = g.mode === "EXCLUDE" ? ` ${formatAge(g.groupTimer - now)}` : "";
  const lines = [`${family.format(group)} ${g.mode}${timer} ${version}`];
  for (const source of sorted(g.sources.keys())) {
    const t = g.sources.get(source)!.timer;
    lines.push(`  ${family.format(source)} ${t === 0 ? "excluded" : formatAge(t - now)}`);
  }
  return lines;
}

/** `upstream`, or `downstream querier` / `downstream querier 10.1.0.11` (the other querier). */
/**
 * A VIF's flags: its role, the querier, and the query version when it is not the latest (as
 * mrouted flags an `IGMPv1` vif), e.g. `downstream querier 10.1.0.5 IGMPv1`.
 */
function describeFlags<A extends Address>(family: Family<A>, vif: VifState<A>): string {
  if (vif.role === "upstream") return "upstream";
  const flags = vif.querier
    ? "downstream querier"
    : `downstream querier ${family.format(vif.otherQuerier)}`;
  return vif.queryVersion === family.latestVersion
    ? flags
    : `${flags} ${family.versionName(vif.queryVersion)}`;
}

function describeCacheTable<A extends Address>(
  state: ProxyState<A>,
  counters: DumpCounters<A>,
  now: number,
): string[] {
  const { family } = state;
  const word = vifColumn(family);
  const entries = installedEntries(state);
  const rows = entries.map(({ source, group }) => {
    const s = state.sources.get(group)!.get(source)!;
    const installed = s.installed!;
    const c = counters.entries.get(group)?.get(source);
    return [
      family.format(source),
      family.format(group),
      formatAge(now - installed.since),
      count(c?.packets),
      count(c?.bytes),
      String(installed.parent),
      describeForwarding(state, group, installed.parent, installed.oifs),
    ];
  });
  const table = renderTable([
    { title: "Origin" },
    { title: "Mcast-group" },
    { title: "Age", right: true },
    { title: "Pkts", right: true },
    { title: "Bytes", right: true },
    { title: `I${word}` },
    { title: `Forw${word.toLowerCase()}s` },
  ], rows);
  const n = entries.length;
  return [
    `Multicast Routing Cache Table (${n} ${n === 1 ? "entry" : "entries"})`,
    table.header,
    ...table.rows,
  ];
}

/**
 * The outgoing VIFs of an entry, in VIF order, and after a `b` every other VIF but the incoming
 * one where a boundary keeps the group off (as mrouted marks boundaries); `-` for none.
 */
function describeForwarding<A extends Address>(
  state: ProxyState<A>,
  group: A,
  parent: number,
  oifs: readonly number[],
): string {
  const marks = new Map<number, string>(oifs.map((v) => [v, String(v)]));
  for (const vif of state.vifs.values()) {
    if (vif.vifi === parent || marks.has(vif.vifi)) continue;
    if (state.family.inAnySubnet(group, vif.boundaries)) marks.set(vif.vifi, `${vif.vifi}b`);
  }
  const list = [...marks].sort((a, b) => a[0] - b[0]).map(([, m]) => m);
  return list.length === 0 ? "-" : list.join(" ");
}

function describeWaitingSources<A extends Address>(state: ProxyState<A>, now: number): string[] {
  const { family } = state;
  const waiting: { source: A; group: A; idle: number; iif: number }[] = [];
  for (const [group, bySource] of state.sources) {
    for (const [source, s] of bySource) {
      if (s.installed === undefined) {
        waiting.push({ source, group, idle: now - s.lastSeen, iif: s.iif });
      }
    }
  }
  if (waiting.length === 0) return [];
  waiting.sort((a, b) =>
    compareAddresses(a.group, b.group) || compareAddresses(a.source, b.source)
  );
  const table = renderTable(
    [{ title: "Origin" }, { title: "Mcast-group" }, { title: "Idle", right: true }, {
      title: `I${vifColumn(family)}`,
    }],
    waiting.map((
      w,
    ) => [family.format(w.source), family.format(w.group), formatAge(w.idle), String(w.iif)]),
  );
  const n = waiting.length;
  return [
    `Sources without a cache entry (${n} ${n === 1 ? "source" : "sources"})`,
    table.header,
    ...table.rows,
  ];
}

/** A counter, or `-` when it could not be read. */
function count(n: number | undefined): string {
  return n === undefined ? "-" : String(n);
}

/** Addresses of one family in numeric order. */
function sorted<A extends Address>(addresses: Iterable<A>): A[] {
  return [...addresses].sort(compareAddresses);
}
