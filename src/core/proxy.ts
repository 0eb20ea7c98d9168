/**
 * The proxy core (RFC 4605): router on the downstream interfaces, host on the upstream
 * interface, and the planner of the kernel forwarding cache. One engine serves IGMP over IPv4
 * (addresses as numbers, the default) and MLD over IPv6 (addresses as bigints): what differs
 * comes from its {@link Family} (`igmp_family.ts`, `mld_family.ts`).
 *
 * `step(state, event, now)` is the only entry point. It performs no I/O: it updates the state it
 * owns and returns the actions for the runtime to execute, in order. Every timer is an absolute
 * deadline in the state; {@link nextDeadline} says when the runtime must feed the next `tick`.
 *
 * Forwarding follows RFC 4605 section 4.2: data from upstream goes to the LANs with members;
 * data from a LAN's own sender goes upstream and to the other LANs with members, never back; and
 * only onto LANs where the proxy is the querier (election per LAN in `querier.ts`: a router with
 * a lower address takes over until it goes quiet). Every change of membership, querier state or
 * interface brings every affected entry in line at once.
 *
 * Interfaces come and go while it runs: `interface-up` gives one the lowest free VIF,
 * `interface-down` takes everything that used its VIF away before deleting it. Without an
 * upstream the LANs' memberships are kept, and joined upstream once it appears.
 *
 * Group timers wait in a deadline heap, so a tick and {@link nextDeadline} cost the same with
 * ten groups or ten thousand.
 *
 * @module
 */

import type { Action } from "./actions.ts";
import {
  type GroupRecord,
  membershipDeadline,
  type MembershipEffect,
  type MembershipEvent,
  stepMembership,
} from "./membership.ts";
import {
  type InstalledMfc,
  oifsKey,
  type PlannerVif,
  planOifs,
  reconcileMfc,
} from "./mfc_planner.ts";
import type { Address, Subnet } from "./subnet.ts";
import type { Family, PacketInput, ProtocolMessage } from "./family.ts";
import { IGMP_FAMILY } from "./igmp_family.ts";
import {
  expireQuerier,
  hearQuery,
  initialQuerier,
  type QuerierChange,
  querierDeadline,
  type QuerierState,
} from "./querier.ts";
import { DEFAULT_TIMERS, type ProtocolTimers } from "./timers.ts";
import { TimerHeap } from "./timer_heap.ts";
import { formatSeconds, TIMER_KEYWORDS } from "../../conf/config.ts";

/** Upcall type: no cache entry for (S,G) (IGMPMSG_NOCACHE in <linux/mroute.h>). */
export const IGMPMSG_NOCACHE = 1;

export type { Address, Subnet } from "./subnet.ts";

/** An interface the proxy runs on, resolved against the system; addresses of one family. */
export interface ProxyInterface<A extends Address = number> {
  /** Interface name. */
  name: string;
  /** Kernel interface index. */
  ifindex: number;
  /** Role from the configuration. */
  role: "upstream" | "downstream";
  /** The address queries are sent from. */
  address: A;
  /** The interface's own subnets (data from these sources is accepted). */
  subnets: Subnet<A>[];
  /** Extra accepted source networks (`source` in the config). */
  sources: Subnet<A>[];
  /** TTL threshold: only packets with a greater TTL are forwarded onto the interface. */
  threshold: number;
  /**
   * Protocol variables (ms) of this interface. Downstream they drive the queries and the
   * membership timers; upstream, where the kernel's host stack answers, they are unused.
   */
  timers: ProtocolTimers;
  /**
   * Administrative boundaries (IPv4 multicast ranges). Downstream, reports and leaves for groups
   * inside them are ignored and no data for them is forwarded onto the interface; upstream,
   * such groups are never joined and their data is not accepted.
   */
  boundaries: Subnet<A>[];
}

/** The number of VIFs the kernel supports (MAXVIFS). */
export const MAXVIFS = 32;

/** Options of the core. */
export interface ProxyOptions<A extends Address = number> {
  /**
   * The interfaces present at start, in VIF order: at most {@link MAXVIFS}, at most one
   * upstream. None at all is valid: interfaces may appear later (`interface-up`).
   */
  interfaces: ProxyInterface<A>[];
  /** The protocol: IGMP over IPv4 (the default) or MLD over IPv6. */
  family?: Family<A>;
  /** Emit per-packet and per-transition debug log actions. */
  debug?: boolean;
  /**
   * How long a source with no forwarding entry is remembered after its last upcall (ms); half
   * of it is also how often installed entries are sampled: one that forwarded nothing between
   * two samples is removed (the kernel asks again if the source sends again). Default 60 s.
   */
  sourceLifetime?: number;
  /**
   * The most groups the LANs may have members of at once (default {@link MAX_GROUPS}): reports
   * for more new groups are dropped (`group-limit`), so that a LAN cannot exhaust memory and
   * sockets with made-up groups.
   */
  maxGroups?: number;
}

/** Default of {@link ProxyOptions.maxGroups}. */
export const MAX_GROUPS = 16384;

/**
 * The most (source, group) pairs remembered at once, installed or not: data for more new ones
 * is dropped (`source-limit`), so that senders of made-up groups cannot exhaust memory and the
 * kernel's forwarding cache.
 */
export const MAX_SOURCES = 65536;

/** At most this many debug lines about drops are logged per second; the rest are counted. */
export const DROP_LOG_PER_SECOND = 20;

/** A VIF and, on downstream interfaces, the router-side state. */
export interface VifState<A extends Address = number>
  extends ProxyInterface<A>, PlannerVif<A>, QuerierState<A> {
  /** General queries of the startup phase still to send. */
  startupQueriesLeft: number;
  /** When the next general query is due (downstream only; 0 upstream). */
  nextGeneralQuery: number;
  /** Group memberships on this interface (downstream only). */
  groups: Map<A, GroupRecord>;
}

/** A source of a group as learnt from upcalls. */
export interface SourceState {
  /** VIF the data arrives on. */
  iif: number;
  /** Last upcall or last time its entry was removed. */
  lastSeen: number;
  /** The MFC entry installed for it, if any. */
  installed: InstalledMfc | undefined;
  /** The entry's packet count at the last sample (-1: not sampled since it was installed). */
  sampledPackets: number;
}

