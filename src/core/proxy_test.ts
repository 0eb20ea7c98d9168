import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import type { Action } from "./actions.ts";
import { createProxy, IGMPMSG_NOCACHE, nextDeadline, step } from "./proxy.ts";
import { DEFAULT_TIMERS } from "./timers.ts";
import { decodeIgmp } from "../proto/igmp.ts";
import {
  encodeLeave,
  encodeV1Report,
  encodeV2Report,
  encodeV3Report,
} from "../proto/igmp_encode.ts";
import { ip } from "../proto/testing.ts";
import {
  describe,
  DN1,
  DN2,
  DN3,
  down,
  G,
  G2,
  kernelActions,
  leave,
  logLines,
  maxRespTime,
  packet,
  proxy,
  queriesOn,
  report,
  reportFor,
  S,
  UP,
  up,
  upcall,
} from "./proxy_testing.ts";

Deno.test("start: VIFs in order, listens on 224.0.0.2/22 downstream, queries at once", () => {
  const state = createProxy({ interfaces: [UP, DN1, DN2] });
  const actions = kernelActions(step(state, { kind: "start" }, 0));
  deepStrictEqual(
    actions.map((a) => a.kind === "addVif" ? `addVif ${a.vifi} ${a.name}` : a.kind),
    [
      "addVif 0 up0",
      "addVif 1 dn1",
      "join",
      "join",
      "addVif 2 dn2",
      "join",
      "join",
      "sendQuery",
      "sendQuery",
    ],
  );
  const q = actions.filter((a) => a.kind === "sendQuery");
  for (const a of q) {
    if (a.kind !== "sendQuery") continue;
    equal(a.destination, ip("224.0.0.1"));
    const m = decodeIgmp(a.message, 0, a.message.length);
    ok(m.ok && m.value.type === "query" && m.value.group === 0);
    ok(m.ok && m.value.type === "query" && m.value.maxRespTimeMs === 10_000);
  }
});

Deno.test("general queries: Startup Query Count at the startup interval, then every QI", () => {
  const state = proxy();
  equal(nextDeadline(state), 31_250);
  const sent = (now: number) =>
    step(state, { kind: "tick" }, now).filter((a) => a.kind === "sendQuery").length;
  equal(sent(31_250), 2, "second startup query on both downstreams");
  equal(nextDeadline(state), 31_250 + 125_000);
  equal(sent(100_000), 0);
  equal(sent(156_250), 2);
});

Deno.test("a report joins upstream; a known source is forwarded to that LAN only", () => {
  const state = proxy();
  deepStrictEqual(kernelActions(upcall(state, 0, S, 5)), [], "no member yet: no entry");
  const actions = kernelActions(report(state, DN1.ifindex, "10.1.0.11", 10));
  deepStrictEqual(actions, [
    { kind: "join", group: G, ifindex: UP.ifindex, name: "up0" },
    { kind: "addMfc", source: S, group: G, parent: 0, oifs: [{ vifi: 1, ttl: 1 }] },
  ]);
});

Deno.test("an upcall for a group with members installs the entry at once", () => {
  const state = proxy();
  report(state, DN2.ifindex, "10.2.0.11", 0);
  deepStrictEqual(kernelActions(upcall(state, 0, S, 1)), [
    { kind: "addMfc", source: S, group: G, parent: 0, oifs: [{ vifi: 2, ttl: 1 }] },
  ]);
});

Deno.test("a second LAN joining updates every source's entry", () => {
  const state = proxy();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  upcall(state, 0, S, 1);
  upcall(state, 0, ip("10.0.0.3"), 2);
  const actions = kernelActions(report(state, DN2.ifindex, "10.2.0.11", 3));
  deepStrictEqual(actions, [
    {
      kind: "addMfc",
      source: S,
      group: G,
      parent: 0,
      oifs: [{ vifi: 1, ttl: 1 }, { vifi: 2, ttl: 1 }],
    },
    {
      kind: "addMfc",
      source: ip("10.0.0.3"),
      group: G,
      parent: 0,
      oifs: [{ vifi: 1, ttl: 1 }, { vifi: 2, ttl: 1 }],
    },
  ]);
});

