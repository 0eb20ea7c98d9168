import { deepStrictEqual, equal } from "node:assert/strict";
import { parseNftRuleset } from "./doctor_nft.ts";
import type { ControlProtocol } from "./doctor_nft_match.ts";
import {
  ACCEPT,
  baseChain,
  counter,
  ctState,
  DROP,
  etherSaddr,
  goto,
  icmpv6Type,
  igmpType,
  iifname,
  ip6Nexthdr,
  ipProtocol,
  ipSaddr,
  type Json,
  jump,
  l4proto,
  limit,
  nftJson,
  nftRule,
  rawNh,
  regularChain,
  REJECT,
  tcpDport,
  thDport,
} from "./doctor_nft_testing.ts";
import { type FirewallDrop, firewallDrops, type ProxyInterface } from "./doctor_nft_walk.ts";

const IFACES: ProxyInterface[] = [
  { name: "up0", role: "upstream" },
  { name: "dn1", role: "downstream" },
  { name: "dn2", role: "downstream" },
];
const IP = { family: "ip", table: "filt", chain: "input" };
const IP_INPUT = baseChain({ family: "ip", table: "filt", name: "input", hook: "input" });
const IP_INPUT_DROP = baseChain({
  family: "ip",
  table: "filt",
  name: "input",
  hook: "input",
  policy: "drop",
});
const IP6 = { family: "ip6", table: "f6", chain: "input" };
const IP_INPUT_DROP6 = baseChain({
  family: "ip6",
  table: "f6",
  name: "input",
  hook: "input",
  policy: "drop",
});

/** The drops of a ruleset, in short: `table chain handle|policy: interfaces, certain`. */
function drops(items: Json[], protocol: ControlProtocol = "igmp"): string[] {
  return firewallDropsOf(items, protocol).map(short);
}

function firewallDropsOf(items: Json[], protocol: ControlProtocol = "igmp"): FirewallDrop[] {
  const parsed = parseNftRuleset(nftJson(...items));
  if (!parsed.ok) throw new Error(parsed.reason);
  return firewallDrops(parsed.value, { protocol, interfaces: IFACES });
}

function short(d: FirewallDrop): string {
  return `${d.chain.family} ${d.chain.name} ${d.rule?.handle ?? "policy"}: ` +
    `${d.interfaces.join(",")}${d.certain ? "" : " uncertain"}`;
}

function only(items: Json[], protocol: ControlProtocol = "igmp"): FirewallDrop {
  const found = firewallDropsOf(items, protocol);
  equal(found.length, 1, JSON.stringify(found.map(short)));
  return found[0];
}

Deno.test("firewallDrops: a rule dropping IGMP on one interface, with its counter", () => {
  const d = only([
    ...IP_INPUT,
    nftRule(IP, 3, iifname("dn1"), ipProtocol("igmp"), counter(5), DROP),
  ]);
  deepStrictEqual(
    { ...d, chain: d.chain.name, rule: d.rule?.handle },
    {
      protocol: "igmp",
      chain: "input",
      rule: 3,
      interfaces: ["dn1"],
      types: [0x11, 0x12, 0x16, 0x22, 0x17],
      certain: true,
      doubts: [],
      packets: 5,
      specific: true,
    },
  );
  // meta l4proto, the protocol's number, reject, a set of interfaces: the same.
  for (
    const rule of [
      nftRule(IP, 3, iifname(["dn1", "dn2"]), l4proto(2), DROP),
      nftRule(IP, 3, iifname("dn*"), ipProtocol(["tcp", "igmp"]), REJECT),
    ]
  ) {
    deepStrictEqual(drops([...IP_INPUT, rule]), ["ip input 3: dn1,dn2"]);
  }
  // All traffic of an interface: not specific, no counter.
  const all = only([...IP_INPUT, nftRule(IP, 4, iifname("up0"), DROP)]);
  deepStrictEqual([all.interfaces, all.specific, all.packets], [["up0"], false, null]);
});

