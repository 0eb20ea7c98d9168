// What the core refuses, and how: every drop reason is counted and creates no state; drops are
// logged at debug level at a bounded rate. The decoders' own reasons (checksums, lengths, ...)
// are tested with the codecs in src/proto/; `boundary` in proxy_test.ts and
// `leave-while-not-querier` in proxy_querier_test.ts.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Action } from "./actions.ts";
import {
  createProxy,
  describeDrops,
  DROP_LOG_PER_SECOND,
  IGMPMSG_NOCACHE,
  MAX_GROUPS,
  MAX_SOURCES,
  type ProxyState,
  step,
} from "./proxy.ts";
import {
  encodeLeave,
  encodeQuery,
  encodeV1Report,
  encodeV2Report,
  encodeV3Report,
} from "../proto/igmp_encode.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";
import { formatIPv4 } from "../proto/addr.ts";
import {
  describe,
  DN1,
  DN2,
  G,
  leave,
  logLines,
  packet,
  proxy,
  report,
  reportFor,
  S,
  UP,
  upcall,
} from "./proxy_testing.ts";

const ALL_SYSTEMS = ip("224.0.0.1");
const MDNS = ip("224.0.0.251");

/** Feeds one input and returns the drop reasons it added. */
function dropsOf(state: ProxyState, feed: (s: ProxyState) => Action[]): Record<string, number> {
  const before = new Map(state.counters.drops);
  feed(state);
  const added: Record<string, number> = {};
  for (const [reason, n] of state.counters.drops) {
    const d = n - (before.get(reason) ?? 0);
    if (d > 0) added[reason] = d;
  }
  return added;
}

function v3(state: ProxyState, from: string, records: Parameters<typeof encodeV3Report>[0]) {
  return packet(state, {
    ifindex: DN1.ifindex,
    from,
    to: ip("224.0.0.22"),
    igmp: encodeV3Report(records),
  }, 0);
}

/** Each input, the reason it is dropped for. None of them may change any state. */
const CASES: { reason: string; feed: (s: ProxyState) => Action[] }[] = [
  {
    reason: "bad-igmp-checksum",
    feed: (s) => {
      const data = buildIPv4Packet({
        source: ip("10.1.0.11"),
        destination: G,
        payload: encodeV2Report(G),
      });
      data[data.length - 1] ^= 0xff;
      return step(s, { kind: "packet", ifindex: DN1.ifindex, data, length: data.length }, 0);
    },
  },
  { reason: "own-packet", feed: (s) => report(s, DN1.ifindex, "10.1.0.1", 0) },
  { reason: "own-packet", feed: (s) => report(s, DN1.ifindex, "10.2.0.1", 0) },
  { reason: "not-proxied-interface", feed: (s) => report(s, 99, "10.9.0.2", 0) },
  { reason: "on-upstream", feed: (s) => report(s, UP.ifindex, "10.0.0.2", 0) },
  {
    reason: "on-upstream",
    feed: (s) =>
      packet(s, {
        ifindex: UP.ifindex,
        from: "10.0.0.2",
        to: ALL_SYSTEMS,
        igmp: encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 2 }),
      }, 0),
  },
  {
    reason: "link-local-group",
    feed: (s) => reportFor(s, MDNS, { ifindex: DN1.ifindex, from: "10.1.0.11" }, 0),
  },
  {
    reason: "link-local-group",
    feed: (s) => v3(s, "10.1.0.11", [{ recordType: 4, group: MDNS, sources: [] }]),
  },
  {
    reason: "link-local-group",
    feed: (s) =>
      step(s, { kind: "upcall", msgtype: IGMPMSG_NOCACHE, vif: 0, source: S, group: MDNS }, 0),
  },
  {
    reason: "report-group-mismatch",
    feed: (s) =>
      packet(s, {
        ifindex: DN1.ifindex,
        from: "10.1.0.11",
        to: ip("239.9.9.9"),
        igmp: encodeV2Report(G),
      }, 0),
  },
  {
    reason: "query-from-unspecified",
    feed: (s) =>
      packet(s, {
        ifindex: DN1.ifindex,
        from: "0.0.0.0",
        to: ALL_SYSTEMS,
        igmp: encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 2 }),
      }, 0),
  },
  { reason: "source-not-admitted", feed: (s) => upcall(s, 0, ip("172.16.0.1"), 0) },
  { reason: "source-not-admitted", feed: (s) => upcall(s, 1, ip("10.2.0.11"), 0) },
  { reason: "upcall-unknown-vif", feed: (s) => upcall(s, 7, S, 0) },
  {
    reason: "upcall-type-2",
    feed: (s) => step(s, { kind: "upcall", msgtype: 2, vif: 0, source: S, group: G }, 0),
  },
];