/** Counters the runtime reports. */
export interface ProxyCounters {
  /**
   * IGMP packets that passed validation and reached the protocol (an IGMPv3 report counts once,
   * even when some of its records are then dropped).
   */
  packets: number;
  /** Upcalls accepted. */
  upcalls: number;
  /** Dropped inputs by reason. */
  drops: Map<string, number>;
}

/** A group timer in the queue: the record it was queued for, and when it is due. */
interface GroupTimer<A extends Address> {
  /** When the record's earliest timer was due at queueing time. */
  at: number;
  /** The VIF of the group. */
  vif: VifState<A>;
  /** The group. */
  group: A;
  /** The record; a timer whose record was replaced or removed is stale. */
  record: GroupRecord;
}

/** Rate limit of the debug lines about drops. */
interface DropLog {
  /** Start of the current one-second window. */
  windowStart: number;
  /** Lines logged in the window. */
  logged: number;
  /** Drops not logged in the window. */
  suppressed: number;
}

/** The state of the core; owned by it, read by the runtime for status displays only. */
export interface ProxyState<A extends Address = number> {
  /** Options given at creation. */
  readonly options: Readonly<ProxyOptions<A>>;
  /** The protocol family. */
  readonly family: Family<A>;
  /** VIFs by number. */
  readonly vifs: Map<number, VifState<A>>;
  /** VIFs by interface index. */
  readonly byIfindex: Map<number, VifState<A>>;
  /** The upstream VIF; `undefined` while the upstream interface is absent. */
  upstream: VifState<A> | undefined;
  /** Downstream VIFs that have members, by group. */
  readonly members: Map<A, Set<number>>;
  /** Known sources by group, then by source address. */
  readonly sources: Map<A, Map<A, SourceState>>;
  /** Groups joined on the upstream interface. */
  readonly upstreamJoined: Set<A>;
  /** Our own addresses (packets from them are dropped). */
  readonly ownAddresses: Set<A>;
  /** Counters. */
  readonly counters: ProxyCounters;
  /** Next time unused sources are swept. */
  nextSourceSweep: number;
  /** Rate limit of drop logging. */
  readonly dropLog: DropLog;
  /**
   * Group timers by deadline. A record has at most one live entry, the one whose `at` is in
   * {@link ProxyState.queuedAt}; others for it are stale and skipped when due.
   */
  readonly groupTimers: TimerHeap<GroupTimer<A>>;
  /** The deadline each record is queued for in {@link ProxyState.groupTimers}. */
  queuedAt: WeakMap<GroupRecord, number>;
  /** When the group limit was last warned about (-Infinity: never). */
  groupLimitWarned: number;
  /** The number of (source, group) pairs in {@link ProxyState.sources}. */
  sourceCount: number;
  /** When the source limit was last warned about (-Infinity: never). */
  sourceLimitWarned: number;
}

/** What the core reacts to. */
export type ProxyEvent<A extends Address = number> =
  | { kind: "start" }
  /** An interface became usable: it gets the lowest free VIF. */
  | { kind: "interface-up"; iface: ProxyInterface<A> }
  /**
   * An interface is no longer usable; `reason` says why, for the log (e.g. "no longer exists").
   * A change of address or index is this event followed by `interface-up`.
   */
  | { kind: "interface-down"; name: string; reason?: string }
  /**
   * A reloaded configuration gives an interface in use new settings (`sources`, `threshold`,
   * `timers`, `boundaries`): it keeps its VIF, its memberships and the entries that stay valid.
   * An interface whose role or index differs goes down and comes up again.
   */
  | { kind: "reconfigure"; iface: ProxyInterface<A> }
  /** A received IGMP or MLD packet; for MLD the socket's addresses and hop limit come along. */
  | ({ kind: "packet"; ifindex: number } & PacketInput<A>)
  | { kind: "upcall"; msgtype: number; vif: number; source: A; group: A }
  /**
   * The answer to a `sampleMfc` action: each entry's packet count, `undefined` where it could
   * not be read.
   */
  | { kind: "mfc-counters"; counts: { source: A; group: A; packets?: number }[] }
  | { kind: "tick" }
  | { kind: "stop" };

const DEFAULT_SOURCE_LIFETIME = 60_000;

/**
 * Builds the initial state: the given interfaces get VIFs 0, 1, 2… in order. Throws
 * `RangeError` on an impossible interface list (two upstreams, more than {@link MAXVIFS}).
 */
export function createProxy<A extends Address = number>(
  options: ProxyOptions<A>,
): ProxyState<A> {
  const ups = options.interfaces.filter((i) => i.role === "upstream");
  if (ups.length > 1) throw new RangeError(`Need at most one upstream, got ${ups.length}`);
  if (options.interfaces.length > MAXVIFS) {
    throw new RangeError(`More than ${MAXVIFS} interfaces`);
  }
  const family = options.family ?? (IGMP_FAMILY as unknown as Family<A>);
  const vifs = new Map<number, VifState<A>>();
  const byIfindex = new Map<number, VifState<A>>();
  options.interfaces.forEach((iface, vifi) => {
    const vif = newVif(family, iface, vifi);
    vifs.set(vifi, vif);
    byIfindex.set(iface.ifindex, vif);
  });
  return {
    options,
    family,
    vifs,
    byIfindex,
    upstream: [...vifs.values()].find((v) => v.role === "upstream"),
    members: new Map(),
    sources: new Map(),
    upstreamJoined: new Set(),
    ownAddresses: new Set(options.interfaces.flatMap(interfaceAddresses)),
    counters: { packets: 0, upcalls: 0, drops: new Map() },
    nextSourceSweep: 0,
    dropLog: { windowStart: -Infinity, logged: 0, suppressed: 0 },
    groupTimers: new TimerHeap(),
    queuedAt: new WeakMap(),
    groupLimitWarned: -Infinity,
    sourceCount: 0,
    sourceLimitWarned: -Infinity,
  };
}

/** A VIF for `iface` as number `vifi`, with no router state yet; it starts as querier. */
function newVif<A extends Address>(
  family: Family<A>,
  iface: ProxyInterface<A>,
  vifi: number,
): VifState<A> {
  return {
    ...iface,
    ...initialQuerier(family.unspecified),
    vifi,
    startupQueriesLeft: 0,
    nextGeneralQuery: 0,
    groups: new Map(),
  };
}

/** Every address of an interface: the primary one and those of its subnets. */
function interfaceAddresses<A extends Address>(iface: ProxyInterface<A>): A[] {
  return [iface.address, ...iface.subnets.map((s) => s.address)];
}

