/**
 * Every row of the source-filter tables (RFC 3376 §6.4.1, §6.4.2, §6.3 and §6.5; RFC 3810
 * §7.4.1, §7.4.2 and §7.5), run by {@link applyRow} on sets where every region of the Venn
 * diagram holds a source, for IPv4 and IPv6 addresses.
 *
 * The expected outcomes below are written from the RFC's tables, not from the code:
 *
 * - INCLUDE rows start from INCLUDE (A) with A = {a, ab} and read B = {ab, b}:
 *   `a` is in A only, `ab` in both, `b` in B only.
 * - EXCLUDE rows start from EXCLUDE (X,Y) with X = {x, ax}, Y = {y, ay} and read A = {ax, ay, a}:
 *   `x` is in X only, `y` in Y only, `ax` in A*X, `ay` in A*Y, `a` in A-X-Y.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  applyRow,
  evaluate,
  FILTER_ROWS,
  FILTER_TABLE,
  type FilterEvent,
  type FilterMode,
  type FilterRecord,
  type FilterRow,
  parseExpr,
} from "./filter_table.ts";
import { ip, ip6 } from "../proto/testing.ts";
import { ipv6ToBigInt } from "../proto/addr.ts";

/** The sources of the cases, by the Venn region they stand for. */
type Name = "a" | "ab" | "b" | "x" | "y" | "ax" | "ay";

/** A source timer after the row: GMI (now + gmi), the old group timer, or unchanged. */
type Timer = "GMI" | "Group Timer" | "unchanged";

/** What a row must do to the start state, as the RFC's table says. */
interface RowCase {
  /** Why, for the test name. */
  what: string;
  /** The RFC's action column, in its order. */
  actions: string[];
  /** The new filter mode. */
  mode: FilterMode;
  /** INCLUDE: the new source set; EXCLUDE: the new X, each with its timer. */
  requested: Partial<Record<Name, Timer>>;
  /** EXCLUDE: the new Y (timer 0). */
  excluded: Name[];
  /** The group timer after: GMI, unchanged, or 0 (INCLUDE mode has none). */
  groupTimer: "GMI" | "unchanged" | 0;
  /** Whether the mode or a set changed. */
  changed: boolean;
  /** The queries returned: the action's text and its sources. */
  queries: [string, Name[]][];
}

const NOW = 100_000;
const GMI = 260_000;
/** The source timers before the row (excluded sources have 0). */
const OLD: Record<Name, number> = {
  a: 150_000,
  ab: 160_000,
  b: 170_000, // never in the start state
  x: 150_000,
  ax: 160_000,
  y: 0,
  ay: 0,
};
/** The group timer of the EXCLUDE start state. */
const OLD_GROUP_TIMER = 200_000;

const INCLUDE_START: Name[] = ["a", "ab"];
const INCLUDE_RECORD: Name[] = ["ab", "b"];
const EXCLUDE_START: Name[] = ["x", "ax", "y", "ay"];
const EXCLUDE_RECORD: Name[] = ["ax", "ay", "a"];

