// RFC 4605 section 4.2 forwarding: data from a LAN's own sources goes upstream and to the other
// LANs with members, never back out of its arrival interface; every change of membership,
// querier state or interface updates every affected entry.

import { deepStrictEqual, equal } from "node:assert/strict";
import { createProxy, MAX_SOURCES, type ProxyState, step } from "./proxy.ts";
import { encodeQuery } from "../proto/igmp_encode.ts";
import { ip } from "../proto/testing.ts";
import {
  describe,
  DN1,
  DN2,
  DN3,
  down,
  G,
  leave,
  logLines,
  packet,
  proxy,
  report,
  reportFor,
  S,
  UP,
  up,
  upcall,
} from "./proxy_testing.ts";

/** A sender on LAN 2. */
const H21 = ip("10.2.0.11");

function threeLans(): ProxyState {
  const state = createProxy({ interfaces: [UP, DN1, DN2, DN3] });
  step(state, { kind: "start" }, 0);
  return state;
}

Deno.test("a LAN's source goes upstream even with no member anywhere", () => {
  const state = proxy();
  deepStrictEqual(describe(upcall(state, 2, H21, 0)), ["addMfc 10.2.0.11 239.1.1.1 from 2 to 0"]);
});

Deno.test("a LAN's source goes upstream and to the other LANs with members, not back", () => {
  const state = threeLans();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  report(state, DN2.ifindex, "10.2.0.12", 0); // a member on the sender's own LAN
  deepStrictEqual(describe(upcall(state, 2, H21, 1)), [
    "addMfc 10.2.0.11 239.1.1.1 from 2 to 0,1",
  ]);
  // A third LAN joins: the entry grows; it leaves: the entry shrinks.
  deepStrictEqual(describe(report(state, DN3.ifindex, "10.3.0.11", 2)), [
    "addMfc 10.2.0.11 239.1.1.1 from 2 to 0,1,3",
  ]);
  leave(state, DN3.ifindex, "10.3.0.11", 3);
  step(state, { kind: "tick" }, 1003);
  deepStrictEqual(describe(step(state, { kind: "tick" }, 2003)), [
    "addMfc 10.2.0.11 239.1.1.1 from 2 to 0,1",
  ]);
});

Deno.test("several sources of one group, upstream and downstream, each get their entry", () => {
  const state = threeLans();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  report(state, DN2.ifindex, "10.2.0.12", 0);
  upcall(state, 0, S, 1);
  upcall(state, 0, ip("10.0.0.3"), 1);
  upcall(state, 2, H21, 1);
  upcall(state, 3, ip("10.3.0.11"), 1);
  // A new member on LAN 3 updates every entry but that of LAN 3's own source.
  deepStrictEqual(describe(report(state, DN3.ifindex, "10.3.0.12", 2)), [
    "addMfc 10.0.0.2 239.1.1.1 from 0 to 1,2,3",
    "addMfc 10.0.0.3 239.1.1.1 from 0 to 1,2,3",
    "addMfc 10.2.0.11 239.1.1.1 from 2 to 0,1,3",
  ]);
  equal(state.sources.get(G)?.get(ip("10.3.0.11"))?.installed?.key, "0:1,1:1,2:1");
});

Deno.test("losing the querier election takes the LAN out of downstream sources' entries too", () => {
  const state = threeLans();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  upcall(state, 2, H21, 1);
  const query = encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 2 });
  const lost = packet(state, {
    ifindex: DN1.ifindex,
    from: "10.1.0.0",
    to: ip("224.0.0.1"),
    igmp: query,
  }, 2);
  deepStrictEqual(describe(lost), ["addMfc 10.2.0.11 239.1.1.1 from 2 to 0"]);
});

Deno.test("a LAN's source must be on its subnets or a configured source", () => {
  const state = proxy();
  deepStrictEqual(describe(upcall(state, 2, ip("172.16.0.1"), 0)), []);
  equal(state.counters.drops.get("source-not-admitted"), 1);
  const configured = createProxy({
    interfaces: [UP, DN1, { ...DN2, sources: [{ address: ip("172.16.0.0"), prefixLength: 12 }] }],
  });
  step(configured, { kind: "start" }, 0);
  deepStrictEqual(describe(upcall(configured, 2, ip("172.16.0.1"), 0)), [
    "addMfc 172.16.0.1 239.1.1.1 from 2 to 0",
  ]);
});

Deno.test("boundaries: a LAN's source stays inside its own boundary and the upstream's", () => {
  const LOCAL = { address: ip("239.255.0.0"), prefixLength: 16 };
  const SCOPED = ip("239.255.1.1");
  const bounded = createProxy({ interfaces: [UP, DN1, { ...DN2, boundaries: [LOCAL] }] });
  step(bounded, { kind: "start" }, 0);
  step(bounded, { kind: "upcall", msgtype: 1, vif: 2, source: H21, group: SCOPED }, 0);
  equal(bounded.counters.drops.get("boundary"), 1, "the arrival LAN's boundary");
  const upBounded = createProxy({ interfaces: [{ ...UP, boundaries: [LOCAL] }, DN1, DN2] });
  step(upBounded, { kind: "start" }, 0);
  report(upBounded, DN1.ifindex, "10.1.0.11", 0);
  reportFor(upBounded, SCOPED, { ifindex: DN1.ifindex, from: "10.1.0.11" }, 0);
  deepStrictEqual(
    describe(
      step(upBounded, { kind: "upcall", msgtype: 1, vif: 2, source: H21, group: SCOPED }, 1),
    ),
    ["addMfc 10.2.0.11 239.255.1.1 from 2 to 1"],
    "not upstream through its boundary, but to the LAN that wants it",
  );
});

