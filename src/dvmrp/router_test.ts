import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Action } from "../core/actions.ts";
import { IGMPMSG_NOCACHE, type ProxyInterface } from "../core/proxy.ts";
import { DEFAULT_TIMERS } from "../core/timers.ts";
import { decodeDvmrp, type DvmrpMessage } from "../proto/dvmrp.ts";
import { encodeDvmrp } from "../proto/dvmrp_encode.ts";
import { encodeV2Report } from "../proto/igmp_encode.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";
import {
  DVMRP_CAPABILITIES,
  encodeAskNeighbors2,
  encodeProbe,
  encodeReports,
} from "../proto/dvmrp_encode.ts";
import {
  createRouter,
  DEFAULT_CACHE_LIFETIME,
  DEFAULT_PRUNE_LIFETIME,
  nextRouterDeadline,
  type RouterSettings,
  type RouterState,
  stepRouter,
} from "./router.ts";
import { describeRouteTable, describeVifTable, formatSubnet } from "./route_dump.ts";
import { describeCacheTable } from "./cache_dump.ts";

/** Our link to the neighbor B (10.100.1.2), VIF 0. */
const LINK: ProxyInterface = {
  name: "r2",
  ifindex: 20,
  role: "downstream",
  address: ip("10.100.1.1"),
  subnets: [{ address: ip("10.100.1.1"), prefixLength: 24 }], // as getifaddrs gives it
  sources: [],
  threshold: 1,
  timers: DEFAULT_TIMERS,
  boundaries: [],
  queryVersion: 3,
};
/** Our LAN, VIF 1. */
const LAN: ProxyInterface = {
  ...LINK,
  name: "lan0",
  ifindex: 21,
  address: ip("10.1.0.1"),
  subnets: [{ address: ip("10.1.0.0"), prefixLength: 24 }],
};
const B = ip("10.100.1.2");
const G = ip("239.1.1.1");
/** A source behind B. */
const S = ip("10.3.0.99");

/** A router on {@link LINK} and {@link LAN} (or `interfaces`), not started; defaults but `settings`. */
function unstarted(
  interfaces: ProxyInterface[] = [LINK, LAN],
  settings: Partial<RouterSettings> = {},
): RouterState {
  return createRouter({ interfaces }, {
    metrics: new Map(),
    tunnels: [],
    pruning: true,
    pruneLifetime: DEFAULT_PRUNE_LIFETIME,
    cacheLifetime: DEFAULT_CACHE_LIFETIME,
    genid: 1234,
    ...settings,
  });
}

function router(): RouterState {
  const state = unstarted();
  stepRouter(state, { kind: "start" }, 0);
  return state;
}

/** Feeds a DVMRP message from B on the link. */
function fromB(state: RouterState, m: DvmrpMessage | Uint8Array, now: number): Action[] {
  const payload = m instanceof Uint8Array ? m : encodeDvmrp(m);
  const data = buildIPv4Packet({ source: B, destination: ip("224.0.0.4"), payload });
  return stepRouter(
    state,
    { kind: "packet", ifindex: LINK.ifindex, data, length: data.length },
    now,
  );
}

/** The DVMRP messages sent, decoded, with where they went. */
function sent(actions: Action[]): { to: number; name: string; m: DvmrpMessage }[] {
  return actions.flatMap((a) => {
    if (a.kind !== "sendDvmrp") return [];
    const d = decodeDvmrp(a.message);
    if (!d.ok) throw new Error(`we sent a bad message: ${d.reason}`);
    return [{ to: a.destination, name: a.name, m: d.value }];
  });
}

/** Makes B a two-way neighbor that advertises 10.3.0.0/24 at metric 1. */
function withNeighbor(state: RouterState, now: number): Action[] {
  const actions = fromB(
    state,
    encodeProbe({ generationId: 99, neighbors: [LINK.address] }),
    now,
  );
  actions.push(
    ...fromB(
      state,
      encodeReports([{ source: ip("10.3.0.0"), prefixLength: 24, metric: 1 }])[0],
      now,
    ),
  );
  return actions;
}

