/**
 * The upstream side of a cache entry (draft-ietf-idmr-dvmrp-v3-11 sections 3.5.4 and 3.6) as a
 * table: per (source network, group), whether we pruned it at the upstream neighbor, or are
 * grafting it back, and what each event does.
 *
 * ```
 *             oifs-empty: send-prune              oifs-nonempty: send-graft
 * forwarding ───────────────────────▶ pruned ─────────────────────────────▶ grafting
 *   ▲  ▲                                │  ▲        oifs-empty: send-prune     │  │
 *   │  └── prune-expired: flush entries ┘  └────────────────────────────────────┘  │
 *   └───────────────────────── graft-ack, graft-expired ───────────────────────────┘
 * ```
 *
 * While pruned, `prune-timer` reads the kernel entries' packet counts, each time twice as late
 * (3 s, 6 s, 12 s... randomized), while the prune has that long left to run; `data-arriving`
 * (the counts grew, or the kernel asked for an entry, since the last reading) sends the prune
 * again with its remaining lifetime (section 3.5.5). While grafting, `graft-timer` sends the
 * graft again, each time twice as late.
 *
 * The caller raises `oifs-empty` only when a prune may go: pruning is on, the route has an
 * upstream neighbor that can prune, and the lifetime is at least a second. `upstream-changed`
 * (the route moved to another neighbor or interface) returns any state to `forwarding`.
 *
 * @module
 */

import { formatIPv4 } from "../proto/addr.ts";
import {
  type CacheGroup,
  type CacheStep,
  deleteSource,
  describeGroup,
  GRAFT_RETRANSMISSION_TIME,
  log,
  PRUNE_BASELINE_DELAY,
  PRUNE_RETRANSMISSION_TIME,
  randomizedInterval,
  readCounts,
  type SentPrune,
  type UpstreamState,
} from "./cache_table.ts";

/** What happens to the entry's upstream side. */
export type UpstreamEvent =
  /** Every kernel entry has an empty outgoing list, and a prune may go. */
  | "oifs-empty"
  /** A kernel entry has an outgoing interface. */
  | "oifs-nonempty"
  /** The prune we sent expired. */
  | "prune-expired"
  /** The baseline of the packet counts is due, a second after the prune. */
  | "baseline-timer"
  /** The check for data still arriving is due. */
  | "prune-timer"
  /** The check found data still arriving. */
  | "data-arriving"
  /** The graft is due for retransmission. */
  | "graft-timer"
  /** The graft went unacknowledged until the prune it cancels expired. */
  | "graft-expired"
  /** The upstream neighbor acknowledged the graft. */
  | "graft-ack"
  /** The route's upstream neighbor or interface changed, or the neighbor was lost. */
  | "upstream-changed";

/**
 * What a row does:
 * - `send-prune`: send a prune upstream with the lifetime given, and note when it expires.
 * - `start-prune-timer`: the first check for data still arriving after 3 s (randomized,
 *   section 3.5.5); the baseline of the kernel entries' packet counts a second after the prune
 *   (`PRUNE_BASELINE_DELAY`), once the datagrams already on their way have come in: counted in
 *   the baseline, they would make the first check send the prune again for nothing.
 * - `read-baseline`: read the kernel entries' packet counts: the baseline of the first check.
 * - `check-data`: read the kernel entries' packet counts; `data-arriving` follows when they grew.
 * - `back-off-prune-timer`: the next check twice as late, none once the prune would have
 *   expired by then (binary exponential back-off "during the lifetime of the prune").
 * - `resend-prune`: send the prune again, with the lifetime it has left.
 * - `hold-entries`: keep the kernel entries (with no outgoing interfaces) while the prune is in
 *   force, so that a member joining finds the entry to graft.
 * - `start-graft`: send a graft for the prune in force; retransmit after 5 s (section 3.6.1).
 * - `retransmit-graft`: send the graft again; the wait doubles (binary exponential back-off).
 * - `stop-graft`: no more retransmissions.
 * - `forget-prune`: the prune sent is no longer in force.
 * - `refresh-entries`: the kernel entries live a cache lifetime from now: data flows again.
 * - `flush-entries`: delete the kernel entries without outgoing interfaces, so that data still
 *   arriving comes up again and is pruned anew (section 3.5.5's negative cache entries).
 */
