// `reconfigure`: a reloaded configuration changes an interface in use without taking its VIF
// down: memberships and entries that stay valid are kept, the rest is undone.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Action } from "./actions.ts";
import { type ProxyInterface, type ProxyState, step } from "./proxy.ts";
import { ip } from "../proto/testing.ts";
import {
  describe,
  DN1,
  DN2,
  G,
  logLines,
  proxy,
  queriesOn,
  report,
  S,
  UP,
  upcall,
} from "./proxy_testing.ts";
import { DEFAULT_TIMERS } from "./timers.ts";

function reconfigure(state: ProxyState, iface: ProxyInterface, now: number): Action[] {
  return step(state, { kind: "reconfigure", iface }, now);
}

/** A proxy forwarding (S, G) from upstream to LAN 1. */
function streaming(): ProxyState {
  const state = proxy();
  report(state, DN1.ifindex, "10.1.0.11", 1);
  upcall(state, 0, S, 2);
  return state;
}

Deno.test("unchanged settings: nothing happens, not even a log line", () => {
  const state = streaming();
  deepStrictEqual(reconfigure(state, { ...DN1 }, 10), []);
  deepStrictEqual(reconfigure(state, { ...UP }, 10), []);
});

Deno.test("a new threshold updates the entries onto the interface in place", () => {
  const state = streaming();
  const out = reconfigure(state, { ...DN1, threshold: 8 }, 10);
  deepStrictEqual(logLines(out, "info"), [
    'Interface "dn1" keeps VIF 1 with new settings: threshold 1 -> 8',
  ]);
  const adds = out.filter((a) => a.kind === "addMfc");
  deepStrictEqual(adds.map((a) => a.kind === "addMfc" ? a.oifs : []), [[{ vifi: 1, ttl: 8 }]]);
  deepStrictEqual(describe(out), ["addMfc 10.0.0.2 239.1.1.1 from 0 to 1"]);
  equal(state.vifs.get(1)!.threshold, 8);
  // The membership is still there: no join, no leave.
  deepStrictEqual([...state.members.get(G)!], [1]);
});

Deno.test("a downstream boundary over a joined group ends its membership and its forwarding", () => {
  const state = streaming();
  const out = reconfigure(
    state,
    { ...DN1, boundaries: [{ address: ip("239.1.0.0"), prefixLength: 16 }] },
    10,
  );
  deepStrictEqual(describe(out), ["leave 239.1.1.1 up0", "delMfc 10.0.0.2 239.1.1.1"]);
  equal(state.members.has(G), false);
  equal(state.vifs.get(1)!.groups.has(G), false);
  // Reports for it are ignored from now on.
  deepStrictEqual(describe(report(state, DN1.ifindex, "10.1.0.11", 20)), []);
});

Deno.test("an upstream boundary leaves the group and drops its upstream sources; lifting it joins", () => {
  const state = streaming();
  const bounded = { ...UP, boundaries: [{ address: ip("239.1.1.0"), prefixLength: 24 }] };
  deepStrictEqual(describe(reconfigure(state, bounded, 10)), [
    "delMfc 10.0.0.2 239.1.1.1",
    "leave 239.1.1.1 up0",
  ]);
  equal(state.sources.has(G), false);
  // LAN 1 still has its member: when the boundary goes, the group is joined again.
  deepStrictEqual([...state.members.get(G)!], [1]);
  deepStrictEqual(describe(reconfigure(state, { ...UP }, 20)), ["join 239.1.1.1 up0"]);
});

Deno.test("sources no longer admitted are forgotten with their entries", () => {
  const state = proxy();
  report(state, DN1.ifindex, "10.1.0.11", 1);
  const far = ip("192.0.2.7"); // admitted upstream by UP's `source 192.0.2.0/24`
  upcall(state, 0, far, 2);
  upcall(state, 0, S, 3);
  const out = reconfigure(state, { ...UP, sources: [] }, 10);
  deepStrictEqual(describe(out), ["delMfc 192.0.2.7 239.1.1.1"]);
  ok(logLines(out, "info")[0].includes("sources 192.0.2.0/24 -> none"));
  deepStrictEqual([...state.sources.get(G)!.keys()], [S]);
});

Deno.test("a shorter query interval brings the next general query closer", () => {
  const state = proxy();
  // Past the startup queries: the next general query is 125 s after the last one.
  let t = 0;
  for (; t < 200_000; t += 1000) step(state, { kind: "tick" }, t);
  const before = state.vifs.get(1)!.nextGeneralQuery;
  ok(before > t + 10_000, `next query at ${before}, now ${t}`);
  const timers = { ...DEFAULT_TIMERS, queryInterval: 10_000 };
  const out = reconfigure(state, { ...DN1, timers }, t);
  deepStrictEqual(logLines(out, "info"), [
    'Interface "dn1" keeps VIF 1 with new settings: query-interval 125s -> 10s',
  ]);
  equal(state.vifs.get(1)!.nextGeneralQuery, t + 10_000);
  equal(queriesOn(step(state, { kind: "tick" }, t + 10_000), DN1.ifindex).length, 1);
  // LAN 2 keeps its own schedule.
  equal(state.vifs.get(2)!.nextGeneralQuery, before);
});

Deno.test("a new role takes the interface down and up again", () => {
  const state = streaming();
  const out = reconfigure(state, { ...DN2, role: "upstream" }, 10);
  ok(
    logLines(out, "info").some((l) =>
      l.startsWith('Interface "dn2" is gone (it is upstream in the new configuration)')
    ),
    logLines(out, "info").join("\n"),
  );
  // Up0 is still the upstream: the new one is refused, and says so.
  ok(out.some((a) => a.kind === "log" && a.level === "warn" && a.message.includes("not used")));
  equal(state.vifs.get(2), undefined);
});

Deno.test("an interface not in use is ignored", () => {
  const state = proxy();
  deepStrictEqual(reconfigure(state, { ...DN1, name: "dn9", threshold: 5 }, 10), []);
});

Deno.test("a LAN's querier version: logged, and the next general query is in it", () => {
  const state = streaming();
  const out = reconfigure(state, { ...DN1, queryVersion: 2 }, 10);
  deepStrictEqual(logLines(out, "info"), [
    'Interface "dn1" keeps VIF 1 with new settings: querier IGMPv3 -> IGMPv2',
  ]);
  const next = step(state, { kind: "tick" }, 1e9);
  const q = queriesOn(next, DN1.ifindex)[0];
  ok(q?.kind === "sendQuery");
  equal(q.message.length, 8);
});

Deno.test("timers taken from another querier are not a setting a reload changes", () => {
  const state = streaming();
  state.vifs.get(1)!.timers = { ...DEFAULT_TIMERS, robustness: 3 };
  deepStrictEqual(reconfigure(state, { ...DN1 }, 10), []);
});