Deno.test("leave: group-specific queries, then the entry and the upstream membership go", () => {
  const state = proxy();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  upcall(state, 0, S, 1);
  const first = kernelActions(leave(state, DN1.ifindex, "10.1.0.11", 1000));
  equal(first.length, 1);
  const q = first[0];
  ok(q.kind === "sendQuery" && q.destination === G && q.ifindex === DN1.ifindex);
  const m = decodeIgmp(q.message, 0, q.message.length);
  ok(m.ok && m.value.type === "query" && m.value.group === G && m.value.maxRespTimeMs === 1000);
  equal(nextDeadline(state), 2000);
  deepStrictEqual(
    kernelActions(step(state, { kind: "tick" }, 2000)).map((a) => a.kind),
    ["sendQuery"],
  );
  deepStrictEqual(kernelActions(step(state, { kind: "tick" }, 3000)), [
    { kind: "leave", group: G, ifindex: UP.ifindex, name: "up0" },
    { kind: "delMfc", source: S, group: G },
  ]);
});

Deno.test("two members on one LAN: the answer to the group-specific query keeps the stream", () => {
  const state = proxy();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  upcall(state, 0, S, 1);
  leave(state, DN1.ifindex, "10.1.0.11", 1000);
  deepStrictEqual(kernelActions(report(state, DN1.ifindex, "10.1.0.12", 1200)), []);
  deepStrictEqual(kernelActions(step(state, { kind: "tick" }, 3000)), []);
  ok(state.members.get(G)?.has(1));
});

Deno.test("one LAN leaving keeps the other LAN's forwarding", () => {
  const state = proxy();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  report(state, DN2.ifindex, "10.2.0.11", 0);
  upcall(state, 0, S, 1);
  leave(state, DN1.ifindex, "10.1.0.11", 1000);
  step(state, { kind: "tick" }, 2000);
  deepStrictEqual(kernelActions(step(state, { kind: "tick" }, 3000)), [
    { kind: "addMfc", source: S, group: G, parent: 0, oifs: [{ vifi: 2, ttl: 1 }] },
  ]);
});

Deno.test("IGMPv1: no leave, the group ages out after the Group Membership Interval", () => {
  const state = proxy();
  packet(state, { ifindex: DN1.ifindex, from: "10.1.0.11", to: G, igmp: encodeV1Report(G) }, 0);
  upcall(state, 0, S, 1);
  deepStrictEqual(kernelActions(leave(state, DN1.ifindex, "10.1.0.12", 5000)), []);
  equal(nextDeadline(state) <= 260_000, true);
  step(state, { kind: "tick" }, 31_250);
  step(state, { kind: "tick" }, 156_250);
  deepStrictEqual(kernelActions(step(state, { kind: "tick" }, 260_000)), [
    { kind: "leave", group: G, ifindex: UP.ifindex, name: "up0" },
    { kind: "delMfc", source: S, group: G },
  ]);
});

Deno.test("IGMPv3 reports are read at group level: TO_EX {} joins, TO_IN {} leaves", () => {
  const state = proxy();
  const to = ip("224.0.0.22");
  const join = encodeV3Report([{ recordType: 4, group: G, sources: [] }]);
  const actions = kernelActions(
    packet(state, { ifindex: DN1.ifindex, from: "10.1.0.11", to, igmp: join }, 0),
  );
  deepStrictEqual(actions, [{ kind: "join", group: G, ifindex: UP.ifindex, name: "up0" }]);
  const leaveV3 = encodeV3Report([{ recordType: 3, group: G, sources: [] }]);
  const q = kernelActions(
    packet(state, { ifindex: DN1.ifindex, from: "10.1.0.11", to, igmp: leaveV3 }, 10),
  );
  deepStrictEqual(q.map((a) => a.kind), ["sendQuery"]);
});

Deno.test("a configured `source` admits a sender outside the upstream subnet", () => {
  const state = proxy();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  deepStrictEqual(kernelActions(upcall(state, 0, ip("192.0.2.7"), 1)).map((a) => a.kind), [
    "addMfc",
  ]);
});

Deno.test("sources without an entry are forgotten after their lifetime", () => {
  const state = createProxy({
    interfaces: [UP, DN1],
    sourceLifetime: 10_000,
  });
  step(state, { kind: "start" }, 0);
  upcall(state, 0, S, 0);
  equal(state.sources.get(G)?.size, 1);
  step(state, { kind: "tick" }, 5_000);
  step(state, { kind: "tick" }, 10_000);
  equal(state.sources.size, 0);
});

