/**
 * The router-side membership machine end to end: records, queries, compatibility and timers as
 * RFC 3376 §6 and §7.3 (RFC 3810 §7 and §8 for MLD) say, for IGMP (number addresses) and MLD
 * (bigint addresses).
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  admits,
  compatibilityMode,
  type GroupRecord,
  membershipDeadline,
  newRecord,
  type SourceRecord,
} from "./group_record.ts";
import {
  type MembershipContext,
  type MembershipEffect,
  type MembershipInput,
  type MembershipStep,
  type MembershipTransition,
  type RecordType,
  stepMembership,
} from "./membership.ts";
import {
  DEFAULT_TIMERS,
  groupMembershipInterval,
  olderHostPresentInterval,
  type ProtocolTimers,
} from "./timers.ts";
import type { Address } from "./subnet.ts";
import { ip, ip6 } from "../proto/testing.ts";
import { ipv6ToBigInt } from "../proto/addr.ts";

const T = DEFAULT_TIMERS; // RV 2, QI 125 s, QRI 10 s, LMQI 1 s, LMQC 2: LMQT 2 s
const GMI = groupMembershipInterval(T); // 260 s
const OHPI = olderHostPresentInterval(T); // 260 s
/** LMQC 3, so that a retransmission round has a middle. */
const T3: ProtocolTimers = { ...T, lastMemberQueryCount: 3 }; // LMQT 3 s

/** A family's addresses: source n. */
interface Family<A extends Address> {
  name: string;
  s: (n: number) => A;
}
const IGMP: Family<number> = { name: "IGMP", s: (n) => ip(`10.0.0.${n}`) };
const MLD: Family<bigint> = { name: "MLD", s: (n) => ipv6ToBigInt(ip6(`2001:db8::${n}`)) };

/** A test run for IGMP and for MLD, each as a step. */
function both(name: string, fn: <A extends Address>(f: Family<A>) => void): void {
  Deno.test(name, async (t) => {
    await t.step("IGMP (IPv4)", () => fn(IGMP));
    await t.step("MLD (IPv6)", () => fn(MLD));
  });
}

/** One group on one LAN: feeds inputs at given times and keeps the record between steps. */
function lan<A>(opts: Partial<MembershipContext<A>> = {}) {
  let g: GroupRecord<A> | undefined;
  return {
    step(now: number, input: MembershipInput<A>, more: Partial<MembershipContext<A>> = {}) {
      const s: MembershipStep<A> = stepMembership(g, input, {
        now,
        timers: T,
        querier: true,
        sourceQueries: true,
        ...opts,
        ...more,
      });
      g = s.record;
      return s;
    },
    get g(): GroupRecord<A> {
      ok(g !== undefined, "the group has a record");
      return g;
    },
    get record(): GroupRecord<A> | undefined {
      return g;
    },
  };
}

const rec = <A>(type: RecordType, sources: A[] = []): MembershipInput<A> => ({
  kind: "record",
  type,
  sources,
});
const TICK = { kind: "tick" } as const;
const LEAVE = { kind: "leave" } as const;
const V1 = { kind: "v1-report" } as const;
const V2 = { kind: "v2-report" } as const;
const gq = <A>(suppress: boolean): MembershipEffect<A> => ({
  kind: "send-group-query",
  suppress,
});
const sq = <A>(sources: A[], suppress: boolean): MembershipEffect<A> => ({
  kind: "send-source-query",
  sources,
  suppress,
});
const src = (timer: number, queriesLeft = 0): SourceRecord => ({ timer, queriesLeft });
const NOTHING = { record: undefined, effects: [], changed: false };

/**
 * Effects compared in any order, and the sources of each query too: the RFC orders neither a
 * Q(G) against a Q(G,A) of the same step nor the sources inside a query.
 */
function sameEffects<A>(
  actual: readonly MembershipEffect<A>[],
  expected: MembershipEffect<A>[],
): void {
  const key = (e: MembershipEffect<A>) =>
    JSON.stringify(
      e.kind === "send-source-query" ? { ...e, sources: e.sources.map(String).sort() } : e,
    );
  deepStrictEqual(actual.map(key).sort(), expected.map(key).sort());
}

// --- Records created and deleted ---

