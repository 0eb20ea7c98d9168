/**
 * The checks that need the whole file, run once every statement has been read: named
 * boundaries resolved against the scopes (which may be defined after their use), one upstream
 * interface, the timers' RFC constraint, query versions where they have no effect, and at
 * least one address family in use.
 *
 * @module
 */

import { type Boundary, effectiveTimers, type Position, type Scope } from "./config.ts";
import { VERSION_KEYWORDS } from "./keywords.ts";
import type { ParsedInterface, ParseState } from "./parse_state.ts";
import { closest } from "./suggest.ts";
import { where } from "./token_stream.ts";
import { samePrefix } from "./values.ts";
import { formatTimer, type ProtocolTimers, timerKeywordOf } from "../src/core/timers.ts";

/**
 * Runs every whole-file check on a parse, reporting to its token stream. Named boundaries get
 * their scope's prefix (and repeated ones are dropped) in place.
 */
export function validateConfig(state: ParseState): void {
  resolveBoundaries(state);
  checkUpstream(state);
  checkTimers(state);
  checkUpstreamVersions(state);
  checkFamilies(state);
}

/**
 * Gives named boundaries their scope's prefix; unknown names are errors, with the closest
 * scope name as a hint. Then drops, with a warning, a boundary that repeats an earlier one of
 * the interface (by prefix, however either was written).
 */
function resolveBoundaries(state: ParseState): void {
  const scopes = new Map<string, Scope>(state.config.scopes.map((s) => [s.name, s]));
  for (const parsed of state.interfaces) {
    const unresolved = new Set<Boundary>();
    for (const { boundary, token } of parsed.namedBoundaries) {
      const scope = scopes.get(token.value);
      if (scope !== undefined) {
        boundary.prefix = { ...scope.prefix };
        continue;
      }
      const hint = closest(token.value, [[...scopes.keys()]]);
      state.tokens.error(
        token,
        `unknown scope "${token.value}" in boundary` +
          (hint === undefined
            ? ` (define it with "name ${token.value} PREFIX")`
            : `: did you mean "${hint}"?`),
      );
      unresolved.add(boundary);
    }
    const resolved = parsed.config.boundaries.filter((b) => !unresolved.has(b));
    parsed.config.boundaries = dropRepeatedBoundaries(state, { parsed, boundaries: resolved });
  }
}

/** The boundaries without those that repeat an earlier one's prefix, each repeat warned of. */
function dropRepeatedBoundaries(
  state: ParseState,
  of: { parsed: ParsedInterface; boundaries: Boundary[] },
): Boundary[] {
  const { parsed } = of;
  const label = (x: Boundary) => x.name ?? `${x.prefix.address}/${x.prefix.length}`;
  const at = (x: Boundary) => parsed.boundaryAt.get(x) ?? parsed.config.position;
  const kept: Boundary[] = [];
  for (const b of of.boundaries) {
    const first = kept.find((k) => samePrefix(k.prefix, b.prefix));
    if (first === undefined) {
      kept.push(b);
      continue;
    }
    state.tokens.warn(
      at(b),
      `boundary "${label(b)}" repeats "${label(first)}" (at ${where(at(first))}) in ` +
        `interface "${parsed.config.name}"`,
    );
  }
  return kept;
}

/** Exactly one interface is upstream: none is an error at the end of the file, more at each. */
function checkUpstream(state: ParseState): void {
  const upstreams = state.interfaces.filter((p) => p.config.role === "upstream");
  if (upstreams.length === 0) {
    state.tokens.error(state.tokens.end, "no upstream interface configured");
    return;
  }
  const [first, ...more] = upstreams;
  for (const p of more) {
    state.tokens.error(
      p.roleAt ?? p.config.position,
      `interface "${p.config.name}" cannot be upstream: "${first.config.name}" already is ` +
        `(at ${where(first.roleAt ?? first.config.position)})`,
    );
  }
}

/**
 * Checks the RFC constraint between timers (Query Response Interval < Query Interval) at top
 * level and in every downstream block that sets one of the two, and warns about timers in an
 * upstream block, where nothing uses them.
 */
function checkTimers(state: ParseState): void {
  checkResponseInterval(state, undefined);
  for (const parsed of state.interfaces) {
    const iface = parsed.config;
    if (iface.role === "upstream") {
      for (const [field, at] of parsed.timerAt) {
        state.tokens.warn(
          at,
          `${timerKeywordOf(field).keyword} has no effect on upstream interface ` +
            `"${iface.name}" (the upstream querier sets the timers there)`,
        );
      }
      continue;
    }
    if (iface.role !== "downstream") continue;
    // A block that sets neither inherits a pair already checked at top level.
    if (!parsed.timerAt.has("queryInterval") && !parsed.timerAt.has("queryResponseInterval")) {
      continue;
    }
    checkResponseInterval(state, parsed);
  }
}

/**
 * Query Response Interval < Query Interval with the values in effect at top level (`parsed`
 * undefined) or in an interface. The error stands where this level set one of the two (the
 * response interval preferred) and names where the other came from; a level that set
 * neither is not reported.
 */
function checkResponseInterval(state: ParseState, parsed: ParsedInterface | undefined): void {
  const t = effectiveTimers(state.config, parsed?.config);
  if (t.queryResponseInterval < t.queryInterval) return;
  const localAt = parsed?.timerAt ?? state.timerAt;
  const at = (field: keyof ProtocolTimers) => localAt.get(field) ?? state.timerAt.get(field);
  const here = localAt.get("queryResponseInterval") ?? localAt.get("queryInterval");
  if (here === undefined) return;
  const other = here === at("queryResponseInterval")
    ? origin("query-interval", at("queryInterval"))
    : origin("query-response-interval", at("queryResponseInterval"));
  const inIface = parsed === undefined ? "" : ` in interface "${parsed.config.name}"`;
  state.tokens.error(
    here,
    `query-response-interval ${formatTimer("queryResponseInterval", t.queryResponseInterval)} s ` +
      `must be less than query-interval ${formatTimer("queryInterval", t.queryInterval)} s` +
      `${inIface} (${other})`,
  );
}

/** Where a timer value comes from, for messages. */
function origin(keyword: string, at: Position | undefined): string {
  return at === undefined ? `the default ${keyword}` : `${keyword} at ${where(at)}`;
}

/** Warns about `igmp-version` and `mld-version` in an upstream block, where nothing queries. */
function checkUpstreamVersions(state: ParseState): void {
  for (const parsed of state.interfaces) {
    if (parsed.config.role !== "upstream") continue;
    for (const { keyword } of VERSION_KEYWORDS) {
      const at = parsed.seen.get(keyword);
      if (at === undefined) continue;
      state.tokens.warn(
        at,
        `${keyword} has no effect on upstream interface "${parsed.config.name}" (the proxy ` +
          "does not query there; the kernel answers the upstream querier in its version)",
      );
    }
  }
}

/** Warns when no interface in use has IPv4 or IPv6 on. */
function checkFamilies(state: ParseState): void {
  const { config } = state;
  const used = state.interfaces.filter((p) => p.config.role !== "disabled");
  if (used.length === 0) return;
  const on = used.some((p) => (p.config.ipv4 ?? config.ipv4) || (p.config.ipv6 ?? config.ipv6));
  if (!on) {
    state.tokens.warn(
      state.tokens.end,
      "IPv4 and IPv6 are both off on every interface: nothing is proxied",
    );
  }
}