/** Whether data from `source` is accepted on a VIF: its own subnets or a configured `source`. */
function isSourceAdmitted<A extends Address>(
  state: ProxyState<A>,
  vif: ProxyInterface<A>,
  source: A,
): boolean {
  const { inAnySubnet } = state.family;
  return inAnySubnet(source, vif.subnets) || inAnySubnet(source, vif.sources);
}

/** Whether `group` is inside one of the interface's administrative boundaries. */
function isGroupBounded<A extends Address>(
  state: ProxyState<A>,
  vif: Pick<ProxyInterface<A>, "boundaries">,
  group: A,
): boolean {
  return state.family.inAnySubnet(group, vif.boundaries);
}

/**
 * The protocol variables that differ from the RFC defaults, as the configuration file writes
 * them, e.g. `query-interval 30s, last-member-query-count 3`; empty when none differs.
 */
export function describeTimers(t: ProtocolTimers): string {
  return TIMER_KEYWORDS.filter((k) => t[k.field] !== DEFAULT_TIMERS[k.field]).map((k) =>
    k.unit === "seconds"
      ? `${k.keyword} ${formatSeconds(t[k.field])}s`
      : `${k.keyword} ${t[k.field]}`
  ).join(", ");
}

/** Advances the core by one event at time `now` (ms) and returns the actions to execute. */
export function step<A extends Address>(
  state: ProxyState<A>,
  event: ProxyEvent<A>,
  now: number,
): Action<A>[] {
  const out: Action<A>[] = [];
  switch (event.kind) {
    case "start":
      start(state, now, out);
      break;
    case "interface-up":
      addInterface(state, event.iface, now, out);
      break;
    case "interface-down":
      removeInterface(state, event.name, event.reason, now, out);
      break;
    case "reconfigure":
      reconfigureInterface(state, event.iface, now, out);
      break;
    case "packet":
      receivePacket(state, event, now, out);
      break;
    case "upcall":
      receiveUpcall(state, event, now, out);
      break;
    case "mfc-counters":
      expireIdleEntries(state, event.counts, now, out);
      break;
    case "tick":
      tick(state, now, out);
      break;
    case "stop":
      stop(state, out);
      break;
  }
  return out;
}

/** The earliest deadline in the state (ms), or `Infinity` when nothing is scheduled. */
export function nextDeadline<A extends Address>(state: ProxyState<A>): number {
  let d = Infinity;
  for (const vif of state.vifs.values()) {
    if (vif.role !== "downstream") continue;
    if (vif.querier && vif.nextGeneralQuery < d) d = vif.nextGeneralQuery;
    const qd = querierDeadline(vif);
    if (qd < d) d = qd;
  }
  // The earliest group timer; it may be stale, which costs one early tick at most.
  const gd = state.groupTimers.peek()?.at ?? Infinity;
  if (gd < d) d = gd;
  if (state.sources.size > 0 && state.nextSourceSweep < d) d = state.nextSourceSweep;
  return d;
}

function log<A extends Address>(
  out: Action<A>[],
  level: "warn" | "info" | "debug",
  message: string,
): void {
  out.push({ kind: "log", level, message });
}

/**
 * Counts a dropped input. With debug logging on, logs it, at most {@link DROP_LOG_PER_SECOND}
 * lines a second (a flood must not turn into a log flood); `detail` is only built then.
 */
function drop<A extends Address>(
  state: ProxyState<A>,
  out: Action<A>[],
  now: number,
  reason: string,
  detail: () => string,
): void {
  const drops = state.counters.drops;
  drops.set(reason, (drops.get(reason) ?? 0) + 1);
  if (!state.options.debug) return;
  const dl = state.dropLog;
  if (now - dl.windowStart >= 1000) {
    if (dl.suppressed > 0) {
      log(out, "debug", `Dropped ${dl.suppressed} more inputs without logging them`);
    }
    dl.windowStart = now;
    dl.logged = 0;
    dl.suppressed = 0;
  }
  if (dl.logged < DROP_LOG_PER_SECOND) {
    dl.logged++;
    log(out, "debug", `Dropped ${detail()}: ${reason}`);
  } else dl.suppressed++;
}

/** `12 inputs dropped: bad-igmp-checksum 10, own-packet 2`, or `undefined` when none was. */
export function describeDrops(counters: ProxyCounters): string | undefined {
  const entries = [...counters.drops].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = entries.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return undefined;
  return `${total} ${total === 1 ? "input" : "inputs"} dropped: ${
    entries.map(([r, c]) => `${r} ${c}`).join(", ")
  }`;
}

/** `, boundaries 239.255.0.0/16 239.192.0.0/14` for the interface line; empty without any. */
function describeBoundaries<A extends Address>(family: Family<A>, boundaries: Subnet<A>[]): string {
  if (boundaries.length === 0) return "";
  const word = boundaries.length === 1 ? "boundary" : "boundaries";
  return `, ${word} ${boundaries.map((b) => family.formatSubnet(b)).join(" ")}`;
}

/**
 * `downstream as VIF 2, address 10.2.0.1, threshold 1[, boundary …]` for the interface lines
 * (IPv6: `downstream as MIF 2, address fe80::1[, boundary …]`).
 */
function describeVif<A extends Address>(state: ProxyState<A>, vif: VifState<A>): string {
  const { family } = state;
  return `${vif.role} as ${family.vifWord} ${vif.vifi}, address ${family.format(vif.address)}${
    family.thresholds ? `, threshold ${vif.threshold}` : ""
  }${describeBoundaries(family, vif.boundaries)}`;
}

/**
 * Adds the VIF and logs `line` about it; downstream, also logs the timers that differ from the
 * defaults, listens on the family's router groups (224.0.0.2 / 224.0.0.22) and schedules the
 * startup queries (sent by the caller's tick).
 */
function openVif<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  line: string,
  now: number,
  out: Action<A>[],
): void {
  out.push({
    kind: "addVif",
    vifi: vif.vifi,
    ifindex: vif.ifindex,
    name: vif.name,
    threshold: vif.threshold,
    localAddress: vif.address,
  });
  log(out, "info", line);
  if (vif.role !== "downstream") return;
  const timers = describeTimers(vif.timers);
  if (timers !== "") log(out, "info", `Interface "${vif.name}" runs with ${timers}`);
  // Leaves go to 224.0.0.2 and IGMPv3 reports to 224.0.0.22: listen for both.
  for (const group of state.family.listenGroups) {
    out.push({ kind: "join", group, ifindex: vif.ifindex, name: vif.name });
  }
  vif.startupQueriesLeft = vif.timers.startupQueryCount;
  vif.nextGeneralQuery = now;
}

