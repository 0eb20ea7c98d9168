import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Action } from "./actions.ts";
import {
  createProxy,
  IGMPMSG_NOCACHE,
  nextDeadline,
  type ProxyInterface,
  type ProxyState,
  step,
} from "./proxy.ts";
import { DEFAULT_TIMERS } from "./timers.ts";
import {
  decodeIgmp,
  encodeLeave,
  encodeQuery,
  encodeV1Report,
  encodeV2Report,
  encodeV3Report,
} from "../proto/igmp.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";

const UP: ProxyInterface = {
  name: "up0",
  ifindex: 10,
  role: "upstream",
  address: ip("10.0.0.1"),
  subnets: [{ address: ip("10.0.0.0"), prefixLength: 24 }],
  sources: [{ address: ip("192.0.2.0"), prefixLength: 24 }],
  threshold: 1,
};
const DN1: ProxyInterface = {
  name: "dn1",
  ifindex: 11,
  role: "downstream",
  address: ip("10.1.0.1"),
  subnets: [{ address: ip("10.1.0.0"), prefixLength: 24 }],
  sources: [],
  threshold: 1,
};
const DN2: ProxyInterface = { ...DN1, name: "dn2", ifindex: 12, address: ip("10.2.0.1") };
const G = ip("239.1.1.1");
const S = ip("10.0.0.2");

function proxy(): ProxyState {
  const state = createProxy({ interfaces: [UP, DN1, DN2], timers: DEFAULT_TIMERS });
  step(state, { kind: "start" }, 0);
  return state;
}

function packet(
  state: ProxyState,
  opts: { ifindex: number; from: string; to: number; igmp: Uint8Array },
  now: number,
): Action[] {
  const data = buildIPv4Packet({ source: ip(opts.from), destination: opts.to, payload: opts.igmp });
  return step(state, { kind: "packet", ifindex: opts.ifindex, data, length: data.length }, now);
}

function report(state: ProxyState, ifindex: number, from: string, now: number): Action[] {
  return packet(state, { ifindex, from, to: G, igmp: encodeV2Report(G) }, now);
}

function leave(state: ProxyState, ifindex: number, from: string, now: number): Action[] {
  return packet(state, { ifindex, from, to: ip("224.0.0.2"), igmp: encodeLeave(G) }, now);
}

function upcall(state: ProxyState, vif: number, source: number, now: number): Action[] {
  return step(state, { kind: "upcall", msgtype: IGMPMSG_NOCACHE, vif, source, group: G }, now);
}

function kernelActions(actions: Action[]): Action[] {
  return actions.filter((a) => a.kind !== "log");
}

Deno.test("start: VIFs in order, listens on 224.0.0.2/22 downstream, queries at once", () => {
  const state = createProxy({ interfaces: [UP, DN1, DN2], timers: DEFAULT_TIMERS });
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
      "sendIgmp",
      "sendIgmp",
    ],
  );
  const q = actions.filter((a) => a.kind === "sendIgmp");
  for (const a of q) {
    if (a.kind !== "sendIgmp") continue;
    equal(a.destination, ip("224.0.0.1"));
    const m = decodeIgmp(a.igmp, 0, a.igmp.length);
    ok(m.ok && m.value.type === "query" && m.value.group === 0);
    ok(m.ok && m.value.type === "query" && m.value.maxRespTimeMs === 10_000);
  }
});

Deno.test("general queries: Startup Query Count at the startup interval, then every QI", () => {
  const state = proxy();
  equal(nextDeadline(state), 31_250);
  const sent = (now: number) =>
    step(state, { kind: "tick" }, now).filter((a) => a.kind === "sendIgmp").length;
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
  ok(q.kind === "sendIgmp" && q.destination === G && q.ifindex === DN1.ifindex);
  const m = decodeIgmp(q.igmp, 0, q.igmp.length);
  ok(m.ok && m.value.type === "query" && m.value.group === G && m.value.maxRespTimeMs === 1000);
  equal(nextDeadline(state), 2000);
  deepStrictEqual(
    kernelActions(step(state, { kind: "tick" }, 2000)).map((a) => a.kind),
    ["sendIgmp"],
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
  deepStrictEqual(q.map((a) => a.kind), ["sendIgmp"]);
});

Deno.test("drops: bad packets, own packets, link-local groups, upstream reports, sources", () => {
  const state = proxy();
  const bad = buildIPv4Packet({
    source: ip("10.1.0.11"),
    destination: G,
    payload: encodeV2Report(G),
  });
  bad[bad.length - 1] ^= 0xff; // corrupt the IGMP checksum
  step(state, { kind: "packet", ifindex: DN1.ifindex, data: bad, length: bad.length }, 0);
  report(state, DN1.ifindex, "10.1.0.1", 0); // our own address
  const ll = ip("224.0.0.251");
  packet(state, { ifindex: DN1.ifindex, from: "10.1.0.11", to: ll, igmp: encodeV2Report(ll) }, 0);
  report(state, UP.ifindex, "10.0.0.2", 0);
  report(state, 99, "10.9.0.2", 0);
  packet(state, {
    ifindex: DN1.ifindex,
    from: "10.1.0.11",
    to: ip("224.0.0.1"),
    igmp: encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 2 }),
  }, 0);
  packet(state, {
    ifindex: DN1.ifindex,
    from: "10.1.0.11",
    to: ip("239.9.9.9"),
    igmp: encodeV2Report(G),
  }, 0);
  upcall(state, 0, ip("172.16.0.1"), 0); // not in the upstream subnet nor a `source`
  upcall(state, 1, ip("10.1.0.11"), 0); // downstream source: not yet forwarded
  deepStrictEqual(Object.fromEntries(state.counters.drops), {
    "bad-igmp-checksum": 1,
    "own-packet": 1,
    "link-local-group": 1,
    "on-upstream": 1,
    "not-proxied-interface": 1,
    "query-from-other-router": 1,
    "report-group-mismatch": 1,
    "source-not-admitted": 1,
    "downstream-source": 1,
  });
  equal(state.members.size, 0);
  equal(state.upstreamJoined.size, 0);
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
    timers: DEFAULT_TIMERS,
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
