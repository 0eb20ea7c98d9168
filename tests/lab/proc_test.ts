import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  hex6ToAddr,
  hexToAddr,
  parseIfInet6,
  parseIgmp6,
  parseIgmpMemberships,
  parseMr6Cache,
  parseMr6Vif,
  parseMrCache,
  parseMrVif,
  parseUdpReceiveDrops,
} from "./proc.ts";

// Captured on Linux 6.x x86_64: VIF 0 added with VIFF_USE_IFINDEX (ifindex 2), VIF 1 by
// local address 10.8.0.1; after 10 datagrams of 128 bytes from 10.9.0.2 to 239.1.1.1 (resolved,
// forwarded to VIF 1 with threshold 1) and 10 to 239.1.1.2 (no MFC entry: unresolved).
const VIF_TEXT = "Interface      BytesIn  PktsIn  BytesOut PktsOut Flags Local    Remote\n" +
  " 0 up0            1280      10         0       0 00008 00000002 00000000\n" +
  " 1 dn1               0       0      1280      10 00000 0100080A 00000000\n";

const CACHE_TEXT = "Group    Origin   Iif     Pkts    Bytes    Wrong Oifs\n" +
  "010101EF 0200090A 0         10     1280        0  1:1  \n" +
  "020101EF 0200090A -1         0        0        0\n";

Deno.test("hexToAddr reads a little-endian word as a network-order address", () => {
  equal(hexToAddr("010101EF", true), "239.1.1.1");
  equal(hexToAddr("0200090A", true), "10.9.0.2");
});

Deno.test("hexToAddr reads a big-endian word as written", () => {
  equal(hexToAddr("EF010101", false), "239.1.1.1");
});

Deno.test("hexToAddr rejects a non-hex field", () => {
  throws(() => hexToAddr("zz", true), /Bad hex address/);
});

Deno.test("parseMrVif reads a captured table with an ifindex VIF and an address VIF", () => {
  deepStrictEqual(parseMrVif(VIF_TEXT, { littleEndian: true }), [
    {
      vif: 0,
      name: "up0",
      bytesIn: 1280,
      pktsIn: 10,
      bytesOut: 0,
      pktsOut: 0,
      flags: 8,
      local: "2.0.0.0",
      remote: "0.0.0.0",
      ifindex: 2,
    },
    {
      vif: 1,
      name: "dn1",
      bytesIn: 0,
      pktsIn: 0,
      bytesOut: 1280,
      pktsOut: 10,
      flags: 0,
      local: "10.8.0.1",
      remote: "0.0.0.0",
      ifindex: null,
    },
  ]);
});

Deno.test("parseMrVif returns nothing for an empty table (header only)", () => {
  deepStrictEqual(
    parseMrVif("Interface      BytesIn  PktsIn  BytesOut PktsOut Flags Local    Remote\n"),
    [],
  );
  deepStrictEqual(parseMrVif(""), []);
});

Deno.test("parseMrVif accepts two-digit VIF indexes", () => {
  const rows = parseMrVif(
    "31 dn31              0       0         0       0 00000 0100080A 00000000\n",
    {
      littleEndian: true,
    },
  );
  equal(rows[0].vif, 31);
  equal(rows[0].name, "dn31");
});

Deno.test("parseMrVif rejects a truncated line", () => {
  throws(() => parseMrVif(" 0 up0 1280 10\n"), /Bad ip_mr_vif line/);
});

Deno.test("parseMrCache reads a resolved and an unresolved entry", () => {
  deepStrictEqual(parseMrCache(CACHE_TEXT, { littleEndian: true }), [
    {
      group: "239.1.1.1",
      origin: "10.9.0.2",
      iif: 0,
      packets: 10,
      bytes: 1280,
      wrong: 0,
      oifs: [{ vif: 1, ttl: 1 }],
      unresolved: false,
    },
    {
      group: "239.1.1.2",
      origin: "10.9.0.2",
      iif: -1,
      packets: 0,
      bytes: 0,
      wrong: 0,
      oifs: [],
      unresolved: true,
    },
  ]);
});