/** Stops listening downstream and deletes the VIF; memberships and entries are the caller's. */
function closeVif<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  out: Action<A>[],
): void {
  if (vif.role === "downstream") {
    for (const group of state.family.listenGroups) {
      out.push({ kind: "leave", group, ifindex: vif.ifindex, name: vif.name });
    }
    vif.nextGeneralQuery = Infinity;
    vif.startupQueriesLeft = 0;
    vif.groups.clear();
  }
  out.push({ kind: "delVif", vifi: vif.vifi, name: vif.name });
}

function start<A extends Address>(state: ProxyState<A>, now: number, out: Action<A>[]): void {
  for (const vif of state.vifs.values()) {
    openVif(state, vif, `Interface "${vif.name}" is ${describeVif(state, vif)}`, now, out);
  }
  tick(state, now, out);
}

function stop<A extends Address>(state: ProxyState<A>, out: Action<A>[]): void {
  if (state.options.debug && state.dropLog.suppressed > 0) {
    log(out, "debug", `Dropped ${state.dropLog.suppressed} more inputs without logging them`);
    state.dropLog.suppressed = 0;
  }
  const drops = describeDrops(state.counters);
  if (drops !== undefined) log(out, "info", `Since start, ${drops}`);
  for (const [group, bySource] of state.sources) {
    for (const [source, s] of bySource) {
      if (s.installed !== undefined) out.push({ kind: "delMfc", source, group });
      s.installed = undefined;
    }
  }
  leaveUpstream(state, out);
  for (const vif of state.vifs.values()) closeVif(state, vif, out);
  state.members.clear();
  state.sources.clear();
  state.sourceCount = 0;
  state.groupTimers.clear();
}

/** Leaves every group joined upstream and forgets them. */
function leaveUpstream<A extends Address>(state: ProxyState<A>, out: Action<A>[]): void {
  const up = state.upstream;
  if (up !== undefined) {
    for (const group of state.upstreamJoined) {
      out.push({ kind: "leave", group, ifindex: up.ifindex, name: up.name });
    }
  }
  state.upstreamJoined.clear();
}

/** The lowest VIF number not in use, or `undefined` when all {@link MAXVIFS} are. */
function freeVifNumber<A extends Address>(state: ProxyState<A>): number | undefined {
  for (let vifi = 0; vifi < MAXVIFS; vifi++) if (!state.vifs.has(vifi)) return vifi;
  return undefined;
}

function refreshOwnAddresses<A extends Address>(state: ProxyState<A>): void {
  state.ownAddresses.clear();
  for (const vif of state.vifs.values()) {
    for (const a of interfaceAddresses(vif)) state.ownAddresses.add(a);
  }
}

/** `interface-up`: a VIF for an interface that became usable while running. */
function addInterface<A extends Address>(
  state: ProxyState<A>,
  iface: ProxyInterface<A>,
  now: number,
  out: Action<A>[],
): void {
  const same = [...state.vifs.values()].find((v) =>
    v.name === iface.name || v.ifindex === iface.ifindex
  );
  if (same !== undefined) {
    log(
      out,
      "warn",
      `Interface "${iface.name}" appeared but "${same.name}" already is ${state.family.vifWord} ` +
        `${same.vifi}: not used`,
    );
    return;
  }
  if (iface.role === "upstream" && state.upstream !== undefined) {
    log(
      out,
      "warn",
      `Interface "${iface.name}" appeared as upstream but "${state.upstream.name}" already is ` +
        "the upstream: not used",
    );
    return;
  }
  const vifi = freeVifNumber(state);
  if (vifi === undefined) {
    log(
      out,
      "warn",
      `Interface "${iface.name}" appeared but all ${MAXVIFS} ${state.family.vifWord}s are in ` +
        "use: not used",
    );
    return;
  }
  const vif = newVif(state.family, iface, vifi);
  state.vifs.set(vifi, vif);
  state.byIfindex.set(vif.ifindex, vif);
  refreshOwnAddresses(state);
  openVif(state, vif, `Interface "${vif.name}" appeared: ${describeVif(state, vif)}`, now, out);
  if (vif.role === "downstream") {
    tickVif(state, vif, now, out);
    return;
  }
  state.upstream = vif;
  let joins = 0;
  for (const group of state.members.keys()) {
    if (joinUpstream(state, group, out)) joins++;
  }
  if (joins > 0) {
    log(
      out,
      "info",
      `Joined ${joins} ${joins === 1 ? "group" : "groups"} on "${vif.name}" for the LANs`,
    );
  }
  for (const group of state.sources.keys()) reconcileGroup(state, group, now, out);
}

/** `interface-down`: an interface in use is gone; everything that used its VIF goes first. */
function removeInterface<A extends Address>(
  state: ProxyState<A>,
  name: string,
  reason: string | undefined,
  now: number,
  out: Action<A>[],
): void {
  const vif = [...state.vifs.values()].find((v) => v.name === name);
  if (vif === undefined) return;
  const why = reason ?? "no longer usable";
  // Entries whose data came in on it go first, and with them the sources learnt there.
  const entries = forgetSourcesOn(state, vif.vifi);
  const n = entries.length;
  const nEntries = `${n} forwarding ${n === 1 ? "entry" : "entries"}`;
  if (vif.role === "downstream") {
    log(
      out,
      "info",
      `Interface "${name}" is gone (${why}): ${state.family.vifWord} ${vif.vifi} removed` +
        (n === 0 ? "" : `, ${nEntries} of its sources dropped`),
    );
    out.push(...entries);
    // Its memberships end: other LANs keep theirs, upstream leaves what no LAN wants any more.
    for (const group of [...vif.groups.keys()]) {
      vif.groups.delete(group);
      dropMember(state, vif, group, out);
      reconcileGroup(state, group, now, out);
    }
    closeVif(state, vif, out);
  } else {
    const joined = state.upstreamJoined.size;
    log(
      out,
      "info",
      `Interface "${name}" is gone (${why}): ${state.family.vifWord} ${vif.vifi} removed, ` +
        `${nEntries} and ` +
        `${joined} upstream ${joined === 1 ? "membership" : "memberships"} dropped; nothing ` +
        "from upstream is forwarded until it is back",
    );
    out.push(...entries);
    leaveUpstream(state, out);
    state.upstream = undefined;
    // Data of the LANs' own sources stops going upstream.
    for (const group of [...state.sources.keys()]) reconcileGroup(state, group, now, out);
    closeVif(state, vif, out);
  }
  state.vifs.delete(vif.vifi);
  state.byIfindex.delete(vif.ifindex);
  refreshOwnAddresses(state);
}

