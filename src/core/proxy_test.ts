import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createProxy, nextDeadline, step } from "./proxy.ts";
import { decodeIgmp } from "../proto/igmp.ts";
import { encodeV1Report, encodeV3Report } from "../proto/igmp_encode.ts";
import { ip } from "../proto/testing.ts";
import {
  DN1,
  DN2,
  G,
  kernelActions,
  leave,
  packet,
  proxy,
  report,
  S,
  UP,
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
  // The retransmission still goes out, with the S flag (RFC 3376 section 6.6.3.1): the group
  // timer is above LMQT again.
  const retransmit = kernelActions(step(state, { kind: "tick" }, 2000));
  equal(retransmit.length, 1);
  ok(retransmit[0].kind === "sendQuery" && (retransmit[0].message[8] & 0x08) !== 0);
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
