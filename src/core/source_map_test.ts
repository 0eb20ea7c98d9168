import { deepStrictEqual, equal } from "node:assert/strict";
import { mulberry32 } from "../proto/testing.ts";
import { SourceMap } from "./source_map.ts";

/** The state of a map as data: size and entries in order. */
function contents<K, V>(m: Map<K, V>) {
  return {
    size: m.size,
    entries: [...m],
    keys: [...m.keys()],
    values: [...m.values()],
    forEach: (() => {
      const seen: [K, V][] = [];
      m.forEach((v, k) => seen.push([k, v]));
      return seen;
    })(),
  };
}

Deno.test("SourceMap: the same answers as a Map under random changes", () => {
  const rand = mulberry32(0x9e3779b9);
  const next = () => Math.floor(rand() * 4);
  for (let run = 0; run < 200; run++) {
    const ours = new SourceMap<number, number>();
    const map = new Map<number, number>();
    for (let i = 0; i < 30; i++) {
      const key = next();
      const what = next();
      const step = `run ${run}, step ${i}: ${what} ${key}`;
      if (what === 0) equal(ours.delete(key), map.delete(key), step);
      else if (what === 3 && next() === 0) {
        ours.clear();
        map.clear();
      } else {
        ours.set(key, i);
        map.set(key, i);
      }
      equal(ours.get(key), map.get(key), step);
      equal(ours.has(key), map.has(key), step);
      deepStrictEqual(contents(ours), contents(map), step);
    }
  }
});

Deno.test("SourceMap: keys by SameValueZero, built from entries, tagged as a Map", () => {
  const m = new SourceMap<number | undefined, string>([[NaN, "a"], [-0, "b"]]);
  equal(m.get(NaN), "a");
  equal(m.get(0), "b");
  const one = new SourceMap<number | undefined, string>([[undefined, "u"]]);
  equal(one.size, 1);
  equal(one.has(undefined), true);
  equal(one.delete(undefined), true);
  equal(one.size, 0);
  equal(Object.prototype.toString.call(m), "[object Map]");
  const big = new SourceMap<bigint, number>([[1n, 1]]);
  equal(big.get(BigInt(1)), 1, "bigint keys by value");
});

Deno.test("SourceMap: getOrInsert and getOrInsertComputed set a missing key only", () => {
  const m = new SourceMap<number, string>();
  equal(m.getOrInsert(1, "a"), "a");
  equal(m.getOrInsert(1, "b"), "a");
  equal(m.getOrInsertComputed(2, (k) => `k${k}`), "k2");
  equal(m.getOrInsertComputed(2, () => "no"), "k2");
  deepStrictEqual([...m], [[1, "a"], [2, "k2"]]);
});
