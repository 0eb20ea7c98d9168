/**
 * The benchmark report: rows of the side-by-side table from both contenders' results, the
 * targets of the benchmark issue checked where one row tells, and the Markdown page kept in
 * the repository. Pure: everything comes in as data.
 *
 * @module
 */

import type { BurstResult, JoinLeaveResult, StartupResult, StormResult } from "./scenarios.ts";
import { formatMarkdownTable, formatValue, type Row, summarize } from "./stats.ts";

/** Everything measured of one contender. */
export interface ContenderResults {
  /** Its name. */
  name: string;
  /** Its version. */
  version: string;
  /** Startup and idle. */
  startup: StartupResult;
  /** Join and leave at its defaults. */
  joinLeave: JoinLeaveResult;
  /** Leave at a 0.1 s last member query interval (ours only). */
  leaveFast?: JoinLeaveResult;
  /** The burst of joins. */
  burst: BurstResult;
  /** One per storm rate, in increasing rate. */
  storms: StormResult[];
}

/** The run's circumstances. */
export interface RunInfo {
  /** ISO date of the start. */
  date: string;
  /** Whether it was a `--quick` run. */
  quick: boolean;
  /** The machine. */
  machine: { cpu: string; cpus: number; memoryGiB: number; kernel: string; distro: string };
  /** Deno's version. */
  deno: string;
  /** Our defaults the targets refer to. */
  defaults: { ourLastMemberQueryMs: number };
  /** What was run. */
  plan: Plan;
}

/** What a run measures, and how much of it. */
export interface Plan {
  /** Join and leave trials at the defaults. */
  trials: number;
  /** Leave trials at a 0.1 s last member query interval (ours). */
  leaveFastTrials: number;
  /** Groups of the burst. */
  burstGroups: number;
  /** Report storm rates (reports/s), in increasing order. */
  stormRates: number[];
  /** Distinct groups of each storm. */
  stormGroups: number;
  /** Length of each storm (s). */
  stormSeconds: number;
}

const MB = 1024 * 1024;

/** The highest processed rate of a storm after which every group was joined upstream, or 0. */
export function completeRate(storms: readonly StormResult[]): number {
  let best = 0;
  for (const s of storms) {
    if (s.joinedUpstream === s.groups) best = Math.max(best, s.processedRate);
  }
  return best;
}

/** The same, among storms in which no report was dropped either. */
export function losslessRate(storms: readonly StormResult[]): number {
  return completeRate(storms.filter((s) => s.dropped === 0));
}

/**
 * RSS growth per group held, from idle to the end of the slowest storm (the one most likely
 * complete), over the groups joined upstream then.
 */
export function bytesPerGroup(r: ContenderResults): number {
  const s = r.storms[0];
  if (s === undefined || s.joinedUpstream <= 0) return NaN;
  return (s.rssBytes - r.startup.idleRssBytes) / s.joinedUpstream;
}

/** RSS at the end of the slowest storm (MB). */
function rssAfterStorm(r: ContenderResults): number {
  const s = r.storms[0];
  return s === undefined ? NaN : s.rssBytes / MB;
}

/**
 * The rows of the table. Targets (from the issue): join p50 and p99 ≤ the peer's; burst p99 ≤
 * the peer's and every group within 1 s; leave = our last member query time + ≤ 100 ms;
 * sustained ≥ 50k reports/s with no lost state; RSS ≤ 60 MB at 10k groups.
 */
