/**
 * The router's source-filter tables of IGMPv3 (RFC 3376 sections 6.4.1, 6.4.2 and 6.5) and
 * MLDv2 (RFC 3810 sections 7.4.1, 7.4.2 and 7.5, the same tables with MLD names), as data.
 *
 * Each row is written as the RFC prints it: the router state, the record received, the new
 * router state and the actions, with the RFC's set names:
 *
 * - INCLUDE (A): A is the set of sources with running timers.
 * - EXCLUDE (X,Y): X, the "requested" sources, have running timers; Y, the "excluded" ones,
 *   have timer 0. Every source in neither is forwarded too.
 * - The record's sources are B in INCLUDE rows, A in EXCLUDE rows.
 *
 * The timer rows of section 6.5 use the same form: the sources whose timers expired are the
 * record's set. {@link applyFilterRow} evaluates a row into the new sets and the actions, and
 * {@link FILTER_ROWS} finds a row in one lookup.
 *
 * @module
 */

/** A router filter mode (RFC 3376 section 6.2.1). */
export type FilterMode = "INCLUDE" | "EXCLUDE";

/**
 * What a row is about: the six record types (RFC 3376 section 4.2.12), and the two timers whose
 * expiry changes the source sets (section 6.5).
 */
export type FilterEvent =
  | "IS_IN"
  | "IS_EX"
  | "TO_IN"
  | "TO_EX"
  | "ALLOW"
  | "BLOCK"
  | "SOURCE_TIMER"
  | "GROUP_TIMER";

/** A set expression over the names A, B, X, Y with `+` (union), `*` (intersection), `-`. */
export type Expr =
  | { name: "A" | "B" | "X" | "Y" }
  | { op: "+" | "*" | "-"; left: Expr; right: Expr };

/** A row's action, parsed from its RFC text. */
export type FilterAction =
  /** `(B)=GMI`, `(B-A)=0`, `(A-X-Y)=Group Timer`: set the timers of these sources. */
  | { kind: "set-timer"; sources: Expr; to: "GMI" | "0" | "Group Timer"; text: string }
  /** `Delete (A-B)`: forget these sources. */
  | { kind: "delete"; sources: Expr; text: string }
  /** `Group Timer=GMI`. */
  | { kind: "group-timer"; text: string }
  /** `Send Q(G)`: a group-specific query. */
  | { kind: "send-q-g"; text: string }
  /** `Send Q(G,A*B)`: a group-and-source-specific query for these sources. */
  | { kind: "send-q-gs"; sources: Expr; text: string };

/** One row of the tables. */
export interface FilterRow {
  /** The router's filter mode before. */
  state: FilterMode;
  /** The record or timer. */
  event: FilterEvent;
  /** The new filter mode. */
  next: FilterMode;
  /** INCLUDE: the new source set; EXCLUDE: the new requested set X. */
  requested: Expr;
  /** EXCLUDE only: the new excluded set Y. */
  excluded?: Expr;
  /** The actions, in the order the RFC lists them. */
  actions: readonly FilterAction[];
  /** The row as the RFC prints it, for logs: `INCLUDE (A) TO_IN (B) -> INCLUDE (A+B)`. */
  text: string;
}

/** Parses a set expression: names, `+ * -` left to right, parentheses. Throws on bad text. */
export function parseExpr(text: string): Expr {
  let i = 0;
  const primary = (): Expr => {
    const c = text[i++];
    if (c === "(") {
      const e = binary();
      if (text[i++] !== ")") throw new Error(`Bad set expression: ${text}`);
      return e;
    }
    if (c === "A" || c === "B" || c === "X" || c === "Y") return { name: c };
    throw new Error(`Bad set expression: ${text}`);
  };
  const binary = (): Expr => {
    let left = primary();
    while (text[i] === "+" || text[i] === "*" || text[i] === "-") {
      const op = text[i++] as "+" | "*" | "-";
      left = { op, left, right: primary() };
    }
    return left;
  };
  const e = binary();
  if (i !== text.length) throw new Error(`Bad set expression: ${text}`);
  return e;
}

