// The SIGUSR1 dump of one family: the interface table and the forwarding cache, in the layout of
// mrouted's dump, over IPv4 (numbers) and IPv6 (bigints).

import { deepStrictEqual, equal } from "node:assert/strict";
import { describeDump, type DumpCounters, installedEntries } from "./dump.ts";
import { MLD_FAMILY } from "./mld_family.ts";
import { createProxy, type ProxyInterface, type ProxyState, step } from "./proxy.ts";
import { DN1, DN2, G, G2, packet, report, reportFor, S, UP, upcall } from "./proxy_testing.ts";
import { parseIPv6 } from "../proto/addr.ts";
import { encodeQuery } from "../proto/igmp_encode.ts";
import { encodeMldQuery, encodeMldV1Report } from "../proto/mld_encode.ts";
import { ip } from "../proto/testing.ts";
import { a6, DN1_6, DN2_6 as STATUS_DN2_6, mldSender, UP6 } from "./status_testing.ts";

/** Counters of which none could be read. */
function unread<A extends number | bigint>(): DumpCounters<A> {
  return { vifs: new Map(), entries: new Map() };
}

/** LAN 1 at .100 (so that a rival querier can be lower), with a boundary. */
const LAN1: ProxyInterface = {
  ...DN1,
  address: ip("10.1.0.100"),
  boundaries: [{ address: ip("239.255.0.0"), prefixLength: 16 }],
};
const SCOPED = ip("239.255.1.1");
const LAN2_SENDER = ip("10.2.0.11");

/**
 * Members of G on both LANs and of G2 on LAN 1; (S, G) installed at 1 s, then LAN 1 lost its
 * querier role to 10.1.0.11 at 2 s (the entry is updated in place, to LAN 2 only); (10.0.0.3,
 * G2) waits without an entry (its only member LAN is not ours to serve); a LAN 2 sender of a
 * group inside LAN 1's boundary goes upstream only.
 */
function scenario4(): ProxyState {
  const state = createProxy({ interfaces: [UP, LAN1, DN2] });
  step(state, { kind: "start" }, 0);
  report(state, LAN1.ifindex, "10.1.0.12", 10);
  reportFor(state, G2, { ifindex: LAN1.ifindex, from: "10.1.0.12" }, 10);
  report(state, DN2.ifindex, "10.2.0.12", 10);
  upcall(state, 0, S, 1000);
  const general = encodeQuery({ group: 0, maxRespTimeMs: 10_000, version: 2 });
  packet(
    state,
    { ifindex: LAN1.ifindex, from: "10.1.0.11", to: ip("224.0.0.1"), igmp: general },
    2000,
  );
  step(state, { kind: "upcall", msgtype: 1, vif: 0, source: ip("10.0.0.3"), group: G2 }, 3000);
  step(state, { kind: "upcall", msgtype: 1, vif: 2, source: LAN2_SENDER, group: SCOPED }, 4000);
  return state;
}

Deno.test("describeDump IPv4: VIFs with groups, boundaries, counters; the cache; waiting sources", () => {
  const counters: DumpCounters = {
    vifs: new Map([
      [0, { packetsIn: 120, packetsOut: 0, bytesIn: 6240, bytesOut: 0 }],
      [1, { packetsIn: 0, packetsOut: 118, bytesIn: 0, bytesOut: 6136 }],
      // VIF 2's counters could not be read
    ]),
    entries: new Map([[G, new Map([[S, { packets: 118, bytes: 6136 }]])]]),
  };
  deepStrictEqual(describeDump(scenario4(), counters, 126_000), [
    "Virtual Interface Table",
    " Vif  Interface  Local-Address  Subnet       Thresh  Flags",
    "   0  up0        10.0.0.1       10.0.0.0/24       1  upstream",
    "                       sources: 192.0.2.0/24",
    "                        joined: 239.1.1.1",
    "                                239.1.1.2",
    "                       pkts in: 120 (6240 bytes)",
    "                      pkts out: 0 (0 bytes)",
    "   1  dn1        10.1.0.100     10.1.0.0/24       1  downstream querier 10.1.0.11",
    "                        groups: 239.1.1.1 EXCLUDE 2m14s IGMPv2",
    "                                239.1.1.2 EXCLUDE 2m14s IGMPv2",
    "                    boundaries: 239.255.0.0/16",
    "                       pkts in: 0 (0 bytes)",
    "                      pkts out: 118 (6136 bytes)",
    "   2  dn2        10.2.0.1       10.2.0.0/24       1  downstream querier",
    "                        groups: 239.1.1.1 EXCLUDE 2m14s IGMPv2",
    "                       pkts in: -",
    "                      pkts out: -",
    "Multicast Routing Cache Table (2 entries)",
    " Origin     Mcast-group    Age  Pkts  Bytes  IVif  Forwvifs",
    // installed at 1 s: the update at 2 s (VIFs 1 2 → 2) kept its age
    " 10.0.0.2   239.1.1.1    2m05s   118   6136  0     2",
    // LAN 1's boundary keeps the scoped group off VIF 1: `1b`
    " 10.2.0.11  239.255.1.1  2m02s     -      -  2     0 1b",
    "Sources without a cache entry (1 source)",
    " Origin    Mcast-group   Idle  IVif",
    " 10.0.0.3  239.1.1.2    2m03s  0",
  ]);
});

