// The same engine over MLD: IPv6 addresses as bigints, MLDv1/MLDv2 in, MLDv2 queries out, the
// MLD validation at the door, scopes instead of 224.0.0.0/24, and querier election by the lowest
// link-local address.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Action } from "./actions.ts";
import { MLD_FAMILY } from "./mld_family.ts";
import { createProxy, type ProxyInterface, type ProxyState, step } from "./proxy.ts";
import { DEFAULT_TIMERS } from "./timers.ts";
import { bigIntToIPv6, formatIPv6, ipv6ToBigInt, parseIPv6 } from "../proto/addr.ts";
import { decodeMld } from "../proto/mld.ts";
import {
  encodeMldDone,
  encodeMldQuery,
  encodeMldV1Report,
  encodeMldV2Report,
} from "../proto/mld_encode.ts";

function a6(text: string): bigint {
  const b = parseIPv6(text);
  if (b === undefined) throw new TypeError(`Bad IPv6 address in test: "${text}"`);
  return ipv6ToBigInt(b);
}

const UP6: ProxyInterface<bigint> = {
  name: "up0",
  ifindex: 10,
  role: "upstream",
  address: a6("fe80::1"),
  subnets: [{ address: a6("2001:db8::1"), prefixLength: 64 }],
  sources: [],
  threshold: 1,
  timers: DEFAULT_TIMERS,
  boundaries: [],
  queryVersion: 2,
};
const DN1: ProxyInterface<bigint> = {
  ...UP6,
  name: "dn1",
  ifindex: 11,
  role: "downstream",
  address: a6("fe80::100"),
  subnets: [{ address: a6("2001:db8:1::1"), prefixLength: 64 }],
};
const DN2: ProxyInterface<bigint> = {
  ...DN1,
  name: "dn2",
  ifindex: 12,
  address: a6("fe80::200"),
  subnets: [{ address: a6("2001:db8:2::1"), prefixLength: 64 }],
};
const G = a6("ff05::1");
const S = a6("2001:db8::2");
const H11 = a6("fe80::11");

function proxy6(): ProxyState<bigint> {
  const state = createProxy({ interfaces: [UP6, DN1, DN2], family: MLD_FAMILY });
  step(state, { kind: "start" }, 0);
  return state;
}

function mld(
  state: ProxyState<bigint>,
  opts: { ifindex?: number; from?: bigint; message: Uint8Array; hopLimit?: number },
  now: number,
): Action<bigint>[] {
  return step(state, {
    kind: "packet",
    ifindex: opts.ifindex ?? DN1.ifindex,
    data: opts.message,
    length: opts.message.length,
    source: opts.from ?? H11,
    hopLimit: opts.hopLimit ?? 1,
    routerAlert: true,
  }, now);
}

function describe6(actions: Action<bigint>[]): string[] {
  const f = (a: bigint) => formatIPv6(bigIntToIPv6(a));
  return actions.flatMap((a) => {
    switch (a.kind) {
      case "join":
      case "leave":
        return [`${a.kind} ${f(a.group)} ${a.name}`];
      case "addMfc":
        return [
          `addMfc ${f(a.source)} ${f(a.group)} from ${a.parent} to ${a.oifs.map((o) => o.vifi)}`,
        ];
      case "delMfc":
        return [`delMfc ${f(a.source)} ${f(a.group)}`];
      case "sendQuery":
        return [`${a.what} to ${f(a.destination)} on ${a.name}`];
      default:
        return [];
    }
  });
}

const v2Join = (group: bigint) =>
  encodeMldV2Report([{ recordType: 4, group: bigIntToIPv6(group), sources: [] }]);

Deno.test("MLD: start listens on ff02::2 and ff02::16 and sends general queries of the LAN's version to ff02::1", () => {
  for (const version of [2, 1]) {
    const lan = { ...DN1, queryVersion: version };
    const state = createProxy({ interfaces: [UP6, lan], family: MLD_FAMILY });
    const actions = step(state, { kind: "start" }, 0);
    deepStrictEqual(describe6(actions), [
      "join ff02::2 dn1",
      "join ff02::16 dn1",
      "general query to ff02::1 on dn1",
    ]);
    const query = actions.find((a) => a.kind === "sendQuery");
    ok(query?.kind === "sendQuery");
    const decoded = decodeMld(query.message, 0, query.message.length);
    ok(decoded.ok && decoded.value.type === "query");
    equal(decoded.value.version, version, `MLDv${version}, as the LAN is configured`);
    equal(decoded.value.maxRespDelayMs, 10_000);
  }
});

