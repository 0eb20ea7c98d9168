/**
 * The configuration model of the routing mode, `mcast-routed`: what the reader of mrouted.conf
 * (parser.ts) produces and the DVMRP daemon consumes, with the defaults and ranges of every
 * setting. The grammar is mrouted's (see man/mcast-routed.8); the protocol is DVMRPv3
 * (draft-ietf-idmr-dvmrp-v3-11, "the draft" below).
 *
 * Addresses are IPv4 numbers (unsigned 32 bits, `0x0a000001` is 10.0.0.1) as in the DVMRP core
 * (src/dvmrp/), not the strings of the proxy's `Prefix` (conf/config.ts): a DVMRP route is a
 * number and a prefix length. Positions and diagnostics are the proxy's. Times are seconds, as written in the file.
 *
 * Nothing is resolved here: interface names, and host names of tunnel ends, stay names for the
 * daemon to look up (the parser is pure).
 *
 * @module
 */

import type { Position } from "../config.ts";
import { THRESHOLD_MAX, THRESHOLD_MIN } from "../values.ts";
import { DVMRP_INFINITY } from "../../src/proto/dvmrp_messages.ts";

export type { ConfigDiagnostic, Position } from "../config.ts";
export { formatDiagnostic } from "../config.ts";
export { THRESHOLD_MAX, THRESHOLD_MIN };

/** The configuration file read when `-c` gives none, as for mrouted. */
export const DEFAULT_MROUTED_CONF = "/etc/mrouted.conf";

/** Lowest interface metric (`metric`); also its default. */
export const METRIC_MIN = 1;
/**
 * Highest interface metric, 31: one less than Infinity (32, section 3.4.3), so that the
 * interface stays reachable. A path's metrics add up (section 3.4.6); past 31 it is unreachable.
 */
export const METRIC_MAX: number = DVMRP_INFINITY - 1;
/** Default `metric` of a phyint or tunnel. */
export const DEFAULT_METRIC: number = METRIC_MIN;
/** Default `threshold` (the TTL a datagram needs to be forwarded onto the vif). */
export const DEFAULT_THRESHOLD: number = THRESHOLD_MIN;

/** Lowest `rate_limit`: 0 means no limit. */
export const RATE_LIMIT_MIN = 0;
/** Highest `rate_limit`, in kbit/s (1 Gbit/s). */
export const RATE_LIMIT_MAX = 1_000_000;
/** Default `rate_limit` of a phyint: none. */
export const DEFAULT_PHYINT_RATE_LIMIT = 0;
/** Default `rate_limit` of a tunnel, 500 kbit/s, as in mrouted. */
export const DEFAULT_TUNNEL_RATE_LIMIT = 500;

/** Lowest `cache_lifetime`, 300 s (5 minutes), as in mrouted. */
export const CACHE_LIFETIME_MIN = 300;
/** Highest `cache_lifetime`, 86400 s (1 day), as in mrouted. */
export const CACHE_LIFETIME_MAX = 86_400;
/** Default `cache_lifetime`: a forwarding cache entry lives 300 s without traffic. */
export const DEFAULT_CACHE_LIFETIME: number = CACHE_LIFETIME_MIN;

/** Lowest `prune_lifetime`, 120 s, mrouted's minimum. */
export const PRUNE_LIFETIME_MIN = 120;
/** Highest `prune_lifetime`, 86400 s (1 day). */
export const PRUNE_LIFETIME_MAX = 86_400;
/**
 * Default `prune_lifetime`, 7200 s: the two hours of the draft's Prune Lifetime (section 3.5),
 * as mrouted sends.
 */
export const DEFAULT_PRUNE_LIFETIME = 7_200;

/** An IPv4 prefix: a network with its host bits clear, and its length (0-32). */
export interface Ipv4Prefix {
  /** The network address. */
  address: number;
  /** The prefix length in bits. */
  length: number;
}

/**
 * The local side of a phyint or tunnel, as written: an address of one of the router's
 * interfaces, or an interface name (e.g. `le0`). The daemon finds the interface.
 */
export type IfaceRef =
  | { kind: "address"; address: number }
  | { kind: "name"; name: string };

