// A LAN queried with IGMPv1 (`igmp-version 1`; RFC 1112, RFC 2236 section 4, RFC 3376 section
// 7.3.1): 8-byte general queries with code 0, no group-specific queries, Leaves and IGMPv3
// changes to INCLUDE ignored, memberships that end a Group Membership Interval after the last
// report, the election kept, and a reload to IGMPv1 and back applied in place.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Action } from "./actions.ts";
import { createProxy, type ProxyInterface, type ProxyState, step } from "./proxy.ts";
import { describeDump } from "./dump.ts";
import { groupsView, interfacesView } from "./status_view.ts";
import { DEFAULT_TIMERS, groupMembershipInterval } from "./timers.ts";
import { decodeIgmp, type GroupRecord } from "../proto/igmp.ts";
import { encodeQuery, encodeV1Report, encodeV3Report } from "../proto/igmp_encode.ts";
import { ip } from "../proto/testing.ts";
import {
  describe,
  DN1,
  DN2,
  G,
  kernelActions,
  leave,
  logLines,
  packet,
  queriesOn,
  report,
  S,
  UP,
  upcall,
} from "./proxy_testing.ts";

/** LAN 1 queried with IGMPv1. */
const V1: ProxyInterface = { ...DN1, queryVersion: 1 };
/** No kernel counters read: the views show what the core holds. */
const NO_COUNTERS = { vifs: new Map(), entries: new Map() };
/** 2 × 125 s + 10 s. */
const GMI = groupMembershipInterval(DEFAULT_TIMERS);

/** A started proxy on `up0`, `dn1` (IGMPv1, or `lan`) and `dn2` (IGMPv3). */
function v1Proxy(lan: ProxyInterface = V1): ProxyState {
  const state = createProxy({ interfaces: [UP, lan, DN2] });
  step(state, { kind: "start" }, 0);
  return state;
}

/** The IGMP messages of the queries sent on LAN 1, as bytes. */
function sentOnLan1(actions: Action[]): Uint8Array[] {
  return queriesOn(actions, DN1.ifindex).flatMap((a) => a.kind === "sendQuery" ? [a.message] : []);
}

function v1Report(state: ProxyState, from: string, now: number): Action[] {
  return packet(state, { ifindex: DN1.ifindex, from, to: G, igmp: encodeV1Report(G) }, now);
}

function records(
  state: ProxyState,
  type: GroupRecord["recordType"],
  sources: number[],
  now: number,
): Action[] {
  const igmp = encodeV3Report([{ recordType: type, group: G, sources }]);
  return packet(
    state,
    { ifindex: DN1.ifindex, from: "10.1.0.11", to: ip("224.0.0.22"), igmp },
    now,
  );
}

function query(state: ProxyState, from: string, version: 1 | 2 | 3, now: number): Action[] {
  const igmp = encodeQuery({ group: 0, maxRespTimeMs: 10_000, version });
  return packet(state, { ifindex: DN1.ifindex, from, to: ip("224.0.0.1"), igmp }, now);
}

function warnings(actions: Action[]): string[] {
  return actions.flatMap((a) => a.kind === "log" && a.level === "warn" ? [a.message] : []);
}

Deno.test("IGMPv1 querier: general queries are 8 bytes, code 0, group 0, to 224.0.0.1", () => {
  const state = createProxy({ interfaces: [UP, V1, DN2] });
  const start = step(state, { kind: "start" }, 0);
  const [first] = queriesOn(start, DN1.ifindex);
  ok(first?.kind === "sendQuery");
  equal(first.destination, ip("224.0.0.1"));
  // 11 00 ee ff 00 00 00 00: Membership Query, unused code 0, checksum, group 0.
  deepStrictEqual([...first.message], [0x11, 0, 0xee, 0xff, 0, 0, 0, 0]);
  const decoded = decodeIgmp(first.message, 0, first.message.length);
  ok(decoded.ok && decoded.value.type === "query");
  equal(decoded.value.version, 1);
  // The other LAN keeps its IGMPv3 queries; the startup and periodic queries of LAN 1 are v1.
  const [other] = queriesOn(start, DN2.ifindex);
  ok(other?.kind === "sendQuery" && other.message.length === 12);
  for (const at of [31_250, 156_250, 281_250]) {
    deepStrictEqual(sentOnLan1(step(state, { kind: "tick" }, at)).map((m) => [...m]), [
      [0x11, 0, 0xee, 0xff, 0, 0, 0, 0],
    ]);
  }
});