/** What differs between an interface's settings and new ones, for the log; empty if nothing. */
function describeSettingsChange<A extends Address>(
  family: Family<A>,
  old: ProxyInterface<A>,
  next: ProxyInterface<A>,
): string[] {
  const changes: string[] = [];
  const subnets = (list: Subnet<A>[]) =>
    list.length === 0 ? "none" : list.map((s) => family.formatSubnet(s)).join(" ");
  if (family.thresholds && old.threshold !== next.threshold) {
    changes.push(`threshold ${old.threshold} -> ${next.threshold}`);
  }
  if (subnets(old.sources) !== subnets(next.sources)) {
    changes.push(`sources ${subnets(old.sources)} -> ${subnets(next.sources)}`);
  }
  if (subnets(old.boundaries) !== subnets(next.boundaries)) {
    changes.push(`boundaries ${subnets(old.boundaries)} -> ${subnets(next.boundaries)}`);
  }
  if (old.role === "downstream") {
    for (const k of TIMER_KEYWORDS) {
      const [a, b] = [old.timers[k.field], next.timers[k.field]];
      if (a === b) continue;
      const show = (v: number) => k.unit === "seconds" ? `${formatSeconds(v)}s` : String(v);
      changes.push(`${k.keyword} ${show(a)} -> ${show(b)}`);
    }
  }
  return changes;
}

/**
 * `reconfigure`: new settings for an interface in use. Sources it no longer admits and groups
 * now inside its boundaries are dropped (entries, memberships, upstream joins); groups no
 * longer inside an upstream boundary are joined; every entry is planned again (thresholds and
 * boundaries are in its oifs); a shorter query interval brings the next general query closer.
 * Membership records keep the deadlines they have; the new timers apply from the next report.
 */
function reconfigureInterface<A extends Address>(
  state: ProxyState<A>,
  iface: ProxyInterface<A>,
  now: number,
  out: Action<A>[],
): void {
  const vif = [...state.vifs.values()].find((v) => v.name === iface.name);
  if (vif === undefined) return;
  const { family } = state;
  if (vif.role !== iface.role || vif.ifindex !== iface.ifindex) {
    removeInterface(
      state,
      vif.name,
      vif.role !== iface.role ? `it is ${iface.role} in the new configuration` : undefined,
      now,
      out,
    );
    addInterface(state, iface, now, out);
    return;
  }
  const changes = describeSettingsChange(family, vif, iface);
  if (changes.length === 0) return;
  log(
    out,
    "info",
    `Interface "${vif.name}" keeps ${family.vifWord} ${vif.vifi} with new settings: ${
      changes.join(", ")
    }`,
  );
  vif.threshold = iface.threshold;
  vif.sources = iface.sources;
  vif.boundaries = iface.boundaries;
  vif.timers = iface.timers;
  // Sources it no longer admits, and groups its boundaries now hold, end here.
  for (const [group, bySource] of [...state.sources]) {
    for (const [source, s] of [...bySource]) {
      if (s.iif !== vif.vifi) continue;
      if (isSourceAdmitted(state, vif, source) && !isGroupBounded(state, vif, group)) continue;
      if (s.installed !== undefined) out.push({ kind: "delMfc", source, group });
      deleteSource(state, group, source);
    }
  }
  if (vif.role === "downstream") {
    for (const group of [...vif.groups.keys()]) {
      if (!isGroupBounded(state, vif, group)) continue;
      vif.groups.delete(group);
      dropMember(state, vif, group, out);
    }
    const next = now + vif.timers.queryInterval;
    if (vif.startupQueriesLeft === 0 && vif.nextGeneralQuery > next) vif.nextGeneralQuery = next;
  } else {
    for (const group of [...state.upstreamJoined]) {
      if (!isGroupBounded(state, vif, group)) continue;
      state.upstreamJoined.delete(group);
      out.push({ kind: "leave", group, ifindex: vif.ifindex, name: vif.name });
    }
    for (const group of state.members.keys()) joinUpstream(state, group, out);
  }
  for (const group of [...state.sources.keys()]) reconcileGroup(state, group, now, out);
}

/**
 * Forgets the sources whose data arrives on VIF `vifi` and returns the deletions of their
 * installed entries.
 */
function forgetSourcesOn<A extends Address>(state: ProxyState<A>, vifi: number): Action<A>[] {
  const entries: Action<A>[] = [];
  for (const [group, bySource] of state.sources) {
    for (const [source, s] of bySource) {
      if (s.iif !== vifi) continue;
      if (s.installed !== undefined) entries.push({ kind: "delMfc", source, group });
      deleteSource(state, group, source);
    }
  }
  return entries;
}

function sendGeneralQuery<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  out: Action<A>[],
): void {
  const { family } = state;
  out.push({
    kind: "sendIgmp",
    ifindex: vif.ifindex,
    name: vif.name,
    source: vif.address,
    destination: family.allHosts,
    igmp: family.encodeQuery(family.unspecified, vif.timers.queryResponseInterval),
    what: "general query",
  });
}

function sendGroupQuery<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  group: A,
  out: Action<A>[],
): void {
  const { family } = state;
  out.push({
    kind: "sendIgmp",
    ifindex: vif.ifindex,
    name: vif.name,
    source: vif.address,
    destination: group,
    igmp: family.encodeQuery(group, vif.timers.lastMemberQueryInterval),
    what: `group-specific query for ${family.format(group)}`,
  });
}

