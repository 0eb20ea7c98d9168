import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Action } from "./actions.ts";
import { createProxy, step } from "./proxy.ts";
import type { ProxyState } from "./state.ts";
import { describeDump } from "./dump.ts";
import { decodeIgmp, type GroupRecordType } from "../proto/igmp.ts";
import {
  encodeQuery,
  encodeV1Report,
  encodeV2Report,
  encodeV3Report,
} from "../proto/igmp_encode.ts";
import { formatIPv4 } from "../proto/addr.ts";
import { fixChecksum, ip } from "../proto/testing.ts";
import { DN1, DN2, G, kernelActions, logLines, packet, reportFor, S, UP } from "./proxy_testing.ts";
import { groupMembershipInterval } from "./timers.ts";

/** A second sender upstream. */
const S2 = ip("10.0.0.3");
/** A sender outside the upstream subnet and every `source` line. */
const FAR = ip("198.51.100.7");
/** An SSM channel's group. */
const SSM = ip("232.1.1.1");
const IS_IN: GroupRecordType = 1;
const IS_EX: GroupRecordType = 2;
const TO_IN: GroupRecordType = 3;
const TO_EX: GroupRecordType = 4;
const ALLOW: GroupRecordType = 5;
const BLOCK: GroupRecordType = 6;

function started(debug = false): ProxyState {
  const state = createProxy({ interfaces: [UP, DN1, DN2], debug });
  step(state, { kind: "start" }, 0);
  return state;
}

/** Feeds an IGMPv3 report with one record from a host of the LAN. */
function v3(
  state: ProxyState,
  ifindex: number,
  record: { type: GroupRecordType; group?: number; sources?: number[] },
  now: number,
  from = ifindex === DN1.ifindex ? "10.1.0.11" : "10.2.0.11",
): Action[] {
  const igmp = encodeV3Report([{
    recordType: record.type,
    group: record.group ?? G,
    sources: record.sources ?? [],
  }]);
  return packet(state, { ifindex, from, to: ip("224.0.0.22"), igmp }, now);
}

function upcallFor(state: ProxyState, source: number, group: number, now: number): Action[] {
  return step(state, { kind: "upcall", msgtype: 1, vif: 0, source, group }, now);
}

/** Joins and entries as short strings, e.g. `join 239.1.1.1 include 10.0.0.2`. */
function brief(actions: Action[]): string[] {
  return kernelActions(actions).flatMap((a) => {
    switch (a.kind) {
      case "join": {
        const f = a.filter;
        const what = f === undefined ? "" : ` ${f.mode} ${f.sources.map(formatIPv4).join(",")}`;
        return [`join ${formatIPv4(a.group)}${what}`];
      }
      case "leave":
        return [`leave ${formatIPv4(a.group)}`];
      case "addMfc":
        return [`addMfc ${formatIPv4(a.source)} to ${a.oifs.map((o) => o.vifi).join(",")}`];
      case "delMfc":
        return [`delMfc ${formatIPv4(a.source)}`];
      case "sendQuery":
        return [`query ${a.name} ${a.what}`];
      default:
        return [];
    }
  });
}

Deno.test("INCLUDE {S1}: upstream joins naming S1, only S1 is forwarded to the LAN", () => {
  const state = started();
  deepStrictEqual(brief(v3(state, DN1.ifindex, { type: ALLOW, sources: [S] }, 10)), [
    "join 239.1.1.1 include 10.0.0.2",
  ]);
  deepStrictEqual(brief(upcallFor(state, S, G, 20)), ["addMfc 10.0.0.2 to 1"]);
  deepStrictEqual(brief(upcallFor(state, S2, G, 20)), [], "S2 goes nowhere");
});

Deno.test("EXCLUDE {S2}: upstream excludes S2; S1 flows, S2 does not", () => {
  const state = started();
  deepStrictEqual(brief(v3(state, DN1.ifindex, { type: TO_EX, sources: [S2] }, 10)), [
    "join 239.1.1.1 exclude 10.0.0.3",
  ]);
  deepStrictEqual(brief(upcallFor(state, S, G, 20)), ["addMfc 10.0.0.2 to 1"]);
  deepStrictEqual(brief(upcallFor(state, S2, G, 20)), []);
});