Deno.test("stop: removes entries, upstream memberships, listeners and VIFs", () => {
  const state = proxy();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  upcall(state, 0, S, 1);
  const kinds = kernelActions(step(state, { kind: "stop" }, 2)).map((a) =>
    a.kind === "join" || a.kind === "leave" ? `${a.kind} ${a.name}` : a.kind
  );
  deepStrictEqual(kinds, [
    "delMfc",
    "leave up0",
    "delVif",
    "leave dn1",
    "leave dn1",
    "delVif",
    "leave dn2",
    "leave dn2",
    "delVif",
  ]);
  equal(nextDeadline(state), Infinity);
});

Deno.test("per-interface LMQI and LMQC: group-specific query spacing and removal time", () => {
  const fast = {
    ...DN1,
    timers: { ...DEFAULT_TIMERS, lastMemberQueryInterval: 500, lastMemberQueryCount: 3 },
  };
  const state = createProxy({ interfaces: [UP, fast, DN2] });
  step(state, { kind: "start" }, 0);
  report(state, DN1.ifindex, "10.1.0.11", 0);
  upcall(state, 0, S, 1);
  const first = kernelActions(leave(state, DN1.ifindex, "10.1.0.11", 1000));
  deepStrictEqual(first.map((a) => a.kind), ["sendQuery"]);
  equal(maxRespTime(first[0]), 500, "LMQI is the Max Resp Time");
  equal(nextDeadline(state), 1500);
  deepStrictEqual(kernelActions(step(state, { kind: "tick" }, 1500)).map((a) => a.kind), [
    "sendQuery",
  ]);
  equal(nextDeadline(state), 2000);
  deepStrictEqual(kernelActions(step(state, { kind: "tick" }, 2000)).map((a) => a.kind), [
    "sendQuery",
  ]);
  equal(nextDeadline(state), 2500, "LMQC × LMQI after the leave");
  deepStrictEqual(kernelActions(step(state, { kind: "tick" }, 2500)), [
    { kind: "leave", group: G, ifindex: UP.ifindex, name: "up0" },
    { kind: "delMfc", source: S, group: G },
  ]);
});

Deno.test("per-interface query interval, startup queries and Query Response Interval", () => {
  const quick = {
    ...DN2,
    timers: {
      ...DEFAULT_TIMERS,
      queryInterval: 30_000,
      queryResponseInterval: 2_500,
      startupQueryInterval: 7_500,
      startupQueryCount: 3,
    },
  };
  const state = createProxy({ interfaces: [UP, DN1, quick] });
  const started = step(state, { kind: "start" }, 0);
  equal(maxRespTime(queriesOn(started, DN1.ifindex)[0]), 10_000);
  equal(maxRespTime(queriesOn(started, DN2.ifindex)[0]), 2_500);
  const at = (now: number) => {
    const actions = step(state, { kind: "tick" }, now);
    return [queriesOn(actions, DN1.ifindex).length, queriesOn(actions, DN2.ifindex).length];
  };
  deepStrictEqual(at(7_500), [0, 1], "second of three startup queries on dn2");
  deepStrictEqual(at(15_000), [0, 1], "third startup query on dn2");
  deepStrictEqual(at(31_250), [1, 0], "dn1's second startup query");
  deepStrictEqual(at(45_000), [0, 1], "dn2 every 30 s from now on");
  deepStrictEqual(at(75_000), [0, 1]);
  deepStrictEqual(at(105_000), [0, 1]);
  deepStrictEqual(at(135_000), [0, 1]);
  deepStrictEqual(at(156_250), [1, 0], "dn1 every 125 s");
});

Deno.test("two LANs with different timers: each ages its members by its own GMI", () => {
  // dn2: Group Membership Interval = 2 × 30 s + 10 s = 70 s; dn1 keeps 260 s.
  const quick = { ...DN2, timers: { ...DEFAULT_TIMERS, queryInterval: 30_000 } };
  const state = createProxy({ interfaces: [UP, DN1, quick] });
  step(state, { kind: "start" }, 0);
  report(state, DN1.ifindex, "10.1.0.11", 0);
  report(state, DN2.ifindex, "10.2.0.11", 0);
  upcall(state, 0, S, 1);
  const noQueries = (now: number) =>
    kernelActions(step(state, { kind: "tick" }, now)).filter((a) => a.kind !== "sendQuery");
  deepStrictEqual(noQueries(69_999), []);
  deepStrictEqual(noQueries(70_000), [
    { kind: "addMfc", source: S, group: G, parent: 0, oifs: [{ vifi: 1, ttl: 1 }] },
  ]);
  ok(state.members.get(G)?.has(1));
  deepStrictEqual(noQueries(259_999), []);
  deepStrictEqual(noQueries(260_000), [
    { kind: "leave", group: G, ifindex: UP.ifindex, name: "up0" },
    { kind: "delMfc", source: S, group: G },
  ]);
});

