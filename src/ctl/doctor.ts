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

import type { DoctorFacts } from "./doctor_facts.ts";
import { checkFirewall } from "./doctor_firewall.ts";
import { checkKernelMismatch, compareWithKernel, type KernelCompared } from "./doctor_kernel.ts";
import { KERNEL_TABLES, PROC_NET_FILES } from "./doctor_proc_net.ts";
import { count, DOCTOR_SCHEMA_VERSION, type DoctorRule, type Finding } from "./doctor_findings.ts";
import type { DoctorQuery } from "./doctor_query.ts";
import {
  checkBoundary,
  checkNoData,
  checkNoMember,
  checkOffSubnetSender,
  checkRivalQuerier,
  checkStalledStreams,
  checkTtlThreshold,
} from "./doctor_streams.ts";
import {
  checkMcForwarding,
  checkMembershipLimits,
  checkRpFilter,
  checkUpstreamRouter,
} from "./doctor_system.ts";

export type { KernelCompared } from "./doctor_kernel.ts";
export {
  DOCTOR_SCHEMA_VERSION,
  type DoctorRule,
  type Finding,
  NEAR_CEILING,
  OTHER_QUERIER_PRESENT_S,
  REFUSED_RECENTLY_S,
  type Severity,
  TTL_SLACK,
} from "./doctor_findings.ts";

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
 * What the daemon's views were compared with: the kernel's files that were read for a family
 * in use (`/proc/net/ip_mr_cache`, ...), `/proc/sys/net` when a sysctl was, and
 * `nft list ruleset` when the firewall was.
 */
export function checkedSources(facts: DoctorFacts): string[] {
  const checked: string[] = [];
  for (const tables of facts.kernel) {
    if (!facts.after.interfaces.some((i) => i.family === tables.family)) continue;
    for (const table of KERNEL_TABLES) {
      if (tables[table] !== undefined) checked.push(PROC_NET_FILES[tables.family][table]);
    }
  }
  if (Object.values(facts.sysctls).some((v) => v !== undefined)) checked.push("/proc/sys/net");
  if (facts.firewall.ok) checked.push("nft list ruleset");
  return checked;
}

/**
 * How many of the daemon's VIFs, forwarding entries and upstream groups the kernel's tables
 * were compared with (kernel-mismatch): 0 of a kind that was not, its file unread or unparsed,
 * or none of it alike in both samples.
 */
export function comparedWithKernel(facts: DoctorFacts, query: DoctorQuery = {}): KernelCompared {
  return compareWithKernel(facts, query).compared;
}

/** What was looked at besides the daemon, for the JSON form of {@link renderFindings}. */
export interface DoctorScope {
  /** What the daemon's views were compared with ({@link checkedSources}); none by default. */
  checked?: readonly string[];
  /** How much was compared with the kernel ({@link comparedWithKernel}); nothing by default. */
  compared?: KernelCompared;
}

/**
 * The findings for a person (`problem: MESSAGE`, `  fix: FIX`, then a count or
 * `No problem found.`) or as one JSON object, with what was `checked` besides the daemon and
 * how much was `compared` with the kernel ({@link DoctorScope}).
 */
export function renderFindings(
  findings: readonly Finding[],
  format: "text" | "json",
  scope: DoctorScope = {},
): string {
  if (format === "json") {
    const { checked = [], compared = { vifs: 0, entries: 0, groups: 0 } } = scope;
    return JSON.stringify({ version: DOCTOR_SCHEMA_VERSION, checked, compared, findings }) + "\n";
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
      name: "firewall",
      what: "IGMP or MLD dropped by an nftables rule or chain policy, as nft shows them",
      check: checkFirewall,
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
      name: "kernel-mismatch",
      what: "the kernel's VIFs, entries or upstream groups differ from the daemon's",
      check: checkKernelMismatch,
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