Deno.test("router: the start adds the VIFs, joins 224.0.0.4 and probes on every vif", () => {
  const state = unstarted([LINK, LAN], { genid: 7 });
  const actions = stepRouter(state, { kind: "start" }, 0);
  deepStrictEqual(actions.filter((a) => a.kind === "addVif").map((a) => a.name), ["r2", "lan0"]);
  deepStrictEqual(
    actions.filter((a) => a.kind === "join" && a.group === ip("224.0.0.4")).map((a) =>
      a.kind === "join" ? a.name : ""
    ),
    ["r2", "lan0"],
  );
  const probes = sent(actions).filter((s) => s.m.type === "probe");
  deepStrictEqual(probes.map((p) => [p.name, p.to]), [
    ["r2", ip("224.0.0.4")],
    ["lan0", ip("224.0.0.4")],
  ]);
  ok(probes.every((p) => p.m.type === "probe" && p.m.generationId === 7));
  ok(nextRouterDeadline(state) <= 10_000, "the next probe is due within 10 s");
});

Deno.test("router: a two-way neighbor gets our routes, with its own poisoned", () => {
  const state = router();
  const actions = fromB(state, encodeProbe({ generationId: 99, neighbors: [LINK.address] }), 1000);
  const reports = sent(actions).filter((s) => s.m.type === "report");
  equal(reports.length, 1);
  equal(reports[0].to, B);
  const routes = reports[0].m.type === "report" ? reports[0].m.routes : [];
  deepStrictEqual(
    routes.map((r) => `${formatSubnet(r.source, r.prefixLength)} ${r.metric}`).sort(),
    ["10.1.0 1", "10.100.1 33"],
  );
});

Deno.test("router: reports from a stranger are dropped and counted", () => {
  const state = router();
  fromB(state, encodeReports([{ source: ip("10.3.0.0"), prefixLength: 24, metric: 1 }])[0], 1000);
  equal(state.drops.get("dvmrp-not-neighbor"), 1);
  equal(state.routes.routes.size, 2, "only our own subnets");
});

Deno.test("router: data from a learned source goes to the LAN with members, not back", () => {
  const state = router();
  withNeighbor(state, 1000);
  const upcall = (now: number) =>
    stepRouter(
      state,
      { kind: "upcall", msgtype: IGMPMSG_NOCACHE, vif: 0, source: S, group: G },
      now,
    );
  // No member yet: an entry with no outgoing vif, and a prune to B.
  const first = upcall(2000);
  deepStrictEqual(first.filter((a) => a.kind === "addMfc"), [
    { kind: "addMfc", source: S, group: G, parent: 0, oifs: [] },
  ]);
  const prunes = sent(first).filter((s) => s.m.type === "prune");
  equal(prunes.length, 1);
  equal(prunes[0].to, B);
  // A member joins on the LAN: the entry forwards there, and a graft goes to B.
  const data = buildIPv4Packet({
    source: ip("10.1.0.11"),
    destination: G,
    payload: encodeV2Report(G),
  });
  const joined = stepRouter(state, {
    kind: "packet",
    ifindex: LAN.ifindex,
    data,
    length: data.length,
  }, 3000);
  deepStrictEqual(joined.filter((a) => a.kind === "addMfc"), [
    { kind: "addMfc", source: S, group: G, parent: 0, oifs: [{ vifi: 1, ttl: 1 }] },
  ]);
  deepStrictEqual(sent(joined).map((s) => [s.m.type, s.to]), [["graft", B]]);
});

Deno.test("router: a route B withdraws is held down: advertised with infinity, entries flushed (3.4.8)", () => {
  const state = router();
  withNeighbor(state, 1000);
  const net = { source: ip("10.3.0.0"), prefixLength: 24 };
  const upcall = (now: number) =>
    stepRouter(
      state,
      { kind: "upcall", msgtype: IGMPMSG_NOCACHE, vif: 0, source: S, group: G },
      now,
    ).filter((a) => a.kind === "addMfc");
  equal(upcall(2000).length, 1);
  const withdrawn = fromB(state, encodeReports([{ ...net, metric: 32 }])[0], 10_000);
  deepStrictEqual(withdrawn.filter((a) => a.kind === "delMfc"), [
    { kind: "delMfc", source: S, group: G },
  ]);
  deepStrictEqual(
    sent(withdrawn).map((s) => s.m.type === "report" ? s.m.routes : []),
    [[{ ...net, metric: 32 }]],
    "the flash update: infinity, not poison reverse, back to B",
  );
  deepStrictEqual(upcall(11_000), [], "no path: no entry");
  // B again with the metric it had: out of hold-down at once, and data flows again.
  fromB(state, encodeReports([{ ...net, metric: 1 }])[0], 20_000);
  deepStrictEqual(upcall(21_000), [
    { kind: "addMfc", source: S, group: G, parent: 0, oifs: [] },
  ]);
});

