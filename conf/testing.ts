/**
 * Helpers for tests of the configuration code.
 *
 * @module
 */

import type { Config, InterfaceConfig } from "./config.ts";

/** An interface block without its position. */
export type InterfaceWithoutPosition = Omit<InterfaceConfig, "position">;

/** A configuration without positions, for comparing configurations parsed from different text. */
export interface ConfigWithoutPositions extends Omit<Config, "interfaces"> {
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
    interfaces: config.interfaces.map(({ position: _position, ...rest }) => ({
      ...rest,
      sources: rest.sources.map((s) => ({ ...s })),
    })),
  };
}
