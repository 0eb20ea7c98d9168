/**
 * The status views of one protocol family, as the control socket shows them (`show interfaces`,
 * `groups`, `upstream`, `counters`; `forwarding` in `forwarding_view.ts`): plain objects that
 * `JSON.stringify` writes as they are, and that `src/runtime/control_render.ts` also lays out as
 * tables.
 *
 * Pure: the runtime reads the kernel's counters ({@link DumpCounters}, as for the status dump)
 * and hands them in with `now`.
 *
 * ## JSON schema, version 1 ({@link STATUS_SCHEMA_VERSION})
 *
 * A promise to scripts: fields may be added, but a change of a field's meaning, unit or type is a
 * new version. A `--json` reply of the control socket is one object, `{"version": 1, KIND:
 * [...]}` with KIND one of `interfaces`, `groups`, `upstream`, `forwarding`, `counters`:
 * `interfaces` and `groups` hold the rows of every family (each row names its family), the
 * others one object per family; IPv4 first. The other `--json` replies (`show config`,
 * `reload`, `log`, `dump`, the routing mode's views) and each `monitor` event carry the same
 * `version` first (mcast-proxyctl(8), JSON OUTPUT).
 *
 * Addresses are strings as the family prints them (`10.1.0.1`, `fe80::1`), prefixes
 * `address/length`. Every duration (`s` below) is a number of **seconds with one decimal**: a
 * `timer` is the time left until it runs out (0 when due), an `age`, `idle` or `heardAgo` the
 * time since. A counter the kernel could not give is `null`, and so is what does not apply.
 *
 * ```
 * interfaces[]  family "ipv4"|"ipv6", name, ifindex, role "upstream"|"downstream", vif,
 *               address, subnets string[] (networks), sources string[], threshold number|null
 *               (null for IPv6), queryVersion "IGMPv3"|...|null (null upstream), groups number
 *               (downstream: with members; upstream: joined), boundaries string[],
 *               packetsIn, bytesIn, packetsOut, bytesOut number|null,
 *               querier null (upstream) | {self bool, address, heardAgo s|null,
 *                 otherQuerierTimer s|null, v1RouterPresent bool},
 *               upstreamRouter null (downstream, or no query heard) | {address, heardAgo s}
 *                 (the last query heard on the upstream interface)
 * groups[]      family, interface, vif, group, mode "include"|"exclude", groupTimer s|null
 *               (null in include mode), compatibility "IGMPv2"|"MLDv1"|..., olderHosts
 *               [{version, timer s}] (running ones, oldest first), sources [{address,
 *               timer s|null, excluded bool}] (null when excluded), lastReporter string|null,
 *               ssm bool
 * upstream[]    family, interface null | {name, ifindex, vif, address},
 *               groups [{group, mode "include"|"exclude", sources string[]}]
 *               (any source: "exclude" with no sources)
 * forwarding[]  family, entries [{source, group, input {vif, name}, outputs [{vif, name}],
 *               packets, bytes number|null, packetRate, byteRate number|null (per second),
 *               age s (since installed)}], waiting [{source, group, input {vif, name},
 *               idle s (since the last upcall)}] (sources known without an entry)
 * counters[]    family, packets, upcalls number, drops {REASON: number} (every reason the
 *               proxy knows, 0 included, in a fixed order; then any upcall-type-N counted),
 *               refusedSource null | {source, group, interface, ago s} (the last data refused
 *               as source-not-admitted)
 * ```
 *
 * Rows come in VIF order, then by address; `name` in `input` and `outputs` is null only for a
 * VIF that is gone.
 *
 * @example
 * ```ts
 * const view = interfacesView(state, counters, now);
 * JSON.stringify({ version: STATUS_SCHEMA_VERSION, interfaces: view.interfaces });
 * ```
 *
 * @module
 */

import type { SourceFilter } from "./actions.ts";
import { PROXY_DROP_REASONS } from "./drops.ts";
import { compatibilityName, type DumpCounters } from "./dump.ts";
import type { Address, Family } from "./family.ts";
import { compatibilityMode, type GroupRecord } from "./group_record.ts";
import { isSsmGroup, type ProxyState, versionCap, type VifState } from "./state.ts";
import { compareAddresses, networkOf } from "./subnet.ts";

/** The version of the views' JSON schema (see the module's documentation). */
export const STATUS_SCHEMA_VERSION = 1;

/** A family as the views name it ({@link Family.name}). */
export type FamilyName = Family<Address>["name"];

/** The querier election on a LAN. */
export interface QuerierView {
  /** Whether the proxy is the querier. */
  self: boolean;
  /** The querier's address: ours, or the other router's. */
  address: string;
  /** Seconds since the other querier was last heard; null while the proxy is querier. */
  heardAgo: number | null;
  /** Seconds left of the Other Querier Present timer; null while the proxy is querier. */
  otherQuerierTimer: number | null;
  /** Whether an IGMPv1 router was heard within an Other Querier Present Interval (never MLD). */
  v1RouterPresent: boolean;
}