Deno.test("two LANs with different LMQC: a leave on each ends at different times", () => {
  const once = { ...DN2, timers: { ...DEFAULT_TIMERS, lastMemberQueryCount: 1 } };
  const state = createProxy({ interfaces: [UP, DN1, once] });
  step(state, { kind: "start" }, 0);
  report(state, DN1.ifindex, "10.1.0.11", 0);
  report(state, DN2.ifindex, "10.2.0.11", 0);
  upcall(state, 0, S, 1);
  leave(state, DN1.ifindex, "10.1.0.11", 1000);
  leave(state, DN2.ifindex, "10.2.0.11", 1000);
  const at2000 = kernelActions(step(state, { kind: "tick" }, 2000));
  equal(queriesOn(at2000, DN1.ifindex).length, 1, "dn1 sends its second query");
  equal(queriesOn(at2000, DN2.ifindex).length, 0, "dn2 gave up after one");
  deepStrictEqual(at2000.filter((a) => a.kind !== "sendQuery"), [
    { kind: "addMfc", source: S, group: G, parent: 0, oifs: [{ vifi: 1, ttl: 1 }] },
  ]);
  deepStrictEqual(kernelActions(step(state, { kind: "tick" }, 3000)), [
    { kind: "leave", group: G, ifindex: UP.ifindex, name: "up0" },
    { kind: "delMfc", source: S, group: G },
  ]);
});

const LOCAL = { address: ip("239.255.0.0"), prefixLength: 16 };
const SCOPED = ip("239.255.1.1");

Deno.test("a downstream boundary: reports and leaves inside it are dropped as boundary", () => {
  const bounded = { ...DN1, boundaries: [LOCAL] };
  const state = createProxy({ interfaces: [UP, bounded, DN2], debug: true });
  step(state, { kind: "start" }, 0);
  const from = "10.1.0.11";
  const v1 = packet(state, {
    ifindex: DN1.ifindex,
    from,
    to: SCOPED,
    igmp: encodeV1Report(SCOPED),
  }, 0);
  deepStrictEqual(kernelActions(v1), []);
  deepStrictEqual(logLines(v1, "debug"), [
    'Dropped v1-report for 239.255.1.1 from 10.1.0.11 on "dn1": boundary',
  ]);
  packet(state, { ifindex: DN1.ifindex, from, to: SCOPED, igmp: encodeV2Report(SCOPED) }, 0);
  packet(state, { ifindex: DN1.ifindex, from, to: ip("224.0.0.2"), igmp: encodeLeave(SCOPED) }, 0);
  const v3 = encodeV3Report([
    { recordType: 4, group: SCOPED, sources: [] },
    { recordType: 4, group: G, sources: [] },
  ]);
  const mixed = kernelActions(
    packet(state, { ifindex: DN1.ifindex, from, to: ip("224.0.0.22"), igmp: v3 }, 0),
  );
  deepStrictEqual(mixed, [{ kind: "join", group: G, ifindex: UP.ifindex, name: "up0" }]);
  deepStrictEqual(Object.fromEntries(state.counters.drops), { boundary: 4 });
  deepStrictEqual([...state.vifs.get(1)!.groups.keys()], [G], "only the unscoped group");
  deepStrictEqual([...state.upstreamJoined], [G]);
  // The same group is proxied as usual on a LAN without that boundary.
  deepStrictEqual(
    kernelActions(packet(state, {
      ifindex: DN2.ifindex,
      from: "10.2.0.11",
      to: SCOPED,
      igmp: encodeV2Report(SCOPED),
    }, 1)),
    [{ kind: "join", group: SCOPED, ifindex: UP.ifindex, name: "up0" }],
  );
});

