/**
 * The proxy core's state and vocabulary: the interfaces it runs on, what it keeps per VIF, per
 * group and per source, the events it reacts to, and the {@link StepContext} every part of a
 * step passes along (the state, the time, and the actions produced so far).
 *
 * The predicates every part asks (is this source admitted on that VIF, is this group inside a
 * boundary) live here too, so that the parts depend on this file and not on each other.
 *
 * @module
 */

import type { Action, LogLevel, SourceFilter } from "./actions.ts";
import type { GroupRecord } from "./group_record.ts";
import type { InstalledMfc, PlannerVif } from "./mfc_planner.ts";
import type { Address, Subnet } from "./subnet.ts";
import type { Family, PacketInput } from "./family.ts";
import type { QuerierState } from "./querier.ts";
import type { ProtocolTimers } from "./timers.ts";
import type { TimerHeap } from "./timer_heap.ts";
import type { VifSet } from "./vif_set.ts";
import type { DropReason } from "../proto/result.ts";

/** Upcall type: no cache entry for (S,G) (IGMPMSG_NOCACHE in <linux/mroute.h>). */
export const IGMPMSG_NOCACHE = 1;

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
  /**
   * The version the proxy queries this LAN with, as querier, in the family's numbering (one of
   * `Family.queryVersions`: IGMP 1, 2 or 3, MLD 1 or 2). Unused upstream.
   */
  queryVersion: number;
}

export { MAXVIFS } from "./vif_set.ts";

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
  /**
   * The source-specific multicast ranges, whose groups only ever hold INCLUDE state (RFC 4604,
   * RFC 4607). Default: the family's `ssmRanges` (232.0.0.0/8; ff3x::/96).
   */
  ssmRanges?: Subnet<A>[];
  /**
   * Interfaces get VIF numbers below this (default {@link MAXVIFS}): the routing mode keeps the
   * numbers above for its tunnels.
   */
  vifLimit?: number;
}

/** Default of {@link ProxyOptions.maxGroups}. */
export const MAX_GROUPS = 16384;

/**
 * The most (source, group) pairs remembered at once, installed or not: data for more new ones
 * is dropped (`source-limit`), so that senders of made-up groups cannot exhaust memory and the
 * kernel's forwarding cache.
 */
export const MAX_SOURCES = 65536;

/**
 * The most sources the LANs' membership records may name at once, all groups and LANs together:
 * records naming new sources past it are dropped (`membership-source-limit`), so that a LAN
 * cannot exhaust memory with made-up source lists.
 */
export const MAX_MEMBERSHIP_SOURCES = 65536;

/**
 * A VIF and, on downstream interfaces, the router-side state. On the upstream interface the
 * querier fields hold the upstream router heard there: `otherQuerier` is the source of the last
 * query (unspecified: none heard) and `otherQuerierHeard` its time.
 */
export interface VifState<A extends Address = number>
  extends ProxyInterface<A>, PlannerVif<A>, QuerierState<A> {
  /** General queries of the startup phase still to send. */
  startupQueriesLeft: number;
  /** When the next general query is due (downstream only; 0 upstream). */
  nextGeneralQuery: number;
  /** Group memberships on this interface (downstream only). */
  groups: Map<A, GroupRecord<A>>;
  /**
   * The LAN's own protocol variables (from the configuration). {@link ProxyInterface.timers} are
   * those in force: as non-querier, the querier's Robustness Variable and Query Interval (its
   * QRV and QQIC, RFC 3376 sections 4.1.6 and 4.1.7) replace ours.
   */
  ownTimers: ProtocolTimers;
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
  drops: Map<ProxyDropReason, number>;
}

/** A group timer in the queue: the record it was queued for, and when it is due. */
export interface GroupTimer<A extends Address> {
  /** When the record's earliest timer was due at queueing time. */
  at: number;
  /** The VIF of the group. */
  vif: VifState<A>;
  /** The group. */
  group: A;
  /** The record; a timer whose record was replaced or removed is stale. */
  record: GroupRecord<A>;
}