Deno.test("firewallDrops: what does not take IGMP drops nothing", () => {
  for (
    const rule of [
      nftRule(IP, 3, ipProtocol("igmp", "!="), DROP),
      nftRule(IP, 3, tcpDport(22), DROP),
      nftRule(IP, 3, iifname("lo"), DROP),
      nftRule(IP, 3, ctState("invalid"), DROP),
      nftRule(IP, 3, icmpv6Type("mld-listener-query"), DROP),
    ]
  ) {
    deepStrictEqual(drops([...IP_INPUT, rule]), [], JSON.stringify(rule));
  }
  // Another protocol's header or value, by name or number, whatever nft calls it.
  for (
    const rule of [
      nftRule(IP, 3, ipProtocol("pim"), DROP),
      nftRule(IP, 3, ipProtocol([6, 17]), DROP),
      nftRule(IP, 3, l4proto("vrrp"), DROP),
      nftRule(IP, 3, tcpDport(22, "!="), DROP),
    ]
  ) {
    deepStrictEqual(drops([...IP_INPUT, rule]), [], JSON.stringify(rule));
  }
  // A drop of some sources, or a rate limit of all traffic, is not reported.
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      nftRule(IP, 3, limit(10), DROP),
      nftRule(IP, 4, ipSaddr("192.0.2.0", 24), DROP),
      nftRule(IP, 5, thDport(53), DROP),
    ]),
    [],
  );
  // A chain hooked elsewhere (output, forward) does not see what arrives.
  const out = baseChain({ family: "ip", table: "filt", name: "out", hook: "output" });
  const where = { family: "ip", table: "filt", chain: "out" };
  deepStrictEqual(drops([...out, nftRule(where, 3, ipProtocol("igmp"), DROP)]), []);
});

Deno.test("firewallDrops: an accept before the drop takes what it matches", () => {
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      nftRule(IP, 2, iifname("up0"), ACCEPT),
      nftRule(IP, 3, ipProtocol("igmp"), DROP),
    ]),
    ["ip input 3: dn1,dn2"],
  );
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      nftRule(IP, 2, ipProtocol("igmp"), ACCEPT),
      nftRule(IP, 3, iifname("dn1"), DROP),
    ]),
    [],
  );
  // ct state established: never IGMP. A source address: maybe, so the drop is uncertain.
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      nftRule(IP, 2, ctState("established", "related"), ACCEPT),
      nftRule(IP, 3, ipProtocol("igmp"), DROP),
    ]),
    ["ip input 3: dn1,dn2,up0"],
  );
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      nftRule(IP, 2, ipSaddr("10.0.0.0", 8), ACCEPT),
      nftRule(IP, 3, ipProtocol("igmp"), DROP),
    ]),
    ["ip input 3: dn1,dn2,up0 uncertain"],
  );
});

Deno.test("firewallDrops: a policy of drop, unless a rule accepts IGMP first", () => {
  deepStrictEqual(
    drops([
      ...IP_INPUT_DROP,
      nftRule(IP, 2, ctState("established", "related"), ACCEPT),
      nftRule(IP, 3, tcpDport(22), ACCEPT),
      nftRule(IP, 4, iifname(["dn1", "dn2"]), ACCEPT),
    ]),
    ["ip input policy: up0"],
  );
  deepStrictEqual(drops([...IP_INPUT_DROP, nftRule(IP, 2, l4proto("igmp"), ACCEPT)]), []);
  deepStrictEqual(
    drops([...IP_INPUT_DROP, nftRule(IP, 2, ctState("new"), ACCEPT)]),
    ["ip input policy: dn1,dn2,up0 uncertain"],
  );
  // The policy of an IPv6 chain does not drop IGMP.
  const ip6 = baseChain({
    family: "ip6",
    table: "f6",
    name: "input",
    hook: "input",
    policy: "drop",
  });
  deepStrictEqual(drops(ip6), []);
  deepStrictEqual(drops(ip6, "mld"), ["ip6 input policy: dn1,dn2,up0"]);
});

Deno.test("firewallDrops: MLD by message type; an inet table's rules by family", () => {
  const F6 = { family: "ip6", table: "f6", chain: "pre" };
  const pre = baseChain({ family: "ip6", table: "f6", name: "pre", hook: "prerouting" });
  const queries = only([...pre, nftRule(F6, 3, icmpv6Type("mld-listener-query"), DROP)], "mld");
  deepStrictEqual([queries.types, queries.specific], [[130], true]);
  const numbers = only([...pre, nftRule(F6, 3, icmpv6Type([131, 143]), DROP)], "mld");
  deepStrictEqual(numbers.types, [131, 143]);
  // `ip6 nexthdr icmpv6` misses MLD, which comes after a Hop-by-Hop header.
  const nexthdr = {
    match: {
      op: "==",
      left: { payload: { protocol: "ip6", field: "nexthdr" } },
      right: "ipv6-icmp",
    },
  };
  deepStrictEqual(drops([...pre, nftRule(F6, 3, nexthdr, DROP)], "mld"), []);

  const INET = { family: "inet", table: "both", chain: "in" };
  const inet = [
    ...baseChain({ family: "inet", table: "both", name: "in", hook: "input" }),
    nftRule(INET, 3, l4proto(["igmp", "ipv6-icmp"]), counter(0), DROP),
  ];
  deepStrictEqual(drops(inet), ["inet in 3: dn1,dn2,up0"]);
  deepStrictEqual(drops(inet, "mld"), ["inet in 3: dn1,dn2,up0"]);
  // `ip protocol igmp` in an inet chain is an IPv4 match: MLD passes it.
  const v4only = [
    ...baseChain({ family: "inet", table: "both", name: "in", hook: "input" }),
    nftRule(INET, 3, ipProtocol("igmp"), DROP),
  ];
  deepStrictEqual(drops(v4only, "mld"), []);
});