Deno.test("describeDump: ages to two units, from seconds to days", () => {
  const state = scenario4();
  const age = (now: number) =>
    describeDump(state, unread(), now).find((l) => l.startsWith(" 10.0.0.2 "))!.split(/\s+/)[3];
  equal(age(1000), "0s");
  equal(age(46_999), "45s");
  equal(age(61_000), "1m00s");
  equal(age(1000 + 3_720_000), "1h02m");
  equal(age(1000 + 3 * 86_400_000 + 4 * 3_600_000 + 59_000), "3d04h");
});

Deno.test("installedEntries: by group, then source; sources without an entry left out", () => {
  deepStrictEqual(installedEntries(scenario4()), [
    { source: S, group: G },
    { source: LAN2_SENDER, group: SCOPED },
  ]);
});

Deno.test("describeDump with no VIFs and nothing learnt: the headers and 0 entries", () => {
  deepStrictEqual(describeDump(createProxy({ interfaces: [] }), unread(), 0), [
    "Virtual Interface Table",
    " Vif  Interface  Local-Address  Subnet  Thresh  Flags",
    "Multicast Routing Cache Table (0 entries)",
    " Origin  Mcast-group  Age  Pkts  Bytes  IVif  Forwvifs",
  ]);
});

/** dn2 queried with MLDv2, as the dump's vectors were made. */
const DN2_6: ProxyInterface<bigint> = { ...STATUS_DN2_6, queryVersion: 2 };

Deno.test("describeDump IPv6: MIFs without thresholds, bigints, a boundary, a rival querier", () => {
  const state = createProxy({ interfaces: [UP6, DN1_6, DN2_6], family: MLD_FAMILY });
  step(state, { kind: "start" }, 0);
  const mld = mldSender(state);
  mld(11, "fe80::11", encodeMldV1Report(parseIPv6("ff05::1")!), 10);
  mld(12, "fe80::21", encodeMldV1Report(parseIPv6("ff05::1")!), 10);
  mld(12, "fe80::21", encodeMldV1Report(parseIPv6("ff0e::1234")!), 10);
  const upcall6 = (vif: number, source: string, group: string, now: number) =>
    step(state, { kind: "upcall", msgtype: 1, vif, source: a6(source), group: a6(group) }, now);
  upcall6(0, "2001:db8::2", "ff05::1", 20_000);
  // fe80::50 is lower than our fe80::200: LAN 2 is no longer ours to serve.
  const general = encodeMldQuery({ group: new Uint8Array(16), maxRespDelayMs: 10_000, version: 2 });
  mld(12, "fe80::50", general, 30_000);
  // Its only listener LAN is not served and LAN 1 is bounded: no entry.
  upcall6(0, "2001:db8::2", "ff0e::1234", 40_000);
  // A LAN 2 sender: upstream, not onto LAN 1 behind its boundary.
  upcall6(2, "2001:db8:2::5", "ff0e::1234", 50_000);
  const counters: DumpCounters<bigint> = {
    vifs: new Map([
      [0, { packetsIn: 500, packetsOut: 20, bytesIn: 30_000, bytesOut: 1200 }],
      [1, { packetsIn: 0, packetsOut: 480, bytesIn: 0, bytesOut: 28_800 }],
      [2, { packetsIn: 20, packetsOut: 0, bytesIn: 1200, bytesOut: 0 }],
    ]),
    entries: new Map([
      [a6("ff05::1"), new Map([[a6("2001:db8::2"), { packets: 480, bytes: 28_800 }]])],
      [a6("ff0e::1234"), new Map([[a6("2001:db8:2::5"), { packets: 20, bytes: 1200 }]])],
    ]),
  };
  deepStrictEqual(describeDump(state, counters, 80_000), [
    "Multicast Interface Table",
    " Mif  Interface  Local-Address  Subnet           Flags",
    "   0  up0        fe80::1        2001:db8::/64    upstream",
    "                                fe80::/64",
    "                        joined: ff05::1",
    "                                ff0e::1234",
    "                       pkts in: 500 (30000 bytes)",
    "                      pkts out: 20 (1200 bytes)",
    "   1  dn1        fe80::100      2001:db8:1::/64  downstream querier",
    "                        groups: ff05::1 EXCLUDE 3m00s MLDv1",
    "                    boundaries: ff0e::/16",
    "                       pkts in: 0 (0 bytes)",
    "                      pkts out: 480 (28800 bytes)",
    "   2  dn2        fe80::200      2001:db8:2::/64  downstream querier fe80::50",
    "                        groups: ff05::1 EXCLUDE 3m00s MLDv1",
    "                                ff0e::1234 EXCLUDE 3m00s MLDv1",
    "                       pkts in: 20 (1200 bytes)",
    "                      pkts out: 0 (0 bytes)",
    "Multicast Routing Cache Table (2 entries)",
    " Origin         Mcast-group    Age  Pkts  Bytes  IMif  Forwmifs",
    // installed at 20 s for MIFs 1 2, updated at 30 s: the age counts from 20 s
    " 2001:db8::2    ff05::1      1m00s   480  28800  0     1",
    " 2001:db8:2::5  ff0e::1234     30s    20   1200  2     0 1b",
    "Sources without a cache entry (1 source)",
    " Origin       Mcast-group  Idle  IMif",
    " 2001:db8::2  ff0e::1234    40s  0",
  ]);
});