Deno.test("two LANs, IN {S1} and EX {S2}: upstream EX {S2}, each source to the LANs admitting it", () => {
  const state = started();
  v3(state, DN1.ifindex, { type: IS_IN, sources: [S] }, 10);
  deepStrictEqual(brief(v3(state, DN2.ifindex, { type: IS_EX, sources: [S2] }, 10)), [
    "join 239.1.1.1 exclude 10.0.0.3",
  ]);
  deepStrictEqual(brief(upcallFor(state, S, G, 20)), ["addMfc 10.0.0.2 to 1,2"]);
  deepStrictEqual(brief(upcallFor(state, S2, G, 20)), []);
  // A third sender goes to the EXCLUDE LAN only.
  deepStrictEqual(brief(upcallFor(state, ip("10.0.0.4"), G, 20)), ["addMfc 10.0.0.4 to 2"]);
});

Deno.test("a BLOCK is checked with Q(G,A); unanswered, the source stops within LMQT", () => {
  const state = started();
  v3(state, DN1.ifindex, { type: ALLOW, sources: [S, S2] }, 10);
  upcallFor(state, S, G, 20);
  upcallFor(state, S2, G, 20);
  const blocked = v3(state, DN1.ifindex, { type: BLOCK, sources: [S2] }, 1000);
  const queries = blocked.filter((a) => a.kind === "sendQuery");
  equal(queries.length, 1);
  const q = queries[0];
  ok(q.kind === "sendQuery");
  equal(q.destination, G);
  const m = decodeIgmp(q.message, 0, q.message.length);
  ok(m.ok && m.value.type === "query");
  deepStrictEqual(m.value.sources, [S2]);
  equal(m.value.suppressRouterSide, false);
  // The retransmission LMQI later, then the source's timer (LMQT = 2 s) runs out.
  equal(brief(step(state, { kind: "tick" }, 2000)).filter((l) => l.startsWith("query")).length, 1);
  deepStrictEqual(brief(step(state, { kind: "tick" }, 3000)), [
    "join 239.1.1.1 include 10.0.0.2",
    "delMfc 10.0.0.3",
  ]);
  deepStrictEqual(state.sources.get(G)?.get(S)?.installed?.oifs, [1], "S1's entry is unchanged");
});

Deno.test("TO_IN {} from the last host: Q(G,A) for its sources, then the group is left", () => {
  const state = started();
  v3(state, DN1.ifindex, { type: ALLOW, sources: [S] }, 10);
  upcallFor(state, S, G, 20);
  const left = brief(v3(state, DN1.ifindex, { type: TO_IN }, 1000));
  deepStrictEqual(left, ["query dn1 group-and-source-specific query for 239.1.1.1 (1 source)"]);
  step(state, { kind: "tick" }, 2000);
  deepStrictEqual(brief(step(state, { kind: "tick" }, 3000)), [
    "leave 239.1.1.1",
    "delMfc 10.0.0.2",
  ]);
  equal(state.vifs.get(1)?.groups.size, 0);
});

Deno.test("SSM range: IGMPv2 reports and EXCLUDE records are ignored and counted, the rest kept", () => {
  const state = started();
  const v2 = packet(state, {
    ifindex: DN1.ifindex,
    from: "10.1.0.11",
    to: SSM,
    igmp: encodeV2Report(SSM),
  }, 10);
  deepStrictEqual(brief(v2), []);
  equal(state.counters.drops.get("ssm-older-report"), 1);
  const igmp = encodeV3Report([
    { recordType: IS_EX, group: SSM, sources: [] },
    { recordType: ALLOW, group: ip("232.1.1.2"), sources: [S] },
    { recordType: TO_EX, group: SSM, sources: [S2] },
  ]);
  const mixed = packet(state, {
    ifindex: DN1.ifindex,
    from: "10.1.0.11",
    to: ip("224.0.0.22"),
    igmp,
  }, 20);
  deepStrictEqual(brief(mixed), ["join 232.1.1.2 include 10.0.0.2"]);
  equal(state.counters.drops.get("ssm-exclude-record"), 2);
  equal(state.vifs.get(1)?.groups.has(SSM), false);
});

Deno.test("a source named by an INCLUDE membership is accepted upstream without a source line", () => {
  const state = started();
  deepStrictEqual(brief(upcallFor(state, FAR, SSM, 5)), []);
  equal(state.counters.drops.get("source-not-admitted"), 1);
  v3(state, DN1.ifindex, { type: ALLOW, group: SSM, sources: [FAR] }, 10);
  deepStrictEqual(brief(upcallFor(state, FAR, SSM, 20)), ["addMfc 198.51.100.7 to 1"]);
  // Another group does not name it.
  upcallFor(state, FAR, ip("232.1.1.9"), 20);
  equal(state.counters.drops.get("source-not-admitted"), 2);
});

