/**
 * The options after `phyint IFACE` and `tunnel LOCAL REMOTE`: `disable`, `metric`,
 * `threshold`, `rate_limit`, `boundary`, `altnet` and `igmpv1`, in any order and number, up to
 * the next statement keyword. In a free-form grammar nothing else ends a statement.
 *
 * A vif whose statement had an error is still read to its end: its options' values are checked
 * and reported, and nothing is kept (the file is refused anyway).
 *
 * @module
 */

import { closest } from "../suggest.ts";
import {
  METRIC_MAX,
  METRIC_MIN,
  RATE_LIMIT_MAX,
  RATE_LIMIT_MIN,
  THRESHOLD_MAX,
  THRESHOLD_MIN,
} from "./config.ts";
import {
  findVifOption,
  PHYINT_OPTIONS,
  STATEMENT_KEYWORDS,
  TUNNEL_OPTIONS,
  UNSUPPORTED_KEYWORDS,
  type VifOption,
} from "./keywords.ts";
import { type MroutedParse, noteSeen, type ParsedVif } from "./parse_state.ts";
import {
  formatPrefix,
  isBoundaryName,
  parseAltnet,
  parseBoundaryPrefix,
  parseNumber,
  samePrefix,
} from "./values.ts";
import { describeWord, isValueToken, shown, type Token } from "./words.ts";
import { where } from "../token_stream.ts";

/**
 * Which statement the options belong to: a phyint, a tunnel, or none known (after an unknown
 * word, or for options with no statement before them); `vif` undefined when nothing is kept.
 */
export interface VifContext {
  /** The kind of statement, which decides which options are valid. */
  kind: "phyint" | "tunnel" | "unknown";
  /** The vif the options apply to. */
  vif: ParsedVif | undefined;
}

/** The ranges of the numeric options. */
const RANGES = {
  metric: { keyword: "metric", min: METRIC_MIN, max: METRIC_MAX },
  threshold: { keyword: "threshold", min: THRESHOLD_MIN, max: THRESHOLD_MAX },
  rate_limit: { keyword: "rate_limit", min: RATE_LIMIT_MIN, max: RATE_LIMIT_MAX },
} as const;

/** Suggestions are not looked for past this length (keywords are shorter). */
const SUGGEST_MAX_LENGTH = 24;

/**
 * Reads options up to the next statement keyword or the end of the file, applying them to
 * `ctx.vif`. Unknown words are reported and skipped up to the next keyword.
 */
export function parseVifOptions(parse: MroutedParse, ctx: VifContext): void {
  const { words } = parse;
  for (;;) {
    const t = words.peek();
    if (t.kind === "eof") return;
    if (t.kind === "word" && STATEMENT_KEYWORDS.includes(t.value)) return;
    words.next();
    const option = t.kind === "word" ? findVifOption(t.value) : undefined;
    if (option !== undefined) {
      parseOption(parse, { ctx, option, kw: t });
      continue;
    }
    const hint = reportUnexpected(parse, { ctx, t });
    words.skipToKeyword();
    // A mistyped statement keyword ends the statement: what follows is not this vif's.
    if (hint !== undefined && STATEMENT_KEYWORDS.includes(hint)) {
      ctx = { kind: "unknown", vif: undefined };
    }
  }
}

/**
 * Reports a token that is no option where it stands (an unknown word, a keyword of other
 * mrouted versions, a value, a brace) and returns the keyword suggested, if any.
 */
export function reportUnexpected(
  parse: MroutedParse,
  at: { ctx: VifContext; t: Token },
): string | undefined {
  const { ctx, t } = at;
  const { words } = parse;
  const scope = ctx.vif === undefined ? "" : ` in ${ctx.vif.label}`;
  if (t.kind === "word" && UNSUPPORTED_KEYWORDS.includes(t.value)) {
    words.error(t, `"${t.value}" is an mrouted keyword that mcast-routed does not support`);
    return undefined;
  }
  if (t.kind !== "word" || !/^[A-Za-z_]/.test(t.value)) {
    words.error(t, `expected a keyword${scope}, found ${describeWord(t)}`);
    return undefined;
  }
  const hint = suggest(t.value, ctx.kind);
  words.error(
    t,
    `unknown keyword "${shown(t.value)}"${scope}` +
      (hint === undefined ? "" : `: did you mean "${hint}"?`),
  );
  return hint;
}