Deno.test("parseMrCache reads several outgoing interfaces with their thresholds", () => {
  // Kernel format per oif: " %2d:%-3d".
  const line = "010101EF 0200000A 0       1234   567890        3  1:1    2:1   12:64 \n";
  const [e] = parseMrCache(line, { littleEndian: true });
  equal(e.origin, "10.0.0.2");
  equal(e.wrong, 3);
  deepStrictEqual(e.oifs, [{ vif: 1, ttl: 1 }, { vif: 2, ttl: 1 }, { vif: 12, ttl: 64 }]);
});

Deno.test("parseMrCache returns nothing for an empty table (header only)", () => {
  deepStrictEqual(parseMrCache("Group    Origin   Iif     Pkts    Bytes    Wrong Oifs\n"), []);
});

Deno.test("parseMrCache rejects a malformed oif", () => {
  throws(
    () => parseMrCache("010101EF 0200090A 0 10 1280 0 1-1\n", { littleEndian: true }),
    /Bad oif/,
  );
});

// Captured on Linux 6.18 x86_64: MIF 0 on eth0, MIF 1 on lo (both threshold 1), an MFC entry
// (2001:db8:1::12, ff05::1) from MIF 0 to MIF 1 after 10 datagrams of 148 bytes (100 bytes of
// payload), and 10 datagrams to ff05::2 without an entry (unresolved).
const MIF6_TEXT = "Interface      BytesIn  PktsIn  BytesOut PktsOut Flags\n" +
  " 0 eth0           1480      10         0       0 00000\n" +
  " 1 lo                0       0         0       0 00000\n";

const CACHE6_TEXT = "Group                            Origin                           " +
  "Iif      Pkts  Bytes     Wrong  Oifs\n" +
  "ff05:0000:0000:0000:0000:0000:0000:0001 2001:0db8:0001:0000:0000:0000:0000:0012 0         " +
  "10     1480        0  1:1  \n" +
  "ff05:0000:0000:0000:0000:0000:0000:0002 2001:0db8:0001:0000:0000:0000:0000:0012 -1         " +
  "0        0        0\n";

Deno.test("parseMr6Vif reads a captured MIF table", () => {
  deepStrictEqual(parseMr6Vif(MIF6_TEXT), [
    { mif: 0, name: "eth0", bytesIn: 1480, pktsIn: 10, bytesOut: 0, pktsOut: 0, flags: 0 },
    { mif: 1, name: "lo", bytesIn: 0, pktsIn: 0, bytesOut: 0, pktsOut: 0, flags: 0 },
  ]);
});

Deno.test("parseMr6Vif returns nothing for an empty table and reads MIFF_REGISTER", () => {
  deepStrictEqual(parseMr6Vif("Interface      BytesIn  PktsIn  BytesOut PktsOut Flags\n"), []);
  deepStrictEqual(parseMr6Vif(""), []);
  // Kernel format: "%2td %-10s %8ld %7ld  %8ld %7ld %05X".
  const [m] = parseMr6Vif("31 pim6reg           0       0         0       0 00001\n");
  deepStrictEqual([m.mif, m.name, m.flags], [31, "pim6reg", 1]);
});

Deno.test("parseMr6Vif rejects an IPv4 VIF line and a truncated line", () => {
  throws(() => parseMr6Vif(" 0 up0 1280 10 0 0 00008 00000002 00000000\n"), /Bad ip6_mr_vif/);
  throws(() => parseMr6Vif(" 0 eth0 1480 10\n"), /Bad ip6_mr_vif line/);
  throws(() => parseMr6Vif(" 0 eth0 1480 10 0 0 0000x\n"), /Bad flags/);
});

Deno.test("parseMr6Cache reads a resolved and an unresolved entry in RFC 5952 form", () => {
  deepStrictEqual(parseMr6Cache(CACHE6_TEXT), [
    {
      group: "ff05::1",
      origin: "2001:db8:1::12",
      iif: 0,
      packets: 10,
      bytes: 1480,
      wrong: 0,
      oifs: [{ vif: 1, ttl: 1 }],
      unresolved: false,
    },
    {
      group: "ff05::2",
      origin: "2001:db8:1::12",
      iif: -1,
      packets: 0,
      bytes: 0,
      wrong: 0,
      oifs: [],
      unresolved: true,
    },
  ]);
});