/** Rate limit of the debug lines about drops. */
export interface DropLog {
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
  readonly members: Map<A, VifSet>;
  /** Known sources by group, then by source address. */
  readonly sources: Map<A, Map<A, SourceState>>;
  /**
   * Groups joined on the upstream interface, with the source filter applied (sources in numeric
   * order; any source is EXCLUDE {}).
   */
  readonly upstreamJoined: Map<A, SourceFilter<A>>;
  /** Our own addresses (packets from them are dropped). */
  readonly ownAddresses: Set<A>;
  /** Counters. */
  readonly counters: ProxyCounters;
  /** Next time unused sources are swept. */
  nextSourceSweep: number;
  /** Rate limit of drop logging. */
  readonly dropLog: DropLog;
  /**
   * Group timers by deadline. A record has at most one live entry, the one whose `at` is the
   * record's `queuedAt`; others for it are stale and skipped when due.
   */
  readonly groupTimers: TimerHeap<GroupTimer<A>>;
  /** When the group limit was last warned about (-Infinity: never). */
  groupLimitWarned: number;
  /** The number of (source, group) pairs in {@link ProxyState.sources}. */
  sourceCount: number;
  /** When the source limit was last warned about (-Infinity: never). */
  sourceLimitWarned: number;
  /** The number of sources the LANs' membership records hold. */
  membershipSources: number;
  /** When the membership source limit was last warned about (-Infinity: never). */
  membershipSourceLimitWarned: number;
  /**
   * The last upcall refused because its source is outside the interface's subnets and `source`
   * lines (`source-not-admitted`): what `mcast-proxyctl doctor` names.
   */
  refusedSource: RefusedSource<A> | undefined;
  /**
   * What happened that an operator watches (`mcast-proxyctl monitor`): collected only while
   * this is a list, which the runtime sets while someone watches and empties after each step.
   */
  notices: Notice<A>[] | undefined;
  /**
   * The groups whose membership on some LAN may have changed, collected only while this is a
   * set: the routing mode (`src/dvmrp/`) sets it, plans its own forwarding from it and empties
   * it after each step. The proxy itself never reads it.
   */
  changedGroups: Set<A> | undefined;
}

/** Data refused for its source: which (S,G), on which VIF, when. */
export interface RefusedSource<A extends Address = number> {
  source: A;
  group: A;
  vifi: number;
  at: number;
}

/**
 * An event worth a line to an operator watching the daemon; the runtime adds those it sees in
 * the actions (VIFs, forwarding entries, upstream memberships).
 */
export type Notice<A extends Address = number> =
  /** A LAN has a member of a group now (its record was created). */
  | { kind: "member-join"; vifi: number; group: A }
  /** A LAN has no member of a group any more (its record ended or its interface went). */
  | { kind: "member-leave"; vifi: number; group: A }
  /** The querier of a LAN changed: us (`self`), or another router. */
  | { kind: "querier"; vifi: number; querier: A; self: boolean }
  /** Data from a source not known before arrived (an upcall). */
  | { kind: "new-source"; vifi: number; source: A; group: A };

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

/**
 * Why the core dropped an input, beyond the decoders' {@link DropReason}s:
 *
 * - `own-packet`: sent from one of the proxy's own addresses.
 * - `not-proxied-interface`: arrived on an interface without a VIF.
 * - `on-upstream`: a report, leave or query on the upstream interface (the kernel's host
 *   stack answers there).
 * - `link-local-group`: a group of the local network control block (224.0.0.0/24, ff02::/16).
 * - `boundary`: a group inside an administrative boundary of the interface.
 * - `group-limit`: a report for a new group while the LANs have members of the most allowed.
 * - `leave-while-not-querier`: a Leave or Done on a LAN where another router is the querier.
 * - `query-from-unspecified`: a query from 0.0.0.0 or :: (it never wins an election).
 * - `upcall-unknown-vif`: a kernel upcall naming a VIF the proxy does not have.
 * - `upcall-type-N`: a kernel upcall of a type other than IGMPMSG_NOCACHE.
 * - `source-not-admitted`: data from outside the interface's subnets and `source` lines.
 * - `source-limit`: data of a new (source, group) while the most allowed are known.
 * - `membership-source-limit`: a record naming sources while the LANs' records hold the most
 *   allowed ({@link MAX_MEMBERSHIP_SOURCES}).
 * - `report-off-subnet`: a report from an IPv4 source outside the LAN's subnets, other than
 *   0.0.0.0 (RFC 3376 section 9.2).
 * - `ssm-older-report`: an IGMPv1/v2 or MLDv1 report (or Leave, Done) for a group in an SSM range
 *   (RFC 4604 section 2.2.1, RFC 4607 section 8); the rest of the packet is still processed.
 * - `ssm-exclude-record`: an IS_EX or TO_EX record for a group in an SSM range (RFC 4604
 *   sections 2.2.1 and 3.1); the packet's other records are still processed.
 */
