// The status views of `show interfaces`, `groups`, `upstream` and `counters` over a running core
// of each family: their values, and their keys, which version 1 of the JSON schema promises.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { PROXY_DROP_REASONS } from "./drops.ts";
import { createProxy, step } from "./proxy.ts";
import { G, G2 } from "./proxy_testing.ts";
import { a6, ipv4Scenario, ipv6Scenario, SSM, type StatusScenario } from "./status_testing.ts";
import {
  countersView,
  groupsView,
  interfacesView,
  STATUS_SCHEMA_VERSION,
  toSeconds,
  upstreamView,
} from "./status_view.ts";
import { DROP_REASONS } from "../proto/result.ts";
import { ip } from "../proto/testing.ts";

Deno.test("interfacesView IPv4: roles, networks, thresholds, the querier of each LAN, counters", () => {
  const { state, counters, now } = ipv4Scenario();
  const view = interfacesView(state, counters, now);
  equal(view.family, "ipv4");
  deepStrictEqual(view.interfaces, [
    {
      family: "ipv4",
      name: "up0",
      ifindex: 10,
      role: "upstream",
      vif: 0,
      address: "10.0.0.1",
      subnets: ["10.0.0.0/24"],
      sources: ["192.0.2.0/24"],
      threshold: 1,
      queryVersion: null,
      querier: null,
      upstreamRouter: { address: "10.0.0.254", heardAgo: 6 },
      // joined: the SSM channel, G and G2
      groups: 3,
      boundaries: [],
      packetsIn: 1200,
      bytesIn: 62_400,
      packetsOut: 0,
      bytesOut: 0,
    },
    {
      family: "ipv4",
      name: "dn1",
      ifindex: 11,
      role: "downstream",
      vif: 1,
      address: "10.1.0.100",
      subnets: ["10.1.0.0/24"],
      sources: [],
      threshold: 1,
      queryVersion: "IGMPv3",
      // heard at 2 s; Other Querier Present Interval 255 s
      querier: {
        self: false,
        address: "10.1.0.11",
        heardAgo: 10,
        otherQuerierTimer: 245,
        v1RouterPresent: false,
      },
      upstreamRouter: null,
      groups: 1,
      boundaries: ["239.255.0.0/16"],
      packetsIn: 0,
      bytesIn: 0,
      packetsOut: 100,
      bytesOut: 5200,
    },
    {
      family: "ipv4",
      name: "dn2",
      ifindex: 12,
      role: "downstream",
      vif: 2,
      address: "10.2.0.1",
      subnets: ["10.2.0.0/24"],
      sources: [],
      threshold: 1,
      queryVersion: "IGMPv3",
      // the IGMPv1 router is higher: we stay querier, and know it is there
      querier: {
        self: true,
        address: "10.2.0.1",
        heardAgo: null,
        otherQuerierTimer: null,
        v1RouterPresent: true,
      },
      upstreamRouter: null,
      groups: 3,
      boundaries: [],
      packetsIn: null,
      bytesIn: null,
      packetsOut: null,
      bytesOut: null,
    },
  ]);
});

Deno.test("interfacesView: the IGMPv1 router is forgotten an Other Querier Present Interval later", () => {
  const { state, counters } = ipv4Scenario();
  // heard at 4 s: present until 259 s
  equal(interfacesView(state, counters, 258_900).interfaces[2].querier?.v1RouterPresent, true);
  equal(interfacesView(state, counters, 259_000).interfaces[2].querier?.v1RouterPresent, false);
});

Deno.test("interfacesView IPv6: no thresholds, MLD versions, bigints printed, a rival querier", () => {
  const { state, counters, now } = ipv6Scenario();
  const view = interfacesView(state, counters, now);
  equal(view.family, "ipv6");
  deepStrictEqual(view.interfaces.map((i) => [i.name, i.threshold, i.queryVersion, i.subnets]), [
    ["up0", null, null, ["2001:db8::/64", "fe80::/64"]],
    ["dn1", null, "MLDv2", ["2001:db8:1::/64"]],
    ["dn2", null, "MLDv1", ["2001:db8:2::/64"]],
  ]);
  deepStrictEqual(view.interfaces[1].querier, {
    self: true,
    address: "fe80::100",
    heardAgo: null,
    otherQuerierTimer: null,
    v1RouterPresent: false,
  });
  // fe80::50 queried at 30 s
  deepStrictEqual(view.interfaces[2].querier, {
    self: false,
    address: "fe80::50",
    heardAgo: 50,
    otherQuerierTimer: 205,
    v1RouterPresent: false,
  });
  deepStrictEqual(view.interfaces[1].boundaries, ["ff0e::/16"]);
  equal(view.interfaces[0].packetsIn, null);
});

Deno.test("interfacesView of a core without interfaces: none", () => {
  const state = createProxy({ interfaces: [] });
  deepStrictEqual(interfacesView(state, { vifs: new Map(), entries: new Map() }, 0), {
    family: "ipv4",
    interfaces: [],
  });
});