Deno.test("a downstream boundary keeps the VIF out of the entry even with members", () => {
  const state = createProxy({ interfaces: [UP, DN1, DN2] });
  step(state, { kind: "start" }, 0);
  report(state, DN1.ifindex, "10.1.0.11", 0);
  report(state, DN2.ifindex, "10.2.0.11", 0);
  // Defensive: a boundary that appears while members exist still keeps the data off dn1.
  state.vifs.get(1)!.boundaries = [{ address: ip("239.1.0.0"), prefixLength: 16 }];
  deepStrictEqual(kernelActions(upcall(state, 0, S, 1)), [
    { kind: "addMfc", source: S, group: G, parent: 0, oifs: [{ vifi: 2, ttl: 1 }] },
  ]);
});

Deno.test("an upstream boundary: no upstream join, upcalls dropped as boundary", () => {
  const bounded = { ...UP, boundaries: [LOCAL] };
  const state = createProxy({ interfaces: [bounded, DN1, DN2] });
  step(state, { kind: "start" }, 0);
  const join = packet(state, {
    ifindex: DN1.ifindex,
    from: "10.1.0.11",
    to: SCOPED,
    igmp: encodeV2Report(SCOPED),
  }, 0);
  deepStrictEqual(kernelActions(join), [], "no upstream join");
  ok(state.members.get(SCOPED)?.has(1), "the LAN's membership is still tracked");
  equal(state.upstreamJoined.size, 0);
  const up = step(state, {
    kind: "upcall",
    msgtype: IGMPMSG_NOCACHE,
    vif: 0,
    source: S,
    group: SCOPED,
  }, 1);
  deepStrictEqual(kernelActions(up), []);
  equal(state.sources.size, 0);
  equal(state.counters.upcalls, 0);
  deepStrictEqual(Object.fromEntries(state.counters.drops), { boundary: 1 });
  // Leaving: nothing to leave upstream.
  packet(state, {
    ifindex: DN1.ifindex,
    from: "10.1.0.11",
    to: ip("224.0.0.2"),
    igmp: encodeLeave(SCOPED),
  }, 1000);
  step(state, { kind: "tick" }, 2000);
  deepStrictEqual(kernelActions(step(state, { kind: "tick" }, 3000)), []);
  equal(state.members.size, 0);
  // Groups outside the boundary are proxied as usual.
  deepStrictEqual(kernelActions(report(state, DN1.ifindex, "10.1.0.11", 4000)), [
    { kind: "join", group: G, ifindex: UP.ifindex, name: "up0" },
  ]);
});

Deno.test("start logs boundaries and the timers that differ from the defaults", () => {
  const up = { ...UP, boundaries: [LOCAL] };
  const dn1 = {
    ...DN1,
    boundaries: [LOCAL, { address: ip("239.192.0.0"), prefixLength: 14 }],
    timers: { ...DEFAULT_TIMERS, queryInterval: 30_000, lastMemberQueryInterval: 500 },
  };
  const state = createProxy({ interfaces: [up, dn1, DN2] });
  deepStrictEqual(logLines(step(state, { kind: "start" }, 0), "info"), [
    'Interface "up0" is upstream as VIF 0, address 10.0.0.1, threshold 1, boundary ' +
    "239.255.0.0/16",
    'Interface "dn1" is downstream as VIF 1, address 10.1.0.1, threshold 1, boundaries ' +
    "239.255.0.0/16 239.192.0.0/14",
    'Interface "dn1" runs with query-interval 30s, last-member-query-interval 0.5s',
    'Interface "dn2" is downstream as VIF 2, address 10.2.0.1, threshold 1',
  ]);
});

Deno.test("threshold: the VIF and the entry's oif get it", () => {
  const state = createProxy({ interfaces: [UP, { ...DN1, threshold: 5 }, DN2] });
  const addVif = step(state, { kind: "start" }, 0).find((a) => a.kind === "addVif" && a.vifi === 1);
  ok(addVif?.kind === "addVif" && addVif.threshold === 5);
  report(state, DN1.ifindex, "10.1.0.11", 0);
  report(state, DN2.ifindex, "10.2.0.11", 0);
  deepStrictEqual(kernelActions(upcall(state, 0, S, 1)), [
    {
      kind: "addMfc",
      source: S,
      group: G,
      parent: 0,
      oifs: [{ vifi: 1, ttl: 5 }, { vifi: 2, ttl: 1 }],
    },
  ]);
});

// Interfaces that come and go while the proxy runs.

