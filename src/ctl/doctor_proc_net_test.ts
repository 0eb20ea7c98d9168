import { deepStrictEqual } from "node:assert/strict";
import { CACHE6_TEXT, MIF6_TEXT } from "../runtime/proc_net_captures.ts";
import { parseKernelTables } from "./doctor_proc_net.ts";

// The parsers' own tests, with the files' formats, are in src/runtime/proc_net_*_test.ts.

// Captured on Linux 6.x x86_64: VIF 0 added with VIFF_USE_IFINDEX, VIF 1 by address; (10.9.0.2,
// 239.1.1.1) forwarded from VIF 0 to VIF 1 and 2, and 239.1.1.2 unresolved.
const VIF_TEXT = "Interface      BytesIn  PktsIn  BytesOut PktsOut Flags Local    Remote\n" +
  " 0 up0            1280      10         0       0 00008 00000002 00000000\n" +
  " 1 dn1               0       0      1280      10 00000 0100080A 00000000\n";
const CACHE_TEXT = "Group    Origin   Iif     Pkts    Bytes    Wrong Oifs\n" +
  "010101EF 0200090A 0         10     1280        0  1:1    2:1  \n" +
  "020101EF 0200090A -1         0        0        0\n";
const IGMP_TEXT = "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n" +
  "3\tva        :     2      V3\n" +
  "\t\t\t\t010101EF     1 0:00000000\t\t0\n" +
  "\t\t\t\t010000E0     1 0:00000000\t\t0\n";
const MCFILTER_TEXT = "Idx Device        MCA        SRC    INC    EXC\n" +
  "  3     va 0xef020202 0x0a000009      0      1\n";

// Captured on Linux 6.18 x86_64 with the MIF and MFC tables of proc_net_captures.ts: ff05::2
// joined on va (index 3) excluding 2001:db8::9.
const IGMP6_TEXT = "3    va              ff050000000000000000000000000002     1 00000004 0\n";
const MCFILTER6_TEXT = "Idx Device                Multicast Address                   " +
  "Source Address    INC    EXC\n" +
  "  3     va ff050000000000000000000000000002 20010db8000000000000000000000009      0      1\n";

Deno.test("parseKernelTables: the rows the doctor compares, unresolved entries left out", () => {
  deepStrictEqual(
    parseKernelTables("ipv4", {
      vifs: VIF_TEXT,
      mfc: CACHE_TEXT,
      memberships: IGMP_TEXT,
      filters: MCFILTER_TEXT,
    }, { littleEndian: true }),
    {
      family: "ipv4",
      vifs: [{ vif: 0, name: "up0" }, { vif: 1, name: "dn1" }],
      mfc: [{ source: "10.9.0.2", group: "239.1.1.1", input: 0, outputs: [1, 2] }],
      memberships: [{ ifindex: 3, group: "239.1.1.1" }, { ifindex: 3, group: "224.0.0.1" }],
      filters: [
        { ifindex: 3, group: "239.2.2.2", source: "10.0.0.9", include: 0, exclude: 1 },
      ],
      parseErrors: {},
    },
  );
  deepStrictEqual(
    parseKernelTables("ipv6", {
      vifs: MIF6_TEXT,
      mfc: CACHE6_TEXT,
      memberships: IGMP6_TEXT,
      filters: MCFILTER6_TEXT,
    }),
    {
      family: "ipv6",
      vifs: [{ vif: 0, name: "eth0" }, { vif: 1, name: "lo" }],
      mfc: [{ source: "2001:db8:1::12", group: "ff05::1", input: 0, outputs: [1] }],
      memberships: [{ ifindex: 3, group: "ff05::2" }],
      filters: [
        { ifindex: 3, group: "ff05::2", source: "2001:db8::9", include: 0, exclude: 1 },
      ],
      parseErrors: {},
    },
  );
});

Deno.test("parseKernelTables: a file not read is no table; one not parsed is none, with why", () => {
  deepStrictEqual(
    parseKernelTables("ipv4", {
      vifs: VIF_TEXT,
      mfc: "garbage\n",
      memberships: undefined,
      filters: MCFILTER6_TEXT,
    }, { littleEndian: true }),
    {
      family: "ipv4",
      vifs: [{ vif: 0, name: "up0" }, { vif: 1, name: "dn1" }],
      mfc: undefined,
      memberships: undefined,
      filters: undefined,
      parseErrors: {
        mfc: '1 field where 6 were expected on line 1: "garbage"',
        filters: 'bad group "ff050000000000000000000000000002" on line 2: "  3     va ' +
          'ff050000000000000000000000000002 20010db8000000000000000000000009      0      1"',
      },
    },
  );
  // The other family's layout.
  deepStrictEqual(
    parseKernelTables("ipv6", {
      vifs: VIF_TEXT,
      mfc: undefined,
      memberships: undefined,
      filters: undefined,
    }).parseErrors,
    {
      vifs: "9 fields where 7 were expected on line 2: " +
        '" 0 up0            1280      10         0       0 00008 00000002 00000000"',
    },
  );
});
