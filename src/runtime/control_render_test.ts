// The bodies of the `show` replies over running cores of both families: tables for people (IPv4
// first, a sentence for an empty one), JSON of schema version 1, and Prometheus' text format
// read back by a small parser that follows the exposition format's grammar.

import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { forwardingView } from "../core/forwarding_view.ts";
import { createProxy, step } from "../core/proxy.ts";
import { ipv4Scenario, ipv6Scenario } from "../core/status_testing.ts";
import {
  type CountersView,
  countersView,
  groupsView,
  interfacesView,
  upstreamView,
} from "../core/status_view.ts";
import { PROXY_DROP_REASONS } from "../core/drops.ts";
import { renderShow, type ShowViews } from "./control_render.ts";

const v4 = ipv4Scenario();
const v6 = ipv6Scenario();

/** Every view of both families, IPv6 given first (the renderer puts IPv4 first). */
const shown = {
  interfaces: {
    what: "interfaces",
    views: [
      interfacesView(v6.state, v6.counters, v6.now),
      interfacesView(v4.state, v4.counters, v4.now),
    ],
  },
  groups: { what: "groups", views: [groupsView(v6.state, v6.now), groupsView(v4.state, v4.now)] },
  upstream: { what: "upstream", views: [upstreamView(v6.state), upstreamView(v4.state)] },
  forwarding: {
    what: "forwarding",
    views: [
      forwardingView(v6.state, v6.counters, v6.now).view,
      forwardingView(v4.state, v4.counters, v4.now).view,
    ],
  },
  counters: { what: "counters", views: [countersView(v6.state, 0), countersView(v4.state, 0)] },
} satisfies Record<string, ShowViews>;

/** A body as lines, its final newline checked and dropped. */
function lines(body: string): string[] {
  ok(body.endsWith("\n"), "a body ends with a newline");
  return body.slice(0, -1).split("\n");
}

Deno.test("show interfaces: one table, IPv4 first; querier, counters and boundaries per VIF", () => {
  deepStrictEqual(lines(renderShow(shown.interfaces, "text")), [
    " Family  Vif  Interface  Role        Address     Subnets                  Thresh  Version  Querier                   Groups  Pkts-in  Pkts-out  Boundaries",
    " IPv4      0  up0        upstream    10.0.0.1    10.0.0.0/24                   1  -        10.0.0.254, heard 6s ago       3     1200         0  -",
    " IPv4      1  dn1        downstream  10.1.0.100  10.1.0.0/24                   1  IGMPv3   10.1.0.11, 4m05s left          1        0       100  239.255.0.0/16",
    " IPv4      2  dn2        downstream  10.2.0.1    10.2.0.0/24                   1  IGMPv3   self, IGMPv1 router            3        -         -  -",
    " IPv6      0  up0        upstream    fe80::1     2001:db8::/64 fe80::/64       -  -        none heard                     1        -         -  -",
    " IPv6      1  dn1        downstream  fe80::100   2001:db8:1::/64               -  MLDv2    self                           1        -         -  ff0e::/16",
    " IPv6      2  dn2        downstream  fe80::200   2001:db8:2::/64               -  MLDv1    fe80::50, 3m25s left           1        -         -  -",
  ]);
});

Deno.test("show interfaces: upstream, the Querier column is the router last heard there", () => {
  const view = interfacesView(v4.state, v4.counters, v4.now);
  const up = view.interfaces[0];
  equal(up.role, "upstream");
  const querierOf = (upstreamRouter: typeof up.upstreamRouter) => {
    const body = renderShow({
      what: "interfaces",
      views: [{ ...view, interfaces: [{ ...up, upstreamRouter }] }],
    }, "text");
    const [header, row] = lines(body);
    const at = header.indexOf("Querier");
    return row.slice(at, header.indexOf("Groups") - 1).trim();
  };
  equal(querierOf({ address: "10.0.0.254", heardAgo: 6 }), "10.0.0.254, heard 6s ago");
  equal(querierOf({ address: "10.0.0.9", heardAgo: 300.4 }), "10.0.0.9, heard 5m00s ago");
  equal(querierOf(null), "none heard");
});

