/**
 * A `Map` that holds its first entry without one: a group record's sources (`group_record.ts`).
 * Most records name one source (an SSM channel comes from one sender) or none (an any-source
 * membership), and a `Map` costs about 190 bytes of heap even for one entry; this costs about 50
 * until a second key comes, when it moves its entries into a real `Map` for good.
 *
 * It behaves as a `Map`: the same methods, insertion order, SameValueZero keys; but an iteration
 * that began on one entry does not see the entries added during it (none of its users change a
 * record's sources while they iterate them).
 *
 * @module
 */

/** A `Map` with its first entry held inline. */
export class SourceMap<K, V> implements Map<K, V> {
  /** The one entry's key, while there is one and no map. */
  #key: K | undefined = undefined;
  /** The one entry's value. */
  #value: V | undefined = undefined;
  /** Whether the one entry is there (its key may be `undefined` itself). */
  #one = false;
  /** Every entry, once a second key came. */
  #map: Map<K, V> | undefined = undefined;

  /** Optionally filled from `entries`, as `new Map(entries)`. */
  constructor(entries?: Iterable<readonly [K, V]>) {
    if (entries !== undefined) { for (const [k, v] of entries) this.set(k, v); }
  }

  /** The number of entries. */
  get size(): number {
    return this.#map !== undefined ? this.#map.size : this.#one ? 1 : 0;
  }

  /** The value of `key`, if any. */
  get(key: K): V | undefined {
    if (this.#map !== undefined) return this.#map.get(key);
    return this.#one && same(this.#key, key) ? this.#value : undefined;
  }

  /** Whether `key` has an entry. */
  has(key: K): boolean {
    if (this.#map !== undefined) return this.#map.has(key);
    return this.#one && same(this.#key, key);
  }

  /** Sets the value of `key` (a new key goes last). */
  set(key: K, value: V): this {
    if (this.#map !== undefined) {
      this.#map.set(key, value);
    } else if (!this.#one) {
      this.#key = key;
      this.#value = value;
      this.#one = true;
    } else if (same(this.#key, key)) {
      this.#value = value;
    } else {
      this.#map = new Map([[this.#key as K, this.#value as V], [key, value]]);
      this.#key = this.#value = undefined;
      this.#one = false;
    }
    return this;
  }

  /** The value of `key`, set to `value` first when it has none. */
  getOrInsert(key: K, value: V): V {
    if (!this.has(key)) this.set(key, value);
    return this.get(key) as V;
  }

  /** The value of `key`, set to `compute(key)` first when it has none. */
  getOrInsertComputed(key: K, compute: (key: K) => V): V {
    if (!this.has(key)) this.set(key, compute(key));
    return this.get(key) as V;
  }

  /** Removes the entry of `key`; whether there was one. */
  delete(key: K): boolean {
    if (this.#map !== undefined) return this.#map.delete(key);
    if (!this.#one || !same(this.#key, key)) return false;
    this.#key = this.#value = undefined;
    this.#one = false;
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    if (this.#map !== undefined) this.#map.clear();
    this.#key = this.#value = undefined;
    this.#one = false;
  }

  /** Calls `f` for each entry, in order. */
  forEach(f: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this) f.call(thisArg, v, k, this);
  }

  /** The entries, in order. */
  *entries(): MapIterator<[K, V]> {
    if (this.#map !== undefined) return yield* this.#map.entries();
    if (this.#one) yield [this.#key as K, this.#value as V];
  }

  /** The keys, in order. */
  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  /** The values, in order. */
  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  /** The entries, in order. */
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  /** As a `Map`'s: "Map". */
  get [Symbol.toStringTag](): string {
    return "Map";
  }
}

/** SameValueZero, the key equality of `Map`. */
function same<K>(a: K, b: K): boolean {
  return a === b || (a !== a && b !== b);
}
