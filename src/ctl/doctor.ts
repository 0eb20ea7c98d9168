/**
 * `mcast-proxyctl doctor`'s judgement: the rules ({@link DOCTOR_RULES}, a table, one row per
 * cause the doctor knows) run over what was gathered (`doctor_facts.ts`), each finding with
 * its fix.
 *
 * Pure: the facts are plain views and numbers. A rule fires on what it can see; what it cannot
 * see (a counter not read, a sysctl not there) fires nothing.
 *
 * @example
 * ```ts
 * const findings = diagnose(facts, { family: "ipv4", group: "239.1.1.1" });
 * renderFindings(findings, "text");
 * // "problem: rp_filter is strict on up0 ...\n  fix: sysctl -w ...\n1 problem, 0 notes\n"
 * ```
 *
 * @module
 */

import type { ForwardingEntryView } from "../core/forwarding_view.ts";
import { formatAge } from "../core/text_table.ts";
import type {
  FamilyName,
  GroupView,
  InterfaceView,
  UpstreamGroupView,
} from "../core/status_view.ts";
import { type DoctorFacts, type SysctlKey, sysctlName, sysctlPath } from "./doctor_facts.ts";
import { type DoctorQuery, familyWord, prefixContains } from "./doctor_query.ts";

/** How much a finding weighs: a problem makes the doctor exit 1, a note does not. */
export type Severity = "problem" | "note";

/** One thing found, and what to do about it. */
export interface Finding {
  /** The rule's name ({@link DoctorRule.name}). */
  rule: string;
  severity: Severity;
  /** What it is about: an interface, a group, `(source, group)`, a family. */
  subject: string;
  /** What is wrong, and why it matters. */
  message: string;
  /** What to do; more lines for hints. */
  fix: string;
}

/** One cause the doctor knows. */
export interface DoctorRule {
  /** Its name, as findings and the manual give it. */
  name: string;
  /** One line for the manual: what it finds. */
  what: string;
  /** Its findings in these facts, for this query. */
  check(facts: DoctorFacts, query: DoctorQuery): Finding[];
}

/** The version of the `--json` output, `{"version": 1, "findings": [...]}`. */
export const DOCTOR_SCHEMA_VERSION = 1;

/**
 * RFC 3376's (and RFC 3810's) Other Querier Present Interval with the default robustness,
 * query interval and response time: 2 × 125 + 10 / 2 seconds. A router silent for longer is
 * gone.
 */
export const OTHER_QUERIER_PRESENT_S = 255;

/**
 * Data refused this recently (seconds) is still being sent: while it comes, the kernel asks
 * the proxy about it again at least every 10 s (its unresolved entries expire).
 */
export const REFUSED_RECENTLY_S = 60;

/**
 * A LAN may send this fraction less than its entries forwarded before the doctor blames their
 * TTL: the two counters are not read at the same instant.
 */
export const TTL_SLACK = 0.2;

/** A source filter at this fraction of the kernel's ceiling is near it. */
export const NEAR_CEILING = 0.9;

/** At most this many items are named in a list of a message; the rest are counted. */
const LIST_AT_MOST = 4;

/**
 * The findings of every rule, in the order of {@link DOCTOR_RULES}, then by subject. `query`
 * narrows the rules about streams to its group (and source), and enables those about a group.
 */
export function diagnose(facts: DoctorFacts, query: DoctorQuery = {}): Finding[] {
  return DOCTOR_RULES.flatMap((rule) =>
    rule.check(facts, query).sort((a, b) =>
      a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0
    )
  );
}

/** Whether any finding is a problem (the doctor's exit status 1). */
export function foundProblem(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === "problem");
}

/**
 * The findings for a person (`problem: MESSAGE`, `  fix: FIX`, then a count or
 * `No problem found.`) or as one JSON object.
 */
export function renderFindings(findings: readonly Finding[], format: "text" | "json"): string {
  if (format === "json") {
    return JSON.stringify({ version: DOCTOR_SCHEMA_VERSION, findings }) + "\n";
  }
  if (findings.length === 0) return "No problem found.\n";
  const lines = findings.flatMap((f) => {
    const [first, ...more] = f.fix.split("\n");
    return [
      `${f.severity}: ${f.message}`,
      `  fix: ${first}`,
      ...more.map((line) => `       ${line}`),
    ];
  });
  const problems = findings.filter((f) => f.severity === "problem").length;
  const notes = findings.length - problems;
  lines.push(`${count(problems, "problem")}, ${count(notes, "note")}`);
  return lines.map((l) => `${l}\n`).join("");
}