export type CoreDropReason =
  | "own-packet"
  | "not-proxied-interface"
  | "on-upstream"
  | "link-local-group"
  | "boundary"
  | "group-limit"
  | "leave-while-not-querier"
  | "query-from-unspecified"
  | "upcall-unknown-vif"
  | `upcall-type-${number}`
  | "source-not-admitted"
  | "source-limit"
  | "membership-source-limit"
  | "report-off-subnet"
  | "ssm-older-report"
  | "ssm-exclude-record";

/** Every reason an input is counted as dropped. */
export type ProxyDropReason = DropReason | CoreDropReason;

/** Default of {@link ProxyOptions.sourceLifetime} (ms). */
export const DEFAULT_SOURCE_LIFETIME = 60_000;

/**
 * What every part of one step passes along: the state it changes, the time of the event, and
 * the actions produced so far, in order (the runtime executes them after the step).
 */
export interface StepContext<A extends Address = number> {
  /** The core's state. */
  readonly state: ProxyState<A>;
  /** The time of the event (ms). */
  readonly now: number;
  /** The actions produced so far. */
  readonly out: Action<A>[];
}

/** Appends a log action. */
export function log<A extends Address>(
  ctx: StepContext<A>,
  level: LogLevel,
  message: string,
): void {
  ctx.out.push({ kind: "log", level, message });
}

/** Records a notice while someone watches (see {@link ProxyState.notices}). */
export function notice<A extends Address>(ctx: StepContext<A>, n: Notice<A>): void {
  ctx.state.notices?.push(n);
}

/** The source lifetime in force (ms). */
export function sourceLifetime<A extends Address>(state: ProxyState<A>): number {
  return state.options.sourceLifetime ?? DEFAULT_SOURCE_LIFETIME;
}

/** Every address of an interface: the primary one and those of its subnets. */
export function interfaceAddresses<A extends Address>(iface: ProxyInterface<A>): A[] {
  return [iface.address, ...iface.subnets.map((s) => s.address)];
}

/** Whether data from `source` is accepted on a VIF: its own subnets or a configured `source`. */
export function isSourceAdmitted<A extends Address>(
  state: ProxyState<A>,
  vif: ProxyInterface<A>,
  source: A,
): boolean {
  const { inAnySubnet } = state.family;
  return inAnySubnet(source, vif.subnets) || inAnySubnet(source, vif.sources);
}

/** Whether `group` is inside one of the interface's administrative boundaries. */
export function isGroupBounded<A extends Address>(
  state: ProxyState<A>,
  vif: Pick<ProxyInterface<A>, "boundaries">,
  group: A,
): boolean {
  return state.family.inAnySubnet(group, vif.boundaries);
}

/** The VIF of the interface called `name`, if it has one. */
export function vifNamed<A extends Address>(
  state: ProxyState<A>,
  name: string,
): VifState<A> | undefined {
  for (const vif of state.vifs.values()) if (vif.name === name) return vif;
  return undefined;
}

/**
 * The newest compatibility mode a LAN's groups may be in, in IGMP's numbering: 1 on a LAN
 * queried with IGMPv1, which ignores Leaves (RFC 3376 section 7.3.1), so that all its groups
 * behave as with an IGMPv1 host present; else 3. An IGMPv2 or MLDv1 querier still keeps the
 * source records of the newer hosts it hears (RFC 3376 and RFC 3810 ask nothing else of it).
 */
export function versionCap<A extends Address>(
  state: ProxyState<A>,
  vif: Pick<ProxyInterface<A>, "queryVersion">,
): 1 | 3 {
  return state.family.latestVersion - vif.queryVersion === 2 ? 1 : 3;
}

/** Whether `group` is in a source-specific multicast range (RFC 4607 section 1). */
export function isSsmGroup<A extends Address>(state: ProxyState<A>, group: A): boolean {
  return state.family.inAnySubnet(group, state.options.ssmRanges ?? state.family.ssmRanges);
}