/** A VIF (MIF). */
export interface InterfaceView {
  family: FamilyName;
  /** Interface name. */
  name: string;
  /** Kernel interface index. */
  ifindex: number;
  role: "upstream" | "downstream";
  /** VIF (MIF) number. */
  vif: number;
  /** The address queries are sent from. */
  address: string;
  /** The interface's networks, e.g. `10.1.0.0/24`. */
  subnets: string[];
  /** Extra accepted source networks (`source` in the configuration). */
  sources: string[];
  /** TTL threshold (IPv4); null for IPv6. */
  threshold: number | null;
  /** The version the LAN is queried with, e.g. "IGMPv3"; null upstream. */
  queryVersion: string | null;
  /** The querier election; null upstream. */
  querier: QuerierView | null;
  /** Upstream: the last query heard there (the upstream router); null when none was. */
  upstreamRouter: { address: string; heardAgo: number } | null;
  /** Downstream: groups with members; upstream: groups joined. */
  groups: number;
  /** Administrative boundaries. */
  boundaries: string[];
  /** Kernel counters; null when they could not be read. */
  packetsIn: number | null;
  bytesIn: number | null;
  packetsOut: number | null;
  bytesOut: number | null;
}

/** `show interfaces` of one family. */
export interface InterfacesView {
  family: FamilyName;
  /** In VIF order. */
  interfaces: InterfaceView[];
}

/** A source of a group record. */
export interface SourceView {
  address: string;
  /** Seconds left of its timer; null for an excluded source. */
  timer: number | null;
  /** EXCLUDE mode: traffic from it is not wanted. */
  excluded: boolean;
}

/** An older-version host present timer that runs (RFC 3376 section 7.3.2). */
export interface OlderHostView {
  /** The hosts' version, e.g. "IGMPv1", "MLDv1". */
  version: string;
  /** Seconds left. */
  timer: number;
}

/** The membership of one group on one LAN. */
export interface GroupView {
  family: FamilyName;
  /** The LAN's interface name. */
  interface: string;
  /** Its VIF (MIF). */
  vif: number;
  group: string;
  mode: "include" | "exclude";
  /** Seconds left of the group timer (EXCLUDE mode); null in INCLUDE mode. */
  groupTimer: number | null;
  /** The compatibility mode, as the version it names: "IGMPv3", "MLDv1"... */
  compatibility: string;
  /** The older-version host present timers that run, oldest version first. */
  olderHosts: OlderHostView[];
  /** By address. */
  sources: SourceView[];
  /** The host whose report last wanted traffic of the group; null when none is known. */
  lastReporter: string | null;
  /** Whether the group is in a source-specific multicast range. */
  ssm: boolean;
}

/** `show groups` of one family. */
export interface GroupsView {
  family: FamilyName;
  /** By VIF, then group. */
  groups: GroupView[];
}

/** A group joined upstream and the source filter it is joined with. */
export interface UpstreamGroupView {
  group: string;
  /** Any source is "exclude" with no sources. */
  mode: "include" | "exclude";
  /** In numeric order. */
  sources: string[];
}

/** `show upstream` of one family. */
export interface UpstreamView {
  family: FamilyName;
  /** The upstream interface; null while there is none. */
  interface: { name: string; ifindex: number; vif: number; address: string } | null;
  /** The groups joined on it, by group. */
  groups: UpstreamGroupView[];
}

/** `show counters` of one family. */
export interface CountersView {
  family: FamilyName;
  /** Protocol packets that passed validation and reached the protocol. */
  packets: number;
  /** Kernel upcalls accepted. */
  upcalls: number;
  /** Dropped inputs by reason: every reason, 0 included, then any `upcall-type-N`. */
  drops: Record<string, number>;
  /** The last data refused for its source (`source-not-admitted`); null when none was. */
  refusedSource: { source: string; group: string; interface: string; ago: number } | null;
}

/** The interfaces of one family, in VIF order. */
export function interfacesView<A extends Address>(
  state: ProxyState<A>,
  counters: DumpCounters<A>,
  now: number,
): InterfacesView {
  const { family } = state;
  const interfaces = vifsInOrder(state).map((vif): InterfaceView => {
    const c = counters.vifs.get(vif.vifi);
    const downstream = vif.role === "downstream";
    return {
      family: family.name,
      name: vif.name,
      ifindex: vif.ifindex,
      role: vif.role,
      vif: vif.vifi,
      address: family.format(vif.address),
      subnets: vif.subnets.map((s) => family.formatSubnet(networkOf(s))),
      sources: vif.sources.map((s) => family.formatSubnet(s)),
      threshold: family.thresholds ? vif.threshold : null,
      queryVersion: downstream ? family.versionName(vif.queryVersion) : null,
      querier: downstream ? querierView(family, vif, now) : null,
      upstreamRouter: downstream || vif.otherQuerier === family.unspecified ? null : {
        address: family.format(vif.otherQuerier),
        heardAgo: toSeconds(now - vif.otherQuerierHeard),
      },
      groups: downstream ? vif.groups.size : state.upstreamJoined.size,
      boundaries: vif.boundaries.map((b) => family.formatSubnet(b)),
      packetsIn: c?.packetsIn ?? null,
      bytesIn: c?.bytesIn ?? null,
      packetsOut: c?.packetsOut ?? null,
      bytesOut: c?.bytesOut ?? null,
    };
  });
  return { family: family.name, interfaces };
}

