/**
 * The canonical form of an mrouted.conf: what a configuration means, one statement per line,
 * settings at their defaults left out. Parsing the printed text gives the same configuration
 * (positions aside), and printing that gives the same text.
 *
 * Order: the globals, the boundary names, the phyints, the tunnels. A boundary is printed by
 * the first name that has its prefix, else as a prefix.
 *
 * @module
 */

import {
  DEFAULT_CACHE_LIFETIME,
  DEFAULT_METRIC,
  DEFAULT_PHYINT_RATE_LIMIT,
  DEFAULT_PRUNE_LIFETIME,
  DEFAULT_THRESHOLD,
  DEFAULT_TUNNEL_RATE_LIMIT,
  type IfaceRef,
  type Ipv4Prefix,
  type MroutedConfig,
  type PhyintConfig,
  type TunnelConfig,
} from "./config.ts";
import { isReserved } from "./keywords.ts";
import { formatPrefix, samePrefix } from "./values.ts";
import { formatIPv4 } from "../../src/proto/addr.ts";

/**
 * Prints a configuration in canonical form.
 *
 * @example
 * ```ts
 * printMroutedConfig(parseMroutedConfig("phyint le0 metric 2", "x").config!);
 * // "phyint le0 metric 2\n"
 * ```
 */
export function printMroutedConfig(config: MroutedConfig): string {
  const lines: string[] = [];
  if (config.cacheLifetime !== DEFAULT_CACHE_LIFETIME) {
    lines.push(`cache_lifetime ${config.cacheLifetime}`);
  }
  if (config.pruneLifetime !== DEFAULT_PRUNE_LIFETIME) {
    lines.push(`prune_lifetime ${config.pruneLifetime}`);
  }
  if (!config.pruning) lines.push("pruning off");
  for (const [name, prefix] of config.names) lines.push(`name ${name} ${formatPrefix(prefix)}`);
  for (const p of config.phyints) lines.push(printPhyint(config, p));
  for (const t of config.tunnels) lines.push(printTunnel(config, t));
  return lines.map((l) => l + "\n").join("");
}

function printPhyint(config: MroutedConfig, p: PhyintConfig): string {
  const words = ["phyint", printIface(p.iface)];
  if (p.disable) words.push("disable");
  words.push(...printCommon(config, p, DEFAULT_PHYINT_RATE_LIMIT));
  for (const a of p.altnets) words.push("altnet", formatPrefix(a));
  if (p.igmpv1) words.push("igmpv1");
  return words.join(" ");
}

function printTunnel(config: MroutedConfig, t: TunnelConfig): string {
  const remote = t.remote.kind === "address" ? formatIPv4(t.remote.address) : word(t.remote.name);
  const words = ["tunnel", printIface(t.local), remote];
  words.push(...printCommon(config, t, DEFAULT_TUNNEL_RATE_LIMIT));
  return words.join(" ");
}

/** The options phyints and tunnels share, those at their defaults left out. */
function printCommon(
  config: MroutedConfig,
  vif: PhyintConfig | TunnelConfig,
  defaultRateLimit: number,
): string[] {
  const words: string[] = [];
  if (vif.metric !== DEFAULT_METRIC) words.push("metric", String(vif.metric));
  if (vif.threshold !== DEFAULT_THRESHOLD) words.push("threshold", String(vif.threshold));
  if (vif.rateLimit !== defaultRateLimit) words.push("rate_limit", String(vif.rateLimit));
  for (const b of vif.boundaries) words.push("boundary", printBoundary(config, b));
  return words;
}

/** A boundary by the first name of its prefix, else as a prefix. */
function printBoundary(config: MroutedConfig, prefix: Ipv4Prefix): string {
  for (const [name, p] of config.names) if (samePrefix(p, prefix)) return name;
  return formatPrefix(prefix);
}

function printIface(ref: IfaceRef): string {
  return ref.kind === "address" ? formatIPv4(ref.address) : word(ref.name);
}

/**
 * A name as a word the lexer reads back: bare when it can be, else quoted (a keyword, or
 * characters that end a word).
 */
function word(name: string): string {
  if (!isReserved(name) && /^[^\s#{}="'\\$]+$/.test(name)) return name;
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
