/**
 * Shared fixtures of the status views' tests: one running core per family with every kind of
 * state the views show (a rival querier, an IGMPv1 router, INCLUDE and EXCLUDE memberships of
 * each version, an SSM channel, installed entries and a waiting source, drops), and the kernel
 * counters read for it, some of them missing.
 *
 * @module
 */

import type { Action } from "./actions.ts";
import type { DumpCounters } from "./dump.ts";
import { MLD_FAMILY } from "./mld_family.ts";
import { createProxy, type ProxyInterface, type ProxyState, step } from "./proxy.ts";
import { DN1, DN2, G, G2, packet, report, reportFor, S, UP, upcall } from "./proxy_testing.ts";
import { bigIntToIPv6, ipv6ToBigInt, parseIPv6 } from "../proto/addr.ts";
import { encodeQuery, encodeV1Report, encodeV3Report } from "../proto/igmp_encode.ts";
import { encodeMldQuery, encodeMldV1Report, encodeMldV2Report } from "../proto/mld_encode.ts";
import { ip } from "../proto/testing.ts";

/** A core, the counters read for it, and the time of the views. */
export interface StatusScenario<A extends number | bigint> {
  state: ProxyState<A>;
  counters: DumpCounters<A>;
  now: number;
}

/** LAN 1 at .100, so that a rival querier can be lower, with a boundary. */
export const LAN1: ProxyInterface = {
  ...DN1,
  address: ip("10.1.0.100"),
  boundaries: [{ address: ip("239.255.0.0"), prefixLength: 16 }],
};
/** A second upstream sender, excluded on LAN 2. */
export const S2 = ip("10.0.0.3");
/** An SSM channel's group. */
export const SSM = ip("232.1.1.1");

/**
 * IPv4 at 12 s, on `up0` (VIF 0), `dn1` (VIF 1, LAN1) and `dn2` (VIF 2):
 *
 * - `dn1`: an IGMPv2 report for G from 10.1.0.12 at 10 ms; at 2 s 10.1.0.11 queries and is
 *   querier from then on.
 * - `dn2`: at 10 ms TO_EX {S2} for G from 10.2.0.11 and ALLOW {S} for the SSM group from
 *   10.2.0.12, at 20 ms an IGMPv1 report for G2 from 10.2.0.13; at 4 s an IGMPv1 router
 *   (10.2.0.200) queries.
 * - (S, G) installed at 1 s (to VIFs 1 2, then 2 only), (S, SSM) at 1 s to 2; (S2, G) waits
 *   since 3 s (the LAN that takes it is not ours to serve, the other excludes S2).
 * - A report from outside dn1's subnets is dropped at 5 s.
 * - Counters: VIFs 0 and 1 and (S, G) read; VIF 2 and (S, SSM) not.
 */
export function ipv4Scenario(): StatusScenario<number> {
  const state = createProxy({ interfaces: [UP, LAN1, DN2] });
  step(state, { kind: "start" }, 0);
  const v3 = (ifindex: number, from: string, igmp: Uint8Array, now: number) =>
    packet(state, { ifindex, from, to: ip("224.0.0.22"), igmp }, now);
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  v3(DN2.ifindex, "10.2.0.11", encodeV3Report([{ recordType: 4, group: G, sources: [S2] }]), 10);
  v3(DN2.ifindex, "10.2.0.12", encodeV3Report([{ recordType: 5, group: SSM, sources: [S] }]), 10);
  packet(state, { ifindex: DN2.ifindex, from: "10.2.0.13", to: G2, igmp: encodeV1Report(G2) }, 20);
  upcall(state, 0, S, 1000);
  step(state, { kind: "upcall", msgtype: 1, vif: 0, source: S, group: SSM }, 1000);
  const general = encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 2 });
  packet(
    state,
    { ifindex: LAN1.ifindex, from: "10.1.0.11", to: ip("224.0.0.1"), igmp: general },
    2000,
  );
  upcall(state, 0, S2, 3000);
  // An IGMPv1 query: type 0x11, code 0, checksum, group 0.
  const v1Query = new Uint8Array([0x11, 0, 0xee, 0xff, 0, 0, 0, 0]);
  packet(
    state,
    { ifindex: DN2.ifindex, from: "10.2.0.200", to: ip("224.0.0.1"), igmp: v1Query },
    4000,
  );
  reportFor(state, G, { ifindex: LAN1.ifindex, from: "192.0.2.9" }, 5000);
  // The upstream router queries; data comes from a sender outside up0's networks and sources.
  packet(
    state,
    { ifindex: UP.ifindex, from: "10.0.0.254", to: ip("224.0.0.1"), igmp: general },
    6000,
  );
  upcall(state, 0, ip("198.51.100.7"), 7000);
  const counters: DumpCounters = {
    vifs: new Map([
      [0, { packetsIn: 1200, packetsOut: 0, bytesIn: 62_400, bytesOut: 0 }],
      [1, { packetsIn: 0, packetsOut: 100, bytesIn: 0, bytesOut: 5200 }],
    ]),
    entries: new Map([[G, new Map([[S, { packets: 1100, bytes: 57_200 }]])]]),
  };
  return { state, counters, now: 12_000 };
}

