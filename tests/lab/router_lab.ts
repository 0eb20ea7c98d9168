/**
 * A network-namespace lab of several multicast routers, for the DVMRP end-to-end tests: the
 * routers of a topology from `router_topology.ts` (a chain, a triangle, or two routers with a
 * plain unicast router `u` between them for a DVMRP tunnel), a LAN behind each router with
 * Linux hosts on a bridge, and a sender on router 1's LAN.
 *
 * ```text
 *  chain: router i's interface to router k is named `rk`, to its LAN `lan0`
 *
 *   h11, src ── lan1 ── r1 ─────────────── r2 ─────────────── r3 ── lan3 ── h31
 *      10.1.0.0/24    .1  10.100.1.0/24  .2  .1  10.100.2.0/24  .2   10.3.0.0/24
 *                                        │
 *                                       lan2 ── h21     10.2.0.0/24
 *
 *  triangle: the chain and r1 .1 ── 10.100.3.0/24 ── .2 r3
 *  tunnel:   r1 ── u ── r3 on the chain's links (u has no LAN and runs no daemon); the
 *            DVMRP tunnel goes from 10.100.1.1 (r1) to 10.100.2.2 (r3)
 * ```
 *
 * Namespaces are `<id>-r1`, `<id>-u`, `<id>-lan1` (the bridge `br0`, its port `rt0` to the
 * router, `hJ` to host j and `src` to the sender), `<id>-h11` (host 1 of LAN 1, `eth0`) and
 * `<id>-src` (the sender, `eth0` 10.1.0.99), with the id of `newLabId` so that stale labs are
 * cleaned as `lab.ts`'s are. Routers and `u` forward unicast (`ip_forward` 1) along static
 * routes (there is no unicast routing daemon); `rp_filter` is 0 everywhere; multicast
 * forwarding is the daemon's to turn on (MRT_INIT). Hosts and the sender have a default route
 * via their router. IPv4 only: IPv6 has its link-local addresses and nothing else.
 *
 * @example
 * ```ts
 * await using lab = await createRouterLab({ topology: "chain" });
 * // startRouterDaemon, startRouterLabHost: router_lab_agents.ts; startSender: sender.ts.
 * const daemons = await Promise.all(lab.routerIds.map((i) =>
 *   startRouterDaemon(lab, i, { config: "...", flags: ["-d"] })
 * ));
 * const h31 = await startRouterLabHost(lab, 3, 1);
 * const sender = await startSender(lab, { groups: ["239.1.1.1"], ifaceAddr: lab.senderAddr });
 * ```
 *
 * @module
 */

import {
  ipBatch,
  type LabShell,
  labSupport,
  NamespaceShell,
  namespaceSysctls,
  newLabId,
  waitLinksUp,
  writeSysctls,
} from "./lab.ts";
import {
  ifname,
  LAN_IFNAME,
  lanAddr,
  lanHostAddr,
  linkAddr,
  neighbours,
  nodeName,
  planTopology,
  type RouterLabPlan,
  type RouterNode,
  type RouterTopology,
  staticRoutes,
} from "./router_topology.ts";
import { scaledWait } from "./wait_scale.ts";
import { messageOf } from "../../src/log.ts";

export type { RouterNode, RouterTopology } from "./router_topology.ts";

/** Namespace name prefix of router labs when none is given (under `cleanStaleLabs`'s `mcp-`). */
export const DEFAULT_ROUTER_LAB_PREFIX = "mcp-rl-";
/** The sender's address on router 1's LAN (namespace `src`). */
export const ROUTER_LAB_SENDER_ADDR = "10.1.0.99";

/** Options of {@link createRouterLab}. */
export interface RouterLabOptions {
  /** Which routers and links (see `router_topology.ts`). */
  topology: RouterTopology;
  /** Namespace name prefix (default {@link DEFAULT_ROUTER_LAB_PREFIX}). */
  prefix?: string;
  /** Hosts on each router's LAN: one number for all, or one per router in order (default 1). */
  hostsPerLan?: number | readonly number[];
}

