/**
 * The plan of a router lab (`router_lab.ts`): for each topology, its DVMRP routers, links,
 * addresses, DVMRP tunnels and the static unicast routes that stand in for a unicast routing
 * daemon. Pure: the lab builds what this plans.
 *
 * ```text
 *  chain:     lan1 ── r1 ═══ r2 ═══ r3 ── lan3          ═══ link N: 10.100.N.0/24,
 *                          │                                 first end .1, second .2
 *                          lan2
 *  triangle:  r1 ═1═ r2, r2 ═2═ r3, r1 ═3═ r3, a LAN on each
 *  tunnel:    lan1 ── r1 ═1═ u ═2═ r3 ── lan3    u: unicast only, no DVMRP; the DVMRP tunnel
 *                                                runs from 10.100.1.1 (r1) to 10.100.2.2 (r3)
 * ```
 *
 * Router i's LAN is `10.i.0.0/24`: the router is `.1` (interface `lan0`), host j is `.(10+j)`.
 * On a node, the interface of the link to a peer is named after the peer (`r2`, `u`).
 *
 * @module
 */

/** The lab's topologies. */
export type RouterTopology = "chain" | "triangle" | "tunnel";

/** Every topology, in the order the module doc shows them. */
export const ROUTER_TOPOLOGIES: readonly RouterTopology[] = ["chain", "triangle", "tunnel"];

/** A node of the router graph: DVMRP router i (`ri`, 1-based) or `u`, the unicast-only router. */
export type RouterNode = number | "u";

/** The name of a LAN's interface on its router. */
export const LAN_IFNAME = "lan0";

/** A point-to-point link between two nodes (a veth pair). */
export interface RouterLink {
  /** Link number N: the subnet is `10.100.N.0/24`. */
  n: number;
  /** The end with address `.1`. */
  a: RouterNode;
  /** The end with address `.2`. */
  b: RouterNode;
}

/**
 * A DVMRP tunnel between two routers' link addresses: what mrouted's `tunnel local remote`
 * configures, IP-in-IP through routers that do not route multicast (`u`).
 */
export interface DvmrpTunnelPlan {
  /** One end: a router number. */
  a: number;
  /** The other end. */
  b: number;
  /** The tunnel's address on `a` (its link address towards `u`). */
  addrA: string;
  /** The tunnel's address on `b`. */
  addrB: string;
}

/** A static unicast route: `ip route replace <dest> via <via> dev <dev>`. */
export interface StaticRoute {
  /** Destination prefix, e.g. `10.3.0.0/24`. */
  dest: string;
  /** Next hop: the neighbour's address on the link. */
  via: string;
  /** Interface towards the next hop. */
  dev: string;
}

/** What a topology holds. */
export interface RouterLabPlan {
  /** The topology planned. */
  topology: RouterTopology;
  /** The DVMRP routers, each with a LAN, ascending. */
  routers: number[];
  /** Every node: the routers, then `u` where there is one. */
  nodes: RouterNode[];
  /** The links, by number. */
  links: RouterLink[];
  /** DVMRP tunnels the daemons are to configure (the tunnel topology has one). */
  tunnels: DvmrpTunnelPlan[];
}

/** Plans a topology (see the module doc). */
export function planTopology(topology: RouterTopology): RouterLabPlan {
  switch (topology) {
    case "chain":
      return {
        topology,
        routers: [1, 2, 3],
        nodes: [1, 2, 3],
        links: [{ n: 1, a: 1, b: 2 }, { n: 2, a: 2, b: 3 }],
        tunnels: [],
      };
    case "triangle":
      return {
        topology,
        routers: [1, 2, 3],
        nodes: [1, 2, 3],
        links: [{ n: 1, a: 1, b: 2 }, { n: 2, a: 2, b: 3 }, { n: 3, a: 1, b: 3 }],
        tunnels: [],
      };
    case "tunnel":
      return {
        topology,
        routers: [1, 3],
        nodes: [1, 3, "u"],
        links: [{ n: 1, a: 1, b: "u" }, { n: 2, a: "u", b: 3 }],
        tunnels: [{ a: 1, b: 3, addrA: "10.100.1.1", addrB: "10.100.2.2" }],
      };
  }
}

