/**
 * The doctor's rules about the system and the upstream link: rp_filter, mc_forwarding, the
 * upstream router, the kernel's membership ceilings.
 *
 * @module
 */

import { formatAge } from "../core/text_table.ts";
import type { UpstreamGroupView } from "../core/status_view.ts";
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
 * mc-forwarding: a family with VIFs whose `all` mc_forwarding is 0, or else an IPv4 VIF whose
 * interface's is 0.
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
    if (family !== "ipv4") continue;
    for (const row of rows) {
      const key: SysctlKey = { family, name: "mc_forwarding", iface: row.name };
      if (facts.sysctls[sysctlPath(key)] !== 0) continue;
      found.push({
        rule: "mc-forwarding",
        severity: "problem",
        subject: row.name,
        message: `${sysctlName(key)} is 0: the kernel has no VIF on ${row.name}, which ` +
          `mcast-proxy uses as VIF ${row.vif}`,
        fix: "the kernel sets it while the interface is a VIF: compare `mcast-proxyctl show " +
          "interfaces` with /proc/net/ip_mr_vif, and restart mcast-proxy if the kernel lost it",
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
 * membership-limit: an upstream EXCLUDE filter with at least {@link NEAR_CEILING} of the
 * kernel's sources per filter (a note; a problem past it, when only part of it is applied);
 * igmp_max_memberships 0 with IPv4 groups to join. An INCLUDE filter and the groups per socket
 * have no ceiling: the daemon spreads them over more sockets.
 */
export function checkMembershipLimits(facts: DoctorFacts): Finding[] {
  const found: Finding[] = [];
  for (const view of facts.upstream) {
    const up = view.interface?.name ?? "the upstream interface";
    const key: SysctlKey = view.family === "ipv4"
      ? { family: "ipv4", name: "igmp_max_msf" }
      : { family: "ipv6", name: "mld_max_msf" };
    const ceiling = facts.sysctls[sysctlPath(key)];
    if (ceiling !== undefined) {
      for (const g of view.groups) found.push(...filterCeiling(g, { up, key, ceiling }));
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

/** A finding when an EXCLUDE filter is near or past the kernel's ceiling. */
export function filterCeiling(
  g: UpstreamGroupView,
  opts: { up: string; key: SysctlKey; ceiling: number },
): Finding[] {
  const { up, key, ceiling } = opts;
  const n = g.sources.length;
  if (g.mode !== "exclude" || n === 0 || n < ceiling * NEAR_CEILING) return [];
  const past = n > ceiling;
  return [{
    rule: "membership-limit",
    severity: past ? "problem" : "note",
    subject: g.group,
    message: `the filter of ${g.group} on ${up} excludes ${n} sources; ${sysctlName(key)}, ` +
      `the most the kernel takes in one filter, is ${ceiling}` + (past
        ? `: only ${ceiling} are excluded, and upstream sends the others too`
        : ": a few more and upstream sends some of those the listeners exclude"),
    fix: `sysctl -w ${sysctlName(key)}=${Math.max(2 * n, 2 * ceiling)}, then restart ` +
      "mcast-proxy (it reads the ceiling when it starts)",
  }];
}