both("stepMembership: a record that wants traffic creates the group (joined)", (f) => {
  const [s1, s2] = [f.s(1), f.s(2)];
  let m = lan<typeof s1>();
  let s = m.step(1000, rec("IS_EX"));
  deepStrictEqual(s.effects, [{ kind: "joined" }]);
  equal(s.changed, true);
  equal(m.g.mode, "EXCLUDE");
  equal(m.g.groupTimer, 1000 + GMI);
  equal(m.g.sources.size, 0);
  equal(compatibilityMode(m.g, 1000), 3);

  for (const type of ["ALLOW", "IS_IN", "TO_IN"] as const) {
    m = lan();
    s = m.step(1000, rec(type, [s1, s2]));
    deepStrictEqual(s.effects, [{ kind: "joined" }], type);
    equal(s.changed, true);
    equal(m.g.mode, "INCLUDE");
    equal(m.g.groupTimer, 0);
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(1000 + GMI)], [s2, src(1000 + GMI)]]));
  }

  for (const type of ["TO_EX", "IS_EX"] as const) {
    m = lan();
    s = m.step(1000, rec(type, [s1]));
    deepStrictEqual(s.effects, [{ kind: "joined" }], `${type}: no query for INCLUDE ({}) * B`);
    equal(m.g.mode, "EXCLUDE");
    equal(m.g.groupTimer, 1000 + GMI);
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(0)]]));
    equal(admits(m.g, s1), false);
    equal(admits(m.g, s2), true);
  }
});

both("stepMembership: INCLUDE ({}) never creates a record", (f) => {
  const s1 = f.s(1);
  const inputs: MembershipInput<typeof s1>[] = [
    rec("IS_IN"),
    rec("ALLOW"),
    rec("TO_IN"),
    rec("BLOCK", [s1]),
    LEAVE,
    TICK,
    { kind: "group-query", lastMemberQueryTime: 2000 },
    { kind: "source-query", sources: [s1], lastMemberQueryTime: 2000 },
  ];
  for (const querier of [true, false]) {
    for (const input of inputs) {
      deepStrictEqual(
        stepMembership(undefined, input, { now: 1000, timers: T, querier, sourceQueries: true }),
        NOTHING,
        `${JSON.stringify(input, (_, v) => typeof v === "bigint" ? `${v}n` : v)}`,
      );
    }
  }
});

both("stepMembership: the record goes (left) when its last source's timer ends", (f) => {
  const s1 = f.s(1);
  const m = lan<typeof s1>();
  m.step(0, rec("ALLOW", [s1]));
  let s = m.step(10_000, rec("TO_IN"));
  deepStrictEqual(s.effects, [sq([s1], false)]);
  equal(s.changed, false);
  deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(12_000, 1)]]), "lowered to LMQT");
  s = m.step(11_000, TICK);
  deepStrictEqual(s.effects, [sq([s1], false)]);
  s = m.step(11_999, TICK);
  deepStrictEqual(s.effects, []);
  deepStrictEqual(m.step(12_000, TICK), {
    record: undefined,
    effects: [{ kind: "left" }],
    changed: true,
  });
});

both("stepMembership: BLOCK of unknown sources", (f) => {
  const [s1, s2] = [f.s(1), f.s(2)];
  // INCLUDE (A): nothing to query, nothing changes.
  let m = lan<typeof s1>();
  m.step(0, rec("ALLOW", [s1]));
  let s = m.step(10_000, rec("BLOCK", [s2]));
  deepStrictEqual(s.effects, []);
  equal(s.changed, false);
  deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(GMI)]]));
  // EXCLUDE (X,Y): the source is requested with the group timer, then queried (querier).
  m = lan();
  m.step(0, rec("IS_EX"));
  s = m.step(10_000, rec("BLOCK", [s2]));
  deepStrictEqual(s.effects, [sq([s2], false)]);
  equal(s.changed, true);
  deepStrictEqual(new Map(m.g.sources), new Map([[s2, src(12_000, 1)]]));
  equal(admits(m.g, s2), true, "forwarded until the query round ends");
  deepStrictEqual(m.step(11_000, TICK).effects, [sq([s2], false)]);
  s = m.step(12_000, TICK);
  deepStrictEqual(s.effects, []);
  equal(s.changed, true);
  deepStrictEqual(
    new Map(m.g.sources),
    new Map([[s2, src(0)]]),
    "nobody asked for it again: excluded",
  );
  equal(admits(m.g, s2), false);
  equal(m.g.groupTimer, GMI);
  // A non-querier gives it the group timer and waits.
  m = lan({ querier: false });
  m.step(0, rec("IS_EX"));
  s = m.step(10_000, rec("BLOCK", [s2]));
  deepStrictEqual(s.effects, []);
  deepStrictEqual(new Map(m.g.sources), new Map([[s2, src(GMI)]]));
  deepStrictEqual(m.step(GMI, TICK).effects, [{ kind: "left" }]);
});

// --- Querier and non-querier ---