/** The keyword closest to `word`, preferring the options valid in `kind`, then statements. */
function suggest(word: string, kind: VifContext["kind"]): string | undefined {
  if (word.length > SUGGEST_MAX_LENGTH) return undefined;
  const options = kind === "tunnel" ? TUNNEL_OPTIONS : PHYINT_OPTIONS;
  return kind === "unknown"
    ? closest(word, [STATEMENT_KEYWORDS, PHYINT_OPTIONS])
    : closest(word, [options, STATEMENT_KEYWORDS, PHYINT_OPTIONS]);
}

/** One option whose keyword `kw` has been read: its value, checked, applied to the vif. */
function parseOption(
  parse: MroutedParse,
  at: { ctx: VifContext; option: VifOption; kw: Token },
): void {
  const { ctx, option, kw } = at;
  const { words } = parse;
  if (ctx.kind === "tunnel" && !option.tunnel) {
    words.error(kw, `"${kw.value}" applies to a phyint, not to a tunnel`);
    // Its value, if it has one, goes with it.
    if (option.value !== undefined && isValueToken(words.peek())) words.next();
    return;
  }
  let value: Token | undefined;
  if (option.value !== undefined) {
    value = words.expectValue(option.value, kw.value);
    if (value === undefined) return;
  }
  const vif = ctx.vif;
  switch (option.keyword) {
    case "disable":
    case "igmpv1":
      if (vif?.kind !== "phyint") return;
      noteSeen(words, { seen: vif.seen, kw, scope: ` for ${vif.label}` });
      vif.config[option.keyword === "disable" ? "disable" : "igmpv1"] = true;
      return;
    case "metric":
    case "threshold":
    case "rate_limit":
      return setNumber(parse, { vif, kw, value: value as Token });
    case "boundary":
      return addBoundary(parse, { vif, value: value as Token });
    case "altnet":
      return addAltnet(parse, { vif, value: value as Token });
  }
}

/** `metric`, `threshold` or `rate_limit` with its value token. */
function setNumber(
  parse: MroutedParse,
  at: { vif: ParsedVif | undefined; kw: Token; value: Token },
): void {
  const { vif, kw, value } = at;
  const keyword = kw.value as keyof typeof RANGES;
  const n = parse.words.take(value, parseNumber(value.value, RANGES[keyword]));
  if (n === undefined || vif === undefined) return;
  noteSeen(parse.words, { seen: vif.seen, kw, scope: ` for ${vif.label}` });
  const field = keyword === "rate_limit" ? "rateLimit" : keyword;
  vif.config[field] = n;
}

/** `boundary NAME|PREFIX`: a name is kept to be resolved at the end of the file. */
function addBoundary(parse: MroutedParse, at: { vif: ParsedVif | undefined; value: Token }): void {
  const { vif, value } = at;
  if (isBoundaryName(value.value)) {
    vif?.boundaries.push({ kind: "name", token: value });
    return;
  }
  const prefix = parse.words.take(value, parseBoundaryPrefix(value.value, "boundary"));
  if (prefix !== undefined) vif?.boundaries.push({ kind: "prefix", prefix, at: value.position });
}

/** `altnet PREFIX` of a phyint; one listed twice is a warning and kept once. */
function addAltnet(parse: MroutedParse, at: { vif: ParsedVif | undefined; value: Token }): void {
  const { vif, value } = at;
  const prefix = parse.words.take(value, parseAltnet(value.value));
  if (prefix === undefined || vif?.kind !== "phyint") return;
  const i = vif.config.altnets.findIndex((a) => samePrefix(a, prefix));
  if (i >= 0) {
    parse.words.warn(
      value.position,
      `altnet ${formatPrefix(prefix)} is listed twice for ${vif.label} ` +
        `(first at ${where(vif.altnetAt[i])})`,
    );
    return;
  }
  vif.config.altnets.push(prefix);
  vif.altnetAt.push(value.position);
}