Deno.test("firewallDrops: jumps are followed; what cannot be followed makes drops uncertain", () => {
  const SUB = { family: "ip", table: "filt", chain: "sub" };
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      regularChain("ip", "filt", "sub"),
      nftRule(IP, 2, iifname("dn1"), jump("sub")),
      nftRule(SUB, 5, ipProtocol("igmp"), DROP),
    ]),
    ["ip sub 5: dn1"],
  );
  // A return in the chain jumped to goes back; an accept there is final.
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      regularChain("ip", "filt", "sub"),
      nftRule(IP, 2, jump("sub")),
      nftRule(SUB, 5, iifname("up0"), { return: null }),
      nftRule(SUB, 6, iifname("dn1"), ACCEPT),
      nftRule(IP, 3, ipProtocol("igmp"), DROP),
    ]),
    ["ip input 3: dn2,up0"],
  );
  const vmap = {
    vmap: { key: { payload: { protocol: "ip", field: "protocol" } }, data: { set: [] } },
  };
  deepStrictEqual(
    drops([...IP_INPUT, nftRule(IP, 2, vmap), nftRule(IP, 3, ipProtocol("igmp"), DROP)]),
    ["ip input 3: dn1,dn2,up0 uncertain"],
  );
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      regularChain("ip", "filt", "sub"),
      nftRule(IP, 2, ipSaddr("10.0.0.0", 8), jump("sub")),
      nftRule(IP, 3, ipProtocol("igmp"), DROP),
    ]),
    ["ip input 3: dn1,dn2,up0 uncertain"],
  );
});

Deno.test("firewallDrops: an ingress chain drops on its own devices; unnamed, on any maybe", () => {
  const ND = { family: "netdev", table: "nd", chain: "ing" };
  const chain = (dev?: string, policy?: "drop") => [
    ...baseChain({ family: "netdev", table: "nd", name: "ing", hook: "ingress", dev, policy }),
    nftRule(ND, 2, ipProtocol("igmp"), DROP),
  ];
  deepStrictEqual(drops(chain("dn2")), ["netdev ing 2: dn2"]);
  // nft 1.0.6 does not name the devices: the chain is walked for every interface, in doubt.
  const d = only(chain());
  deepStrictEqual([d.interfaces, d.certain, d.doubts], [["dn1", "dn2", "up0"], false, ["device"]]);
  // MLD passes the IPv4 rule, and meets the policy, in doubt too.
  deepStrictEqual(drops(chain(undefined, "drop"), "mld"), [
    "netdev ing policy: dn1,dn2,up0 uncertain",
  ]);
  deepStrictEqual(only(chain(undefined, "drop"), "mld").doubts, ["device"]);
});