Deno.test("createProxy: no interface or no upstream is valid; two upstreams or 33 are not", () => {
  const empty = createProxy({ interfaces: [] });
  equal(empty.upstream, undefined);
  deepStrictEqual(step(empty, { kind: "start" }, 0), []);
  equal(nextDeadline(empty), Infinity);
  const lansOnly = createProxy({ interfaces: [DN1, DN2] });
  equal(lansOnly.upstream, undefined);
  deepStrictEqual(describe(step(lansOnly, { kind: "start" }, 0)), [
    "addVif 0 dn1",
    "join 224.0.0.2 dn1",
    "join 224.0.0.22 dn1",
    "addVif 1 dn2",
    "join 224.0.0.2 dn2",
    "join 224.0.0.22 dn2",
    "query dn1",
    "query dn2",
  ]);
  throws(() => createProxy({ interfaces: [UP, { ...UP, name: "up1", ifindex: 20 }] }), RangeError);
  const many = Array.from({ length: 33 }, (_, i) => ({ ...DN1, name: `dn${i}`, ifindex: 100 + i }));
  throws(() => createProxy({ interfaces: many }), RangeError);
});

Deno.test("interface-up downstream: next VIF, listens on 224.0.0.2/22, queries at once, logs", () => {
  const state = createProxy({ interfaces: [UP, DN1] });
  step(state, { kind: "start" }, 0);
  const timers = { ...DEFAULT_TIMERS, queryInterval: 60_000, startupQueryInterval: 15_000 };
  const actions = up(state, { ...DN2, timers }, 500);
  deepStrictEqual(describe(actions), [
    "addVif 2 dn2",
    "join 224.0.0.2 dn2",
    "join 224.0.0.22 dn2",
    "query dn2",
  ]);
  deepStrictEqual(logLines(actions, "info"), [
    'Interface "dn2" appeared: downstream as VIF 2, address 10.2.0.1, threshold 1',
    'Interface "dn2" runs with query-interval 60s, startup-query-interval 15s',
  ]);
  equal(state.vifs.get(2)?.startupQueriesLeft, 1, "the rest of the startup queries follow");
  equal(nextDeadline(state), 500 + 15_000, "Startup Query Interval = QI / 4 on dn2");
  equal(state.byIfindex.get(DN2.ifindex)?.vifi, 2);
  // Its members are proxied like any other LAN's.
  deepStrictEqual(describe(report(state, DN2.ifindex, "10.2.0.11", 600)), ["join 239.1.1.1 up0"]);
  deepStrictEqual(describe(upcall(state, 0, S, 700)), ["addMfc 10.0.0.2 239.1.1.1 from 0 to 2"]);
});

Deno.test("interface-down downstream: memberships end and entries shrink before delVif", () => {
  const state = proxy();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  report(state, DN2.ifindex, "10.2.0.11", 0);
  reportFor(state, G2, { ifindex: DN2.ifindex, from: "10.2.0.11" }, 0);
  upcall(state, 0, S, 1);
  step(state, { kind: "upcall", msgtype: IGMPMSG_NOCACHE, vif: 0, source: S, group: G2 }, 1);
  const actions = down(state, "dn2", 2, "no longer exists");
  deepStrictEqual(describe(actions), [
    "addMfc 10.0.0.2 239.1.1.1 from 0 to 1",
    "leave 239.1.1.2 up0",
    "delMfc 10.0.0.2 239.1.1.2",
    "leave 224.0.0.2 dn2",
    "leave 224.0.0.22 dn2",
    "delVif 2 dn2",
  ]);
  deepStrictEqual(logLines(actions, "info"), [
    'Interface "dn2" is gone (no longer exists): VIF 2 removed',
  ]);
  deepStrictEqual([...state.vifs.keys()], [0, 1]);
  equal(state.byIfindex.has(DN2.ifindex), false);
  deepStrictEqual([...state.upstreamJoined], [G]);
  deepStrictEqual([...state.members.get(G)!], [1]);
  equal(state.members.has(G2), false);
  // Its reports are no longer proxied; its timers no longer run.
  report(state, DN2.ifindex, "10.2.0.12", 3);
  equal(state.counters.drops.get("not-proxied-interface"), 1);
  ok(nextDeadline(state) <= 31_250, "dn1's queries still run");
  deepStrictEqual(describe(down(state, "dn2", 4)), [], "a second down changes nothing");
});

