import { deepStrictEqual, equal } from "node:assert/strict";
import { oifsKey, type PlannerVif, planOifs, reconcileMfc } from "./mfc_planner.ts";
import { ip } from "../proto/testing.ts";
import { inAnySubnet } from "./subnet.ts";

const G = ip("239.1.1.1");
const LOCAL = { address: ip("239.255.0.0"), prefixLength: 16 };
const vifs = new Map<number, PlannerVif>([
  [0, { vifi: 0, threshold: 1, boundaries: [], querier: true }],
  [1, { vifi: 1, threshold: 1, boundaries: [], querier: true }],
  [2, { vifi: 2, threshold: 5, boundaries: [], querier: true }],
  [3, { vifi: 3, threshold: 1, boundaries: [LOCAL], querier: true }],
]);

Deno.test("planOifs: members' VIFs in order with their thresholds, never the incoming VIF", () => {
  deepStrictEqual(planOifs({ group: G, iif: 0, members: [2, 1], vifs, inAnySubnet }), [
    { vifi: 1, ttl: 1 },
    { vifi: 2, ttl: 5 },
  ]);
  deepStrictEqual(planOifs({ group: G, iif: 1, members: [1, 2], vifs, inAnySubnet }), [{
    vifi: 2,
    ttl: 5,
  }]);
  deepStrictEqual(planOifs({ group: G, iif: 0, members: [], vifs, inAnySubnet }), []);
  deepStrictEqual(
    planOifs({ group: G, iif: 0, members: [7], vifs, inAnySubnet }),
    [],
    "unknown VIFs",
  );
});

Deno.test("planOifs: never a VIF whose boundary holds the group", () => {
  const scoped = ip("239.255.1.1");
  deepStrictEqual(planOifs({ group: scoped, iif: 0, members: [1, 3], vifs, inAnySubnet }), [
    { vifi: 1, ttl: 1 },
  ]);
  deepStrictEqual(planOifs({ group: scoped, iif: 0, members: [3], vifs, inAnySubnet }), []);
  deepStrictEqual(planOifs({ group: G, iif: 0, members: [3], vifs, inAnySubnet }), [{
    vifi: 3,
    ttl: 1,
  }]);
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

Deno.test("planOifs: never a LAN where another router is querier", () => {
  const withOther = new Map(vifs);
  withOther.set(1, { vifi: 1, threshold: 1, boundaries: [], querier: false });
  deepStrictEqual(planOifs({ group: G, iif: 0, members: [1, 2], vifs: withOther, inAnySubnet }), [
    { vifi: 2, ttl: 5 },
  ]);
});

Deno.test("planOifs: data from a LAN also goes upstream, unless the upstream's boundary holds it", () => {
  deepStrictEqual(planOifs({ group: G, iif: 2, members: [], vifs, upstream: 0, inAnySubnet }), [
    { vifi: 0, ttl: 1 },
  ]);
  deepStrictEqual(planOifs({ group: G, iif: 2, members: [1, 2], vifs, upstream: 0, inAnySubnet }), [
    { vifi: 0, ttl: 1 },
    { vifi: 1, ttl: 1 },
  ]);
  deepStrictEqual(
    planOifs({ group: G, iif: 0, members: [1], vifs, upstream: 0, inAnySubnet }),
    [{ vifi: 1, ttl: 1 }],
    "data from upstream never goes back up",
  );
  deepStrictEqual(
    planOifs({ group: ip("239.255.1.1"), iif: 1, members: [], vifs, upstream: 3, inAnySubnet }),
    [],
    "VIF 3 as upstream, with a boundary holding the group",
  );
});
