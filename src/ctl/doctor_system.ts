/**
 * The doctor's rules about the system and the upstream link: rp_filter, mc_forwarding, the
 * upstream router, the kernel's membership ceilings.
 *
 * @module
 */

import { formatAge } from "../core/text_table.ts";
import type { FamilyName, UpstreamGroupView } from "../core/status_view.ts";
import { type DoctorFacts, type SysctlKey, sysctlName, sysctlPath } from "./doctor_facts.ts";
import { type DoctorQuery, familyWord } from "./doctor_query.ts";
import {
  count,
  FAMILIES,
  type Finding,
  forwardingGroups,
  groupsWithMembers,
  list,
  NEAR_CEILING,
  OTHER_QUERIER_PRESENT_S,
  upstreamRow,
} from "./doctor_findings.ts";

/** rp-filter: the effective rp_filter (the greater of `all` and the interface's) is 1. */
export function checkRpFilter(facts: DoctorFacts): Finding[] {
  const strict = strictRpFilter(facts);
  if (strict === undefined) return [];
  const { up, settings } = strict;
  const now = settings.map(([key, value]) => `${sysctlName(key)}=${value ?? "unread"}`);
  const lower = settings.filter(([, value]) => value === 1).map(([key]) => sysctlName(key));
  return [{
    rule: "rp-filter",
    severity: "problem",
    subject: up,
    message: `rp_filter is strict on ${up} (${now.join(", ")}): the kernel drops multicast ` +
      `from a sender with no route back through ${up} before the proxy sees it`,
    fix: `sysctl -w ${lower.map((name) => `${name}=0`).join(" ")} ` +
      "(or 2, loose: a route back through any interface is enough)",
  }];
}

/** The IPv4 upstream whose effective rp_filter is 1, with the settings that make it. */
export function strictRpFilter(
  facts: DoctorFacts,
): { up: string; settings: [SysctlKey, number | undefined][] } | undefined {
  const up = upstreamRow(facts, "ipv4");
  if (up === undefined) return undefined;
  const settings = (["all", up.name] as const).map((iface): [SysctlKey, number | undefined] => {
    const key: SysctlKey = { family: "ipv4", name: "rp_filter", iface };
    return [key, facts.sysctls[sysctlPath(key)]];
  });
  const known = settings.map(([, v]) => v).filter((v) => v !== undefined);
  if (known.length === 0 || Math.max(...known) !== 1) return undefined;
  return { up: up.name, settings };
}

/**
 * mc-forwarding: a family with VIFs whose `all` mc_forwarding is 0, or else a VIF (an IPv6 MIF)
 * whose interface's is 0.
 */
export function checkMcForwarding(facts: DoctorFacts): Finding[] {
  const found: Finding[] = [];
  for (const family of FAMILIES) {
    const rows = facts.after.interfaces.filter((i) => i.family === family);
    if (rows.length === 0) continue;
    const all: SysctlKey = { family, name: "mc_forwarding", iface: "all" };
    if (facts.sysctls[sysctlPath(all)] === 0) {
      found.push({
        rule: "mc-forwarding",
        severity: "problem",
        subject: familyWord(family),
        message: `${sysctlName(all)} is 0: the kernel routes no ${familyWord(family)} ` +
          "multicast in this network namespace, yet mcast-proxy runs it",
        fix: "the kernel sets it while a daemon holds its multicast routing table: run " +
          "mcast-proxyctl in mcast-proxy's network namespace (ip netns exec NAME " +
          "mcast-proxyctl doctor); if this is it, restart mcast-proxy",
      });
      continue;
    }
    const vif = family === "ipv4" ? "VIF" : "MIF";
    for (const row of rows) {
      const key: SysctlKey = { family, name: "mc_forwarding", iface: row.name };
      if (facts.sysctls[sysctlPath(key)] !== 0) continue;
      found.push({
        rule: "mc-forwarding",
        severity: "problem",
        subject: family === "ipv4" ? row.name : `${row.name} (IPv6)`,
        message: `${sysctlName(key)} is 0: the kernel has no ${vif} on ${row.name}, which ` +
          `mcast-proxy uses as ${vif} ${row.vif}`,
        fix: `the kernel sets it while the interface is a ${vif}: compare \`mcast-proxyctl ` +
          `show interfaces\` with /proc/net/${
            family === "ipv4" ? "ip_mr_vif" : "ip6_mr_vif"
          }, and restart mcast-proxy if the kernel lost it`,
      });
    }
  }
  return found;
}

