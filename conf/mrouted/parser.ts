/**
 * The reader of mrouted.conf, the configuration of the routing mode `mcast-routed` (DVMRPv3,
 * draft-ietf-idmr-dvmrp-v3-11): mrouted's grammar, free-form (newlines are not significant),
 * `#` comments to the end of the line.
 *
 * ```
 * file      = { statement }
 * statement = "phyint" IFACE { phyopt }               IFACE: a local address or interface name
 *           | "tunnel" IFACE REMOTE { tunopt }         REMOTE: an address or host name
 *           | "name" NAME PREFIX                       a boundary name (multicast range)
 *           | "cache_lifetime" SECONDS                 300-86400, default 300
 *           | "prune_lifetime" SECONDS                 120-86400, default 7200
 *           | "pruning" ("on" | "off")                 default on
 * tunopt    = "metric" NUMBER                          1-31, default 1
 *           | "threshold" NUMBER                       1-255, default 1
 *           | "rate_limit" NUMBER                      kbit/s 0-1000000; phyint 0, tunnel 500
 *           | "boundary" (NAME | PREFIX)               multicast, host bits clear; repeatable
 * phyopt    = tunopt | "disable" | "igmpv1"
 *           | "altnet" PREFIX                          a unicast subnet; repeatable
 * ```
 *
 * Rules beyond the grammar, as mrouted's: phyint statements come before tunnel statements
 * (a phyint after a tunnel is an error); statements for one interface (written the same way)
 * are merged, later settings winning with a warning; two tunnels to one remote end are an
 * error. A boundary name may be used before or after its `name` statement (mrouted wants it
 * before); an undefined one is an error. Keywords are reserved: a value cannot be one, so a
 * missing value is reported at the keyword that follows.
 *
 * Every error is reported with the position of the offending word, and reading goes on at the
 * next keyword, so one run reports them all; diagnostics come back sorted by position. Any
 * error makes the result's `config` undefined; warnings do not. Nothing is resolved (interface
 * names, host names): the parse is pure.
 *
 * @module
 */

import type { ConfigDiagnostic } from "../config.ts";
import {
  CACHE_LIFETIME_MAX,
  CACHE_LIFETIME_MIN,
  defaultTunnel,
  type MroutedConfig,
  PRUNE_LIFETIME_MAX,
  PRUNE_LIFETIME_MIN,
} from "./config.ts";
import { findVifOption, STATEMENT_KEYWORDS } from "./keywords.ts";
import {
  formatIfaceRef,
  type MroutedParse,
  newMroutedParse,
  noteSeen,
  type ParsedTunnel,
  phyintFor,
} from "./parse_state.ts";
import { validateMroutedConfig } from "./validate.ts";
import {
  checkBoundaryName,
  parseBoundaryPrefix,
  parseIfaceRef,
  parseNumber,
  parseOnOff,
  parseTunnelRemote,
} from "./values.ts";
import { parseVifOptions, reportUnexpected, type VifContext } from "./vif_options.ts";
import { type Token, WordStream } from "./words.ts";
import { where } from "../token_stream.ts";
import { formatIPv4 } from "../../src/proto/addr.ts";

/** What {@link parseMroutedConfig} returns. */
export interface MroutedParseResult {
  /** The configuration, or `undefined` when there is at least one error. */
  config: MroutedConfig | undefined;
  /** Errors and warnings sorted by position. */
  diagnostics: ConfigDiagnostic[];
}

/** Options that no statement is before: they are checked and dropped. */
const NO_VIF: VifContext = { kind: "unknown", vif: undefined };

/**
 * Parses the text of an mrouted.conf whose name (for positions) is `file`.
 *
 * @example
 * ```ts
 * const { config, diagnostics } = parseMroutedConfig(
 *   "phyint le0 metric 2\ntunnel 10.0.0.1 10.1.1.1 threshold 32\n",
 *   "/etc/mrouted.conf",
 * );
 * for (const d of diagnostics) console.error(formatDiagnostic(d));
 * config?.tunnels[0].rateLimit; // 500
 * ```
 */
export function parseMroutedConfig(text: string, file: string): MroutedParseResult {
  const words = new WordStream(text, file);
  const parse = newMroutedParse(words);
  parseStatements(parse);
  validateMroutedConfig(parse);
  const diagnostics = words.sortedDiagnostics();
  const failed = diagnostics.some((d) => d.severity === "error");
  return { config: failed ? undefined : parse.config, diagnostics };
}

/** Reads statements to the end of the file. */
function parseStatements(parse: MroutedParse): void {
  const { words } = parse;
  for (;;) {
    const t = words.peek();
    if (t.kind === "eof") return;
    if (t.kind === "word" && STATEMENT_KEYWORDS.includes(t.value)) {
      parseStatement(parse, words.next());
      continue;
    }
    if (t.kind === "word" && findVifOption(t.value) !== undefined) {
      // Left to be read below, with its value.
      words.error(t, `"${t.value}" must follow a phyint or tunnel statement`);
    } else {
      reportUnexpected(parse, { ctx: NO_VIF, t: words.next() });
      words.skipToKeyword();
    }
    // What follows up to the next statement belongs to no statement: checked, not kept.
    parseVifOptions(parse, NO_VIF);
  }
}

/** One statement after its keyword (a documented dispatch on the keyword). */
function parseStatement(parse: MroutedParse, kw: Token): void {
  switch (kw.value) {
    case "phyint":
      return parsePhyint(parse, kw);
    case "tunnel":
      return parseTunnel(parse, kw);
    case "name":
      return parseName(parse, kw);
    case "cache_lifetime":
    case "prune_lifetime":
      return parseLifetime(parse, kw);
    case "pruning":
      return parsePruning(parse, kw);
  }
}