export type UpstreamAction =
  | "send-prune"
  | "start-prune-timer"
  | "read-baseline"
  | "check-data"
  | "back-off-prune-timer"
  | "resend-prune"
  | "hold-entries"
  | "start-graft"
  | "retransmit-graft"
  | "stop-graft"
  | "forget-prune"
  | "refresh-entries"
  | "flush-entries";

/** One row of {@link UPSTREAM_TRANSITIONS}. */
export interface UpstreamRow {
  /** The draft's section. */
  rule: string;
  /** The state it applies in. */
  state: UpstreamState;
  /** The event it answers. */
  event: UpstreamEvent;
  /** What it does, in order. */
  actions: readonly UpstreamAction[];
  /** The state after. */
  next: UpstreamState;
}

/** The upstream machine; a (state, event) without a row changes nothing. */
// deno-fmt-ignore
export const UPSTREAM_TRANSITIONS: readonly UpstreamRow[] = [
  { rule: "3.5.4", state: "forwarding", event: "oifs-empty",
    actions: ["send-prune", "start-prune-timer", "hold-entries"], next: "pruned" },
  { rule: "3.5.4 step 3", state: "grafting", event: "oifs-empty",
    actions: ["stop-graft", "send-prune", "start-prune-timer", "hold-entries"], next: "pruned" },
  { rule: "3.5.5", state: "pruned", event: "baseline-timer",
    actions: ["read-baseline"], next: "pruned" },
  { rule: "3.5.5", state: "pruned", event: "prune-timer",
    actions: ["check-data", "back-off-prune-timer"], next: "pruned" },
  { rule: "3.5.5", state: "pruned", event: "data-arriving",
    actions: ["resend-prune"], next: "pruned" },
  { rule: "3.6 (1, 2), 3.6.1", state: "pruned", event: "oifs-nonempty",
    actions: ["start-graft", "forget-prune", "refresh-entries"], next: "grafting" },
  { rule: "2.6, 3.5.5", state: "pruned", event: "prune-expired",
    actions: ["forget-prune", "flush-entries"], next: "forwarding" },
  { rule: "3.2.4 step 3", state: "pruned", event: "upstream-changed",
    actions: ["forget-prune", "refresh-entries"], next: "forwarding" },
  { rule: "3.6.1", state: "grafting", event: "graft-timer",
    actions: ["retransmit-graft"], next: "grafting" },
  { rule: "3.6.5", state: "grafting", event: "graft-ack",
    actions: ["stop-graft"], next: "forwarding" },
  { rule: "2.6", state: "grafting", event: "graft-expired",
    actions: ["stop-graft"], next: "forwarding" },
  { rule: "3.2.4 step 4", state: "grafting", event: "upstream-changed",
    actions: ["stop-graft"], next: "forwarding" },
];

/** The row for (state, event), if any. */
export function upstreamRow(state: UpstreamState, event: UpstreamEvent): UpstreamRow | undefined {
  return UPSTREAM_TRANSITIONS.find((row) => row.state === state && row.event === event);
}

/**
 * Runs an event on the group's upstream side: the row's actions, then its next state, with one
 * debug line. `lifetimeSeconds` is the prune's, for `oifs-empty`. Returns whether a row applied.
 */
export function runUpstream(
  step: CacheStep,
  g: CacheGroup,
  event: UpstreamEvent,
  lifetimeSeconds = 0,
): boolean {
  const row = upstreamRow(g.state, event);
  if (row === undefined) return false;
  for (const action of row.actions) apply(step, g, action, lifetimeSeconds);
  const via = g.upstream === undefined ? "" : ` via ${formatIPv4(g.upstream)}`;
  log(step, "debug", `Upstream of ${describeGroup(g)}${via}: ${g.state}, ${event}: ${row.next}`);
  g.state = row.next;
  return true;
}