export function buildRows(
  mine: ContenderResults,
  peer: ContenderResults,
  info: RunInfo,
): Row[] {
  const rows: Row[] = [];
  let section = "";
  const add = (
    measure: string,
    unit: string,
    ours: number | string,
    theirs: number | string,
    target?: { text: string; met: boolean },
  ) => {
    const row: Row = { section, measure, unit, ours, peer: theirs };
    if (target !== undefined) {
      row.target = target.text;
      row.met = target.met;
    }
    rows.push(row);
  };
  const le = (a: number, b: number) => Number.isFinite(a) && Number.isFinite(b) && a <= b;

  const jm = summarize(mine.joinLeave.joinMs);
  const jp = summarize(peer.joinLeave.joinMs);
  section = `join latency (${mine.joinLeave.rate}/s stream, ${jm.n} trials)`;
  add("p50", "ms", jm.p50, jp.p50, { text: "≤ peer", met: le(jm.p50, jp.p50) });
  add("p90", "ms", jm.p90, jp.p90);
  add("p99", "ms", jm.p99, jp.p99, { text: "≤ peer", met: le(jm.p99, jp.p99) });
  add("max", "ms", jm.max, jp.max);
  add("no datagram in 15 s", "", mine.joinLeave.joinTimeouts, peer.joinLeave.joinTimeouts);
  const dm = summarize(mine.joinLeave.reportToDataMs);
  const dp = summarize(peer.joinLeave.reportToDataMs);
  section = "join: report on the wire → first datagram";
  add("p50", "ms", dm.p50, dp.p50);
  add("p90", "ms", dm.p90, dp.p90);
  add("max", "ms", dm.max, dp.max);

  const bm = summarize(mine.burst.firstMs);
  const bp = summarize(peer.burst.firstMs);
  const all = mine.burst.groups;
  section = `burst join (${all} groups, ${mine.burst.ratePerGroup}/s each)`;
  add("p50", "ms", bm.p50, bp.p50);
  add("p99", "ms", bm.p99, bp.p99, { text: "≤ peer", met: le(bm.p99, bp.p99) && bm.n === all });
  add("max", "ms", bm.max, bp.max);
  add("groups within 1 s", "", mine.burst.within1s, peer.burst.within1s, {
    text: `${all}/${all}`,
    met: mine.burst.within1s === all,
  });
  add("groups within 5 s", "", mine.burst.within5s, peer.burst.within5s);
  add("groups the host received", "", mine.burst.received, peer.burst.received);
  add("the host's joins took", "ms", mine.burst.joinSpreadMs, peer.burst.joinSpreadMs);

  const lmqt = info.defaults.ourLastMemberQueryMs;
  const lm = summarize(mine.joinLeave.leaveMs);
  const lp = summarize(peer.joinLeave.leaveMs);
  section = `leave latency (defaults, ${lm.n} trials)`;
  add("p50", "ms", lm.p50, lp.p50);
  add("max", "ms", lm.max, lp.max, { text: `≤ ${lmqt} + 100 ms`, met: lm.max <= lmqt + 100 });
  if (mine.leaveFast !== undefined) {
    const lf = summarize(mine.leaveFast.leaveMs);
    section = `leave latency (ours at 0.1 s interval, ${lf.n} trials)`;
    add("p50", "ms", lf.p50, NaN);
    add("max", "ms", lf.max, NaN, { text: "≤ 200 + 100 ms", met: lf.max <= 300 });
  }

  mine.storms.forEach((s, i) => {
    const p = peer.storms[i];
    section = `report storm ${s.targetRate}/s × ${info.plan.stormSeconds} s, ${s.groups} groups`;
    add("reports sent/s", "/s", s.sentRate, p?.sentRate ?? NaN);
    add("processed/s", "/s", s.processedRate, p?.processedRate ?? NaN);
    add("dropped", "", s.dropped, p?.dropped ?? NaN);
    add("groups joined upstream", "", s.joinedUpstream, p?.joinedUpstream ?? NaN, {
      text: `${s.groups}`,
      met: s.joinedUpstream === s.groups,
    });
    add("caught up after", "ms", s.drainedMs, p?.drainedMs ?? NaN);
    add("CPU", "s", s.cpuS, p?.cpuS ?? NaN);
  });
  section = "report storm";
  const complete = completeRate(mine.storms);
  add("fastest with the state complete", "/s", complete, completeRate(peer.storms), {
    text: "≥ 50000",
    met: complete >= 50_000,
  });
  add("fastest with no report dropped", "/s", losslessRate(mine.storms), losslessRate(peer.storms));

  section = "cost";
  const rss10k = rssAfterStorm(mine);
  const complete10k = mine.storms[0]?.joinedUpstream === mine.storms[0]?.groups;
  add("startup to first query", "ms", mine.startup.firstQueryMs, peer.startup.firstQueryMs);
  add("CPU, startup + idle", "s", mine.startup.startCpuS, peer.startup.startCpuS);
  add(`CPU, idle ${mine.startup.idleS} s`, "s", mine.startup.idleCpuS, peer.startup.idleCpuS);
  add("CPU, join/leave trials", "s", mine.joinLeave.cpuS, peer.joinLeave.cpuS);
  add("CPU, burst", "s", mine.burst.cpuS, peer.burst.cpuS);
  add("RSS idle", "MB", mine.startup.idleRssBytes / MB, peer.startup.idleRssBytes / MB);
  add(`RSS, ${all} groups`, "MB", mine.burst.rssBytes / MB, peer.burst.rssBytes / MB);
  add(`RSS, ${info.plan.stormGroups} groups reported`, "MB", rss10k, rssAfterStorm(peer), {
    text: "≤ 60 MB",
    met: complete10k && rss10k <= 60,
  });
  add("bytes per group", "B", bytesPerGroup(mine), bytesPerGroup(peer));
  return rows;
}