Deno.test("firewallDrops: a goto does not come back; the base chain's policy ends it", () => {
  const G = { family: "ip", table: "filt", chain: "g" };
  // `ip protocol igmp goto g`, g empty, then `iifname "dn1" drop`: the drop is never reached.
  const gotoEmpty = (base: Json[]) => [
    ...base,
    regularChain("ip", "filt", "g"),
    nftRule(IP, 2, ipProtocol("igmp"), goto("g")),
    nftRule(IP, 3, iifname("dn1"), DROP),
  ];
  deepStrictEqual(drops(gotoEmpty(IP_INPUT)), []);
  deepStrictEqual(drops(gotoEmpty(IP_INPUT_DROP)), ["ip input policy: dn1,dn2,up0"]);
  // A jump comes back: the drop is reached.
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      regularChain("ip", "filt", "g"),
      nftRule(IP, 2, ipProtocol("igmp"), jump("g")),
      nftRule(IP, 3, iifname("dn1"), DROP),
    ]),
    ["ip input 3: dn1"],
  );
  // A goto from a chain jumped to goes back after that jump; what the goto reaches decides.
  const H = { family: "ip", table: "filt", chain: "h" };
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      regularChain("ip", "filt", "g"),
      regularChain("ip", "filt", "h"),
      nftRule(IP, 2, jump("h")),
      nftRule(H, 4, goto("g")),
      nftRule(H, 5, ACCEPT),
      nftRule(G, 6, iifname("dn2"), DROP),
      nftRule(IP, 3, iifname("dn1"), DROP),
    ]),
    ["ip input 3: dn1", "ip g 6: dn2"],
  );
  // A goto the doctor cannot judge: its chain's drops, and the drops after it, are in doubt.
  const maybe = firewallDropsOf([
    ...IP_INPUT,
    regularChain("ip", "filt", "g"),
    nftRule(IP, 2, ipSaddr("10.0.0.0", 8), goto("g")),
    nftRule(G, 6, ipProtocol("igmp"), DROP),
    nftRule(IP, 3, iifname("dn1"), DROP),
  ]);
  deepStrictEqual(maybe.map((d) => [d.rule?.handle, d.certain, d.doubts]), [
    [6, false, ["jump"]],
    [3, false, ["before"]],
  ]);
});

Deno.test("firewallDrops: a header the doctor cannot judge is a maybe, never a no", () => {
  // Raw bytes, an Ethernet address, `th` (no protocol check): an accept there makes the drop
  // after it uncertain.
  for (const m of [rawNh(160, 8, 0x94), etherSaddr("00:11:22:33:44:55"), thDport(53)]) {
    deepStrictEqual(
      drops([...IP_INPUT, nftRule(IP, 2, m, ACCEPT), nftRule(IP, 3, ipProtocol("igmp"), DROP)]),
      ["ip input 3: dn1,dn2,up0 uncertain"],
      JSON.stringify(m),
    );
  }
  // A drop of all but one sender's frames, or a rate limit of IGMP: reported, in doubt.
  const negated = only([...IP_INPUT, nftRule(IP, 2, etherSaddr("00:11:22:33:44:55", "!="), DROP)]);
  deepStrictEqual([negated.certain, negated.doubts, negated.specific], [false, ["rule"], false]);
  const limited = only([...IP_INPUT, nftRule(IP, 2, ipProtocol("igmp"), limit(10), DROP)]);
  deepStrictEqual([limited.certain, limited.doubts, limited.specific], [false, ["rule"], true]);
  // A maybe-drop does not hide a sure one after it.
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      nftRule(IP, 2, etherSaddr("00:11:22:33:44:55", "!="), DROP),
      nftRule(IP, 3, iifname("dn2"), DROP),
    ]),
    ["ip input 2: dn1,dn2,up0 uncertain", "ip input 3: dn2"],
  );
});

Deno.test("firewallDrops: upstream only queries count; downstream every message", () => {
  const reports = [
    ...IP_INPUT,
    nftRule(IP, 3, ipProtocol("igmp"), igmpType(["membership-report-v3", "leave-group"]), DROP),
  ];
  deepStrictEqual(drops(reports), ["ip input 3: dn1,dn2"]);
  const upstream = only([...IP_INPUT, nftRule(IP, 3, iifname("up0"), DROP)]);
  deepStrictEqual([upstream.interfaces, upstream.types], [["up0"], [0x11]]);
  const all = only([...IP_INPUT, nftRule(IP, 3, ipProtocol("igmp"), DROP)]);
  deepStrictEqual(all.types, [0x11, 0x12, 0x16, 0x22, 0x17]);
  const mld = only(
    [...IP_INPUT_DROP6, nftRule(IP6, 3, icmpv6Type("mld-listener-query"), ACCEPT)],
    "mld",
  );
  deepStrictEqual([mld.rule, mld.interfaces, mld.types], [null, ["dn1", "dn2"], [131, 143, 132]]);
});

Deno.test("firewallDrops: MLD's next header is Hop-by-Hop, 0, which nft 1.0.6 names ip", () => {
  for (const v of ["ip", "hopopt", 0, ["ip", "ipv6-icmp"]]) {
    deepStrictEqual(
      drops([...IP_INPUT_DROP6, nftRule(IP6, 2, ip6Nexthdr(v), ACCEPT)], "mld"),
      [],
      JSON.stringify(v),
    );
  }
  deepStrictEqual(
    drops([...IP_INPUT_DROP6, nftRule(IP6, 2, ip6Nexthdr("ipv6-icmp"), ACCEPT)], "mld"),
    ["ip6 input policy: dn1,dn2,up0"],
  );
});