Deno.test("show groups: a row per group and LAN, sources below, `any` for EXCLUDE {}", () => {
  deepStrictEqual(lines(renderShow(shown.groups, "text")), [
    " Family  Interface  Group      Mode     Timer  Compat  Reporter   SSM  Sources",
    " IPv4    dn1        239.1.1.1  exclude  4m08s  IGMPv2  10.1.0.12  no   any",
    " IPv4    dn2        232.1.1.1  include      -  IGMPv3  10.2.0.12  yes  10.0.0.2 4m08s",
    " IPv4    dn2        239.1.1.1  exclude  4m08s  IGMPv3  10.2.0.11  no   10.0.0.3 excluded",
    " IPv4    dn2        239.1.1.2  exclude  4m08s  IGMPv1  10.2.0.13  no   any",
    " IPv6    dn1        ff05::1    exclude  3m00s  MLDv1   fe80::11   no   any",
    " IPv6    dn2        ff05::1    exclude  3m00s  MLDv2   fe80::21   no   2001:db8::3 excluded",
  ]);
});

Deno.test("show groups: a group's second source goes on a line of its own", () => {
  const groups = groupsView(v4.state, v4.now);
  const two = {
    ...groups,
    groups: [{
      ...groups.groups[1],
      sources: [
        { address: "10.0.0.2", timer: 248, excluded: false },
        { address: "10.0.0.4", timer: 30, excluded: false },
      ],
    }],
  };
  deepStrictEqual(lines(renderShow({ what: "groups", views: [two] }, "text")), [
    " Family  Interface  Group      Mode     Timer  Compat  Reporter   SSM  Sources",
    " IPv4    dn2        232.1.1.1  include      -  IGMPv3  10.2.0.12  yes  10.0.0.2 4m08s",
    "                                                                       10.0.0.4 30s",
  ]);
});

Deno.test("show upstream: each family's interface, then the filters joined", () => {
  deepStrictEqual(lines(renderShow(shown.upstream, "text")), [
    "IPv4 upstream: up0 (vif 0, 10.0.0.1), 3 groups joined",
    "IPv6 upstream: up0 (vif 0, fe80::1), 1 group joined",
    " Family  Group      Filter",
    " IPv4    232.1.1.1  include 10.0.0.2",
    " IPv4    239.1.1.1  any source",
    " IPv4    239.1.1.2  any source",
    " IPv6    ff05::1    any source",
  ]);
});

Deno.test("show forwarding: entries with counters, rates and ages, then the waiting sources", () => {
  deepStrictEqual(lines(renderShow(shown.forwarding, "text")), [
    " Family  Source       Group      In   Out  Packets  Bytes  Pkts/s  Bytes/s    Age",
    " IPv4    10.0.0.2     232.1.1.1  up0  dn2        -      -       -        -    11s",
    " IPv4    10.0.0.2     239.1.1.1  up0  dn2     1100  57200   100.0   5200.0    11s",
    " IPv6    2001:db8::2  ff05::1    up0  dn1        -      -       -        -  1m00s",
    "Sources without an entry (1 source):",
    " Family  Source    Group      In   Idle",
    " IPv4    10.0.0.3  239.1.1.1  up0    9s",
  ]);
});

Deno.test("show counters: totals per family, then the reasons counted", () => {
  deepStrictEqual(lines(renderShow(shown.counters, "text")), [
    " Family  Packets  Upcalls  Dropped",
    " IPv4          6        3        3",
    " IPv6          3        1        0",
    "Drops by reason:",
    " Family  Reason               Count",
    " IPv4    on-upstream              1",
    " IPv4    source-not-admitted      1",
    " IPv4    report-off-subnet        1",
  ]);
});