both("stepMembership: a non-querier sends nothing and lowers nothing on Send Q", (f) => {
  const [s1, s2] = [f.s(1), f.s(2)];
  let m = lan<typeof s1>({ querier: false });
  m.step(0, rec("ALLOW", [s1, s2]));
  let s = m.step(10_000, rec("BLOCK", [s1]));
  deepStrictEqual(s.effects, []);
  deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(GMI)], [s2, src(GMI)]]));
  equal(m.g.nextSourceQuery, 0);
  s = m.step(10_000, rec("TO_IN", [s2]));
  deepStrictEqual(s.effects, []);
  deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(GMI)], [s2, src(10_000 + GMI)]]));

  m = lan({ querier: false });
  m.step(0, rec("IS_EX"));
  m.step(0, rec("ALLOW", [s1]));
  s = m.step(10_000, rec("TO_IN"));
  deepStrictEqual(s.effects, []);
  equal(m.g.groupTimer, GMI);
  deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(GMI)]]));
  equal(m.g.queriesLeft, 0);
  equal(m.g.nextQuery, 0);
  equal(membershipDeadline(m.g), GMI);
});

// --- Q(G) ---

both(
  "Q(G): TO_IN ({}) in EXCLUDE lowers the group timer to LMQT, sends LMQC queries LMQI apart, then the group ends",
  (f) => {
    const m = lan<ReturnType<typeof f.s>>({ timers: T3 });
    m.step(0, rec("IS_EX"));
    const s = m.step(10_000, rec("TO_IN"));
    deepStrictEqual(s.effects, [gq(false)]);
    equal(s.changed, false);
    equal(m.g.groupTimer, 13_000);
    equal(m.g.queriesLeft, 2);
    equal(m.g.nextQuery, 11_000);
    equal(membershipDeadline(m.g), 11_000);
    deepStrictEqual(m.step(10_999, TICK).effects, []);
    deepStrictEqual(m.step(11_000, TICK).effects, [gq(false)]);
    equal(m.g.nextQuery, 12_000);
    deepStrictEqual(m.step(12_000, TICK).effects, [gq(false)]);
    equal(m.g.queriesLeft, 0);
    equal(m.g.nextQuery, 0);
    equal(membershipDeadline(m.g), 13_000);
    deepStrictEqual(m.step(12_999, TICK).effects, []);
    deepStrictEqual(m.step(13_000, TICK), {
      record: undefined,
      effects: [{ kind: "left" }],
      changed: true,
    });
  },
);

both(
  "Q(G): a report during the retransmissions raises the group timer again; the next query has the S flag",
  (f) => {
    const m = lan<ReturnType<typeof f.s>>();
    m.step(0, rec("IS_EX"));
    deepStrictEqual(m.step(10_000, rec("TO_IN")).effects, [gq(false)]);
    const s = m.step(10_500, rec("IS_EX"));
    deepStrictEqual(s.effects, []);
    equal(m.g.groupTimer, 10_500 + GMI);
    deepStrictEqual(m.step(11_000, TICK).effects, [gq(true)], "RFC 3376 §6.6.3.1");
    equal(m.g.nextQuery, 0, "LMQC queries in all");
    deepStrictEqual(m.step(12_000, TICK).effects, []);
    equal(m.g.mode, "EXCLUDE");
    equal(m.g.groupTimer, 10_500 + GMI);
  },
);

both("Q(G): TO_IN (A) in EXCLUDE (X,Y) queries X-A and the group, then keeps A in INCLUDE", (f) => {
  const [s1, s2, s3] = [f.s(1), f.s(2), f.s(3)];
  const m = lan<typeof s1>();
  m.step(0, rec("IS_EX", [s3]));
  m.step(1000, rec("ALLOW", [s1, s2]));
  const s = m.step(10_000, rec("TO_IN", [s2]));
  sameEffects(s.effects, [sq([s1], false), gq(false)]);
  equal(s.changed, false);
  deepStrictEqual(
    new Map(m.g.sources),
    new Map([[s1, src(12_000, 1)], [s2, src(10_000 + GMI)], [s3, src(0)]]),
  );
  equal(m.g.groupTimer, 12_000);
  sameEffects(m.step(11_000, TICK).effects, [sq([s1], false), gq(false)]);
  const end = m.step(12_000, TICK);
  deepStrictEqual(end.effects, []);
  equal(end.changed, true);
  equal(m.g.mode, "INCLUDE");
  equal(m.g.groupTimer, 0);
  deepStrictEqual(new Map(m.g.sources), new Map([[s2, src(10_000 + GMI)]]));
  equal(admits(m.g, s1), false);
  equal(admits(m.g, s2), true);
  equal(admits(m.g, s3), false);
});

// --- Q(G,A) ---

