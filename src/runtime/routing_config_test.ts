import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { effectiveIgmpVersion } from "../../conf/config.ts";
import { parseMroutedConfig } from "../../conf/mrouted/parser.ts";
import { ip } from "../proto/testing.ts";
import { routingConfig } from "./routing_config.ts";
import type { SystemInterface } from "./sys.ts";
import { sysIf } from "./daemon_testing.ts";

/** {@link sysIf} with changes. */
function iface(name: string, index: number, address: string, extra: Partial<SystemInterface> = {}) {
  return { ...sysIf(name, index, address), ...extra };
}

const SYSTEM: SystemInterface[] = [
  iface("lo", 1, "127.0.0.1", { loopback: true }),
  iface("r2", 2, "10.100.1.1"),
  iface("lan0", 3, "10.1.0.1"),
  iface("nomc", 4, "10.9.0.1", { multicast: false }),
  iface("bare", 5, "10.9.1.1", { ipv4: [] }),
];

function mrouted(text: string) {
  const parsed = parseMroutedConfig(text, "m.conf");
  if (parsed.config === undefined) throw new Error(JSON.stringify(parsed.diagnostics));
  return parsed.config;
}

Deno.test("routingConfig: no phyint is every multicast interface with an address, all vifs", () => {
  const r = routingConfig(mrouted(""), SYSTEM, { nonPruning: false });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  deepStrictEqual(r.config.interfaces.map((i) => [i.name, i.role]), [
    ["r2", "downstream"],
    ["lan0", "downstream"],
  ]);
  equal(r.config.ipv6, false);
  deepStrictEqual(r.config.routing, {
    metrics: new Map([["r2", 1], ["lan0", 1]]),
    tunnels: [],
    pruning: true,
    pruneLifetime: 7200,
    cacheLifetime: 300,
  });
});

Deno.test("routingConfig: phyint by name or address, metric, threshold, boundary, disable, -p", () => {
  const r = routingConfig(
    mrouted(
      "phyint 10.100.1.1 metric 3 threshold 16 boundary 239.1.0.0/16\nphyint lan0 disable\npruning on",
    ),
    [...SYSTEM, iface("lan1", 6, "10.2.0.1")],
    { nonPruning: true },
  );
  if (!r.ok) throw new Error(r.errors.join("\n"));
  deepStrictEqual(r.config.interfaces.map((i) => i.name), ["r2", "lan1"]);
  const r2 = r.config.interfaces[0];
  equal(r2.threshold, 16);
  deepStrictEqual(r2.boundaries, [{ prefix: { family: 4, address: "239.1.0.0", length: 16 } }]);
  equal(r.config.routing?.metrics.get("r2"), 3);
  equal(r.config.routing?.pruning, false, "-p wins over pruning on");
});

Deno.test("routingConfig: a phyint's igmpv1 queries its LAN with IGMPv1, the others with v3", () => {
  const r = routingConfig(mrouted("phyint lan0 igmpv1"), SYSTEM, { nonPruning: false });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  deepStrictEqual(r.config.interfaces.map((i) => [i.name, effectiveIgmpVersion(r.config, i)]), [
    ["r2", 3],
    ["lan0", 1],
  ]);
  equal(r.config.interfaces[1].igmpVersion, 1);
});

Deno.test("routingConfig: tunnels by local address or name; unknown ends are errors", () => {
  const r = routingConfig(
    mrouted("tunnel lan0 10.100.2.2 metric 2 threshold 8"),
    SYSTEM,
    { nonPruning: false },
  );
  if (!r.ok) throw new Error(r.errors.join("\n"));
  deepStrictEqual(r.config.routing?.tunnels, [{
    local: ip("10.1.0.1"),
    remote: ip("10.100.2.2"),
    metric: 2,
    threshold: 8,
    boundaries: [],
  }]);
  const bad = routingConfig(
    mrouted("phyint eth7 metric 2\ntunnel 10.5.5.5 10.100.2.2\ntunnel lan0 far.example"),
    SYSTEM,
    { nonPruning: false },
  );
  ok(!bad.ok);
  deepStrictEqual(bad.errors.map((e) => e.replace(/:.*?: /, ": ")), [
    'm.conf: phyint "eth7": no such interface',
    "m.conf: tunnel 10.5.5.5: no such local address",
    'm.conf: tunnel to "far.example": host names are not resolved, give the far end\'s address',
  ]);
});

Deno.test("routingConfig: fewer than two vifs is refused", () => {
  const r = routingConfig(mrouted("phyint lan0 disable"), SYSTEM, { nonPruning: false });
  deepStrictEqual(r, {
    ok: false,
    errors: ["Fewer than two vifs (1 interfaces, 0 tunnels): nothing to route between"],
  });
});
