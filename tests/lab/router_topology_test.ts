import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  ifname,
  lanAddr,
  lanHostAddr,
  lanSubnet,
  linkAddr,
  linkBetween,
  neighbours,
  nodeName,
  planTopology,
  ROUTER_TOPOLOGIES,
  type RouterLabPlan,
  staticRoutes,
} from "./router_topology.ts";

/** Every route of a node as `dest via gateway dev`, as `ip route` shows them. */
function routeLines(plan: RouterLabPlan, node: number | "u"): string[] {
  return staticRoutes(plan, node).map((r) => `${r.dest} via ${r.via} dev ${r.dev}`);
}

Deno.test("planTopology: the chain is r1 - r2 - r3 on links 1 and 2, no tunnel", () => {
  const plan = planTopology("chain");
  deepStrictEqual(plan.routers, [1, 2, 3]);
  deepStrictEqual(plan.nodes, [1, 2, 3]);
  deepStrictEqual(plan.links, [{ n: 1, a: 1, b: 2 }, { n: 2, a: 2, b: 3 }]);
  deepStrictEqual(plan.tunnels, []);
  equal(linkAddr(plan, 1, 2), "10.100.1.1");
  equal(linkAddr(plan, 2, 1), "10.100.1.2");
  equal(linkAddr(plan, 2, 3), "10.100.2.1");
  equal(linkAddr(plan, 3, 2), "10.100.2.2");
  deepStrictEqual(neighbours(plan, 2), [1, 3]);
  deepStrictEqual(neighbours(plan, 1), [2]);
  equal(linkBetween(plan, 1, 3), undefined);
  throws(() => linkAddr(plan, 1, 3), /No link between r1 and r3 in the chain topology/);
});

Deno.test("planTopology: the triangle adds link 3 from r1 (.1) to r3 (.2)", () => {
  const plan = planTopology("triangle");
  deepStrictEqual(plan.links.map((l) => [l.n, l.a, l.b]), [[1, 1, 2], [2, 2, 3], [3, 1, 3]]);
  equal(linkAddr(plan, 1, 3), "10.100.3.1");
  equal(linkAddr(plan, 3, 1), "10.100.3.2");
  deepStrictEqual(neighbours(plan, 3), [2, 1]);
});

Deno.test("planTopology: the tunnel runs from r1 to r3 over the links to u", () => {
  const plan = planTopology("tunnel");
  deepStrictEqual(plan.routers, [1, 3]);
  deepStrictEqual(plan.nodes, [1, 3, "u"]);
  equal(linkAddr(plan, 1, "u"), "10.100.1.1");
  equal(linkAddr(plan, "u", 1), "10.100.1.2");
  equal(linkAddr(plan, "u", 3), "10.100.2.1");
  equal(linkAddr(plan, 3, "u"), "10.100.2.2");
  deepStrictEqual(plan.tunnels, [{ a: 1, b: 3, addrA: "10.100.1.1", addrB: "10.100.2.2" }]);
  deepStrictEqual(neighbours(plan, "u"), [1, 3]);
});

Deno.test("names and addresses: nodes, interfaces, LANs and hosts", () => {
  equal(nodeName(2), "r2");
  equal(nodeName("u"), "u");
  const chain = planTopology("chain");
  const tunnel = planTopology("tunnel");
  equal(ifname(chain, 1, 2), "r2");
  equal(ifname(tunnel, 1, "u"), "u");
  equal(ifname(chain, 3), "lan0");
  throws(() => ifname(tunnel, "u"), /u has no LAN in the tunnel topology/);
  throws(() => ifname(tunnel, 2), /r2 has no LAN/);
  throws(() => ifname(chain, 1, 3), /No link between r1 and r3/);
  equal(lanSubnet(3), "10.3.0.0/24");
  equal(lanAddr(3), "10.3.0.1");
  equal(lanHostAddr(2, 1), "10.2.0.11");
  equal(lanHostAddr(1, 12), "10.1.0.22");
});

Deno.test("staticRoutes: on the chain, r1 reaches r3's LAN and the far link via r2", () => {
  const plan = planTopology("chain");
  deepStrictEqual(routeLines(plan, 1), [
    "10.2.0.0/24 via 10.100.1.2 dev r2",
    "10.3.0.0/24 via 10.100.1.2 dev r2",
    "10.100.2.0/24 via 10.100.1.2 dev r2",
  ]);
  deepStrictEqual(routeLines(plan, 2), [
    "10.1.0.0/24 via 10.100.1.1 dev r1",
    "10.3.0.0/24 via 10.100.2.2 dev r3",
  ]);
  deepStrictEqual(routeLines(plan, 3), [
    "10.1.0.0/24 via 10.100.2.1 dev r2",
    "10.2.0.0/24 via 10.100.2.1 dev r2",
    "10.100.1.0/24 via 10.100.2.1 dev r2",
  ]);
});

Deno.test("staticRoutes: on the triangle, direct links first; a tie goes to the lower link", () => {
  const plan = planTopology("triangle");
  deepStrictEqual(routeLines(plan, 1), [
    "10.2.0.0/24 via 10.100.1.2 dev r2",
    "10.3.0.0/24 via 10.100.3.2 dev r3",
    // r2 and r3 are both one hop away and on link 2: r2's link (1) is the lower.
    "10.100.2.0/24 via 10.100.1.2 dev r2",
  ]);
  deepStrictEqual(routeLines(plan, 3), [
    "10.1.0.0/24 via 10.100.3.1 dev r1",
    "10.2.0.0/24 via 10.100.2.1 dev r2",
    "10.100.1.0/24 via 10.100.2.1 dev r2",
  ]);
});

Deno.test("staticRoutes: on the tunnel topology everything crosses u, which routes the LANs", () => {
  const plan = planTopology("tunnel");
  deepStrictEqual(routeLines(plan, 1), [
    "10.3.0.0/24 via 10.100.1.2 dev u",
    "10.100.2.0/24 via 10.100.1.2 dev u",
  ]);
  deepStrictEqual(routeLines(plan, 3), [
    "10.1.0.0/24 via 10.100.2.1 dev u",
    "10.100.1.0/24 via 10.100.2.1 dev u",
  ]);
  deepStrictEqual(routeLines(plan, "u"), [
    "10.1.0.0/24 via 10.100.1.1 dev r1",
    "10.3.0.0/24 via 10.100.2.2 dev r3",
  ]);
});

Deno.test("staticRoutes: every node of every topology reaches every subnet, once", () => {
  for (const topology of ROUTER_TOPOLOGIES) {
    const plan = planTopology(topology);
    const subnets = [
      ...plan.routers.map(lanSubnet),
      ...plan.links.map((l) => `10.100.${l.n}.0/24`),
    ];
    for (const node of plan.nodes) {
      const attached = subnets.filter((s) =>
        (node !== "u" && s === lanSubnet(node)) ||
        plan.links.some((l) => (l.a === node || l.b === node) && s === `10.100.${l.n}.0/24`)
      );
      const routed = staticRoutes(plan, node).map((r) => r.dest);
      deepStrictEqual(
        [...attached, ...routed].sort(),
        [...subnets].sort(),
        `${topology} ${nodeName(node)}`,
      );
    }
  }
});
