/**
 * What arrives on a LAN: reports, leaves and queries, checked and then handed to the group
 * machines (`groups.ts`) and the querier election (`querier.ts`, `queries.ts`). The family
 * decodes the packet; every input that cannot count is dropped with a reason (`drops.ts`).
 *
 * @module
 */

import type { PacketInput, ProtocolMessage } from "./family.ts";
import { drop } from "./drops.ts";
import { applyMembership } from "./groups.ts";
import { applyQuerierChanges, querierTrace } from "./queries.ts";
import { hearQuery } from "./querier.ts";
import { isGroupBounded, log, MAX_GROUPS, type StepContext, type VifState } from "./state.ts";
import type { Address } from "./subnet.ts";
import {
  ALLOW_NEW_SOURCES,
  BLOCK_OLD_SOURCES,
  CHANGE_TO_EXCLUDE_MODE,
  CHANGE_TO_INCLUDE_MODE,
  MODE_IS_EXCLUDE,
  MODE_IS_INCLUDE,
} from "../proto/igmp.ts";

type Query<A extends Address> = Extract<ProtocolMessage<A>, { kind: "query" }>;
type Records<A extends Address> = Extract<ProtocolMessage<A>, { kind: "records" }>;

/**
 * A received packet: decoded by the family, dropped when it is our own, on an interface
 * without a VIF, or on the upstream interface; otherwise a query, a report or a leave.
 */
export function receivePacket<A extends Address>(
  ctx: StepContext<A>,
  event: { ifindex: number } & PacketInput<A>,
): void {
  const { state } = ctx;
  const { family } = state;
  const decoded = family.decode(event);
  if (!decoded.ok) {
    return drop(ctx, decoded.reason, () => {
      const from = event.source === undefined ? "" : ` from ${family.format(event.source)}`;
      const name = state.byIfindex.get(event.ifindex)?.name;
      return `packet${from} on ${name === undefined ? `ifindex ${event.ifindex}` : `"${name}"`}`;
    });
  }
  const { source, message, label } = decoded.value;
  const from = () => `${label} from ${family.format(source)}`;
  if (state.ownAddresses.has(source)) return drop(ctx, "own-packet", from);
  const vif = state.byIfindex.get(event.ifindex);
  if (vif === undefined) return drop(ctx, "not-proxied-interface", from);
  // Upstream we are a host: the kernel's host stack answers queries; reports mean nothing.
  if (vif.role === "upstream") return drop(ctx, "on-upstream", () => `${from()} on "${vif.name}"`);
  const heard = { vif, source, label };
  if (message.kind === "query") return receiveQuery(ctx, heard, message);
  // Reports from 0.0.0.0 (a host without an address yet) count for the arrival interface.
  if (message.kind === "records") return receiveRecords(ctx, heard, message);
  const { group } = message;
  const what = () => `${label} for ${family.format(group)} from ${family.format(source)}`;
  if (family.isLocalGroup(group)) return drop(ctx, "link-local-group", what);
  if (isGroupBounded(state, vif, group)) {
    return drop(ctx, "boundary", () => `${what()} on "${vif.name}"`);
  }
  state.counters.packets++;
  if (state.options.debug) log(ctx, "debug", `Received ${what()} on "${vif.name}"`);
  if (message.kind === "leave") receiveLeave(ctx, vif, group, what);
  else report(ctx, vif, group, message.older ? "v1-report" : "v2-report");
}

/** Who sent a packet, on which LAN, and its name in its protocol (for logs). */
interface Heard<A extends Address> {
  vif: VifState<A>;
  source: A;
  label: string;
}

/**
 * An IGMPv3 / MLDv2 report, read at group level until source filtering lands: a record that
 * wants traffic (EXCLUDE mode, or INCLUDE of some sources) is a report; an INCLUDE of nothing
 * is a leave. The two kinds share record type numbers (RFC 3376 §4.2.12, RFC 3810 §5.2.12).
 */
