/**
 * The benchmark scenarios, each run against one contender on a lab built by `bench.ts`: the
 * contender is started fresh, the scenario measures, the contender is stopped. Every time is
 * wall-clock ms from the lab's processes (host agents, tcpdump), every cost from /proc.
 *
 * @module
 */

import type { Lab } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { wallNow } from "../lab/json_lines.ts";
import { memberships, pktsOut, sleep } from "../lab/kernel_state.ts";
import { startSender } from "../lab/sender.ts";
import { startIgmpTool } from "../lab/igmp_tool.ts";
import type { Contender, Running, StartSettings } from "./contenders.ts";
import { startPacketClock } from "./packet_times.ts";
import { IPPROTO_IGMP } from "../../ffi/linux_constants.ts";
import { parseRawSockets, readUsage } from "./proc_usage.ts";

/** Progress lines on stderr, so that stdout holds the report only. */
export function progress(text: string): void {
  console.error(`bench: ${text}`);
}

/** Startup and idle cost. */
export interface StartupResult {
  /** From the spawn to the first general query seen on LAN 1 (ms). */
  firstQueryMs: number;
  /** RSS after `idleS` seconds of idling (bytes). */
  idleRssBytes: number;
  /** CPU seconds from the spawn to the end of the idle period (start-up included). */
  startCpuS: number;
  /** CPU seconds over the idle period alone. */
  idleCpuS: number;
  /** Length of the idle period (s). */
  idleS: number;
}

/**
 * Starts the contender with tcpdump listening on host 1 of LAN 1, waits for its first general
 * query (to 224.0.0.1), then idles.
 */
export async function startup(lab: Lab, c: Contender, idleS = 3): Promise<StartupResult> {
  const clock = await startPacketClock(
    lab,
    lab.ns.hosts[0][0],
    "eth0",
    "igmp and dst host 224.0.0.1",
  );
  const d = await c.start(lab);
  try {
    const query = await clock.first(10_000);
    const u0 = await readUsage(d.pid);
    await sleep(idleS * 1000);
    const u1 = await readUsage(d.pid);
    return {
      firstQueryMs: query - d.spawnedAt,
      idleRssBytes: u1.rssBytes,
      startCpuS: u1.cpuS,
      idleCpuS: u1.cpuS - u0.cpuS,
      idleS,
    };
  } finally {
    await clock.stop();
    await d.stop();
  }
}

/** Join and leave latencies over repeated trials. */
export interface JoinLeaveResult {
  /** Join call → first datagram at the joining host, per trial (ms). */
  joinMs: number[];
  /**
   * The daemon's share of it: the host's report on the LAN's wire → the first datagram on the
   * wire after it, per trial (ms). The rest is the host's own delay before its report (Linux
   * sends it 2 to 3 timer ticks after the join) and its receive path, alike for both daemons.
   */
  reportToDataMs: number[];
  /** Leave call → last datagram on the LAN's wire, per trial (ms). */
  leaveMs: number[];
  /** Trials whose first datagram never came (within the timeout). */
  joinTimeouts: number;
  /** CPU seconds over the trials. */
  cpuS: number;
  /** The stream's rate (datagrams/s). */
  rate: number;
}

/** Options of {@link joinLeave}. */
export interface JoinLeaveOptions {
  /** Number of trials (default 20). */
  trials?: number;
  /** Datagrams per second of the stream (default 1000). */
  rate?: number;
  /** Contender settings (e.g. a last member query interval). */
  settings?: StartSettings;
}

const JOIN_GROUP = "239.10.0.1";

/** The first time in ascending `times` at or after `t`. */
function firstAtOrAfter(times: readonly number[], t: number): number | undefined {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return times[lo];
}

/** The last time in ascending `times`, if it is at or after `t`. */
function lastAfter(times: readonly number[], t: number): number | undefined {
  const last = times.at(-1);
  return last !== undefined && last >= t ? last : undefined;
}

