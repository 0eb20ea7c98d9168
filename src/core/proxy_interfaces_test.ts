// Interfaces coming and going while the proxy runs, and the interface lists it accepts.

import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import type { Action } from "./actions.ts";
import { createProxy, IGMPMSG_NOCACHE, nextDeadline, step } from "./proxy.ts";
import { DEFAULT_TIMERS } from "./timers.ts";
import { ip } from "../proto/testing.ts";
import {
  describe,
  DN1,
  DN2,
  DN3,
  down,
  G,
  G2,
  leave,
  logLines,
  proxy,
  report,
  reportFor,
  S,
  UP,
  up,
  upcall,
} from "./proxy_testing.ts";

// Interfaces that come and go while the proxy runs.

const LOCAL = { address: ip("239.255.0.0"), prefixLength: 16 };
const SCOPED = ip("239.255.1.1");

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
  deepStrictEqual([...state.upstreamJoined.keys()], [G]);
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
  deepStrictEqual(
    [...state.upstreamJoined.keys()],
    [G],
    "not the group inside the upstream boundary",
  );
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
  // Now it is any host's address outside the LAN's subnet (RFC 3376 section 9.2).
  equal(state.counters.drops.get("report-off-subnet"), 1);
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
