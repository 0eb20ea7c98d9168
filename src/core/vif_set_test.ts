import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { MAXVIFS, VifSet } from "./vif_set.ts";

Deno.test("VifSet: add, has, delete and size over the whole VIF range", () => {
  const s = new VifSet();
  equal(s.size, 0);
  deepStrictEqual([...s], []);
  for (const v of [31, 0, 7, 30]) s.add(v);
  equal(s.size, 4);
  deepStrictEqual([...s], [0, 7, 30, 31], "ascending order, bit 31 included");
  equal(s.has(31), true);
  equal(s.has(8), false);
  equal(s.delete(31), true);
  equal(s.delete(31), false, "deleting twice");
  deepStrictEqual([...s], [0, 7, 30]);
  s.add(7);
  equal(s.size, 3, "adding twice");
});

Deno.test("VifSet: numbers outside the VIF range are never members and cannot be added", () => {
  const s = new VifSet();
  for (const v of [-1, MAXVIFS, 1.5, NaN]) {
    equal(s.has(v), false);
    equal(s.delete(v), false);
    throws(() => s.add(v), RangeError);
  }
  equal(s.size, 0);
});
