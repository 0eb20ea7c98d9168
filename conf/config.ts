/**
 * The configuration model of mcast-proxy.conf: what the parser produces and the daemon consumes.
 *
 * The grammar grows by adding fields here, productions in the parser and lines in the canonical
 * printer. The timer keywords and how their values are written are the core's vocabulary
 * (src/core/timers.ts).
 *
 * @module
 */

import { DEFAULT_TIMERS, type ProtocolTimers } from "../src/core/timers.ts";

/** The user the daemon runs as when the configuration names none, as on OpenBSD. */
export const DEFAULT_USER = "_mcastproxy";

/** The role of an interface, as in mcast-proxy.conf(5). */
export type Role = "upstream" | "downstream" | "disabled";

/** A network prefix such as `10.0.0.0/8`. */
export interface Prefix {
  /** Address family of the prefix. */
  family: 4 | 6;
  /** The address in its textual form, e.g. `10.0.0.0`. */
  address: string;
  /** Prefix length in bits. */
  length: number;
}

/** Where a configuration item came from, for messages. */
export interface Position {
  /** File name as given by the user (or the included file's name). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
}

/**
 * Protocol variables as set in the file (global or per interface), in milliseconds for
 * intervals. An absent field is not set at that level.
 */
export type TimerSettings = Partial<ProtocolTimers>;

/** A named administrative scope: `name NAME PREFIX` at top level. */
export interface Scope {
  /** The scope's name, e.g. `LOCAL`. */
  name: string;
  /** The multicast range it names. */
  prefix: Prefix;
  /** Where it is defined. */
  position: Position;
}

/** One `boundary NAME|PREFIX` of an interface block. */
export interface Boundary {
  /** The scope name when the boundary was written by name. */
  name?: string;
  /** The multicast range kept off the interface (resolved from the name when given one). */
  prefix: Prefix;
}

/**
 * The IGMP versions a LAN can be queried with (`igmp-version`); IGMPv3 by default. IGMPv1 (RFC
 * 1112) is for LANs whose hosts or routers speak nothing newer (RFC 2236 section 4).
 */
export type IgmpVersion = 1 | 2 | 3;
/** The MLD versions a LAN can be queried with (`mld-version`); MLDv2 by default. */
export type MldVersion = 1 | 2;
/** The default `igmp-version`. */
export const DEFAULT_IGMP_VERSION: IgmpVersion = 3;
/** The default `mld-version`. */
export const DEFAULT_MLD_VERSION: MldVersion = 2;

/** `igmp-version` and `mld-version` as set at one level; absent: not set there. */
export interface QueryVersions {
  /** `igmp-version 1|2|3`: the IGMP version the proxy queries its LANs with. */
  igmpVersion?: IgmpVersion;
  /** `mld-version 1|2`: the MLD version the proxy queries its LANs with. */
  mldVersion?: MldVersion;
}

/** One `interface NAME { ... }` block. */
export interface InterfaceConfig extends QueryVersions {
  /** Interface name, e.g. `eth0`. */
  name: string;
  /** `upstream`, `downstream` or `disabled` (the default). */
  role: Role;
  /** Per-interface `ipv4 yes|no`; `undefined` means the global setting applies. */
  ipv4?: boolean;
  /** Per-interface `ipv6 yes|no`; `undefined` means the global setting applies. */
  ipv6?: boolean;
  /** Minimum TTL a packet needs to be forwarded onto this interface (1-255, default 1). */
  threshold: number;
  /** Extra source networks accepted on this interface (`source ADDR/PREFIX`). */
  sources: Prefix[];
  /** Protocol variables set in this block; they override the global ones. */
  timers: TimerSettings;
  /** Multicast ranges neither forwarded onto nor proxied through this interface. */
  boundaries: Boundary[];
  /** Where the block starts. */
  position: Position;
}

/** A whole parsed configuration. */
export interface Config extends QueryVersions {
  /** Global `ipv4 yes|no` (default yes). */
  ipv4: boolean;
  /** Global `ipv6 yes|no` (default no). */
  ipv6: boolean;
  /**
   * `user NAME`: the unprivileged user the daemon runs as once its sockets are open; `undefined`
   * means {@link DEFAULT_USER}.
   */
  user?: string;
  /** `chroot DIR`: the jail; `undefined` means the user's home directory. */
  chroot?: string;
  /** Protocol variables set at top level. */
  timers: TimerSettings;
  /** Named scopes (`name NAME PREFIX`), in file order. */
  scopes: Scope[];
  /**
   * `ssm-range PREFIX` lines, in file order: the source-specific multicast ranges. A family
   * with none keeps its default range (232.0.0.0/8; ff3x::/96); giving any replaces it.
   */
  ssmRanges: Prefix[];
  /** Interface blocks in file order. */
  interfaces: InterfaceConfig[];
  /**
   * Set in the routing mode (`mcast-routed`, configured by mrouted.conf): every interface is a
   * DVMRP vif (`role` downstream: IGMP querier there), none is upstream.
   */
  routing?: RoutingConfig;
}

/** A DVMRP tunnel of the routing mode, its ends resolved to addresses. */
export interface RoutingTunnel {
  /** Our end. */
  local: number;
  /** The far end. */
  remote: number;
  /** 1 to 31. */
  metric: number;
  /** 1 to 255. */
  threshold: number;
  /** Multicast ranges not forwarded through it. */
  boundaries: Prefix[];
}

/** The routing mode's settings beyond the interfaces. */
export interface RoutingConfig {
  /** Interface metrics by name (1 to 31; default 1). */
  metrics: Map<string, number>;
  /** The tunnels. */
  tunnels: RoutingTunnel[];
  /** Whether prunes are sent (`pruning off` or `-p`: no). */
  pruning: boolean;
  /** Lifetime of the prunes sent, in seconds. */
  pruneLifetime: number;
  /** Lifetime of forwarding cache entries, in seconds. */
  cacheLifetime: number;
}

/** A configuration error or warning with its position. */
export interface ConfigDiagnostic {
  /** Where in which file. */
  position: Position;
  /** Sentence-case message without final period. */
  message: string;
  /** `error` fails the parse; `warning` is reported and the config is used. */
  severity: "error" | "warning";
}

/** Formats a diagnostic as `file:line:col: message` (warnings say so). */
export function formatDiagnostic(d: ConfigDiagnostic): string {
  const where = `${d.position.file}:${d.position.line}:${d.position.col}`;
  return d.severity === "warning" ? `${where}: warning: ${d.message}` : `${where}: ${d.message}`;
}

/**
 * Whether IPv4 proxying is on for an interface: its own `ipv4` when the block sets one, else the
 * global `ipv4`, wherever in the file either stands.
 */
export function interfaceIpv4(config: Config, iface: InterfaceConfig): boolean {
  return iface.ipv4 ?? config.ipv4;
}

/** Whether IPv6 proxying is on for an interface; same precedence as {@link interfaceIpv4}. */
export function interfaceIpv6(config: Config, iface: InterfaceConfig): boolean {
  return iface.ipv6 ?? config.ipv6;
}

/**
 * The protocol variables an interface runs with: each one from the interface block if set
 * there, else from the top level, else the RFC default. Defaults derived from other variables
 * (Last Member Query Count and Startup Query Count = Robustness, Startup Query Interval = Query
 * Interval / 4) are derived from the values in effect.
 *
 * @example
 * ```ts
 * // robustness 3 at top level, nothing else: both counts become 3.
 * effectiveTimers({ ...config, timers: { robustness: 3 } }, iface).lastMemberQueryCount; // 3
 * ```
 */
export function effectiveTimers(
  config: Pick<Config, "timers">,
  iface?: Pick<InterfaceConfig, "timers">,
): ProtocolTimers {
  const get = <K extends keyof ProtocolTimers>(k: K): ProtocolTimers[K] | undefined =>
    iface?.timers[k] ?? config.timers[k];
  const robustness = get("robustness") ?? DEFAULT_TIMERS.robustness;
  const queryInterval = get("queryInterval") ?? DEFAULT_TIMERS.queryInterval;
  return {
    robustness,
    queryInterval,
    queryResponseInterval: get("queryResponseInterval") ?? DEFAULT_TIMERS.queryResponseInterval,
    lastMemberQueryInterval: get("lastMemberQueryInterval") ??
      DEFAULT_TIMERS.lastMemberQueryInterval,
    lastMemberQueryCount: get("lastMemberQueryCount") ?? robustness,
    startupQueryInterval: get("startupQueryInterval") ?? queryInterval / 4,
    startupQueryCount: get("startupQueryCount") ?? robustness,
  };
}

/**
 * The IGMP version an interface is queried with: its own `igmp-version` when the block sets
 * one, else the global one, else {@link DEFAULT_IGMP_VERSION}.
 */
export function effectiveIgmpVersion(
  config: QueryVersions,
  iface?: QueryVersions,
): IgmpVersion {
  return iface?.igmpVersion ?? config.igmpVersion ?? DEFAULT_IGMP_VERSION;
}

/** The MLD version an interface is queried with; same precedence as IGMP's. */
export function effectiveMldVersion(config: QueryVersions, iface?: QueryVersions): MldVersion {
  return iface?.mldVersion ?? config.mldVersion ?? DEFAULT_MLD_VERSION;
}

/** The `ssm-range` prefixes of one family, in file order; empty: the family's default. */
export function ssmRangesOf(config: Pick<Config, "ssmRanges">, family: 4 | 6): Prefix[] {
  return config.ssmRanges.filter((p) => p.family === family);
}
