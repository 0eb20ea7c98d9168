/**
 * Helpers for tests of the mrouted.conf reader.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatDiagnostic } from "../config.ts";
import type { MroutedConfig, PhyintConfig, TunnelConfig } from "./config.ts";
import { type MroutedParseResult, parseMroutedConfig } from "./parser.ts";

/** The file name the helpers below put in positions. */
export const FILE = "test.conf";

/** Parses `text` as {@link FILE}. */
export function parse(text: string): MroutedParseResult {
  return parseMroutedConfig(text, FILE);
}

/** The formatted diagnostics of a parse. */
export function messages(text: string): string[] {
  return parse(text).diagnostics.map(formatDiagnostic);
}

/** Parses text that must be valid and free of warnings. */
export function parseValid(text: string): MroutedConfig {
  const { config, diagnostics } = parse(text);
  assert.deepEqual(diagnostics.map(formatDiagnostic), []);
  assert.ok(config !== undefined);
  return config;
}

/** A configuration without positions, for comparing configurations read from different text. */
export interface MroutedConfigWithoutPositions
  extends Omit<MroutedConfig, "phyints" | "tunnels" | "names"> {
  /** The phyints without `at`. */
  phyints: Omit<PhyintConfig, "at">[];
  /** The tunnels without `at`. */
  tunnels: Omit<TunnelConfig, "at">[];
  /** The names as `[name, prefix]` pairs in order. */
  names: [string, { address: number; length: number }][];
}

/** A deep copy of `config` without positions, its names as pairs. */
export function stripPositions(config: MroutedConfig): MroutedConfigWithoutPositions {
  return {
    ...config,
    names: [...config.names].map(([n, p]) => [n, { ...p }]),
    phyints: config.phyints.map(({ at: _at, ...rest }) => structuredClone(rest)),
    tunnels: config.tunnels.map(({ at: _at, ...rest }) => structuredClone(rest)),
  };
}