Deno.test("reports from outside the LAN's subnets are dropped; 0.0.0.0 counts", () => {
  const state = started();
  deepStrictEqual(brief(v3(state, DN1.ifindex, { type: ALLOW, sources: [S] }, 10, "10.9.0.5")), []);
  equal(state.counters.drops.get("report-off-subnet"), 1);
  deepStrictEqual(brief(v3(state, DN1.ifindex, { type: ALLOW, sources: [S] }, 10, "0.0.0.0")), [
    "join 239.1.1.1 include 10.0.0.2",
  ]);
});

Deno.test("queries are IGMPv3 by default (QRV, QQIC); queryVersion 2 sends IGMPv2", () => {
  const state = createProxy({ interfaces: [UP, DN1, { ...DN2, queryVersion: 2 }] });
  const out = step(state, { kind: "start" }, 0).filter((a) => a.kind === "sendQuery");
  const byName = new Map(out.map((a) => [a.kind === "sendQuery" ? a.name : "", a]));
  const v3q = byName.get("dn1");
  const v2q = byName.get("dn2");
  ok(v3q?.kind === "sendQuery" && v2q?.kind === "sendQuery");
  equal(v3q.message.length, 12);
  const m = decodeIgmp(v3q.message, 0, v3q.message.length);
  ok(m.ok && m.value.type === "query");
  equal(m.value.version, 3);
  equal(m.value.qrv, 2);
  equal(m.value.qqicSeconds, 125);
  equal(v2q.message.length, 8);
});

Deno.test("as non-querier, the querier's QRV and QQIC replace ours until it goes silent", () => {
  const state = started();
  const rival = encodeQuery({
    group: 0,
    maxRespTimeMs: 10_000,
    version: 3,
    qrv: 3,
    qqicSeconds: 60,
  });
  const heard = packet(state, {
    ifindex: DN1.ifindex,
    from: "10.1.0.0",
    to: ip("224.0.0.1"),
    igmp: rival,
  }, 100);
  equal(state.vifs.get(1)?.timers.robustness, 3);
  equal(state.vifs.get(1)?.timers.queryInterval, 60_000);
  ok(logLines(heard, "info").some((l) => l.includes("robustness 3 and query interval 60 s")));
  // Its next query arms the Other Querier Present timer with its variables: 3 × 60 s + 5 s.
  packet(state, { ifindex: DN1.ifindex, from: "10.1.0.0", to: ip("224.0.0.1"), igmp: rival }, 200);
  equal(state.vifs.get(1)?.otherQuerierUntil, 200 + 185_000);
  step(state, { kind: "tick" }, 200 + 185_000);
  equal(state.vifs.get(1)?.querier, true);
  equal(state.vifs.get(1)?.timers.robustness, 2);
});

Deno.test("a group query with Max Resp Code 0 does not end the group at once", () => {
  const state = started();
  packet(state, { ifindex: DN1.ifindex, from: "10.1.0.11", to: G, igmp: encodeV2Report(G) }, 10);
  packet(state, {
    ifindex: DN1.ifindex,
    from: "10.1.0.0",
    to: ip("224.0.0.1"),
    igmp: encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 3 }),
  }, 100);
  // The encoder never writes code 0: patch it in.
  const zero = encodeQuery({ group: G, maxRespTimeMs: 100, version: 3 });
  zero[1] = 0;
  const igmp = fixChecksum(zero, { length: zero.length, field: 2 });
  packet(state, { ifindex: DN1.ifindex, from: "10.1.0.0", to: G, igmp }, 200);
  equal(state.vifs.get(1)?.groups.get(G)?.groupTimer, 200 + 2 * 1000, "LMQC × our LMQI");
});

Deno.test("an IGMPv2 host and an IGMPv3 host IN {S1} on one LAN: any source, BLOCK ignored", () => {
  const state = started(true);
  packet(state, { ifindex: DN1.ifindex, from: "10.1.0.12", to: G, igmp: encodeV2Report(G) }, 10);
  v3(state, DN1.ifindex, { type: ALLOW, sources: [S] }, 20);
  deepStrictEqual(brief(upcallFor(state, S2, G, 30)), ["addMfc 10.0.0.3 to 1"]);
  const blocked = v3(state, DN1.ifindex, { type: BLOCK, sources: [S2] }, 40);
  ok(
    logLines(blocked, "debug").some((l) =>
      l.includes("ignored: the group is in v2 compatibility mode")
    ),
  );
  const g = state.vifs.get(1)?.groups.get(G);
  equal(g?.mode, "EXCLUDE");
});