function tick<A extends Address>(state: ProxyState<A>, now: number, out: Action<A>[]): void {
  for (const vif of state.vifs.values()) tickVif(state, vif, now, out);
  for (const timer of state.groupTimers.popDue(now)) {
    const { vif, group, record } = timer;
    // Stale: the VIF or the record is gone, or the record was queued again for earlier.
    if (state.vifs.get(vif.vifi) !== vif || vif.groups.get(group) !== record) continue;
    if (state.queuedAt.get(record) !== timer.at) continue;
    state.queuedAt.delete(record);
    if (membershipDeadline(record) <= now) applyMembership(state, vif, group, "tick", now, out);
    else scheduleGroup(state, vif, group, record);
  }
  if (state.nextSourceSweep <= now) sweepSources(state, now, out);
}

/**
 * Queues the record's earliest timer unless an entry at least as early is queued already. When
 * stale entries (left behind by timers that moved earlier, e.g. a Leave then a Report, again
 * and again) outnumber the records, the queue is rebuilt from the records.
 */
function scheduleGroup<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  group: A,
  record: GroupRecord,
): void {
  const at = membershipDeadline(record);
  if (!(at < (state.queuedAt.get(record) ?? Infinity))) return;
  state.queuedAt.set(record, at);
  state.groupTimers.push({ at, vif, group, record });
  if (state.groupTimers.size > STALE_TIMERS_SLACK) {
    let records = 0;
    for (const v of state.vifs.values()) records += v.groups.size;
    if (state.groupTimers.size > 2 * records + STALE_TIMERS_SLACK) rebuildGroupTimers(state);
  }
}

/** How many stale group timers may wait in the queue beyond one per record. */
const STALE_TIMERS_SLACK = 1024;

/** Rebuilds the timer queue with one entry per record. */
function rebuildGroupTimers<A extends Address>(state: ProxyState<A>): void {
  state.groupTimers.clear();
  state.queuedAt = new WeakMap();
  for (const vif of state.vifs.values()) {
    for (const [group, record] of vif.groups) {
      const at = membershipDeadline(record);
      state.queuedAt.set(record, at);
      state.groupTimers.push({ at, vif, group, record });
    }
  }
}

/** The querier timer and the due general query of one downstream VIF. */
function tickVif<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  now: number,
  out: Action<A>[],
): void {
  if (vif.role !== "downstream") return;
  const t = vif.timers;
  applyQuerierChanges(state, vif, expireQuerier(vif, now), now, out);
  if (vif.querier && vif.nextGeneralQuery <= now) {
    sendGeneralQuery(state, vif, out);
    if (vif.startupQueriesLeft > 0) vif.startupQueriesLeft--;
    vif.nextGeneralQuery = now +
      (vif.startupQueriesLeft > 0 ? t.startupQueryInterval : t.queryInterval);
  }
}

/**
 * Forgets sources that have had no entry for their lifetime, and asks for the packet counts of
 * the installed entries (answered by an `mfc-counters` event).
 */
function sweepSources<A extends Address>(
  state: ProxyState<A>,
  now: number,
  out: Action<A>[],
): void {
  const lifetime = state.options.sourceLifetime ?? DEFAULT_SOURCE_LIFETIME;
  const sample: { source: A; group: A }[] = [];
  for (const [group, bySource] of state.sources) {
    for (const [source, s] of bySource) {
      if (s.installed !== undefined) sample.push({ source, group });
      else if (s.lastSeen + lifetime <= now) deleteSource(state, group, source);
    }
  }
  if (sample.length > 0) out.push({ kind: "sampleMfc", entries: sample });
  state.nextSourceSweep = now + lifetime / 2;
}

/** Removes the installed entries that forwarded nothing since the previous sample. */
function expireIdleEntries<A extends Address>(
  state: ProxyState<A>,
  counts: { source: A; group: A; packets?: number }[],
  now: number,
  out: Action<A>[],
): void {
  let idle = 0;
  for (const { source, group, packets } of counts) {
    const s = state.sources.get(group)?.get(source);
    if (s?.installed === undefined || packets === undefined) continue;
    if (s.sampledPackets !== packets) {
      s.sampledPackets = packets;
      continue;
    }
    out.push({ kind: "delMfc", source, group });
    s.installed = undefined;
    s.lastSeen = now;
    idle++;
  }
  if (idle > 0 && state.options.debug) {
    log(out, "debug", `Removed ${idle} idle forwarding ${idle === 1 ? "entry" : "entries"}`);
  }
}

/** Forgets one (source, group) pair (its entry, if any, is the caller's). */
function deleteSource<A extends Address>(state: ProxyState<A>, group: A, source: A): void {
  const bySource = state.sources.get(group);
  if (bySource === undefined || !bySource.delete(source)) return;
  state.sourceCount--;
  if (bySource.size === 0) state.sources.delete(group);
}

function applyMembership<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  group: A,
  event: MembershipEvent,
  now: number,
  out: Action<A>[],
  timers: ProtocolTimers = vif.timers,
): void {
  const before = vif.groups.get(group);
  const { record, effects } = stepMembership(before, event, now, timers);
  if (record === undefined) vif.groups.delete(group);
  else {
    if (before === undefined) vif.groups.set(group, record);
    scheduleGroup(state, vif, group, record);
  }
  for (const effect of effects) applyEffect(state, vif, group, effect, now, out);
}

function applyEffect<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  group: A,
  effect: MembershipEffect,
  now: number,
  out: Action<A>[],
): void {
  switch (effect) {
    case "send-group-query":
      if (vif.querier) sendGroupQuery(state, vif, group, out);
      return;
    case "v1-host-present":
      log(
        out,
        "debug",
        `Leave for ${
          state.family.format(group)
        } on "${vif.name}" ignored: an IGMPv1 host is a member`,
      );
      return;
    case "joined": {
      let set = state.members.get(group);
      if (set === undefined) state.members.set(group, set = new Set());
      set.add(vif.vifi);
      log(out, "debug", `Group ${state.family.format(group)} joined on "${vif.name}"`);
      const up = state.upstream;
      if (up !== undefined && isGroupBounded(state, up, group)) {
        if (state.options.debug && set.size === 1) {
          log(
            out,
            "debug",
            `Group ${
              state.family.format(group)
            } is inside a boundary of "${up.name}": not joined upstream`,
          );
        }
      } else joinUpstream(state, group, out);
      break;
    }
    case "left":
      log(out, "debug", `Group ${state.family.format(group)} left on "${vif.name}"`);
      dropMember(state, vif, group, out);
      break;
  }
  reconcileGroup(state, group, now, out);
}

/**
 * Joins `group` on the upstream interface unless it is joined already, inside an upstream
 * boundary, or there is no upstream yet (it is joined when the upstream appears). Returns
 * whether a join was issued.
 */
