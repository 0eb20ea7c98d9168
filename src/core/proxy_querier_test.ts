// The proxy as one of several routers on a LAN: querier election and what a non-querier does
// (RFC 2236 sections 3, 6 and 7; RFC 4605 section 4.2).

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Action } from "./actions.ts";
import { createProxy, nextDeadline, type ProxyInterface, type ProxyState, step } from "./proxy.ts";
import { DEFAULT_TIMERS, otherQuerierPresentInterval } from "./timers.ts";
import { encodeQuery } from "../proto/igmp_encode.ts";
import { ip } from "../proto/testing.ts";
import {
  describe,
  DN1,
  DN2,
  G,
  leave,
  logLines,
  packet,
  queriesOn,
  report,
  S,
  UP,
  upcall,
} from "./proxy_testing.ts";

/** LAN 1 with the proxy at .100, so that hosts' addresses can be lower. */
const LAN1: ProxyInterface = { ...DN1, address: ip("10.1.0.100") };
const RIVAL = "10.1.0.11";
const OQPI = otherQuerierPresentInterval(DEFAULT_TIMERS);

function lan(): ProxyState {
  const state = createProxy({ interfaces: [UP, LAN1, DN2] });
  step(state, { kind: "start" }, 0);
  return state;
}

function query(
  state: ProxyState,
  from: string,
  now: number,
  opts: { group?: number; maxRespTimeMs?: number; ifindex?: number } = {},
): Action[] {
  const group = opts.group ?? 0;
  return packet(state, {
    ifindex: opts.ifindex ?? LAN1.ifindex,
    from,
    to: group === 0 ? ip("224.0.0.1") : group,
    igmp: encodeQuery({ group, maxRespTimeMs: opts.maxRespTimeMs ?? 10_000, version: 2 }),
  }, now);
}

function v1Query(state: ProxyState, from: string, now: number): Action[] {
  // IGMPv1 query: type 0x11, code 0, 8 bytes.
  const igmp = new Uint8Array([0x11, 0, 0xee, 0xff, 0, 0, 0, 0]);
  return packet(state, { ifindex: LAN1.ifindex, from, to: ip("224.0.0.1"), igmp }, now);
}

Deno.test("a lower-addressed querier silences our queries and stops forwarding onto that LAN", () => {
  const state = lan();
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  report(state, DN2.ifindex, "10.2.0.12", 10);
  deepStrictEqual(describe(upcall(state, 0, S, 20)), ["addMfc 10.0.0.2 239.1.1.1 from 0 to 1,2"]);
  const lost = query(state, RIVAL, 1000);
  deepStrictEqual(describe(lost), ["addMfc 10.0.0.2 239.1.1.1 from 0 to 2"]);
  deepStrictEqual(logLines(lost, "info"), [
    'Querier on "dn1" is 10.1.0.11, lower than our 10.1.0.100: we stop querying and ' +
    "forwarding there",
  ]);
  equal(state.vifs.get(1)?.querier, false);
  // No general query on that LAN while the other querier is present; the other LAN goes on.
  let sent: Action[] = [];
  for (let t = 1000; t < 1000 + OQPI; t += 5000) {
    sent = sent.concat(step(state, { kind: "tick" }, t));
  }
  equal(queriesOn(sent, LAN1.ifindex).length, 0);
  ok(queriesOn(sent, DN2.ifindex).length > 0);
  // Members are still learnt there, and still joined upstream.
  ok(state.members.get(G)?.has(1));
  equal(nextDeadline(state) <= 1000 + OQPI, true, "the Other Querier Present timer is a deadline");
});

Deno.test("when the other querier goes quiet we query at once and forward again", () => {
  const state = lan();
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  upcall(state, 0, S, 20);
  query(state, RIVAL, 1000);
  query(state, RIVAL, 100_000); // restarts the Other Querier Present timer
  equal(queriesOn(step(state, { kind: "tick" }, 1000 + OQPI), LAN1.ifindex).length, 0, "not yet");
  // The member keeps reporting to the other querier's queries.
  report(state, LAN1.ifindex, "10.1.0.12", 200_000);
  const back = step(state, { kind: "tick" }, 100_000 + OQPI);
  deepStrictEqual(describe(back), ["query dn1"]);
  deepStrictEqual(logLines(back, "info"), [
    'Querier 10.1.0.11 on "dn1" went silent: we are the querier again',
  ]);
  equal(state.vifs.get(1)?.querier, true);
  // The source's entry went with the election; its next upcall forwards onto the LAN again.
  deepStrictEqual(describe(upcall(state, 0, S, 100_001 + OQPI)), [
    "addMfc 10.0.0.2 239.1.1.1 from 0 to 1",
  ]);
  // Then one general query per Query Interval.
  const next = step(state, { kind: "tick" }, 100_000 + OQPI + DEFAULT_TIMERS.queryInterval);
  equal(queriesOn(next, LAN1.ifindex).length, 1);
});