both(
  "Q(G,A): only sources with a timer above LMQT get retransmission state; the first query has no S flag",
  (f) => {
    const [s1, s2] = [f.s(1), f.s(2)];
    const m = lan<typeof s1>();
    m.step(0, rec("ALLOW", [s1, s2]));
    m.step(100_000, rec("ALLOW", [s1]));
    // s2's timer (260 s) is within LMQT (2 s) of 259 s: it is left alone.
    const s = m.step(259_000, rec("BLOCK", [s1, s2]));
    deepStrictEqual(s.effects, [sq([s1], false)]);
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(261_000, 1)], [s2, src(GMI)]]));
    equal(m.g.nextSourceQuery, 260_000);
    const t = m.step(260_000, TICK);
    deepStrictEqual(t.effects, [sq([s1], false)]);
    equal(t.changed, true, "s2 expired");
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(261_000)]]));
    equal(m.g.nextSourceQuery, 0);
    deepStrictEqual(m.step(261_000, TICK).effects, [{ kind: "left" }]);
  },
);

both(
  "Q(G,A): retransmissions split into an S-flag query (timers raised by a report) and a plain one",
  (f) => {
    const [s1, s2, s3] = [f.s(1), f.s(2), f.s(3)];
    const m = lan<typeof s1>({ timers: T3 });
    m.step(0, rec("ALLOW", [s1, s2, s3]));
    let s = m.step(10_000, rec("BLOCK", [s1, s2]));
    sameEffects(s.effects, [sq([s1, s2], false)]);
    equal(s.effects.length, 1, "one query for both");
    deepStrictEqual(
      new Map(m.g.sources),
      new Map([[s1, src(13_000, 2)], [s2, src(13_000, 2)], [s3, src(GMI)]]),
    );
    equal(m.g.nextSourceQuery, 11_000);
    equal(membershipDeadline(m.g), 11_000);
    s = m.step(10_500, rec("ALLOW", [s1]));
    deepStrictEqual(s.effects, []);
    equal(s.changed, false);
    deepStrictEqual(m.g.sources.get(s1), src(10_500 + GMI, 2), "the round goes on for s1");
    deepStrictEqual(m.step(11_000, TICK).effects, [sq([s1], true), sq([s2], false)]);
    equal(m.g.nextSourceQuery, 12_000);
    deepStrictEqual(m.step(12_000, TICK).effects, [sq([s1], true), sq([s2], false)]);
    equal(m.g.sources.get(s1)!.queriesLeft, 0);
    equal(m.g.sources.get(s2)!.queriesLeft, 0);
    equal(m.g.nextSourceQuery, 0);
    s = m.step(13_000, TICK);
    deepStrictEqual(s.effects, []);
    equal(s.changed, true);
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(10_500 + GMI)], [s3, src(GMI)]]));
    equal(admits(m.g, s2), false);
  },
);

both(
  "Q(G,A): a querier that cannot send source queries sends none and lowers no source timer",
  (f) => {
    const [s1, s2] = [f.s(1), f.s(2)];
    let m = lan<typeof s1>({ sourceQueries: false });
    m.step(0, rec("ALLOW", [s1, s2]));
    const s = m.step(10_000, rec("BLOCK", [s1]));
    deepStrictEqual(s.effects, []);
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(GMI)], [s2, src(GMI)]]));
    equal(m.g.nextSourceQuery, 0);
    m = lan({ sourceQueries: false });
    m.step(0, rec("IS_EX"));
    m.step(0, rec("ALLOW", [s1]));
    deepStrictEqual(m.step(10_000, rec("TO_IN")).effects, [gq(false)], "Q(G) still goes");
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(GMI)]]));
    equal(m.g.groupTimer, 12_000);
  },
);

// --- Queries heard from another querier (RFC 3376 §6.6.1) ---

both(
  "stepMembership: a heard group-specific query lowers the group timer to its LMQT, never raises it",
  (f) => {
    const s1 = f.s(1);
    let m = lan<typeof s1>({ querier: false });
    m.step(0, rec("IS_EX"));
    let s = m.step(10_000, { kind: "group-query", lastMemberQueryTime: 3000 });
    deepStrictEqual(s.effects, []);
    equal(s.changed, false);
    equal(m.g.groupTimer, 13_000);
    m.step(10_500, { kind: "group-query", lastMemberQueryTime: 50_000 });
    equal(m.g.groupTimer, 13_000);
    deepStrictEqual(m.step(13_000, TICK).effects, [{ kind: "left" }]);
    // INCLUDE mode has no group timer: the sources' timers stand.
    m = lan({ querier: false });
    m.step(0, rec("ALLOW", [s1]));
    s = m.step(10_000, { kind: "group-query", lastMemberQueryTime: 3000 });
    deepStrictEqual(s.effects, []);
    equal(m.g.groupTimer, 0);
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(GMI)]]));
  },
);

