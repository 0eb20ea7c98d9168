/**
 * The source-filter benchmark's scenario, run against one contender for one load (see
 * {@link SourceLoad}): start it fresh, take its idle RSS, report every (group, source) pair of
 * the load once, in two halves, taking the RSS after each, then send a storm of passes over the load from a LAN
 * host as fast as the generator can and time how long the daemon takes to read them all.
 *
 * "Read them all" is exact from the kernel's side: the daemon's IGMP socket has an empty
 * receive queue and its upstream state (groups joined on the upstream interface, sources in
 * their filters) stands still for 500 ms; the packets it read are those the proxy's namespace
 * delivered (`Ip: InDelivers`) less those its socket dropped (receive buffer full).
 *
 * @module
 */

import type { Lab } from "../lab/lab.ts";
import { wallNow } from "../lab/json_lines.ts";
import { memberships, sleep } from "../lab/kernel_state.ts";
import { parseIPv4 } from "../../src/proto/addr.ts";
import { IPPROTO_IGMP } from "../../ffi/linux_constants.ts";
import type { Contender } from "./contenders.ts";
import { parseRawSockets, readUsage } from "./proc_usage.ts";
import { ipInDelivers, parseMcFilter } from "./proc_net.ts";
import { startReportSender } from "./report_sender.ts";
import { halves, reportsPerPass, type SourceLoad } from "./source_reports.ts";
import { progress } from "./scenarios.ts";

/** The upstream state a daemon holds for the load. */
export interface UpstreamState {
  /** Groups of the load joined on the upstream interface (`/proc/net/igmp`). */
  groups: number;
  /** (group, source) pairs of the load included in the upstream filters (`/proc/net/mcfilter`). */
  sources: number;
}

/** What one load measured of one contender. */
export interface SourceRunResult {
  /** The load. */
  load: SourceLoad;
  /** (group, source) pairs it holds: groups × sources per record. */
  pairs: number;
  /** RSS after starting and idling (bytes). */
  idleRssBytes: number;
  /** RSS once the first half of the pairs was reported (bytes; absent in older results). */
  halfRssBytes?: number;
  /** RSS once every pair was reported once and the daemon caught up (bytes). */
  filledRssBytes: number;
  /** Upstream state after that first pass. */
  filled: UpstreamState;
  /** Reports the storm sent. */
  sent: number;
  /** The generator's send rate (reports/s). */
  sentRate: number;
  /** Reports dropped at the daemon's IGMP socket. */
  dropped: number;
  /** Reports lost before it: sent but never delivered in the proxy's namespace. */
  lost: number;
  /** Records the daemon read: reports read × records per report. */
  records: number;
  /** From the first report sent until the daemon caught up (ms). */
  drainedMs: number;
  /** records / drainedMs, per second. */
  recordsPerS: number;
  /** CPU seconds of the daemon over the storm and the drain. */
  cpuS: number;
  /** RSS after the storm (bytes). */
  stormRssBytes: number;
  /** Upstream state after the storm. */
  upstream: UpstreamState;
  /**
   * Whether the daemon caught up with the first pass and with the storm within
   * {@link CATCH_UP_MS} each; when not, the rates and the RSS at the pairs are NaN.
   */
  caughtUp: boolean;
}

/** Options of {@link sourceRun}. */
export interface SourceRunOptions {
  /** The reports. */
  load: SourceLoad;
  /** Passes over the load in the storm. */
  passes: number;
  /** The storm's reports per second; 0 (the default) as fast as the generator goes. */
  rate?: number;
}

/** The IGMP raw sockets of the proxy namespace (only the daemon has any). */
async function igmpSockets(lab: Lab) {
  const text = await lab.readProc(lab.ns.proxy, "/proc/net/raw");
  return parseRawSockets(text).filter((s) => s.protocol === IPPROTO_IGMP);
}

/** Whether `group` is one of the load's. */
function inLoad(load: SourceLoad, group: number): boolean {
  return group >= load.firstGroup && group < load.firstGroup + load.groups;
}

/** The load's groups and pairs the proxy holds on its upstream interface. */
export async function upstreamState(lab: Lab, load: SourceLoad): Promise<UpstreamState> {
  const up = lab.ifaces.upstream;
  const joined = (await memberships(lab, up)).filter((g) => inLoad(load, parseIPv4(g) ?? 0));
  const filters = parseMcFilter(await lab.readProc(lab.ns.proxy, "/proc/net/mcfilter"));
  const sources = filters.filter((f) => f.ifname === up && f.include > 0 && inLoad(load, f.group));
  return { groups: joined.length, sources: sources.length };
}

/** How long {@link sourceRun} waits for a daemon to catch up with a pass or a storm. */
export const CATCH_UP_MS = 60_000;