Deno.test("queries from higher addresses, from 0.0.0.0 and from ourselves never demote us", () => {
  const state = lan();
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  upcall(state, 0, S, 20);
  deepStrictEqual(describe(query(state, "10.1.0.200", 30)), []);
  deepStrictEqual(describe(query(state, "0.0.0.0", 30)), []);
  deepStrictEqual(describe(query(state, "10.1.0.100", 30)), []);
  equal(state.vifs.get(1)?.querier, true);
  equal(state.counters.drops.get("query-from-unspecified"), 1);
  equal(state.counters.drops.get("own-packet"), 1);
  // Our own address on another LAN is ours too.
  deepStrictEqual(describe(query(state, "10.2.0.1", 30)), []);
  equal(state.counters.drops.get("own-packet"), 2);
});

Deno.test("as non-querier, Leaves are ignored and no group-specific query is sent", () => {
  const state = lan();
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  query(state, RIVAL, 100);
  const ignored = leave(state, LAN1.ifindex, "10.1.0.12", 200);
  deepStrictEqual(describe(ignored), []);
  equal(state.counters.drops.get("leave-while-not-querier"), 1);
  equal(state.vifs.get(1)?.groups.get(G)?.mode, "EXCLUDE");
  equal(state.vifs.get(1)?.groups.get(G)?.groupTimer, 10 + 260_000, "the Leave lowered nothing");
});

Deno.test("as non-querier, a heard group-specific query lowers the group timer", () => {
  const state = lan();
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  upcall(state, 0, S, 20);
  query(state, RIVAL, 100);
  // The querier checks the group: Last Member Query Count × its Max Response Time (2 × 0.5 s).
  query(state, RIVAL, 1000, { group: G, maxRespTimeMs: 500 });
  const record = state.vifs.get(1)?.groups.get(G);
  equal(record?.groupTimer, 2000);
  ok(nextDeadline(state) <= 2000);
  // Nobody answers: the membership ends, upstream is left (the entry went with the election).
  const end = step(state, { kind: "tick" }, 2000);
  deepStrictEqual(describe(end), ["leave 239.1.1.1 up0"]);
});

Deno.test("as non-querier, a report after the group-specific query keeps the group", () => {
  const state = lan();
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  query(state, RIVAL, 100);
  query(state, RIVAL, 1000, { group: G, maxRespTimeMs: 1000 });
  report(state, LAN1.ifindex, "10.1.0.13", 1500);
  deepStrictEqual(describe(step(state, { kind: "tick" }, 3000)), []);
  equal(state.vifs.get(1)?.groups.get(G)?.groupTimer, 1500 + 260_000);
});

Deno.test("a group-specific query never raises a lower timer, and as querier it is ignored", () => {
  const state = lan();
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  // We are querier: another (higher) router's group-specific query changes nothing.
  query(state, "10.1.0.200", 100, { group: G, maxRespTimeMs: 100 });
  equal(state.vifs.get(1)?.groups.get(G)?.groupTimer, 10 + 260_000);
  query(state, RIVAL, 200);
  query(state, RIVAL, 300, { group: G, maxRespTimeMs: 500 });
  query(state, RIVAL, 400, { group: G, maxRespTimeMs: 10_000 });
  equal(state.vifs.get(1)?.groups.get(G)?.groupTimer, 1300);
});

Deno.test("becoming non-querier stops group-specific queries in progress", () => {
  const state = lan();
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  leave(state, LAN1.ifindex, "10.1.0.12", 100); // first group-specific query goes out
  query(state, RIVAL, 200);
  const later = step(state, { kind: "tick" }, 1100);
  equal(queriesOn(later, LAN1.ifindex).length, 0, "no second group-specific query");
  // The group still ends on its timer (LMQC × LMQI after the Leave).
  deepStrictEqual(describe(step(state, { kind: "tick" }, 2100)), ["leave 239.1.1.1 up0"]);
});