/**
 * Skips, after a statement that lacks a value, to the next statement: an option keyword on the
 * way (`name metric ...`) is where the value was missing, not a statement of its own.
 */
function skipToStatement(words: WordStream): void {
  for (;;) {
    const t = words.peek();
    if (t.kind === "eof" || (t.kind === "word" && STATEMENT_KEYWORDS.includes(t.value))) return;
    words.next();
  }
}

/**
 * `phyint IFACE options`: settings of one of the router's interfaces, which are all used by
 * default. It must come before every tunnel.
 */
function parsePhyint(parse: MroutedParse, kw: Token): void {
  const { words } = parse;
  if (parse.firstTunnelAt !== undefined) {
    words.error(
      kw,
      "phyint commands must precede tunnel commands " +
        `(the first tunnel is at ${where(parse.firstTunnelAt)})`,
    );
  }
  const t = words.expectValue("an interface address or name", "phyint");
  const iface = t === undefined ? undefined : words.take(t, parseIfaceRef(t.value, "phyint"));
  const vif = iface === undefined ? undefined : phyintFor(parse, iface, kw.position);
  parseVifOptions(parse, { kind: "phyint", vif });
}

/** `tunnel LOCAL REMOTE options`: a point-to-point vif to another DVMRP router. */
function parseTunnel(parse: MroutedParse, kw: Token): void {
  const { words } = parse;
  parse.firstTunnelAt ??= kw.position;
  const l = words.expectValue("a local address or interface name", "tunnel");
  const r = l === undefined
    ? undefined
    : words.expectValue("a remote address or host name", `tunnel ${l.value}`);
  const local = l === undefined ? undefined : words.take(l, parseIfaceRef(l.value, "tunnel"));
  const remote = r === undefined ? undefined : words.take(r, parseTunnelRemote(r.value));
  let vif: ParsedTunnel | undefined;
  if (local?.kind === "address" && remote?.kind === "address" && local.address === remote.address) {
    words.error(r as Token, `tunnel remote ${formatIPv4(remote.address)} is its local address`);
  } else if (local !== undefined && remote !== undefined) {
    const to = remote.kind === "address" ? formatIPv4(remote.address) : remote.name;
    vif = {
      kind: "tunnel",
      config: defaultTunnel({ local, remote }, kw.position),
      label: `tunnel from ${formatIfaceRef(local)} to ${to}`,
      seen: new Map(),
      boundaries: [],
      remoteToken: r as Token,
    };
    parse.tunnels.push(vif);
  }
  parseVifOptions(parse, { kind: "tunnel", vif });
}

/** `name NAME PREFIX`: names a scoped range for `boundary`; a name is defined once. */
function parseName(parse: MroutedParse, kw: Token): void {
  const { words } = parse;
  const nameTok = words.expectValue("a boundary name", kw.value);
  if (nameTok === undefined) return skipToStatement(words);
  const name = nameTok.value;
  const badName = checkBoundaryName(name);
  if (badName !== undefined) words.error(nameTok, badName);
  const t = words.expectValue("a multicast PREFIX", `name ${name}`);
  if (t === undefined) return skipToStatement(words);
  const prefix = words.take(t, parseBoundaryPrefix(t.value, `name ${name}`));
  const first = parse.nameAt.get(name);
  if (first !== undefined) {
    words.error(nameTok, `boundary name "${name}" is defined twice (first at ${where(first)})`);
    return;
  }
  if (badName !== undefined || prefix === undefined) return;
  parse.config.names.set(name, prefix);
  parse.nameAt.set(name, nameTok.position);
}

/** `cache_lifetime SECONDS` or `prune_lifetime SECONDS`. */
function parseLifetime(parse: MroutedParse, kw: Token): void {
  const { words } = parse;
  const isCache = kw.value === "cache_lifetime";
  const t = words.expectValue("a number of seconds", kw.value);
  if (t === undefined) return skipToStatement(words);
  const range = isCache
    ? { keyword: kw.value, min: CACHE_LIFETIME_MIN, max: CACHE_LIFETIME_MAX }
    : { keyword: kw.value, min: PRUNE_LIFETIME_MIN, max: PRUNE_LIFETIME_MAX };
  const seconds = words.take(t, parseNumber(t.value, range));
  if (seconds === undefined) return;
  if (!isCache && (parse.phyints.length > 0 || parse.tunnels.length > 0)) {
    // mrouted reads prune_lifetime after the first vif as that vif's own setting.
    words.warn(
      kw.position,
      "prune_lifetime applies to every vif wherever it stands (mrouted would apply it to the " +
        "phyint or tunnel before it only)",
    );
  }
  noteSeen(words, { seen: parse.globalsSeen, kw, scope: "" });
  parse.config[isCache ? "cacheLifetime" : "pruneLifetime"] = seconds;
}

/** `pruning on|off`. */
function parsePruning(parse: MroutedParse, kw: Token): void {
  const { words } = parse;
  const t = words.expectValue('"on" or "off"', kw.value);
  if (t === undefined) return skipToStatement(words);
  const on = words.take(t, parseOnOff(t.value, kw.value));
  if (on === undefined) return;
  noteSeen(words, { seen: parse.globalsSeen, kw, scope: "" });
  parse.config.pruning = on;
}
