import { deepStrictEqual, equal } from "node:assert/strict";
import { oifsKey, type PlannerVif, planOifs, reconcileMfc } from "./mfc_planner.ts";

const vifs = new Map<number, PlannerVif>([
  [0, { vifi: 0, threshold: 1 }],
  [1, { vifi: 1, threshold: 1 }],
  [2, { vifi: 2, threshold: 5 }],
]);

Deno.test("planOifs: members' VIFs in order with their thresholds, never the incoming VIF", () => {
  deepStrictEqual(planOifs(0, [2, 1], vifs), [{ vifi: 1, ttl: 1 }, { vifi: 2, ttl: 5 }]);
  deepStrictEqual(planOifs(1, [1, 2], vifs), [{ vifi: 2, ttl: 5 }]);
  deepStrictEqual(planOifs(0, [], vifs), []);
  deepStrictEqual(planOifs(0, [7], vifs), [], "unknown VIFs are skipped");
});

Deno.test("reconcileMfc: installs, updates, leaves alone and deletes", () => {
  const p = { source: 1, group: 2, parent: 0 };
  const one = [{ vifi: 1, ttl: 1 }];
  const two = [{ vifi: 1, ttl: 1 }, { vifi: 2, ttl: 5 }];
  deepStrictEqual(reconcileMfc(undefined, { ...p, oifs: one }), {
    kind: "addMfc",
    ...p,
    oifs: one,
  });
  equal(reconcileMfc({ parent: 0, key: oifsKey(one) }, { ...p, oifs: one }), undefined);
  deepStrictEqual(reconcileMfc({ parent: 0, key: oifsKey(one) }, { ...p, oifs: two }), {
    kind: "addMfc",
    ...p,
    oifs: two,
  });
  deepStrictEqual(reconcileMfc({ parent: 0, key: oifsKey(one) }, { ...p, oifs: [] }), {
    kind: "delMfc",
    source: 1,
    group: 2,
  });
  equal(reconcileMfc(undefined, { ...p, oifs: [] }), undefined);
  deepStrictEqual(
    reconcileMfc({ parent: 1, key: oifsKey(one) }, { ...p, oifs: one })?.kind,
    "addMfc",
    "a changed incoming VIF reinstalls",
  );
});