/** The remote end of a tunnel, as written; a host name is resolved by the daemon. */
export type TunnelRemote =
  | { kind: "address"; address: number }
  | { kind: "hostname"; name: string };

/** One physical interface (`phyint`), all its statements merged in file order. */
export interface PhyintConfig {
  /** Where its first `phyint` statement is. */
  at: Position;
  /** The interface, by address or name. */
  iface: IfaceRef;
  /** `disable`: no multicast routing on it. */
  disable: boolean;
  /** `metric`, 1-31: the cost added to routes learned over it (section 3.4.6). Default 1. */
  metric: number;
  /** `threshold`, 1-255: the TTL a datagram needs to be forwarded onto it. Default 1. */
  threshold: number;
  /**
   * `rate_limit` in kbit/s, 0 for none (the default). Kept as configured: the daemon may not
   * enforce it (the kernel's VIF rate limit is not implemented on every system).
   */
  rateLimit: number;
  /** `boundary`: administratively scoped ranges not forwarded onto or from it, in file order. */
  boundaries: Ipv4Prefix[];
  /** `altnet`: more subnets directly attached to it, beside its address's own. */
  altnets: Ipv4Prefix[];
  /** `igmpv1`: query it with IGMPv1 (older hosts on the LAN). */
  igmpv1: boolean;
}

/** One tunnel (`tunnel`): a point-to-point vif to another DVMRP router, IP-in-IP encapsulated. */
export interface TunnelConfig {
  /** Where its `tunnel` statement is. */
  at: Position;
  /** The local end: an address of one of the router's interfaces, or that interface's name. */
  local: IfaceRef;
  /** The remote router. */
  remote: TunnelRemote;
  /** `metric`, 1-31 (section 3.4.6). Default 1. */
  metric: number;
  /** `threshold`, 1-255. Default 1. */
  threshold: number;
  /**
   * `rate_limit` in kbit/s, 0 for none; default 500. Kept as configured: the daemon may not
   * enforce it.
   */
  rateLimit: number;
  /** `boundary`: scoped ranges not forwarded through the tunnel, in file order. */
  boundaries: Ipv4Prefix[];
}

/** A whole mrouted.conf. */
export interface MroutedConfig {
  /** The `phyint` statements, one entry per interface reference, in the order of the first. */
  phyints: PhyintConfig[];
  /** The `tunnel` statements in file order. */
  tunnels: TunnelConfig[];
  /** The boundary names (`name NAME PREFIX`), in file order. */
  names: Map<string, Ipv4Prefix>;
  /** `cache_lifetime` in seconds, 300-86400 (default 300). */
  cacheLifetime: number;
  /** `prune_lifetime` in seconds, 120-86400 (default 7200): the lifetime of the prunes sent. */
  pruneLifetime: number;
  /** `pruning on|off` (default on); `-p` on the command line turns it off too. */
  pruning: boolean;
}

/** The configuration of an empty (or missing) file: every interface with its defaults. */
export function defaultMroutedConfig(): MroutedConfig {
  return {
    phyints: [],
    tunnels: [],
    names: new Map(),
    cacheLifetime: DEFAULT_CACHE_LIFETIME,
    pruneLifetime: DEFAULT_PRUNE_LIFETIME,
    pruning: true,
  };
}

/** A phyint with the defaults, for an interface first configured at `at`. */
export function defaultPhyint(iface: IfaceRef, at: Position): PhyintConfig {
  return {
    at,
    iface,
    disable: false,
    metric: DEFAULT_METRIC,
    threshold: DEFAULT_THRESHOLD,
    rateLimit: DEFAULT_PHYINT_RATE_LIMIT,
    boundaries: [],
    altnets: [],
    igmpv1: false,
  };
}

/** A tunnel with the defaults. */
export function defaultTunnel(
  ends: { local: IfaceRef; remote: TunnelRemote },
  at: Position,
): TunnelConfig {
  return {
    at,
    local: ends.local,
    remote: ends.remote,
    metric: DEFAULT_METRIC,
    threshold: DEFAULT_THRESHOLD,
    rateLimit: DEFAULT_TUNNEL_RATE_LIMIT,
    boundaries: [],
  };
}
