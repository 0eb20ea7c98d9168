/**
 * The firewall's ruleset as `nft -j list ruleset` prints it ({@link parseNftRuleset}): its
 * chains (a base chain with its hook, policy and devices) and its rules, each with its handle
 * and its statements as nft's JSON has them. Debian's iptables is iptables-nft: its rules are in
 * this ruleset too. What the rules do to IGMP and MLD is `doctor_nft_walk.ts`'s. Pure.
 *
 * The JSON, as nft 1.0.6 prints it:
 *
 * ```text
 * {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
 *   {"table": {"family": "ip", "name": "filt", "handle": 1}},
 *   {"chain": {"family": "ip", "table": "filt", "name": "input", "handle": 1, "type": "filter",
 *              "hook": "input", "prio": 0, "policy": "drop"}},
 *   {"rule": {"family": "ip", "table": "filt", "chain": "input", "handle": 3, "expr": [
 *     {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "dn1"}},
 *     {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "protocol"}},
 *                "right": "igmp"}},
 *     {"counter": {"packets": 0, "bytes": 0}}, {"drop": null}]}}]}
 * ```
 *
 * @module
 */

/** A chain of the ruleset. */
export interface NftChain {
  /** `ip`, `ip6`, `inet`, `netdev`, `bridge`, `arp`. */
  family: string;
  table: string;
  name: string;
  /** A base chain's hook (`prerouting`, `input`, `ingress`, ...); null for a regular chain. */
  hook: string | null;
  /** A base chain's policy; null for a regular chain. */
  policy: "accept" | "drop" | null;
  /** The devices of an `ingress` chain, when nft names them; null when it does not. */
  devices: string[] | null;
}

/** A rule: its chain, its handle, and its statements as nft's JSON has them. */
export interface NftRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  expr: readonly unknown[];
}

/** The chains and rules of a ruleset, in nft's order. */
export interface NftRuleset {
  chains: NftChain[];
  rules: NftRule[];
}

/** A ruleset, or why nft's output is not one. */
export type ParsedRuleset = { ok: true; value: NftRuleset } | { ok: false; reason: string };

/** Reads the output of `nft -j list ruleset`: `{"nftables": [{"metainfo"}, {"table"}, ...]}`. */
export function parseNftRuleset(text: string): ParsedRuleset {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: "its output is not JSON" };
  }
  const items = isObject(parsed) ? parsed.nftables : undefined;
  if (!Array.isArray(items)) return { ok: false, reason: 'its output has no "nftables" list' };
  const value: NftRuleset = { chains: [], rules: [] };
  for (const item of items) {
    if (!isObject(item)) continue;
    const chain = item.chain;
    if (isObject(chain) && typeof chain.name === "string") {
      const dev = chain.dev;
      value.chains.push({
        family: String(chain.family),
        table: String(chain.table),
        name: chain.name,
        hook: typeof chain.hook === "string" ? chain.hook : null,
        policy: chain.policy === "drop" ? "drop" : chain.hook === undefined ? null : "accept",
        devices: typeof dev === "string"
          ? [dev]
          : Array.isArray(dev)
          ? dev.filter((d): d is string => typeof d === "string")
          : null,
      });
    }
    const rule = item.rule;
    if (isObject(rule) && typeof rule.chain === "string" && Array.isArray(rule.expr)) {
      value.rules.push({
        family: String(rule.family),
        table: String(rule.table),
        chain: rule.chain,
        handle: typeof rule.handle === "number" ? rule.handle : -1,
        expr: rule.expr,
      });
    }
  }
  return { ok: true, value };
}

/** Whether a JSON value is an object (not an array, not null). */
export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