both(
  "stepMembership: a heard group-and-source query lowers its sources' timers, never raises them, creates none",
  (f) => {
    const [s1, s2, s3] = [f.s(1), f.s(2), f.s(3)];
    let m = lan<typeof s1>({ querier: false });
    m.step(0, rec("ALLOW", [s1, s2]));
    const lower = { kind: "source-query", sources: [s1, s3], lastMemberQueryTime: 2000 } as const;
    let s = m.step(10_000, lower);
    deepStrictEqual(s.effects, []);
    equal(s.changed, false);
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(12_000)], [s2, src(GMI)]]));
    m.step(10_500, { kind: "source-query", sources: [s1], lastMemberQueryTime: 50_000 });
    equal(m.g.sources.get(s1)!.timer, 12_000);
    s = m.step(12_000, TICK);
    equal(s.changed, true);
    deepStrictEqual(new Map(m.g.sources), new Map([[s2, src(GMI)]]));
    // An excluded source stays excluded.
    m = lan({ querier: false });
    m.step(0, rec("IS_EX", [s3]));
    m.step(10_000, { kind: "source-query", sources: [s3], lastMemberQueryTime: 2000 });
    deepStrictEqual(new Map(m.g.sources), new Map([[s3, src(0)]]));
    equal(admits(m.g, s3), false);
  },
);

// --- Compatibility (RFC 3376 §7.3.2, RFC 3810 §8.3.2) ---

both(
  "compatibility: a v2 report (MLDv1 report) sets the v2 host present timer and acts as IS_EX ({})",
  (f) => {
    const [s1, s2] = [f.s(1), f.s(2)];
    const m = lan<typeof s1>();
    m.step(0, rec("ALLOW", [s1]));
    let s = m.step(1000, V2);
    deepStrictEqual(s.effects, []);
    equal(s.changed, true);
    equal(m.g.v2HostUntil, 1000 + OHPI);
    equal(m.g.v1HostUntil, 0);
    equal(compatibilityMode(m.g, 1000), 2);
    equal(m.g.mode, "EXCLUDE");
    equal(m.g.groupTimer, 1000 + GMI);
    equal(m.g.sources.size, 0, "IS_EX ({}) in INCLUDE (A) deletes A");
    // On an empty LAN it creates the group.
    const fresh = lan<typeof s1>();
    deepStrictEqual(fresh.step(5, V2).effects, [{ kind: "joined" }]);
    equal(fresh.g.mode, "EXCLUDE");
    equal(fresh.g.groupTimer, 5 + GMI);
    equal(fresh.g.v2HostUntil, 5 + OHPI);
    // v2 mode: a Leave (Done) acts as TO_IN ({}).
    deepStrictEqual(m.step(2000, LEAVE).effects, [gq(false)]);
    equal(m.g.groupTimer, 4000);
    // v2 mode: BLOCK is ignored; TO_EX (A) acts as TO_EX ({}).
    s = m.step(3000, rec("BLOCK", [s1]));
    equal(s.effects.length, 1);
    equal(s.effects[0].kind, "ignored");
    equal(s.changed, false);
    equal(m.g.sources.size, 0);
    s = m.step(3000, rec("TO_EX", [s1]));
    deepStrictEqual(s.effects, [], "no Q(G,A-Y) for the ignored list");
    equal(m.g.mode, "EXCLUDE");
    equal(m.g.sources.size, 0, "the source list is ignored");
    equal(admits(m.g, s1), true);
    equal(m.g.groupTimer, 3000 + GMI);
    deepStrictEqual(m.step(3000, TICK).effects, [gq(true)], "the Leave's retransmission");
    // A v3 host's report keeps the group; the v2 host timer ends: v3 behaviour returns.
    m.step(200_000, rec("IS_EX"));
    equal(membershipDeadline(m.g), 1000 + OHPI);
    m.step(1000 + OHPI - 1, TICK);
    equal(compatibilityMode(m.g, 1000 + OHPI - 1), 2);
    m.step(1000 + OHPI, TICK);
    equal(m.g.v2HostUntil, 0);
    equal(compatibilityMode(m.g, 1000 + OHPI), 3);
    equal(m.g.mode, "EXCLUDE", "the group timer still runs");
    // TO_EX (A) in EXCLUDE ({},{}): A-Y is requested with the group timer and queried.
    s = m.step(262_000, rec("TO_EX", [s1]));
    equal(s.changed, true);
    deepStrictEqual(s.effects, [sq([s1], false)]);
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(264_000, 1)]]));
    equal(m.g.groupTimer, 262_000 + GMI);
    deepStrictEqual(m.step(263_000, TICK).effects, [sq([s1], false)]);
    m.step(264_000, TICK);
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(0)]]));
    equal(admits(m.g, s1), false);
    s = m.step(264_000, rec("BLOCK", [s2]));
    deepStrictEqual(s.effects, [sq([s2], false)]);
    deepStrictEqual(m.g.sources.get(s2), src(266_000, 1));
  },
);

