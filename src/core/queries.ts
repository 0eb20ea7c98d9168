/**
 * The querier's side of a LAN: general queries (startup, then every Query Interval),
 * group-specific queries after a Leave, and what the election (`querier.ts`) changes: as
 * non-querier the proxy stops querying and forwarding onto the LAN, as querier again it
 * queries at once and forwards again.
 *
 * @module
 */

import { expireQuerier, type QuerierChange, type QuerierTransition } from "./querier.ts";
import { log, notice, type StepContext, versionCap, type VifState } from "./state.ts";
import { reconcileVif } from "./sources.ts";
import type { Address } from "./subnet.ts";

/** Sends a general query on a LAN. */
export function sendGeneralQuery<A extends Address>(ctx: StepContext<A>, vif: VifState<A>): void {
  const { family } = ctx.state;
  ctx.out.push({
    kind: "sendQuery",
    ifindex: vif.ifindex,
    name: vif.name,
    source: vif.address,
    destination: family.allHosts,
    message: family.encodeQuery({
      version: vif.queryVersion,
      group: family.unspecified,
      maxRespTimeMs: vif.timers.queryResponseInterval,
      robustness: vif.timers.robustness,
      queryIntervalMs: vif.timers.queryInterval,
    }),
    what: "general query",
  });
}

/**
 * Sends a group-specific query for `group` on a LAN (Max Response Time: LMQI); `suppress` is
 * its S flag (RFC 3376 section 6.6.3.1).
 */
export function sendGroupQuery<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
  suppress = false,
): void {
  const what = `group-specific query for ${ctx.state.family.format(group)}`;
  sendSpecificQuery(ctx, vif, { group, sources: [], suppress, what });
}

/**
 * Sends a group-and-source-specific query Q(G,A) on a LAN (RFC 3376 section 6.6.3.2); only a
 * version-3 (MLDv2) querier has them.
 */
export function sendSourceQuery<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
  sources: readonly A[],
  suppress: boolean,
): void {
  const n = `${sources.length} ${sources.length === 1 ? "source" : "sources"}`;
  const what = `group-and-source-specific query for ${ctx.state.family.format(group)} (${n}${
    suppress ? ", S flag" : ""
  })`;
  sendSpecificQuery(ctx, vif, { group, sources, suppress, what });
}

/**
 * A query about one group, sent to the group itself, in the LAN's query version; none when that
 * version has no such queries (IGMPv1, e.g. a retransmission left over from before a reload).
 */
function sendSpecificQuery<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  q: { group: A; sources: readonly A[]; suppress: boolean; what: string },
): void {
  const { family } = ctx.state;
  if (!family.groupQueries(vif.queryVersion)) {
    const version = family.versionName(vif.queryVersion);
    log(ctx, "debug", `No ${q.what} on "${vif.name}": ${version} has none`);
    return;
  }
  ctx.out.push({
    kind: "sendQuery",
    ifindex: vif.ifindex,
    name: vif.name,
    source: vif.address,
    destination: q.group,
    message: ctx.state.family.encodeQuery({
      version: vif.queryVersion,
      group: q.group,
      maxRespTimeMs: vif.timers.lastMemberQueryInterval,
      suppressRouterSide: q.suppress,
      sources: q.sources,
      robustness: vif.timers.robustness,
      queryIntervalMs: vif.timers.queryInterval,
    }),
    what: q.what,
  });
}

/** The querier timer and the due general query of one downstream VIF. */
export function tickVif<A extends Address>(ctx: StepContext<A>, vif: VifState<A>): void {
  if (vif.role !== "downstream") return;
  const { now } = ctx;
  const t = vif.timers;
  applyQuerierChanges(ctx, vif, expireQuerier(vif, now, querierTrace(ctx, vif)));
  if (vif.querier && vif.nextGeneralQuery <= now) {
    sendGeneralQuery(ctx, vif);
    if (vif.startupQueriesLeft > 0) vif.startupQueriesLeft--;
    vif.nextGeneralQuery = now +
      (vif.startupQueriesLeft > 0 ? t.startupQueryInterval : t.queryInterval);
  }
}

/**
 * With debug logging on, a function that logs each election transition on `vif` in one line,
 * e.g. `Querier election on "dn1": lower-query from 10.1.0.2, querier -> non-querier
 * (note-querier, start-other-querier-timer, lost)`.
 */
export function querierTrace<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  heardFrom?: A,
): ((t: QuerierTransition) => void) | undefined {
  if (!ctx.state.options.debug) return undefined;
  const from = heardFrom === undefined ? "" : ` from ${ctx.state.family.format(heardFrom)}`;
  return (t) =>
    log(
      ctx,
      "debug",
      `Querier election on "${vif.name}": ${t.event}${from}, ${t.from} -> ${t.next} (${
        t.actions.join(", ")
      })`,
    );
}

/**
 * Acts on election changes: logs them; as non-querier, stops queries (groups still age) and
 * forwarding onto the LAN; as querier again, queries at once and forwards again.
 */
export function applyQuerierChanges<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  changes: QuerierChange[],
  heardFrom: A = ctx.state.family.unspecified,
): void {
  const { family } = ctx.state;
  for (const change of changes) {
    const other = family.format(vif.otherQuerier);
    if (change !== "v1-router" && change !== "newer-router") {
      const self = change === "resumed";
      const querier = self ? vif.address : vif.otherQuerier;
      notice(ctx, { kind: "querier", vifi: vif.vifi, querier, self });
    }
    switch (change) {
      case "v1-router":
        // Where we run IGMPv1 too, it is what the LAN is configured for.
        if (versionCap(ctx.state, vif) === 1) break;
        log(
          ctx,
          "warn",
          `An IGMPv1 router (${family.format(heardFrom)}) is querying on "${vif.name}": IGMPv1 ` +
            "has no querier election and its hosts cannot leave quickly; configure it for " +
            "IGMPv2 or later",
        );
        break;
      case "newer-router": {
        const ours = family.versionName(vif.queryVersion);
        log(
          ctx,
          "warn",
          `A router (${family.format(heardFrom)}) is querying on "${vif.name}" in a newer ` +
            `version than our ${ours}: every router of a LAN must run the same version ` +
            `(configure it for ${ours}, or us for its version)`,
        );
        break;
      }
      case "lost":
        vif.nextGeneralQuery = Infinity;
        vif.startupQueriesLeft = 0;
        for (const g of vif.groups.values()) {
          g.queriesLeft = 0;
          g.nextQuery = 0;
          g.nextSourceQuery = 0;
          for (const s of g.sources.values()) s.queriesLeft = 0;
        }
        log(
          ctx,
          "info",
          `Querier on "${vif.name}" is ${other}, lower than our ${family.format(vif.address)}: ` +
            "we stop querying and forwarding there",
        );
        reconcileVif(ctx, vif);
        break;
      case "new-querier":
        log(ctx, "info", `Querier on "${vif.name}" is now ${other}`);
        break;
      case "resumed":
        log(ctx, "info", `Querier ${other} on "${vif.name}" went silent: we are the querier again`);
        vif.timers = vif.ownTimers;
        vif.nextGeneralQuery = ctx.now;
        reconcileVif(ctx, vif);
        break;
    }
  }
}
