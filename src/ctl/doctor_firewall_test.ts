import { deepStrictEqual, equal, match } from "node:assert/strict";
import { diagnose, type Finding } from "./doctor.ts";
import type { DoctorFacts } from "./doctor_facts.ts";
import { parseNftRuleset } from "./doctor_nft.ts";
import {
  ACCEPT,
  baseChain,
  counter,
  DROP,
  etherSaddr,
  icmpv6Type,
  igmpType,
  iifname,
  ipProtocol,
  ipSaddr,
  type Json,
  limit,
  nftJson,
  nftRule,
  tcpDport,
} from "./doctor_nft_testing.ts";
import { healthyFacts } from "./doctor_testing.ts";

/** The healthy router behind a firewall of `items`; the firewall's findings. */
function firewall(...items: Json[]): Finding[] {
  const facts = healthyFacts();
  const parsed = parseNftRuleset(nftJson(...items));
  if (!parsed.ok) throw new Error(parsed.reason);
  facts.firewall = { ok: true, ruleset: parsed.value };
  return findings(facts);
}

function findings(facts: DoctorFacts): Finding[] {
  return diagnose(facts).filter((f) => f.rule === "firewall");
}

const PRE = { family: "ip", table: "filt", chain: "pre" };
const IP_PRE = baseChain({ family: "ip", table: "filt", name: "pre", hook: "prerouting" });
const IN = { family: "inet", table: "fw", chain: "input" };
const INET_INPUT_DROP = baseChain({
  family: "inet",
  table: "fw",
  name: "input",
  hook: "input",
  policy: "drop",
});

Deno.test("firewall: an empty ruleset drops nothing", () => {
  deepStrictEqual(firewall(), []);
  deepStrictEqual(findings(healthyFacts()), []);
});

Deno.test("firewall: a rule that has dropped IGMP, with the nft command that lets it through", () => {
  const [f, ...more] = firewall(
    ...IP_PRE,
    nftRule(PRE, 7, iifname(["dn1", "dn2"]), ipProtocol("igmp"), counter(12), DROP),
  );
  deepStrictEqual(more, []);
  deepStrictEqual(f, {
    rule: "firewall",
    severity: "problem",
    subject: "ip filt pre handle 7",
    message: "the firewall drops IGMP arriving on dn1, dn2: rule 7 of chain pre in table ip " +
      "filt (hook prerouting) drops them, and has dropped 12 IGMP packets; mcast-proxy never " +
      "sees them",
    fix: `nft 'insert rule ip filt pre position 7 iifname { "dn1", "dn2" } ip protocol igmp ` +
      `accept'\nor delete the rule: nft delete rule ip filt pre handle 7`,
  });
});

Deno.test("firewall: the counter says what it can; what may not apply is a note", () => {
  const none = firewall(...IP_PRE, nftRule(PRE, 3, iifname("up0"), counter(0), DROP));
  equal(none[0].severity, "problem");
  equal(
    none[0].message,
    "the firewall drops IGMP queries arriving on up0: rule 3 of chain pre in table ip filt (hook " +
      "prerouting) drops them, though its counter shows none dropped yet; mcast-proxy never " +
      "sees them",
  );
  const all = firewall(...IP_PRE, nftRule(PRE, 3, iifname("up0"), counter(90), DROP));
  equal(
    all[0].message,
    "the firewall drops IGMP queries arriving on up0: rule 3 of chain pre in table ip filt (hook " +
      "prerouting) drops them, and has dropped 90 packets (of all kinds); mcast-proxy never " +
      "sees them",
  );
  // A rule the doctor cannot judge comes first: a note; unless the counter shows drops.
  const after = (n?: number) =>
    firewall(
      ...IP_PRE,
      nftRule(PRE, 2, ipSaddr("10.0.0.0", 8), ACCEPT),
      nftRule(PRE, 3, ipProtocol("igmp"), ...(n === undefined ? [] : [counter(n)]), DROP),
    )[0];
  equal(after().severity, "note");
  equal(
    after().message,
    "the firewall drops IGMP arriving on dn1, dn2, up0: rule 3 of chain pre in table ip filt " +
      "(hook prerouting) drops them (unless a rule before it that the doctor cannot judge " +
      "accepts them); mcast-proxy never sees them",
  );
  equal(after(0).severity, "note");
  equal(after(4).severity, "problem");
});

Deno.test("firewall: a policy of drop with no accept of IGMP or MLD names the chain", () => {
  const found = firewall(
    ...INET_INPUT_DROP,
    nftRule(IN, 2, tcpDport(22), ACCEPT),
    nftRule(IN, 3, icmpv6Type(["mld-listener-report", "mld2-listener-report"]), ACCEPT),
  );
  deepStrictEqual(found.map((f) => [f.severity, f.subject]), [
    ["problem", "inet fw input policy"],
    ["problem", "inet fw input policy"],
  ]);
  const [igmp, mld] = found;
  equal(
    igmp.message,
    "the firewall probably drops IGMP arriving on dn1, dn2, up0: chain input of table inet fw " +
      "(hook input) drops by policy, and no rule in it accepts IGMP; mcast-proxy never sees them",
  );
  equal(
    igmp.fix,
    `nft 'insert rule inet fw input iifname { "dn1", "dn2", "up0" } ip protocol igmp accept'`,
  );
  // The reports are accepted: the queries and dones are not.
  equal(
    mld.message,
    "the firewall probably drops MLD queries and dones arriving on dn1, up0: chain input of " +
      "table inet fw (hook input) drops by policy, and no rule in it accepts MLD; mcast-proxy " +
      "never sees them",
  );
  equal(
    mld.fix,
    `nft 'insert rule inet fw input iifname { "dn1", "up0" } icmpv6 type { mld-listener-query, ` +
      "mld-listener-report, mld-listener-done, mld2-listener-report } accept'",
  );
  // A maybe-accept before the policy: a note.
  const maybe = firewall(...INET_INPUT_DROP, nftRule(IN, 2, ipSaddr("10.0.0.0", 8), ACCEPT));
  deepStrictEqual(maybe.map((f) => f.severity), ["note", "problem"]);
});