/** An IPv6 address as the core holds it. */
export function a6(text: string): bigint {
  const b = parseIPv6(text);
  if (b === undefined) throw new TypeError(`Bad IPv6 address in test: "${text}"`);
  return ipv6ToBigInt(b);
}

/** The IPv6 upstream, MIF 0. */
export const UP6: ProxyInterface<bigint> = {
  ...UP,
  address: a6("fe80::1"),
  subnets: [
    { address: a6("2001:db8::1"), prefixLength: 64 },
    { address: a6("fe80::1"), prefixLength: 64 },
  ],
  sources: [],
  boundaries: [],
  queryVersion: 2,
};
/** An IPv6 LAN with a boundary, MIF 1. */
export const DN1_6: ProxyInterface<bigint> = {
  ...UP6,
  name: "dn1",
  ifindex: 11,
  role: "downstream",
  address: a6("fe80::100"),
  subnets: [{ address: a6("2001:db8:1::1"), prefixLength: 64 }],
  boundaries: [{ address: a6("ff0e::"), prefixLength: 16 }],
};
/** An IPv6 LAN queried with MLDv1, MIF 2. */
export const DN2_6: ProxyInterface<bigint> = {
  ...DN1_6,
  name: "dn2",
  ifindex: 12,
  address: a6("fe80::200"),
  subnets: [{ address: a6("2001:db8:2::1"), prefixLength: 64 }],
  boundaries: [],
  queryVersion: 1,
};

/**
 * A function that feeds an IPv6 core an MLD message from `from` on an interface, as the socket
 * gives it (hop limit 1, Router Alert), and returns the actions.
 */
export function mldSender(
  state: ProxyState<bigint>,
): (ifindex: number, from: string, message: Uint8Array, now: number) => Action<bigint>[] {
  return (ifindex, from, message, now) =>
    step(state, {
      kind: "packet",
      ifindex,
      data: message,
      length: message.length,
      source: a6(from),
      hopLimit: 1,
      routerAlert: true,
    }, now);
}

/**
 * IPv6 at 80 s, on `up0`, `dn1` and `dn2`: an MLDv1 listener of ff05::1 on dn1 (fe80::11, at
 * 10 ms), an MLDv2 listener of ff05::1 excluding 2001:db8::3 on dn2 (fe80::21, at 10 ms); the
 * entry (2001:db8::2, ff05::1) installed at 20 s; fe80::50 queries on dn2 at 30 s; no counters
 * read at all.
 */
export function ipv6Scenario(): StatusScenario<bigint> {
  const state = createProxy({ interfaces: [UP6, DN1_6, DN2_6], family: MLD_FAMILY });
  step(state, { kind: "start" }, 0);
  const mld = mldSender(state);
  mld(11, "fe80::11", encodeMldV1Report(parseIPv6("ff05::1")!), 10);
  const exclude = encodeMldV2Report([{
    recordType: 4,
    group: parseIPv6("ff05::1")!,
    sources: [bigIntToIPv6(a6("2001:db8::3"))],
  }]);
  mld(12, "fe80::21", exclude, 10);
  step(state, {
    kind: "upcall",
    msgtype: 1,
    vif: 0,
    source: a6("2001:db8::2"),
    group: a6("ff05::1"),
  }, 20_000);
  const general = encodeMldQuery({ group: new Uint8Array(16), maxRespDelayMs: 10_000, version: 2 });
  mld(12, "fe80::50", general, 30_000);
  return { state, counters: { vifs: new Map(), entries: new Map() }, now: 80_000 };
}