/** Names of a router lab's namespaces. */
export interface RouterLabNamespaces {
  /** The DVMRP routers, in the order of {@link RouterLab.routerIds}. */
  routers: string[];
  /** The unicast-only router of the tunnel topology. */
  u?: string;
  /** The LAN (bridge) of router i, by router number. */
  lans: Record<number, string>;
  /** The hosts on router i's LAN, by router number: `hosts[i][j - 1]` is host j. */
  hosts: Record<number, string[]>;
  /** The sender, on router 1's LAN. */
  src: string;
}

/** A built router lab. Tear it down with {@link LabShell.destroy} or `await using`. */
export interface RouterLab extends LabShell {
  /** The topology built. */
  readonly topology: RouterTopology;
  /** Its plan: routers, links, tunnels. */
  readonly plan: RouterLabPlan;
  /** Namespace names. */
  readonly ns: RouterLabNamespaces;
  /** The DVMRP routers' numbers: `[1, 2, 3]`, or `[1, 3]` in the tunnel topology. */
  readonly routerIds: readonly number[];
  /** The DVMRP routers' namespaces, in the order of {@link RouterLab.routerIds}. */
  readonly routers: readonly string[];
  /** The hosts of router i's LAN by router number, as {@link RouterLabNamespaces.hosts}. */
  readonly hosts: Readonly<Record<number, readonly string[]>>;
  /** The sender's address, {@link ROUTER_LAB_SENDER_ADDR}. */
  readonly senderAddr: string;
  /** The namespace of router i, or of `u`. */
  router(i: RouterNode): string;
  /** Router i's address on the link to `peer` (`10.100.N.1` or `.2`). */
  routerAddr(i: RouterNode, peer: RouterNode): string;
  /** Router i's address on its LAN: `10.i.0.1`. */
  lanAddr(i: number): string;
  /** Host j on router i's LAN: `10.i.0.(10+j)`. */
  hostAddr(i: number, j: number): string;
  /** Router i's interface to `peer` (named after it: `r2`, `u`), or to its LAN (`lan0`). */
  ifname(i: RouterNode, peer?: RouterNode): string;
  /** Router i's neighbours, in link order. */
  peers(i: RouterNode): RouterNode[];
  /**
   * Sets the link between two nodes down or up (`ip link set` on both ends). Down, the kernel
   * drops the routes through it and nothing reroutes. Up, resolves once both ends are up and
   * the static routes of both nodes are back.
   */
  setLink(a: RouterNode, b: RouterNode, up: boolean): Promise<void>;
}

/** The name of host j on router i's LAN, its namespace's role: `h11`, or `h1x12` past 9. */
export function routerLabHostName(i: number, j: number): string {
  return i < 10 && j < 10 ? `h${i}${j}` : `h${i}x${j}`;
}

/** The number of hosts on each router's LAN, validated. */
function hostCounts(plan: RouterLabPlan, opt: RouterLabOptions["hostsPerLan"]): number[] {
  const counts = typeof opt === "number" || opt === undefined
    ? plan.routers.map(() => opt ?? 1)
    : [...opt];
  if (counts.length !== plan.routers.length) {
    throw new RangeError(
      `The ${plan.topology} topology has ${plan.routers.length} LANs, not ${counts.length}`,
    );
  }
  for (const n of counts) {
    if (!Number.isInteger(n) || n < 0 || n > 50) {
      throw new RangeError(`A LAN has 0 to 50 hosts, not ${n}`);
    }
  }
  return counts;
}

class NamespaceRouterLab extends NamespaceShell implements RouterLab {
  readonly routerIds: readonly number[];
  readonly routers: readonly string[];
  readonly hosts: Readonly<Record<number, readonly string[]>>;
  readonly senderAddr = ROUTER_LAB_SENDER_ADDR;

  constructor(id: string, readonly plan: RouterLabPlan, readonly ns: RouterLabNamespaces) {
    super(id);
    this.routerIds = plan.routers;
    this.routers = ns.routers;
    this.hosts = ns.hosts;
  }

  get topology(): RouterTopology {
    return this.plan.topology;
  }

  override get allNamespaces(): string[] {
    return [
      ...this.ns.routers,
      ...(this.ns.u === undefined ? [] : [this.ns.u]),
      ...Object.values(this.ns.lans),
      ...Object.values(this.ns.hosts).flat(),
      this.ns.src,
    ];
  }