/**
 * A source streams one group at `rate` datagrams/s; host 1 of LAN 1 joins, and the time to
 * its first datagram is taken; it leaves, and the time to the last datagram on the LAN's wire
 * is taken once the LAN's VIF counter has stood still for 600 ms. tcpdump on host 2 of LAN 1
 * (promiscuous: that host is not a member) times the reports and datagrams on the wire.
 */
export async function joinLeave(
  lab: Lab,
  c: Contender,
  opts: JoinLeaveOptions = {},
): Promise<JoinLeaveResult> {
  const trials = opts.trials ?? 20;
  const rate = opts.rate ?? 1000;
  const d = await c.start(lab, opts.settings);
  const sender = await startSender(lab, { groups: [JOIN_GROUP], rate, ttl: 8 });
  await using host = await Host.onLan(lab, 1, 1);
  const wire = lab.ns.hosts[0][1];
  // An IGMPv2 report goes to its group; queries from the daemon too, but only after a leave.
  const reports = await startPacketClock(lab, wire, "eth0", `igmp and dst host ${JOIN_GROUP}`);
  const data = await startPacketClock(lab, wire, "eth0", `udp and dst host ${JOIN_GROUP}`);
  const joinMs: number[] = [];
  const reportToDataMs: number[] = [];
  const leaveMs: number[] = [];
  let joinTimeouts = 0;
  try {
    await sleep(500); // the kernel's upcall for the stream, and the daemon's answer to it
    const u0 = await readUsage(d.pid);
    for (let k = 0; k < trials; k++) {
      host.clear(JOIN_GROUP);
      const tj = await host.join(JOIN_GROUP);
      let rx;
      try {
        rx = await host.waitFor(JOIN_GROUP, { since: tj, timeoutMs: 15_000 });
      } catch {
        joinTimeouts++;
        await host.leave(JOIN_GROUP);
        await quiet(() => pktsOut(lab, lab.ifaces.downstream[0]), 600, 60_000);
        continue;
      }
      joinMs.push(rx[0].t - tj);
      await sleep(200); // tcpdump's lines for the join are in by then
      const report = firstAtOrAfter(reports.times, tj - 1);
      const onWire = report === undefined ? undefined : firstAtOrAfter(data.times, report);
      if (report !== undefined && onWire !== undefined) reportToDataMs.push(onWire - report);
      const tl = await host.leave(JOIN_GROUP);
      await quiet(() => pktsOut(lab, lab.ifaces.downstream[0]), 600, 60_000);
      await sleep(100);
      leaveMs.push((lastAfter(data.times, tl) ?? tl) - tl);
      progress(
        `  ${c.name} trial ${k + 1}/${trials}: join ${fmt(joinMs.at(-1))} ms ` +
          `(report to data ${fmt(reportToDataMs.at(-1))} ms), leave ${fmt(leaveMs.at(-1))} ms`,
      );
      data.times.length = 0;
      reports.times.length = 0;
    }
    const u1 = await readUsage(d.pid);
    return { joinMs, reportToDataMs, leaveMs, joinTimeouts, cpuS: u1.cpuS - u0.cpuS, rate };
  } finally {
    await Promise.all([reports.stop(), data.stop()]);
    await sender.stop();
    await d.stop();
  }
}

function fmt(n: number | undefined): string {
  return n === undefined ? "-" : n.toFixed(1);
}

/**
 * Waits until `read` (a counter) has not changed for `stillMs`, polling every 20 ms; gives up
 * after `maxMs`.
 */
async function quiet(read: () => Promise<number>, stillMs: number, maxMs: number): Promise<void> {
  const t0 = performance.now();
  let last = await read();
  let since = performance.now();
  while (performance.now() - since < stillMs && performance.now() - t0 < maxMs) {
    await sleep(20);
    const n = await read();
    if (n !== last) {
      last = n;
      since = performance.now();
    }
  }
}

