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
import { type MembershipInput, type RecordType, wantsTraffic } from "./membership.ts";
import { applyQuerierChanges, querierTrace } from "./queries.ts";
import { hearQuery } from "./querier.ts";
import {
  isGroupBounded,
  isSsmGroup,
  log,
  MAX_GROUPS,
  MAX_MEMBERSHIP_SOURCES,
  type ProxyDropReason,
  type StepContext,
  type VifState,
} from "./state.ts";
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
 * The record types by their number, the same in IGMPv3 and MLDv2 (RFC 3376 section 4.2.12,
 * RFC 3810 section 5.2.12).
 */
const RECORD_TYPES: ReadonlyMap<number, RecordType> = new Map([
  [MODE_IS_INCLUDE, "IS_IN"],
  [MODE_IS_EXCLUDE, "IS_EX"],
  [CHANGE_TO_INCLUDE_MODE, "TO_IN"],
  [CHANGE_TO_EXCLUDE_MODE, "TO_EX"],
  [ALLOW_NEW_SOURCES, "ALLOW"],
  [BLOCK_OLD_SOURCES, "BLOCK"],
]);

/**
 * A received packet: decoded by the family, dropped when it is our own, on an interface
 * without a VIF, on the upstream interface, or (IGMP) a report from outside the LAN's subnets;
 * otherwise a query, a report or a leave.
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
  // Upstream we are a host: the kernel's host stack answers queries; reports mean nothing. A
  // query says there is a router upstream (`mcast-proxyctl doctor` asks).
  if (vif.role === "upstream") {
    if (message.kind === "query") {
      vif.otherQuerier = source;
      vif.otherQuerierHeard = ctx.now;
    }
    return drop(ctx, "on-upstream", () => `${from()} on "${vif.name}"`);
  }
  const heard = { vif, source, label };
  if (message.kind === "query") return receiveQuery(ctx, heard, message);
  // RFC 3376 section 9.2: reports from another subnet are ignored; 0.0.0.0 (a host without an
  // address yet) counts for the arrival interface.
  if (
    family.reportsFromSubnet && source !== family.unspecified &&
    !family.inAnySubnet(source, vif.subnets)
  ) {
    return drop(ctx, "report-off-subnet", () => `${from()} on "${vif.name}"`);
  }
  if (message.kind === "records") return receiveRecords(ctx, heard, message);
  const { group } = message;
  const what = () => `${label} for ${family.format(group)} from ${family.format(source)}`;
  if (family.isLocalGroup(group)) return drop(ctx, "link-local-group", what);
  if (isGroupBounded(state, vif, group)) {
    return drop(ctx, "boundary", () => `${what()} on "${vif.name}"`);
  }
  // RFC 4604 section 2.2.1: SSM groups are joined by source only.
  if (isSsmGroup(state, group)) {
    return drop(ctx, "ssm-older-report", () => `${what()} on "${vif.name}"`);
  }
  state.counters.packets++;
  if (state.options.debug) log(ctx, "debug", `Received ${what()} on "${vif.name}"`);
  if (message.kind === "leave") receiveLeave(ctx, vif, group, what);
  else {
    report(ctx, vif, group, { kind: message.older ? "v1-report" : "v2-report", reporter: source });
  }
}

/** Who sent a packet, on which LAN, and its name in its protocol (for logs). */
interface Heard<A extends Address> {
  vif: VifState<A>;
  source: A;
  label: string;
}

/**
 * An IGMPv3 / MLDv2 report: each record runs the group's machine with its sources. Records for
 * link-local groups, groups inside a boundary, and EXCLUDE-mode records for SSM groups are
 * dropped one by one; the others are still processed.
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
    const type = RECORD_TYPES.get(r.recordType);
    if (family.isLocalGroup(r.group)) {
      dropRecord(ctx, "link-local-group", { vif, source, label }, r.group);
      continue;
    }
    if (isGroupBounded(state, vif, r.group)) {
      dropRecord(ctx, "boundary", { vif, source, label }, r.group);
      continue;
    }
    if (type === undefined) continue; // the decoder keeps known types only
    if ((type === "IS_EX" || type === "TO_EX") && isSsmGroup(state, r.group)) {
      dropRecord(ctx, "ssm-exclude-record", { vif, source, label }, r.group, ` (${type})`);
      continue;
    }
    report(ctx, vif, r.group, { kind: "record", type, sources: r.sources, reporter: source });
  }
}

/** Drops one record of a report (the rest of the report goes on). */
function dropRecord<A extends Address>(
  ctx: StepContext<A>,
  reason: ProxyDropReason,
  { vif, source, label }: Heard<A>,
  group: A,
  detail = "",
): void {
  const { format } = ctx.state.family;
  drop(ctx, reason, () => {
    const where = reason === "link-local-group" ? "" : ` on "${vif.name}"`;
    return `${label} record for ${format(group)} from ${format(source)}${detail}${where}`;
  });
}

