// Per-interface settings: protocol timers, administrative boundaries and TTL thresholds.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createProxy, IGMPMSG_NOCACHE, nextDeadline, step } from "./proxy.ts";
import { DEFAULT_TIMERS } from "./timers.ts";
import {
  encodeLeave,
  encodeV1Report,
  encodeV2Report,
  encodeV3Report,
} from "../proto/igmp_encode.ts";
import { ip } from "../proto/testing.ts";
import {
  DN1,
  DN2,
  G,
  kernelActions,
  leave,
  logLines,
  maxRespTime,
  packet,
  queriesOn,
  report,
  S,
  UP,
  upcall,
} from "./proxy_testing.ts";

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
  deepStrictEqual([...state.upstreamJoined.keys()], [G]);
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