Deno.test("router: the stop says good-bye with every route unreachable, then removes everything", () => {
  const state = router();
  withNeighbor(state, 1000);
  stepRouter(
    state,
    { kind: "upcall", msgtype: IGMPMSG_NOCACHE, vif: 0, source: S, group: G },
    2000,
  );
  const actions = stepRouter(state, { kind: "stop" }, 3000);
  const goodbye = sent(actions).filter((s) => s.m.type === "report");
  equal(goodbye.length, 1, "only the link has a neighbor");
  ok(goodbye[0].m.type === "report" && goodbye[0].m.routes.every((r) => r.metric === 32));
  deepStrictEqual(actions.filter((a) => a.kind === "delMfc").length, 1);
  deepStrictEqual(actions.filter((a) => a.kind === "delVif").map((a) => a.vifi).sort(), [0, 1]);
  deepStrictEqual(
    actions.filter((a) => a.kind === "leave" && a.group === ip("224.0.0.4")).length,
    2,
  );
});

Deno.test("router: malformed DVMRP and off-subnet senders are dropped, never thrown", () => {
  const state = router();
  const bad = new Uint8Array([0x13, 1, 0, 0, 0, 0x0e, 0xff, 3]); // checksum wrong
  fromB(state, bad, 1000);
  const off = buildIPv4Packet({
    source: ip("192.0.2.1"),
    destination: ip("224.0.0.4"),
    payload: encodeProbe({ generationId: 1, capabilities: DVMRP_CAPABILITIES }),
  });
  stepRouter(state, { kind: "packet", ifindex: LINK.ifindex, data: off, length: off.length }, 1000);
  equal(state.drops.get("dvmrp-off-subnet"), 1);
  equal([...state.drops.values()].reduce((a, b) => a + b, 0), 2);
});

Deno.test("router: the tables in mrouted's layout", () => {
  const state = router();
  withNeighbor(state, 1000);
  const vifs = describeVifTable(state, (v) => ({ in: v, out: 10 * v }));
  equal(vifs[0], "Virtual Interface Table");
  ok(vifs.some((l) => /^ {2}0 +10\.100\.1\.1 +subnet: 10\.100\.1 +1 +1/.test(l)), vifs.join("\n"));
  ok(vifs.some((l) => l.trim() === "peers: 10.100.1.2 (3.255)"), vifs.join("\n"));
  const routes = describeRouteTable(state, 31_000);
  equal(routes[0], "Multicast Routing Table (3 entries)");
  const learned = routes.find((l) => l.startsWith(" 10.3.0 "));
  ok(learned !== undefined, routes.join("\n"));
  ok(/^ 10\.3\.0 +10\.100\.1\.2 +2 +30 +0 +1\*$/.test(learned), learned);
});

Deno.test("router: the cache table in mrouted's layout, P after a pruned incoming vif", () => {
  const state = router();
  withNeighbor(state, 1000);
  stepRouter(
    state,
    { kind: "upcall", msgtype: IGMPMSG_NOCACHE, vif: 0, source: S, group: G },
    2000,
  );
  const lines = describeCacheTable(state.cache, 62_000);
  equal(lines[0], "Multicast Routing Cache Table (1 entries)");
  ok(/^ 10\.3\.0 +239\.1\.1\.1 +1h +1m +1h +0P/.test(lines[2]), lines.join("\n"));
  equal(lines[3], ">10.3.0.99");
});

Deno.test("router: the probe that makes the adjacency two-way goes before the table", () => {
  const state = router();
  const actions = fromB(state, encodeProbe({ generationId: 99, neighbors: [LINK.address] }), 1000);
  deepStrictEqual(sent(actions).map((s) => s.m.type), ["probe", "report"]);
});

Deno.test("router: an interface that goes loses its neighbors, its routes and 224.0.0.4", () => {
  const state = router();
  withNeighbor(state, 1000);
  const actions = stepRouter(state, { kind: "interface-down", name: "r2", reason: "gone" }, 2000);
  ok(actions.some((a) => a.kind === "delVif" && a.vifi === 0));
  ok(actions.some((a) => a.kind === "leave" && a.group === ip("224.0.0.4") && a.name === "r2"));
  equal(state.vifs.has(0), false);
  ok(
    actions.some((a) => a.kind === "log" && a.message.includes("10.100.1.2 lost")),
    JSON.stringify(actions.filter((a) => a.kind === "log")),
  );
  const learned = [...state.routes.routes.values()].find((r) => r.source === ip("10.3.0.0"));
  equal(learned?.metric ?? 32, 32, "the route through it is unreachable (hold-down)");
});