Deno.test("MLD: an MLDv2 join is joined upstream; a source's data goes to that LAN only", () => {
  const state = proxy6();
  deepStrictEqual(describe6(mld(state, { message: v2Join(G) }, 1)), ["join ff05::1 up0"]);
  deepStrictEqual(
    describe6(step(state, { kind: "upcall", msgtype: 1, vif: 0, source: S, group: G }, 2)),
    ["addMfc 2001:db8::2 ff05::1 from 0 to 1"],
  );
});

Deno.test("MLD: a Done brings address-specific queries, then the end of the group", () => {
  const state = proxy6();
  mld(state, { message: encodeMldV1Report(bigIntToIPv6(G)) }, 1);
  step(state, { kind: "upcall", msgtype: 1, vif: 0, source: S, group: G }, 2);
  const done = mld(state, { message: encodeMldDone(bigIntToIPv6(G)) }, 10);
  deepStrictEqual(describe6(done), ["group-specific query for ff05::1 to ff05::1 on dn1"]);
  describe6(step(state, { kind: "tick" }, 1010));
  deepStrictEqual(describe6(step(state, { kind: "tick" }, 2010)), [
    "leave ff05::1 up0",
    "delMfc 2001:db8::2 ff05::1",
  ]);
});

Deno.test("MLD: link-local and smaller scopes are never proxied", () => {
  const state = proxy6();
  for (const group of ["ff02::fb", "ff01::1", "ff02::1:ff00:11", "ff12::1"]) {
    deepStrictEqual(describe6(mld(state, { message: v2Join(a6(group)) }, 1)), [], group);
  }
  equal(state.counters.drops.get("link-local-group"), 4);
  deepStrictEqual(describe6(mld(state, { message: v2Join(a6("ff0e::1")) }, 2)), [
    "join ff0e::1 up0",
  ]);
});

Deno.test("MLD: bad hop limit, a global source, our own address and the upstream are refused", () => {
  const state = proxy6();
  mld(state, { message: v2Join(G), hopLimit: 255 }, 1);
  mld(state, { message: v2Join(G), from: a6("2001:db8:1::11") }, 1);
  mld(state, { message: v2Join(G), from: DN2.address }, 1);
  mld(state, { message: v2Join(G), ifindex: UP6.ifindex }, 1);
  deepStrictEqual(Object.fromEntries(state.counters.drops), {
    "bad-hop-limit": 1,
    "mld-source-not-link-local": 1,
    "own-packet": 1,
    "on-upstream": 1,
  });
  equal(state.members.size, 0);
});

Deno.test("MLD: a drop at the door names the sender and the interface in its debug line", () => {
  const state = createProxy({ interfaces: [UP6, DN1], family: MLD_FAMILY, debug: true });
  step(state, { kind: "start" }, 0);
  const lines = mld(state, { message: v2Join(G), hopLimit: 255 }, 1).flatMap((a) =>
    a.kind === "log" ? [a.message] : []
  );
  deepStrictEqual(lines, ['Dropped packet from fe80::11 on "dn1": bad-hop-limit']);
});

Deno.test("MLD: a lower link-local querier silences us and takes the LAN out of forwarding", () => {
  const state = proxy6();
  mld(state, { message: v2Join(G) }, 1);
  mld(state, { message: v2Join(G), ifindex: DN2.ifindex }, 1);
  step(state, { kind: "upcall", msgtype: 1, vif: 0, source: S, group: G }, 2);
  const general = encodeMldQuery({ group: new Uint8Array(16), maxRespDelayMs: 10_000, version: 2 });
  const lost = mld(state, { message: general, from: a6("fe80::50") }, 3);
  deepStrictEqual(describe6(lost), ["addMfc 2001:db8::2 ff05::1 from 0 to 2"]);
  ok(lost.some((a) =>
    a.kind === "log" &&
    a.message === 'Querier on "dn1" is fe80::50, lower than our fe80::100: we stop querying ' +
        "and forwarding there"
  ));
  // A higher address changes nothing on LAN 2.
  deepStrictEqual(
    describe6(mld(state, { message: general, from: a6("fe80::300"), ifindex: DN2.ifindex }, 4)),
    [],
  );
  equal(state.vifs.get(2)?.querier, true);
});