/**
 * no-upstream-router: no query heard on a family's upstream interface, or none for longer than
 * {@link OTHER_QUERIER_PRESENT_S}. A problem when a group with members (the query's) has no
 * entry that forwards, a note when every one has.
 */
export function checkUpstreamRouter(facts: DoctorFacts, query: DoctorQuery): Finding[] {
  const found: Finding[] = [];
  for (const family of FAMILIES) {
    const up = upstreamRow(facts, family);
    if (up === undefined) continue;
    const router = up.upstreamRouter;
    if (router !== null && router.heardAgo <= OTHER_QUERIER_PRESENT_S) continue;
    const silent = groupsWithMembers(facts, family, query).filter((group) =>
      !forwardingGroups(facts, family).has(group)
    );
    const protocol = family === "ipv4" ? "IGMP" : "MLD";
    const heard = router === null
      ? `no query was heard on ${up.name} since mcast-proxy started`
      : `the last query on ${up.name} came from ${router.address} ${
        formatAge(router.heardAgo * 1000)
      } ago`;
    found.push({
      rule: "no-upstream-router",
      severity: silent.length > 0 ? "problem" : "note",
      subject: up.name,
      message: `${heard}: no router queries there (none within ${OTHER_QUERIER_PRESENT_S} s), ` +
        "so none may know of the proxy's joins" + (silent.length > 0
          ? `; nothing is forwarded of ${list(silent)}, which ${
            silent.length === 1 ? "has" : "have"
          } listeners`
          : "; what has listeners is forwarded all the same"),
      fix: `turn ${protocol} (or PIM) on in the router's interface toward ${up.name}'s ` +
        `network, and let ${protocol} through any firewall between them` + (router === null
          ? `\na router queries every 125 s by default: a daemon started less than ` +
            `${OTHER_QUERIER_PRESENT_S} s ago may not have heard one yet`
          : ""),
    });
  }
  return found;
}

/**
 * The most bytes of socket option the kernel copies in (net.core.optmem_max) bound a filter
 * set whole with MCAST_MSFILTER, in both families: a `struct group_filter` is 144 bytes and
 * 128 per source (a `sockaddr_storage` each) on 64-bit Linux, and a longer one is refused
 * (ENOBUFS).
 */
export const GROUP_FILTER_HEADER_BYTES = 144;
/** See {@link GROUP_FILTER_HEADER_BYTES}. */
export const GROUP_FILTER_SOURCE_BYTES = 128;

/** A sysctl that bounds the sources of one filter, and how many it lets in. */
export interface SourceLimit {
  key: SysctlKey;
  /** The sysctl's value. */
  value: number;
  /** The sources it lets one filter hold. */
  sources: number;
}

/**
 * membership-limit: an upstream EXCLUDE filter with at least {@link NEAR_CEILING} of the
 * kernel's sources per filter (a note; a problem past it, when only part of it is applied);
 * igmp_max_memberships 0 with IPv4 groups to join. The ceiling is the lower of the family's
 * sources per filter (igmp_max_msf, mld_max_msf) and what the option memory
 * (optmem_max) holds. An INCLUDE filter and the groups per socket have no ceiling: the daemon
 * spreads them over more sockets.
 */