Deno.test("compatibility: a v1 report sets the v1 host present timer; in v1 mode a Leave is ignored", () => {
  const s1 = IGMP.s(1);
  const m = lan<number>();
  let s = m.step(0, V1);
  deepStrictEqual(s.effects, [{ kind: "joined" }]);
  equal(m.g.v1HostUntil, OHPI);
  equal(m.g.mode, "EXCLUDE");
  equal(m.g.groupTimer, GMI);
  equal(compatibilityMode(m.g, 0), 1);
  s = m.step(1000, LEAVE);
  equal(s.effects.length, 1);
  equal(s.effects[0].kind, "ignored");
  equal(s.changed, false);
  equal(m.g.groupTimer, GMI, "no Q(G), no lowered timer");
  equal(m.g.nextQuery, 0);
  // A v2 report too: v1 mode wins while its timer runs.
  m.step(2000, V2);
  equal(m.g.v2HostUntil, 2000 + OHPI);
  equal(compatibilityMode(m.g, 2000), 1);
  s = m.step(3000, rec("BLOCK", [s1]));
  equal(s.effects[0]?.kind, "ignored");
  s = m.step(3000, rec("TO_EX", [s1]));
  deepStrictEqual(s.effects, []);
  equal(m.g.sources.size, 0, "TO_EX (A) acts as TO_EX ({})");
  equal(admits(m.g, s1), true);
  // The v1 timer ends: v2 mode, Leaves count again.
  m.step(OHPI, TICK);
  equal(m.g.v1HostUntil, 0);
  equal(compatibilityMode(m.g, OHPI), 2);
  deepStrictEqual(m.step(OHPI + 1000, LEAVE).effects, [gq(false)]);
  equal(m.g.groupTimer, OHPI + 3000);
  deepStrictEqual(m.step(OHPI + 2000, TICK).effects, [gq(false)]);
  equal(compatibilityMode(m.g, OHPI + 2000), 3, "the v2 host timer ended too");
  deepStrictEqual(m.step(OHPI + 3000, TICK).effects, [{ kind: "left" }]);
});

both("compatibilityMode: 1 while a v1 host is present, else 2 while a v2 host is, else 3", (f) => {
  const m = lan<ReturnType<typeof f.s>>();
  m.step(0, rec("IS_EX"));
  equal(compatibilityMode(m.g, 0), 3);
  m.step(0, V2);
  equal(compatibilityMode(m.g, OHPI - 1), 2);
  equal(compatibilityMode(m.g, OHPI), 3, "the timer has run out at its deadline");
  if (f.name === "IGMP") {
    m.step(1000, V1);
    equal(compatibilityMode(m.g, 1000), 1);
    equal(compatibilityMode(m.g, OHPI), 1);
    equal(compatibilityMode(m.g, 1000 + OHPI), 3);
  }
});

Deno.test("compatibility: on a LAN queried with IGMPv1 every group is in v1 mode (versionCap 1)", () => {
  const s1 = IGMP.s(1);
  const m = lan<number>({ versionCap: 1, sourceQueries: false });
  m.step(0, V2);
  equal(compatibilityMode(m.g, 0), 2, "no cap: the hosts say");
  equal(compatibilityMode(m.g, 0, 1), 1);
  equal(compatibilityMode(m.g, 0, 3), 2);
  let s = m.step(1000, LEAVE);
  deepStrictEqual(s.effects, [{ kind: "ignored", what: "Leave", why: "the LAN runs IGMPv1" }]);
  equal(m.g.groupTimer, GMI, "no Q(G), no lowered timer");
  s = m.step(1000, rec("TO_IN"));
  deepStrictEqual(s.effects, [{
    kind: "ignored",
    what: "TO_IN record",
    why: "the LAN runs IGMPv1",
  }]);
  s = m.step(2000, rec("BLOCK", [s1]));
  equal(s.effects[0]?.kind, "ignored");
  s = m.step(3000, rec("TO_EX", [s1]));
  equal(m.g.sources.size, 0, "TO_EX (A) acts as TO_EX ({})");
  equal(m.g.groupTimer, 3000 + GMI);
  // A v1 host's report names the host in the reason.
  m.step(4000, V1);
  deepStrictEqual(m.step(5000, LEAVE).effects[0], {
    kind: "ignored",
    what: "Leave",
    why: "an IGMPv1 host is a member",
  });
  // Only the Group Membership Interval ends it.
  deepStrictEqual(m.step(4000 + GMI - 1, TICK).effects, []);
  deepStrictEqual(m.step(4000 + GMI, TICK).effects, [{ kind: "left" }]);
});

// --- Timers (RFC 3376 §6.3, §6.5) ---