/** Parses one action of the RFC's action column. */
function parseAction(text: string): FilterAction {
  let m = /^\((.+)\)=(GMI|0|Group Timer)$/.exec(text);
  if (m) return { kind: "set-timer", sources: parseExpr(m[1]), to: m[2] as "GMI", text };
  m = /^Delete \((.+)\)$/.exec(text);
  if (m) return { kind: "delete", sources: parseExpr(m[1]), text };
  if (text === "Group Timer=GMI") return { kind: "group-timer", text };
  if (text === "Send Q(G)") return { kind: "send-q-g", text };
  m = /^Send Q\(G,(.+)\)$/.exec(text);
  if (m) return { kind: "send-q-gs", sources: parseExpr(m[1]), text };
  throw new Error(`Bad action: ${text}`);
}

/** A row from the RFC's text: `row("INCLUDE (A)", "IS_EX (B)", "EXCLUDE (A*B,B-A)", [...])`. */
function row(
  state: string,
  record: string,
  next: string,
  actions: readonly string[],
): FilterRow {
  const s = /^(INCLUDE|EXCLUDE) \(/.exec(state);
  const r = /^([A-Z_]+)/.exec(record);
  const n = /^(INCLUDE|EXCLUDE) \((.+)\)$/.exec(next);
  if (!s || !r || !n) throw new Error(`Bad row: ${state} ${record} ${next}`);
  const sets = n[2].split(",");
  return {
    state: s[1] as FilterMode,
    event: r[1] as FilterEvent,
    next: n[1] as FilterMode,
    requested: parseExpr(sets[0]),
    excluded: sets[1] === undefined ? undefined : parseExpr(sets[1]),
    actions: actions.map(parseAction),
    text: `${state} ${record} -> ${next}`,
  };
}

/**
 * The tables. Section 6.4.1 (current-state records), 6.4.2 (filter-mode and source-list change
 * records), then 6.5 (timers: the expired sources are the record's set).
 */
// deno-fmt-ignore
export const FILTER_TABLE: readonly FilterRow[] = [
  // RFC 3376 §6.4.1 / RFC 3810 §7.4.1: current-state records.
  row("INCLUDE (A)",   "IS_IN (B)", "INCLUDE (A+B)",       ["(B)=GMI"]),
  row("INCLUDE (A)",   "IS_EX (B)", "EXCLUDE (A*B,B-A)",   ["(B-A)=0", "Delete (A-B)", "Group Timer=GMI"]),
  row("EXCLUDE (X,Y)", "IS_IN (A)", "EXCLUDE (X+A,Y-A)",   ["(A)=GMI"]),
  row("EXCLUDE (X,Y)", "IS_EX (A)", "EXCLUDE (A-Y,Y*A)",   ["(A-X-Y)=GMI", "Delete (X-A)", "Delete (Y-A)", "Group Timer=GMI"]),
  // RFC 3376 §6.4.2 / RFC 3810 §7.4.2: state-change records.
  row("INCLUDE (A)",   "ALLOW (B)", "INCLUDE (A+B)",       ["(B)=GMI"]),
  row("INCLUDE (A)",   "BLOCK (B)", "INCLUDE (A)",         ["Send Q(G,A*B)"]),
  row("INCLUDE (A)",   "TO_EX (B)", "EXCLUDE (A*B,B-A)",   ["(B-A)=0", "Delete (A-B)", "Send Q(G,A*B)", "Group Timer=GMI"]),
  row("INCLUDE (A)",   "TO_IN (B)", "INCLUDE (A+B)",       ["(B)=GMI", "Send Q(G,A-B)"]),
  row("EXCLUDE (X,Y)", "ALLOW (A)", "EXCLUDE (X+A,Y-A)",   ["(A)=GMI"]),
  row("EXCLUDE (X,Y)", "BLOCK (A)", "EXCLUDE (X+(A-Y),Y)", ["(A-X-Y)=Group Timer", "Send Q(G,A-Y)"]),
  row("EXCLUDE (X,Y)", "TO_EX (A)", "EXCLUDE (A-Y,Y*A)",   ["(A-X-Y)=Group Timer", "Delete (X-A)", "Delete (Y-A)", "Send Q(G,A-Y)", "Group Timer=GMI"]),
  row("EXCLUDE (X,Y)", "TO_IN (A)", "EXCLUDE (X+A,Y-A)",   ["(A)=GMI", "Send Q(G,X-A)", "Send Q(G)"]),
  // RFC 3376 §6.3 and §6.5 / RFC 3810 §7.3 and §7.5: timers.
  row("INCLUDE (A)",   "SOURCE_TIMER (B)", "INCLUDE (A-B)",     ["Delete (B)"]),
  row("EXCLUDE (X,Y)", "SOURCE_TIMER (A)", "EXCLUDE (X-A,Y+A)", ["(A)=0"]),
  row("EXCLUDE (X,Y)", "GROUP_TIMER (A)",  "INCLUDE (X)",       ["Delete (Y)"]),
];

/** The rows by state, then event. */
export const FILTER_ROWS: {
  readonly [S in FilterMode]: { readonly [E in FilterEvent]?: FilterRow };
} = { INCLUDE: {}, EXCLUDE: {} };
for (const r of FILTER_TABLE) {
  (FILTER_ROWS[r.state] as { [E in FilterEvent]?: FilterRow })[r.event] = r;
}

/** The sets a row reads: the router's, and the record's under its row name. */
export interface FilterSets<A> {
  /** INCLUDE: A, the router's sources. EXCLUDE: X, the requested sources. */
  requested: ReadonlySet<A>;
  /** EXCLUDE: Y, the excluded sources (empty in INCLUDE). */
  excluded: ReadonlySet<A>;
  /** The record's sources (B in INCLUDE rows, A in EXCLUDE rows). */
  record: ReadonlySet<A>;
}

/** Evaluates a set expression of `row` against the sets. */
export function evaluate<A>(row: FilterRow, e: Expr, sets: FilterSets<A>): Set<A> {
  if ("name" in e) {
    switch (e.name) {
      case "A":
        return new Set(row.state === "INCLUDE" ? sets.requested : sets.record);
      case "B":
        return new Set(sets.record);
      case "X":
        return new Set(sets.requested);
      case "Y":
        return new Set(sets.excluded);
    }
  }
  const left = evaluate(row, e.left, sets);
  const right = evaluate(row, e.right, sets);
  switch (e.op) {
    case "+":
      for (const s of right) left.add(s);
      return left;
    case "*":
      for (const s of left) if (!right.has(s)) left.delete(s);
      return left;
    case "-":
      for (const s of right) left.delete(s);
      return left;
  }
}

/** What a row changes besides the sources: what {@link applyRow} needs of the record. */
export interface FilterRecord<A> {
  /** Filter mode. */
  mode: FilterMode;
  /** Group timer (absolute; 0 in INCLUDE mode). */
  groupTimer: number;
  /** Sources with their timers (0: excluded). */
  sources: Map<A, { timer: number; queriesLeft: number }>;
}

/** The result of {@link applyRow}. */
export interface RowResult<A> {
  /** Whether the mode or a source set changed. */
  changed: boolean;
  /** The row's "Send Q(G)" and "Send Q(G,S)" actions with their sources, for the caller. */
  queries: { action: FilterAction; sources: Set<A> }[];
}

/** The router's sets of a record: INCLUDE (A), or EXCLUDE (X,Y). */
function routerSets<A>(g: FilterRecord<A>): { requested: Set<A>; excluded: Set<A> } {
  const requested = new Set<A>();
  const excluded = new Set<A>();
  for (const [s, r] of g.sources) {
    if (g.mode === "EXCLUDE" && r.timer === 0) excluded.add(s);
    else requested.add(s);
  }
  return { requested, excluded };
}

function sameSet<A>(a: ReadonlySet<A>, b: ReadonlySet<A>): boolean {
  if (a.size !== b.size) return false;
  for (const s of a) if (!b.has(s)) return false;
  return true;
}

/**
 * Runs a row on a record: every set of the row is evaluated on the state before, then the
 * actions run in the RFC's order (timers, deletions, the group timer), and the record takes the
 * row's new state. The queries to send are returned, not sent: only the querier sends them.
 * `record` is the record's sources (a repeated source counts once).
 */
export function applyRow<A>(
  row: FilterRow,
  g: FilterRecord<A>,
  record: Iterable<A>,
  now: number,
  gmi: number,
): RowResult<A> {
  if (FAST_ROWS.has(row)) return applyRefreshRow(g, record, now + gmi);
  const before = routerSets(g);
  const sets: FilterSets<A> = {
    ...before,
    record: record instanceof Set ? record : new Set(record),
  };
  const requested = evaluate(row, row.requested, sets);
  const excluded = row.excluded === undefined ? new Set<A>() : evaluate(row, row.excluded, sets);
  const planned = row.actions.map((action) => ({
    action,
    sources: "sources" in action ? evaluate(row, action.sources, sets) : new Set<A>(),
  }));
  const queries: RowResult<A>["queries"] = [];
  for (const { action, sources } of planned) {
    switch (action.kind) {
      case "set-timer": {
        const timer = action.to === "GMI" ? now + gmi : action.to === "0" ? 0 : g.groupTimer;
        for (const s of sources) {
          const r = g.sources.get(s);
          if (r === undefined) g.sources.set(s, { timer, queriesLeft: 0 });
          else r.timer = timer;
        }
        break;
      }
      case "delete":
        for (const s of sources) g.sources.delete(s);
        break;
      case "group-timer":
        g.groupTimer = now + gmi;
        break;
      case "send-q-g":
      case "send-q-gs":
        queries.push({ action, sources });
        break;
    }
  }
  // The new state: whatever the actions left outside it goes, excluded sources have timer 0.
  for (const s of [...g.sources.keys()]) {
    if (!requested.has(s) && !excluded.has(s)) g.sources.delete(s);
  }
  for (const s of excluded) {
    const r = g.sources.get(s);
    if (r === undefined) g.sources.set(s, { timer: 0, queriesLeft: 0 });
    else r.timer = 0;
  }
  const modeChanged = g.mode !== row.next;
  g.mode = row.next;
  if (g.mode === "INCLUDE") g.groupTimer = 0;
  return {
    changed: modeChanged || !sameSet(before.requested, requested) ||
      !sameSet(before.excluded, excluded),
    queries,
  };
}

/**
 * The rows that only add the record's sources to the requested ones with timer GMI, which
 * periodic reports run again and again: INCLUDE (A) IS_IN (B) and ALLOW (B) -> INCLUDE (A+B),
 * (B)=GMI; EXCLUDE (X,Y) IS_IN (A) and ALLOW (A) -> EXCLUDE (X+A,Y-A), (A)=GMI.
 */
const FAST_ROWS: ReadonlySet<FilterRow> = new Set(
  [
    FILTER_ROWS.INCLUDE.IS_IN,
    FILTER_ROWS.INCLUDE.ALLOW,
    FILTER_ROWS.EXCLUDE.IS_IN,
    FILTER_ROWS.EXCLUDE.ALLOW,
  ].filter((r): r is FilterRow => r !== undefined),
);

/**
 * {@link applyRow} for {@link FAST_ROWS}, without building the sets: every source of the record
 * gets timer `gmi` (an excluded one becomes requested); the sets change when one was new or
 * excluded.
 */
function applyRefreshRow<A>(g: FilterRecord<A>, record: Iterable<A>, gmi: number): RowResult<A> {
  let changed = false;
  for (const s of record) {
    const r = g.sources.get(s);
    if (r === undefined) {
      g.sources.set(s, { timer: gmi, queriesLeft: 0 });
      changed = true;
    } else {
      if (r.timer === 0) changed = true;
      r.timer = gmi;
    }
  }
  return changed ? REFRESH_CHANGED : REFRESH_UNCHANGED;
}

/** The results of a refresh row, shared: it sends no query. */
const REFRESH_CHANGED: RowResult<never> = Object.freeze({
  changed: true,
  queries: Object.freeze([]) as unknown as [],
});
const REFRESH_UNCHANGED: RowResult<never> = Object.freeze({
  changed: false,
  queries: Object.freeze([]) as unknown as [],
});

/**
 * Whether `row` is a refresh row: it only sets the record's sources' timers to GMI (and adds
 * them), so no timer of the record moves earlier than GMI from now.
 */
export function isRefreshRow(row: FilterRow): boolean {
  return FAST_ROWS.has(row);
}