function joinUpstream<A extends Address>(
  state: ProxyState<A>,
  group: A,
  out: Action<A>[],
): boolean {
  const up = state.upstream;
  if (up === undefined || state.upstreamJoined.has(group) || isGroupBounded(state, up, group)) {
    return false;
  }
  state.upstreamJoined.add(group);
  out.push({ kind: "join", group, ifindex: up.ifindex, name: up.name });
  return true;
}

/** Takes a VIF out of a group's members; the last one out leaves the group upstream. */
function dropMember<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  group: A,
  out: Action<A>[],
): void {
  const set = state.members.get(group);
  set?.delete(vif.vifi);
  if (set !== undefined && set.size > 0) return;
  state.members.delete(group);
  const up = state.upstream;
  if (state.upstreamJoined.delete(group) && up !== undefined) {
    out.push({ kind: "leave", group, ifindex: up.ifindex, name: up.name });
  }
}

/** Brings every MFC entry of `group` in line with the current membership. */
function reconcileGroup<A extends Address>(
  state: ProxyState<A>,
  group: A,
  now: number,
  out: Action<A>[],
): void {
  const bySource = state.sources.get(group);
  if (bySource === undefined) return;
  const members = state.members.get(group) ?? [];
  for (const [source, s] of bySource) {
    const oifs = planOifs({
      group,
      iif: s.iif,
      members,
      vifs: state.vifs,
      upstream: state.upstream?.vifi,
      inAnySubnet: state.family.inAnySubnet,
    });
    const action = reconcileMfc(s.installed, { source, group, parent: s.iif, oifs });
    if (action === undefined) continue;
    if (action.kind === "addMfc") {
      if (s.installed === undefined) s.sampledPackets = -1;
      s.installed = {
        parent: s.iif,
        key: oifsKey(action.oifs),
        oifs: action.oifs.map((o) => o.vifi),
        since: s.installed?.since ?? now,
      };
    } else {
      s.installed = undefined;
      s.lastSeen = now;
    }
    out.push(action);
  }
}

function receivePacket<A extends Address>(
  state: ProxyState<A>,
  event: { ifindex: number } & PacketInput<A>,
  now: number,
  out: Action<A>[],
): void {
  const { family } = state;
  const decoded = family.decode(event);
  if (!decoded.ok) {
    drop(state, out, now, decoded.reason, () => {
      const from = event.source === undefined ? "" : ` from ${family.format(event.source)}`;
      const name = state.byIfindex.get(event.ifindex)?.name;
      return `packet${from} on ${name === undefined ? `ifindex ${event.ifindex}` : `"${name}"`}`;
    });
    return;
  }
  const { source, message, label } = decoded.value;
  const from = () => family.format(source);
  if (state.ownAddresses.has(source)) {
    drop(state, out, now, "own-packet", () => `${label} from ${from()}`);
    return;
  }
  const vif = state.byIfindex.get(event.ifindex);
  if (vif === undefined) {
    drop(state, out, now, "not-proxied-interface", () => `${label} from ${from()}`);
    return;
  }
  const on = () => `${label} from ${from()} on "${vif.name}"`;
  if (vif.role === "upstream") {
    // Upstream we are a host: the kernel's host stack answers queries; reports mean nothing.
    drop(state, out, now, "on-upstream", on);
    return;
  }
  if (message.kind === "query") {
    receiveQuery(state, vif, source, message, now, out);
    return;
  }
  // Reports from 0.0.0.0 (a host without an address yet) count for the arrival interface.
  if (message.kind === "records") {
    state.counters.packets++;
    // Group-level reading of IGMPv3 / MLDv2 until source filtering lands: any record that
    // wants traffic is a report; an empty TO_IN / IS_IN is a leave.
    for (const r of message.records) {
      const record = () => `${label} record for ${family.format(r.group)} from ${from()}`;
      if (family.isLocalGroup(r.group)) {
        drop(state, out, now, "link-local-group", record);
        continue;
      }
      if (isGroupBounded(state, vif, r.group)) {
        drop(state, out, now, "boundary", () => `${record()} on "${vif.name}"`);
        continue;
      }
      const wants = r.recordType === 2 || r.recordType === 4 ||
        (r.recordType !== 6 && r.sourceCount > 0);
      const leaves = (r.recordType === 3 || r.recordType === 1) && r.sourceCount === 0;
      if (wants) report(state, vif, r.group, "v2-report", now, out);
      else if (leaves) receiveLeave(state, vif, r.group, record, now, out);
    }
    return;
  }
  const { group } = message;
  const what = () => `${label} for ${family.format(group)} from ${from()}`;
  if (family.isLocalGroup(group)) {
    drop(state, out, now, "link-local-group", what);
    return;
  }
  if (isGroupBounded(state, vif, group)) {
    drop(state, out, now, "boundary", () => `${what()} on "${vif.name}"`);
    return;
  }
  state.counters.packets++;
  if (state.options.debug) log(out, "debug", `Received ${what()} on "${vif.name}"`);
  if (message.kind === "leave") receiveLeave(state, vif, group, what, now, out);
  else report(state, vif, group, message.older ? "v1-report" : "v2-report", now, out);
}

/**
 * A report for `group` on a LAN. A group new to every LAN is refused past the group limit,
 * with a warning at most once a minute.
 */
function report<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  group: A,
  event: "v1-report" | "v2-report",
  now: number,
  out: Action<A>[],
): void {
  const limit = state.options.maxGroups ?? MAX_GROUPS;
  if (!vif.groups.has(group) && !state.members.has(group) && state.members.size >= limit) {
    drop(
      state,
      out,
      now,
      "group-limit",
      () => `report for ${state.family.format(group)} on "${vif.name}"`,
    );
    if (now - state.groupLimitWarned >= 60_000) {
      state.groupLimitWarned = now;
      log(
        out,
        "warn",
        `The LANs have members of ${limit} groups, the most allowed: reports for new groups ` +
          `are ignored (first: ${state.family.format(group)} on "${vif.name}")`,
      );
    }
    return;
  }
  applyMembership(state, vif, group, event, now, out);
}

