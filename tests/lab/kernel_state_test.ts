import { deepStrictEqual } from "node:assert/strict";
import { gaps, gapsBeyond } from "./kernel_state.ts";

Deno.test("gaps lists the sequence numbers missing from an ascending list", () => {
  deepStrictEqual(gaps([3, 4, 7, 8, 10]), [5, 6, 9]);
  deepStrictEqual(gaps([]), []);
});

Deno.test("gapsBeyond excuses gaps the receiving host dropped itself, no more", () => {
  deepStrictEqual(gapsBeyond([1, 2, 5], 2), []);
  deepStrictEqual(gapsBeyond([1, 2, 5], 3), []);
  deepStrictEqual(gapsBeyond([1, 2, 5], 1), [3, 4]);
  deepStrictEqual(gapsBeyond([1, 2, 5], 0), [3, 4]);
  deepStrictEqual(gapsBeyond([1, 2, 3], 0), []);
});
