import { deepStrictEqual, doesNotMatch, equal, match, ok } from "node:assert/strict";
import { forwardingView } from "../core/forwarding_view.ts";
import { countersView, groupsView, interfacesView, upstreamView } from "../core/status_view.ts";
import { ipv4Scenario } from "../core/status_testing.ts";
import {
  diagnose,
  DOCTOR_RULES,
  DOCTOR_SCHEMA_VERSION,
  type Finding,
  foundProblem,
  renderFindings,
} from "./doctor.ts";
import type { DoctorFacts } from "./doctor_facts.ts";
import { type DoctorQuery, parseDoctorQuery } from "./doctor_query.ts";
import {
  forwardingOf,
  G,
  G6,
  healthyFacts,
  healthySysctls,
  rowOf,
  S,
  S6,
} from "./doctor_testing.ts";

/** The findings of one rule. */
function findingsOf(rule: string, facts: DoctorFacts, query: DoctorQuery = {}): Finding[] {
  return diagnose(facts, query).filter((f) => f.rule === rule);
}

/** A query as the command line gives it. */
function q(...words: string[]): DoctorQuery {
  const parsed = parseDoctorQuery(words);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

Deno.test("diagnose: a healthy router has nothing, asked about everything or a group", () => {
  for (const query of [{}, q(G), q(G, S), q(G6), q(G6, S6)]) {
    deepStrictEqual(diagnose(healthyFacts(), query), [], JSON.stringify(query));
  }
});

Deno.test("every rule has a unique name and a one-line description", () => {
  const names = DOCTOR_RULES.map((r) => r.name);
  equal(new Set(names).size, names.length);
  for (const rule of DOCTOR_RULES) {
    match(rule.name, /^[a-z]+(-[a-z]+)*$/);
    ok(!rule.what.includes("\n") && rule.what.length <= 80, rule.name);
    ok(!/\. /.test(rule.what), `${rule.name}: one sentence`);
  }
});

Deno.test("rp-filter: strict on all or on the upstream interface, not loose", () => {
  const all = healthyFacts();
  all.sysctls["/proc/sys/net/ipv4/conf/all/rp_filter"] = 1;
  all.sysctls["/proc/sys/net/ipv4/conf/up0/rp_filter"] = 0;
  const [f] = findingsOf("rp-filter", all);
  equal(f.severity, "problem");
  equal(f.subject, "up0");
  match(f.message, /^rp_filter is strict on up0 \(net\.ipv4\.conf\.all\.rp_filter=1, /);
  match(f.message, /drops multicast from a sender with no route back through up0/);
  equal(
    f.fix,
    "sysctl -w net.ipv4.conf.all.rp_filter=0 (or 2, loose: a route back through any " +
      "interface is enough)",
  );

  const own = healthyFacts();
  own.sysctls["/proc/sys/net/ipv4/conf/up0/rp_filter"] = 1;
  match(findingsOf("rp-filter", own)[0].fix, /^sysctl -w net\.ipv4\.conf\.up0\.rp_filter=0 /);

  const both = healthyFacts();
  both.sysctls["/proc/sys/net/ipv4/conf/all/rp_filter"] = 1;
  both.sysctls["/proc/sys/net/ipv4/conf/up0/rp_filter"] = 1;
  match(
    findingsOf("rp-filter", both)[0].fix,
    /^sysctl -w net\.ipv4\.conf\.all\.rp_filter=0 net\.ipv4\.conf\.up0\.rp_filter=0 /,
  );

  // The greater wins: all 1 and up0 2 is loose.
  const loose = healthyFacts();
  loose.sysctls["/proc/sys/net/ipv4/conf/all/rp_filter"] = 1;
  deepStrictEqual(findingsOf("rp-filter", loose), []);

  const unread = healthyFacts();
  unread.sysctls = {};
  deepStrictEqual(findingsOf("rp-filter", unread), []);
});

Deno.test("rp-filter: an interface name with a dot is written with a slash", () => {
  const facts = healthyFacts();
  for (const sample of [facts.before, facts.after]) rowOf(sample, "ipv4", "up0").name = "eth0.7";
  facts.sysctls["/proc/sys/net/ipv4/conf/eth0.7/rp_filter"] = 1;
  match(findingsOf("rp-filter", facts)[0].fix, /^sysctl -w net\.ipv4\.conf\.eth0\/7\.rp_filter=0 /);
});

Deno.test("mc-forwarding: off for a family, or for a VIF's interface", () => {
  const family = healthyFacts();
  family.sysctls["/proc/sys/net/ipv4/conf/all/mc_forwarding"] = 0;
  family.sysctls["/proc/sys/net/ipv4/conf/dn1/mc_forwarding"] = 0;
  const [f, ...more] = findingsOf("mc-forwarding", family);
  deepStrictEqual(more, [], "the interfaces are not named when the family is off");
  equal(f.subject, "IPv4");
  match(f.message, /^net\.ipv4\.conf\.all\.mc_forwarding is 0: the kernel routes no IPv4/);
  match(f.fix, /network namespace/);

  const vif = healthyFacts();
  vif.sysctls["/proc/sys/net/ipv4/conf/dn1/mc_forwarding"] = 0;
  const [g] = findingsOf("mc-forwarding", vif);
  equal(g.subject, "dn1");
  match(g.message, /the kernel has no VIF on dn1, which mcast-proxy uses as VIF 1$/);

  const v6 = healthyFacts();
  v6.sysctls["/proc/sys/net/ipv6/conf/all/mc_forwarding"] = 0;
  v6.sysctls["/proc/sys/net/ipv6/conf/dn1/mc_forwarding"] = 0;
  deepStrictEqual(findingsOf("mc-forwarding", v6).map((x) => x.subject), ["IPv6"]);

  // A family not proxied is not judged.
  v6.before.interfaces = v6.before.interfaces.filter((i) => i.family === "ipv4");
  v6.after.interfaces = v6.after.interfaces.filter((i) => i.family === "ipv4");
  deepStrictEqual(findingsOf("mc-forwarding", v6), []);
});

Deno.test("mc-forwarding: an IPv6 MIF's interface has its own, read per interface", () => {
  const facts = healthyFacts();
  facts.sysctls["/proc/sys/net/ipv6/conf/dn1/mc_forwarding"] = 0;
  const [f, ...more] = findingsOf("mc-forwarding", facts);
  deepStrictEqual(more, []);
  equal(f.subject, "dn1 (IPv6)");
  equal(
    f.message,
    "net.ipv6.conf.dn1.mc_forwarding is 0: the kernel has no MIF on dn1, which mcast-proxy " +
      "uses as MIF 1",
  );
  match(f.fix, /with \/proc\/net\/ip6_mr_vif, and restart mcast-proxy/);
  // Unread (an older kernel, a name too long): nothing.
  facts.sysctls["/proc/sys/net/ipv6/conf/dn1/mc_forwarding"] = undefined;
  deepStrictEqual(findingsOf("mc-forwarding", facts), []);
});

Deno.test("no-upstream-router: a note while streams flow, a problem when one does not", () => {
  const none = healthyFacts();
  rowOf(none.after, "ipv4", "up0").upstreamRouter = null;
  const [f] = findingsOf("no-upstream-router", none);
  equal(f.severity, "note");
  equal(f.subject, "up0");
  match(f.message, /^no query was heard on up0 since mcast-proxy started: no router queries/);
  match(f.message, /forwarded all the same$/);
  match(f.fix, /^turn IGMP \(or PIM\) on in the router's interface toward up0's network/);
  match(f.fix, /\na router queries every 125 s by default: a daemon started less than 255 s ago /);

  // The stream stalls: a problem that names the group.
  forwardingOf(none.after, "ipv4").entries[0].packets = 1000;
  const [g] = findingsOf("no-upstream-router", none);
  equal(g.severity, "problem");
  match(g.message, /nothing is forwarded of 239\.1\.1\.1, which has listeners$/);

  // Heard too long ago, in IPv6: MLD.
  const old = healthyFacts();
  rowOf(old.after, "ipv6", "up0").upstreamRouter = { address: "fe80::fe", heardAgo: 255.1 };
  const [h] = findingsOf("no-upstream-router", old);
  match(h.message, /^the last query on up0 came from fe80::fe 4m15s ago/);
  match(h.fix, /^turn MLD/);
  ok(!h.fix.includes("\n"), "a query was heard: the daemon has run long enough");
  rowOf(old.after, "ipv6", "up0").upstreamRouter = { address: "fe80::fe", heardAgo: 255 };
  deepStrictEqual(findingsOf("no-upstream-router", old), []);
});

Deno.test("no-upstream-router: with a group, only that group's streams count", () => {
  const facts = healthyFacts();
  rowOf(facts.after, "ipv4", "up0").upstreamRouter = null;
  facts.groups.push({ ...facts.groups[0], group: "239.2.2.2" });
  equal(findingsOf("no-upstream-router", facts)[0].severity, "problem");
  equal(findingsOf("no-upstream-router", facts, q(G))[0].severity, "note");
});

Deno.test("stalled-stream: an entry with outputs whose packets did not grow", () => {
  const facts = healthyFacts();
  forwardingOf(facts.after, "ipv4").entries[0].packets = 1000;
  const [f, ...more] = findingsOf("stalled-stream", facts);
  deepStrictEqual(more, []);
  equal(f.severity, "problem");
  equal(f.subject, `(${S}, ${G})`);
  equal(
    f.message,
    `(${S}, ${G}) from up0 to dn1, dn2 forwarded nothing in the last 2 s: the sender ` +
      "stopped, or upstream stopped sending it (pruned)",
  );
  match(f.fix, /^check that 10\.0\.0\.2 still sends to 239\.1\.1\.1/);
  // Another group asked about: not this one's business.
  deepStrictEqual(findingsOf("stalled-stream", facts, q("239.2.2.2")), []);
  deepStrictEqual(findingsOf("stalled-stream", facts, q(G, "10.0.0.3")), []);
  equal(findingsOf("stalled-stream", facts, q(G, S)).length, 1);

  // Unread counters, an entry without outputs, an entry new since the first sample: nothing.
  for (
    const change of [
      (x: DoctorFacts) => forwardingOf(x.after, "ipv4").entries[0].packets = null,
      (x: DoctorFacts) => forwardingOf(x.after, "ipv4").entries[0].outputs = [],
      (x: DoctorFacts) => forwardingOf(x.before, "ipv4").entries = [],
    ]
  ) {
    const other = healthyFacts();
    forwardingOf(other.after, "ipv4").entries[0].packets = 1000;
    change(other);
    deepStrictEqual(findingsOf("stalled-stream", other), []);
  }
});

Deno.test("stalled-stream: a slow stream, under 2 datagrams per interval at its recent rate, is a note", () => {
  const facts = healthyFacts();
  // The first sample's rate, since the daemon's previous view: 0.3/s, 0.6 expected in 2 s.
  for (const sample of [facts.before, facts.after]) {
    Object.assign(forwardingOf(sample, "ipv4").entries[0], {
      packets: 1000,
      age: 5000,
      packetRate: 0.3,
    });
  }
  const [f] = findingsOf("stalled-stream", facts);
  equal(f.severity, "note");
  equal(
    f.message,
    `(${S}, ${G}) from up0 to dn1, dn2 forwarded nothing in the last 2 s, but it forwarded ` +
      "0.3 datagrams/s before (its rate in the first `show forwarding`): a slow stream " +
      "may be between two datagrams",
  );
  equal(
    f.fix,
    "run mcast-proxyctl doctor with a longer -w (at least 7 s for this stream) to tell a slow " +
      "stream from a stalled one",
  );
  // A longer wait expects more: 7 s makes 2.1 datagrams, a problem.
  facts.intervalS = 7;
  equal(findingsOf("stalled-stream", facts)[0].severity, "problem");
  // One datagram per second, 2 expected in 2 s: a problem.
  forwardingOf(facts.before, "ipv4").entries[0].packetRate = 1;
  facts.intervalS = 2;
  equal(findingsOf("stalled-stream", facts)[0].severity, "problem");
});

Deno.test("stalled-stream: the larger of the recent rate and the average; never forwarded is stalled", () => {
  // 1/s for 100 s, stopped 100 s ago, the previous view just before: a recent rate of 0, but
  // 0.5/s on average, 1 datagram expected in 2 s: maybe slow, a note; in 4 s, 2: stalled.
  const facts = healthyFacts();
  for (const sample of [facts.before, facts.after]) {
    Object.assign(forwardingOf(sample, "ipv4").entries[0], {
      packets: 100,
      age: 200,
      packetRate: 0,
    });
  }
  const [slow] = findingsOf("stalled-stream", facts);
  equal(slow.severity, "note");
  match(slow.fix, /at least 4 s for this stream/);
  facts.intervalS = 4;
  equal(findingsOf("stalled-stream", facts)[0].severity, "problem");
  // One datagram a minute for an hour (SAP, NTP), shown as 0/s: slow, not stalled.
  const sap = healthyFacts();
  for (const sample of [sap.before, sap.after]) {
    Object.assign(forwardingOf(sample, "ipv4").entries[0], {
      packets: 60,
      age: 3600,
      packetRate: 0,
    });
  }
  equal(findingsOf("stalled-stream", sap)[0].severity, "note");
  // Never forwarded (0 packets, rate 0): the stalled problem, with no rate to wait for.
  for (const rate of [0, null]) {
    const never = healthyFacts();
    for (const sample of [never.before, never.after]) {
      Object.assign(forwardingOf(sample, "ipv4").entries[0], { packets: 0, packetRate: rate });
    }
    const [f] = findingsOf("stalled-stream", never);
    equal(f.severity, "problem", String(rate));
    doesNotMatch(`${f.message} ${f.fix}`, /Infinity|NaN/);
  }
});

Deno.test("stalled-stream: without a rate in the view, the average since it was installed", () => {
  const facts = healthyFacts();
  // 100 datagrams in 10 minutes: 0.17/s, 0.3 expected in 2 s.
  for (const sample of [facts.before, facts.after]) {
    Object.assign(forwardingOf(sample, "ipv4").entries[0], {
      packets: 100,
      age: 600,
      packetRate: null,
    });
  }
  const [f] = findingsOf("stalled-stream", facts);
  equal(f.severity, "note");
  equal(
    f.message,
    `(${S}, ${G}) from up0 to dn1, dn2 forwarded nothing in the last 2 s, but it averaged ` +
      "0.2 datagrams/s since it was installed 10m00s ago: a slow stream may be between two datagrams",
  );
  equal(
    f.fix,
    "run mcast-proxyctl doctor with a longer -w (at least 12 s for this stream) to tell a slow " +
      "stream from a stalled one",
  );
  // A longer wait expects more: 12 s makes 2 datagrams, a problem.
  facts.intervalS = 12;
  equal(findingsOf("stalled-stream", facts)[0].severity, "problem");
  // One datagram per second, 2 expected in 2 s: a problem; an entry of age 0 has no rate.
  const steady = healthyFacts();
  for (const sample of [steady.before, steady.after]) {
    Object.assign(forwardingOf(sample, "ipv4").entries[0], {
      packets: 600,
      age: 600,
      packetRate: null,
    });
  }
  equal(findingsOf("stalled-stream", steady)[0].severity, "problem");
  forwardingOf(steady.after, "ipv4").entries[0].age = 0;
  equal(findingsOf("stalled-stream", steady)[0].severity, "problem");
});

Deno.test("ttl-threshold: a LAN that sent less than its entries forwarded to it", () => {
  const facts = healthyFacts();
  rowOf(facts.after, "ipv4", "dn2").packetsOut = 3000;
  const [f, ...more] = findingsOf("ttl-threshold", facts);
  deepStrictEqual(more, []);
  equal(f.severity, "problem");
  equal(f.subject, "dn2");
  equal(
    f.message,
    `dn2 sent 0 of the 200 datagrams of (${S}, ${G}) forwarded to it in the last 2 s: they ` +
      "arrive with a TTL at or below dn2's threshold 4 (the kernel forwards only a TTL above it)",
  );
  equal(
    f.fix,
    `raise the TTL of ${S} above 4 (a multicast TTL of 1 never leaves its subnet), or lower ` +
      "`threshold` in the `interface dn2` block of mcast-proxy.conf, then `mcast-proxyctl reload`",
  );

  // Threshold 1: only the sender can help.
  rowOf(facts.after, "ipv4", "dn1").packetsOut = 5000;
  const dn1 = findingsOf("ttl-threshold", facts).find((x) => x.subject === "dn1")!;
  equal(dn1.fix, `raise the TTL of ${S} above 1 (a multicast TTL of 1 never leaves its subnet)`);

  // Within the slack (20 % short), or asked about another group: nothing.
  const slack = healthyFacts();
  rowOf(slack.after, "ipv4", "dn2").packetsOut = 3160;
  deepStrictEqual(findingsOf("ttl-threshold", slack), []);
  rowOf(slack.after, "ipv4", "dn2").packetsOut = 3159;
  equal(findingsOf("ttl-threshold", slack).length, 1);
  deepStrictEqual(findingsOf("ttl-threshold", slack, q("239.2.2.2")), []);

  // The VIF's counter unread: nothing can be told.
  rowOf(slack.after, "ipv4", "dn2").packetsOut = null;
  deepStrictEqual(findingsOf("ttl-threshold", slack), []);
});

Deno.test("ttl-threshold: the entries going out of a LAN add up", () => {
  const facts = healthyFacts();
  for (const [sample, n] of [[facts.before, 0], [facts.after, 300]] as const) {
    forwardingOf(sample, "ipv4").entries.push({
      ...forwardingOf(sample, "ipv4").entries[0],
      source: "10.0.0.3",
      outputs: [{ vif: 2, name: "dn2" }],
      packets: 7 + n,
    });
  }
  // dn2 sent 200 + 300 = 500: fine; 300 only: the 200 of (S, G) are missing.
  rowOf(facts.after, "ipv4", "dn2").packetsOut = 3500;
  deepStrictEqual(findingsOf("ttl-threshold", facts), []);
  rowOf(facts.after, "ipv4", "dn2").packetsOut = 3300;
  match(
    findingsOf("ttl-threshold", facts)[0].message,
    /^dn2 sent 300 of the 500 datagrams of \(10\.0\.0\.2, 239\.1\.1\.1\), \(10\.0\.0\.3, /,
  );
});

Deno.test("off-subnet-sender: refused data names its sender; an old refusal, or another group's, is a note", () => {
  const facts = healthyFacts();
  facts.counters[0].drops["source-not-admitted"] = 3;
  facts.counters[0].refusedSource = {
    source: "198.51.100.7",
    group: G,
    interface: "up0",
    ago: 4.2,
  };
  const [f] = findingsOf("off-subnet-sender", facts);
  equal(f.severity, "problem");
  equal(f.subject, "198.51.100.7");
  equal(
    f.message,
    `data of ${G} from 198.51.100.7 arrived on up0 and was refused 4s ago (IPv4 data refused ` +
      "3 times): the sender is outside up0's networks and no `source` line admits it",
  );
  equal(
    f.fix,
    "add `source 198.51.100.7/32` (or its network) to the `interface up0` block of " +
      "mcast-proxy.conf, then `mcast-proxyctl reload`",
  );
  // Asked about this group: the problem; about another group or source: a note only.
  equal(findingsOf("off-subnet-sender", facts, q(G))[0].severity, "problem");
  equal(findingsOf("off-subnet-sender", facts, q("239.9.9.9"))[0].severity, "note");
  equal(findingsOf("off-subnet-sender", facts, q(G, "10.0.0.9"))[0].severity, "note");
  facts.counters[0].refusedSource.ago = 600;
  equal(findingsOf("off-subnet-sender", facts)[0].severity, "note");

  const v6 = healthyFacts();
  v6.counters[1].drops["source-not-admitted"] = 1;
  v6.counters[1].refusedSource = { source: "2001:db8:9::1", group: G6, interface: "up0", ago: 1 };
  const [g] = findingsOf("off-subnet-sender", v6);
  match(g.message, /\(IPv6 data refused once\)/);
  match(g.fix, /^add `source 2001:db8:9::1\/128`/);
});

Deno.test("boundary: with a group, the interfaces whose boundary covers it", () => {
  const facts = healthyFacts();
  const [f, ...more] = findingsOf("boundary", facts, q("239.255.1.1"));
  deepStrictEqual(more, []);
  equal(f.subject, "dn1");
  equal(
    f.message,
    "239.255.1.1 is inside the boundary 239.255.0.0/16 of dn1: its reports on dn1 are " +
      "ignored and its data is not forwarded onto it",
  );
  match(
    f.fix,
    /^remove or narrow the `boundary` that covers 239\.255\.0\.0\/16 in the `interface dn1` block/,
  );
  rowOf(facts.after, "ipv4", "up0").boundaries = ["239.0.0.0/8"];
  match(
    findingsOf("boundary", facts, q("239.255.1.1")).find((x) => x.subject === "up0")!.message,
    /it is not joined on up0/,
  );
  deepStrictEqual(findingsOf("boundary", facts), [], "only with a group");
  deepStrictEqual(findingsOf("boundary", facts, q("224.1.1.1")), []);
  rowOf(facts.after, "ipv6", "dn1").boundaries = ["ff0e::/16"];
  equal(findingsOf("boundary", facts, q("ff0e::5")).length, 1);
});

Deno.test("rival-querier: another router is querier on a LAN", () => {
  const facts = healthyFacts();
  rowOf(facts.after, "ipv4", "dn2").querier = {
    self: false,
    address: "10.2.0.0",
    heardAgo: 20,
    otherQuerierTimer: 235,
    v1RouterPresent: false,
  };
  const [f, ...more] = findingsOf("rival-querier", facts);
  deepStrictEqual(more, []);
  equal(f.severity, "problem");
  equal(f.subject, "dn2");
  equal(
    f.message,
    "10.2.0.0 is querier on dn2 (lower address than the proxy's 10.2.0.1): the proxy does not " +
      "forward onto dn2 while another router queries there (RFC 4605 section 4.2)",
  );
  equal(
    f.fix,
    "give the proxy the lowest address on dn2's network, or turn the querier of 10.2.0.0 off",
  );
});

Deno.test("membership-limit: EXCLUDE filters near or past the ceiling; no membership allowed", () => {
  const facts = healthyFacts();
  const nine = Array.from({ length: 9 }, (_, i) => `10.0.0.${10 + i}`);
  facts.after.upstream[0].groups.push({ group: "239.2.2.2", mode: "exclude", sources: nine });
  facts.after.upstream[0].groups.push({
    group: "239.3.3.3",
    mode: "include",
    sources: Array.from({ length: 50 }, (_, i) => `10.0.1.${i + 1}`),
  });
  const [f, ...more] = findingsOf("membership-limit", facts);
  deepStrictEqual(more, [], "an INCLUDE filter is spread over sockets: no ceiling");
  equal(f.severity, "note");
  equal(f.subject, "239.2.2.2");
  match(
    f.message,
    /^the filter of 239\.2\.2\.2 on up0 excludes 9 sources; net\.ipv4\.igmp_max_msf/,
  );
  equal(
    f.fix,
    "sysctl -w net.ipv4.igmp_max_msf=20, then restart mcast-proxy (it reads the ceiling when it " +
      "starts)",
  );
  facts.after.upstream[0].groups[1].sources.push("10.0.0.30", "10.0.0.31");
  const [g] = findingsOf("membership-limit", facts);
  equal(g.severity, "problem");
  match(g.message, /: only 10 are excluded, and upstream sends the others too$/);
  match(g.fix, /igmp_max_msf=22,/);
  // Below 90 %: nothing; the ceiling unread: nothing.
  facts.after.upstream[0].groups[1].sources = nine.slice(0, 8);
  deepStrictEqual(findingsOf("membership-limit", facts), []);
  facts.after.upstream[0].groups[1].sources = nine.concat(["10.0.0.30", "10.0.0.31"]);
  facts.sysctls["/proc/sys/net/ipv4/igmp_max_msf"] = undefined;
  deepStrictEqual(findingsOf("membership-limit", facts), []);

  const none = healthyFacts();
  none.sysctls["/proc/sys/net/ipv4/igmp_max_memberships"] = 0;
  const [h] = findingsOf("membership-limit", none);
  equal(h.severity, "problem");
  equal(
    h.message,
    "net.ipv4.igmp_max_memberships is 0: the kernel lets no socket join a group, so none of " +
      "the 1 group wanted is joined on up0",
  );
  // A low ceiling of groups per socket is no limit: the daemon opens more sockets.
  none.sysctls["/proc/sys/net/ipv4/igmp_max_memberships"] = 1;
  deepStrictEqual(findingsOf("membership-limit", none), []);
});

Deno.test("membership-limit: the option memory bounds an IPv6 filter below mld_max_msf", () => {
  const facts = healthyFacts();
  facts.sysctls["/proc/sys/net/ipv6/mld_max_msf"] = 1000;
  const sources = (n: number) => Array.from({ length: n }, (_, i) => `2001:db8::${i + 100}`);
  facts.after.upstream[1].groups.push({ group: "ff05::9", mode: "exclude", sources: sources(150) });
  // 20480 bytes hold (20480 - 144) / 128 = 158 sources: 150 is near it.
  const [f, ...more] = findingsOf("membership-limit", facts);
  deepStrictEqual(more, []);
  equal(f.severity, "note");
  equal(f.subject, "ff05::9");
  equal(
    f.message,
    "the filter of ff05::9 on up0 excludes 150 sources; the kernel takes at most 158 in one " +
      "filter, as net.core.optmem_max is 20480 bytes (144 and 128 per source): a few more and " +
      "upstream sends some of those the listeners exclude",
  );
  // Twice the ceiling: 316 sources, 144 + 316 * 128 bytes; mld_max_msf is high enough.
  equal(
    f.fix,
    "sysctl -w net.core.optmem_max=40592, then restart mcast-proxy (it reads the ceiling when " +
      "it starts)",
  );
  facts.after.upstream[1].groups[1].sources = sources(200);
  const [g] = findingsOf("membership-limit", facts);
  equal(g.severity, "problem");
  match(g.message, /: only 158 are excluded, and upstream sends the others too$/);
  match(g.fix, /^sysctl -w net\.core\.optmem_max=51344,/);

  // mld_max_msf the lower: it is named, and both are raised when both fall short.
  facts.sysctls["/proc/sys/net/ipv6/mld_max_msf"] = 64;
  facts.after.upstream[1].groups[1].sources = sources(100);
  const [h] = findingsOf("membership-limit", facts);
  match(h.message, /; net\.ipv6\.mld_max_msf, the most the kernel takes in one filter, is 64: /);
  equal(
    h.fix,
    "sysctl -w net.ipv6.mld_max_msf=200 net.core.optmem_max=25744, then restart mcast-proxy " +
      "(it reads the ceiling when it starts)",
  );
  // The option memory alone read: still judged.
  facts.sysctls["/proc/sys/net/ipv6/mld_max_msf"] = undefined;
  deepStrictEqual(findingsOf("membership-limit", facts), []);
  facts.after.upstream[1].groups[1].sources = sources(150);
  equal(findingsOf("membership-limit", facts)[0].subject, "ff05::9");
});

Deno.test("no-member: with a group no LAN has, or a source no LAN's filter admits", () => {
  const facts = healthyFacts();
  const [f] = findingsOf("no-member", facts, q("239.9.9.9"));
  equal(f.subject, "239.9.9.9");
  match(f.message, /^no LAN has a member of 239\.9\.9\.9: /);
  deepStrictEqual(findingsOf("no-member", facts), [], "only with a group");
  // dn1 takes any source: 10.0.0.9 is admitted.
  deepStrictEqual(findingsOf("no-member", facts, q(G, "10.0.0.9")), []);
  facts.groups[0].sources = [{ address: "10.0.0.9", timer: null, excluded: true }];
  const [g] = findingsOf("no-member", facts, q(G, "10.0.0.9"));
  equal(g.subject, `(10.0.0.9, ${G})`);
  equal(
    g.message,
    `no LAN wants 10.0.0.9 for ${G}: dn1 excludes 10.0.0.9; dn2 includes only ${S}`,
  );
  // In EXCLUDE mode a source with a timer is asked for, not excluded.
  facts.groups[0].sources = [{ address: "10.0.0.9", timer: 30, excluded: false }];
  deepStrictEqual(findingsOf("no-member", facts, q(G, "10.0.0.9")), []);
  // The source in the other family's form is the same address.
  deepStrictEqual(findingsOf("no-member", healthyFacts(), q("FF05::1", "2001:DB8::2")), []);
});

Deno.test("no-data: members, but neither an entry nor a waiting source of the group", () => {
  const facts = healthyFacts();
  for (const sample of [facts.before, facts.after]) forwardingOf(sample, "ipv4").entries = [];
  const [f, ...more] = findingsOf("no-data", facts, q(G));
  deepStrictEqual(more, []);
  equal(f.severity, "problem");
  equal(f.subject, G);
  equal(f.message, `${G} has listeners on dn1, dn2, but no datagram of it reached up0`);
  equal(
    f.fix,
    `check that the sender sends to ${G} with a TTL that reaches up0, and that the router ` +
      "upstream forwards it there (it must hear the proxy's reports on up0)",
  );
  deepStrictEqual(findingsOf("no-data", facts), [], "only with a group");

  // The hints: no upstream router, strict rp_filter, a refused sender of the group.
  rowOf(facts.after, "ipv4", "up0").upstreamRouter = null;
  facts.sysctls["/proc/sys/net/ipv4/conf/up0/rp_filter"] = 1;
  facts.counters[0].drops["source-not-admitted"] = 1;
  facts.counters[0].refusedSource = { source: "192.0.2.7", group: G, interface: "up0", ago: 3 };
  deepStrictEqual(findingsOf("no-data", facts, q(G))[0].fix.split("\n").slice(1), [
    "no router queries on up0 (see no-upstream-router)",
    "rp_filter is strict on up0 (see rp-filter)",
    `data of ${G} from 192.0.2.7 was refused on up0 (see off-subnet-sender)`,
  ]);

  // A waiting source is data that came.
  forwardingOf(facts.after, "ipv4").waiting = [{
    source: "192.0.2.8",
    group: G,
    input: { vif: 0, name: "up0" },
    idle: 1,
  }];
  deepStrictEqual(findingsOf("no-data", facts, q(G)), []);
  // With a source: the source's own.
  const [g] = findingsOf("no-data", facts, q(G, S));
  equal(g.subject, `(${S}, ${G})`);
  match(g.message, new RegExp(`^${G} from ${S} has listeners on dn1, dn2, but`));
  // A source no LAN admits is no-member's, not no-data's.
  deepStrictEqual(findingsOf("no-data", facts, q(G, "10.0.0.77")).length, 1);
  facts.groups = facts.groups.filter((r) => r.interface !== "dn1");
  deepStrictEqual(findingsOf("no-data", facts, q(G, "10.0.0.77")), []);
  equal(findingsOf("no-member", facts, q(G, "10.0.0.77")).length, 1);
});

Deno.test("no-data: a group not joined upstream, an upstream interface missing", () => {
  const facts = healthyFacts();
  for (const sample of [facts.before, facts.after]) forwardingOf(sample, "ipv6").entries = [];
  facts.after.upstream[1].groups = [];
  deepStrictEqual(findingsOf("no-data", facts, q(G6))[0].fix.split("\n").slice(1), [
    `${G6} is not joined on up0 (mcast-proxyctl show upstream)`,
  ]);
  for (const sample of [facts.before, facts.after]) {
    sample.interfaces = sample.interfaces.filter((i) => !(i.family === "ipv6" && i.name === "up0"));
  }
  const [f] = findingsOf("no-data", facts, q(G6));
  match(f.message, /reached the upstream interface$/);
  deepStrictEqual(f.fix.split("\n").slice(1), [
    "IPv6 has no upstream interface in use: is it up, with an address?",
  ]);
});

Deno.test("diagnose: findings in the order of the rules, then by subject", () => {
  const facts = healthyFacts();
  facts.sysctls["/proc/sys/net/ipv4/conf/dn2/mc_forwarding"] = 0;
  facts.sysctls["/proc/sys/net/ipv4/conf/dn1/mc_forwarding"] = 0;
  facts.sysctls["/proc/sys/net/ipv4/conf/all/rp_filter"] = 1;
  facts.sysctls["/proc/sys/net/ipv4/conf/up0/rp_filter"] = 1;
  rowOf(facts.after, "ipv4", "up0").upstreamRouter = null;
  deepStrictEqual(
    diagnose(facts).map((f) => [f.rule, f.subject]),
    [
      ["rp-filter", "up0"],
      ["mc-forwarding", "dn1"],
      ["mc-forwarding", "dn2"],
      ["no-upstream-router", "up0"],
    ],
  );
});

Deno.test("diagnose: views a running core made (a rival querier, a refused sender, a boundary)", () => {
  const { state, counters, now } = ipv4Scenario();
  const interfaces = interfacesView(state, counters, now).interfaces;
  const { view } = forwardingView(state, counters, now);
  const facts: DoctorFacts = {
    groups: groupsView(state, now).groups,
    counters: [countersView(state, now)],
    before: { interfaces, forwarding: [view], upstream: [upstreamView(state)] },
    after: { interfaces, forwarding: [view], upstream: [upstreamView(state)] },
    intervalS: 2,
    sysctls: healthySysctls(),
    kernel: [],
    firewall: { ok: true, ruleset: { chains: [], rules: [] } },
  };
  const findings = diagnose(facts, q("239.255.1.1"));
  const rival = findings.find((f) => f.rule === "rival-querier")!;
  equal(rival.subject, "dn1");
  match(
    rival.message,
    /^10\.1\.0\.11 is querier on dn1 \(lower address than the proxy's 10\.1\.0\.100\)/,
  );
  const refused = findings.find((f) => f.rule === "off-subnet-sender")!;
  equal(refused.severity, "note", "refused data of another group than the one asked about");
  match(
    refused.message,
    /^data of 239\.1\.1\.1 from 198\.51\.100\.7 arrived on up0 and was refused 5s ago/,
  );
  equal(findings.find((f) => f.rule === "boundary")!.subject, "dn1");
  // The counters did not move between two views of one moment: (S, G) looks stalled.
  equal(diagnose(facts).find((f) => f.rule === "stalled-stream")!.subject, "(10.0.0.2, 239.1.1.1)");
});

Deno.test("renderFindings: problem and note lines with their fixes, then a count", () => {
  const findings: Finding[] = [
    { rule: "a", severity: "problem", subject: "x", message: "one", fix: "do this\nhint" },
    { rule: "b", severity: "note", subject: "y", message: "two", fix: "do that" },
  ];
  equal(
    renderFindings(findings, "text"),
    "problem: one\n  fix: do this\n       hint\nnote: two\n  fix: do that\n1 problem, 1 note\n",
  );
  equal(
    renderFindings([findings[1], findings[1]], "text").split("\n").at(-2),
    "0 problems, 2 notes",
  );
  equal(renderFindings([], "text"), "No problem found.\n");
  const compared = { vifs: 3, entries: 1, groups: 1 };
  deepStrictEqual(
    JSON.parse(renderFindings(findings, "json", { checked: ["/proc/net/igmp"], compared })),
    { version: DOCTOR_SCHEMA_VERSION, checked: ["/proc/net/igmp"], compared, findings },
  );
  equal(
    renderFindings([], "json"),
    '{"version":1,"checked":[],"compared":{"vifs":0,"entries":0,"groups":0},"findings":[]}\n',
  );
  equal(renderFindings([], "text", { checked: ["/proc/net/igmp"] }), "No problem found.\n");
  ok(foundProblem(findings));
  ok(!foundProblem([findings[1]]));
});
