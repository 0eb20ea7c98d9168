/**
 * What a parse of mrouted.conf builds as it reads statements: the configuration, and the
 * positions the "set twice" warnings and the whole-file checks (validate.ts) need.
 *
 * @module
 */

import {
  defaultMroutedConfig,
  defaultPhyint,
  type IfaceRef,
  type Ipv4Prefix,
  type MroutedConfig,
  type PhyintConfig,
  type Position,
  type TunnelConfig,
} from "./config.ts";
import type { Token, WordStream } from "./words.ts";

export type { Token };
import { where } from "../token_stream.ts";
import { formatIPv4 } from "../../src/proto/addr.ts";

/** One `boundary` as written: by name (resolved once the whole file is read) or by prefix. */
export type ParsedBoundary =
  | { kind: "name"; token: Token }
  | { kind: "prefix"; prefix: Ipv4Prefix; at: Position };

/** What every vif being parsed has beside its configuration. */
export interface ParsedVifBase {
  /** Names the vif in messages: `phyint "le0"`, `tunnel to 10.11.12.13`. */
  label: string;
  /** Where each option was last given, for "set twice" warnings. */
  seen: Map<string, Position>;
  /** Its boundaries as written, in file order. */
  boundaries: ParsedBoundary[];
}

/** A phyint (all its statements) being parsed. */
export interface ParsedPhyint extends ParsedVifBase {
  /** The kind of vif. */
  kind: "phyint";
  /** The configuration so far; `boundaries` is filled in by validate.ts. */
  config: PhyintConfig;
  /** Where each of `config.altnets` was written. */
  altnetAt: Position[];
}

/** A tunnel being parsed. */
export interface ParsedTunnel extends ParsedVifBase {
  /** The kind of vif. */
  kind: "tunnel";
  /** The configuration so far; `boundaries` is filled in by validate.ts. */
  config: TunnelConfig;
  /** The token of its remote end, where a duplicate tunnel is reported. */
  remoteToken: Token;
}

/** A phyint or tunnel being parsed. */
export type ParsedVif = ParsedPhyint | ParsedTunnel;

/** One parse in progress. */
export interface MroutedParse {
  /** The words, which also collect the diagnostics. */
  readonly words: WordStream;
  /** Globals and names as set so far; the vifs are filled in from the lists below last. */
  readonly config: MroutedConfig;
  /** The phyints in the order of their first statement. */
  readonly phyints: ParsedPhyint[];
  /** The tunnels in file order. */
  readonly tunnels: ParsedTunnel[];
  /** Where each boundary name is defined. */
  readonly nameAt: Map<string, Position>;
  /** Where each global setting was last given. */
  readonly globalsSeen: Map<string, Position>;
  /** Where the first `tunnel` is, once one has been read. */
  firstTunnelAt: Position | undefined;
}

/** A parse with the defaults of an empty file, reading from `words`. */
export function newMroutedParse(words: WordStream): MroutedParse {
  return {
    words,
    config: defaultMroutedConfig(),
    phyints: [],
    tunnels: [],
    nameAt: new Map(),
    globalsSeen: new Map(),
    firstTunnelAt: undefined,
  };
}

/** Whether two interface references are written the same (same address, or same name). */
export function sameIfaceRef(a: IfaceRef, b: IfaceRef): boolean {
  if (a.kind === "address") return b.kind === "address" && a.address === b.address;
  return b.kind === "name" && a.name === b.name;
}

/** An interface reference as messages show it: `"le0"` or `10.0.0.1`. */
export function formatIfaceRef(ref: IfaceRef): string {
  return ref.kind === "address" ? formatIPv4(ref.address) : `"${ref.name}"`;
}

/**
 * The phyint of `iface`: the one an earlier statement started (statements for one interface
 * are merged, as mrouted applies each to the same vif), or a new one with the defaults.
 */
export function phyintFor(parse: MroutedParse, iface: IfaceRef, at: Position): ParsedPhyint {
  const old = parse.phyints.find((p) => sameIfaceRef(p.config.iface, iface));
  if (old !== undefined) return old;
  const parsed: ParsedPhyint = {
    kind: "phyint",
    config: defaultPhyint(iface, at),
    label: `phyint ${formatIfaceRef(iface)}`,
    seen: new Map(),
    boundaries: [],
    altnetAt: [],
  };
  parse.phyints.push(parsed);
  return parsed;
}

/**
 * Records that `kw` was given in `seen` (of a vif, or the globals); warns when it was given
 * before, where `scope` (e.g. ` for phyint "le0"`) names the place.
 */
export function noteSeen(
  words: WordStream,
  at: { seen: Map<string, Position>; kw: Token; scope: string },
): void {
  const { seen, kw, scope } = at;
  const first = seen.get(kw.value);
  if (first !== undefined) {
    words.warn(
      kw.position,
      `"${kw.value}" is set twice${scope} (first at ${where(first)}): the last one applies`,
    );
  }
  seen.set(kw.value, kw.position);
}