Deno.test("firewall: only the families in use; without nft, one note that says why", () => {
  const facts = healthyFacts();
  const parsed = parseNftRuleset(nftJson(...INET_INPUT_DROP));
  if (!parsed.ok) throw new Error(parsed.reason);
  facts.firewall = { ok: true, ruleset: parsed.value };
  for (const sample of [facts.before, facts.after]) {
    sample.interfaces = sample.interfaces.filter((i) => i.family === "ipv6");
  }
  const [only, ...more] = findings(facts);
  deepStrictEqual(more, []);
  match(only.message, /^the firewall probably drops MLD arriving on dn1, up0: /);

  const unread = healthyFacts();
  unread.firewall = { ok: false, reason: "nft failed (exit 1): Operation not permitted" };
  deepStrictEqual(findings(unread), [{
    rule: "firewall",
    severity: "note",
    subject: "nft",
    message: "the firewall was not checked for dropped IGMP and MLD: nft failed (exit 1): " +
      "Operation not permitted",
    fix: "run mcast-proxyctl doctor as root, with nft installed (Debian's nftables package), " +
      "to have it checked; rules of iptables-legacy are not seen by nft",
  }]);
  for (const sample of [unread.before, unread.after]) sample.interfaces = [];
  deepStrictEqual(findings(unread), [], "no interface: nothing to say");
});

Deno.test("firewall: a counter of all traffic proves nothing of IGMP after a rule in doubt", () => {
  // `limit rate 10/second accept` then `counter drop`: the counter counts what else it drops.
  const all = firewall(
    ...IP_PRE,
    nftRule(PRE, 2, limit(10), ACCEPT),
    nftRule(PRE, 3, counter(50), DROP),
  );
  deepStrictEqual(all.map((f) => f.severity), ["note"]);
  equal(
    all[0].message,
    "the firewall drops IGMP arriving on dn1, dn2, up0: rule 3 of chain pre in table ip filt " +
      "(hook prerouting) drops them, and has dropped 50 packets (of all kinds) (unless a rule " +
      "before it that the doctor cannot judge accepts them); mcast-proxy never sees them",
  );
  // A counter of a rule that takes only IGMP does prove it.
  const igmp = firewall(
    ...IP_PRE,
    nftRule(PRE, 2, limit(10), ACCEPT),
    nftRule(PRE, 3, ipProtocol("igmp"), counter(50), DROP),
  );
  deepStrictEqual(igmp.map((f) => f.severity), ["problem"]);
  // But not when the rule itself holds what the doctor cannot judge (`ip saddr` here, as a set
  // of interfaces would): its count may be of other hosts' or interfaces' IGMP.
  const some = firewall(
    ...IP_PRE,
    nftRule(PRE, 3, ipProtocol("igmp"), ipSaddr("192.0.2.0", 24), counter(50), DROP),
  );
  deepStrictEqual(some.map((f) => f.severity), ["note"]);
});

Deno.test("firewall: upstream, only the queries of the router there are the proxy's business", () => {
  // Reports arriving upstream are other hosts': dropping them is no finding.
  deepStrictEqual(
    firewall(
      ...IP_PRE,
      nftRule(PRE, 3, iifname("up0"), igmpType(["membership-report-v3", "leave-group"]), DROP),
    ),
    [],
  );
  const [f] = firewall(...IP_PRE, nftRule(PRE, 3, iifname("up0"), ipProtocol("igmp"), DROP));
  match(f.message, /^the firewall drops IGMP queries arriving on up0: rule 3 /);
});

Deno.test("firewall: a drop in doubt says why: a match it cannot judge, an ingress chain", () => {
  const [negated] = firewall(
    ...IP_PRE,
    nftRule(PRE, 4, etherSaddr("02:00:00:00:00:01", "!="), DROP),
  );
  equal(negated.severity, "note");
  equal(
    negated.message,
    "the firewall drops IGMP arriving on dn1, dn2, up0: rule 4 of chain pre in table ip filt " +
      "(hook prerouting) drops them (if they match what the doctor cannot judge in it: an " +
      "address, a set, a rate, a raw header); mcast-proxy never sees them",
  );
  const ND = { family: "netdev", table: "nd", chain: "ing" };
  const [ingress] = firewall(
    ...baseChain({ family: "netdev", table: "nd", name: "ing", hook: "ingress" }),
    nftRule(ND, 2, ipProtocol("igmp"), counter(0), DROP),
  );
  equal(ingress.severity, "note");
  equal(
    ingress.message,
    "the firewall drops IGMP arriving on dn1, dn2, up0: rule 2 of chain ing in table netdev nd " +
      "(hook ingress) drops them, though its counter shows none dropped yet (if its ingress " +
      "chain is hooked on their interface: nft -j does not name its devices); mcast-proxy never " +
      "sees them",
  );
  equal(
    ingress.fix,
    `nft 'insert rule netdev nd ing position 2 iifname { "dn1", "dn2", "up0" } ip protocol ` +
      `igmp accept'\nor delete the rule: nft delete rule netdev nd ing handle 2` +
      "\nnft list chain netdev nd ing shows the devices it is hooked on",
  );
});