Deno.test("groupsView IPv4: by LAN then group; modes, timers, versions, sources, reporters, SSM", () => {
  const { state, now } = ipv4Scenario();
  const view = groupsView(state, now);
  equal(view.family, "ipv4");
  // Every membership began at 10 or 20 ms: GMI (260 s) and OHPI (260 s) later, 248 s are left.
  deepStrictEqual(view.groups, [
    {
      family: "ipv4",
      interface: "dn1",
      vif: 1,
      group: "239.1.1.1",
      mode: "exclude",
      groupTimer: 248,
      compatibility: "IGMPv2",
      olderHosts: [{ version: "IGMPv2", timer: 248 }],
      sources: [],
      lastReporter: "10.1.0.12",
      ssm: false,
    },
    {
      family: "ipv4",
      interface: "dn2",
      vif: 2,
      group: "232.1.1.1",
      mode: "include",
      groupTimer: null,
      compatibility: "IGMPv3",
      olderHosts: [],
      sources: [{ address: "10.0.0.2", timer: 248, excluded: false }],
      lastReporter: "10.2.0.12",
      ssm: true,
    },
    {
      family: "ipv4",
      interface: "dn2",
      vif: 2,
      group: "239.1.1.1",
      mode: "exclude",
      groupTimer: 248,
      compatibility: "IGMPv3",
      olderHosts: [],
      sources: [{ address: "10.0.0.3", timer: null, excluded: true }],
      lastReporter: "10.2.0.11",
      ssm: false,
    },
    {
      family: "ipv4",
      interface: "dn2",
      vif: 2,
      group: "239.1.1.2",
      mode: "exclude",
      groupTimer: 248,
      compatibility: "IGMPv1",
      olderHosts: [{ version: "IGMPv1", timer: 248 }],
      sources: [],
      lastReporter: "10.2.0.13",
      ssm: false,
    },
  ]);
});

Deno.test("groupsView of one group: its LANs only; a group without members: none", () => {
  const { state, now } = ipv4Scenario();
  deepStrictEqual(groupsView(state, now, G).groups.map((g) => [g.interface, g.group]), [
    ["dn1", "239.1.1.1"],
    ["dn2", "239.1.1.1"],
  ]);
  deepStrictEqual(groupsView(state, now, SSM).groups.map((g) => g.interface), ["dn2"]);
  deepStrictEqual(groupsView(state, now, ip("239.9.9.9")).groups, []);
});

Deno.test("groupsView: timers count down to 0, and no older host shows once its timer ran out", () => {
  const { state } = ipv4Scenario();
  const g2 = (now: number) => groupsView(state, now, G2).groups[0];
  equal(g2(250_020).groupTimer, 10);
  deepStrictEqual(g2(250_020).olderHosts, [{ version: "IGMPv1", timer: 10 }]);
  // Past the deadline but before the tick that ends it, the timer reads 0.
  equal(g2(270_000).groupTimer, 0);
  deepStrictEqual(g2(270_000).olderHosts, []);
  equal(g2(270_000).compatibility, "IGMPv3");
});

Deno.test("groupsView IPv6: MLDv1 and MLDv2 compatibility, an excluded source, link-local reporters", () => {
  const { state, now } = ipv6Scenario();
  deepStrictEqual(groupsView(state, now), {
    family: "ipv6",
    groups: [
      {
        family: "ipv6",
        interface: "dn1",
        vif: 1,
        group: "ff05::1",
        mode: "exclude",
        groupTimer: 180,
        compatibility: "MLDv1",
        olderHosts: [{ version: "MLDv1", timer: 180 }],
        sources: [],
        lastReporter: "fe80::11",
        ssm: false,
      },
      {
        family: "ipv6",
        interface: "dn2",
        vif: 2,
        group: "ff05::1",
        mode: "exclude",
        groupTimer: 180,
        compatibility: "MLDv2",
        olderHosts: [],
        sources: [{ address: "2001:db8::3", timer: null, excluded: true }],
        lastReporter: "fe80::21",
        ssm: false,
      },
    ],
  });
  deepStrictEqual(groupsView(state, now, a6("ff05::2")).groups, []);
});

Deno.test("upstreamView: the upstream interface and each joined group's filter", () => {
  deepStrictEqual(upstreamView(ipv4Scenario().state), {
    family: "ipv4",
    interface: { name: "up0", ifindex: 10, vif: 0, address: "10.0.0.1" },
    groups: [
      { group: "232.1.1.1", mode: "include", sources: ["10.0.0.2"] },
      // dn2 excludes 10.0.0.3, dn1 wants any source: any source
      { group: "239.1.1.1", mode: "exclude", sources: [] },
      { group: "239.1.1.2", mode: "exclude", sources: [] },
    ],
  });
  deepStrictEqual(upstreamView(ipv6Scenario().state), {
    family: "ipv6",
    interface: { name: "up0", ifindex: 10, vif: 0, address: "fe80::1" },
    groups: [{ group: "ff05::1", mode: "exclude", sources: [] }],
  });
});

Deno.test("upstreamView without an upstream interface: null, nothing joined", () => {
  const { state, now } = ipv4Scenario();
  step(state, { kind: "interface-down", name: "up0" }, now);
  deepStrictEqual(upstreamView(state), { family: "ipv4", interface: null, groups: [] });
});

