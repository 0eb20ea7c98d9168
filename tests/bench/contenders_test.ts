import { deepStrictEqual } from "node:assert/strict";
import { missingSetup } from "./contenders.ts";

/** The only part of a lab that missingSetup reads. */
const lab = { ifaces: { upstream: "up0", downstream: ["dn1", "dn2"] } };

Deno.test("missingSetup names each VIF and all-routers membership still missing", () => {
  // /proc/net/igmp with igmpproxy up on up0 and dn1, not yet on dn2.
  const joined = new Map([
    ["lo", ["224.0.0.1"]],
    ["up0", ["239.1.1.1", "224.0.0.1"]],
    ["dn1", ["224.0.0.22", "224.0.0.2", "224.0.0.1"]],
    ["dn2", ["224.0.0.1"]],
  ]);
  deepStrictEqual(missingSetup(lab.ifaces, ["up0", "dn1"], joined), [
    'no VIF for "dn2"',
    'no 224.0.0.2 membership on "dn2"',
  ]);
  deepStrictEqual(missingSetup(lab.ifaces, [], new Map()), [
    'no VIF for "up0"',
    'no VIF for "dn1"',
    'no VIF for "dn2"',
    'no 224.0.0.2 membership on "dn1"',
    'no 224.0.0.2 membership on "dn2"',
  ]);
  const ready = new Map([...joined, ["dn2", ["224.0.0.2", "224.0.0.1"]]]);
  deepStrictEqual(missingSetup(lab.ifaces, ["up0", "dn1", "dn2"], ready), []);
});
