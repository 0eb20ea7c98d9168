import { deepStrictEqual, equal, match } from "node:assert/strict";
import {
  parseFilterTable,
  parseIgmp6Table,
  parseIgmpTable,
  parseKernelTables,
  parseMfcTable,
  parseVifTable,
} from "./doctor_proc_net.ts";

// Captured on Linux 6.x x86_64: VIF 0 added with VIFF_USE_IFINDEX, VIF 1 by address; (10.9.0.2,
// 239.1.1.1) forwarded from VIF 0 to VIF 1 and 2, and 239.1.1.2 unresolved.
const VIF_TEXT = "Interface      BytesIn  PktsIn  BytesOut PktsOut Flags Local    Remote\n" +
  " 0 up0            1280      10         0       0 00008 00000002 00000000\n" +
  " 1 dn1               0       0      1280      10 00000 0100080A 00000000\n";
const CACHE_TEXT = "Group    Origin   Iif     Pkts    Bytes    Wrong Oifs\n" +
  "010101EF 0200090A 0         10     1280        0  1:1    2:1  \n" +
  "020101EF 0200090A -1         0        0        0\n";

// Captured on Linux 6.18 x86_64: MIFs 0 and 1, (2001:db8:1::12, ff05::1) from MIF 0 to MIF 1,
// ff05::2 unresolved.
const MIF6_TEXT = "Interface      BytesIn  PktsIn  BytesOut PktsOut Flags\n" +
  " 0 eth0           1480      10         0       0 00000\n" +
  " 1 lo                0       0         0       0 00000\n";
const CACHE6_TEXT = "Group                            Origin                           " +
  "Iif      Pkts  Bytes     Wrong  Oifs\n" +
  "ff05:0000:0000:0000:0000:0000:0000:0001 2001:0db8:0001:0000:0000:0000:0000:0012 0         " +
  "10     1480        0  1:1  \n" +
  "ff05:0000:0000:0000:0000:0000:0000:0002 2001:0db8:0001:0000:0000:0000:0000:0012 -1         " +
  "0        0        0\n";

// Captured on Linux 6.18 x86_64, interface va (index 3) of a namespace: a socket joined
// 239.1.1.1 (any source), 232.1.2.3 from 10.0.0.5 only, 239.2.2.2 excluding 10.0.0.9 and
// 192.168.1.20; ff05::1, ff3e::8000:1 from 2001:db8:1::12 only, ff05::2 excluding 2001:db8::9.
const IGMP_TEXT = "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n" +
  "1\tlo        :     1      V3\n" +
  "\t\t\t\t010000E0     1 0:00000000\t\t0\n" +
  "3\tva        :     4      V3\n" +
  "\t\t\t\t020202EF     1 0:00000000\t\t0\n" +
  "\t\t\t\t030201E8     1 0:00000000\t\t0\n" +
  "\t\t\t\t010101EF     1 0:00000000\t\t0\n" +
  "\t\t\t\t010000E0     1 0:00000000\t\t0\n";
const MCFILTER_TEXT = "Idx Device        MCA        SRC    INC    EXC\n" +
  "  3     va 0xef020202 0x0a000009      0      1\n" +
  "  3     va 0xef020202 0xc0a80114      0      1\n" +
  "  3     va 0xe8010203 0x0a000005      1      0\n";
const IGMP6_TEXT = "1    lo              ff020000000000000000000000000001     1 0000000C 0\n" +
  "3    va              ff050000000000000000000000000002     1 00000004 0\n" +
  "3    va              ff3e0000000000000000000080000001     1 00000004 0\n" +
  "3    va              ff050000000000000000000000000001     1 00000004 0\n";
const MCFILTER6_TEXT = "Idx Device                Multicast Address                   " +
  "Source Address    INC    EXC\n" +
  "  3     va ff050000000000000000000000000002 20010db8000000000000000000000009      0      1\n" +
  "  3     va ff3e0000000000000000000080000001 20010db8000100000000000000000012      1      0\n";