/**
 * Waits until the daemon's IGMP socket is empty and the upstream state has stood still for
 * 500 ms (at most {@link CATCH_UP_MS}); returns the wall-clock time of the last change seen,
 * the state, and whether it did catch up.
 */
async function caughtUp(
  lab: Lab,
  load: SourceLoad,
): Promise<{ at: number; state: UpstreamState; done: boolean }> {
  let at = wallNow();
  let last = { groups: -1, sources: -1 };
  let stillSince = performance.now();
  const giveUp = performance.now() + CATCH_UP_MS;
  while (performance.now() < giveUp) {
    const queued = (await igmpSockets(lab)).reduce((a, s) => a + s.rxQueue, 0);
    const now = await upstreamState(lab, load);
    if (queued > 0 || now.groups !== last.groups || now.sources !== last.sources) {
      last = now;
      at = wallNow();
      stillSince = performance.now();
    } else if (performance.now() - stillSince >= 500) return { at, state: last, done: true };
    await sleep(25);
  }
  return { at, state: last, done: false };
}

/** Counters of the proxy's namespace that tell what became of the reports sent. */
async function deliveryCounters(lab: Lab) {
  const [snmp, sockets] = await Promise.all([
    lab.readProc(lab.ns.proxy, "/proc/net/snmp"),
    igmpSockets(lab),
  ]);
  return {
    delivered: ipInDelivers(snmp),
    socketDrops: sockets.reduce((a, s) => a + s.drops, 0),
  };
}

/** Runs the scenario (see the module's description) on a fresh start of `c`. */
export async function sourceRun(
  lab: Lab,
  c: Contender,
  opts: SourceRunOptions,
): Promise<SourceRunResult> {
  const { load, passes } = opts;
  const host = lab.ns.hosts[0][0];
  const from = lab.hostAddr(1, 1);
  const d = await c.start(lab);
  try {
    await sleep(1000);
    const idle = await readUsage(d.pid);
    // The first pass, paced: every pair reported once, none dropped; in two halves, so that
    // the RSS the second half adds tells the cost of a pair apart from what the first reports
    // cost once (the code they run compiled, the heap's first pages).
    const fill = async (part: SourceLoad) => {
      const sender = await startReportSender(lab, host, {
        iface: "eth0",
        from,
        load: part,
        passes: 1,
        rate: 1000,
      });
      await sender.done;
      const state = await caughtUp(lab, load);
      return { state, usage: await readUsage(d.pid) };
    };
    const [first, second] = halves(load);
    const half = await fill(first);
    const { state: filled, usage: afterFill } = await fill(second);
    progress(
      `  ${c.name}: ${load.groups} groups × ${load.sourcesPerRecord} sources reported: ` +
        `${filled.state.groups} groups and ${filled.state.sources} sources upstream`,
    );
    const c0 = await deliveryCounters(lab);
    const u0 = await readUsage(d.pid);
    const storm = await startReportSender(lab, host, {
      iface: "eth0",
      from,
      load,
      passes,
      rate: opts.rate ?? 0,
    });
    const summary = await storm.done;
    const end = await caughtUp(lab, load);
    const u1 = await readUsage(d.pid);
    const c1 = await deliveryCounters(lab);
    const dropped = c1.socketDrops - c0.socketDrops;
    const delivered = Math.min(summary.sent, c1.delivered - c0.delivered);
    const read = delivered - dropped;
    const records = read * load.recordsPerReport;
    const drainedMs = Math.max(end.at, summary.endedAt) - summary.startedAt;
    const done = half.state.done && filled.done && end.done;
    if (!done) progress(`  ${c.name} did not catch up within ${CATCH_UP_MS} ms`);
    return {
      load,
      pairs: load.groups * load.sourcesPerRecord,
      idleRssBytes: idle.rssBytes,
      halfRssBytes: half.state.done ? half.usage.rssBytes : NaN,
      filledRssBytes: filled.done && half.state.done ? afterFill.rssBytes : NaN,
      filled: filled.state,
      sent: summary.sent,
      sentRate: summary.sent / Math.max(1e-3, (summary.endedAt - summary.startedAt) / 1000),
      dropped,
      lost: summary.sent - delivered,
      records,
      drainedMs,
      recordsPerS: done ? records / (drainedMs / 1000) : NaN,
      cpuS: u1.cpuS - u0.cpuS,
      stormRssBytes: u1.rssBytes,
      upstream: end.state,
      caughtUp: done,
    };
  } finally {
    const { code, ms } = await d.stop();
    progress(`  ${c.name} stopped in ${ms.toFixed(0)} ms (exit ${code})`);
  }
}

/** Passes over `load` that make about `records` records (at least one). */
export function passesFor(load: SourceLoad, records: number): number {
  return Math.max(1, Math.round(records / (reportsPerPass(load) * load.recordsPerReport)));
}
