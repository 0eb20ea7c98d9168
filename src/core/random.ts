/**
 * A seeded pseudo-random generator for the pure cores: what must be randomized to prevent
 * synchronization between routers (a prune lifetime, a retransmission interval) draws from a
 * generator held in the state, seeded by the runtime, so that a core stays a function of its
 * inputs and a test can fix the draws.
 *
 * @module
 */

/**
 * The mulberry32 pseudo-random generator: the same seed gives the same sequence of numbers in
 * [0, 1). Small and fast; not for cryptography.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "./random.ts";
 *
 * const rand = mulberry32(42);
 * rand(); // the same first value on every run
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
