import assert from "node:assert/strict";
import { FILE, messages, parse, parseValid } from "./testing.ts";
import { ip } from "../../src/proto/testing.ts";

Deno.test("validate resolves boundary names in either order, in file order", () => {
  const config = parseValid(
    "name A 239.1.0.0/16\nphyint le0 boundary B boundary A boundary 239.9.0.0/16\n" +
      "tunnel le0 gw boundary A\nname B 239.2.0.0/16\n",
  );
  assert.deepEqual(config.phyints[0].boundaries, [
    { address: ip("239.2.0.0"), length: 16 },
    { address: ip("239.1.0.0"), length: 16 },
    { address: ip("239.9.0.0"), length: 16 },
  ]);
  assert.deepEqual(config.tunnels[0].boundaries, [{ address: ip("239.1.0.0"), length: 16 }]);
});

Deno.test("validate keeps a repeated boundary once, warning at the repeat", () => {
  const { config, diagnostics } = parse(
    "name A 239.1.0.0/16 name ALSO 239.1.0.0/16\ntunnel le0 gw boundary A boundary ALSO boundary A",
  );
  assert.deepEqual(diagnostics.map((d) => `${d.position.line}:${d.position.col} ${d.message}`), [
    `2:35 boundary "ALSO" repeats "A" (at ${FILE}:2) for tunnel from "le0" to gw`,
    `2:49 boundary "A" repeats "A" (at ${FILE}:2) for tunnel from "le0" to gw`,
  ]);
  assert.equal(config?.tunnels[0].boundaries.length, 1);
});

Deno.test("validate: two tunnels to one remote end are an error", () => {
  assert.deepEqual(
    messages(
      "tunnel le0 10.2.2.2\ntunnel le1 10.2.2.2\ntunnel le0 GW.example\ntunnel le1 gw.EXAMPLE",
    ),
    [
      `${FILE}:2:12: duplicate tunnel to 10.2.2.2 (first at ${FILE}:1)`,
      `${FILE}:4:12: duplicate tunnel to gw.EXAMPLE (first at ${FILE}:3)`,
    ],
  );
  // A host name and an address are not compared: the daemon resolves the name.
  assert.equal(parseValid("tunnel le0 10.2.2.2 tunnel le0 gw").tunnels.length, 2);
});

Deno.test("validate: undefined names of a vif with errors are still reported", () => {
  assert.deepEqual(messages("phyint le0 metric 99 boundary NONE"), [
    `${FILE}:1:19: metric "99" is out of range (1-31)`,
    `${FILE}:1:31: undefined boundary name "NONE" (define it with "name NONE PREFIX")`,
  ]);
});

Deno.test("validate fills in the vifs in file order", () => {
  const config = parseValid("phyint b phyint a phyint b tunnel a 10.0.0.9 tunnel b 10.0.0.8");
  assert.deepEqual(
    config.phyints.map((p) => p.iface),
    [{ kind: "name", name: "b" }, { kind: "name", name: "a" }],
  );
  assert.deepEqual(config.tunnels.map((t) => t.remote), [
    { kind: "address", address: ip("10.0.0.9") },
    { kind: "address", address: ip("10.0.0.8") },
  ]);
});