for (const c of CASES) {
  Deno.test(`drop reason ${c.reason}: counted, no state, nothing sent`, () => {
    const state = proxy();
    const actions: Action[] = [];
    deepStrictEqual(
      dropsOf(state, (s) => {
        actions.push(...c.feed(s));
        return actions;
      }),
      { [c.reason]: 1 },
    );
    deepStrictEqual(describe(actions), []);
    equal(state.members.size, 0);
    equal(state.sources.size, 0);
    equal(state.upstreamJoined.size, 0);
    for (const vif of state.vifs.values()) {
      equal(vif.groups.size, 0);
      equal(vif.querier, true);
    }
  });
}

Deno.test("reports from 0.0.0.0 count for the interface they arrive on", () => {
  const state = proxy();
  deepStrictEqual(describe(report(state, DN2.ifindex, "0.0.0.0", 0)), ["join 239.1.1.1 up0"]);
  ok(state.vifs.get(2)?.groups.has(G));
  v3(state, "0.0.0.0", [{ recordType: 4, group: ip("239.1.1.2"), sources: [] }]);
  ok(state.vifs.get(1)?.groups.has(ip("239.1.1.2")));
  equal(state.counters.drops.size, 0);
});

Deno.test("a v3 report's link-local records are dropped, its other records still count", () => {
  const state = proxy();
  v3(state, "10.1.0.11", [
    { recordType: 4, group: ip("224.0.0.251"), sources: [] },
    { recordType: 2, group: G, sources: [] },
    { recordType: 4, group: ip("224.0.0.252"), sources: [] },
  ]);
  deepStrictEqual([...state.members.keys()], [G]);
  equal(state.counters.drops.get("link-local-group"), 2);
});

Deno.test("group limit: reports for new groups past it are dropped with one warning a minute", () => {
  const state = createProxy({ interfaces: [UP, DN1, DN2], maxGroups: 2 });
  step(state, { kind: "start" }, 0);
  reportFor(state, ip("239.1.1.1"), { ifindex: DN1.ifindex, from: "10.1.0.11" }, 0);
  reportFor(state, ip("239.1.1.2"), { ifindex: DN1.ifindex, from: "10.1.0.11" }, 0);
  const third = reportFor(state, ip("239.1.1.3"), { ifindex: DN1.ifindex, from: "10.1.0.11" }, 1);
  deepStrictEqual(describe(third), []);
  deepStrictEqual(
    third.flatMap((a) => a.kind === "log" && a.level === "warn" ? [a.message] : []),
    [
      "The LANs have members of 2 groups, the most allowed: reports for new groups are ignored " +
      '(first: 239.1.1.3 on "dn1")',
    ],
  );
  const fourth = reportFor(state, ip("239.1.1.4"), { ifindex: DN1.ifindex, from: "10.1.0.11" }, 2);
  equal(fourth.filter((a) => a.kind === "log" && a.level === "warn").length, 0);
  equal(state.counters.drops.get("group-limit"), 2);
  // Known groups still count, on any LAN, and refresh.
  deepStrictEqual(
    describe(reportFor(state, ip("239.1.1.2"), { ifindex: DN2.ifindex, from: "10.2.0.11" }, 3)),
    [],
  );
  ok(state.vifs.get(2)?.groups.has(ip("239.1.1.2")));
  // A minute later, the warning again.
  const later = reportFor(
    state,
    ip("239.1.1.5"),
    { ifindex: DN1.ifindex, from: "10.1.0.11" },
    60_001,
  );
  equal(later.filter((a) => a.kind === "log" && a.level === "warn").length, 1);
});