Deno.test("an even lower router taking over is logged", () => {
  const state = lan();
  query(state, "10.1.0.50", 100);
  const change = query(state, RIVAL, 200);
  deepStrictEqual(logLines(change, "info"), ['Querier on "dn1" is now 10.1.0.11']);
});

Deno.test("an IGMPv1 router on a LAN is a warning, once per Other Querier Present Interval", () => {
  const state = lan();
  const first = v1Query(state, "10.1.0.200", 100);
  const warnings = first.filter((a) => a.kind === "log" && a.level === "warn");
  equal(warnings.length, 1);
  ok(
    warnings[0].kind === "log" &&
      warnings[0].message.startsWith('An IGMPv1 router (10.1.0.200) is querying on "dn1"'),
  );
  equal(v1Query(state, "10.1.0.200", 125_100).filter((a) => a.kind === "log").length, 0);
  equal(state.vifs.get(1)?.querier, true);
});

Deno.test("a known source's entry regains the LAN at once when we are querier again", () => {
  const state = createProxy({ interfaces: [UP, LAN1, DN2], sourceLifetime: 1e9 });
  step(state, { kind: "start" }, 0);
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  report(state, DN2.ifindex, "10.2.0.12", 10);
  upcall(state, 0, S, 20);
  deepStrictEqual(describe(query(state, RIVAL, 1000)), ["addMfc 10.0.0.2 239.1.1.1 from 0 to 2"]);
  report(state, LAN1.ifindex, "10.1.0.12", 100_000);
  const back = describe(step(state, { kind: "tick" }, 1000 + OQPI));
  deepStrictEqual(back.filter((a) => a !== "query dn2"), [
    "addMfc 10.0.0.2 239.1.1.1 from 0 to 1,2",
    "query dn1",
  ]);
});

Deno.test("the querier state of each LAN is its own", () => {
  const state = lan();
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  report(state, DN2.ifindex, "10.2.0.12", 10);
  upcall(state, 0, S, 20);
  query(state, "10.2.0.0", 100, { ifindex: DN2.ifindex });
  equal(state.vifs.get(1)?.querier, true);
  equal(state.vifs.get(2)?.querier, false);
  deepStrictEqual(state.sources.get(G)?.get(S)?.installed?.key, "1:1");
});

Deno.test("as non-querier, IGMPv3 queries with the S flag or with sources leave timers alone", () => {
  const state = lan();
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  query(state, RIVAL, 100);
  const v3 = (opts: { suppressRouterSide?: boolean; sources?: number[] }) =>
    packet(state, {
      ifindex: LAN1.ifindex,
      from: RIVAL,
      to: G,
      igmp: encodeQuery({ group: G, maxRespTimeMs: 500, version: 3, ...opts }),
    }, 1000);
  v3({ suppressRouterSide: true });
  v3({ sources: [ip("10.0.0.2")] });
  equal(state.vifs.get(1)?.groups.get(G)?.groupTimer, 10 + 260_000);
  v3({});
  equal(state.vifs.get(1)?.groups.get(G)?.groupTimer, 2000, "a plain IGMPv3 group query lowers it");
});

Deno.test("with debug logging, each election and membership transition is one debug line", () => {
  const state = createProxy({ interfaces: [UP, LAN1, DN2], debug: true });
  step(state, { kind: "start" }, 0);
  const joined = logLines(report(state, LAN1.ifindex, "10.1.0.12", 10), "debug");
  ok(
    joined.includes(
      'Group 239.1.1.1 on "dn1": v2-report as IS_EX ({}), INCLUDE {} -> EXCLUDE {} {} ' +
        "((B-A)=0, Delete (A-B), Group Timer=GMI)",
    ),
    joined.join("\n"),
  );
  const lost = logLines(query(state, RIVAL, 20), "debug");
  deepStrictEqual(lost.filter((l) => l.startsWith("Querier election")), [
    `Querier election on "dn1": lower-query from ${RIVAL}, querier -> non-querier ` +
    "(note-querier, start-other-querier-timer, lost)",
  ]);
  const resumed = logLines(step(state, { kind: "tick" }, 20 + OQPI), "debug");
  deepStrictEqual(resumed.filter((l) => l.startsWith("Querier election")), [
    'Querier election on "dn1": other-querier-timer-expired, non-querier -> querier ' +
    "(stop-other-querier-timer, resumed)",
  ]);
});