Deno.test("countersView: packets, upcalls, and every drop reason, 0 included, in a stable order", () => {
  const { state } = ipv4Scenario();
  const view = countersView(state, 12_000);
  equal(view.family, "ipv4");
  equal(view.packets, 6);
  equal(view.upcalls, 3);
  deepStrictEqual(Object.keys(view.drops), [...PROXY_DROP_REASONS]);
  equal(view.drops["report-off-subnet"], 1);
  // The upstream router's query is not acted on; the off-network sender's data is refused.
  equal(view.drops["on-upstream"], 1);
  equal(view.drops["source-not-admitted"], 1);
  equal(Object.values(view.drops).reduce((a, b) => a + b, 0), 3);
  deepStrictEqual(view.refusedSource, {
    source: "198.51.100.7",
    group: "239.1.1.1",
    interface: "up0",
    ago: 5,
  });
  // The IPv6 view has the same keys, the IGMP-only ones included.
  deepStrictEqual(Object.keys(countersView(ipv6Scenario().state, 0).drops), [
    ...PROXY_DROP_REASONS,
  ]);
});

Deno.test("countersView: an upcall of an unexpected type adds its reason after the fixed ones", () => {
  const { state, now } = ipv4Scenario();
  step(state, { kind: "upcall", msgtype: 3, vif: 0, source: ip("10.0.0.9"), group: G }, now);
  step(state, { kind: "upcall", msgtype: 2, vif: 0, source: ip("10.0.0.9"), group: G }, now);
  const keys = Object.keys(countersView(state, 0).drops);
  deepStrictEqual(keys.slice(PROXY_DROP_REASONS.length), ["upcall-type-2", "upcall-type-3"]);
});

Deno.test("every drop reason is listed once, the decoders' first", () => {
  equal(new Set(PROXY_DROP_REASONS).size, PROXY_DROP_REASONS.length);
  deepStrictEqual(PROXY_DROP_REASONS.slice(0, DROP_REASONS.length), [...DROP_REASONS]);
  ok(PROXY_DROP_REASONS.includes("own-packet") && PROXY_DROP_REASONS.includes("not-mld"));
});

Deno.test("schema version 1: the keys of every view, in the documented order", () => {
  equal(STATUS_SCHEMA_VERSION, 1);
  const { state, counters, now } = ipv4Scenario();
  const interfaces = interfacesView(state, counters, now);
  deepStrictEqual(Object.keys(interfaces), ["family", "interfaces"]);
  deepStrictEqual(Object.keys(interfaces.interfaces[1]), [
    "family",
    "name",
    "ifindex",
    "role",
    "vif",
    "address",
    "subnets",
    "sources",
    "threshold",
    "queryVersion",
    "querier",
    "upstreamRouter",
    "groups",
    "boundaries",
    "packetsIn",
    "bytesIn",
    "packetsOut",
    "bytesOut",
  ]);
  deepStrictEqual(Object.keys(interfaces.interfaces[1].querier!), [
    "self",
    "address",
    "heardAgo",
    "otherQuerierTimer",
    "v1RouterPresent",
  ]);
  const groups = groupsView(state, now);
  deepStrictEqual(Object.keys(groups), ["family", "groups"]);
  deepStrictEqual(Object.keys(groups.groups[2]), [
    "family",
    "interface",
    "vif",
    "group",
    "mode",
    "groupTimer",
    "compatibility",
    "olderHosts",
    "sources",
    "lastReporter",
    "ssm",
  ]);
  deepStrictEqual(Object.keys(groups.groups[2].sources[0]), ["address", "timer", "excluded"]);
  deepStrictEqual(Object.keys(groups.groups[0].olderHosts[0]), ["version", "timer"]);
  const upstream = upstreamView(state);
  deepStrictEqual(Object.keys(upstream), ["family", "interface", "groups"]);
  deepStrictEqual(Object.keys(upstream.interface!), ["name", "ifindex", "vif", "address"]);
  deepStrictEqual(Object.keys(upstream.groups[0]), ["group", "mode", "sources"]);
  deepStrictEqual(Object.keys(countersView(state, 0)), [
    "family",
    "packets",
    "upcalls",
    "drops",
    "refusedSource",
  ]);
});

/** Every view of a scenario. */
function allViews<A extends number | bigint>(
  { state, counters, now }: StatusScenario<A>,
): object[] {
  return [
    interfacesView(state, counters, now),
    groupsView(state, now),
    upstreamView(state),
    countersView(state, 0),
  ];
}

Deno.test("the views survive JSON: no bigint, no undefined, nothing lost", () => {
  for (const view of [...allViews(ipv4Scenario()), ...allViews(ipv6Scenario())]) {
    deepStrictEqual(JSON.parse(JSON.stringify(view)), view);
  }
});

Deno.test("toSeconds: one decimal, rounded", () => {
  deepStrictEqual([0, 49, 50, 1234, 259_950, 86_400_000].map(toSeconds), [
    0,
    0,
    0.1,
    1.2,
    260,
    86_400,
  ]);
});