  router(i: RouterNode): string {
    if (i === "u" && this.ns.u !== undefined) return this.ns.u;
    const k = i === "u" ? -1 : this.plan.routers.indexOf(i);
    if (k < 0) throw new RangeError(`No ${nodeName(i)} in the ${this.topology} topology`);
    return this.ns.routers[k];
  }

  routerAddr(i: RouterNode, peer: RouterNode): string {
    return linkAddr(this.plan, i, peer);
  }

  lanAddr(i: number): string {
    this.router(i);
    return lanAddr(i);
  }

  hostAddr(i: number, j: number): string {
    const hosts = this.ns.hosts[i];
    if (hosts === undefined) throw new RangeError(`No LAN of r${i} in the ${this.topology} lab`);
    if (!Number.isInteger(j) || j < 1 || j > hosts.length) {
      throw new RangeError(`No host ${j} on the LAN of r${i} (it has ${hosts.length})`);
    }
    return lanHostAddr(i, j);
  }

  ifname(i: RouterNode, peer?: RouterNode): string {
    return ifname(this.plan, i, peer);
  }

  peers(i: RouterNode): RouterNode[] {
    this.router(i);
    return neighbours(this.plan, i);
  }

  async setLink(a: RouterNode, b: RouterNode, up: boolean): Promise<void> {
    const ends = [[a, b], [b, a]].map(([x, y]) => ({
      ns: this.router(x),
      dev: ifname(this.plan, x, y),
    }));
    const state = up ? "up" : "down";
    await Promise.all(
      ends.map(({ ns, dev }) =>
        ipBatch(["-n", ns], [`link set dev ${dev} ${state}`], `set "${dev}" ${state}`)
      ),
    );
    if (!up) return;
    await Promise.all(
      ends.map(({ ns, dev }) =>
        waitLinksUp(ns, { links: [dev], timeoutMs: scaledWait(5000), ipv6: this.ipv6 })
      ),
    );
    await Promise.all([a, b].map((node) => this.addRoutes(node)));
  }

  /** Puts a node's static routes in its kernel (again: `ip route replace`). */
  addRoutes(node: RouterNode): Promise<void> {
    const lines = staticRoutes(this.plan, node).map((r) =>
      `route replace ${r.dest} via ${r.via} dev ${r.dev}`
    );
    return ipBatch(["-n", this.router(node)], lines, `add the routes of ${nodeName(node)}`);
  }
}

/**
 * Builds a router lab (see the module doc). Fails with a clear error when the machine cannot
 * (see `labSupport`); on any failure the partial lab is deleted.
 */
export async function createRouterLab(opts: RouterLabOptions): Promise<RouterLab> {
  const support = await labSupport();
  if (!support.ok) throw new Error(`Cannot build the router lab: ${support.reason}`);
  const plan = planTopology(opts.topology);
  const counts = hostCounts(plan, opts.hostsPerLan);
  const id = newLabId(opts.prefix ?? DEFAULT_ROUTER_LAB_PREFIX);
  const hostsOf = (i: number, n: number) =>
    Array.from({ length: n }, (_, jj) => `${id}-${routerLabHostName(i, jj + 1)}`);
  const ns: RouterLabNamespaces = {
    routers: plan.routers.map((i) => `${id}-${nodeName(i)}`),
    ...(plan.nodes.includes("u") ? { u: `${id}-u` } : {}),
    lans: Object.fromEntries(plan.routers.map((i) => [i, `${id}-lan${i}`])),
    hosts: Object.fromEntries(plan.routers.map((i, k) => [i, hostsOf(i, counts[k])])),
    src: `${id}-src`,
  };
  const lab = new NamespaceRouterLab(id, plan, ns);
  try {
    await build(lab);
  } catch (e) {
    await lab.destroy();
    throw new Error(`Cannot build the router lab "${id}": ${messageOf(e)}`, { cause: e });
  }
  return lab;
}

