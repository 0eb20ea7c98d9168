/**
 * What the daemon decides at start before it touches the kernel's tables: the interfaces each
 * proxied family starts on, with the warnings about those not usable yet, and the one-line
 * explanation of a kernel table that cannot be taken.
 *
 * @module
 */

import type { Config } from "../../conf/config.ts";
import type { Address } from "../core/family.ts";
import { MAXVIFS, type ProxyInterface } from "../core/proxy.ts";
import type { Logger } from "../log.ts";
import {
  type ConfiguredFamilies,
  configuredFamilies,
  type ConfiguredInterface,
  type FamilySpec,
  IPV4,
  IPV6,
  scanInterfaces,
  StartupError,
  WAITING,
} from "./interfaces.ts";
import type { SystemInterface } from "./sys.ts";

/** The usable interfaces of each proxied family at start. */
export interface ResolvedInterfaces {
  /** IPv4 interfaces, when IPv4 is proxied. */
  ipv4?: ProxyInterface<number>[];
  /** IPv6 interfaces, when IPv6 is proxied. */
  ipv6?: ProxyInterface<bigint>[];
}

/**
 * Turns configured interfaces into each family's interface list for the core, each with its
 * effective protocol timers, sources and boundaries; warns about what the configuration asks
 * for that will not happen, about each configured interface that is not usable yet (it is used
 * once it is), and when a family has no upstream or no downstream yet. A warning the IPv6 side
 * shares with the IPv4 side is given once. Throws {@link StartupError} for a configuration no
 * change of the system can mend, and for more usable interfaces than the kernel has VIFs.
 */
export function resolveInterfaces(
  config: Config,
  system: SystemInterface[],
  log: Logger,
): ResolvedInterfaces {
  return resolveConfigured(configuredFamilies(config), system, log);
}

/** {@link resolveInterfaces} of interfaces already read from the configuration. */
export function resolveConfigured(
  configured: ConfiguredFamilies,
  system: SystemInterface[],
  log: Logger,
): ResolvedInterfaces {
  for (const w of configured.warnings) log.warn(w);
  const result: ResolvedInterfaces = {};
  const given = new Set<string>();
  if (configured.ipv4 !== undefined) {
    const { usable, warnings } = resolveFamily(IPV4, configured.ipv4, system);
    for (const w of warnings) {
      log.warn(w);
      given.add(w);
    }
    result.ipv4 = usable;
  }
  if (configured.ipv6 !== undefined) {
    const { usable, warnings } = resolveFamily(IPV6, configured.ipv6, system);
    for (const w of warnings) if (!given.has(w)) log.warn(IPV6.logPrefix + w);
    result.ipv6 = usable;
  }
  return result;
}

/**
 * Matches one family's configured interfaces against the system's and returns the warnings
 * about what is not usable yet: each configured interface (it is used once it is), and a
 * missing upstream or downstream. Throws {@link StartupError} for more usable interfaces than
 * the kernel has VIFs.
 */
function resolveFamily<A extends Address>(
  spec: FamilySpec<A>,
  configured: readonly ConfiguredInterface<A>[],
  system: SystemInterface[],
): { usable: ProxyInterface<A>[]; warnings: string[] } {
  const { usable, unusable } = scanInterfaces(spec, configured, system);
  const warnings = unusable.map((u) => `Interface "${u.name}" ${WAITING[u.problem]}`);
  // The routing mode has no upstream: every interface is a vif.
  const routed = configured.every((c) => c.role === "downstream");
  if (!routed && !usable.some((i) => i.role === "upstream")) {
    // configuredFamilies() made sure there is one upstream: it is among the unusable ones.
    const up = unusable.find((u) => u.role === "upstream")!;
    warnings.push(
      `No upstream interface yet: nothing is forwarded until "${up.name}" ${
        up.problem === "missing" ? "appears" : "is usable"
      }`,
    );
  }
  if (!usable.some((i) => i.role === "downstream")) {
    const names = unusable.filter((u) => u.role === "downstream").map((u) => `"${u.name}"`);
    warnings.push(
      `No downstream interface yet: nothing is forwarded until ${
        names.length === 1 ? names[0] : `one of ${names.join(", ")}`
      } is usable`,
    );
  }
  if (usable.length > MAXVIFS) {
    throw new StartupError(
      `${spec.logPrefix}${usable.length} interfaces are usable at once, the kernel supports ` +
        `${MAXVIFS} ${spec.family.vifWord}s`,
    );
  }
  return { usable, warnings };
}

/**
 * The {@link StartupError} for a family's kernel table that cannot be taken (MRT_INIT or
 * MRT6_INIT failed with `err`): another router holds it (named by `holder` when known), the
 * daemon lacks privileges, or the kernel has no multicast routing for the family.
 */
export function explainMrtInit(
  spec: FamilySpec<Address>,
  err: unknown,
  holder: string | undefined,
): StartupError {
  const code = (err as { code?: string }).code;
  const table = spec.name === "IPv4"
    ? "the kernel multicast routing table"
    : "the kernel IPv6 multicast routing table";
  if (code === "EADDRINUSE") {
    return new StartupError(
      `Cannot take ${table}: another multicast router holds it (` +
        (holder ?? "mrouted, pimd, smcroute, igmpproxy or another mcast-proxy") + ")",
    );
  }
  if (code === "EPERM" || code === "EACCES") {
    return new StartupError(
      `Cannot open the ${spec.name} multicast routing socket: permission denied (run as root, ` +
        "or with CAP_NET_ADMIN and CAP_NET_RAW)",
    );
  }
  if (code === "ENOPROTOOPT" || code === "EAFNOSUPPORT") {
    return new StartupError(
      `Cannot take ${table}: the kernel has no ${spec.name} multicast routing (${
        spec.name === "IPv4" ? "CONFIG_IP_MROUTE" : "CONFIG_IPV6_MROUTE"
      })`,
    );
  }
  return new StartupError(`Cannot take ${table}: ${String(err)}`);
}
