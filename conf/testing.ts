/**
 * Helpers for tests of the configuration code.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Config, formatDiagnostic, type InterfaceConfig, type Scope } from "./config.ts";
import { parseConfig, type ParseResult } from "./parser.ts";

/** The file name the parse helpers below put in positions. */
export const FILE = "test.conf";

/** The smallest valid file: its one upstream interface, to which a test adds what it checks. */
export const UP = "interface up0 { upstream }\n";

/** Parses `text` as {@link FILE}, with `macros` as `-D` definitions. */
export function parse(text: string, macros?: Record<string, string>): ParseResult {
  return parseConfig(text, { file: FILE, macros });
}

/** The formatted diagnostics of a parse. */
export function messages(text: string, macros?: Record<string, string>): string[] {
  return parse(text, macros).diagnostics.map(formatDiagnostic);
}

/** Parses text that must be valid and free of warnings. */
export function parseValid(text: string, macros?: Record<string, string>): Config {
  const { config, diagnostics } = parse(text, macros);
  assert.deepEqual(diagnostics.map(formatDiagnostic), []);
  assert.ok(config !== undefined);
  return config;
}

/** An interface block without its position. */
export type InterfaceWithoutPosition = Omit<InterfaceConfig, "position">;

/** A configuration without positions, for comparing configurations parsed from different text. */
export interface ConfigWithoutPositions extends Omit<Config, "interfaces" | "scopes"> {
  /** Named scopes in order, without positions. */
  scopes: Omit<Scope, "position">[];
  /** Interface blocks in order, without positions. */
  interfaces: InterfaceWithoutPosition[];
}

/**
 * Returns a deep copy of `config` without positions.
 *
 * @example
 * ```ts
 * assert.deepStrictEqual(stripPositions(a), stripPositions(b));
 * ```
 */
export function stripPositions(config: Config): ConfigWithoutPositions {
  return {
    ...config,
    timers: { ...config.timers },
    scopes: config.scopes.map(({ position: _position, ...rest }) => ({
      ...rest,
      prefix: { ...rest.prefix },
    })),
    interfaces: config.interfaces.map(({ position: _position, ...rest }) => ({
      ...rest,
      sources: rest.sources.map((s) => ({ ...s })),
      timers: { ...rest.timers },
      boundaries: rest.boundaries.map((b) => ({ ...b, prefix: { ...b.prefix } })),
    })),
  };
}
