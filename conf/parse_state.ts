/**
 * What a parse builds as it reads statements — the configuration, plus the positions that
 * "set twice" warnings and the whole-file checks need — and the settings that are read the same
 * way at top level and in interface blocks (`ipv4`, `ipv6` and the timers).
 *
 * @module
 */

import type {
  Boundary,
  Config,
  IgmpVersion,
  InterfaceConfig,
  MldVersion,
  Position,
  QueryVersions,
  TimerSettings,
} from "./config.ts";
import type { Token } from "./lexer.ts";
import { findTimer, findVersionKeyword, type VersionKeyword } from "./keywords.ts";
import { describe, isValue, type TokenStream, where } from "./token_stream.ts";
import { parseTimerValue, parseVersion, THRESHOLD_MIN } from "./values.ts";
import type { ProtocolTimers, TimerKeyword } from "../src/core/timers.ts";

/** An interface (all its blocks) with the positions the whole-file checks need. */
export interface ParsedInterface {
  /** The interface as configured so far. */
  config: InterfaceConfig;
  /** Where its role keyword is, when it has one. */
  roleAt?: Position;
  /** Where each setting was last given, for "set twice" warnings. */
  seen: Map<string, Position>;
  /** Where each timer was set in its blocks. */
  timerAt: Map<keyof ProtocolTimers, Position>;
  /** Boundaries written by name, resolved once the whole file is read. */
  namedBoundaries: { boundary: Boundary; token: Token }[];
  /** Where each boundary was written. */
  boundaryAt: Map<Boundary, Position>;
}

/** One parse in progress. */
export interface ParseState {
  /** The tokens, which also collect the diagnostics. */
  readonly tokens: TokenStream;
  /** Globals and scopes as set so far; `interfaces` is filled in from {@link interfaces} last. */
  readonly config: Config;
  /** The interfaces in the order of their first block. */
  readonly interfaces: ParsedInterface[];
  /** Where each global setting was last given, for "set twice" warnings. */
  readonly globalsSeen: Map<string, Position>;
  /** Where each global timer was set. */
  readonly timerAt: Map<keyof ProtocolTimers, Position>;
}

/** A state with the defaults of a file that sets nothing, reading from `tokens`. */
export function newParseState(tokens: TokenStream): ParseState {
  return {
    tokens,
    config: { ipv4: true, ipv6: false, timers: {}, scopes: [], ssmRanges: [], interfaces: [] },
    interfaces: [],
    globalsSeen: new Map(),
    timerAt: new Map(),
  };
}

/** An interface with the defaults of an empty block starting at `position`. */
export function newParsedInterface(name: string, position: Position): ParsedInterface {
  return {
    config: {
      name,
      role: "disabled",
      threshold: THRESHOLD_MIN,
      sources: [],
      timers: {},
      boundaries: [],
      position,
    },
    seen: new Map(),
    timerAt: new Map(),
    namedBoundaries: [],
    boundaryAt: new Map(),
  };
}

/** Where settings are made: the top level, or the blocks of one interface. */
export interface Level {
  /** What `ipv4` and `ipv6` set. */
  families: { ipv4?: boolean; ipv6?: boolean };
  /** What the timers set. */
  timers: TimerSettings;
  /** What `igmp-version` and `mld-version` set. */
  versions: QueryVersions;
  /** Where each timer was set. */
  timerAt: Map<keyof ProtocolTimers, Position>;
  /** Where each setting was last given. */
  seen: Map<string, Position>;
  /** Names the level in messages: "" at top level, ` in interface "em0"` in a block. */
  scope: string;
  /** Whether a `}` ends statements too (inside a block). */
  inBlock: boolean;
}

/** The top level of a parse. */
export function topLevel(state: ParseState): Level {
  return {
    families: state.config,
    timers: state.config.timers,
    versions: state.config,
    timerAt: state.timerAt,
    seen: state.globalsSeen,
    scope: "",
    inBlock: false,
  };
}

/** The blocks of one interface. */
export function interfaceLevel(parsed: ParsedInterface): Level {
  return {
    families: parsed.config,
    timers: parsed.config.timers,
    versions: parsed.config,
    timerAt: parsed.timerAt,
    seen: parsed.seen,
    scope: ` in interface "${parsed.config.name}"`,
    inBlock: true,
  };
}