function querierView<A extends Address>(
  family: Family<A>,
  vif: VifState<A>,
  now: number,
): QuerierView {
  return {
    self: vif.querier,
    address: family.format(vif.querier ? vif.address : vif.otherQuerier),
    heardAgo: vif.querier ? null : toSeconds(now - vif.otherQuerierHeard),
    otherQuerierTimer: vif.querier ? null : timeLeft(vif.otherQuerierUntil, now),
    v1RouterPresent: vif.v1QuerierUntil > now,
  };
}

/**
 * The memberships of the LANs, by VIF then group; only those of `group` when it is given.
 */
export function groupsView<A extends Address>(
  state: ProxyState<A>,
  now: number,
  group?: A,
): GroupsView {
  const groups: GroupView[] = [];
  for (const vif of vifsInOrder(state)) {
    if (vif.role !== "downstream") continue;
    const wanted = group === undefined
      ? [...vif.groups.keys()].sort(compareAddresses)
      : vif.groups.has(group)
      ? [group]
      : [];
    for (const g of wanted) groups.push(groupView(state, vif, g, now));
  }
  return { family: state.family.name, groups };
}

function groupView<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  group: A,
  now: number,
): GroupView {
  const { family } = state;
  const g = vif.groups.get(group)!;
  const exclude = g.mode === "EXCLUDE";
  return {
    family: family.name,
    interface: vif.name,
    vif: vif.vifi,
    group: family.format(group),
    mode: exclude ? "exclude" : "include",
    groupTimer: exclude ? timeLeft(g.groupTimer, now) : null,
    compatibility: compatibilityName(family, compatibilityMode(g, now, versionCap(state, vif))),
    olderHosts: olderHosts(family, g, now),
    sources: [...g.sources].sort((a, b) => compareAddresses(a[0], b[0])).map(([s, r]) => {
      const excluded = exclude && r.timer === 0;
      return {
        address: family.format(s),
        timer: excluded ? null : timeLeft(r.timer, now),
        excluded,
      };
    }),
    lastReporter: g.lastReporter === undefined ? null : family.format(g.lastReporter),
    ssm: isSsmGroup(state, group),
  };
}

/** The older-version host present timers that run: IGMPv1 then IGMPv2 (MLD: MLDv1 only). */
function olderHosts<A extends Address>(
  family: Family<A>,
  g: GroupRecord<A>,
  now: number,
): OlderHostView[] {
  const out: OlderHostView[] = [];
  // The record counts in IGMP's numbering: MLDv1 hosts are its v2 hosts, and MLD has no v1.
  for (const [until, mode] of [[g.v1HostUntil, 1], [g.v2HostUntil, 2]] as const) {
    if (until > now) {
      out.push({ version: compatibilityName(family, mode), timer: toSeconds(until - now) });
    }
  }
  return out;
}

/** The upstream interface and the groups joined on it with their source filters. */
export function upstreamView<A extends Address>(state: ProxyState<A>): UpstreamView {
  const { family } = state;
  const up = state.upstream;
  const groups = [...state.upstreamJoined.keys()].sort(compareAddresses).map((group) => {
    const f: SourceFilter<A> = state.upstreamJoined.get(group)!;
    return {
      group: family.format(group),
      mode: f.mode,
      sources: [...f.sources].sort(compareAddresses).map((s) => family.format(s)),
    };
  });
  return {
    family: family.name,
    interface: up === undefined ? null : {
      name: up.name,
      ifindex: up.ifindex,
      vif: up.vifi,
      address: family.format(up.address),
    },
    groups,
  };
}

/** The core's counters: packets, upcalls, and drops by every reason, 0 included. */
export function countersView<A extends Address>(
  state: ProxyState<A>,
  now: number,
): CountersView {
  const { counters } = state;
  const drops: Record<string, number> = {};
  for (const reason of PROXY_DROP_REASONS) drops[reason] = counters.drops.get(reason) ?? 0;
  const others = [...counters.drops.keys()].filter((r) => !Object.hasOwn(drops, r)).sort();
  for (const reason of others) drops[reason] = counters.drops.get(reason)!;
  const refused = state.refusedSource;
  return {
    family: state.family.name,
    packets: counters.packets,
    upcalls: counters.upcalls,
    drops,
    refusedSource: refused === undefined ? null : {
      source: state.family.format(refused.source),
      group: state.family.format(refused.group),
      interface: state.vifs.get(refused.vifi)?.name ?? `vif ${refused.vifi}`,
      ago: toSeconds(now - refused.at),
    },
  };
}

function vifsInOrder<A extends Address>(state: ProxyState<A>): VifState<A>[] {
  return [...state.vifs.values()].sort((a, b) => a.vifi - b.vifi);
}

/** A duration in ms as the views give it: seconds with one decimal. */
export function toSeconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

/** The seconds left until a deadline, 0 when it is due. */
function timeLeft(deadline: number, now: number): number {
  return toSeconds(Math.max(0, deadline - now));
}