Deno.test("IGMPv1 querier: a Leave sends no group-specific query and ends nothing before GMI", () => {
  const state = v1Proxy();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  upcall(state, 0, S, 1);
  const left = leave(state, DN1.ifindex, "10.1.0.11", 5000);
  deepStrictEqual(kernelActions(left), [], "no query, no prune");
  deepStrictEqual(logLines(left, "debug"), [
    'Leave for 239.1.1.1 on "dn1" ignored: the LAN runs IGMPv1',
  ]);
  // Past the Last Member Query Time of an IGMPv2 querier: still forwarded, nothing sent.
  const later = step(state, { kind: "tick" }, 8000);
  deepStrictEqual(sentOnLan1(later), []);
  deepStrictEqual([...state.members.get(G)!], [1]);
  // Until the Group Membership Interval after the report.
  deepStrictEqual(describe(step(state, { kind: "tick" }, GMI - 1)).includes("delMfc"), false);
  deepStrictEqual(describe(step(state, { kind: "tick" }, GMI)), [
    "leave 239.1.1.1 up0",
    "delMfc 10.0.0.2 239.1.1.1",
  ]);
});

Deno.test("IGMPv1 querier: reports refresh the membership for another GMI", () => {
  const state = v1Proxy();
  v1Report(state, "10.1.0.11", 0);
  upcall(state, 0, S, 1);
  v1Report(state, "10.1.0.12", 100_000);
  leave(state, DN1.ifindex, "10.1.0.12", 100_001);
  equal(describe(step(state, { kind: "tick" }, GMI)).includes("delMfc"), false);
  deepStrictEqual(groupsView(state, GMI).groups.map((g) => [g.interface, g.compatibility]), [
    ["dn1", "IGMPv1"],
  ]);
  deepStrictEqual(describe(step(state, { kind: "tick" }, 100_000 + GMI)), [
    "leave 239.1.1.1 up0",
    "delMfc 10.0.0.2 239.1.1.1",
  ]);
});

Deno.test("IGMPv1 querier: IGMPv3 TO_IN and BLOCK records are ignored, TO_EX joins", () => {
  const state = v1Proxy();
  deepStrictEqual(describe(records(state, 4, [], 0)), ["join 239.1.1.1 up0"]); // TO_EX {}
  upcall(state, 0, S, 1);
  const block = records(state, 6, [S], 10); // BLOCK {10.0.0.2}
  const toIn = records(state, 3, [], 20); // TO_IN {}
  deepStrictEqual([...kernelActions(block), ...kernelActions(toIn)], []);
  deepStrictEqual([...logLines(block, "debug"), ...logLines(toIn, "debug")], [
    'BLOCK record for 239.1.1.1 on "dn1" ignored: the group is in v1 compatibility mode',
    'TO_IN record for 239.1.1.1 on "dn1" ignored: the LAN runs IGMPv1',
  ]);
  deepStrictEqual(groupsView(state, 30).groups[0].sources, []);
  equal(describe(step(state, { kind: "tick" }, 3000)).length, 0);
});

Deno.test("IGMPv1 querier: the query response interval is the 10 s IGMPv1 hosts take", () => {
  const timers = { ...DEFAULT_TIMERS, queryInterval: 20_000, queryResponseInterval: 1_000 };
  const state = v1Proxy({ ...V1, timers });
  equal(state.vifs.get(1)!.timers.queryResponseInterval, 10_000);
  equal(state.vifs.get(2)!.timers.queryResponseInterval, DEFAULT_TIMERS.queryResponseInterval);
  v1Report(state, "10.1.0.11", 0);
  upcall(state, 0, S, 1);
  // 2 × 20 s + 1 s would drop it before a host heard at 20 s must have answered.
  equal(describe(step(state, { kind: "tick" }, 41_000)).includes("delMfc"), false);
  deepStrictEqual(describe(step(state, { kind: "tick" }, 50_000)), [
    "leave 239.1.1.1 up0",
    "delMfc 10.0.0.2 239.1.1.1",
  ]);
});

Deno.test("IGMPv1 querier: IGMPv1 routers are no warning; newer ones are, once per OQPI", () => {
  const state = v1Proxy({ ...V1, address: ip("10.1.0.100") });
  deepStrictEqual(warnings(query(state, "10.1.0.200", 1, 1000)), []);
  const newer = warnings(query(state, "10.1.0.201", 2, 2000));
  deepStrictEqual(newer, [
    'A router (10.1.0.201) is querying on "dn1" in a newer version than our IGMPv1: every ' +
    "router of a LAN must run the same version (configure it for IGMPv1, or us for its version)",
  ]);
  deepStrictEqual(warnings(query(state, "10.1.0.202", 3, 3000)), [], "once per OQPI");
  equal(state.vifs.get(1)!.querier, true, "higher-addressed routers do not win");
});

