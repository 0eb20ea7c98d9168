/**
 * Where each IGMP and MLD packet the proxy must receive (a message type arriving on one of its
 * interfaces) ends in the firewall ({@link firewallDrops}): walked through every base chain
 * hooked where it passes, following jumps, with what `doctor_nft_match.ts` judges of each rule.
 * A maybe-drop is never reported; a maybe-accept, or a maybe-jump, before a drop makes that
 * drop uncertain. Pure.
 *
 * A chain hooked at `prerouting` sees every IGMP and MLD packet; one at `input` only those
 * delivered locally: queries, reports to 224.0.0.22 (ff02::16) and leaves to 224.0.0.2
 * (ff02::2), which the proxy joins on its LANs, but not a version 1 or 2 report of a group the
 * router has not joined, which reaches the proxy through its Router Alert socket before
 * `input`. Both hooks count alike: a drop at `input` still drops queries and the version 3
 * reports of every current host.
 *
 * @example
 * ```ts
 * const parsed = parseNftRuleset(stdoutOfNft);
 * if (parsed.ok) firewallDrops(parsed.value, { protocol: "igmp", interfaces: ["up0", "dn1"] });
 * ```
 *
 * @module
 */

import type { NftChain, NftRule, NftRuleset } from "./doctor_nft.ts";
import { type ControlProtocol, judgeRule, MESSAGE_TYPES, type Packet } from "./doctor_nft_match.ts";

/** A drop of IGMP or MLD: a rule, or a base chain's policy. */
export interface FirewallDrop {
  protocol: ControlProtocol;
  /** The chain the rule is in; for a policy, the base chain. */
  chain: NftChain;
  /** The rule; null for the chain's policy. */
  rule: NftRule | null;
  /** The proxy's interfaces whose packets it drops, sorted. */
  interfaces: string[];
  /** The message types it drops, in {@link MESSAGE_TYPES} order. */
  types: number[];
  /** Whether nothing the walk could not judge came before it (else: it may not be reached). */
  certain: boolean;
  /** The rule's counter of packets; null without one (and for a policy). */
  packets: number | null;
  /** Whether the rule matches on the protocol or message type, not on all traffic. */
  specific: boolean;
}

/**
 * The drops of `protocol` arriving on `interfaces`, by each base chain where they pass, in the
 * ruleset's order: every rule (or policy) that drops one of its message types on one of them.
 */
export function firewallDrops(
  ruleset: NftRuleset,
  opts: { protocol: ControlProtocol; interfaces: readonly string[] },
): FirewallDrop[] {
  const drops = new Map<string, FirewallDrop>();
  for (const base of ruleset.chains) {
    for (const iface of opts.interfaces) {
      if (!passes(base, opts.protocol, iface)) continue;
      for (const type of MESSAGE_TYPES[opts.protocol]) {
        const packet: Packet = { protocol: opts.protocol, type, iface };
        const walk = { ruleset, packet, uncertain: false };
        const outcome = walkChain(walk, base, 0) ??
          (base.policy === "drop"
            ? { kind: "drop" as const, chain: base, rule: null, certain: !walk.uncertain }
            : undefined);
        if (outcome === undefined || outcome.kind === "accept") continue;
        record(drops, outcome, packet);
      }
    }
  }
  return [...drops.values()].map((d) => ({
    ...d,
    interfaces: d.interfaces.toSorted(),
    types: MESSAGE_TYPES[d.protocol].filter((t) => d.types.includes(t)),
  }));
}

/** A walk of one packet through the chains. */
interface Walk {
  ruleset: NftRuleset;
  packet: Packet;
  /** A rule the walk could not judge might have taken the packet before. */
  uncertain: boolean;
}

/** Where a walk ends: accepted, or dropped by a rule (or a policy, `rule` null). */
type Outcome =
  | { kind: "accept" }
  | { kind: "drop"; chain: NftChain; rule: NftRule | null; certain: boolean };

/** Whether a base chain sees the packet: its family, its hook, its devices. */
function passes(chain: NftChain, protocol: ControlProtocol, iface: string): boolean {
  const family = protocol === "igmp" ? "ip" : "ip6";
  if (chain.family === family || chain.family === "inet") {
    if (chain.hook === "prerouting" || chain.hook === "input") return true;
  }
  const ingress = chain.family === "netdev" || chain.family === "inet";
  return ingress && chain.hook === "ingress" && (chain.devices?.includes(iface) ?? false);
}

/** How deep jumps are followed (nft itself allows 16). */
const MAX_JUMPS = 16;

/** Walks a chain's rules; undefined when the packet falls off its end (or `return`s). */
function walkChain(walk: Walk, chain: NftChain, depth: number): Outcome | undefined {
  const rules = walk.ruleset.rules.filter((r) =>
    r.family === chain.family && r.table === chain.table && r.chain === chain.name
  );
  for (const rule of rules) {
    const judged = judgeRule(rule, walk.packet);
    if (judged.match === "no") continue;
    const { verdict, match } = judged;
    if (verdict === undefined) continue;
    if (match === "maybe") {
      // A drop that may not apply is not reported; what may accept makes later drops uncertain.
      if (verdict.kind !== "drop") walk.uncertain = true;
      continue;
    }
    switch (verdict.kind) {
      case "accept":
        return { kind: "accept" };
      case "drop":
        return { kind: "drop", chain, rule, certain: !walk.uncertain };
      case "return":
        return undefined;
      case "jump": {
        const target = walk.ruleset.chains.find((c) =>
          c.family === chain.family && c.table === chain.table && c.name === verdict.target
        );
        if (target === undefined || depth >= MAX_JUMPS) {
          walk.uncertain = true;
          continue;
        }
        const outcome = walkChain(walk, target, depth + 1);
        if (outcome !== undefined) return outcome;
        continue;
      }
      case "unknown":
        walk.uncertain = true;
        continue;
    }
  }
  return undefined;
}

/** Adds a packet's drop to the drop of its rule (or policy). */
function record(
  drops: Map<string, FirewallDrop>,
  outcome: Extract<Outcome, { kind: "drop" }>,
  packet: Packet,
): void {
  const { chain, rule } = outcome;
  const key = `${packet.protocol} ${chain.family} ${chain.table} ${chain.name} ${
    rule?.handle ?? "policy"
  }`;
  const judged = rule === null ? undefined : judgeRule(rule, packet);
  const drop = drops.get(key) ?? {
    protocol: packet.protocol,
    chain,
    rule,
    interfaces: [],
    types: [],
    certain: false,
    packets: judged?.packets ?? null,
    specific: judged?.specific ?? false,
  };
  if (!drop.interfaces.includes(packet.iface)) drop.interfaces.push(packet.iface);
  if (!drop.types.includes(packet.type)) drop.types.push(packet.type);
  drop.certain ||= outcome.certain;
  drops.set(key, drop);
}