Deno.test("router: Ask Neighbors2 is answered with two-way neighbors, at most 10 a second", () => {
  const state = router();
  withNeighbor(state, 1000);
  const ask = buildIPv4Packet({
    source: ip("192.0.2.7"), // mrinfo, off any subnet of ours
    destination: LINK.address,
    payload: encodeAskNeighbors2(),
  });
  const answers = (now: number) =>
    sent(
      stepRouter(
        state,
        { kind: "packet", ifindex: LINK.ifindex, data: ask, length: ask.length },
        now,
      ),
    )
      .filter((s) => s.m.type === "neighbors2");
  const first = answers(2000);
  equal(first.length, 1);
  equal(first[0].to, ip("192.0.2.7"));
  const m = first[0].m;
  ok(m.type === "neighbors2");
  deepStrictEqual(m.vifs.map((v) => v.neighbors), [[B], [0]]);
  equal(m.capabilities.mtrace, false, "we answer no mtrace");
  let more = 0;
  for (let i = 0; i < 50; i++) more += answers(2000).length;
  equal(more, 9, "the burst: 10 in all");
  equal(state.drops.get("dvmrp-ask-rate"), 41);
  equal(answers(3000).length, 1, "a second later there is room again");
});

Deno.test("router: a tunnel adds no route of its own, and hears only unicast from its far end", () => {
  const state = unstarted([LINK, LAN], {
    tunnels: [{
      local: LAN.address,
      remote: ip("10.200.0.9"),
      metric: 1,
      threshold: 1,
      boundaries: [],
    }],
    genid: 5,
  });
  const start = stepRouter(state, { kind: "start" }, 0);
  deepStrictEqual(
    start.flatMap((a) => a.kind === "addVif" && a.tunnel !== undefined ? [a.vifi] : []),
    [31],
  );
  deepStrictEqual(
    [...state.routes.routes.values()].map((r) => formatSubnet(r.source, r.prefixLength)).sort(),
    ["10.1.0", "10.100.1"],
  );
  const probe = (destination: number) => {
    const data = buildIPv4Packet({
      source: ip("10.200.0.9"),
      destination,
      payload: encodeProbe({ generationId: 3, neighbors: [LAN.address] }),
    });
    return stepRouter(
      state,
      { kind: "packet", ifindex: LAN.ifindex, data, length: data.length },
      500,
    );
  };
  probe(ip("224.0.0.4")); // multicast on the LAN: not the tunnel's, and off the LAN's subnet
  equal(state.drops.get("dvmrp-off-subnet"), 1);
  const up = probe(LAN.address);
  ok(up.some((a) => a.kind === "log" && a.message.includes("up on tunnel")), JSON.stringify(up));
});

Deno.test("router: a subnet shorter than /8 is advertised as its address alone, never thrown", () => {
  const wide = { ...LAN, subnets: [{ address: ip("10.1.0.1"), prefixLength: 7 }] };
  const state = unstarted([LINK, wide], { genid: 5 });
  const start = stepRouter(state, { kind: "start" }, 0);
  ok(start.some((a) => a.kind === "log" && a.level === "warn" && a.message.includes("/7")));
  const reports = sent(withNeighbor(state, 1000)).filter((s) => s.m.type === "report");
  ok(reports.length > 0);
  ok(stepRouter(state, { kind: "stop" }, 2000).some((a) => a.kind === "sendDvmrp"));
});

Deno.test("router: an altnet is a local route of its vif, and its routers are neighbors", () => {
  const lan = { ...LAN, sources: [{ address: ip("10.7.0.0"), prefixLength: 16 }] };
  const state = unstarted([LINK, lan], { genid: 5 });
  stepRouter(state, { kind: "start" }, 0);
  deepStrictEqual(
    [...state.routes.routes.values()].map((r) =>
      `${formatSubnet(r.source, r.prefixLength)} ${r.vif}`
    )
      .sort(),
    ["10.1.0 1", "10.100.1 0", "10.7 1"],
  );
  const data = buildIPv4Packet({
    source: ip("10.7.3.3"),
    destination: ip("224.0.0.4"),
    payload: encodeProbe({ generationId: 3, neighbors: [LAN.address] }),
  });
  const up = stepRouter(
    state,
    { kind: "packet", ifindex: LAN.ifindex, data, length: data.length },
    500,
  );
  ok(up.some((a) => a.kind === "log" && a.message.includes("10.7.3.3 up")), JSON.stringify(up));
});