/** The cases, by the row as the RFC prints it (`FilterRow.text`). */
const CASES: Record<string, RowCase> = {
  // §6.4.1: current-state records.
  "INCLUDE (A) IS_IN (B) -> INCLUDE (A+B)": {
    what: "B's sources join with GMI, A's others keep their timers",
    actions: ["(B)=GMI"],
    mode: "INCLUDE",
    requested: { a: "unchanged", ab: "GMI", b: "GMI" },
    excluded: [],
    groupTimer: 0,
    changed: true,
    queries: [],
  },
  "INCLUDE (A) IS_EX (B) -> EXCLUDE (A*B,B-A)": {
    what: "A*B stays requested with its timer, B-A is excluded, A-B goes, group timer GMI",
    actions: ["(B-A)=0", "Delete (A-B)", "Group Timer=GMI"],
    mode: "EXCLUDE",
    requested: { ab: "unchanged" },
    excluded: ["b"],
    groupTimer: "GMI",
    changed: true,
    queries: [],
  },
  "EXCLUDE (X,Y) IS_IN (A) -> EXCLUDE (X+A,Y-A)": {
    what: "A's sources are requested with GMI (A*Y leaves Y), X-A keeps its timers",
    actions: ["(A)=GMI"],
    mode: "EXCLUDE",
    requested: { x: "unchanged", ax: "GMI", ay: "GMI", a: "GMI" },
    excluded: ["y"],
    groupTimer: "unchanged",
    changed: true,
    queries: [],
  },
  "EXCLUDE (X,Y) IS_EX (A) -> EXCLUDE (A-Y,Y*A)": {
    what: "A-X-Y gets GMI, A*X keeps its timer, X-A and Y-A go, Y*A stays, group timer GMI",
    actions: ["(A-X-Y)=GMI", "Delete (X-A)", "Delete (Y-A)", "Group Timer=GMI"],
    mode: "EXCLUDE",
    requested: { ax: "unchanged", a: "GMI" },
    excluded: ["ay"],
    groupTimer: "GMI",
    changed: true,
    queries: [],
  },
  // §6.4.2: filter-mode-change and source-list-change records.
  "INCLUDE (A) ALLOW (B) -> INCLUDE (A+B)": {
    what: "B's sources join with GMI, A's others keep their timers",
    actions: ["(B)=GMI"],
    mode: "INCLUDE",
    requested: { a: "unchanged", ab: "GMI", b: "GMI" },
    excluded: [],
    groupTimer: 0,
    changed: true,
    queries: [],
  },
  "INCLUDE (A) BLOCK (B) -> INCLUDE (A)": {
    what: "nothing changes, A*B is queried",
    actions: ["Send Q(G,A*B)"],
    mode: "INCLUDE",
    requested: { a: "unchanged", ab: "unchanged" },
    excluded: [],
    groupTimer: 0,
    changed: false,
    queries: [["Send Q(G,A*B)", ["ab"]]],
  },
  "INCLUDE (A) TO_EX (B) -> EXCLUDE (A*B,B-A)": {
    what: "A*B stays requested and is queried, B-A is excluded, A-B goes, group timer GMI",
    actions: ["(B-A)=0", "Delete (A-B)", "Send Q(G,A*B)", "Group Timer=GMI"],
    mode: "EXCLUDE",
    requested: { ab: "unchanged" },
    excluded: ["b"],
    groupTimer: "GMI",
    changed: true,
    queries: [["Send Q(G,A*B)", ["ab"]]],
  },
  "INCLUDE (A) TO_IN (B) -> INCLUDE (A+B)": {
    what: "B's sources get GMI, A-B keeps its timer and is queried",
    actions: ["(B)=GMI", "Send Q(G,A-B)"],
    mode: "INCLUDE",
    requested: { a: "unchanged", ab: "GMI", b: "GMI" },
    excluded: [],
    groupTimer: 0,
    changed: true,
    queries: [["Send Q(G,A-B)", ["a"]]],
  },
  "EXCLUDE (X,Y) ALLOW (A) -> EXCLUDE (X+A,Y-A)": {
    what: "A's sources are requested with GMI (A*Y leaves Y), X-A keeps its timers",
    actions: ["(A)=GMI"],
    mode: "EXCLUDE",
    requested: { x: "unchanged", ax: "GMI", ay: "GMI", a: "GMI" },
    excluded: ["y"],
    groupTimer: "unchanged",
    changed: true,
    queries: [],
  },
  "EXCLUDE (X,Y) BLOCK (A) -> EXCLUDE (X+(A-Y),Y)": {
    what: "A-X-Y is requested with the group timer, A-Y is queried, Y is kept",
    actions: ["(A-X-Y)=Group Timer", "Send Q(G,A-Y)"],
    mode: "EXCLUDE",
    requested: { x: "unchanged", ax: "unchanged", a: "Group Timer" },
    excluded: ["y", "ay"],
    groupTimer: "unchanged",
    changed: true,
    queries: [["Send Q(G,A-Y)", ["ax", "a"]]],
  },
  "EXCLUDE (X,Y) TO_EX (A) -> EXCLUDE (A-Y,Y*A)": {
    what: "A-X-Y gets the old group timer, X-A and Y-A go, A-Y is queried, group timer GMI",
    actions: [
      "(A-X-Y)=Group Timer",
      "Delete (X-A)",
      "Delete (Y-A)",
      "Send Q(G,A-Y)",
      "Group Timer=GMI",
    ],
    mode: "EXCLUDE",
    requested: { ax: "unchanged", a: "Group Timer" },
    excluded: ["ay"],
    groupTimer: "GMI",
    changed: true,
    queries: [["Send Q(G,A-Y)", ["ax", "a"]]],
  },
  "EXCLUDE (X,Y) TO_IN (A) -> EXCLUDE (X+A,Y-A)": {
    what: "A's sources get GMI, X-A is queried, then the group",
    actions: ["(A)=GMI", "Send Q(G,X-A)", "Send Q(G)"],
    mode: "EXCLUDE",
    requested: { x: "unchanged", ax: "GMI", ay: "GMI", a: "GMI" },
    excluded: ["y"],
    groupTimer: "unchanged",
    changed: true,
    queries: [["Send Q(G,X-A)", ["x"]], ["Send Q(G)", []]],
  },
  // §6.3 and §6.5: timers; the record's set stands for the sources whose timers expired.
  "INCLUDE (A) SOURCE_TIMER (B) -> INCLUDE (A-B)": {
    what: "the expired sources are deleted, the others keep their timers",
    actions: ["Delete (B)"],
    mode: "INCLUDE",
    requested: { a: "unchanged" },
    excluded: [],
    groupTimer: 0,
    changed: true,
    queries: [],
  },
  "EXCLUDE (X,Y) SOURCE_TIMER (A) -> EXCLUDE (X-A,Y+A)": {
    what: "the expired sources are excluded with timer 0, X-A keeps its timers",
    actions: ["(A)=0"],
    mode: "EXCLUDE",
    requested: { x: "unchanged" },
    excluded: ["y", "ax", "ay", "a"],
    groupTimer: "unchanged",
    changed: true,
    queries: [],
  },
  "EXCLUDE (X,Y) GROUP_TIMER (A) -> INCLUDE (X)": {
    what: "the requested sources stay with their timers, Y goes, the group timer is 0",
    actions: ["Delete (Y)"],
    mode: "INCLUDE",
    requested: { x: "unchanged", ax: "unchanged" },
    excluded: [],
    groupTimer: 0,
    changed: true,
    queries: [],
  },
};