Deno.test("parseMr6Cache reads several oifs and returns nothing for a header only", () => {
  const line = "ff3e:0000:0000:0000:0000:0000:8000:0001 fe80:0000:0000:0000:0001:0002:0003:0004 " +
    "2        7      700        1  0:1    3:1   31:64 \n";
  const [e] = parseMr6Cache(line);
  deepStrictEqual([e.group, e.origin, e.iif, e.wrong], ["ff3e::8000:1", "fe80::1:2:3:4", 2, 1]);
  deepStrictEqual(e.oifs, [{ vif: 0, ttl: 1 }, { vif: 3, ttl: 1 }, { vif: 31, ttl: 64 }]);
  deepStrictEqual(
    parseMr6Cache(
      "Group                            Origin                           " +
        "Iif      Pkts  Bytes     Wrong  Oifs\n",
    ),
    [],
  );
});

Deno.test("parseMr6Cache rejects compressed or IPv4 addresses and a malformed oif", () => {
  throws(() => parseMr6Cache("ff05::1 2001:db8::2 0 1 1 0\n"), /Bad IPv6 address/);
  throws(() => parseMr6Cache("010101EF 0200090A 0 10 1280 0  1:1\n"), /Bad IPv6 address/);
  throws(
    () =>
      parseMr6Cache(
        "ff05:0000:0000:0000:0000:0000:0000:0001 2001:0db8:0001:0000:0000:0000:0000:0012 0 " +
          "1 1 0 1/1\n",
      ),
    /Bad oif/,
  );
  throws(() => parseMr6Cache("ff05:0000:0000:0000:0000:0000:0000:0001\n"), /Bad ip6_mr_cache/);
});

Deno.test("hex6ToAddr reads %pi6 text (network order, no colons)", () => {
  equal(hex6ToAddr("ff050000000000000000000000000001"), "ff05::1");
  equal(hex6ToAddr("ff0200000000000000000001FFE6BF3B"), "ff02::1:ffe6:bf3b");
  equal(hex6ToAddr("00000000000000000000000000000001"), "::1");
  throws(() => hex6ToAddr("ff05::1"), /Bad hex IPv6 address/);
  throws(() => hex6ToAddr("ff05000000000000000000000000001"), /Bad hex IPv6 address/);
});

// Captured on Linux 6.18 x86_64: a namespace with lo, eth0 (ifindex 2) and eth1 (3), an MLDv1
// host (force_mld_version 1) 0.3 s after joining ff05::1 on eth0: its report timer runs (534
// ticks) and it is the last reporter (flags 7 = timer running | last reporter | loaded).
const IGMP6_TEXT = "1    lo              ff020000000000000000000000000001     1 0000000C 0\n" +
  "1    lo              ff010000000000000000000000000001     1 00000008 0\n" +
  "2    eth0            ff050000000000000000000000000001     1 00000007 534\n" +
  "2    eth0            ff0200000000000000000001ffe6bf3b     1 00000004 0\n" +
  "2    eth0            ff0200000000000000000001ff000011     1 00000004 0\n" +
  "2    eth0            ff020000000000000000000000000001     1 0000000C 0\n" +
  "3    eth1            ff020000000000000000000000000001     1 0000000C 0\n";

Deno.test("parseIgmp6 reads a captured membership table", () => {
  const rows = parseIgmp6(IGMP6_TEXT);
  equal(rows.length, 7);
  deepStrictEqual(rows[2], {
    ifindex: 2,
    name: "eth0",
    group: "ff05::1",
    users: 1,
    flags: 7,
    timer: 534,
  });
  deepStrictEqual(rows.filter((r) => r.name === "eth0").map((r) => r.group), [
    "ff05::1",
    "ff02::1:ffe6:bf3b",
    "ff02::1:ff00:11",
    "ff02::1",
  ]);
  deepStrictEqual(rows[0].flags, 0xc);
  deepStrictEqual(parseIgmp6(""), []);
});

Deno.test("parseIgmp6 rejects a line of /proc/net/igmp (IPv4)", () => {
  throws(() => parseIgmp6("2\teth0     :     1      V3\n"), /Bad igmp6 line|Bad hex IPv6/);
  throws(() => parseIgmp6("2 eth0 ff05::1 1 00000004 0\n"), /Bad hex IPv6 address/);
});

// Captured on Linux 6.18 x86_64 (same namespace as above, 2001:db8:1::11/64 added with nodad).
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
