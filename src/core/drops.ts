/**
 * Dropped inputs: how many (counters by reason, {@link ProxyDropReason}), and a debug line
 * for each, at most {@link DROP_LOG_PER_SECOND} a second so that a flood does not become a log
 * flood.
 *
 * @module
 */

import type { Address } from "./subnet.ts";
import {
  type CoreDropReason,
  log,
  type ProxyCounters,
  type ProxyDropReason,
  type StepContext,
} from "./state.ts";
import { DROP_REASONS } from "../proto/result.ts";

/** Every fixed {@link CoreDropReason}, once (the type checks that none is missing). */
const EVERY_CORE_DROP_REASON: Record<Exclude<CoreDropReason, `upcall-type-${number}`>, true> = {
  "own-packet": true,
  "not-proxied-interface": true,
  "on-upstream": true,
  "link-local-group": true,
  "boundary": true,
  "group-limit": true,
  "leave-while-not-querier": true,
  "query-from-unspecified": true,
  "upcall-unknown-vif": true,
  "source-not-admitted": true,
  "source-limit": true,
  "membership-source-limit": true,
  "report-off-subnet": true,
  "ssm-older-report": true,
  "ssm-exclude-record": true,
};

/**
 * Every reason an input can be dropped for, the decoders' first, in the order their types list
 * them; `upcall-type-N` (one per unexpected upcall type) is not among them.
 */
export const PROXY_DROP_REASONS: readonly ProxyDropReason[] = Object.freeze([
  ...DROP_REASONS,
  ...Object.keys(EVERY_CORE_DROP_REASON) as CoreDropReason[],
]);

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