/** An address family's way to name the test sources. */
interface Family<A> {
  name: string;
  addr: (n: Name) => A;
}

const ORDER: Name[] = ["a", "ab", "b", "x", "y", "ax", "ay"];
const IPV4: Family<number> = { name: "IPv4", addr: (n) => ip(`10.0.0.${1 + ORDER.indexOf(n)}`) };
const IPV6: Family<bigint> = {
  name: "IPv6",
  addr: (n) => ipv6ToBigInt(ip6(`2001:db8::${1 + ORDER.indexOf(n)}`)),
};

/** The start state of a row's mode, with the timers of {@link OLD}. */
function startRecord<A>(row: FilterRow, f: Family<A>): FilterRecord<A> {
  const names = row.state === "INCLUDE" ? INCLUDE_START : EXCLUDE_START;
  return {
    mode: row.state,
    groupTimer: row.state === "INCLUDE" ? 0 : OLD_GROUP_TIMER,
    sources: new Map(names.map((n) => [f.addr(n), { timer: OLD[n], queriesLeft: 0 }])),
  };
}

/** Runs a row's case for one family and checks every outcome. */
function runCase<A>(row: FilterRow, c: RowCase, f: Family<A>): void {
  const g = startRecord(row, f);
  const recordNames = row.state === "INCLUDE" ? INCLUDE_RECORD : EXCLUDE_RECORD;
  const result = applyRow(row, g, new Set(recordNames.map(f.addr)), NOW, GMI);
  const name = new Map(ORDER.map((n) => [f.addr(n), n]));
  equal(g.mode, c.mode, "filter mode");
  // The exact sets, and each source's timer.
  const timers: Partial<Record<Name, number>> = {};
  for (const [s, r] of g.sources) timers[name.get(s)!] = r.timer;
  const expected: Partial<Record<Name, number>> = {};
  for (const [n, t] of Object.entries(c.requested) as [Name, Timer][]) {
    expected[n] = t === "GMI" ? NOW + GMI : t === "Group Timer" ? OLD_GROUP_TIMER : OLD[n];
  }
  for (const n of c.excluded) expected[n] = 0;
  deepStrictEqual(timers, expected, "sources and their timers");
  for (const [n, t] of Object.entries(c.requested) as [Name, Timer][]) {
    ok(timers[n]! > 0, `${n} is requested (timer > 0)`);
    if (t !== "unchanged") equal(g.sources.get(f.addr(n))!.queriesLeft, 0, `${n}: no queries`);
  }
  equal(
    g.groupTimer,
    c.groupTimer === "GMI" ? NOW + GMI : c.groupTimer === "unchanged" ? OLD_GROUP_TIMER : 0,
    "group timer",
  );
  equal(result.changed, c.changed, "changed");
  deepStrictEqual(
    result.queries.map((q) => [q.action.text, [...q.sources].map((s) => name.get(s)).sort()]),
    c.queries.map(([text, names]) => [text, [...names].sort()]),
    "queries",
  );
  for (const q of result.queries) {
    equal(q.action.kind, q.action.text === "Send Q(G)" ? "send-q-g" : "send-q-gs");
  }
}

