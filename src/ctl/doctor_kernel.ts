/**
 * The doctor's cross-check of the daemon's views with the kernel's tables (`doctor_proc_net.ts`):
 * the VIFs, the forwarding entries, the groups joined upstream and their source filters. Only
 * what both samples show alike is compared, since the tables were read between them; a family
 * whose multicast routing is off in this namespace (mc_forwarding 0, see mc-forwarding) is not.
 *
 * @module
 */

import type { ForwardingEntryView } from "../core/forwarding_view.ts";
import type { FamilyName, UpstreamGroupView, UpstreamView } from "../core/status_view.ts";
import { type DoctorFacts, sysctlPath } from "./doctor_facts.ts";
import type { DoctorQuery } from "./doctor_query.ts";
import { channel, FAMILIES, type Finding, list, matches } from "./doctor_findings.ts";
import { KERNEL_TABLES, type KernelTables, PROC_NET_FILES } from "./doctor_proc_net.ts";
import { sourceLimits } from "./doctor_system.ts";

/** The fix of every mismatch. */
const RESTART = "restart mcast-proxy, which installs its state in the kernel again; if the " +
  "mismatch comes back, report a bug with the output of `mcast-proxyctl dump`";

/** How much of the daemon's state was compared with the kernel's tables. */
export interface KernelCompared {
  /** VIFs and MIFs. */
  vifs: number;
  /** Forwarding entries. */
  entries: number;
  /** Groups joined upstream. */
  groups: number;
}

/** What one comparison found, and how many of the daemon's items it compared. */
interface Comparison {
  findings: Finding[];
  compared: number;
}

/**
 * kernel-mismatch: a VIF the kernel lacks or gives another interface; an entry the kernel
 * lacks or forwards from or to other VIFs; a group joined upstream that the kernel has not
 * joined on that interface, or whose filter lacks a source the daemon includes (excludes).
 * A file of a family in use that does not parse is a note: that table was not compared.
 */
export function checkKernelMismatch(facts: DoctorFacts, query: DoctorQuery): Finding[] {
  return compareWithKernel(facts, query).findings;
}

/**
 * The findings of kernel-mismatch ({@link checkKernelMismatch}), and how many VIFs, entries
 * and upstream groups it compared: those of the families in use, alike in both samples, of the
 * query, whose table was read.
 */
export function compareWithKernel(
  facts: DoctorFacts,
  query: DoctorQuery,
): { findings: Finding[]; compared: KernelCompared } {
  const findings: Finding[] = [];
  const compared: KernelCompared = { vifs: 0, entries: 0, groups: 0 };
  for (const family of FAMILIES) {
    const tables = facts.kernel.find((k) => k.family === family);
    const off = facts.sysctls[sysctlPath({ family, name: "mc_forwarding", iface: "all" })] === 0;
    const inUse = facts.after.interfaces.some((i) => i.family === family);
    if (tables === undefined || off || !inUse) continue;
    const vifs = vifMismatches(facts, tables);
    const entries = entryMismatches(facts, tables, query);
    const groups = upstreamMismatches(facts, tables, query);
    findings.push(
      ...unparsed(tables),
      ...vifs.findings,
      ...entries.findings,
      ...groups.findings,
    );
    compared.vifs += vifs.compared;
    compared.entries += entries.compared;
    compared.groups += groups.compared;
  }
  return { findings, compared };
}

/** A note for each file that was read but did not parse: a kernel whose format changed. */
function unparsed(tables: KernelTables): Finding[] {
  return KERNEL_TABLES.flatMap((table) => {
    const why = tables.parseErrors[table];
    if (why === undefined) return [];
    const file = PROC_NET_FILES[tables.family][table];
    return [{
      rule: "kernel-mismatch",
      severity: "note" as const,
      subject: file,
      message: `could not read ${file}: ${why}; the kernel was not compared`,
      fix: `report a bug with the contents of ${file} and the output of \`uname -r\`: this ` +
        "mcast-proxyctl does not know how that kernel prints the file",
    }];
  });
}

