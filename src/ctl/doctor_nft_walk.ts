/**
 * Where each IGMP and MLD packet the proxy must receive (a message type arriving on one of its
 * interfaces) ends in the firewall ({@link firewallDrops}): walked through every base chain
 * hooked where it passes, following jumps and gotos, with what `doctor_nft_match.ts` judges of
 * each rule. Upstream the proxy needs only the queries of the router there (as a host it gets
 * nothing else); downstream every message type, the queries of a rival querier included.
 *
 * A drop is uncertain ({@link Doubt}) when a rule before it may accept the packet (or may jump
 * or go elsewhere), when the drop itself, or the jump to its chain, matches on what the doctor
 * cannot judge, or when its chain is hooked at `ingress` of devices nft does not name. A
 * maybe-drop is reported (as uncertain) only when it names the protocol or negates what it
 * cannot judge (`ether saddr != MAC drop`); a drop of some sources, or a rate limit of all
 * traffic, is not. Pure.
 *
 * A chain hooked at `prerouting` sees every IGMP and MLD packet; one at `input` only those
 * delivered locally: queries, reports to 224.0.0.22 (ff02::16) and leaves to 224.0.0.2
 * (ff02::2), which the proxy joins on its LANs, but not a version 1 or 2 report of a group the
 * router has not joined, which reaches the proxy through its Router Alert socket before
 * `input`. Both hooks count alike: a drop at `input` still drops queries and the version 3
 * reports of every current host. A chain hooked at `ingress` sees what arrives on its devices;
 * nft 1.0.6 does not print them, so such a chain is walked for every interface, its drops
 * uncertain.
 *
 * A `goto` is a jump that does not come back: when the packet falls off the end of the chain
 * gone to (or returns from it), it goes back to where the chain that went there was jumped from,
 * and from a base chain to that chain's policy; the rules after the `goto` are not evaluated.
 *
 * @example
 * ```ts
 * const parsed = parseNftRuleset(stdoutOfNft);
 * if (parsed.ok) {
 *   firewallDrops(parsed.value, {
 *     protocol: "igmp",
 *     interfaces: [{ name: "up0", role: "upstream" }, { name: "dn1", role: "downstream" }],
 *   });
 * }
 * ```
 *
 * @module
 */

import type { NftChain, NftRule, NftRuleset } from "./doctor_nft.ts";
import {
  type ControlProtocol,
  judgeRule,
  MESSAGE_TYPES,
  type Packet,
  QUERY_TYPE,
} from "./doctor_nft_match.ts";

/**
 * Why a drop may not take the packet: `before`, a rule before it that the doctor cannot judge
 * may accept it (or take it elsewhere); `rule`, the drop matches on what the doctor cannot
 * judge; `jump`, so does the jump (or goto) to its chain; `device`, its chain is hooked at
 * `ingress` of devices nft does not name.
 */
export type Doubt = "before" | "rule" | "jump" | "device";

/** The order doubts are listed in. */
const DOUBTS: readonly Doubt[] = ["device", "jump", "rule", "before"];

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
  /** Whether it surely takes some packet: no doubt about it (else: it may not). */
  certain: boolean;
  /** Why it may not take them, in a fixed order; empty when it is certain. */
  doubts: Doubt[];
  /** The rule's counter of packets; null without one (and for a policy). */
  packets: number | null;
  /** Whether the rule matches on the protocol or message type, not on all traffic. */
  specific: boolean;
}

/** An interface of the proxy, and its role: upstream only queries matter. */
export interface ProxyInterface {
  name: string;
  role: "upstream" | "downstream";
}

/**
 * The drops of `protocol` arriving on `interfaces`, by each base chain where they pass, in the
 * ruleset's order: every rule (or policy) that drops, or may drop, one of the message types the
 * proxy needs on one of them.
 */
export function firewallDrops(
  ruleset: NftRuleset,
  opts: { protocol: ControlProtocol; interfaces: readonly ProxyInterface[] },
): FirewallDrop[] {
  const drops = new Map<string, FirewallDrop>();
  for (const base of ruleset.chains) {
    for (const iface of opts.interfaces) {
      const seen = sees(base, opts.protocol, iface.name);
      if (seen === "no") continue;
      const types = iface.role === "upstream"
        ? [QUERY_TYPE[opts.protocol]]
        : MESSAGE_TYPES[opts.protocol];
      for (const type of types) {
        const packet: Packet = { protocol: opts.protocol, type, iface: iface.name };
        const walk: Walk = {
          ruleset,
          packet,
          doubts: new Set(seen === "maybe" ? ["device"] : []),
          maybeDrops: [],
        };
        const outcome = walkChain(walk, base, 0) ??
          (base.policy === "drop"
            ? { kind: "drop" as const, chain: base, rule: null, doubts: [...walk.doubts] }
            : undefined);
        for (const maybe of walk.maybeDrops) record(drops, maybe, packet);
        if (outcome?.kind === "drop") record(drops, outcome, packet);
      }
    }
  }
  return [...drops.values()].map((d) => ({
    ...d,
    interfaces: d.interfaces.toSorted(),
    types: MESSAGE_TYPES[d.protocol].filter((t) => d.types.includes(t)),
    doubts: d.certain ? [] : DOUBTS.filter((x) => d.doubts.includes(x)),
  }));
}

