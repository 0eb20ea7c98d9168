/**
 * The doctor's rule about the firewall: IGMP (MLD) arriving on the proxy's interfaces that an
 * nftables rule, or a chain's policy, drops (`doctor_nft_walk.ts` finds them), each with the
 * `nft` command that lets it through; or, once, why the firewall was not checked.
 *
 * @module
 */

import type { DoctorFacts } from "./doctor_facts.ts";
import { FAMILIES, type Finding, list } from "./doctor_findings.ts";
import { type ControlProtocol, MESSAGE_TYPES } from "./doctor_nft_match.ts";
import { type Doubt, type FirewallDrop, firewallDrops } from "./doctor_nft_walk.ts";

/** The messages by type, as a finding names them. */
const MESSAGE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0x11: "queries",
  0x12: "version 1 reports",
  0x16: "version 2 reports",
  0x22: "version 3 reports",
  0x17: "leaves",
  130: "queries",
  131: "version 1 reports",
  143: "version 2 reports",
  132: "dones",
});

/** What an nft rule matches to take a protocol's messages, for the fix. */
const ACCEPTED: Readonly<Record<ControlProtocol, string>> = Object.freeze({
  igmp: "ip protocol igmp",
  mld: "icmpv6 type { mld-listener-query, mld-listener-report, mld-listener-done, " +
    "mld2-listener-report }",
});

/** Why a drop may not apply, as a finding says it (see {@link Doubt}). */
const DOUBT_TEXT: Readonly<Record<Doubt, string>> = Object.freeze({
  device: "if its ingress chain is hooked on their interface: nft -j does not name its devices",
  jump: "if the rule that jumps to its chain, which the doctor cannot judge, takes them",
  rule: "if they match what the doctor cannot judge in it: an address, a set, a rate, " +
    "a raw header",
  before: "unless a rule before it that the doctor cannot judge accepts them",
});

/**
 * firewall: for each family in use, each nft rule or policy that drops its IGMP (MLD) arriving
 * on one of the proxy's interfaces: queries upstream, every message downstream. A problem when
 * it surely applies: nothing puts it in doubt, or it matches only IGMP (MLD) and its counter has
 * dropped some (a counter of all traffic proves nothing of IGMP); a note when it may not.
 * Without a ruleset (no nft, not root), one note that the firewall was not checked.
 */
export function checkFirewall(facts: DoctorFacts): Finding[] {
  const families = FAMILIES.filter((f) => facts.after.interfaces.some((i) => i.family === f));
  if (families.length === 0) return [];
  if (!facts.firewall.ok) {
    return [{
      rule: "firewall",
      severity: "note",
      subject: "nft",
      message: `the firewall was not checked for dropped IGMP and MLD: ${facts.firewall.reason}`,
      fix: "run mcast-proxyctl doctor as root, with nft installed (Debian's nftables " +
        "package), to have it checked; rules of iptables-legacy are not seen by nft",
    }];
  }
  const { ruleset } = facts.firewall;
  return families.flatMap((family) => {
    const protocol: ControlProtocol = family === "ipv4" ? "igmp" : "mld";
    const interfaces = facts.after.interfaces.filter((i) => i.family === family)
      .map((i) => ({ name: i.name, role: i.role }));
    return firewallDrops(ruleset, { protocol, interfaces }).map(dropFinding);
  });
}

/** The finding of one drop. */
function dropFinding(drop: FirewallDrop): Finding {
  const { chain, rule, protocol } = drop;
  const word = protocol === "igmp" ? "IGMP" : "MLD";
  const what = describeTypes(drop);
  const where = `${chain.family} ${chain.table} ${chain.name}`;
  const accept = `${iifMatch(drop.interfaces)} ${ACCEPTED[protocol]} accept`;
  const dropped = (drop.packets ?? 0) > 0;
  // A counter of all traffic counts what else the rule drops: only one of IGMP proves it, and
  // only when the rule itself surely takes the proxy's (a set, an address or a device it
  // cannot judge may hold other interfaces': the count may be theirs).
  const certain = drop.certain ||
    (dropped && drop.specific && drop.doubts.every((d) => d === "before"));
  const unless = certain ? "" : ` (${drop.doubts.map((d) => DOUBT_TEXT[d]).join("; ")})`;
  const arriving = `arriving on ${list(drop.interfaces)}`;
  const devices = !certain && drop.doubts.includes("device")
    ? `\nnft list chain ${where} shows the devices it is hooked on`
    : "";
  if (rule === null) {
    return {
      rule: "firewall",
      severity: certain ? "problem" : "note",
      subject: `${where} policy`,
      message: `the firewall probably drops ${what} ${arriving}: chain ${chain.name} of table ` +
        `${chain.family} ${chain.table} (hook ${chain.hook}) drops by policy, and no rule in it ` +
        `accepts ${word}${unless}; mcast-proxy never sees them`,
      fix: `nft 'insert rule ${where} ${accept}'${devices}`,
    };
  }
  const counted = drop.packets === null
    ? ""
    : dropped
    ? drop.specific
      ? `, and has dropped ${drop.packets} ${word} packets`
      : `, and has dropped ${drop.packets} packets (of all kinds)`
    : ", though its counter shows none dropped yet";
  return {
    rule: "firewall",
    severity: certain ? "problem" : "note",
    subject: `${where} handle ${rule.handle}`,
    message: `the firewall drops ${what} ${arriving}: rule ${rule.handle} of chain ` +
      `${chain.name} in table ${chain.family} ${chain.table}${
        chain.hook === null ? "" : ` (hook ${chain.hook})`
      } drops them${counted}${unless}; mcast-proxy never sees them`,
    fix: `nft 'insert rule ${where} position ${rule.handle} ${accept}'` +
      `\nor delete the rule: nft delete rule ${where} handle ${rule.handle}${devices}`,
  };
}

/** `IGMP`, or `IGMP queries and leaves` when the drop takes only some of its messages. */
function describeTypes(drop: FirewallDrop): string {
  const word = drop.protocol === "igmp" ? "IGMP" : "MLD";
  if (drop.types.length === MESSAGE_TYPES[drop.protocol].length) return word;
  const names = [...new Set(drop.types.map((t) => MESSAGE_NAMES[t]))];
  const last = names.pop()!;
  return `${word} ${names.length === 0 ? last : `${names.join(", ")} and ${last}`}`;
}

/** `iifname "dn1"`, `iifname { "dn1", "up0" }`. */
function iifMatch(interfaces: readonly string[]): string {
  const quoted = interfaces.map((i) => JSON.stringify(i));
  return quoted.length === 1 ? `iifname ${quoted[0]}` : `iifname { ${quoted.join(", ")} }`;
}