for (const row of FILTER_TABLE) {
  const c = CASES[row.text];
  Deno.test(`${row.text}: ${c?.what ?? "(no case written for this row)"}`, async (t) => {
    ok(c !== undefined, `a case for ${row.text}`);
    deepStrictEqual(row.actions.map((a) => a.text), c.actions, "the RFC's actions, in order");
    equal(row.next, c.mode);
    await t.step("IPv4 (IGMPv3)", () => runCase(row, c, IPV4));
    await t.step("IPv6 (MLDv2)", () => runCase(row, c, IPV6));
  });
}

Deno.test("FILTER_TABLE: the 12 rows of §6.4.1 and §6.4.2 and the 3 timer rows, once each", () => {
  deepStrictEqual(FILTER_TABLE.map((r) => r.text).sort(), Object.keys(CASES).sort());
  equal(new Set(FILTER_TABLE.map((r) => `${r.state} ${r.event}`)).size, FILTER_TABLE.length);
});

Deno.test("FILTER_ROWS: finds each row by its state and event, and nothing else", () => {
  for (const row of FILTER_TABLE) equal(FILTER_ROWS[row.state][row.event], row, row.text);
  const events = (m: FilterMode) => Object.keys(FILTER_ROWS[m]).sort() as FilterEvent[];
  deepStrictEqual(
    events("INCLUDE"),
    ["ALLOW", "BLOCK", "IS_EX", "IS_IN", "SOURCE_TIMER", "TO_EX", "TO_IN"],
    "INCLUDE mode has no group timer",
  );
  deepStrictEqual(
    events("EXCLUDE"),
    ["ALLOW", "BLOCK", "GROUP_TIMER", "IS_EX", "IS_IN", "SOURCE_TIMER", "TO_EX", "TO_IN"],
  );
});