/** A walk of one packet through the chains. */
interface Walk {
  ruleset: NftRuleset;
  packet: Packet;
  /** Why what the walk reaches now may not be reached (empty: it surely is). */
  doubts: Set<Doubt>;
  /** The drops that may take the packet on its way (a match the doctor cannot judge). */
  maybeDrops: Drop[];
}

/** A drop of the packet by a rule (or a policy, `rule` null), with what makes it uncertain. */
type Drop = { kind: "drop"; chain: NftChain; rule: NftRule | null; doubts: Doubt[] };

/** Where a walk ends: accepted, or dropped. */
type Outcome = { kind: "accept" } | Drop;

/**
 * Whether a base chain sees the packet: its family, its hook, its devices; "maybe" for an
 * `ingress` chain whose devices nft does not name.
 */
function sees(chain: NftChain, protocol: ControlProtocol, iface: string): "yes" | "no" | "maybe" {
  const family = protocol === "igmp" ? "ip" : "ip6";
  if (chain.family === family || chain.family === "inet") {
    if (chain.hook === "prerouting" || chain.hook === "input") return "yes";
  }
  const ingress = chain.family === "netdev" || chain.family === "inet";
  if (!ingress || chain.hook !== "ingress") return "no";
  if (chain.devices === null) return "maybe";
  return chain.devices.includes(iface) ? "yes" : "no";
}

/** How deep jumps are followed (nft itself allows 16). */
const MAX_JUMPS = 16;

/**
 * Walks a chain's rules; undefined when the packet falls off its end (or `return`s): it goes on
 * after the jump that brought it here, or to the policy of the base chain.
 */
function walkChain(walk: Walk, chain: NftChain, depth: number): Outcome | undefined {
  const rules = walk.ruleset.rules.filter((r) =>
    r.family === chain.family && r.table === chain.table && r.chain === chain.name
  );
  for (const rule of rules) {
    const judged = judgeRule(rule, walk.packet);
    const { verdict, match } = judged;
    if (match === "no" || verdict === undefined) continue;
    if (match === "maybe") {
      if (verdict.kind === "drop") {
        // A drop of some sources is not IGMP's business; one of IGMP, or of all but some, is.
        if (judged.specific || judged.negated) {
          walk.maybeDrops.push({ kind: "drop", chain, rule, doubts: [...walk.doubts, "rule"] });
        }
      } else if (verdict.kind === "jump" || verdict.kind === "goto") {
        followMaybe(walk, chain, verdict.target, depth);
      }
      // What may accept, return or go elsewhere makes the drops after it uncertain.
      if (verdict.kind !== "drop") walk.doubts.add("before");
      continue;
    }
    switch (verdict.kind) {
      case "accept":
        return { kind: "accept" };
      case "drop":
        return { kind: "drop", chain, rule, doubts: [...walk.doubts] };
      case "return":
        return undefined;
      case "jump":
      case "goto": {
        const target = targetOf(walk, chain, verdict.target);
        if (target === undefined || depth >= MAX_JUMPS) {
          walk.doubts.add("before");
          continue;
        }
        const outcome = walkChain(walk, target, depth + 1);
        // After a goto, the rest of this chain is skipped: its end is the end of the target.
        if (outcome !== undefined || verdict.kind === "goto") return outcome;
        continue;
      }
      case "unknown":
        walk.doubts.add("before");
        continue;
    }
  }
  return undefined;
}

/** A chain of the same table, by name. */
function targetOf(walk: Walk, chain: NftChain, name: string): NftChain | undefined {
  return walk.ruleset.chains.find((c) =>
    c.family === chain.family && c.table === chain.table && c.name === name
  );
}

/**
 * A jump (or goto) that may not be taken: the drops in its target are uncertain ("jump"), and
 * nothing the walk finds there decides where the packet ends.
 */
function followMaybe(walk: Walk, chain: NftChain, name: string, depth: number): void {
  const target = targetOf(walk, chain, name);
  if (target === undefined || depth >= MAX_JUMPS) return;
  const maybe: Walk = { ...walk, doubts: new Set([...walk.doubts, "jump"]) };
  const outcome = walkChain(maybe, target, depth + 1);
  if (outcome?.kind === "drop") walk.maybeDrops.push(outcome);
}

/** Adds a packet's drop to the drop of its rule (or policy). */
function record(drops: Map<string, FirewallDrop>, drop: Drop, packet: Packet): void {
  const { chain, rule } = drop;
  const key = `${packet.protocol} ${chain.family} ${chain.table} ${chain.name} ${
    rule?.handle ?? "policy"
  }`;
  const judged = rule === null ? undefined : judgeRule(rule, packet);
  const found = drops.get(key) ?? {
    protocol: packet.protocol,
    chain,
    rule,
    interfaces: [],
    types: [],
    certain: false,
    doubts: [],
    packets: judged?.packets ?? null,
    specific: judged?.specific ?? false,
  };
  if (!found.interfaces.includes(packet.iface)) found.interfaces.push(packet.iface);
  if (!found.types.includes(packet.type)) found.types.push(packet.type);
  found.certain ||= drop.doubts.length === 0;
  for (const doubt of drop.doubts) if (!found.doubts.includes(doubt)) found.doubts.push(doubt);
  drops.set(key, found);
}
