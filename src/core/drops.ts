/**
 * Dropped inputs: why (a closed vocabulary), how many (counters by reason), and a debug line
 * for each, at most {@link DROP_LOG_PER_SECOND} a second so that a flood does not become a log
 * flood.
 *
 * @module
 */

import type { DropReason } from "../proto/result.ts";
import type { Address } from "./subnet.ts";
import { log, type ProxyCounters, type StepContext } from "./state.ts";

/**
 * Why the core dropped an input, beyond the decoders' {@link DropReason}s:
 *
 * - `own-packet`: sent from one of the proxy's own addresses.
 * - `not-proxied-interface`: arrived on an interface without a VIF.
 * - `on-upstream`: a report, leave or query on the upstream interface (the kernel's host
 *   stack answers there).
 * - `link-local-group`: a group of the local network control block (224.0.0.0/24, ff02::/16).
 * - `boundary`: a group inside an administrative boundary of the interface.
 * - `group-limit`: a report for a new group while the LANs have members of the most allowed.
 * - `leave-while-not-querier`: a Leave or Done on a LAN where another router is the querier.
 * - `query-from-unspecified`: a query from 0.0.0.0 or :: (it never wins an election).
 * - `upcall-unknown-vif`: a kernel upcall naming a VIF the proxy does not have.
 * - `upcall-type-N`: a kernel upcall of a type other than IGMPMSG_NOCACHE.
 * - `source-not-admitted`: data from outside the interface's subnets and `source` lines.
 * - `source-limit`: data of a new (source, group) while the most allowed are known.
 */
export type CoreDropReason =
  | "own-packet"
  | "not-proxied-interface"
  | "on-upstream"
  | "link-local-group"
  | "boundary"
  | "group-limit"
  | "leave-while-not-querier"
  | "query-from-unspecified"
  | "upcall-unknown-vif"
  | `upcall-type-${number}`
  | "source-not-admitted"
  | "source-limit";

/** Every reason an input is counted as dropped. */
export type ProxyDropReason = DropReason | CoreDropReason;

/** At most this many debug lines about drops are logged per second; the rest are counted. */
export const DROP_LOG_PER_SECOND = 20;

/**
 * Counts a dropped input. With debug logging on, logs it, at most {@link DROP_LOG_PER_SECOND}
 * lines a second; `detail` (what was dropped, e.g. `v2-report for 239.1.1.1 from 10.1.0.11`)
 * is only built then.
 */
export function drop<A extends Address>(
  ctx: StepContext<A>,
  reason: ProxyDropReason,
  detail: () => string,
): void {
  const { state, now } = ctx;
  const drops = state.counters.drops;
  drops.set(reason, (drops.get(reason) ?? 0) + 1);
  if (!state.options.debug) return;
  const dl = state.dropLog;
  if (now - dl.windowStart >= 1000) {
    flushDropLog(ctx);
    dl.windowStart = now;
    dl.logged = 0;
  }
  if (dl.logged < DROP_LOG_PER_SECOND) {
    dl.logged++;
    log(ctx, "debug", `Dropped ${detail()}: ${reason}`);
  } else dl.suppressed++;
}

/** Logs how many drops the rate limit kept out of the log since the last such line. */
export function flushDropLog<A extends Address>(ctx: StepContext<A>): void {
  const dl = ctx.state.dropLog;
  if (dl.suppressed === 0) return;
  log(ctx, "debug", `Dropped ${dl.suppressed} more inputs without logging them`);
  dl.suppressed = 0;
}

/** `12 inputs dropped: bad-igmp-checksum 10, own-packet 2`, or `undefined` when none was. */
export function describeDrops(counters: ProxyCounters): string | undefined {
  const entries = [...counters.drops].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = entries.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return undefined;
  return `${total} ${total === 1 ? "input" : "inputs"} dropped: ${
    entries.map(([r, c]) => `${r} ${c}`).join(", ")
  }`;
}