/** Many groups joined at once. */
export interface BurstResult {
  /** Groups joined. */
  groups: number;
  /**
   * Per group: its join → its first datagram on the LAN's wire (ms); groups never forwarded
   * are left out.
   */
  firstMs: number[];
  /** Groups whose first datagram was on the wire within 1 s / 5 s of the first join. */
  within1s: number;
  within5s: number;
  /** Groups whose datagrams reached the joining host's socket. */
  received: number;
  /** Datagrams per second per group. */
  ratePerGroup: number;
  /** How long the host took to make its joins (ms): the last join's time − the first's. */
  joinSpreadMs: number;
  /** RSS with every group joined and streaming (bytes). */
  rssBytes: number;
  /** RSS before the burst (bytes). */
  rssBeforeBytes: number;
  /** CPU seconds from the first join until the last group arrived (or the wait ended). */
  cpuS: number;
}

/** The i-th group of a block: 239.B.(i >> 8).(i & 255). */
export function nthGroup(block: number, i: number): string {
  return `239.${block}.${(i >> 8) & 255}.${i & 255}`;
}

/**
 * A source streams `groups` groups at `ratePerGroup` each; host 1 of LAN 1 joins them all at
 * once. Each group's first datagram is timed on the LAN's wire by tcpdump on host 2 of LAN 1:
 * the joining host's agent, busy with its joins, would timestamp the first datagrams late. The
 * quantum of the measure is the stream's period, 1000 / ratePerGroup ms.
 */
export async function burst(
  lab: Lab,
  c: Contender,
  groups = 1000,
  ratePerGroup = 20,
): Promise<BurstResult> {
  const names = Array.from({ length: groups }, (_, i) => nthGroup(20, i));
  const hostNs = lab.ns.hosts[0][0];
  await lab.sysctl(hostNs, "net.ipv4.igmp_max_memberships", groups + 64);
  const d = await c.start(lab);
  const sender = await startSender(lab, { groups: names, rate: ratePerGroup, ttl: 8 });
  await using host = await Host.start(lab, {
    ns: hostNs,
    addr: lab.hostAddr(1, 1),
    rx: "first",
    name: "h11",
  });
  const wire = await startPacketClock(
    lab,
    lab.ns.hosts[0][1],
    "eth0",
    "udp and dst net 239.20.0.0/16",
  );
  try {
    await sleep(1500); // every group's upcall seen before the joins
    wire.firsts.clear();
    const u0 = await readUsage(d.pid);
    const t0 = wallNow();
    const joinedAt = await Promise.all(names.map((g) => host.join(g)));
    const deadline = t0 + 10_000;
    while (wallNow() < deadline && names.some((g) => !wire.firsts.has(g))) await sleep(50);
    const u1 = await readUsage(d.pid);
    // The host's agent reports the groups the wire saw (it may lag behind the wire).
    const seen = names.filter((g) => wire.firsts.has(g));
    const reportedBy = wallNow() + 5000;
    await host.sync();
    while (seen.some((g) => host.received(g).length === 0) && wallNow() < reportedBy) {
      await sleep(50);
      await host.sync();
    }
    const firstMs: number[] = [];
    let within1s = 0;
    let within5s = 0;
    names.forEach((g, i) => {
      const t = wire.firsts.get(g);
      if (t === undefined) return;
      firstMs.push(t - joinedAt[i]);
      if (t - t0 <= 1000) within1s++;
      if (t - t0 <= 5000) within5s++;
    });
    return {
      groups,
      firstMs,
      within1s,
      within5s,
      received: names.filter((g) => host.received(g).length > 0).length,
      ratePerGroup,
      joinSpreadMs: Math.max(...joinedAt) - Math.min(...joinedAt),
      rssBytes: u1.rssBytes,
      rssBeforeBytes: u0.rssBytes,
      cpuS: u1.cpuS - u0.cpuS,
    };
  } finally {
    await wire.stop();
    await sender.stop();
    await d.stop();
  }
}

