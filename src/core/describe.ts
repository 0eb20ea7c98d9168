/**
 * The core's lifecycle log lines in words: an interface's role and settings, the timers that
 * differ from the RFC defaults, and what a reload changed.
 *
 * @module
 */

import type { Family } from "./family.ts";
import type { ProxyInterface, ProxyState, VifState } from "./state.ts";
import type { Address, Subnet } from "./subnet.ts";
import { DEFAULT_TIMERS, formatTimer, type ProtocolTimers, TIMER_KEYWORDS } from "./timers.ts";

/**
 * The protocol variables that differ from the RFC defaults, as the configuration file writes
 * them, e.g. `query-interval 30s, last-member-query-count 3`; empty when none differs.
 */
export function describeTimers(t: ProtocolTimers): string {
  return TIMER_KEYWORDS.filter((k) => t[k.field] !== DEFAULT_TIMERS[k.field])
    .map((k) => `${k.keyword} ${formatTimer(k.field, t[k.field], { withUnit: true })}`)
    .join(", ");
}

/** `, boundaries 239.255.0.0/16 239.192.0.0/14` for the interface line; empty without any. */
function describeBoundaries<A extends Address>(family: Family<A>, boundaries: Subnet<A>[]): string {
  if (boundaries.length === 0) return "";
  const word = boundaries.length === 1 ? "boundary" : "boundaries";
  return `, ${word} ${boundaries.map((b) => family.formatSubnet(b)).join(" ")}`;
}

/**
 * `downstream as VIF 2, address 10.2.0.1, threshold 1[, boundary …]` for the interface lines
 * (IPv6: `downstream as MIF 2, address fe80::1[, boundary …]`).
 */
export function describeVif<A extends Address>(state: ProxyState<A>, vif: VifState<A>): string {
  const { family } = state;
  return `${vif.role} as ${family.vifWord} ${vif.vifi}, address ${family.format(vif.address)}${
    family.thresholds ? `, threshold ${vif.threshold}` : ""
  }${describeBoundaries(family, vif.boundaries)}`;
}

/**
 * What differs between an interface's settings and new ones, for the log, e.g.
 * `["threshold 1 -> 8", "query-interval 125s -> 30s"]`; empty when nothing does.
 */
export function describeSettingsChange<A extends Address>(
  family: Family<A>,
  old: ProxyInterface<A>,
  next: ProxyInterface<A>,
): string[] {
  const changes: string[] = [];
  const subnets = (list: Subnet<A>[]) =>
    list.length === 0 ? "none" : list.map((s) => family.formatSubnet(s)).join(" ");
  if (family.thresholds && old.threshold !== next.threshold) {
    changes.push(`threshold ${old.threshold} -> ${next.threshold}`);
  }
  if (subnets(old.sources) !== subnets(next.sources)) {
    changes.push(`sources ${subnets(old.sources)} -> ${subnets(next.sources)}`);
  }
  if (subnets(old.boundaries) !== subnets(next.boundaries)) {
    changes.push(`boundaries ${subnets(old.boundaries)} -> ${subnets(next.boundaries)}`);
  }
  if (old.role === "downstream") {
    if (old.queryVersion !== next.queryVersion) {
      const name = (v: number) => family.versionName(v);
      changes.push(`querier ${name(old.queryVersion)} -> ${name(next.queryVersion)}`);
    }
    for (const k of TIMER_KEYWORDS) {
      const [a, b] = [old.timers[k.field], next.timers[k.field]];
      if (a === b) continue;
      const show = (v: number) => formatTimer(k.field, v, { withUnit: true });
      changes.push(`${k.keyword} ${show(a)} -> ${show(b)}`);
    }
  }
  return changes;
}