Deno.test("FILTER_TABLE: set expressions group left to right, parentheses first", () => {
  const block = FILTER_ROWS.EXCLUDE.BLOCK!;
  deepStrictEqual(block.requested, {
    op: "+",
    left: { name: "X" },
    right: { op: "-", left: { name: "A" }, right: { name: "Y" } },
  }, "X+(A-Y)");
  deepStrictEqual(block.excluded, { name: "Y" });
  const isEx = FILTER_ROWS.EXCLUDE.IS_EX!.actions[0];
  ok(isEx.kind === "set-timer");
  deepStrictEqual(isEx.sources, {
    op: "-",
    left: { op: "-", left: { name: "A" }, right: { name: "X" } },
    right: { name: "Y" },
  }, "A-X-Y is (A-X)-Y");
  equal(isEx.to, "GMI");
  equal(FILTER_ROWS.INCLUDE.IS_IN!.excluded, undefined, "an INCLUDE state has no Y");
});

Deno.test("evaluate: A names the router's set in INCLUDE rows and the record's in EXCLUDE rows", () => {
  const sets = {
    requested: new Set([1, 2]),
    excluded: new Set([3]),
    record: new Set([2, 4]),
  };
  const inc = FILTER_ROWS.INCLUDE.TO_IN!; // INCLUDE (A+B), Send Q(G,A-B)
  deepStrictEqual([...evaluate(inc, inc.requested, sets)].sort(), [1, 2, 4]);
  const q = inc.actions[1];
  ok(q.kind === "send-q-gs");
  deepStrictEqual([...evaluate(inc, q.sources, sets)], [1]);
  const exc = FILTER_ROWS.EXCLUDE.TO_IN!; // EXCLUDE (X+A,Y-A), Send Q(G,X-A)
  deepStrictEqual([...evaluate(exc, exc.requested, sets)].sort(), [1, 2, 4]);
  deepStrictEqual([...evaluate(exc, exc.excluded!, sets)], [3]);
  const xq = exc.actions[1];
  ok(xq.kind === "send-q-gs");
  deepStrictEqual([...evaluate(exc, xq.sources, sets)], [1]);
  equal(sets.requested.size, 2, "the inputs are not changed");
});

Deno.test("applyRow: changed is false when only timers move", async (t) => {
  // Each row with a record that leaves the sets as they were.
  const cases: [FilterMode, FilterEvent, Name[]][] = [
    ["INCLUDE", "IS_IN", ["ab"]],
    ["INCLUDE", "ALLOW", ["a", "ab"]],
    ["INCLUDE", "TO_IN", ["ab"]],
    ["INCLUDE", "BLOCK", ["b"]],
    ["INCLUDE", "SOURCE_TIMER", []],
    ["EXCLUDE", "IS_IN", ["x"]],
    ["EXCLUDE", "ALLOW", ["ax"]],
    ["EXCLUDE", "IS_EX", ["x", "ax", "y", "ay"]],
    ["EXCLUDE", "TO_EX", ["x", "ax", "y", "ay"]],
    ["EXCLUDE", "BLOCK", ["x", "y"]],
    ["EXCLUDE", "TO_IN", ["x", "ax"]],
    ["EXCLUDE", "SOURCE_TIMER", []],
  ];
  for (const f of [IPV4, IPV6] as Family<number | bigint>[]) {
    await t.step(f.name, () => {
      for (const [mode, event, names] of cases) {
        const row = FILTER_ROWS[mode][event]!;
        const g = startRecord(row, f);
        const before = [...g.sources.entries()].map(([s, r]) => [s, r.timer === 0]);
        const r = applyRow(row, g, new Set(names.map(f.addr)), NOW, GMI);
        equal(r.changed, false, `${row.text} with {${names}}`);
        deepStrictEqual(
          [...g.sources.entries()].map(([s, r]) => [s, r.timer === 0]),
          before,
          `${row.text}: the same sets`,
        );
      }
    });
  }
});

Deno.test("applyRow: a source that stays keeps its pending query count", () => {
  const row = FILTER_ROWS.INCLUDE.IS_IN!;
  const g: FilterRecord<number> = {
    mode: "INCLUDE",
    groupTimer: 0,
    sources: new Map([[1, { timer: 1000, queriesLeft: 1 }]]),
  };
  applyRow(row, g, new Set([1, 2]), 500, GMI);
  deepStrictEqual(g.sources.get(1), { timer: 500 + GMI, queriesLeft: 1 });
  deepStrictEqual(g.sources.get(2), { timer: 500 + GMI, queriesLeft: 0 });
});

