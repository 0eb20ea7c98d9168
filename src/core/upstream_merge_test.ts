import { deepStrictEqual, equal } from "node:assert/strict";
import { type MergeInput, mergeMemberships } from "./upstream_merge.ts";

const a = 1, b = 2, c = 3;

/** INCLUDE of these sources (running timers). */
function inc<A>(...sources: A[]): MergeInput<A> {
  return { mode: "INCLUDE", sources: new Map(sources.map((s) => [s, { timer: 100 }])) };
}

/** EXCLUDE of these sources (Y, timer 0), with `requested` sources (X, running timers). */
function exc<A>(excluded: A[], requested: A[] = []): MergeInput<A> {
  return {
    mode: "EXCLUDE",
    sources: new Map<A, { timer: number }>([
      ...excluded.map((s): [A, { timer: number }] => [s, { timer: 0 }]),
      ...requested.map((s): [A, { timer: number }] => [s, { timer: 100 }]),
    ]),
  };
}

Deno.test("mergeMemberships: EX{a,b} + EX{b,c} -> EX{b}", () => {
  deepStrictEqual(mergeMemberships([exc([a, b]), exc([b, c])]), { mode: "exclude", sources: [b] });
});

Deno.test("mergeMemberships: IN{a} + EX{a,b} -> EX{b}", () => {
  deepStrictEqual(mergeMemberships([inc(a), exc([a, b])]), { mode: "exclude", sources: [b] });
});

Deno.test("mergeMemberships: IN{a} + IN{b} -> IN{a,b}, sources in numeric order", () => {
  deepStrictEqual(mergeMemberships([inc(b), inc(a)]), { mode: "include", sources: [a, b] });
});

Deno.test("mergeMemberships: a v2 member (EXCLUDE {}) -> EX{}", () => {
  deepStrictEqual(mergeMemberships([inc(a), exc([])]), { mode: "exclude", sources: [] });
});

Deno.test("mergeMemberships: IN{} (no LAN wants anything) -> leave", () => {
  equal(mergeMemberships([]), undefined);
  equal(mergeMemberships([inc()]), undefined);
});

Deno.test("mergeMemberships: requested sources of an EXCLUDE are not excluded", () => {
  deepStrictEqual(mergeMemberships([exc([b], [a])]), { mode: "exclude", sources: [b] });
});

Deno.test("mergeMemberships: IPv6 bigints", () => {
  deepStrictEqual(mergeMemberships([inc(3n), exc([2n, 3n]), exc([1n, 2n, 3n])]), {
    mode: "exclude",
    sources: [2n],
  });
});