async function build(lab: NamespaceRouterLab): Promise<void> {
  const { ns, plan } = lab;
  const lans = new Set(Object.values(ns.lans));
  const forwarding = new Set(plan.nodes.map((n) => lab.router(n)));
  lab.ipv6 = (await new Deno.Command("sh", { args: ["-c", "test -d /proc/sys/net/ipv6"] })
    .output()).code === 0;
  const all = lab.allNamespaces;
  await ipBatch([], all.map((n) => `netns add ${n}`), "create namespaces");
  await lab.anchor();

  // Before any link exists: per-interface settings are copied from "default" at creation.
  await Promise.all(
    all.map((n) =>
      writeSysctls(n, namespaceSysctls({ lan: lans.has(n), forwarding: forwarding.has(n) }))
    ),
  );

  const { links, perNs, made } = linkPlan(lab);
  await ipBatch([], links, "create veth links");
  await Promise.all(
    [...perNs].map(([n, lines]) => ipBatch(["-n", n], lines, `configure namespace "${n}"`)),
  );
  await Promise.all(all.map((n) =>
    waitLinksUp(n, {
      links: made.get(n) ?? [],
      timeoutMs: scaledWait(5000),
      ipv6: lab.ipv6 && !lans.has(n),
    })
  ));
  // Routes once every link is up: a gateway must be on a connected subnet.
  const stations = [
    ...plan.routers.flatMap((i) => ns.hosts[i].map((h) => [h, lanAddr(i)])),
    [ns.src, lanAddr(1)],
  ];
  await Promise.all([
    ...plan.nodes.map((node) => lab.addRoutes(node)),
    ...stations.map(([n, gw]) =>
      ipBatch(["-n", n], [`route add default via ${gw}`], `add the default route of "${n}"`)
    ),
  ]);
}

/** One end of a veth pair: its name, namespace and the `ip` lines that configure it. */
interface LinkEnd {
  dev: string;
  ns: string;
  config: string[];
}

/**
 * The `ip` lines that build the lab's links: `links` (run outside, they create veth pairs
 * across namespaces), `perNs` (each namespace's own: bridges, addresses, links up) and `made`
 * (the links of each namespace to wait for).
 */
function linkPlan(lab: NamespaceRouterLab): {
  links: string[];
  perNs: Map<string, string[]>;
  made: Map<string, string[]>;
} {
  const { ns, plan } = lab;
  // A veth's ifindex differs from its peer's: carrier changes are then urgent (see lab.ts).
  let index = 10;
  const links: string[] = [];
  const perNs = new Map<string, string[]>(
    lab.allNamespaces.map((n) => [n, ["link set dev lo up"]]),
  );
  const made = new Map<string, string[]>();
  const lines = (n: string) => perNs.get(n)!;
  const addLink = (a: LinkEnd, b: LinkEnd) => {
    links.push(
      `link add name ${a.dev} netns ${a.ns} index ${index++} type veth ` +
        `peer name ${b.dev} netns ${b.ns} index ${index++}`,
    );
    for (const end of [a, b]) {
      made.set(end.ns, [...made.get(end.ns) ?? [], end.dev]);
      lines(end.ns).push(...end.config, `link set dev ${end.dev} up`);
    }
  };
  const routerEnd = (x: RouterNode, y: RouterNode): LinkEnd => {
    const dev = ifname(plan, x, y);
    return { dev, ns: lab.router(x), config: [`addr add ${linkAddr(plan, x, y)}/24 dev ${dev}`] };
  };
  const port = (lan: string, dev: string): LinkEnd => ({
    dev,
    ns: lan,
    config: [`link set dev ${dev} master br0`],
  });
  const station = (n: string, addr: string): LinkEnd => ({
    dev: "eth0",
    ns: n,
    config: [`addr add ${addr}/24 dev eth0`],
  });
  for (const l of plan.links) addLink(routerEnd(l.a, l.b), routerEnd(l.b, l.a));
  for (const i of plan.routers) {
    const lan = ns.lans[i];
    lines(lan).push("link add name br0 type bridge mcast_snooping 0", "link set dev br0 up");
    made.set(lan, ["br0"]);
    const lan0 = {
      dev: LAN_IFNAME,
      ns: lab.router(i),
      config: [`addr add ${lanAddr(i)}/24 dev lan0`],
    };
    addLink(lan0, port(lan, "rt0"));
    ns.hosts[i].forEach((h, j) =>
      addLink(station(h, lanHostAddr(i, j + 1)), port(lan, `h${j + 1}`))
    );
  }
  addLink(station(ns.src, ROUTER_LAB_SENDER_ADDR), port(ns.lans[1], "src"));
  return { links, perNs, made };
}
