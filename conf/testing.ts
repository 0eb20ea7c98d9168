/**
 * Helpers for tests of the configuration code.
 *
 * @module
 */

import type { Config, InterfaceConfig, Scope } from "./config.ts";

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