Deno.test("MLD: a LAN's own sender goes upstream and to the other LAN with listeners", () => {
  const state = proxy6();
  mld(state, { message: v2Join(G), ifindex: DN2.ifindex }, 1);
  deepStrictEqual(
    describe6(
      step(
        state,
        { kind: "upcall", msgtype: 1, vif: 1, source: a6("2001:db8:1::11"), group: G },
        2,
      ),
    ),
    ["addMfc 2001:db8:1::11 ff05::1 from 1 to 0,2"],
  );
  step(state, { kind: "upcall", msgtype: 1, vif: 1, source: a6("2001:db8:9::1"), group: G }, 3);
  equal(state.counters.drops.get("source-not-admitted"), 1, "not on LAN 1's prefixes");
});

Deno.test("MLD: MLDv1 queries are ordinary, not a legacy router to warn about", () => {
  const state = proxy6();
  const v1 = encodeMldQuery({ group: new Uint8Array(16), maxRespDelayMs: 10_000, version: 1 });
  const actions = mld(state, { message: v1, from: a6("fe80::300") }, 1);
  equal(actions.filter((a) => a.kind === "log" && a.level === "warn").length, 0);
  equal(state.vifs.get(1)?.querier, true);
});

Deno.test("MLD: boundaries are IPv6 prefixes, for joins and for the forwarding of LAN senders", () => {
  const site = { address: a6("ff05::"), prefixLength: 16 };
  const state = createProxy({
    interfaces: [{ ...UP6, boundaries: [site] }, DN1, DN2],
    family: MLD_FAMILY,
  });
  step(state, { kind: "start" }, 0);
  deepStrictEqual(describe6(mld(state, { message: v2Join(G), ifindex: DN2.ifindex }, 1)), []);
  ok(state.members.get(G)?.has(2), "a member on LAN 2, not joined upstream");
  deepStrictEqual(
    describe6(
      step(
        state,
        { kind: "upcall", msgtype: 1, vif: 1, source: a6("2001:db8:1::11"), group: G },
        2,
      ),
    ),
    ["addMfc 2001:db8:1::11 ff05::1 from 1 to 2"],
    "not upstream through its boundary",
  );
  deepStrictEqual(describe6(mld(state, { message: v2Join(a6("ff0e::1")) }, 3)), [
    "join ff0e::1 up0",
  ]);
});

const S2 = a6("2001:db8::3");
const SSM6 = a6("ff3e::8000:1");

/** An MLDv2 report with one record of `recordType` for `group` naming `sources`. */
const v2Record = (recordType: 1 | 2 | 3 | 4 | 5 | 6, group: bigint, sources: bigint[]) =>
  encodeMldV2Report([{
    recordType,
    group: bigIntToIPv6(group),
    sources: sources.map(bigIntToIPv6),
  }]);

Deno.test("MLDv2 source filtering: ALLOW {S} joins naming S upstream; only S is forwarded", () => {
  const state = proxy6();
  const joined = mld(state, { message: v2Record(5, G, [S]) }, 10);
  const join = joined.find((a) => a.kind === "join" && a.group === G);
  ok(join?.kind === "join");
  deepStrictEqual(join.filter, { mode: "include", sources: [S] });
  deepStrictEqual(
    describe6(step(state, { kind: "upcall", msgtype: 1, vif: 0, source: S, group: G }, 20)),
    [
      "addMfc 2001:db8::2 ff05::1 from 0 to 1",
    ],
  );
  deepStrictEqual(
    describe6(step(state, { kind: "upcall", msgtype: 1, vif: 0, source: S2, group: G }, 20)),
    [],
  );
  // BLOCK {S}: the querier asks with an MLDv2 address-and-source-specific query.
  const blocked = mld(state, { message: v2Record(6, G, [S]) }, 1000);
  const q = blocked.find((a) => a.kind === "sendQuery");
  ok(q?.kind === "sendQuery");
  const m = decodeMld(q.message, 0, q.message.length);
  ok(m.ok && m.value.type === "query");
  equal(m.value.sources?.length, 1);
});

Deno.test("MLD SSM range: MLDv1 reports and EXCLUDE records for ff3x::/96 are ignored and counted", () => {
  const state = proxy6();
  deepStrictEqual(
    describe6(mld(state, { message: encodeMldV1Report(bigIntToIPv6(SSM6)) }, 10)),
    [],
  );
  equal(state.counters.drops.get("ssm-older-report"), 1);
  deepStrictEqual(describe6(mld(state, { message: v2Record(4, SSM6, []) }, 20)), []);
  equal(state.counters.drops.get("ssm-exclude-record"), 1);
  const joined = mld(state, { message: v2Record(1, SSM6, [S]) }, 30);
  deepStrictEqual(describe6(joined), ["join ff3e::8000:1 up0"]);
});
