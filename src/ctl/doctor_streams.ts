/**
 * The doctor's rules about streams and LANs: stalled entries, TTL below a threshold, refused
 * senders, boundaries, rival queriers, groups without members or without data.
 *
 * @module
 */

import { formatAge } from "../core/text_table.ts";
import type { FamilyName } from "../core/status_view.ts";
import type { DoctorFacts } from "./doctor_facts.ts";
import { type DoctorQuery, familyWord, prefixContains } from "./doctor_query.ts";
import {
  admits,
  channel,
  describeFilter,
  entryPairs,
  FAMILIES,
  type Finding,
  growth,
  list,
  matches,
  memberRows,
  OTHER_QUERIER_PRESENT_S,
  REFUSED_RECENTLY_S,
  seconds,
  SLOW_STREAM_DATAGRAMS,
  TTL_SLACK,
  upstreamRow,
  vifName,
} from "./doctor_findings.ts";
import { strictRpFilter } from "./doctor_system.ts";

/**
 * stalled-stream: an entry with outputs in both samples whose packets did not grow. A note, not
 * a problem, for a slow stream: one whose rate makes fewer than {@link SLOW_STREAM_DATAGRAMS}
 * datagrams expected between the samples. Its rate is the larger of the one the first sample
 * gives (since the daemon's previous view, to one decimal: 0 under 0.05/s) and its average since
 * it was installed: a stream of one datagram a minute is slow, not stalled, whatever the window
 * of the first rate. Only an entry that never forwarded a datagram has no rate at all: stalled.
 */
export function checkStalledStreams(facts: DoctorFacts, query: DoctorQuery): Finding[] {
  const found: Finding[] = [];
  for (const family of FAMILIES) {
    for (const pair of entryPairs(facts, family)) {
      const e = pair.entry;
      if (!matches(e, query) || pair.outputs.length === 0 || pair.growth !== 0) continue;
      const up = upstreamRow(facts, family)?.name ?? "the upstream interface";
      const rate = streamRate(facts, family, e);
      const slow = rate !== undefined && rate.perSecond > 0 &&
        rate.perSecond * facts.intervalS < SLOW_STREAM_DATAGRAMS;
      const what = `${channel(e)} from ${vifName(e.input)} to ${
        e.outputs.map(vifName).join(", ")
      } forwarded nothing in the last ${seconds(facts.intervalS)}`;
      found.push({
        rule: "stalled-stream",
        severity: slow ? "note" : "problem",
        subject: channel(e),
        message: slow
          ? `${what}, but ${describeRate(rate)}: a slow stream may be between two datagrams`
          : `${what}: the sender stopped, or upstream stopped sending it (pruned)`,
        fix: slow
          ? `run mcast-proxyctl doctor with a longer -w (at least ${
            Math.ceil(SLOW_STREAM_DATAGRAMS / rate.perSecond)
          } s for this stream) to tell a slow stream from a stalled one`
          : `check that ${e.source} still sends to ${e.group}; if it does, the router ` +
            `upstream must keep forwarding it to ${up}, and so hear the proxy's reports for ` +
            `${e.group} there`,
      });
    }
  }
  return found;
}

/** A stream's rate: recent (the first sample's), or its average since it was installed. */
interface StreamRate {
  perSecond: number;
  recent: boolean;
  /** Seconds since its entry was installed. */
  age: number;
}

/**
 * The rate of an entry at the first sample: the larger of the view's packet rate (since the
 * daemon's previous view of it) and packets / age; undefined when neither is known.
 */
function streamRate(
  facts: DoctorFacts,
  family: FamilyName,
  e: { source: string; group: string; packets: number | null; age: number },
): StreamRate | undefined {
  const before = facts.before.forwarding.filter((v) => v.family === family)
    .flatMap((v) => v.entries).find((b) => b.source === e.source && b.group === e.group);
  const recent = before?.packetRate;
  const average = e.packets !== null && e.age > 0 ? e.packets / e.age : undefined;
  const known = typeof recent === "number" && Number.isFinite(recent) && recent >= 0;
  if (known && (average === undefined || recent >= average)) {
    return { perSecond: recent, recent: true, age: e.age };
  }
  return average === undefined ? undefined : { perSecond: average, recent: false, age: e.age };
}

/** `it forwarded 0.3 datagrams/s before the first sample (...)`, `it averaged 0.2 datagrams/s since ...`. */
function describeRate(rate: StreamRate): string {
  return rate.recent
    ? `it forwarded ${perSecond(rate.perSecond)} before (its rate in the first ` +
      "`show forwarding`)"
    : `it averaged ${perSecond(rate.perSecond)} since it was installed ${
      formatAge(rate.age * 1000)
    } ago`;
}

/** `0.3 datagrams/s`, `1 datagram/s`. */
function perSecond(rate: number): string {
  const shown = rate >= 0.1 ? Number(rate.toFixed(1)) : Number(rate.toPrecision(1));
  return `${shown} datagram${shown === 1 ? "" : "s"}/s`;
}

/**
 * ttl-threshold: an IPv4 VIF whose packetsOut grew by less than 1 - {@link TTL_SLACK} of what
 * the entries that output to it (in both samples) forwarded, one of them at least the query's.
 */
export function checkTtlThreshold(facts: DoctorFacts, query: DoctorQuery): Finding[] {
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
 * within {@link REFUSED_RECENTLY_S}, a note when longer ago, or when the doctor was asked about
 * another group (or another source) than the refused one's.
 */
export function checkOffSubnetSender(facts: DoctorFacts, query: DoctorQuery = {}): Finding[] {
  const found: Finding[] = [];
  for (const counters of facts.counters) {
    const refusals = counters.drops["source-not-admitted"] ?? 0;
    const last = counters.refusedSource;
    if (refusals === 0 || last === null) continue;
    const hostLength = counters.family === "ipv4" ? 32 : 128;
    const times = refusals === 1 ? "once" : `${refusals} times`;
    const asked = (query.group === undefined || query.group === last.group) &&
      (query.source === undefined || query.source === last.source);
    found.push({
      rule: "off-subnet-sender",
      severity: asked && last.ago <= REFUSED_RECENTLY_S ? "problem" : "note",
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
export function checkBoundary(facts: DoctorFacts, query: DoctorQuery): Finding[] {
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
export function checkRivalQuerier(facts: DoctorFacts): Finding[] {
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
 * no-member: with a group, no LAN has a member of it; with a source too, no LAN's filter
 * admits the source.
 */
export function checkNoMember(facts: DoctorFacts, query: DoctorQuery): Finding[] {
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
export function checkNoData(facts: DoctorFacts, query: DoctorQuery): Finding[] {
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
export function noDataHints(
  facts: DoctorFacts,
  opts: { family: FamilyName; group: string; where: string },
): string[] {
  const { family, group, where } = opts;
  const hints: string[] = [];
  const up = upstreamRow(facts, family);
  const view = facts.after.upstream.find((v) => v.family === family);
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