Deno.test("the dump shows each group's mode, sources with timers, and version", () => {
  const state = started();
  v3(state, DN1.ifindex, { type: ALLOW, sources: [S, S2] }, 0);
  v3(state, DN2.ifindex, { type: TO_EX, sources: [S2] }, 0);
  const lines = describeDump(state, { vifs: new Map(), entries: new Map() }, 10_000);
  const text = lines.join("\n");
  ok(text.includes("groups: 239.1.1.1 INCLUDE IGMPv3"), text);
  ok(text.includes("  10.0.0.2 4m10s"), text);
  ok(text.includes("239.1.1.1 EXCLUDE 4m10s IGMPv3"), text);
  ok(text.includes("  10.0.0.3 excluded"), text);
  // IN {S1, S2} + EX {S2} is EX {} upstream: any source.
  ok(text.includes("joined: 239.1.1.1\n"), text);
});

Deno.test("records naming sources past the membership source limit are dropped, with one warning", () => {
  const state = started();
  const sources = Array.from({ length: 15_000 }, (_, i) => ip("10.100.0.0") + i);
  let warned = 0;
  for (let i = 0; i < 5; i++) {
    const out = v3(state, DN1.ifindex, { type: ALLOW, group: G + i, sources }, 10 + i);
    warned += out.filter((a) => a.kind === "log" && a.level === "warn").length;
  }
  equal(state.membershipSources, 60_000);
  equal(state.counters.drops.get("membership-source-limit"), 1);
  equal(warned, 1);
  // Sources leave the count with their records.
  step(state, { kind: "interface-down", name: "dn1" }, 100);
  equal(state.membershipSources, 0);
});

Deno.test("a refreshed source lives GMI from its last report; refreshes queue no timers", () => {
  const state = started();
  const gmi = groupMembershipInterval(DN1.timers);
  v3(state, DN1.ifindex, { type: IS_IN, sources: [S] }, 1000);
  equal(state.groupTimers.size, 1);
  // Refreshes move the deadline later: the queued entry stands, no entry is added.
  for (let t = 2000; t <= 60_000; t += 1000) {
    v3(state, DN1.ifindex, { type: IS_IN, sources: [S] }, t);
  }
  equal(state.groupTimers.size, 1);
  // The first deadline comes: the record is queued again for its real one, not ended.
  const leaves = (actions: Action[]) => brief(actions).filter((l) => l.startsWith("leave"));
  deepStrictEqual(leaves(step(state, { kind: "tick" }, 1000 + gmi)), []);
  ok(state.vifs.get(1)!.groups.has(G), "still a member after the first deadline");
  equal(state.groupTimers.peek()?.at, 60_000 + gmi);
  deepStrictEqual(leaves(step(state, { kind: "tick" }, 60_000 + gmi - 1)), []);
  deepStrictEqual(leaves(step(state, { kind: "tick" }, 60_000 + gmi)), [`leave ${formatIPv4(G)}`]);
  equal(state.vifs.get(1)!.groups.size, 0);
});

Deno.test("the last reporter: the sender of each report that wants traffic, not of BLOCK or TO_IN {}", () => {
  const state = started();
  const reporter = (vifi = 1) => {
    const r = state.vifs.get(vifi)!.groups.get(G)?.lastReporter;
    return r === undefined ? undefined : formatIPv4(r);
  };
  v3(state, DN1.ifindex, { type: ALLOW, sources: [S] }, 10, "10.1.0.11");
  equal(reporter(), "10.1.0.11");
  // Records that want no traffic keep the reporter.
  v3(state, DN1.ifindex, { type: BLOCK, sources: [S] }, 20, "10.1.0.12");
  v3(state, DN1.ifindex, { type: TO_IN, sources: [] }, 30, "10.1.0.13");
  v3(state, DN1.ifindex, { type: IS_IN, sources: [] }, 40, "10.1.0.14");
  equal(reporter(), "10.1.0.11");
  v3(state, DN1.ifindex, { type: TO_IN, sources: [S2] }, 50, "10.1.0.15");
  equal(reporter(), "10.1.0.15", "TO_IN naming a source");
  v3(state, DN1.ifindex, { type: IS_EX, sources: [] }, 60, "10.1.0.16");
  equal(reporter(), "10.1.0.16", "IS_EX {}");
  reportFor(state, G, { ifindex: DN1.ifindex, from: "10.1.0.17" }, 70);
  equal(reporter(), "10.1.0.17", "an IGMPv2 report");
  const v1 = encodeV1Report(G);
  packet(state, { ifindex: DN1.ifindex, from: "10.1.0.18", to: G, igmp: v1 }, 80);
  equal(reporter(), "10.1.0.18", "an IGMPv1 report");
  // Each LAN keeps its own.
  v3(state, DN2.ifindex, { type: TO_EX, sources: [] }, 90, "10.2.0.11");
  equal(reporter(2), "10.2.0.11");
  equal(reporter(), "10.1.0.18");
});