Deno.test("the upstream going away and coming back updates downstream sources' entries", () => {
  const state = threeLans();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  upcall(state, 2, H21, 1);
  upcall(state, 0, S, 1);
  const gone = down(state, "up0", 2, "no longer exists");
  deepStrictEqual(describe(gone), [
    "delMfc 10.0.0.2 239.1.1.1",
    "leave 239.1.1.1 up0",
    "addMfc 10.2.0.11 239.1.1.1 from 2 to 1",
    "delVif 0 up0",
  ]);
  deepStrictEqual(describe(up(state, UP, 3)), [
    "addVif 0 up0",
    "join 239.1.1.1 up0",
    "addMfc 10.2.0.11 239.1.1.1 from 2 to 0,1",
  ]);
});

Deno.test("a LAN going away takes its sources' entries with it, before its VIF", () => {
  const state = threeLans();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  upcall(state, 2, H21, 1);
  const gone = down(state, "dn2", 2, "no longer exists");
  deepStrictEqual(describe(gone), [
    "delMfc 10.2.0.11 239.1.1.1",
    "leave 224.0.0.2 dn2",
    "leave 224.0.0.22 dn2",
    "delVif 2 dn2",
  ]);
  deepStrictEqual(logLines(gone, "info"), [
    'Interface "dn2" is gone (no longer exists): VIF 2 removed, 1 forwarding entry of its ' +
    "sources dropped",
  ]);
  equal(state.sources.size, 0);
});

Deno.test("entries that forward nothing between two samples are removed; busy ones stay", () => {
  const state = createProxy({ interfaces: [UP, DN1, DN2], sourceLifetime: 60_000 });
  step(state, { kind: "start" }, 0);
  report(state, DN1.ifindex, "10.1.0.11", 0);
  upcall(state, 0, S, 1); // upstream source, to LAN 1
  upcall(state, 2, H21, 1); // LAN 2's source, upstream and to LAN 1
  // The sweep, half a lifetime later, asks for the counters of both entries.
  const sample = step(state, { kind: "tick" }, 30_001).filter((a) => a.kind === "sampleMfc");
  deepStrictEqual(sample, [{
    kind: "sampleMfc",
    entries: [{ source: S, group: G }, { source: H21, group: G }],
  }]);
  const counts = (s: number, h: number) => ({
    kind: "mfc-counters" as const,
    counts: [{ source: S, group: G, packets: s }, { source: H21, group: G, packets: h }],
  });
  deepStrictEqual(describe(step(state, counts(500, 40), 30_001)), [], "first sample: kept");
  // 30 s later: S still sends, H21 has been silent.
  deepStrictEqual(describe(step(state, counts(900, 40), 60_001)), ["delMfc 10.2.0.11 239.1.1.1"]);
  equal(state.sources.get(G)?.get(H21)?.installed, undefined);
  // Unreadable counts change nothing.
  deepStrictEqual(
    describe(step(state, { kind: "mfc-counters", counts: [{ source: S, group: G }] }, 60_002)),
    [],
  );
  // H21 sends again: the kernel asks, the entry is back; a new entry is sampled afresh.
  deepStrictEqual(describe(upcall(state, 2, H21, 61_000)), [
    "addMfc 10.2.0.11 239.1.1.1 from 2 to 0,1",
  ]);
  deepStrictEqual(describe(step(state, counts(900, 0), 90_001)), ["delMfc 10.0.0.2 239.1.1.1"]);
  equal(state.sources.get(G)?.get(H21)?.installed?.key, "0:1,1:1", "sampled once: kept");
  // A source without an entry is forgotten a lifetime after its entry went.
  step(state, { kind: "tick" }, 150_001);
  equal(state.sources.get(G)?.has(S), false);
  equal(state.sourceCount, 1);
});

Deno.test("past MAX_SOURCES pairs, data of new ones is dropped with one warning a minute", () => {
  const state = proxy();
  for (let i = 0; i < MAX_SOURCES; i++) {
    step(
      state,
      { kind: "upcall", msgtype: 1, vif: 2, source: H21, group: (0xef100000 + i) >>> 0 },
      0,
    );
  }
  equal(state.sourceCount, MAX_SOURCES);
  const over = upcall(state, 2, H21, 1);
  deepStrictEqual(describe(over), []);
  equal(state.counters.drops.get("source-limit"), 1);
  equal(over.filter((a) => a.kind === "log" && a.level === "warn").length, 1);
  equal(upcall(state, 2, ip("10.2.0.12"), 2).filter((a) => a.kind === "log").length, 0);
  // Known pairs still work: a LAN joining updates their entries.
  const g0 = 0xef100000;
  deepStrictEqual(describe(reportFor(state, g0, { ifindex: DN1.ifindex, from: "10.1.0.11" }, 3)), [
    "join 239.16.0.0 up0",
    "addMfc 10.2.0.11 239.16.0.0 from 2 to 0,1",
  ]);
});
