/**
 * The configured interfaces of each protocol family, and how they match the system's: which
 * interfaces proxy IPv4 and which IPv6, whether each one is usable now, and what changed.
 *
 * IPv4 interfaces use their primary address for queries and their IPv4 subnets as local
 * sources; IPv6 interfaces use their link-local address (MLD is link-local) and every IPv6
 * prefix they hold.
 *
 * @module
 */

import type { Config, InterfaceConfig, Prefix } from "../../conf/config.ts";
import {
  effectiveIgmpVersion,
  effectiveMldVersion,
  effectiveTimers,
  interfaceIpv4,
  interfaceIpv6,
  ssmRangesOf,
} from "../../conf/config.ts";
import type { Address, Family, Subnet } from "../core/family.ts";
import { IGMP_FAMILY } from "../core/igmp_family.ts";
import { MLD_FAMILY } from "../core/mld_family.ts";
import { MAXVIFS, type ProxyInterface } from "../core/proxy.ts";
import { ipv6ToBigInt, isIPv6LinkLocalUnicast, parseIPv4, parseIPv6 } from "../proto/addr.ts";
import type { SystemInterface } from "./sys.ts";

/** A startup failure: `main.ts` prints the message as one fatal line and exits 1. */
export class StartupError extends Error {
  /** Builds the error with a one-line, user-facing message. */
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

/** A configured interface of one family: everything but what the system says. */
export type ConfiguredInterface<A extends Address = number> = Omit<
  ProxyInterface<A>,
  "ifindex" | "address" | "subnets"
>;

/**
 * Why a configured interface cannot be used right now. `no-carrier` (up, but not running) only
 * keeps an interface from being taken into use: one in use keeps its VIF and memberships
 * through a carrier loss.
 */
export type InterfaceProblem =
  | "missing"
  | "down"
  | "no-multicast"
  | "no-ipv4"
  | "no-ipv6"
  | "no-carrier";

/** A configured interface that is not usable now. */
export interface UnusableInterface<A extends Address = number> {
  /** Its name. */
  name: string;
  /** Its role. */
  role: ProxyInterface["role"];
  /** Why it is not usable. */
  problem: InterfaceProblem;
  /** What it would be if usable: set when only the carrier is missing. */
  iface?: ProxyInterface<A>;
}

/** Configured interfaces matched against the system's. */
export interface InterfaceScan<A extends Address = number> {
  /** The usable ones, in configuration order. */
  usable: ProxyInterface<A>[];
  /** The others, in configuration order, with why each one is not usable. */
  unusable: UnusableInterface<A>[];
}

/** What the runtime needs to know of a protocol family besides the core's {@link Family}. */
export interface FamilySpec<A extends Address> {
  /** "IPv4" or "IPv6". */
  readonly name: "IPv4" | "IPv6";
  /** Put before every log line of the family: nothing for IPv4, `IPv6: ` for IPv6. */
  readonly logPrefix: string;
  /** The core's half. */
  readonly family: Family<A>;
  /** Whether the family is on for an interface (the interface's setting, else the global one). */
  enabled(config: Config, ic: InterfaceConfig): boolean;
  /**
   * The version an interface's LAN is queried with, in the core family's numbering: its
   * `igmp-version` (`mld-version`), else the global one, else the latest.
   */
  queryVersion(config: Config, ic: InterfaceConfig): number;
  /** The family's IP version, as configured prefixes say it. */
  readonly ipVersion: 4 | 6;
  /** A configured prefix of this family as the core holds it; `undefined` for the other family. */
  toSubnet(prefix: Prefix): Subnet<A> | undefined;
  /** The address queries go out from and the interface's prefixes; `undefined` if it has none. */
  addressesOf(sysIf: SystemInterface): { address: A; subnets: Subnet<A>[] } | undefined;
  /** The problem of an interface {@link FamilySpec.addressesOf} finds nothing on. */
  readonly noAddress: InterfaceProblem;
}

/** IGMP over IPv4. */
export const IPV4: FamilySpec<number> = {
  name: "IPv4",
  logPrefix: "",
  family: IGMP_FAMILY,
  enabled: interfaceIpv4,
  queryVersion: effectiveIgmpVersion,
  ipVersion: 4,
  toSubnet(p) {
    if (p.family !== 4) return undefined;
    const address = parseIPv4(p.address);
    return address === undefined ? undefined : { address, prefixLength: p.length };
  },
  addressesOf(sysIf) {
    if (sysIf.ipv4.length === 0) return undefined;
    return {
      address: sysIf.ipv4[0].address,
      subnets: sysIf.ipv4.map((a) => ({ address: a.address, prefixLength: a.prefixLength })),
    };
  },
  noAddress: "no-ipv4",
};

/** MLD over IPv6. */
export const IPV6: FamilySpec<bigint> = {
  name: "IPv6",
  logPrefix: "IPv6: ",
  family: MLD_FAMILY,
  enabled: interfaceIpv6,
  queryVersion: effectiveMldVersion,
  ipVersion: 6,
  toSubnet(p) {
    if (p.family !== 6) return undefined;
    const address = parseIPv6(p.address);
    return address === undefined
      ? undefined
      : { address: ipv6ToBigInt(address), prefixLength: p.length };
  },
  addressesOf(sysIf) {
    const linkLocal = sysIf.ipv6.find((a) => isIPv6LinkLocalUnicast(a.address) && !a.tentative);
    if (linkLocal === undefined) return undefined;
    return {
      address: ipv6ToBigInt(linkLocal.address),
      subnets: sysIf.ipv6.map((a) => ({
        address: ipv6ToBigInt(a.address),
        prefixLength: a.prefixLength,
      })),
    };
  },
  noAddress: "no-ipv6",
};

/** The interfaces each family proxies on; a family is absent when it is not proxied at all. */
export interface ConfiguredFamilies {
  /** IPv4 interfaces, when IPv4 is proxied. */
  ipv4?: ConfiguredInterface<number>[];
  /** IPv6 interfaces, when IPv6 is proxied. */
  ipv6?: ConfiguredInterface<bigint>[];
  /** What the configuration asks for that will not happen, for the log. */
  warnings: string[];
}

/** The prefixes of an interface's `source` or `boundary` lines of one family. */
function toSubnets<A extends Address>(
  spec: FamilySpec<A>,
  ic: InterfaceConfig,
  field: "sources" | "boundaries",
): Subnet<A>[] {
  const prefixes: Prefix[] = field === "sources" ? ic.sources : ic.boundaries.map((b) => b.prefix);
  return prefixes.filter((p) => p.family === spec.ipVersion).map((p) => {
    const subnet = spec.toSubnet(p);
    if (subnet === undefined) {
      throw new StartupError(`Interface "${ic.name}": bad address "${p.address}" in ${field}`);
    }
    return subnet;
  });
}

/** The interfaces of one family: not disabled and with the family on, in configuration order. */
function familyInterfaces<A extends Address>(
  spec: FamilySpec<A>,
  config: Config,
): ConfiguredInterface<A>[] {
  return config.interfaces.filter((ic) => ic.role !== "disabled" && spec.enabled(config, ic)).map((
    ic,
  ) => ({
    name: ic.name,
    role: ic.role as ProxyInterface["role"],
    sources: toSubnets(spec, ic, "sources"),
    threshold: ic.threshold,
    timers: effectiveTimers(config, ic),
    boundaries: toSubnets(spec, ic, "boundaries"),
    queryVersion: spec.queryVersion(config, ic),
  }));
}

/**
 * The family's `ssm-range` prefixes as the core holds them, in file order; `undefined` when
 * the file gives none of the family, which keeps the family's default (232.0.0.0/8; ff3x::/96).
 */
export function configuredSsmRanges<A extends Address>(
  spec: FamilySpec<A>,
  config: Pick<Config, "ssmRanges">,
): Subnet<A>[] | undefined {
  const prefixes = ssmRangesOf(config, spec.ipVersion);
  if (prefixes.length === 0) return undefined;
  return prefixes.map((p) => {
    const subnet = spec.toSubnet(p);
    if (subnet === undefined) throw new StartupError(`Bad address "${p.address}" in ssm-range`);
    return subnet;
  });
}

/**
 * The routing mode's interfaces: IPv4 only, every configured interface a vif. Tunnels count as
 * vifs, so one interface with a tunnel is enough; none at all is a {@link StartupError}.
 */
function routedFamilies(config: Config): ConfiguredFamilies {
  const ipv4 = familyInterfaces(IPV4, config);
  const tunnels = config.routing?.tunnels.length ?? 0;
  if (ipv4.length + tunnels > MAXVIFS) {
    throw new StartupError(
      `${ipv4.length} interfaces and ${tunnels} tunnels: the kernel has ${MAXVIFS} VIFs; ` +
        "disable some interfaces (phyint … disable)",
    );
  }
  if (ipv4.length + tunnels < 2) {
    throw new StartupError(
      "Fewer than two interfaces to route between: give them in the configuration (phyint), " +
        "or enable them",
    );
  }
  return { ipv4, warnings: [] };
}

/**
 * The interfaces of the configuration each family proxies on, with their effective protocol
 * timers, sources and boundaries. A family is proxied when the upstream interface and at least
 * one downstream have it on. Throws {@link StartupError} for what no change of the system can
 * mend: no upstream, or no family proxied at all; a family asked for on some interfaces but not
 * proxied is a warning.
 */
export function configuredFamilies(config: Config): ConfiguredFamilies {
  if (config.routing !== undefined) return routedFamilies(config);
  const upstream = config.interfaces.find((ic) => ic.role === "upstream");
  if (upstream === undefined) {
    throw new StartupError("No upstream interface configured: nothing to proxy from");
  }
  const ipv4 = familyInterfaces(IPV4, config);
  const ipv6 = familyInterfaces(IPV6, config);
  /** Why a family with interfaces is not proxied, or `undefined` when it is. */
  const why = <A extends Address>(spec: FamilySpec<A>, list: ConfiguredInterface<A>[]) =>
    list.length === 0
      ? `${spec.name} is off on every interface`
      : !spec.enabled(config, upstream)
      ? `the upstream interface has ${spec.name} off`
      : !list.some((i) => i.role === "downstream")
      ? `no downstream interface has ${spec.name} on`
      : undefined;
  const why4 = why(IPV4, ipv4);
  const why6 = why(IPV6, ipv6);
  if (why4 !== undefined && why6 !== undefined) {
    if (ipv6.length === 0) {
      // IPv4 alone was asked for.
      throw new StartupError(
        !IPV4.enabled(config, upstream)
          ? "The upstream interface has IPv4 off: nothing to proxy from"
          : "No downstream interface has IPv4 on: nothing to proxy to",
      );
    }
    throw new StartupError(`Nothing to proxy: ${why4}, and ${why6}`);
  }
  const warnings: string[] = [];
  if (why4 !== undefined && ipv4.length > 0) {
    warnings.push(`IPv4 is not proxied: ${why4}`);
  }
  if (why6 !== undefined && ipv6.length > 0) warnings.push(`IPv6 is not proxied: ${why6}`);
  if (why6 === undefined) {
    for (const ic of ipv6) {
      if (ic.threshold !== 1) {
        warnings.push(
          `Interface "${ic.name}": threshold ${ic.threshold} applies to IPv4 only (the kernel ` +
            "keeps no TTL threshold per IPv6 interface)",
        );
      }
    }
  }
  return {
    ...(why4 === undefined ? { ipv4 } : {}),
    ...(why6 === undefined ? { ipv6 } : {}),
    warnings,
  };
}

/**
 * Matches configured interfaces of one family against the system's: usable means it exists,
 * is up and running (queries sent before the carrier is there are lost), multicast capable, and
 * has an address of the family (IPv6: a link-local one).
 */
export function scanInterfaces<A extends Address>(
  spec: FamilySpec<A>,
  configured: readonly ConfiguredInterface<A>[],
  system: readonly SystemInterface[],
): InterfaceScan<A> {
  const byName = new Map(system.map((i) => [i.name, i]));
  const scan: InterfaceScan<A> = { usable: [], unusable: [] };
  for (const ci of configured) {
    const sysIf = byName.get(ci.name);
    const addresses = sysIf === undefined ? undefined : spec.addressesOf(sysIf);
    const problem: InterfaceProblem | undefined = sysIf === undefined
      ? "missing"
      : !sysIf.up
      ? "down"
      : !sysIf.multicast
      ? "no-multicast"
      : addresses === undefined
      ? spec.noAddress
      : !sysIf.running
      ? "no-carrier"
      : undefined;
    const iface: ProxyInterface<A> | undefined = sysIf === undefined || addresses === undefined ||
        (problem !== undefined && problem !== "no-carrier")
      ? undefined
      : { ...ci, ifindex: sysIf.index, ...addresses };
    if (problem === undefined && iface !== undefined) scan.usable.push(iface);
    else {
      scan.unusable.push({
        name: ci.name,
        role: ci.role,
        problem: problem ?? "missing",
        ...(iface === undefined ? {} : { iface }),
      });
    }
  }
  return scan;
}

/** What is logged about a configured interface that is not usable at start. */
export const WAITING: Record<InterfaceProblem, string> = {
  "missing": "does not exist: waiting for it",
  "down": "is down: waiting for it to come up",
  "no-multicast": "is not multicast capable: waiting until it is",
  "no-ipv4": "has no IPv4 address: waiting for one",
  "no-ipv6": "has no IPv6 link-local address: waiting for one",
  "no-carrier": "has no carrier: waiting for its link to come up",
};

/** What is logged about an interface in use that became unusable. */
export const LOST: Record<InterfaceProblem, string> = {
  "missing": "no longer exists",
  "down": "went down",
  "no-multicast": "no longer multicast capable",
  "no-ipv4": "lost its IPv4 address",
  "no-ipv6": "lost its IPv6 link-local address",
  "no-carrier": "lost its carrier",
};

/** Why an interface in use must be taken down and up again, or `undefined` if it is unchanged. */
export function describeChange<A extends Address>(
  family: Family<A>,
  was: ProxyInterface<A>,
  now: ProxyInterface<A>,
): string | undefined {
  if (was.ifindex !== now.ifindex) return `index changed: ${was.ifindex} to ${now.ifindex}`;
  if (was.address !== now.address) {
    return `address changed: ${family.format(was.address)} to ${family.format(now.address)}`;
  }
  const subnets = (i: ProxyInterface<A>) => i.subnets.map(family.formatSubnet).join(" ");
  if (subnets(was) !== subnets(now)) return `addresses changed: ${subnets(now)}`;
  return undefined;
}