/** A Leave (or an IGMPv3 record that leaves): only the querier acts on it (RFC 2236 section 6). */
function receiveLeave<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  group: A,
  what: () => string,
  now: number,
  out: Action<A>[],
): void {
  if (!vif.querier) {
    drop(state, out, now, "leave-while-not-querier", () => `${what()} on "${vif.name}"`);
    return;
  }
  applyMembership(state, vif, group, "leave", now, out);
}

/**
 * A query from another router on a LAN: querier election (RFC 2236 section 3, RFC 3376
 * section 6.6.2), the IGMPv1 router warning (RFC 2236 section 4), and, while not querier, the
 * group timer lowered by group-specific queries.
 */
function receiveQuery<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  source: A,
  query: Extract<ProtocolMessage<A>, { kind: "query" }>,
  now: number,
  out: Action<A>[],
): void {
  const { family } = state;
  const from = family.format(source);
  const what = () => `query from ${from} on "${vif.name}"`;
  if (source === family.unspecified) {
    // A query from a router without an address never wins an election.
    drop(state, out, now, "query-from-unspecified", what);
    return;
  }
  state.counters.packets++;
  if (state.options.debug) {
    const kind = query.group === family.unspecified
      ? "general"
      : `group-specific (${family.format(query.group)})`;
    log(
      out,
      "debug",
      `Received ${family.protocol}v${query.version} ${kind} query from ${from} on "${vif.name}"`,
    );
  }
  const changes = hearQuery(
    vif,
    { source, ours: vif.address, legacy: query.legacy },
    now,
    vif.timers,
  );
  applyQuerierChanges(state, vif, changes, now, out, source);
  // A group-specific query lowers the timer; one with the S flag (RFC 3376 section 4.1.5) or
  // with sources (hosts answer it only for those sources) does not.
  const groupSpecific = query.group !== family.unspecified && !query.suppressRouterSide &&
    query.sourceCount === 0;
  if (!vif.querier && groupSpecific && vif.groups.has(query.group)) {
    const timers = { ...vif.timers, lastMemberQueryInterval: query.maxRespTimeMs };
    applyMembership(state, vif, query.group, "group-query", now, out, timers);
  }
}

/**
 * Acts on election changes: logs them; as non-querier, stops queries (groups still age) and
 * forwarding onto the LAN; as querier again, queries at once and forwards again.
 */
function applyQuerierChanges<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  changes: QuerierChange[],
  now: number,
  out: Action<A>[],
  heardFrom: A = state.family.unspecified,
): void {
  for (const change of changes) {
    const other = state.family.format(vif.otherQuerier);
    switch (change) {
      case "v1-router":
        log(
          out,
          "warn",
          `An IGMPv1 router (${
            state.family.format(heardFrom)
          }) is querying on "${vif.name}": IGMPv1 ` +
            "has no querier election and its hosts cannot leave quickly; configure it for " +
            "IGMPv2 or later",
        );
        break;
      case "lost":
        vif.nextGeneralQuery = Infinity;
        vif.startupQueriesLeft = 0;
        for (const g of vif.groups.values()) {
          g.queriesLeft = 0;
          g.nextQuery = 0;
        }
        log(
          out,
          "info",
          `Querier on "${vif.name}" is ${other}, lower than our ${
            state.family.format(vif.address)
          }: ` +
            "we stop querying and forwarding there",
        );
        reconcileVif(state, vif, now, out);
        break;
      case "new-querier":
        log(out, "info", `Querier on "${vif.name}" is now ${other}`);
        break;
      case "resumed":
        log(out, "info", `Querier ${other} on "${vif.name}" went silent: we are the querier again`);
        vif.nextGeneralQuery = now;
        reconcileVif(state, vif, now, out);
        break;
    }
  }
}

/** Brings the entries of every group with members on `vif` in line (its forwarding changed). */
function reconcileVif<A extends Address>(
  state: ProxyState<A>,
  vif: VifState<A>,
  now: number,
  out: Action<A>[],
): void {
  for (const group of vif.groups.keys()) reconcileGroup(state, group, now, out);
}

function receiveUpcall<A extends Address>(
  state: ProxyState<A>,
  event: { msgtype: number; vif: number; source: A; group: A },
  now: number,
  out: Action<A>[],
): void {
  const what = () =>
    `upcall (${state.family.format(event.source)}, ${state.family.format(event.group)})`;
  if (event.msgtype !== IGMPMSG_NOCACHE) {
    drop(state, out, now, `upcall-type-${event.msgtype}`, what);
    return;
  }
  const vif = state.vifs.get(event.vif);
  if (vif === undefined) {
    drop(state, out, now, "upcall-unknown-vif", what);
    return;
  }
  if (state.family.isLocalGroup(event.group)) {
    drop(state, out, now, "link-local-group", what);
    return;
  }
  if (isGroupBounded(state, vif, event.group)) {
    drop(state, out, now, "boundary", () => `${what()} on "${vif.name}"`);
    return;
  }
  if (!isSourceAdmitted(state, vif, event.source)) {
    drop(state, out, now, "source-not-admitted", () => `${what()} on "${vif.name}"`);
    return;
  }
  const known = state.sources.get(event.group)?.get(event.source);
  if (known === undefined && state.sourceCount >= MAX_SOURCES) {
    drop(state, out, now, "source-limit", () => `${what()} on "${vif.name}"`);
    if (now - state.sourceLimitWarned >= 60_000) {
      state.sourceLimitWarned = now;
      log(
        out,
        "warn",
        `${MAX_SOURCES} (source, group) pairs are known, the most allowed: data of new ones is ` +
          `not forwarded (first: ${what()} on "${vif.name}")`,
      );
    }
    return;
  }
  state.counters.upcalls++;
  if (known === undefined) {
    let bySource = state.sources.get(event.group);
    if (bySource === undefined) state.sources.set(event.group, bySource = new Map());
    bySource.set(event.source, {
      iif: vif.vifi,
      lastSeen: now,
      installed: undefined,
      sampledPackets: -1,
    });
    state.sourceCount++;
    if (state.options.debug) log(out, "debug", `New source: ${what()} on "${vif.name}"`);
  } else {
    known.lastSeen = now;
    known.iif = vif.vifi;
    // The kernel lost or never got our entry: make reconcile install it again.
    known.installed = undefined;
  }
  if (state.nextSourceSweep === 0) {
    state.nextSourceSweep = now + (state.options.sourceLifetime ?? DEFAULT_SOURCE_LIFETIME) / 2;
  }
  reconcileGroup(state, event.group, now, out);
}