/**
 * A report for `group` on a LAN. A group new to every LAN is refused past the group limit,
 * with a warning at most once a minute.
 */
function report<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
  input: MembershipInput<A>,
): void {
  const { state, now } = ctx;
  const limit = state.options.maxGroups ?? MAX_GROUPS;
  if (
    state.members.size >= limit && !vif.groups.has(group) && !state.members.has(group) &&
    wantsTraffic(input)
  ) {
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
  if (input.kind === "record" && input.sources.length > 0 && input.type !== "BLOCK") {
    if (state.membershipSources + input.sources.length > MAX_MEMBERSHIP_SOURCES) {
      const where = `${state.family.format(group)} on "${vif.name}"`;
      drop(ctx, "membership-source-limit", () => `record for ${where}`);
      if (now - state.membershipSourceLimitWarned >= 60_000) {
        state.membershipSourceLimitWarned = now;
        log(
          ctx,
          "warn",
          `The LANs' memberships name ${state.membershipSources} sources, near the most ` +
            `allowed (${MAX_MEMBERSHIP_SOURCES}): records naming more are ignored (first: ${where})`,
        );
      }
      return;
    }
  }
  applyMembership(ctx, vif, group, input);
}

/** An IGMPv2 Leave or MLDv1 Done: only the querier acts on it (RFC 2236 section 6). */
function receiveLeave<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  group: A,
  what: () => string,
): void {
  if (!vif.querier) {
    return drop(ctx, "leave-while-not-querier", () => `${what()} on "${vif.name}"`);
  }
  applyMembership(ctx, vif, group, { kind: "leave" });
}

/**
 * A query from another router on a LAN: querier election (RFC 2236 section 3, RFC 3376
 * section 6.6.2) in every version (an IGMPv1 query of a lower address silences us too), the
 * warnings about an IGMPv1 router (RFC 2236 section 4) and a newer-version one (RFC 3376 section
 * 7.3.1), and, while not querier, the group timer lowered by group-specific queries.
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
  const heard = {
    source,
    ours: vif.address,
    legacy: query.legacy,
    newer: query.version > vif.queryVersion,
  };
  const trace = querierTrace(ctx, vif, source);
  applyQuerierChanges(ctx, vif, hearQuery(vif, heard, ctx.now, vif.timers, trace), source);
  if (vif.querier || source !== vif.otherQuerier) return;
  adoptQuerierVariables(ctx, vif, query);
  // A group-specific query lowers the group timer, a group-and-source-specific one the source
  // timers (RFC 3376 section 6.6.1), unless its S flag says not to (section 4.1.5).
  if (query.group === family.unspecified || query.suppressRouterSide) return;
  if (!vif.groups.has(query.group)) return;
  // IGMPv1 has no group-specific queries: a LAN run as IGMPv1 waits for its hosts' reports, as
  // it ignores their Leaves (RFC 3376 section 7.3.1).
  if (!family.groupQueries(vif.queryVersion)) return;
  // A Max Resp Code of 0 would end the membership before any host can answer: our own Last
  // Member Query Interval stands in for it.
  const lmqi = query.maxRespTimeMs > 0
    ? query.maxRespTimeMs
    : vif.ownTimers.lastMemberQueryInterval;
  const lastMemberQueryTime = vif.timers.lastMemberQueryCount * lmqi;
  applyMembership(
    ctx,
    vif,
    query.group,
    query.sources.length === 0
      ? { kind: "group-query", lastMemberQueryTime }
      : { kind: "source-query", sources: query.sources, lastMemberQueryTime },
  );
}

/**
 * As non-querier, the querier's Robustness Variable and Query Interval (its QRV and QQIC, RFC
 * 3376 sections 4.1.6 and 4.1.7) replace ours; 0 means it did not say.
 */
function adoptQuerierVariables<A extends Address>(
  ctx: StepContext<A>,
  vif: VifState<A>,
  query: Query<A>,
): void {
  const t = vif.timers;
  const robustness = query.qrv > 0 ? query.qrv : t.robustness;
  const queryInterval = query.qqicMs > 0 ? query.qqicMs : t.queryInterval;
  if (robustness === t.robustness && queryInterval === t.queryInterval) return;
  vif.timers = { ...t, robustness, lastMemberQueryCount: robustness, queryInterval };
  log(
    ctx,
    "info",
    `Querier ${ctx.state.family.format(vif.otherQuerier)} on "${vif.name}" ` +
      `runs with robustness ${robustness} and query interval ${queryInterval / 1000} s: we follow`,
  );
}