Deno.test("interface-up takes the lowest free VIF number; the 33rd gets none", () => {
  const state = proxy();
  down(state, "dn1", 1);
  deepStrictEqual(describe(up(state, DN3, 2)).slice(0, 1), ["addVif 1 dn3"]);
  const many = Array.from(
    { length: 29 },
    (_, i) => ({ ...DN1, name: `lan${i}`, ifindex: 100 + i, address: ip(`10.9.${i}.1`) }),
  );
  for (const iface of many) up(state, iface, 3);
  equal(state.vifs.size, 32);
  const full = up(state, { ...DN1, name: "lan99", ifindex: 199 }, 4);
  deepStrictEqual(describe(full), []);
  deepStrictEqual(logLines(full, "info"), []);
  ok(full.some((a) =>
    a.kind === "log" && a.level === "warn" &&
    a.message === 'Interface "lan99" appeared but all 32 VIFs are in use: not used'
  ));
});

Deno.test("interface-up: a name or index already in use, or a second upstream, is not used", () => {
  const state = proxy();
  const warnings = (actions: Action[]) =>
    actions.flatMap((a) => a.kind === "log" && a.level === "warn" ? [a.message] : []);
  const again = up(state, { ...DN2, ifindex: 42 }, 1);
  deepStrictEqual(describe(again), []);
  deepStrictEqual(warnings(again), [
    'Interface "dn2" appeared but "dn2" already is VIF 2: not used',
  ]);
  const second = up(state, { ...UP, name: "up1", ifindex: 20, address: ip("10.9.0.1") }, 1);
  deepStrictEqual(describe(second), []);
  deepStrictEqual(warnings(second), [
    'Interface "up1" appeared as upstream but "up0" already is the upstream: not used',
  ]);
  equal(state.vifs.size, 3);
});

Deno.test("interface-down upstream: its entries and joins go, the LANs' memberships stay", () => {
  const state = proxy();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  reportFor(state, G2, { ifindex: DN2.ifindex, from: "10.2.0.11" }, 0);
  upcall(state, 0, S, 1);
  upcall(state, 0, ip("10.0.0.3"), 1);
  const actions = down(state, "up0", 2, "no longer exists");
  deepStrictEqual(describe(actions), [
    "delMfc 10.0.0.2 239.1.1.1",
    "delMfc 10.0.0.3 239.1.1.1",
    "leave 239.1.1.1 up0",
    "leave 239.1.1.2 up0",
    "delVif 0 up0",
  ]);
  deepStrictEqual(logLines(actions, "info"), [
    'Interface "up0" is gone (no longer exists): VIF 0 removed, 2 forwarding entries and 2 ' +
    "upstream memberships dropped; nothing from upstream is forwarded until it is back",
  ]);
  equal(state.upstream, undefined);
  equal(state.sources.size, 0, "sources seen upstream are forgotten");
  equal(state.upstreamJoined.size, 0);
  deepStrictEqual([...state.members.keys()], [G, G2], "memberships are kept");
  // Without an upstream: upcalls for its old VIF are dropped, reports join nothing upstream.
  deepStrictEqual(describe(upcall(state, 0, S, 3)), []);
  equal(state.counters.drops.get("upcall-unknown-vif"), 1);
  deepStrictEqual(describe(report(state, DN2.ifindex, "10.2.0.11", 4)), []);
  // Leaves still end memberships.
  leave(state, DN2.ifindex, "10.2.0.11", 5);
  step(state, { kind: "tick" }, 1005);
  deepStrictEqual(describe(step(state, { kind: "tick" }, 2005)), []);
  deepStrictEqual([...state.members.get(G)!], [1]);
  // Back, with a new index: every group a LAN still wants is joined there.
  const back = up(state, { ...UP, ifindex: 20 }, 3000);
  deepStrictEqual(describe(back), [
    "addVif 0 up0",
    "join 239.1.1.1 up0",
    "join 239.1.1.2 up0",
  ]);
  ok(back.every((a) => a.kind !== "join" || a.ifindex === 20));
  deepStrictEqual(logLines(back, "info"), [
    'Interface "up0" appeared: upstream as VIF 0, address 10.0.0.1, threshold 1',
    'Joined 2 groups on "up0" for the LANs',
  ]);
  equal(state.vifs.get(0)?.ifindex, 20);
  equal(state.byIfindex.get(20)?.role, "upstream");
  deepStrictEqual(describe(upcall(state, 0, S, 3001)), [
    "addMfc 10.0.0.2 239.1.1.1 from 0 to 1",
  ]);
  deepStrictEqual(
    describe(
      upcall(state, 0, S, 3002).concat(
        step(
          state,
          { kind: "upcall", msgtype: IGMPMSG_NOCACHE, vif: 0, source: S, group: G2 },
          3002,
        ),
      ),
    ),
    ["addMfc 10.0.0.2 239.1.1.1 from 0 to 1", "addMfc 10.0.0.2 239.1.1.2 from 0 to 2"],
  );
});

