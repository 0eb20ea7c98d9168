/**
 * What the source-filtering end-to-end tests need per address family: the two sources, the
 * groups (SSM range and any-source range), the daemon's configuration with short timers, how
 * to make a host speak the older protocol, the capture filter of membership messages, and the
 * kernel state to read. One scenario written once runs on IPv4 (IGMPv3) and IPv6 (MLDv2).
 *
 * @module
 */

import { MLD_FILTER } from "./capture.ts";
import { labConfig } from "./daemon.ts";
import { type Lab, SRC2_ADDR, SRC2_ADDR6, SRC_ADDR, SRC_ADDR6 } from "./lab.ts";
import { entryOf, entryOf6, memberships, upstreamGroups6 } from "./kernel_state.ts";

/**
 * The protocol timers of the scenarios: general queries every 3 s with 1 s to answer,
 * robustness 2, and a last-member query time of 0.5 s × 2.
 */
export const SSM_TIMERS = [
  "robustness 2",
  "query-interval 3",
  "query-response-interval 1",
  "last-member-query-interval 0.5",
  "last-member-query-count 2",
].join("\n") + "\n";
/** Query Response Interval of {@link SSM_TIMERS}, in ms: general queries' Max Resp Time. */
export const SSM_QUERY_RESPONSE_INTERVAL_MS = 1000;
/** Last Member Query Interval of {@link SSM_TIMERS}, in ms: group queries' Max Resp Time. */
export const SSM_LAST_MEMBER_QUERY_INTERVAL_MS = 500;
/** Last Member Query Interval × Last Member Query Count of {@link SSM_TIMERS}, in ms. */
export const SSM_LAST_MEMBER_QUERY_TIME_MS = 1000;
/**
 * Group Membership Interval of {@link SSM_TIMERS} (robustness × query interval + query
 * response interval), in ms: also the Older Host Present Interval (RFC 3376 §8.13).
 */
export const SSM_GROUP_MEMBERSHIP_INTERVAL_MS = 7000;

/** One address family's side of the scenarios. */
export interface SsmFamily {
  /** "IPv4" or "IPv6", for test names and messages. */
  name: "IPv4" | "IPv6";
  /** The stock host's protocol, e.g. "IGMPv3". */
  protocol: string;
  /** The older protocol a forced host speaks, e.g. "IGMPv2". */
  oldProtocol: string;
  /** The first source (the lab's sender). */
  s1: string;
  /** The second source, on the same upstream link. */
  s2: string;
  /** A group of the SSM range (232/8, ff3x::/96). */
  ssm: string;
  /** A second SSM-range group, for the older protocol's report. */
  ssmOld: string;
  /** A third SSM-range group, for more sources than one socket filter holds. */
  ssmMany: string;
  /**
   * The kernel's default limit of sources per socket filter: `net.ipv4.igmp_max_msf` (10),
   * `net.ipv6.mld_max_msf` (64).
   */
  maxMsf: number;
  /** The `i`-th made-up source (from 1), on no link of the lab. */
  madeUpSource(i: number): string;
  /** A group outside the SSM range. */
  asm: string;
  /** Another group outside the SSM range, as a marker that a report was processed. */
  control: string;
  /** Hop limit of the streams. */
  ttl: number;
  /** The tcpdump filter of this family's membership messages (IGMP, MLD). */
  membershipFilter: string;
  /** The kernel message of a general query, as {@link queryKind} names it. */
  generalQueryKind: string;
  /** The destination of general queries. */
  allHosts: string;
  /** The daemon's configuration: the lab's interfaces, this family on, {@link SSM_TIMERS}. */
  config(lab: Lab): string;
  /** Makes a host speak the older protocol (IGMPv2, MLDv1) and repeat nothing at random. */
  useOldProtocol(lab: Lab, ns: string): Promise<void>;
  /** The resolved (source, group) entry of the proxy's forwarding cache, oifs as `name:ttl`. */
  entry(
    lab: Lab,
    source: string,
    group: string,
  ): Promise<{ iif: string; oifs: string[] } | undefined>;
  /** Whether the proxy is a member of `group` on its upstream interface. */
  joinedUpstream(lab: Lab, group: string): Promise<boolean>;
}

/** IPv4: IGMPv3 hosts, IGMPv2 as the older protocol. */
export const IPV4: SsmFamily = {
  name: "IPv4",
  protocol: "IGMPv3",
  oldProtocol: "IGMPv2",
  s1: SRC_ADDR,
  s2: SRC2_ADDR,
  ssm: "232.1.1.1",
  ssmOld: "232.1.1.3",
  ssmMany: "232.1.1.5",
  maxMsf: 10,
  madeUpSource: (i) => `10.0.7.${i}`,
  asm: "239.1.3.1",
  control: "239.1.1.9",
  ttl: 8,
  membershipFilter: "igmp",
  generalQueryKind: "igmp v3",
  allHosts: "224.0.0.1",
  config: (lab) => SSM_TIMERS + labConfig(lab),
  async useOldProtocol(lab, ns) {
    await lab.setIgmpVersion(ns, 2);
    await lab.sysctl(ns, "net.ipv4.igmp_qrv", 1);
  },
  entry: entryOf,
  joinedUpstream: async (lab, group) =>
    (await memberships(lab, lab.ifaces.upstream)).includes(group),
};

/** IPv6: MLDv2 hosts, MLDv1 as the older protocol. */
export const IPV6: SsmFamily = {
  name: "IPv6",
  protocol: "MLDv2",
  oldProtocol: "MLDv1",
  s1: SRC_ADDR6,
  s2: SRC2_ADDR6,
  ssm: "ff3e::8000:1",
  ssmOld: "ff3e::8000:3",
  ssmMany: "ff3e::8000:5",
  maxMsf: 64,
  madeUpSource: (i) => `2001:db8:7::${i.toString(16)}`,
  asm: "ff05::13",
  control: "ff05::19",
  ttl: 5,
  membershipFilter: MLD_FILTER,
  generalQueryKind: "mld v2",
  allHosts: "ff02::1",
  config: (lab) => "ipv4 no\nipv6 yes\n" + SSM_TIMERS + labConfig(lab),
  async useOldProtocol(lab, ns) {
    await lab.setMldVersion(ns, 1);
    await lab.sysctl(ns, "net.ipv6.conf.all.mldv1_unsolicited_report_interval", 1);
    await lab.sysctl(ns, "net.ipv6.conf.eth0.mldv1_unsolicited_report_interval", 1);
  },
  entry: entryOf6,
  joinedUpstream: async (lab, group) => (await upstreamGroups6(lab)).includes(group),
};