/** The daemon's VIFs (the same in both samples) that the kernel lacks or names otherwise. */
function vifMismatches(facts: DoctorFacts, tables: KernelTables): Comparison {
  const { family, vifs } = tables;
  if (vifs === undefined) return { findings: [], compared: 0 };
  const file = PROC_NET_FILES[family].vifs;
  const word = vifWord(family);
  const rows = facts.after.interfaces.filter((row) =>
    row.family === family &&
    facts.before.interfaces.some((b) =>
      b.family === family && b.name === row.name && b.vif === row.vif
    ) &&
    // Its interface's mc_forwarding 0 says what the kernel lacks already (mc-forwarding).
    facts.sysctls[sysctlPath({ family, name: "mc_forwarding", iface: row.name })] !== 0
  );
  const findings = rows.flatMap((row) => {
    const kernel = vifs.find((v) => v.vif === row.vif);
    if (kernel?.name === row.name) return [];
    return [{
      rule: "kernel-mismatch",
      severity: "problem" as const,
      subject: family === "ipv4" ? row.name : `${row.name} (IPv6)`,
      message: `mcast-proxy uses ${row.name} as ${word} ${row.vif}, but ${
        kernel === undefined
          ? `the kernel has no ${word} ${row.vif}`
          : `the kernel's ${word} ${row.vif} is ${kernel.name}`
      } (${file}): data is not forwarded as mcast-proxy says`,
      fix: RESTART,
    }];
  });
  return { findings, compared: rows.length };
}

/** The entries of both samples, alike, that the kernel lacks or forwards otherwise. */
function entryMismatches(
  facts: DoctorFacts,
  tables: KernelTables,
  query: DoctorQuery,
): Comparison {
  const { family, mfc, vifs } = tables;
  if (mfc === undefined) return { findings: [], compared: 0 };
  const file = PROC_NET_FILES[family].mfc;
  const label = (vif: number, name?: string | null) => {
    const known = name ?? vifs?.find((v) => v.vif === vif)?.name;
    return known === undefined
      ? `${vifWord(family)} ${vif}`
      : `${known} (${vifWord(family)} ${vif})`;
  };
  const outputs = (vifList: { vif: number; name?: string | null }[]) =>
    vifList.length === 0 ? "no interface" : vifList.map((v) => label(v.vif, v.name)).join(", ");
  const entries = stableEntries(facts, family).filter((e) => matches(e, query));
  const findings = entries.flatMap((e) => {
    const kernel = mfc.find((k) => k.source === e.source && k.group === e.group);
    const daemon = `from ${label(e.input.vif, e.input.name)} to ${outputs(e.outputs)}`;
    if (kernel === undefined) {
      return [mismatch(
        channel(e),
        `mcast-proxy has installed ${channel(e)} ${daemon}, but the kernel's forwarding cache ` +
          `(${file}) has no such entry: its data is not forwarded`,
      )];
    }
    const same = kernel.input === e.input.vif &&
      sameNumbers(kernel.outputs, e.outputs.map((o) => o.vif));
    if (same) return [];
    return [mismatch(
      channel(e),
      `the kernel forwards ${channel(e)} from ${label(kernel.input)} to ${
        outputs(kernel.outputs.map((vif) => ({ vif })))
      } (${file}), but mcast-proxy installed it ${daemon}`,
    )];
  });
  return { findings, compared: entries.length };
}

/** The entries of a family alike in both samples: the same input and outputs. */
function stableEntries(facts: DoctorFacts, family: FamilyName): ForwardingEntryView[] {
  const entries = (sample: typeof facts.before) =>
    sample.forwarding.filter((v) => v.family === family).flatMap((v) => v.entries);
  const before = new Map(entries(facts.before).map((e) => [channel(e), e]));
  return entries(facts.after).filter((e) => {
    const was = before.get(channel(e));
    return was !== undefined && was.input.vif === e.input.vif &&
      sameNumbers(was.outputs.map((o) => o.vif), e.outputs.map((o) => o.vif));
  });
}

/**
 * The groups joined upstream in both samples, alike, that the kernel has not joined on the
 * upstream interface, or whose filter there lacks a source the daemon includes or excludes (an
 * EXCLUDE filter past its ceiling is membership-limit's).
 */
function upstreamMismatches(
  facts: DoctorFacts,
  tables: KernelTables,
  query: DoctorQuery,
): Comparison {
  const { family, memberships, filters } = tables;
  const view = (sample: typeof facts.before) =>
    sample.upstream.find((v) => v.family === family && v.interface !== null);
  const [was, now] = [view(facts.before), view(facts.after)];
  if (was === undefined || now === undefined || was.interface!.ifindex !== now.interface!.ifindex) {
    return { findings: [], compared: 0 };
  }
  const up = now.interface!;
  const ceiling = Math.min(...sourceLimits(facts, family).map((l) => l.sources));
  const found: Finding[] = [];
  let compared = 0;
  for (const g of stableGroups(was, now)) {
    if (query.group !== undefined && g.group !== query.group) continue;
    const subject = `${g.group} on ${up.name}`;
    if (memberships !== undefined) {
      compared++;
      const joined = memberships.some((m) => m.ifindex === up.ifindex && m.group === g.group);
      if (!joined) {
        found.push(mismatch(
          subject,
          `mcast-proxy has joined ${g.group} on ${up.name}, but the kernel has not ` +
            `(${PROC_NET_FILES[family].memberships}, interface index ${up.ifindex}): ` +
            "upstream is not asked for it",
        ));
        continue;
      }
    }
    if (filters === undefined || g.sources.length === 0) continue;
    if (g.mode === "exclude" && g.sources.length > ceiling) continue;
    if (memberships === undefined) compared++;
    const held = filters.filter((f) =>
      f.ifindex === up.ifindex && f.group === g.group &&
      (g.mode === "include" ? f.include : f.exclude) > 0
    ).map((f) => f.source);
    const missing = g.sources.filter((s) => !held.includes(s));
    if (missing.length === 0) continue;
    found.push(mismatch(
      subject,
      `the kernel's filter of ${g.group} on ${up.name} (${PROC_NET_FILES[family].filters}) ` +
        `lacks ${list(missing)}, which mcast-proxy ${g.mode}s: upstream is asked for ` +
        (g.mode === "include" ? "less" : "more") + " than the listeners want",
    ));
  }
  return { findings: found, compared };
}

/** The groups of both views with the same filter. */
function stableGroups(was: UpstreamView, now: UpstreamView): UpstreamGroupView[] {
  return now.groups.filter((g) => {
    const before = was.groups.find((b) => b.group === g.group);
    return before !== undefined && before.mode === g.mode &&
      before.sources.join() === g.sources.join();
  });
}

function mismatch(subject: string, message: string): Finding {
  return { rule: "kernel-mismatch", severity: "problem", subject, message, fix: RESTART };
}

/** `VIF`, or `MIF` for IPv6. */
function vifWord(family: FamilyName): string {
  return family === "ipv4" ? "VIF" : "MIF";
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  const sorted = (x: readonly number[]) => [...new Set(x)].sort((m, n) => m - n).join();
  return sorted(a) === sorted(b);
}