/** One rate of the report storm. */
export interface StormResult {
  /** Reports per second asked of the generator. */
  targetRate: number;
  /** Reports the generator sent. */
  sent: number;
  /** Reports per second it achieved. */
  sentRate: number;
  /** Reports dropped at the daemon's IGMP socket (receive buffer full). */
  dropped: number;
  /** (sent − dropped) / (time from the first report until the socket's queue was empty). */
  processedRate: number;
  /** Distinct groups reported. */
  groups: number;
  /** Groups joined upstream once the daemon caught up. */
  joinedUpstream: number;
  /** From the first report until the daemon's socket queue was empty (ms). */
  drainedMs: number;
  /** CPU seconds over the storm and the drain. */
  cpuS: number;
  /** RSS once it caught up, every group a member (bytes). */
  rssBytes: number;
  /** RSS before the storm (bytes). */
  rssBeforeBytes: number;
}

/** The IGMP raw sockets of the proxy namespace (only the daemon has any). */
async function igmpSockets(lab: Lab) {
  const text = await lab.readProc(lab.ns.proxy, "/proc/net/raw");
  return parseRawSockets(text).filter((s) => s.protocol === IPPROTO_IGMP);
}

/**
 * From host 1 of LAN 1, a raw-socket generator sends valid IGMPv2 reports for `groups`
 * consecutive groups, round robin, at `rate` reports/s for `seconds`; then waits until the
 * daemon's socket queue is empty and its upstream memberships stop growing.
 */
export async function storm(
  lab: Lab,
  c: Contender,
  rate: number,
  groups = 10_000,
  seconds = 10,
): Promise<StormResult> {
  const d = await c.start(lab);
  try {
    await sleep(300);
    const before = await igmpSockets(lab);
    const drops0 = before.reduce((a, s) => a + s.drops, 0);
    const u0 = await readUsage(d.pid);
    const first = nthGroup(100, 0);
    const tool = await startIgmpTool(lab, lab.ns.hosts[0][0], [
      "reports",
      ...["--iface", "eth0", "--source", lab.hostAddr(1, 1)],
      ...["--first-group", first, "--groups", String(groups), "--version", "2"],
      ...["--count", String(rate * seconds), "--rate", String(rate)],
    ]);
    const t0 = wallNow();
    const summary = await tool.done;
    const sentS = (wallNow() - t0) / 1000;
    // Caught up: the queue is empty and the upstream memberships stand still for 500 ms.
    let drainedAt = wallNow();
    let joined = -1;
    let stillSince = performance.now();
    const giveUp = performance.now() + 60_000;
    while (performance.now() < giveUp) {
      const queued = (await igmpSockets(lab)).reduce((a, s) => a + s.rxQueue, 0);
      const n = (await memberships(lab, lab.ifaces.upstream)).filter((g) =>
        g.startsWith("239.100.")
      ).length;
      if (queued > 0 || n !== joined) {
        joined = n;
        drainedAt = wallNow();
        stillSince = performance.now();
      } else if (performance.now() - stillSince >= 500) break;
      await sleep(25);
    }
    const u1 = await readUsage(d.pid);
    const drops1 = (await igmpSockets(lab)).reduce((a, s) => a + s.drops, 0);
    const dropped = drops1 - drops0;
    const drainedMs = drainedAt - t0;
    return {
      targetRate: rate,
      sent: summary.sent,
      sentRate: summary.sent / sentS,
      dropped,
      processedRate: (summary.sent - dropped) / Math.max(sentS, drainedMs / 1000),
      groups,
      joinedUpstream: joined,
      drainedMs,
      cpuS: u1.cpuS - u0.cpuS,
      rssBytes: u1.rssBytes,
      rssBeforeBytes: u0.rssBytes,
    };
  } finally {
    await stopLogged(c, d);
  }
}

async function stopLogged(c: Contender, d: Running): Promise<void> {
  const { code, ms } = await d.stop();
  progress(`  ${c.name} stopped in ${ms.toFixed(0)} ms (exit ${code})`);
}