Deno.test("no upstream at start: memberships are kept and joined when it appears, boundaries too", () => {
  const state = createProxy({ interfaces: [DN1, DN2] });
  step(state, { kind: "start" }, 0);
  deepStrictEqual(describe(report(state, DN1.ifindex, "10.1.0.11", 1)), []);
  deepStrictEqual(
    describe(reportFor(state, SCOPED, { ifindex: DN2.ifindex, from: "10.2.0.11" }, 1)),
    [],
  );
  deepStrictEqual([...state.members.keys()], [G, SCOPED]);
  const actions = up(state, { ...UP, boundaries: [LOCAL] }, 2);
  deepStrictEqual(describe(actions), ["addVif 2 up0", "join 239.1.1.1 up0"]);
  deepStrictEqual([...state.upstreamJoined], [G], "not the group inside the upstream boundary");
  deepStrictEqual(describe(upcall(state, 2, S, 3)), ["addMfc 10.0.0.2 239.1.1.1 from 2 to 0"]);
  const stopped = describe(step(state, { kind: "stop" }, 4));
  deepStrictEqual(stopped, [
    "delMfc 10.0.0.2 239.1.1.1",
    "leave 239.1.1.1 up0",
    "leave 224.0.0.2 dn1",
    "leave 224.0.0.22 dn1",
    "delVif 0 dn1",
    "leave 224.0.0.2 dn2",
    "leave 224.0.0.22 dn2",
    "delVif 1 dn2",
    "delVif 2 up0",
  ]);
});

Deno.test("stop after interfaces came and went removes only what is there", () => {
  const state = proxy();
  down(state, "dn1", 1);
  up(state, DN3, 2);
  down(state, "up0", 3);
  const stopped = describe(step(state, { kind: "stop" }, 4));
  deepStrictEqual(stopped, [
    "leave 224.0.0.2 dn2",
    "leave 224.0.0.22 dn2",
    "delVif 2 dn2",
    "leave 224.0.0.2 dn3",
    "leave 224.0.0.22 dn3",
    "delVif 1 dn3",
  ]);
  equal(nextDeadline(state), Infinity);
});

Deno.test("own addresses follow the interfaces", () => {
  const state = proxy();
  up(state, DN3, 1);
  report(state, DN1.ifindex, "10.3.0.1", 2);
  equal(state.counters.drops.get("own-packet"), 1);
  down(state, "dn3", 3);
  report(state, DN1.ifindex, "10.3.0.1", 4);
  equal(state.counters.drops.get("own-packet"), 1, "no longer ours");
  ok(state.members.get(G)?.has(1));
});

Deno.test("an address change is down then up: the LAN is queried again", () => {
  const state = proxy();
  report(state, DN2.ifindex, "10.2.0.11", 0);
  upcall(state, 0, S, 1);
  const actions = [
    ...down(state, "dn2", 2, "address changed: 10.2.0.1 to 10.2.0.5"),
    ...up(state, { ...DN2, address: ip("10.2.0.5") }, 2),
  ];
  deepStrictEqual(describe(actions), [
    "leave 239.1.1.1 up0",
    "delMfc 10.0.0.2 239.1.1.1",
    "leave 224.0.0.2 dn2",
    "leave 224.0.0.22 dn2",
    "delVif 2 dn2",
    "addVif 2 dn2",
    "join 224.0.0.2 dn2",
    "join 224.0.0.22 dn2",
    "query dn2",
  ]);
  deepStrictEqual(logLines(actions, "info"), [
    'Interface "dn2" is gone (address changed: 10.2.0.1 to 10.2.0.5): VIF 2 removed',
    'Interface "dn2" appeared: downstream as VIF 2, address 10.2.0.5, threshold 1',
  ]);
});
