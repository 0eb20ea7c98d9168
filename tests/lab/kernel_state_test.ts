import { deepStrictEqual } from "node:assert/strict";
import { gaps, gapsIfKeptUp } from "./kernel_state.ts";

Deno.test("gaps lists the sequence numbers missing from an ascending list", () => {
  deepStrictEqual(gaps([3, 4, 7, 8, 10]), [5, 6, 9]);
  deepStrictEqual(gaps([]), []);
});

Deno.test("gapsIfKeptUp: the gaps when the host dropped nothing itself, else none", () => {
  deepStrictEqual(gapsIfKeptUp([1, 2, 5], 0), [3, 4]);
  deepStrictEqual(gapsIfKeptUp([1, 2, 3], 0), []);
  deepStrictEqual(gapsIfKeptUp([1, 2, 5], 1), []);
});