/** A node's name, also its namespace role and its interface name on its peers: `r1`, `u`. */
export function nodeName(node: RouterNode): string {
  return node === "u" ? "u" : `r${node}`;
}

/** The subnet of router i's LAN: `10.i.0.0/24`. */
export function lanSubnet(i: number): string {
  return `10.${i}.0.0/24`;
}

/** Router i's address on its LAN: `10.i.0.1`. */
export function lanAddr(i: number): string {
  return `10.${i}.0.1`;
}

/** Host j's address on router i's LAN (both 1-based): `10.i.0.(10+j)`. */
export function lanHostAddr(i: number, j: number): string {
  return `10.${i}.0.${10 + j}`;
}

/** The subnet of link N: `10.100.N.0/24`. */
export function linkSubnet(link: RouterLink): string {
  return `10.100.${link.n}.0/24`;
}

/** The link between two nodes, if they are neighbours. */
export function linkBetween(
  plan: RouterLabPlan,
  x: RouterNode,
  y: RouterNode,
): RouterLink | undefined {
  return plan.links.find((l) => (l.a === x && l.b === y) || (l.a === y && l.b === x));
}

/** A node's address on the link to `peer`; throws when they are not neighbours. */
export function linkAddr(plan: RouterLabPlan, node: RouterNode, peer: RouterNode): string {
  const link = linkBetween(plan, node, peer);
  if (link === undefined) {
    throw new RangeError(
      `No link between ${nodeName(node)} and ${nodeName(peer)} in the ${plan.topology} topology`,
    );
  }
  return `10.100.${link.n}.${link.a === node ? 1 : 2}`;
}

/**
 * A node's interface towards `peer` (named after the peer), or without a peer its LAN's
 * (`lan0`). Throws when there is no such link or LAN.
 */
export function ifname(plan: RouterLabPlan, node: RouterNode, peer?: RouterNode): string {
  if (peer === undefined) {
    if (node === "u" || !plan.routers.includes(node)) {
      throw new RangeError(`${nodeName(node)} has no LAN in the ${plan.topology} topology`);
    }
    return LAN_IFNAME;
  }
  linkAddr(plan, node, peer); // throws when they are not neighbours
  return nodeName(peer);
}

/** A node's neighbours, in link order. */
export function neighbours(plan: RouterLabPlan, node: RouterNode): RouterNode[] {
  return plan.links.filter((l) => l.a === node || l.b === node).map((l) =>
    l.a === node ? l.b : l.a
  );
}

/** The subnets a node is attached to: its LAN's (routers) and its links'. */
function attached(plan: RouterLabPlan, node: RouterNode): string[] {
  const lan = node !== "u" && plan.routers.includes(node) ? [lanSubnet(node)] : [];
  return [...lan, ...plan.links.filter((l) => l.a === node || l.b === node).map(linkSubnet)];
}

/**
 * The static routes of a node: to every LAN and link subnet it is not attached to, via the
 * first hop of a shortest path (fewest links; on a tie, the neighbour of the lower-numbered
 * link). Links are taken as up: the routes of a link set down are gone from the kernel until
 * the lab puts them back, and nothing reroutes around it (there is no unicast routing daemon).
 */
export function staticRoutes(plan: RouterLabPlan, node: RouterNode): StaticRoute[] {
  // Breadth-first from the node; firstHop[x] is the neighbour of `node` the path to x starts at.
  const firstHop = new Map<RouterNode, RouterNode>();
  const order: RouterNode[] = [node];
  for (let k = 0; k < order.length; k++) {
    const x = order[k];
    for (const y of neighbours(plan, x)) {
      if (y === node || firstHop.has(y)) continue;
      firstHop.set(y, x === node ? y : firstHop.get(x)!);
      order.push(y);
    }
  }
  const own = new Set(attached(plan, node));
  const routes: StaticRoute[] = [];
  const subnets = [...plan.routers.map(lanSubnet), ...plan.links.map(linkSubnet)];
  for (const dest of subnets) {
    if (own.has(dest)) continue;
    // The nearest node attached to dest: the first in breadth-first order.
    const owner = order.find((x) => attached(plan, x).includes(dest));
    if (owner === undefined) continue;
    const hop = firstHop.get(owner)!;
    routes.push({ dest, via: linkAddr(plan, hop, node), dev: nodeName(hop) });
  }
  return routes;
}