Deno.test("empty tables say so in a sentence", () => {
  const state = createProxy({ interfaces: [] });
  step(state, { kind: "start" }, 0);
  const none = { vifs: new Map(), entries: new Map() };
  const text = (s: ShowViews) => renderShow(s, "text");
  equal(
    text({ what: "interfaces", views: [interfacesView(state, none, 0)] }),
    "No interface is in use.\n",
  );
  equal(text({ what: "groups", views: [groupsView(state, 0)] }), "No group has members.\n");
  equal(
    text({ what: "upstream", views: [upstreamView(state)] }),
    "IPv4 upstream: none\nNo group is joined upstream.\n",
  );
  equal(
    text({ what: "forwarding", views: [forwardingView(state, none, 0).view] }),
    "No forwarding entry is installed.\n",
  );
  deepStrictEqual(lines(text({ what: "counters", views: [countersView(state, 0)] })), [
    " Family  Packets  Upcalls  Dropped",
    " IPv4          0        0        0",
    "No input was dropped.",
  ]);
});

Deno.test("JSON: one object, version 1, the views' rows or objects with IPv4 first", () => {
  for (const s of Object.values(shown)) {
    const body = renderShow(s, "json");
    ok(body.endsWith("}\n") && !body.slice(0, -1).includes("\n"), "one line");
    const parsed = JSON.parse(body);
    deepStrictEqual(Object.keys(parsed), ["version", s.what]);
    equal(parsed.version, 1);
  }
  const json = (s: ShowViews) => JSON.parse(renderShow(s, "json"));
  const interfaces = json(shown.interfaces).interfaces;
  deepStrictEqual(
    interfaces.map((i: { family: string; name: string }) => `${i.family} ${i.name}`),
    [
      "ipv4 up0",
      "ipv4 dn1",
      "ipv4 dn2",
      "ipv6 up0",
      "ipv6 dn1",
      "ipv6 dn2",
    ],
  );
  deepStrictEqual(interfaces[1], shown.interfaces.views[1].interfaces[1]);
  deepStrictEqual(json(shown.groups).groups, [
    ...shown.groups.views[1].groups,
    ...shown.groups.views[0].groups,
  ]);
  deepStrictEqual(json(shown.upstream).upstream, [
    shown.upstream.views[1],
    shown.upstream.views[0],
  ]);
  deepStrictEqual(json(shown.forwarding).forwarding, [
    shown.forwarding.views[1],
    shown.forwarding.views[0],
  ]);
  const counters = json(shown.counters).counters;
  deepStrictEqual(counters.map((c: CountersView) => c.family), ["ipv4", "ipv6"]);
  deepStrictEqual(Object.keys(counters[1].drops), [...PROXY_DROP_REASONS]);
});

Deno.test("JSON of an empty view: an empty list", () => {
  const state = createProxy({ interfaces: [] });
  deepStrictEqual(
    JSON.parse(renderShow({ what: "groups", views: [groupsView(state, 0)] }, "json")),
    { version: 1, groups: [] },
  );
});

