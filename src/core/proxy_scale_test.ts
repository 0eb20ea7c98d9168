// Thousands of groups: timers come out of a queue in deadline order, each exactly when due,
// and the queue holds no more than one live entry per group plus stale ones that drain.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createProxy, nextDeadline, step } from "./proxy.ts";
import { groupMembershipInterval } from "./timers.ts";
import { DEFAULT_TIMERS } from "./timers.ts";
import { DN1, DN2, kernelActions, leave, reportFor, UP } from "./proxy_testing.ts";

const GMI = groupMembershipInterval(DEFAULT_TIMERS);

Deno.test("5000 groups on two LANs each end exactly one Group Membership Interval after their report", () => {
  const state = createProxy({ interfaces: [UP, DN1, DN2] });
  step(state, { kind: "start" }, 0);
  const reportedAt = new Map<number, number>();
  for (let i = 0; i < 5000; i++) {
    const group = (0xef050000 + i) >>> 0; // 239.5.x.y
    const lan = i % 2 === 0 ? DN1 : DN2;
    const at = 1000 + i * 7;
    reportFor(
      state,
      group,
      { ifindex: lan.ifindex, from: i % 2 === 0 ? "10.1.0.11" : "10.2.0.11" },
      at,
    );
    // Every tenth group reports again later: its end moves.
    if (i % 10 === 0) {
      reportFor(state, group, { ifindex: lan.ifindex, from: "10.1.0.12" }, at + 500);
    }
    reportedAt.set(group, i % 10 === 0 ? at + 500 : at);
  }
  equal(state.upstreamJoined.size, 5000);
  ok(state.groupTimers.size <= 5000, `one queued timer per group: ${state.groupTimers.size}`);
  const endedAt = new Map<number, number>();
  let now = 0;
  let ticks = 0;
  for (;;) {
    const d = nextDeadline(state);
    if (d === Infinity || endedAt.size === reportedAt.size) break;
    now = Math.max(now, d);
    ticks++;
    for (const a of kernelActions(step(state, { kind: "tick" }, now))) {
      if (a.kind === "leave" && a.name === "up0") endedAt.set(a.group, now);
    }
    if (ticks > 20_000) throw new Error("too many ticks");
  }
  equal(endedAt.size, 5000);
  for (const [group, at] of reportedAt) equal(endedAt.get(group), at + GMI, `group ${group}`);
});

Deno.test("leaves shorten timers: the queue keeps their earlier entries and drops the stale ones", () => {
  const state = createProxy({ interfaces: [UP, DN1] });
  step(state, { kind: "start" }, 0);
  const G = 0xef010101;
  reportFor(state, G, { ifindex: DN1.ifindex, from: "10.1.0.11" }, 0);
  leave(state, DN1.ifindex, "10.1.0.11", 100);
  equal(state.groupTimers.size, 2, "the Group Membership Interval entry is now stale");
  equal(nextDeadline(state), 1100, "the next group-specific query");
  step(state, { kind: "tick" }, 1100);
  const last = kernelActions(step(state, { kind: "tick" }, 2100));
  deepStrictEqual(last.map((a) => a.kind), ["leave"]);
  // The stale entry drains when its time comes, doing nothing.
  step(state, { kind: "tick" }, GMI);
  equal(state.groupTimers.size, 0);
});

Deno.test("a Leave then a Report, again and again, does not grow the timer queue without bound", () => {
  const state = createProxy({ interfaces: [UP, DN1] });
  step(state, { kind: "start" }, 0);
  const G = 0xef010101;
  let now = 0;
  for (let i = 0; i < 20_000; i++) {
    reportFor(state, G, { ifindex: DN1.ifindex, from: "10.1.0.11" }, now);
    leave(state, DN1.ifindex, "10.1.0.11", now + 1);
    now += 10;
  }
  ok(state.groupTimers.size <= 2 + 1024 + 1, `queue of ${state.groupTimers.size} for one group`);
  // The group still ends when it should: LMQC × LMQI after the last Leave.
  reportFor(state, G, { ifindex: DN1.ifindex, from: "10.1.0.11" }, now);
  leave(state, DN1.ifindex, "10.1.0.11", now + 1);
  step(state, { kind: "tick" }, now + 1001);
  const end = kernelActions(step(state, { kind: "tick" }, now + 2001));
  deepStrictEqual(end.map((a) => a.kind), ["leave"]);
});
