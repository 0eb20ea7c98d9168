import { deepStrictEqual, equal } from "node:assert/strict";
import { TimerHeap } from "./timer_heap.ts";
import { mulberry32 } from "../proto/testing.ts";

Deno.test("TimerHeap: empty, one entry, clear", () => {
  const heap = new TimerHeap<{ at: number }>();
  equal(heap.peek(), undefined);
  equal(heap.pop(), undefined);
  deepStrictEqual(heap.popDue(Infinity), []);
  heap.push({ at: 5 });
  equal(heap.size, 1);
  deepStrictEqual(heap.pop(), { at: 5 });
  heap.push({ at: 1 });
  heap.clear();
  equal(heap.size, 0);
});

Deno.test("TimerHeap: popDue takes exactly the due entries, earliest first", () => {
  const heap = new TimerHeap<{ at: number; id: number }>();
  [30, 10, 20, 10, 40].forEach((at, id) => heap.push({ at, id }));
  deepStrictEqual(heap.popDue(20).map((e) => e.at), [10, 10, 20]);
  equal(heap.peek()?.at, 30);
  deepStrictEqual(heap.popDue(29), []);
  deepStrictEqual(heap.popDue(40).map((e) => e.id), [0, 4]);
});

Deno.test("TimerHeap: 10 000 random pushes come out sorted", () => {
  const rand = mulberry32(7);
  const heap = new TimerHeap<{ at: number }>();
  const all: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const at = Math.floor(rand() * 1000);
    all.push(at);
    heap.push({ at });
  }
  const out: number[] = [];
  for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e.at);
  deepStrictEqual(out, [...all].sort((a, b) => a - b));
});

Deno.test("TimerHeap: interleaved pushes and pops always give the minimum", () => {
  const rand = mulberry32(11);
  const heap = new TimerHeap<{ at: number }>();
  const shadow: number[] = [];
  for (let i = 0; i < 5_000; i++) {
    if (shadow.length > 0 && rand() < 0.45) {
      const min = Math.min(...shadow);
      equal(heap.pop()?.at, min);
      shadow.splice(shadow.indexOf(min), 1);
    } else {
      const at = Math.floor(rand() * 500);
      heap.push({ at });
      shadow.push(at);
    }
    equal(heap.size, shadow.length);
  }
});