// ---------------------------------------------------------------------------------------------
// The rules.

/** Every rule, in the order the findings come in. */
export const DOCTOR_RULES: readonly DoctorRule[] = Object.freeze(
  [
    {
      name: "rp-filter",
      what: "strict reverse path filtering (rp_filter 1) on the IPv4 upstream interface",
      check: checkRpFilter,
    },
    {
      name: "mc-forwarding",
      what: "multicast forwarding off (mc_forwarding 0) for a family or a VIF's interface",
      check: checkMcForwarding,
    },
    {
      name: "no-upstream-router",
      what: "no query heard on the upstream interface for 255 seconds: no router there",
      check: checkUpstreamRouter,
    },
    {
      name: "stalled-stream",
      what: "a forwarding entry with listeners that forwarded nothing between the two samples",
      check: checkStalledStreams,
    },
    {
      name: "ttl-threshold",
      what: "an IPv4 LAN sent less than was forwarded to it: TTL at or below its threshold",
      check: checkTtlThreshold,
    },
    {
      name: "off-subnet-sender",
      what: "data refused for its sender, outside the interface's networks and source lines",
      check: checkOffSubnetSender,
    },
    {
      name: "boundary",
      what: "with a group: a boundary that keeps the group off an interface",
      check: checkBoundary,
    },
    {
      name: "rival-querier",
      what: "another router is querier on a LAN: the proxy does not forward onto it",
      check: checkRivalQuerier,
    },
    {
      name: "membership-limit",
      what: "an upstream source filter near its kernel ceiling, or igmp_max_memberships 0",
      check: checkMembershipLimits,
    },
    {
      name: "no-member",
      what: "with a group: no LAN has a member of it (with a source: none admitting it)",
      check: checkNoMember,
    },
    {
      name: "no-data",
      what: "with a group: members, but no datagram of it (from the source) reached the proxy",
      check: checkNoData,
    },
  ] satisfies DoctorRule[],
);

