import { deepStrictEqual, equal } from "node:assert/strict";
import { parseIgmp, parseIgmp6, parseMcfilter } from "./proc_net_membership.ts";
import type { ProcNetResult } from "./proc_net_fields.ts";

/** The rows of a result that must be one. */
function rows<T>(result: ProcNetResult<T>): T[] {
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

/** What is wrong, without the line, of a result that must be a failure. */
function problem<T>(result: ProcNetResult<T>): string {
  return result.ok ? "(parsed)" : result.reason.split(" on line ")[0];
}

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
const MCFILTER6_TEXT = "Idx Device                Multicast Address                   " +
  "Source Address    INC    EXC\n" +
  "  3     va ff050000000000000000000000000002 20010db8000000000000000000000009      0      1\n" +
  "  3     va ff3e0000000000000000000080000001 20010db8000100000000000000000012      1      0\n";

// /proc/net/igmp of the proxy namespace while igmpproxy runs with one downstream listener
// (Linux 6.18, x86_64): the reporter column set, an IGMPv2 querier on dn1, and dn2 with only
// 224.0.0.1.
const PROXY_IGMP_TEXT = [
  "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter",
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

Deno.test("parseIgmp: the groups of each interface, by index and name, in host-order hex", () => {
  deepStrictEqual(rows(parseIgmp(IGMP_TEXT, { littleEndian: true })), [
    { ifindex: 1, name: "lo", group: "224.0.0.1", users: 1 },
    { ifindex: 3, name: "va", group: "239.2.2.2", users: 1 },
    { ifindex: 3, name: "va", group: "232.1.2.3", users: 1 },
    { ifindex: 3, name: "va", group: "239.1.1.1", users: 1 },
    { ifindex: 3, name: "va", group: "224.0.0.1", users: 1 },
  ]);
  deepStrictEqual(
    rows(parseIgmp(PROXY_IGMP_TEXT, { littleEndian: true })).map((m) => `${m.name} ${m.group}`),
    [
      "up0 239.1.1.1",
      "up0 224.0.0.1",
      "dn1 224.0.0.22",
      "dn1 224.0.0.2",
      "dn1 224.0.0.1",
      "dn2 224.0.0.1",
    ],
  );
  deepStrictEqual(rows(parseIgmp(IGMP_TEXT.split("\n")[0])), []);
  // A name of 10 characters or more leaves no blank before the colon.
  deepStrictEqual(
    rows(parseIgmp("7\tvery-long-if:     1      V3\n\t\t\t\tEF010101     2 1:0000001A\t\t1\n", {
      littleEndian: false,
    })),
    [{ ifindex: 7, name: "very-long-if", group: "239.1.1.1", users: 2 }],
  );
});

Deno.test("parseIgmp says which line is bad and why", () => {
  const bad = (text: string) => problem(parseIgmp(text, { littleEndian: true }));
  equal(bad("\t\t\t\t010000E0     1 0:00000000\t\t0\n"), "a group before any interface");
  equal(bad("3\tva        :     4      V3\nva\n"), "neither an interface nor a group");
  equal(
    bad("3\tva        :     4      V3\n\t\t\t\t0100E0     1 0:00000000\t\t0\n"),
    'bad group "0100E0"',
  );
  equal(bad("3\tva        :     4      V3\n\t\t\t\t010000E0     1 0-0\t\t0\n"), 'bad timer "0-0"');
  equal(
    bad("3\tva        :     4      V3\n\t\t\t\t010000E0     1\n"),
    "2 fields where 4 were expected",
  );
});

Deno.test("parseIgmp6 reads a captured membership table", () => {
  const memberships = rows(parseIgmp6(IGMP6_TEXT));
  equal(memberships.length, 7);
  deepStrictEqual(memberships[2], {
    ifindex: 2,
    name: "eth0",
    group: "ff05::1",
    users: 1,
    flags: 7,
    timer: 534,
  });
  deepStrictEqual(memberships.filter((r) => r.name === "eth0").map((r) => r.group), [
    "ff05::1",
    "ff02::1:ffe6:bf3b",
    "ff02::1:ff00:11",
    "ff02::1",
  ]);
  equal(memberships[0].flags, 0xc);
  deepStrictEqual(rows(parseIgmp6("")), []);
});

Deno.test("parseIgmp6 rejects a line of /proc/net/igmp, and a compressed address", () => {
  equal(problem(parseIgmp6("2\teth0     :     1      V3\n")), "5 fields where 6 were expected");
  equal(problem(parseIgmp6("2 eth0 ff05::1 1 00000004 0\n")), 'bad group "ff05::1"');
  equal(
    problem(parseIgmp6("2 eth0 ff050000000000000000000000000001 1 0000000Z 0\n")),
    'bad flags "0000000Z"',
  );
});

Deno.test("parseMcfilter: the sources of each filter, in network order for IPv4", () => {
  deepStrictEqual(rows(parseMcfilter(MCFILTER_TEXT, "ipv4")), [
    { ifindex: 3, name: "va", group: "239.2.2.2", source: "10.0.0.9", include: 0, exclude: 1 },
    { ifindex: 3, name: "va", group: "239.2.2.2", source: "192.168.1.20", include: 0, exclude: 1 },
    { ifindex: 3, name: "va", group: "232.1.2.3", source: "10.0.0.5", include: 1, exclude: 0 },
  ]);
  deepStrictEqual(rows(parseMcfilter(MCFILTER6_TEXT, "ipv6")), [
    { ifindex: 3, name: "va", group: "ff05::2", source: "2001:db8::9", include: 0, exclude: 1 },
    {
      ifindex: 3,
      name: "va",
      group: "ff3e::8000:1",
      source: "2001:db8:1::12",
      include: 1,
      exclude: 0,
    },
  ]);
  deepStrictEqual(rows(parseMcfilter(MCFILTER_TEXT.split("\n")[0], "ipv4")), []);
  // The other family's addresses.
  equal(problem(parseMcfilter(MCFILTER_TEXT, "ipv6")), 'bad group "0xef020202"');
  equal(
    problem(parseMcfilter(MCFILTER6_TEXT, "ipv4")),
    'bad group "ff050000000000000000000000000002"',
  );
  equal(
    problem(parseMcfilter("  3 va 0xef020202 0x0a000009 0\n", "ipv4")),
    "5 fields where 6 were expected",
  );
});