/** A sample of the exposition format: its metric name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Reads Prometheus' text format (version 0.0.4) as a scraper does, throwing at the first line
 * that breaks it: `# HELP name text` and `# TYPE name type` at most once per metric and before
 * its samples, samples `name{label="value",...} number`, valid names, escaped label values, no
 * series twice, a final newline.
 */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  if (!text.endsWith("\n")) throw new SyntaxError("no final newline");
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const seen = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name)) throw new SyntaxError(`bad metric name in "${line}"`);
      if (samples.some((s) => s.name === name)) throw new SyntaxError(`${kind} after samples`);
      if (kind === "HELP") {
        if (helps.has(name)) throw new SyntaxError(`second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest)) throw new SyntaxError(`bad escape in HELP of ${name}`);
        helps.add(name);
      } else {
        if (types.has(name)) throw new SyntaxError(`second TYPE for ${name}`);
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) {
          throw new SyntaxError(`bad type ${rest}`);
        }
        types.set(name, rest);
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new SyntaxError(`bad sample line "${line}"`);
    const [, name, body = "", value] = m;
    const labels: Record<string, string> = {};
    let rest = body;
    while (rest !== "") {
      const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
      if (l === null) throw new SyntaxError(`bad labels in "${line}"`);
      if (l[1] in labels) throw new SyntaxError(`label ${l[1]} twice`);
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => c === "n" ? "\n" : c);
      rest = rest.slice(l[0].length);
    }
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?Inf$|^NaN$/.test(value)) {
      throw new SyntaxError(`bad value in "${line}"`);
    }
    const series = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`)}}`;
    if (seen.has(series)) throw new SyntaxError(`series twice: ${series}`);
    seen.add(series);
    samples.push({ name, labels, value: Number(value) });
  }
  return { types, samples };
}

Deno.test("show counters --prometheus: counters per family and reason that a parser accepts", () => {
  const { types, samples } = parsePrometheus(renderShow(shown.counters, "prometheus"));
  deepStrictEqual([...types], [
    ["mcast_proxy_packets_total", "counter"],
    ["mcast_proxy_upcalls_total", "counter"],
    ["mcast_proxy_drops_total", "counter"],
  ]);
  const value = (name: string, labels: Record<string, string>) =>
    samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))
      ?.value;
  equal(value("mcast_proxy_packets_total", { family: "ipv4" }), 6);
  equal(value("mcast_proxy_packets_total", { family: "ipv6" }), 3);
  equal(value("mcast_proxy_upcalls_total", { family: "ipv4" }), 3);
  equal(value("mcast_proxy_upcalls_total", { family: "ipv6" }), 1);
  equal(
    value("mcast_proxy_drops_total", { family: "ipv4", reason: "report-off-subnet" }),
    1,
  );
  // Every reason of each family, the uncounted ones as 0: a stable set of series.
  const drops = samples.filter((s) => s.name === "mcast_proxy_drops_total");
  equal(drops.length, 2 * PROXY_DROP_REASONS.length);
  deepStrictEqual(
    drops.filter((s) => s.labels.family === "ipv6").map((s) => s.labels.reason),
    [...PROXY_DROP_REASONS],
  );
  ok(drops.every((s) => Number.isInteger(s.value) && s.value >= 0));
  // IPv4 first.
  deepStrictEqual(samples.slice(0, 2).map((s) => s.labels.family), ["ipv4", "ipv6"]);
});

Deno.test("show counters --prometheus: label values are escaped", () => {
  const odd: CountersView = {
    family: "ipv4",
    packets: 0,
    upcalls: 0,
    drops: { 'quote " backslash \\ newline \n': 2 },
    refusedSource: null,
  };
  const { samples } = parsePrometheus(renderShow({ what: "counters", views: [odd] }, "prometheus"));
  deepStrictEqual(samples[2].labels, {
    family: "ipv4",
    reason: 'quote " backslash \\ newline \n',
  });
  equal(samples[2].value, 2);
});

Deno.test("the parser of the test refuses what a scraper refuses", () => {
  const good = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n';
  parsePrometheus(good);
  for (
    const bad of [
      good.slice(0, -1),
      good + good,
      'a_total{x="1"} 2\n# TYPE a_total counter\n',
      "a_total{x=1} 2\n",
      "a-total 2\n",
      'a_total{x="1"} two\n',
      'a_total{x="a\\qb"} 2\n',
    ]
  ) throws(() => parsePrometheus(bad), SyntaxError, JSON.stringify(bad));
});

Deno.test("renderShow: only the counters have a Prometheus form", () => {
  throws(() => renderShow(shown.groups, "prometheus"), RangeError);
});