Deno.test("parseVifTable: each VIF's index and interface, of either family", () => {
  deepStrictEqual(parseVifTable(VIF_TEXT, "ipv4"), {
    ok: true,
    value: [{ vif: 0, name: "up0" }, { vif: 1, name: "dn1" }],
  });
  deepStrictEqual(parseVifTable(MIF6_TEXT, "ipv6"), {
    ok: true,
    value: [{ vif: 0, name: "eth0" }, { vif: 1, name: "lo" }],
  });
  deepStrictEqual(parseVifTable(VIF_TEXT.split("\n")[0], "ipv4"), { ok: true, value: [] });
  deepStrictEqual(parseVifTable("", "ipv6"), { ok: true, value: [] });
  // The other family's layout is not this one's.
  const wrong = parseVifTable(VIF_TEXT, "ipv6");
  equal(wrong.ok, false);
  match(!wrong.ok ? wrong.reason : "", /^unexpected line " 0 up0 /);
});

Deno.test("parseMfcTable: resolved entries with their input and outputs, host-order hex", () => {
  deepStrictEqual(parseMfcTable(CACHE_TEXT, "ipv4", true), {
    ok: true,
    value: [{ source: "10.9.0.2", group: "239.1.1.1", input: 0, outputs: [1, 2] }],
  });
  // A big-endian machine prints the address as it reads.
  deepStrictEqual(parseMfcTable("EF010101 0A090002 3 0 0 0  4:1\n", "ipv4", false), {
    ok: true,
    value: [{ source: "10.9.0.2", group: "239.1.1.1", input: 3, outputs: [4] }],
  });
  deepStrictEqual(parseMfcTable(CACHE6_TEXT, "ipv6"), {
    ok: true,
    value: [{ source: "2001:db8:1::12", group: "ff05::1", input: 0, outputs: [1] }],
  });
  for (
    const bad of [
      "010101EF 0200090A 0 10 1280\n",
      "010101EF 0200090A 0 10 1280 0 1-1\n",
      "0101EF 0200090A 0 10 1280 0 1:1\n",
    ]
  ) {
    equal(parseMfcTable(bad, "ipv4", true).ok, false, bad);
  }
  equal(parseMfcTable(CACHE_TEXT, "ipv6").ok, false);
});

Deno.test("parseIgmpTable, parseIgmp6Table: the groups of each interface, by index", () => {
  deepStrictEqual(parseIgmpTable(IGMP_TEXT, true), {
    ok: true,
    value: [
      { ifindex: 1, group: "224.0.0.1" },
      { ifindex: 3, group: "239.2.2.2" },
      { ifindex: 3, group: "232.1.2.3" },
      { ifindex: 3, group: "239.1.1.1" },
      { ifindex: 3, group: "224.0.0.1" },
    ],
  });
  deepStrictEqual(parseIgmp6Table(IGMP6_TEXT), {
    ok: true,
    value: [
      { ifindex: 1, group: "ff02::1" },
      { ifindex: 3, group: "ff05::2" },
      { ifindex: 3, group: "ff3e::8000:1" },
      { ifindex: 3, group: "ff05::1" },
    ],
  });
  // A group before any device line, or a line of neither kind.
  equal(parseIgmpTable("\t\t\t\t010000E0     1 0:00000000\t\t0\n", true).ok, false);
  equal(parseIgmpTable("3\tva        :     4      V3\nva\n", true).ok, false);
  equal(parseIgmp6Table("3 va ff05::1 1 00000004 0\n").ok, false);
});

Deno.test("parseFilterTable: the sources of each filter, in network order for IPv4", () => {
  deepStrictEqual(parseFilterTable(MCFILTER_TEXT, "ipv4"), {
    ok: true,
    value: [
      { ifindex: 3, group: "239.2.2.2", source: "10.0.0.9", include: 0, exclude: 1 },
      { ifindex: 3, group: "239.2.2.2", source: "192.168.1.20", include: 0, exclude: 1 },
      { ifindex: 3, group: "232.1.2.3", source: "10.0.0.5", include: 1, exclude: 0 },
    ],
  });
  deepStrictEqual(parseFilterTable(MCFILTER6_TEXT, "ipv6"), {
    ok: true,
    value: [
      { ifindex: 3, group: "ff05::2", source: "2001:db8::9", include: 0, exclude: 1 },
      { ifindex: 3, group: "ff3e::8000:1", source: "2001:db8:1::12", include: 1, exclude: 0 },
    ],
  });
  deepStrictEqual(parseFilterTable(MCFILTER_TEXT.split("\n")[0], "ipv4"), { ok: true, value: [] });
  equal(parseFilterTable(MCFILTER_TEXT, "ipv6").ok, false);
});

Deno.test("parseKernelTables: a file not read, or not parsed, is no table", () => {
  deepStrictEqual(
    parseKernelTables("ipv4", {
      vifs: VIF_TEXT,
      mfc: "garbage\n",
      memberships: undefined,
      filters: MCFILTER_TEXT,
    }, { littleEndian: true }),
    {
      family: "ipv4",
      vifs: [{ vif: 0, name: "up0" }, { vif: 1, name: "dn1" }],
      mfc: undefined,
      memberships: undefined,
      filters: [
        { ifindex: 3, group: "239.2.2.2", source: "10.0.0.9", include: 0, exclude: 1 },
        { ifindex: 3, group: "239.2.2.2", source: "192.168.1.20", include: 0, exclude: 1 },
        { ifindex: 3, group: "232.1.2.3", source: "10.0.0.5", include: 1, exclude: 0 },
      ],
    },
  );
  const v6 = parseKernelTables("ipv6", {
    vifs: MIF6_TEXT,
    mfc: CACHE6_TEXT,
    memberships: IGMP6_TEXT,
    filters: MCFILTER6_TEXT,
  });
  deepStrictEqual(
    [v6.vifs?.length, v6.mfc?.length, v6.memberships?.length, v6.filters?.length],
    [2, 1, 4, 2],
  );
});