Deno.test("IGMPv1 querier: a lower IGMPv1 router is the querier; its group queries lower nothing", () => {
  const state = v1Proxy({ ...V1, address: ip("10.1.0.100") });
  report(state, DN1.ifindex, "10.1.0.11", 0);
  const lost = query(state, "10.1.0.5", 1, 1000);
  deepStrictEqual(warnings(lost), []);
  equal(state.vifs.get(1)!.querier, false);
  deepStrictEqual(sentOnLan1(step(state, { kind: "tick" }, 125_000)), [], "we stay quiet");
  // A group-specific query (which no IGMPv1 router sends) is not taken as one here.
  const igmp = encodeQuery({ group: G, maxRespTimeMs: 1_000, version: 2 });
  packet(state, { ifindex: DN1.ifindex, from: "10.1.0.5", to: G, igmp }, 126_000);
  equal(state.vifs.get(1)!.groups.get(G)!.groupTimer, GMI);
});

Deno.test("IGMPv1 querier: show interfaces and the dump name the LAN's version and its groups' mode", () => {
  const state = v1Proxy();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  deepStrictEqual(
    interfacesView(state, NO_COUNTERS, 1000).interfaces.map((i) => [i.name, i.queryVersion]),
    [["up0", null], ["dn1", "IGMPv1"], ["dn2", "IGMPv3"]],
  );
  const dump = describeDump(state, NO_COUNTERS, 1000);
  const dn1 = dump.find((l) => l.includes(" dn1 "));
  ok(dn1?.endsWith("downstream querier IGMPv1"), dn1);
  ok(dump.find((l) => l.includes(" dn2 "))?.endsWith("downstream querier"));
  // An IGMPv2 report, but the LAN runs every group in IGMPv1 mode.
  ok(dump.some((l) => l.endsWith("groups: 239.1.1.1 EXCLUDE 4m19s IGMPv1")), dump.join("\n"));
});

Deno.test("a reload from IGMPv3 to IGMPv1 and back applies in place", () => {
  const state = v1Proxy(DN1);
  report(state, DN1.ifindex, "10.1.0.11", 0);
  upcall(state, 0, S, 1);
  // A Leave under IGMPv3: a group-specific query now, its retransmission due at 1001 + LMQI.
  equal(sentOnLan1(leave(state, DN1.ifindex, "10.1.0.11", 1000)).length, 1);
  report(state, DN1.ifindex, "10.1.0.11", 1001);
  const toV1 = step(state, { kind: "reconfigure", iface: V1 }, 1500);
  deepStrictEqual(logLines(toV1, "info"), [
    'Interface "dn1" keeps VIF 1 with new settings: querier IGMPv3 -> IGMPv1',
  ]);
  deepStrictEqual(kernelActions(toV1), [], "the VIF, the membership and the entry stay");
  // The retransmission is not sent in IGMPv1; the next general query is an IGMPv1 one.
  deepStrictEqual(sentOnLan1(step(state, { kind: "tick" }, 2000)), []);
  deepStrictEqual(interfacesView(state, NO_COUNTERS, 2000).interfaces[1].queryVersion, "IGMPv1");
  const general = sentOnLan1(step(state, { kind: "tick" }, 31_250));
  deepStrictEqual(general.map((m) => m.length), [8]);
  equal(general[0][1], 0);
  deepStrictEqual(kernelActions(leave(state, DN1.ifindex, "10.1.0.11", 40_000)), []);
  const back = step(state, { kind: "reconfigure", iface: DN1 }, 50_000);
  deepStrictEqual(logLines(back, "info"), [
    'Interface "dn1" keeps VIF 1 with new settings: querier IGMPv1 -> IGMPv3',
  ]);
  // IGMPv3 again: a Leave is followed by a group-specific query, and the group ends after LMQT.
  const q = sentOnLan1(leave(state, DN1.ifindex, "10.1.0.11", 60_000));
  equal(q.length, 1);
  ok(q[0].length >= 12, "an IGMPv3 query");
  step(state, { kind: "tick" }, 61_000);
  deepStrictEqual(describe(step(state, { kind: "tick" }, 62_000)), [
    "leave 239.1.1.1 up0",
    "delMfc 10.0.0.2 239.1.1.1",
  ]);
});
