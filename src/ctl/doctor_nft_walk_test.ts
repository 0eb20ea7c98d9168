import { deepStrictEqual, equal } from "node:assert/strict";
import { parseNftRuleset } from "./doctor_nft.ts";
import type { ControlProtocol } from "./doctor_nft_match.ts";
import {
  ACCEPT,
  baseChain,
  counter,
  ctState,
  DROP,
  icmpv6Type,
  iifname,
  ipProtocol,
  ipSaddr,
  type Json,
  jump,
  l4proto,
  nftJson,
  nftRule,
  regularChain,
  REJECT,
  tcpDport,
} from "./doctor_nft_testing.ts";
import { type FirewallDrop, firewallDrops } from "./doctor_nft_walk.ts";

const IFACES = ["up0", "dn1", "dn2"];
const IP = { family: "ip", table: "filt", chain: "input" };
const IP_INPUT = baseChain({ family: "ip", table: "filt", name: "input", hook: "input" });
const IP_INPUT_DROP = baseChain({
  family: "ip",
  table: "filt",
  name: "input",
  hook: "input",
  policy: "drop",
});

/** The drops of a ruleset, in short: `table chain handle|policy: interfaces, certain`. */
function drops(items: Json[], protocol: ControlProtocol = "igmp"): string[] {
  const parsed = parseNftRuleset(nftJson(...items));
  if (!parsed.ok) throw new Error(parsed.reason);
  return firewallDrops(parsed.value, { protocol, interfaces: IFACES }).map(short);
}

function short(d: FirewallDrop): string {
  return `${d.chain.family} ${d.chain.name} ${d.rule?.handle ?? "policy"}: ` +
    `${d.interfaces.join(",")}${d.certain ? "" : " uncertain"}`;
}

function only(items: Json[], protocol: ControlProtocol = "igmp"): FirewallDrop {
  const parsed = parseNftRuleset(nftJson(...items));
  if (!parsed.ok) throw new Error(parsed.reason);
  const found = firewallDrops(parsed.value, { protocol, interfaces: IFACES });
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
  // A drop the doctor cannot judge is not reported (a rate limit, a source address).
  deepStrictEqual(
    drops([
      ...IP_INPUT,
      nftRule(IP, 3, ipProtocol("igmp"), { limit: { rate: 10, per: "second" } }, DROP),
      nftRule(IP, 4, ipSaddr("192.0.2.0", 24), DROP),
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

Deno.test("firewallDrops: an ingress chain drops on its own devices only", () => {
  const ND = { family: "netdev", table: "nd", chain: "ing" };
  const chain = (dev?: string) => [
    ...baseChain({ family: "netdev", table: "nd", name: "ing", hook: "ingress", dev }),
    nftRule(ND, 2, ipProtocol("igmp"), DROP),
  ];
  deepStrictEqual(drops(chain("dn2")), ["netdev ing 2: dn2"]);
  // nft 1.0.6 does not name the device: nothing can be told.
  deepStrictEqual(drops(chain()), []);
});