Deno.test("parseExpr rejects what is not a set expression of the tables", () => {
  for (const bad of ["A+", "(A", "A B", "", "C", "A+(B", "A)"]) {
    let threw = false;
    try {
      parseExpr(bad);
    } catch {
      threw = true;
    }
    ok(threw, `"${bad}" is rejected`);
  }
  deepStrictEqual(parseExpr("X+(A-Y)"), {
    op: "+",
    left: { name: "X" },
    right: { op: "-", left: { name: "A" }, right: { name: "Y" } },
  });
});

Deno.test("the refresh rows' fast path gives what the general evaluation gives", () => {
  const now = 1000, gmi = 260_000;
  for (
    const [mode, event] of [["INCLUDE", "IS_IN"], ["INCLUDE", "ALLOW"], ["EXCLUDE", "IS_IN"], [
      "EXCLUDE",
      "ALLOW",
    ]] as const
  ) {
    const start = () => ({
      mode,
      groupTimer: mode === "EXCLUDE" ? 5000 : 0,
      sources: new Map([[1, { timer: 3000, queriesLeft: 1 }], [2, {
        timer: mode === "EXCLUDE" ? 0 : 4000,
        queriesLeft: 0,
      }]]),
    });
    const row = FILTER_ROWS[mode][event]!;
    const fast = start();
    const result = applyRow(row, fast, new Set([2, 3]), now, gmi);
    // The general evaluation, by the row's own expressions.
    const slow = start();
    const sets = {
      requested: new Set([1, ...(mode === "INCLUDE" ? [2] : [])]),
      excluded: new Set(mode === "EXCLUDE" ? [2] : []),
      record: new Set([2, 3]),
    };
    const requested = evaluate(row, row.requested, sets);
    const excluded = row.excluded === undefined ? new Set() : evaluate(row, row.excluded, sets);
    for (const s of [2, 3]) {
      slow.sources.set(s, { timer: now + gmi, queriesLeft: slow.sources.get(s)?.queriesLeft ?? 0 });
    }
    deepStrictEqual(
      new Set(fast.sources.keys()),
      new Set([...requested, ...excluded]),
      `${mode} ${event}`,
    );
    deepStrictEqual(fast.sources, slow.sources, `${mode} ${event}`);
    equal(fast.mode, row.next);
    equal(fast.groupTimer, mode === "EXCLUDE" ? 5000 : 0);
    equal(result.changed, true, "3 is new");
    deepStrictEqual(result.queries, []);
  }
});

Deno.test("a refresh gives the same result for a record as a list (in any order, repeats) as a set", () => {
  const now = 1000, gmi = 260_000;
  const lists = [
    [1, 2, 3], // the same order
    [3, 2, 1], // another order
    [1, 2, 4], // in step, then a new source
    [1, 1, 2], // a repeated source
    [1, 3], // fewer
    [1, 2, 3, 4], // more
    [],
  ];
  for (const mode of ["INCLUDE", "EXCLUDE"] as const) {
    for (const list of lists) {
      const start = () => ({
        mode,
        groupTimer: mode === "EXCLUDE" ? 5000 : 0,
        sources: new Map([
          [1, { timer: 3000, queriesLeft: 0 }],
          [2, { timer: mode === "EXCLUDE" ? 0 : 4000, queriesLeft: 1 }],
          [3, { timer: 3500, queriesLeft: 0 }],
        ]),
      });
      const row = FILTER_ROWS[mode].IS_IN!;
      const walked = start();
      const looked = start();
      const a = applyRow(row, walked, list, now, gmi);
      const b = applyRow(row, looked, new Set(list), now, gmi);
      const what = `${mode} [${list}]`;
      deepStrictEqual([...walked.sources].sort(), [...looked.sources].sort(), what);
      equal(a.changed, b.changed, what);
    }
  }
});