function apply(
  step: CacheStep,
  g: CacheGroup,
  action: UpstreamAction,
  lifetimeSeconds: number,
): void {
  const { now } = step;
  switch (action) {
    case "send-prune":
      return sendPrune(step, g, lifetimeSeconds);
    case "start-prune-timer":
      if (g.prune === undefined) return;
      g.prune.baselineAt = now + PRUNE_BASELINE_DELAY;
      return armPruneTimer(step, g.prune);
    case "read-baseline":
      if (g.prune === undefined) return;
      g.prune.baselineAt = Infinity;
      g.prune.awaitingBaseline = true;
      readCounts(step, g, g.sources.values());
      return;
    case "check-data":
      if (g.prune === undefined) return;
      g.prune.checking = true;
      readCounts(step, g, g.sources.values());
      return;
    case "back-off-prune-timer":
      if (g.prune !== undefined) armPruneTimer(step, g.prune);
      return;
    case "resend-prune":
      return resendPrune(step, g);
    case "hold-entries":
      for (const s of g.sources.values()) {
        s.expiresAt = Math.max(s.expiresAt, g.prune?.until ?? -Infinity);
      }
      return;
    case "start-graft":
      if (g.prune === undefined) return;
      g.graft = {
        to: g.prune.to,
        vif: g.prune.vif,
        interval: GRAFT_RETRANSMISSION_TIME,
        nextAt: now + GRAFT_RETRANSMISSION_TIME,
        until: g.prune.until,
      };
      return sendGraft(step, g);
    case "retransmit-graft":
      if (g.graft === undefined) return;
      g.graft.interval *= 2;
      g.graft.nextAt = now + g.graft.interval;
      return sendGraft(step, g);
    case "stop-graft":
      g.graft = undefined;
      return;
    case "forget-prune":
      g.prune = undefined;
      return;
    case "refresh-entries":
      for (const s of g.sources.values()) s.expiresAt = now + step.ctx.cacheLifetime;
      return;
    case "flush-entries":
      for (const s of [...g.sources.values()]) {
        if (s.oifs.length === 0) deleteSource(step, g, s);
      }
      return;
  }
}

function sendPrune(step: CacheStep, g: CacheGroup, lifetimeSeconds: number): void {
  if (g.upstream === undefined) return;
  g.prune = {
    to: g.upstream,
    vif: g.parent,
    lifetimeSeconds,
    until: step.now + lifetimeSeconds * 1000,
    interval: PRUNE_RETRANSMISSION_TIME,
    nextCheckAt: Infinity,
    baselineAt: Infinity,
    awaitingBaseline: false,
    checking: false,
    dataSeen: false,
    retransmissions: 0,
  };
  pushPrune(step, g, g.prune, lifetimeSeconds);
}

/** The prune again, to the neighbor it went to, with the whole seconds it has left. */
function resendPrune(step: CacheStep, g: CacheGroup): void {
  const p = g.prune;
  if (p === undefined || !step.ctx.pruning) return;
  p.dataSeen = false;
  const left = Math.floor((p.until - step.now) / 1000);
  if (left < 1) return;
  p.retransmissions++;
  log(
    step,
    "debug",
    `Data of ${describeGroup(g)} still arrives: prune sent again (${p.retransmissions})`,
  );
  pushPrune(step, g, p, left);
}

function pushPrune(step: CacheStep, g: CacheGroup, p: SentPrune, lifetimeSeconds: number): void {
  step.out.push({
    kind: "send-prune",
    vif: p.vif,
    to: p.to,
    source: g.source,
    group: g.group,
    prefixLength: g.prefixLength,
    lifetimeSeconds,
  });
}

/**
 * Sets the next check for data still arriving, `interval` later (randomized), and doubles the
 * interval; no more checks once the prune has no more than `interval` left (mrouted arms its
 * retransmission timer on the same condition).
 */
function armPruneTimer(step: CacheStep, p: SentPrune): void {
  if (p.until - step.now <= p.interval) {
    p.nextCheckAt = Infinity;
    return;
  }
  p.nextCheckAt = step.now + randomizedInterval(step.cache, p.interval);
  p.interval *= 2;
}

function sendGraft(step: CacheStep, g: CacheGroup): void {
  if (g.graft === undefined) return;
  step.out.push({
    kind: "send-graft",
    vif: g.graft.vif,
    to: g.graft.to,
    source: g.source,
    group: g.group,
    prefixLength: g.prefixLength,
  });
}