/** rp-filter: the effective rp_filter (the greater of `all` and the interface's) is 1. */
function checkRpFilter(facts: DoctorFacts): Finding[] {
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
function strictRpFilter(
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
function checkMcForwarding(facts: DoctorFacts): Finding[] {
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
function checkUpstreamRouter(facts: DoctorFacts, query: DoctorQuery): Finding[] {
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

/** stalled-stream: an entry with outputs in both samples whose packets did not grow. */
function checkStalledStreams(facts: DoctorFacts, query: DoctorQuery): Finding[] {
  const found: Finding[] = [];
  for (const family of FAMILIES) {
    for (const pair of entryPairs(facts, family)) {
      const e = pair.entry;
      if (!matches(e, query) || pair.outputs.length === 0 || pair.growth !== 0) continue;
      const up = upstreamRow(facts, family)?.name ?? "the upstream interface";
      found.push({
        rule: "stalled-stream",
        severity: "problem",
        subject: channel(e),
        message:
          `${channel(e)} from ${vifName(e.input)} to ${
            e.outputs.map(vifName).join(", ")
          } forwarded nothing in the last ${seconds(facts.intervalS)}: the sender stopped, ` +
          "or upstream stopped sending it (pruned)",
        fix: `check that ${e.source} still sends to ${e.group}; if it does, the router ` +
          `upstream must keep forwarding it to ${up}, and so hear the proxy's reports for ` +
          `${e.group} there`,
      });
    }
  }
  return found;
}

/**
 * ttl-threshold: an IPv4 VIF whose packetsOut grew by less than 1 - {@link TTL_SLACK} of what
 * the entries that output to it (in both samples) forwarded, one of them at least the query's.
 */
function checkTtlThreshold(facts: DoctorFacts, query: DoctorQuery): Finding[] {
  const found: Finding[] = [];
  const growing = entryPairs(facts, "ipv4").filter((p) => (p.growth ?? 0) > 0);
  for (const row of facts.after.interfaces.filter((i) => i.family === "ipv4")) {
    const before = facts.before.interfaces.find((i) =>
      i.family === "ipv4" && i.name === row.name && i.vif === row.vif
    );
    const sent = growth(before?.packetsOut, row.packetsOut);
    const through = growing.filter((p) => p.outputs.includes(row.vif));
    if (sent === undefined || !through.some((p) => matches(p.entry, query))) continue;
    const expected = through.reduce((n, p) => n + p.growth!, 0);
    if (sent >= expected * (1 - TTL_SLACK)) continue;
    const threshold = row.threshold ?? 1;
    const senders = [...new Set(through.map((p) => p.entry.source))];
    found.push({
      rule: "ttl-threshold",
      severity: "problem",
      subject: row.name,
      message: `${row.name} sent ${sent} of the ${expected} datagrams of ` +
        `${list(through.map((p) => channel(p.entry)))} forwarded to it in the last ` +
        `${
          seconds(facts.intervalS)
        }: they arrive with a TTL at or below ${row.name}'s threshold ${threshold} ` +
        "(the kernel forwards only a TTL above it)",
      fix: `raise the TTL of ${list(senders)} above ${threshold} (a multicast TTL of 1 ` +
        "never leaves its subnet)" + (threshold > 1
          ? `, or lower \`threshold\` in the \`interface ${row.name}\` block of ` +
            "mcast-proxy.conf, then `mcast-proxyctl reload`"
          : ""),
    });
  }
  return found;
}

/**
 * off-subnet-sender: `source-not-admitted` drops counted. A problem when the last was refused
 * within {@link REFUSED_RECENTLY_S}, a note when longer ago.
 */
function checkOffSubnetSender(facts: DoctorFacts): Finding[] {
  const found: Finding[] = [];
  for (const counters of facts.counters) {
    const refusals = counters.drops["source-not-admitted"] ?? 0;
    const last = counters.refusedSource;
    if (refusals === 0 || last === null) continue;
    const hostLength = counters.family === "ipv4" ? 32 : 128;
    const times = refusals === 1 ? "once" : `${refusals} times`;
    found.push({
      rule: "off-subnet-sender",
      severity: last.ago <= REFUSED_RECENTLY_S ? "problem" : "note",
      subject: last.source,
      message: `data of ${last.group} from ${last.source} arrived on ${last.interface} and was ` +
        `refused ${formatAge(last.ago * 1000)} ago (${familyWord(counters.family)} data ` +
        `refused ${times}): the sender is outside ${last.interface}'s networks and no ` +
        "`source` line admits it",
      fix: `add \`source ${last.source}/${hostLength}\` (or its network) to the ` +
        `\`interface ${last.interface}\` block of mcast-proxy.conf, then ` +
        "`mcast-proxyctl reload`",
    });
  }
  return found;
}

/** boundary: with a group, each interface of its family with a boundary that contains it. */
function checkBoundary(facts: DoctorFacts, query: DoctorQuery): Finding[] {
  const { group } = query;
  if (group === undefined) return [];
  return facts.after.interfaces.filter((i) => i.family === query.family).flatMap((row) => {
    const bound = row.boundaries.find((b) => prefixContains(b, group));
    if (bound === undefined) return [];
    const effect = row.role === "upstream"
      ? `it is not joined on ${row.name} and its data there is not forwarded`
      : `its reports on ${row.name} are ignored and its data is not forwarded onto it`;
    return [{
      rule: "boundary",
      severity: "problem",
      subject: row.name,
      message: `${group} is inside the boundary ${bound} of ${row.name}: ${effect}`,
      fix: `remove or narrow the \`boundary\` that covers ${bound} in the ` +
        `\`interface ${row.name}\` block of mcast-proxy.conf, then \`mcast-proxyctl reload\``,
    }];
  });
}

/** rival-querier: a downstream interface whose querier is another router. */
function checkRivalQuerier(facts: DoctorFacts): Finding[] {
  return facts.after.interfaces.flatMap((row) => {
    const q = row.querier;
    if (row.role !== "downstream" || q === null || q.self) return [];
    return [{
      rule: "rival-querier",
      severity: "problem",
      subject: row.name,
      message: `${q.address} is querier on ${row.name} (lower address than the proxy's ` +
        `${row.address}): the proxy does not forward onto ${row.name} while another router ` +
        "queries there (RFC 4605 section 4.2)",
      fix: `give the proxy the lowest address on ${row.name}'s network, or turn the ` +
        `querier of ${q.address} off`,
    }];
  });
}

/**
 * membership-limit: an upstream EXCLUDE filter with at least {@link NEAR_CEILING} of the
 * kernel's sources per filter (a note; a problem past it, when only part of it is applied);
 * igmp_max_memberships 0 with IPv4 groups to join. An INCLUDE filter and the groups per socket
 * have no ceiling: the daemon spreads them over more sockets.
 */
function checkMembershipLimits(facts: DoctorFacts): Finding[] {
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
function filterCeiling(
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

/**
 * no-member: with a group, no LAN has a member of it; with a source too, no LAN's filter
 * admits the source.
 */
function checkNoMember(facts: DoctorFacts, query: DoctorQuery): Finding[] {
  const { group, source } = query;
  if (group === undefined) return [];
  const rows = memberRows(facts, query);
  if (rows.length === 0) {
    return [{
      rule: "no-member",
      severity: "problem",
      subject: group,
      message: `no LAN has a member of ${group}: no listener asked for it, or its reports ` +
        "did not reach the proxy",
      fix: `check that a listener joined ${group} (ip maddr show on it) and that its reports ` +
        "are not dropped: `mcast-proxyctl show counters` (report-off-subnet, boundary, " +
        "group-limit)",
    }];
  }
  if (source === undefined || rows.some((r) => admits(r, source))) return [];
  return [{
    rule: "no-member",
    severity: "problem",
    subject: channel({ source, group }),
    message: `no LAN wants ${source} for ${group}: ${
      rows.map((r) => `${r.interface} ${describeFilter(r)}`).join("; ")
    }`,
    fix: `the listeners' source filters leave ${source} out: have a listener join ` +
      `${channel({ source, group })} (include it, or exclude others only)`,
  }];
}

/**
 * no-data: with a group, a LAN has it (admitting the source, with one), but neither sample has
 * an entry or a waiting source of it (of the source): no datagram of it reached the proxy.
 */
function checkNoData(facts: DoctorFacts, query: DoctorQuery): Finding[] {
  const { family, group, source } = query;
  if (family === undefined || group === undefined) return [];
  const rows = memberRows(facts, query).filter((r) => source === undefined || admits(r, source));
  if (rows.length === 0) return [];
  const known = [facts.before, facts.after].some((sample) =>
    sample.forwarding.filter((v) => v.family === family).some((v) =>
      [...v.entries, ...v.waiting].some((e) => matches(e, query))
    )
  );
  if (known) return [];
  const up = upstreamRow(facts, family);
  const where = up?.name ?? "the upstream interface";
  const what = source === undefined ? group : `${group} from ${source}`;
  return [{
    rule: "no-data",
    severity: "problem",
    subject: source === undefined ? group : channel({ source, group }),
    message: `${what} has listeners on ${
      list([...new Set(rows.map((r) => r.interface))])
    }, but no datagram of it reached ${where}`,
    fix: [
      `check that ${
        source ?? "the sender"
      } sends to ${group} with a TTL that reaches ${where}, and that the router upstream ` +
      `forwards it there (it must hear the proxy's reports on ${where})`,
      ...noDataHints(facts, { family, group, where }),
    ].join("\n"),
  }];
}

/** What else the doctor saw that keeps data of a group from the upstream interface. */
function noDataHints(
  facts: DoctorFacts,
  opts: { family: FamilyName; group: string; where: string },
): string[] {
  const { family, group, where } = opts;
  const hints: string[] = [];
  const up = upstreamRow(facts, family);
  const view = facts.upstream.find((v) => v.family === family);
  if (up === undefined) {
    hints.push(
      `${familyWord(family)} has no upstream interface in use: is it up, with an address?`,
    );
  } else {
    const router = up.upstreamRouter;
    if (router === null || router.heardAgo > OTHER_QUERIER_PRESENT_S) {
      hints.push(`no router queries on ${where} (see no-upstream-router)`);
    }
    if (view !== undefined && !view.groups.some((g) => g.group === group)) {
      hints.push(`${group} is not joined on ${where} (mcast-proxyctl show upstream)`);
    }
  }
  if (family === "ipv4" && strictRpFilter(facts) !== undefined) {
    hints.push(`rp_filter is strict on ${where} (see rp-filter)`);
  }
  const refused = facts.counters.find((c) => c.family === family)?.refusedSource;
  if (refused !== null && refused !== undefined && refused.group === group) {
    hints.push(
      `data of ${group} from ${refused.source} was refused on ${refused.interface} ` +
        "(see off-subnet-sender)",
    );
  }
  return hints;
}

// ---------------------------------------------------------------------------------------------
// What the rules share.

const FAMILIES: readonly FamilyName[] = ["ipv4", "ipv6"];

/** A family's upstream interface, as last seen. */
function upstreamRow(facts: DoctorFacts, family: FamilyName): InterfaceView | undefined {
  return facts.after.interfaces.find((i) => i.family === family && i.role === "upstream");
}

/** An entry of the second sample that the first had too. */
interface EntryPair {
  /** As in the second sample. */
  entry: ForwardingEntryView;
  /** The VIFs it outputs to in both samples. */
  outputs: number[];
  /** How many packets it forwarded between them; undefined when unknown. */
  growth: number | undefined;
}

/** The entries of a family in both samples. */
function entryPairs(facts: DoctorFacts, family: FamilyName): EntryPair[] {
  const before = new Map(
    facts.before.forwarding.filter((v) => v.family === family).flatMap((v) => v.entries)
      .map((e) => [channel(e), e]),
  );
  return facts.after.forwarding.filter((v) => v.family === family).flatMap((v) => v.entries)
    .flatMap((entry) => {
      const was = before.get(channel(entry));
      if (was === undefined) return [];
      const earlier = new Set(was.outputs.map((o) => o.vif));
      return [{
        entry,
        outputs: entry.outputs.map((o) => o.vif).filter((v) => earlier.has(v)),
        growth: growth(was.packets, entry.packets),
      }];
    });
}

/** The groups of a family with an entry that forwards (or might: its counters unread). */
function forwardingGroups(facts: DoctorFacts, family: FamilyName): Set<string> {
  return new Set(
    entryPairs(facts, family).filter((p) => p.outputs.length > 0 && p.growth !== 0).map((p) =>
      p.entry.group
    ),
  );
}

/** The groups of a family with members on a LAN (the query's group only, with one). */
function groupsWithMembers(
  facts: DoctorFacts,
  family: FamilyName,
  query: DoctorQuery,
): string[] {
  return [
    ...new Set(
      facts.groups.filter((g) =>
        g.family === family && (query.group === undefined || g.group === query.group)
      ).map((g) => g.group),
    ),
  ];
}

/** The memberships of the query's group. */
function memberRows(facts: DoctorFacts, query: DoctorQuery): GroupView[] {
  return facts.groups.filter((g) => g.family === query.family && g.group === query.group);
}

/** Whether a LAN's membership wants data from `source`. */
function admits(row: GroupView, source: string): boolean {
  const listed = row.sources.find((s) => s.address === source);
  return row.mode === "include" ? listed !== undefined : !(listed?.excluded ?? false);
}

/** `includes only 10.0.0.5, 10.0.0.6`, `excludes 10.0.0.2`. */
function describeFilter(row: GroupView): string {
  if (row.mode === "include") {
    return `includes only ${row.sources.map((s) => s.address).join(", ")}`;
  }
  return `excludes ${
    row.sources.filter((s) => s.excluded).map((s) => s.address).join(", ") || "nothing"
  }`;
}

/** Whether an entry is the query's (every entry without a query). */
function matches(e: { source: string; group: string }, query: DoctorQuery): boolean {
  return (query.group === undefined || e.group === query.group) &&
    (query.source === undefined || e.source === query.source);
}

/** How much a counter grew; undefined when either read is missing or it went down. */
function growth(
  before: number | null | undefined,
  after: number | null | undefined,
): number | undefined {
  if (before === null || before === undefined || after === null || after === undefined) {
    return undefined;
  }
  return after >= before ? after - before : undefined;
}

/** `(10.0.0.2, 239.1.1.1)`. */
function channel(e: { source: string; group: string }): string {
  return `(${e.source}, ${e.group})`;
}

function vifName(v: { vif: number; name: string | null }): string {
  return v.name ?? `vif ${v.vif}`;
}

/** `2 s`, `0.5 s`. */
function seconds(s: number): string {
  return `${Number(s.toFixed(1))} s`;
}

/** `a, b, c`, or `a, b, c, d and 3 more`. */
function list(items: readonly string[]): string {
  if (items.length <= LIST_AT_MOST) return items.join(", ");
  return `${items.slice(0, LIST_AT_MOST).join(", ")} and ${items.length - LIST_AT_MOST} more`;
}

/** `1 problem`, `2 notes`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