/** The Markdown page: circumstances, method, and the table. */
export function markdownReport(
  rows: readonly Row[],
  mine: ContenderResults,
  peer: ContenderResults,
  info: RunInfo,
): string {
  const m = info.machine;
  const p = info.plan;
  return [
    "# Benchmarks: mcast-proxy and igmpproxy",
    "",
    "Written by `deno task bench` (see the README); the JSON next to this page has every sample.",
    "",
    `- Date: ${info.date}${info.quick ? " (a `--quick` run: fewer trials)" : ""}`,
    `- Machine: ${m.cpu}, ${m.cpus} CPUs, ${
      formatValue(m.memoryGiB)
    } GiB; ${m.distro}, Linux ${m.kernel}`,
    `- ${mine.name} ${mine.version}`,
    `- ${peer.name} ${peer.version} (Debian's package)`,
    "",
    "Both daemons run in turn on one network namespace lab (one upstream with a sender, two",
    "LANs of Linux hosts speaking IGMPv2 with `igmp_qrv` 1, i.e. one report per join), each",
    "started fresh for each scenario and logging warnings only (`-d`): igmpproxy with",
    "`quickleave`, ours jailed as an unprivileged user. The proxy namespace lets one socket",
    "hold the storm's groups (`igmp_max_memberships`, `optmem_max`), which igmpproxy needs.",
    "",
    `- **join latency**: one group streams at ${mine.joinLeave.rate} datagrams/s; a host joins;`,
    "  time from the join call to the first datagram its socket receives. Most of it is the",
    "  host's own: Linux sends the report 2 to 3 timer ticks after the join. The daemon's share",
    "  is the next rows: from the report on the LAN's wire to the first datagram on it (tcpdump",
    "  on another host of the LAN). The first datagrams are the few the kernel queued for the",
    "  unresolved entry, sent as the daemon adds the route: this is the daemon's reaction time.",
    `- **burst join**: ${p.burstGroups} groups stream at ${mine.burst.ratePerGroup} datagrams/s each;`,
    "  one host joins them all at once (its agent needs the time shown to make the joins); per",
    "  group, its join to its first datagram on the LAN's wire (tcpdump on another host). A",
    `  group has a datagram every ${formatValue(1000 / mine.burst.ratePerGroup)} ms: a group the`,
    "  kernel has no queued datagram for waits up to that long.",
    "- **leave latency**: the host leaves; time to the last datagram of the group that tcpdump",
    "  sees on the LAN, once the LAN's VIF counter stood still for 600 ms. Our default last",
    `  member query time is ${info.defaults.ourLastMemberQueryMs} ms. igmpproxy 0.3 with`,
    "  `quickleave` counts the stream's upcall as a host on the LAN (address 0.0.0.0) when the",
    "  stream was there before the join, so the Leave does not end the group: general aging",
    "  does, two or three of its query rounds later.",
    "- **report storm**: a raw-socket generator on a LAN host sends valid IGMPv2 reports for",
    `  ${p.stormGroups} groups round robin at each rate for ${p.stormSeconds} s. Dropped: datagrams`,
    "  the kernel dropped at the daemon's IGMP socket (`/proc/net/raw`). Processed/s: (sent −",
    "  dropped) over the time until the socket's queue was empty and the upstream memberships",
    "  stood still. Complete: every group joined upstream (`/proc/net/igmp`). The generator",
    "  and the daemon share the machine's CPUs.",
    "- **cost**: CPU seconds (utime + stime, every thread) and VmRSS from `/proc/PID`; the RSS",
    "  of ours includes about 36 MB that any Deno program has (most of it the pages of the",
    "  `deno` executable). Startup: from the spawn to the first general query on the LAN (ours",
    "  includes Deno's own start and loading the program from source).",
    "",
    "Ratios are ours / igmpproxy. Absolute numbers vary from machine to machine and run to run;",
    "the two columns come from the same run.",
    "",
    formatMarkdownTable(rows, peer.name),
    "",
  ].join("\n");
}