function receiveRecords<A extends Address>(
  ctx: StepContext<A>,
  { vif, source, label }: Heard<A>,
  message: Records<A>,
): void {
  const { state } = ctx;
  const { family } = state;
  state.counters.packets++;
  for (const r of message.records) {
    const record = () =>
      `${label} record for ${family.format(r.group)} from ${family.format(source)}`;
    if (family.isLocalGroup(r.group)) {
      drop(ctx, "link-local-group", record);
      continue;
    }
    if (isGroupBounded(state, vif, r.group)) {
      drop(ctx, "boundary", () => `${record()} on "${vif.name}"`);
      continue;
    }
    const t = r.recordType;
    const exclude = t === MODE_IS_EXCLUDE || t === CHANGE_TO_EXCLUDE_MODE;
    const include = t === MODE_IS_INCLUDE || t === CHANGE_TO_INCLUDE_MODE;
    // BLOCK_OLD_SOURCES, and ALLOW_NEW_SOURCES of nothing, change nothing at group level.
    const wants = t !== BLOCK_OLD_SOURCES &&
      (exclude || (r.sources.length > 0 && (include || t === ALLOW_NEW_SOURCES)));
    if (wants) report(ctx, vif, r.group, "v2-report");
    else if (include && r.sources.length === 0) receiveLeave(ctx, vif, r.group, record);
  }
}

/**
 * A report for `group` on a LAN. A group new to every LAN is refused past the group limit,
 * with a warning at most once a minute.
 */
function report<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
  event: "v1-report" | "v2-report",
): void {
  const { state, now } = ctx;
  const limit = state.options.maxGroups ?? MAX_GROUPS;
  if (!vif.groups.has(group) && !state.members.has(group) && state.members.size >= limit) {
    const where = `${state.family.format(group)} on "${vif.name}"`;
    drop(ctx, "group-limit", () => `report for ${where}`);
    if (now - state.groupLimitWarned >= 60_000) {
      state.groupLimitWarned = now;
      log(
        ctx,
        "warn",
        `The LANs have members of ${limit} groups, the most allowed: reports for new groups ` +
          `are ignored (first: ${where})`,
      );
    }
    return;
  }
  applyMembership(ctx, vif, group, event);
}

/** A Leave (or an IGMPv3 record that leaves): only the querier acts on it (RFC 2236 section 6). */
function receiveLeave<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
  what: () => string,
): void {
  if (!vif.querier) {
    return drop(ctx, "leave-while-not-querier", () => `${what()} on "${vif.name}"`);
  }
  applyMembership(ctx, vif, group, "leave");
}

/**
 * A query from another router on a LAN: querier election (RFC 2236 section 3, RFC 3376
 * section 6.6.2), the IGMPv1 router warning (RFC 2236 section 4), and, while not querier, the
 * group timer lowered by group-specific queries.
 */
function receiveQuery<A extends Address>(
  ctx: StepContext<A>,
  { vif, source }: Heard<A>,
  query: Query<A>,
): void {
  const { state } = ctx;
  const { family } = state;
  const from = family.format(source);
  // A query from a router without an address never wins an election.
  if (source === family.unspecified) {
    return drop(ctx, "query-from-unspecified", () => `query from ${from} on "${vif.name}"`);
  }
  state.counters.packets++;
  if (state.options.debug) {
    const kind = query.group === family.unspecified
      ? "general"
      : `group-specific (${family.format(query.group)})`;
    log(
      ctx,
      "debug",
      `Received ${family.protocol}v${query.version} ${kind} query from ${from} on "${vif.name}"`,
    );
  }
  const heard = { source, ours: vif.address, legacy: query.legacy };
  const trace = querierTrace(ctx, vif, source);
  applyQuerierChanges(ctx, vif, hearQuery(vif, heard, ctx.now, vif.timers, trace), source);
  // A group-specific query lowers the timer; one with the S flag (RFC 3376 section 4.1.5) or
  // with sources (hosts answer it only for those sources) does not.
  const groupSpecific = query.group !== family.unspecified && !query.suppressRouterSide &&
    query.sources.length === 0;
  if (!vif.querier && groupSpecific && vif.groups.has(query.group)) {
    const timers = { ...vif.timers, lastMemberQueryInterval: query.maxRespTimeMs };
    applyMembership(ctx, vif, query.group, "group-query", timers);
  }
}