Deno.test("IGMPv1 host present: another host's IGMPv2 Leave is ignored until it times out", () => {
  const state = proxy();
  packet(state, {
    ifindex: DN1.ifindex,
    from: "10.1.0.11",
    to: G,
    igmp: encodeV1Report(G),
  }, 0);
  report(state, DN1.ifindex, "10.1.0.12", 10);
  deepStrictEqual(describe(leave(state, DN1.ifindex, "10.1.0.12", 20)), [], "no query, no end");
  step(state, { kind: "tick" }, 3000);
  ok(state.vifs.get(1)?.groups.has(G));
  // After the Older Host Present Interval (260 s) without v1 reports, Leaves work again.
  report(state, DN1.ifindex, "10.1.0.12", 250_000);
  step(state, { kind: "tick" }, 260_001);
  deepStrictEqual(describe(leave(state, DN1.ifindex, "10.1.0.12", 260_002)), ["query dn1"]);
});

Deno.test("drops are logged at debug level, at most DROP_LOG_PER_SECOND lines a second", () => {
  const state = createProxy({ interfaces: [UP, DN1], debug: true });
  step(state, { kind: "start" }, 0);
  const logged: string[] = [];
  for (let i = 0; i < 100; i++) logged.push(...logLines(upcall(state, 7, S, 500 + i), "debug"));
  equal(logged.length, DROP_LOG_PER_SECOND);
  equal(logged[0], "Dropped upcall (10.0.0.2, 239.1.1.1): upcall-unknown-vif");
  const next = logLines(upcall(state, 7, S, 1600), "debug");
  deepStrictEqual(next, [
    `Dropped ${100 - DROP_LOG_PER_SECOND} more inputs without logging them`,
    "Dropped upcall (10.0.0.2, 239.1.1.1): upcall-unknown-vif",
  ]);
  equal(state.counters.drops.get("upcall-unknown-vif"), 101);
});

Deno.test("describeDrops: totals by reason, most frequent first; stop logs it", () => {
  const state = proxy();
  equal(describeDrops(state.counters), undefined);
  upcall(state, 7, S, 0);
  upcall(state, 7, S, 0);
  upcall(state, 0, ip("172.16.0.1"), 0);
  equal(
    describeDrops(state.counters),
    "3 inputs dropped: upcall-unknown-vif 2, source-not-admitted 1",
  );
  deepStrictEqual(logLines(step(state, { kind: "stop" }, 1), "info"), [
    "Since start, 3 inputs dropped: upcall-unknown-vif 2, source-not-admitted 1",
  ]);
});

Deno.test("an IGMPv2 Leave on the upstream interface is dropped; no downstream state", () => {
  const state = proxy();
  report(state, DN1.ifindex, "10.1.0.11", 0);
  packet(state, {
    ifindex: UP.ifindex,
    from: "10.0.0.2",
    to: ip("224.0.0.2"),
    igmp: encodeLeave(G),
  }, 1);
  equal(state.vifs.get(1)?.groups.get(G)?.mode, "EXCLUDE");
  equal(state.vifs.get(0)?.groups.size, 0);
});

Deno.test("the manual states the group limit and the drop log rate the core uses", async () => {
  const man = await Deno.readTextFile(new URL("../../man/mcast-proxy.8", import.meta.url));
  const text = man.replace(/\n/g, " ");
  ok(text.includes(`listeners for up to ${MAX_GROUPS} groups`), "MAX_GROUPS in mcast-proxy.8");
  ok(text.includes(`at most ${DROP_LOG_PER_SECOND} lines a second`), "DROP_LOG_PER_SECOND");
  ok(text.includes(`Up to ${MAX_SOURCES} (source, group) pairs`), "MAX_SOURCES");
});

Deno.test("IGMPv3 records at group level: any record asking for sources joins, BLOCK does not", () => {
  const state = proxy();
  const src = [ip("10.0.0.2")];
  v3(state, "10.1.0.11", [
    { recordType: 1, group: ip("239.1.1.1"), sources: src }, // IS_IN {S}
    { recordType: 3, group: ip("239.1.1.2"), sources: src }, // TO_IN {S}
    { recordType: 5, group: ip("239.1.1.3"), sources: src }, // ALLOW {S}
    { recordType: 6, group: ip("239.1.1.4"), sources: src }, // BLOCK {S}
  ]);
  deepStrictEqual([...state.members.keys()].map(formatIPv4), [
    "239.1.1.1",
    "239.1.1.2",
    "239.1.1.3",
  ]);
});
