/**
 * What `mcast-proxyctl doctor`'s rules have in common: a finding and a rule, the thresholds they
 * judge by, and the readings of the facts they share (the upstream row, the entries of both
 * samples, the groups with members).
 *
 * @module
 */

import type { ForwardingEntryView } from "../core/forwarding_view.ts";
import type { FamilyName, GroupView, InterfaceView } from "../core/status_view.ts";
import type { DoctorFacts } from "./doctor_facts.ts";
import type { DoctorQuery } from "./doctor_query.ts";

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

/**
 * A stream is slow when its average rate makes fewer datagrams than this expected between the
 * two samples: forwarding nothing in between is then no sign that it stalled.
 */
export const SLOW_STREAM_DATAGRAMS = 2;

/** A source filter at this fraction of the kernel's ceiling is near it. */
export const NEAR_CEILING = 0.9;

/** At most this many items are named in a list of a message; the rest are counted. */
export const LIST_AT_MOST = 4;

/** The families, IPv4 first. */
export const FAMILIES: readonly FamilyName[] = ["ipv4", "ipv6"];

/** A family's upstream interface, as last seen. */
export function upstreamRow(facts: DoctorFacts, family: FamilyName): InterfaceView | undefined {
  return facts.after.interfaces.find((i) => i.family === family && i.role === "upstream");
}

/** An entry of the second sample that the first had too. */
export interface EntryPair {
  /** As in the second sample. */
  entry: ForwardingEntryView;
  /** The VIFs it outputs to in both samples. */
  outputs: number[];
  /** How many packets it forwarded between them; undefined when unknown. */
  growth: number | undefined;
}

/** The entries of a family in both samples. */
export function entryPairs(facts: DoctorFacts, family: FamilyName): EntryPair[] {
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
export function forwardingGroups(facts: DoctorFacts, family: FamilyName): Set<string> {
  return new Set(
    entryPairs(facts, family).filter((p) => p.outputs.length > 0 && p.growth !== 0).map((p) =>
      p.entry.group
    ),
  );
}

/** The groups of a family with members on a LAN (the query's group only, with one). */
export function groupsWithMembers(
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
export function memberRows(facts: DoctorFacts, query: DoctorQuery): GroupView[] {
  return facts.groups.filter((g) => g.family === query.family && g.group === query.group);
}

/** Whether a LAN's membership wants data from `source`. */
export function admits(row: GroupView, source: string): boolean {
  const listed = row.sources.find((s) => s.address === source);
  return row.mode === "include" ? listed !== undefined : !(listed?.excluded ?? false);
}

/** `includes only 10.0.0.5, 10.0.0.6`, `excludes 10.0.0.2`. */
export function describeFilter(row: GroupView): string {
  if (row.mode === "include") {
    return `includes only ${row.sources.map((s) => s.address).join(", ")}`;
  }
  return `excludes ${
    row.sources.filter((s) => s.excluded).map((s) => s.address).join(", ") || "nothing"
  }`;
}

/** Whether an entry is the query's (every entry without a query). */
export function matches(e: { source: string; group: string }, query: DoctorQuery): boolean {
  return (query.group === undefined || e.group === query.group) &&
    (query.source === undefined || e.source === query.source);
}

/** How much a counter grew; undefined when either read is missing or it went down. */
export function growth(
  before: number | null | undefined,
  after: number | null | undefined,
): number | undefined {
  if (before === null || before === undefined || after === null || after === undefined) {
    return undefined;
  }
  return after >= before ? after - before : undefined;
}

/** `(10.0.0.2, 239.1.1.1)`. */
export function channel(e: { source: string; group: string }): string {
  return `(${e.source}, ${e.group})`;
}

/** A VIF by its interface's name, or `vif N` when it is gone. */
export function vifName(v: { vif: number; name: string | null }): string {
  return v.name ?? `vif ${v.vif}`;
}

/** `2 s`, `0.5 s`. */
export function seconds(s: number): string {
  return `${Number(s.toFixed(1))} s`;
}

/** `a, b, c`, or `a, b, c, d and 3 more`. */
export function list(items: readonly string[]): string {
  if (items.length <= LIST_AT_MOST) return items.join(", ");
  return `${items.slice(0, LIST_AT_MOST).join(", ")} and ${items.length - LIST_AT_MOST} more`;
}

/** `1 problem`, `2 notes`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
