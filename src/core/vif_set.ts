/**
 * A set of VIF numbers (0 to {@link MAXVIFS} − 1) in one 32-bit mask: the downstream VIFs with
 * members of a group. One small object per group instead of a `Set` with its hash table, read
 * like a `Set` (`has`, `size`, iteration in ascending order).
 *
 * @example
 * ```ts
 * const s = new VifSet();
 * s.add(3);
 * s.add(1);
 * [...s]; // [1, 3]
 * s.delete(3);
 * s.size; // 1
 * ```
 *
 * @module
 */

/** The number of VIFs a mask holds (the kernel's MAXVIFS). */
export const MAXVIFS = 32;

/** A set of VIF numbers below {@link MAXVIFS}. */
export class VifSet implements Iterable<number> {
  /** Bit `i` set: VIF `i` is in the set (as an unsigned 32-bit value). */
  #mask = 0;

  /** Whether VIF `vifi` is in the set. */
  has(vifi: number): boolean {
    return vifi >= 0 && vifi < MAXVIFS && (this.#mask & (1 << vifi)) !== 0;
  }

  /** Adds VIF `vifi`; throws `RangeError` outside 0 to {@link MAXVIFS} − 1. */
  add(vifi: number): this {
    if (!(Number.isInteger(vifi) && vifi >= 0 && vifi < MAXVIFS)) {
      throw new RangeError(`VIF ${vifi} is not below ${MAXVIFS}`);
    }
    this.#mask = (this.#mask | (1 << vifi)) >>> 0;
    return this;
  }

  /** Removes VIF `vifi`; returns whether it was in the set. */
  delete(vifi: number): boolean {
    if (!this.has(vifi)) return false;
    this.#mask = (this.#mask & ~(1 << vifi)) >>> 0;
    return true;
  }

  /** The number of VIFs in the set. */
  get size(): number {
    let n = 0;
    for (let m = this.#mask; m !== 0; m = (m & (m - 1)) >>> 0) n++;
    return n;
  }

  /** The VIF numbers in ascending order. */
  *[Symbol.iterator](): Iterator<number> {
    for (let vifi = 0, m = this.#mask; m !== 0; vifi++, m >>>= 1) {
      if ((m & 1) !== 0) yield vifi;
    }
  }
}
