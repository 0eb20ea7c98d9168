/**
 * Shared fixtures of the proxy core's tests: a standard set of interfaces (upstream `up0`,
 * downstream `dn1` to `dn3`), packet and upcall feeders, and action formatters.
 *
 * @module
 */

import type { Action } from "./actions.ts";
import {
  createProxy,
  IGMPMSG_NOCACHE,
  type ProxyInterface,
  type ProxyState,
  step,
} from "./proxy.ts";
import { DEFAULT_TIMERS } from "./timers.ts";
import { decodeIgmp } from "../proto/igmp.ts";
import { encodeLeave, encodeV2Report } from "../proto/igmp_encode.ts";
import { formatIPv4 } from "../proto/addr.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";

/** The upstream interface, VIF 0. */
export const UP: ProxyInterface = {
  name: "up0",
  ifindex: 10,
  role: "upstream",
  address: ip("10.0.0.1"),
  subnets: [{ address: ip("10.0.0.1"), prefixLength: 24 }],
  sources: [{ address: ip("192.0.2.0"), prefixLength: 24 }],
  threshold: 1,
  timers: DEFAULT_TIMERS,
  boundaries: [],
  queryVersion: 3,
};
/** A downstream LAN, VIF 1. */
export const DN1: ProxyInterface = {
  name: "dn1",
  ifindex: 11,
  role: "downstream",
  address: ip("10.1.0.1"),
  subnets: [{ address: ip("10.1.0.1"), prefixLength: 24 }],
  sources: [],
  threshold: 1,
  timers: DEFAULT_TIMERS,
  boundaries: [],
  queryVersion: 3,
};
/** A second LAN, VIF 2. */
export const DN2: ProxyInterface = {
  ...DN1,
  name: "dn2",
  ifindex: 12,
  address: ip("10.2.0.1"),
  subnets: [{ address: ip("10.2.0.1"), prefixLength: 24 }],
};
/** The group of most tests. */
export const G = ip("239.1.1.1");
/** A source on the upstream subnet. */
export const S = ip("10.0.0.2");

/** A started proxy on `up0`, `dn1` and `dn2`. */
export function proxy(): ProxyState {
  const state = createProxy({ interfaces: [UP, DN1, DN2] });
  step(state, { kind: "start" }, 0);
  return state;
}

/** Feeds an IGMP packet from `from` to `to` on an interface. */
export function packet(
  state: ProxyState,
  opts: { ifindex: number; from: string; to: number; igmp: Uint8Array },
  now: number,
): Action[] {
  const data = buildIPv4Packet({ source: ip(opts.from), destination: opts.to, payload: opts.igmp });
  return step(state, { kind: "packet", ifindex: opts.ifindex, data, length: data.length }, now);
}

/** Feeds an IGMPv2 report for {@link G}. */
export function report(state: ProxyState, ifindex: number, from: string, now: number): Action[] {
  return packet(state, { ifindex, from, to: G, igmp: encodeV2Report(G) }, now);
}

/** Feeds an IGMPv2 Leave for {@link G}. */
export function leave(state: ProxyState, ifindex: number, from: string, now: number): Action[] {
  return packet(state, { ifindex, from, to: ip("224.0.0.2"), igmp: encodeLeave(G) }, now);
}

/** Feeds an IGMPMSG_NOCACHE upcall for {@link G}. */
export function upcall(state: ProxyState, vif: number, source: number, now: number): Action[] {
  return step(state, { kind: "upcall", msgtype: IGMPMSG_NOCACHE, vif, source, group: G }, now);
}

/** The actions that change the kernel: not log lines, not counter reads (`sampleMfc`). */
export function kernelActions(actions: Action[]): Action[] {
  return actions.filter((a) => a.kind !== "log" && a.kind !== "sampleMfc");
}

/** The Max Resp Time of a query action, in ms. */
export function maxRespTime(a: Action): number {
  if (a.kind !== "sendQuery") throw new TypeError(`Not a query: ${a.kind}`);
  const m = decodeIgmp(a.message, 0, a.message.length);
  if (!m.ok || m.value.type !== "query") throw new TypeError("Not a query");
  return m.value.maxRespTimeMs;
}

/** The IGMP messages sent on an interface. */
export function queriesOn(actions: Action[], ifindex: number): Action[] {
  return actions.filter((a) => a.kind === "sendQuery" && a.ifindex === ifindex);
}

/** The messages of the log actions of one level. */
export function logLines(actions: Action[], level: "info" | "debug"): string[] {
  return actions.flatMap((a) => a.kind === "log" && a.level === level ? [a.message] : []);
}

/** A second group. */
export const G2 = ip("239.1.1.2");
/** A third LAN, absent at start. */
export const DN3: ProxyInterface = {
  ...DN1,
  name: "dn3",
  ifindex: 13,
  address: ip("10.3.0.1"),
  subnets: [{ address: ip("10.3.0.1"), prefixLength: 24 }],
};

/** Kernel actions as short strings, e.g. `addMfc 10.0.0.2 239.1.1.1 from 0 to 1,2`. */
export function describe(actions: Action[]): string[] {
  return kernelActions(actions).map((a) => {
    switch (a.kind) {
      case "addVif":
      case "delVif":
        return `${a.kind} ${a.vifi} ${a.name}`;
      case "join":
      case "leave":
        return `${a.kind} ${formatIPv4(a.group)} ${a.name}`;
      case "addMfc":
        return `addMfc ${formatIPv4(a.source)} ${formatIPv4(a.group)} from ${a.parent} to ${
          a.oifs.map((o) => o.vifi).join(",")
        }`;
      case "delMfc":
        return `delMfc ${formatIPv4(a.source)} ${formatIPv4(a.group)}`;
      case "sendQuery":
        return `query ${a.name}`;
      default:
        return a.kind;
    }
  });
}

/** Feeds an IGMPv2 report for `group`. */
export function reportFor(
  state: ProxyState,
  group: number,
  opts: { ifindex: number; from: string },
  now: number,
): Action[] {
  return packet(state, { ...opts, to: group, igmp: encodeV2Report(group) }, now);
}

/** Feeds `interface-up`. */
export function up(state: ProxyState, iface: ProxyInterface, now: number): Action[] {
  return step(state, { kind: "interface-up", iface }, now);
}

/** Feeds `interface-down`. */
export function down(state: ProxyState, name: string, now: number, reason?: string): Action[] {
  return step(state, { kind: "interface-down", name, reason }, now);
}