both(
  "timers: a source timer ending in INCLUDE mode deletes the source, the last one the record",
  (f) => {
    const [s1, s2] = [f.s(1), f.s(2)];
    const m = lan<typeof s1>();
    m.step(0, rec("ALLOW", [s1, s2]));
    m.step(100_000, rec("ALLOW", [s2]));
    equal(membershipDeadline(m.g), GMI);
    let s = m.step(GMI - 1, TICK);
    deepStrictEqual(s.effects, []);
    equal(s.changed, false);
    s = m.step(GMI, TICK);
    deepStrictEqual(s.effects, []);
    equal(s.changed, true);
    deepStrictEqual(new Map(m.g.sources), new Map([[s2, src(100_000 + GMI)]]));
    equal(admits(m.g, s1), false);
    equal(membershipDeadline(m.g), 100_000 + GMI);
    deepStrictEqual(m.step(100_000 + GMI, TICK), {
      record: undefined,
      effects: [{ kind: "left" }],
      changed: true,
    });
  },
);

both("timers: a source timer ending in EXCLUDE mode moves the source to the excluded set", (f) => {
  const [s1, s2] = [f.s(1), f.s(2)];
  const m = lan<typeof s1>();
  m.step(0, rec("IS_EX", [s1]));
  m.step(1000, rec("ALLOW", [s2]));
  m.step(100_000, rec("IS_EX", [s1, s2])); // A*X keeps its timer
  deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(0)], [s2, src(1000 + GMI)]]));
  equal(m.g.groupTimer, 100_000 + GMI);
  equal(admits(m.g, s2), true);
  const s = m.step(1000 + GMI, TICK);
  deepStrictEqual(s.effects, []);
  equal(s.changed, true);
  equal(m.g.mode, "EXCLUDE");
  deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(0)], [s2, src(0)]]));
  equal(admits(m.g, s2), false);
  equal(membershipDeadline(m.g), 100_000 + GMI, "excluded sources have no deadline");
  deepStrictEqual(m.step(100_000 + GMI, TICK).effects, [{ kind: "left" }]);
});

both(
  "timers: the group timer ends EXCLUDE mode: INCLUDE with the requested sources, or no record",
  (f) => {
    const [s1, s2, s3] = [f.s(1), f.s(2), f.s(3)];
    const m = lan<typeof s1>();
    m.step(0, rec("IS_EX", [s3]));
    m.step(100_000, rec("ALLOW", [s1]));
    equal(membershipDeadline(m.g), GMI);
    const s = m.step(GMI, TICK);
    deepStrictEqual(s.effects, []);
    equal(s.changed, true);
    equal(m.g.mode, "INCLUDE");
    equal(m.g.groupTimer, 0);
    deepStrictEqual(new Map(m.g.sources), new Map([[s1, src(100_000 + GMI)]]));
    equal(admits(m.g, s1), true);
    equal(admits(m.g, s2), false);
    equal(admits(m.g, s3), false);
    deepStrictEqual(m.step(100_000 + GMI, TICK).effects, [{ kind: "left" }]);
  },
);

// --- admits, membershipDeadline, trace ---

both("admits: INCLUDE admits its sources; EXCLUDE admits every source but the excluded", (f) => {
  const [s1, s2, s3] = [f.s(1), f.s(2), f.s(3)];
  let m = lan<typeof s1>();
  m.step(0, rec("IS_IN", [s1]));
  equal(admits(m.g, s1), true);
  equal(admits(m.g, s2), false);
  m = lan();
  m.step(0, rec("IS_EX", [s2]));
  m.step(0, rec("ALLOW", [s1]));
  equal(admits(m.g, s1), true, "requested (X)");
  equal(admits(m.g, s2), false, "excluded (Y)");
  equal(admits(m.g, s3), true, "unlisted");
});

both(
  "membershipDeadline: the earliest running timer, retransmission or host present timer",
  (f) => {
    const [s1, s2] = [f.s(1), f.s(2)];
    const m = lan<typeof s1>();
    m.step(0, V2);
    m.step(100_000, rec("IS_EX", [s2]));
    equal(membershipDeadline(m.g), OHPI, "the v2 host present timer");
    m.step(100_000, rec("ALLOW", [s1]));
    m.step(OHPI, TICK);
    equal(membershipDeadline(m.g), 100_000 + GMI, "source and group timer; not Y's 0");
    m.step(270_000, rec("BLOCK", [s1]));
    equal(membershipDeadline(m.g), 271_000, "the next retransmission");
    const empty = newRecord<typeof s1>();
    equal(membershipDeadline(empty), Infinity);
    equal(membershipDeadline({ ...empty, groupTimer: 5 }), Infinity, "INCLUDE has no group timer");
  },
);