export function checkMembershipLimits(facts: DoctorFacts): Finding[] {
  const found: Finding[] = [];
  for (const view of facts.after.upstream) {
    const up = view.interface?.name ?? "the upstream interface";
    const limits = sourceLimits(facts, view.family);
    if (limits.length > 0) {
      for (const g of view.groups) found.push(...filterCeiling(g, { up, limits }));
    }
    if (view.family !== "ipv4" || view.groups.length === 0) continue;
    const memberships: SysctlKey = { family: "ipv4", name: "igmp_max_memberships" };
    if (facts.sysctls[sysctlPath(memberships)] !== 0) continue;
    found.push({
      rule: "membership-limit",
      severity: "problem",
      subject: sysctlName(memberships),
      message: `${sysctlName(memberships)} is 0: the kernel lets no socket join a group, so ` +
        `none of the ${count(view.groups.length, "group")} wanted is joined on ${up}`,
      fix: `sysctl -w ${sysctlName(memberships)}=20 (the kernel's default)`,
    });
  }
  return found;
}

/** The sysctls read that bound a family's filters: its sources per filter, the option memory. */
export function sourceLimits(facts: DoctorFacts, family: FamilyName): SourceLimit[] {
  const msf: SysctlKey = family === "ipv4"
    ? { family: "ipv4", name: "igmp_max_msf" }
    : { family: "ipv6", name: "mld_max_msf" };
  const optmem: SysctlKey = { family: "core", name: "optmem_max" };
  const limits: SourceLimit[] = [];
  const sources = facts.sysctls[sysctlPath(msf)];
  if (sources !== undefined) limits.push({ key: msf, value: sources, sources });
  const bytes = facts.sysctls[sysctlPath(optmem)];
  if (bytes !== undefined) {
    limits.push({ key: optmem, value: bytes, sources: sourcesInOptmem(bytes) });
  }
  return limits;
}

/** The sources of a filter set whole that `bytes` of option memory hold. */
export function sourcesInOptmem(bytes: number): number {
  return Math.max(
    0,
    Math.floor((bytes - GROUP_FILTER_HEADER_BYTES) / GROUP_FILTER_SOURCE_BYTES),
  );
}

/**
 * A finding when an EXCLUDE filter is near or past the kernel's ceiling, the lowest of
 * `limits`; its fix raises every limit below what twice the filter needs.
 */
export function filterCeiling(
  g: UpstreamGroupView,
  opts: { up: string; limits: readonly SourceLimit[] },
): Finding[] {
  const { up, limits } = opts;
  const n = g.sources.length;
  const ceiling = Math.min(...limits.map((l) => l.sources));
  if (g.mode !== "exclude" || n === 0 || n < ceiling * NEAR_CEILING) return [];
  const past = n > ceiling;
  const binding = limits.find((l) => l.sources === ceiling)!;
  const want = Math.max(2 * n, 2 * ceiling);
  const raise = limits.filter((l) => l.sources < want).map((l) =>
    `${sysctlName(l.key)}=${
      l.key.name === "optmem_max"
        ? GROUP_FILTER_HEADER_BYTES + want * GROUP_FILTER_SOURCE_BYTES
        : want
    }`
  );
  const why = binding.key.name === "optmem_max"
    ? `the kernel takes at most ${ceiling} in one filter, as ${sysctlName(binding.key)} is ` +
      `${binding.value} bytes (${GROUP_FILTER_HEADER_BYTES} and ` +
      `${GROUP_FILTER_SOURCE_BYTES} per source)`
    : `${sysctlName(binding.key)}, the most the kernel takes in one filter, is ${ceiling}`;
  return [{
    rule: "membership-limit",
    severity: past ? "problem" : "note",
    subject: g.group,
    message: `the filter of ${g.group} on ${up} excludes ${n} sources; ${why}` +
      (past
        ? `: only ${ceiling} are excluded, and upstream sends the others too`
        : ": a few more and upstream sends some of those the listeners exclude"),
    fix: `sysctl -w ${raise.join(" ")}, then restart mcast-proxy (it reads the ceiling when ` +
      "it starts)",
  }];
}