/** Warns when a setting is given again at the same level; records where it was given. */
export function noteSeen(tokens: TokenStream, at: { level: Level; kw: Token }): void {
  const { level, kw } = at;
  const first = level.seen.get(kw.value);
  if (first !== undefined) {
    tokens.warn(
      kw.position,
      `"${kw.value}" is set twice${level.scope} (first at ${where(first)}): the last one applies`,
    );
  }
  level.seen.set(kw.value, kw.position);
}

/** Reads the `yes` or `no` after `kw`; reports and returns `undefined` on anything else. */
export function parseYesNo(tokens: TokenStream, kw: Token): boolean | undefined {
  const t = tokens.peek();
  if (isValue(t) && (t.value === "yes" || t.value === "no")) {
    tokens.next();
    return t.value === "yes";
  }
  tokens.error(t, `expected "yes" or "no" after "${kw.value}", found ${describe(t)}`);
  return undefined;
}

/**
 * Parses the rest of a statement valid at both levels — `ipv4`/`ipv6`, a timer,
 * `igmp-version` or `mld-version` — whose keyword `kw` has been read, and records it at
 * `level`. Returns `false`, having read nothing more, when `kw` starts no such statement.
 */
export function parseCommonSetting(tokens: TokenStream, at: { level: Level; kw: Token }): boolean {
  const timer = findTimer(at.kw.value);
  const version = findVersionKeyword(at.kw.value);
  if (timer !== undefined) parseTimerSetting(tokens, { ...at, timer });
  else if (version !== undefined) parseVersionSetting(tokens, { ...at, version });
  else if (at.kw.value === "ipv4" || at.kw.value === "ipv6") parseFamilySetting(tokens, at);
  else return false;
  return true;
}

/** `igmp-version 1|2|3` or `mld-version 1|2`: the version the LANs are queried with. */
function parseVersionSetting(
  tokens: TokenStream,
  at: { level: Level; kw: Token; version: VersionKeyword },
): void {
  const { level, kw, version } = at;
  const t = tokens.expectValue("a version number", kw.value);
  const value = t === undefined ? undefined : tokens.take(t, parseVersion(t.value, version));
  if (value === undefined) return tokens.skipStatement(level.inBlock);
  noteSeen(tokens, at);
  // parseVersion returned one of the keyword's versions.
  if (version.field === "igmpVersion") level.versions.igmpVersion = value as IgmpVersion;
  else level.versions.mldVersion = value as MldVersion;
  tokens.endStatement(level.inBlock);
}

function parseFamilySetting(tokens: TokenStream, at: { level: Level; kw: Token }): void {
  const { level, kw } = at;
  const on = parseYesNo(tokens, kw);
  if (on === undefined) return tokens.skipStatement(level.inBlock);
  noteSeen(tokens, at);
  level.families[kw.value as "ipv4" | "ipv6"] = on;
  tokens.endStatement(level.inBlock);
}

function parseTimerSetting(
  tokens: TokenStream,
  at: { level: Level; kw: Token; timer: TimerKeyword },
): void {
  const { level, kw, timer } = at;
  // Any warning about the value comes before "set twice", both at the keyword.
  const value = readTimerValue(tokens, at);
  if (value === undefined) return tokens.skipStatement(level.inBlock);
  noteSeen(tokens, at);
  level.timers[timer.field] = value;
  level.timerAt.set(timer.field, kw.position);
  tokens.endStatement(level.inBlock);
}

/** Reads the value after a timer keyword: a count, or seconds returned in milliseconds. */
function readTimerValue(
  tokens: TokenStream,
  at: { kw: Token; timer: TimerKeyword },
): number | undefined {
  const { kw, timer } = at;
  const t = tokens.expectValue(
    timer.unit === "count" ? "a number" : "a number of seconds",
    kw.value,
  );
  if (t === undefined) return undefined;
  const value = tokens.take(t, parseTimerValue(t.value, timer));
  if (value === 1 && timer.field === "robustness") {
    tokens.warn(
      kw.position,
      "robustness 1 leaves no margin for a lost packet: 2 or more is recommended",
    );
  }
  return value;
}