both("trace: one transition per row, with the row's action texts", (f) => {
  const [s1, s2] = [f.s(1), f.s(2)];
  const seen: MembershipTransition<typeof s1>[] = [];
  const m = lan<typeof s1>({ trace: (t) => seen.push(t) });
  m.step(0, rec("ALLOW", [s1]));
  m.step(1000, rec("TO_EX", [s2]));
  m.step(2000, V2);
  m.step(3000, rec("BLOCK", [s1])); // ignored in v2 mode: no row
  m.step(2000 + GMI, TICK);
  deepStrictEqual(seen, [
    {
      event: "ALLOW (B)",
      from: undefined,
      actions: ["(B)=GMI"],
      next: { mode: "INCLUDE", requested: [s1], excluded: [] },
    },
    {
      event: "TO_EX (B)",
      from: { mode: "INCLUDE", requested: [s1], excluded: [] },
      actions: ["(B-A)=0", "Delete (A-B)", "Send Q(G,A*B)", "Group Timer=GMI"],
      next: { mode: "EXCLUDE", requested: [], excluded: [s2] },
    },
    {
      event: "v2-report as IS_EX ({})",
      from: { mode: "EXCLUDE", requested: [], excluded: [s2] },
      actions: ["(A-X-Y)=GMI", "Delete (X-A)", "Delete (Y-A)", "Group Timer=GMI"],
      next: { mode: "EXCLUDE", requested: [], excluded: [] },
    },
    {
      event: "v2-host-timer-expired",
      from: { mode: "EXCLUDE", requested: [], excluded: [] },
      actions: [],
      next: { mode: "EXCLUDE", requested: [], excluded: [] },
    },
    {
      event: "GROUP_TIMER",
      from: { mode: "EXCLUDE", requested: [], excluded: [] },
      actions: ["Delete (Y)"],
      next: undefined,
    },
  ]);
  equal(m.record, undefined);
});

Deno.test("compatibility: in v1 mode a TO_IN record is ignored, as a Leave is (RFC 3376 §7.3.2)", () => {
  const [s1, s2] = [IGMP.s(1), IGMP.s(2)];
  const m = lan<number>();
  m.step(0, V1);
  m.step(1000, rec("ALLOW", [s1]));
  deepStrictEqual(
    new Map(m.g.sources),
    new Map([[s1, src(1000 + GMI)]]),
    "ALLOW counts in v1 mode",
  );
  for (const sources of [[], [s2]]) {
    const s = m.step(2000, rec("TO_IN", sources));
    deepStrictEqual(s.effects.map((e) => e.kind), ["ignored"], `TO_IN {${sources}} is ignored`);
    equal(s.changed, false);
    equal(m.g.groupTimer, GMI, "no Q(G): the group timer stands");
    equal(m.g.nextQuery, 0);
    deepStrictEqual(
      new Map(m.g.sources),
      new Map([[s1, src(1000 + GMI)]]),
      "no Q(G,X-A), no new source",
    );
  }
  // Once the v1 host timer ends, TO_IN counts again.
  m.step(100_000, rec("IS_EX"));
  m.step(100_000, rec("ALLOW", [s1]));
  m.step(OHPI, TICK);
  equal(compatibilityMode(m.g, OHPI), 3);
  sameEffects(m.step(OHPI + 1000, rec("TO_IN")).effects, [sq([s1], false), gq(false)]);
});

both(
  "Q(G,A): a new Send Q(G,A) during a round merges with it: the query sent at once carries every source with retransmission state",
  (f) => {
    const [s1, s2, s3] = [f.s(1), f.s(2), f.s(3)];
    const m = lan<typeof s1>({ timers: T3 });
    m.step(0, rec("ALLOW", [s1, s2, s3]));
    deepStrictEqual(m.step(10_000, rec("BLOCK", [s1])).effects, [sq([s1], false)]);
    deepStrictEqual(m.g.sources.get(s1), src(13_000, 2));
    const s = m.step(10_500, rec("BLOCK", [s2]));
    sameEffects(s.effects, [sq([s1, s2], false)]);
    equal(s.effects.length, 1);
    deepStrictEqual(
      m.g.sources.get(s1),
      src(13_000, 1),
      "not restarted: its timer was within LMQT",
    );
    deepStrictEqual(m.g.sources.get(s2), src(13_500, 2));
    equal(m.g.nextSourceQuery, 11_500);
    sameEffects(m.step(11_500, TICK).effects, [sq([s1, s2], false)]);
    deepStrictEqual(m.step(12_500, TICK).effects, [sq([s2], false)]);
    equal(m.g.nextSourceQuery, 0, `s1 and s2 were each queried LMQC times`);
    m.step(13_000, TICK);
    m.step(13_500, TICK);
    deepStrictEqual(new Map(m.g.sources), new Map([[s3, src(GMI)]]));
  },
);
