import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  type GroupRecord,
  MEMBERSHIP_TABLE,
  membershipDeadline,
  type MembershipTransition,
  stepMembership,
} from "./membership.ts";
import { DEFAULT_TIMERS } from "./timers.ts";

const T = DEFAULT_TIMERS; // GMI 260 s, LMQI 1 s, LMQC 2, OHPI 260 s

Deno.test("stepMembership: a v2 report creates the group with the Group Membership Interval", () => {
  const s = stepMembership(undefined, "v2-report", 1000, T);
  deepStrictEqual(s.effects, ["joined"]);
  equal(s.record?.state, "members-present");
  equal(s.record?.expires, 1000 + 260_000);
  equal(s.record?.v1HostUntil, 0);
});

Deno.test("stepMembership: a leave or tick with no members does nothing", () => {
  deepStrictEqual(stepMembership(undefined, "leave", 0, T), { record: undefined, effects: [] });
  deepStrictEqual(stepMembership(undefined, "tick", 0, T), { record: undefined, effects: [] });
});

Deno.test("stepMembership: a report refreshes the group timer", () => {
  const g = stepMembership(undefined, "v2-report", 0, T).record!;
  const s = stepMembership(g, "v2-report", 100_000, T);
  deepStrictEqual(s.effects, []);
  equal(s.record?.expires, 360_000);
});

Deno.test("stepMembership: leave sends LMQC group-specific queries LMQI apart, then removes", () => {
  let g: GroupRecord | undefined = stepMembership(undefined, "v2-report", 0, T).record;
  let s = stepMembership(g, "leave", 10_000, T);
  deepStrictEqual(s.effects, ["send-group-query"]);
  g = s.record!;
  equal(g.state, "checking-membership");
  equal(g.expires, 12_000);
  equal(membershipDeadline(g), 11_000);
  // a second leave while checking changes nothing
  deepStrictEqual(stepMembership(g, "leave", 10_500, T).effects, []);
  s = stepMembership(g, "tick", 11_000, T);
  deepStrictEqual(s.effects, ["send-group-query"]);
  equal(membershipDeadline(s.record!), 12_000);
  s = stepMembership(s.record, "tick", 11_999, T);
  deepStrictEqual(s.effects, []);
  s = stepMembership(s.record, "tick", 12_000, T);
  deepStrictEqual(s, { record: undefined, effects: ["left"] });
});

Deno.test("stepMembership: a report while checking keeps the group (the other member answered)", () => {
  const g = stepMembership(undefined, "v2-report", 0, T).record!;
  stepMembership(g, "leave", 10_000, T);
  const s = stepMembership(g, "v2-report", 10_400, T);
  deepStrictEqual(s.effects, []);
  equal(s.record?.state, "members-present");
  equal(s.record?.expires, 10_400 + 260_000);
  equal(s.record?.nextQuery, 0);
  deepStrictEqual(stepMembership(s.record, "tick", 12_000, T).effects, []);
});

Deno.test("stepMembership: leaves are ignored while an IGMPv1 host is present", () => {
  const g = stepMembership(undefined, "v1-report", 0, T).record!;
  equal(g.v1HostUntil, 260_000);
  const s = stepMembership(g, "leave", 5_000, T);
  deepStrictEqual(s.effects, ["v1-host-present"], "no query: only a note for the log");
  equal(s.record?.state, "members-present");
});

Deno.test("stepMembership: a v1 group ages out after the Group Membership Interval", () => {
  const g = stepMembership(undefined, "v1-report", 0, T).record!;
  deepStrictEqual(stepMembership(g, "tick", 259_999, T).effects, []);
  deepStrictEqual(stepMembership(g, "tick", 260_000, T), { record: undefined, effects: ["left"] });
});

Deno.test("stepMembership: after the v1 host timer ends, leaves work again", () => {
  const g = stepMembership(undefined, "v1-report", 0, T).record!;
  stepMembership(g, "v2-report", 200_000, T); // group timer now 460 s, v1 host timer 260 s
  stepMembership(g, "tick", 260_000, T);
  equal(g.v1HostUntil, 0);
  deepStrictEqual(stepMembership(g, "leave", 261_000, T).effects, ["send-group-query"]);
});

Deno.test("stepMembership: LMQC 1 sends one query and removes after one LMQI", () => {
  const t = { ...T, lastMemberQueryCount: 1, lastMemberQueryInterval: 500 };
  const g = stepMembership(undefined, "v2-report", 0, t).record!;
  const s = stepMembership(g, "leave", 1000, t);
  deepStrictEqual(s.effects, ["send-group-query"]);
  equal(membershipDeadline(g), 1500);
  deepStrictEqual(stepMembership(g, "tick", 1500, t).effects, ["left"]);
});

Deno.test("stepMembership: a heard group-specific query lowers the timer, never raises it", () => {
  const heard = { ...T, lastMemberQueryInterval: 500 }; // the query's Max Response Time
  const g = stepMembership(undefined, "v2-report", 0, T).record!;
  const s = stepMembership(g, "group-query", 10_000, heard);
  deepStrictEqual(s.effects, [], "a non-querier sends no query of its own");
  equal(s.record?.state, "checking-membership");
  equal(s.record?.expires, 11_000);
  stepMembership(g, "group-query", 10_200, { ...T, lastMemberQueryInterval: 10_000 });
  equal(g.expires, 11_000);
  deepStrictEqual(stepMembership(g, "tick", 11_000, T), { record: undefined, effects: ["left"] });
  deepStrictEqual(
    stepMembership(undefined, "group-query", 0, heard),
    { record: undefined, effects: [] },
    "no members, no record",
  );
});

Deno.test("MEMBERSHIP_TABLE: at most one row per state and event, and every row's state is reachable", () => {
  const keys = MEMBERSHIP_TABLE.map((r) => `${r.state} ${r.event}`);
  equal(new Set(keys).size, keys.length, "no pair has two rows");
  const reached = new Set(["no-members-present", ...MEMBERSHIP_TABLE.map((r) => r.next)]);
  for (const r of MEMBERSHIP_TABLE) ok(reached.has(r.state), `${r.state} is reached`);
  // Only a report creates a record; only the group timer ends one.
  deepStrictEqual(
    MEMBERSHIP_TABLE.filter((r) => r.state === "no-members-present").map((r) => r.event),
    ["v1-report", "v2-report"],
  );
  deepStrictEqual(
    [
      ...new Set(
        MEMBERSHIP_TABLE.filter((r) => r.next === "no-members-present").map((r) => r.event),
      ),
    ],
    ["group-timer-expired"],
  );
});

Deno.test("stepMembership: the trace hears each transition with its event, actions and states", () => {
  const seen: MembershipTransition[] = [];
  const trace = (t: MembershipTransition) => seen.push(t);
  const g = stepMembership(undefined, "v1-report", 0, T, trace).record!;
  stepMembership(g, "leave", 1000, T, trace);
  stepMembership(g, "v2-report", 100_000, T, trace);
  stepMembership(g, "tick", 260_000, T, trace);
  deepStrictEqual(seen.map((t) => `${t.from} ${t.event} ${t.next}: ${t.actions.join(" ")}`), [
    "no-members-present v1-report members-present: start-v1-host-timer start-group-timer " +
    "stop-retransmit-timer joined",
    "members-present leave-v1-host-present members-present: v1-host-present",
    "members-present v2-report members-present: start-group-timer stop-retransmit-timer",
    "members-present v1-host-timer-expired members-present: stop-v1-host-timer",
  ]);
});
