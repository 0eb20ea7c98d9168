import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  hex6ToAddr,
  hexToAddr,
  parseIfInet6,
  parseIgmpMemberships,
  parseMr6Cache,
  parseMrCache,
  parseMrVif,
  parseUdpReceiveDrops,
} from "./proc.ts";

// The parsers of the multicast tables are tested in src/runtime/proc_net_*_test.ts; here, that
// the lab's wrappers return their rows and throw their reasons.

Deno.test("the wrappers return the rows, and throw naming the file and the bad line", () => {
  deepStrictEqual(
    parseMrCache("010101EF 0200090A 0 10 1280 0  1:1\n", { littleEndian: true }).map((
      e,
    ) => [e.origin, e.group, e.iif]),
    [["10.9.0.2", "239.1.1.1", 0]],
  );
  equal(parseMrVif("").length, 0);
  throws(
    () => parseMrVif(" 0 up0 1280 10\n"),
    {
      message: "Cannot parse /proc/net/ip_mr_vif: 4 fields where 9 were expected on line 1: " +
        '" 0 up0 1280 10"',
    },
  );
  throws(() => parseMr6Cache("ff05::1 2001:db8::2 0 1 1 0\n"), /ip6_mr_cache: bad group "ff05::1"/);
});

Deno.test("hexToAddr and hex6ToAddr throw on what is not an address", () => {
  equal(hexToAddr("010101EF", true), "239.1.1.1");
  equal(hexToAddr("EF010101", false), "239.1.1.1");
  throws(() => hexToAddr("zz", true), /Bad hex address/);
  equal(hex6ToAddr("ff050000000000000000000000000001"), "ff05::1");
  throws(() => hex6ToAddr("ff05::1"), /Bad hex IPv6 address/);
});

// Captured on Linux 6.18 x86_64: a namespace with lo, eth0 (ifindex 2) and eth1 (3),
// 2001:db8:1::11/64 added to eth0 with nodad.
const IF_INET6_TEXT = "00000000000000000000000000000001 01 80 10 80       lo\n" +
  "fe80000000000000f47b1cfffee6bf3b 02 40 20 80     eth0\n" +
  "20010db8000100000000000000000011 02 40 00 82     eth0\n" +
  "fe80000000000000dc8de7fffe548273 03 40 20 80     eth1\n";

Deno.test("parseIfInet6 reads addresses with their interface, prefix, scope and flags", () => {
  const rows = parseIfInet6(IF_INET6_TEXT);
  deepStrictEqual(rows[2], {
    address: "2001:db8:1::11",
    ifindex: 2,
    prefixLen: 64,
    scope: 0,
    flags: 0x82,
    name: "eth0",
  });
  deepStrictEqual(rows.map((r) => [r.address, r.ifindex, r.prefixLen, r.scope, r.name]), [
    ["::1", 1, 128, 0x10, "lo"],
    ["fe80::f47b:1cff:fee6:bf3b", 2, 64, 0x20, "eth0"],
    ["2001:db8:1::11", 2, 64, 0, "eth0"],
    ["fe80::dc8d:e7ff:fe54:8273", 3, 64, 0x20, "eth1"],
  ]);
  throws(() => parseIfInet6("fe80::1 02 40 20 80 eth0\n"), /Bad hex IPv6 address/);
  throws(() => parseIfInet6("fe80000000000000f47b1cfffee6bf3b 02 40\n"), /Bad if_inet6 line/);
});

// /proc/net/igmp of the proxy namespace while igmpproxy runs with one downstream listener
// (Linux 6.18, x86_64: addresses in host-order hex, 010000E0 is 224.0.0.1).
const PROC_NET_IGMP = [
  "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter",
  "1\tlo        :     1      V3",
  "\t\t\t\t010000E0     1 0:00000000\t\t0",
  "10\tup0       :     2      V3",
  "\t\t\t\t010101EF     1 0:00000000\t\t1",
  "\t\t\t\t010000E0     1 0:00000000\t\t0",
  "12\tdn1       :     3      V2",
  "\t\t\t\t160000E0     1 0:00000000\t\t1",
  "\t\t\t\t020000E0     1 0:00000000\t\t1",
  "\t\t\t\t010000E0     1 0:00000000\t\t0",
  "16\tdn2       :     1      V2",
  "\t\t\t\t010000E0     1 0:00000000\t\t0",
  "",
].join("\n");

Deno.test("parseIgmpMemberships reads the groups of each interface", () => {
  deepStrictEqual(
    parseIgmpMemberships(PROC_NET_IGMP, true),
    new Map([
      ["lo", ["224.0.0.1"]],
      ["up0", ["239.1.1.1", "224.0.0.1"]],
      ["dn1", ["224.0.0.22", "224.0.0.2", "224.0.0.1"]],
      ["dn2", ["224.0.0.1"]],
    ]),
  );
  deepStrictEqual(parseIgmpMemberships(PROC_NET_IGMP.split("\n")[0]), new Map());
});

Deno.test("parseUdpReceiveDrops reads RcvbufErrors of both families", () => {
  // As a lab host's namespace printed them on Linux 6.1 after its receiver fell behind.
  const text = [
    "Ip: Forwarding DefaultTTL InReceives",
    "Ip: 2 64 5000",
    "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors " +
    "IgnoredMulti MemErrors",
    "Udp: 2098 0 516 0 516 0 0 0 0",
    "UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors " +
    "IgnoredMulti MemErrors",
    "UdpLite: 0 0 0 0 0 0 0 0 0",
    "Udp6InDatagrams                 \t1627",
    "Udp6InErrors                    \t1124",
    "Udp6RcvbufErrors                \t1124",
    "UdpLite6RcvbufErrors            \t0",
  ].join("\n");
  deepStrictEqual(parseUdpReceiveDrops(text), { ipv4: 516, ipv6: 1124 });
  deepStrictEqual(parseUdpReceiveDrops(text.split("\nUdp6")[0]), { ipv4: 516, ipv6: 0 });
  deepStrictEqual(parseUdpReceiveDrops(""), { ipv4: 0, ipv6: 0 });
});
