import { deepStrictEqual, equal } from "node:assert/strict";
import { CACHE6_TEXT, MIF6_TEXT } from "./proc_net_captures.ts";
import { parseIp6MrCache, parseIp6MrVif, parseIpMrCache, parseIpMrVif } from "./proc_net_mroute.ts";
import type { ProcNetResult } from "./proc_net_fields.ts";

/** The rows of a result that must be one. */
function rows<T>(result: ProcNetResult<T>): T[] {
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

/** The reason of a result that must be a failure. */
function reason<T>(result: ProcNetResult<T>): string {
  return result.ok ? "(parsed)" : result.reason;
}

// Captured on Linux 6.x x86_64: VIF 0 added with VIFF_USE_IFINDEX (ifindex 2), VIF 1 by
// local address 10.8.0.1; after 10 datagrams of 128 bytes from 10.9.0.2 to 239.1.1.1 (resolved,
// forwarded to VIF 1 with threshold 1) and 10 to 239.1.1.2 (no MFC entry: unresolved).
const VIF_TEXT = "Interface      BytesIn  PktsIn  BytesOut PktsOut Flags Local    Remote\n" +
  " 0 up0            1280      10         0       0 00008 00000002 00000000\n" +
  " 1 dn1               0       0      1280      10 00000 0100080A 00000000\n";

const CACHE_TEXT = "Group    Origin   Iif     Pkts    Bytes    Wrong Oifs\n" +
  "010101EF 0200090A 0         10     1280        0  1:1  \n" +
  "020101EF 0200090A -1         0        0        0\n";

Deno.test("parseIpMrVif reads a captured table with an ifindex VIF and an address VIF", () => {
  deepStrictEqual(rows(parseIpMrVif(VIF_TEXT, { littleEndian: true })), [
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

Deno.test("parseIpMrVif: an empty table, two-digit VIF indexes", () => {
  deepStrictEqual(rows(parseIpMrVif(VIF_TEXT.split("\n")[0])), []);
  deepStrictEqual(rows(parseIpMrVif("")), []);
  const [v] = rows(parseIpMrVif(
    "31 dn31              0       0         0       0 00000 0100080A 00000000\n",
    { littleEndian: true },
  ));
  deepStrictEqual([v.vif, v.name, v.local], [31, "dn31", "10.8.0.1"]);
});

Deno.test("parseIpMrVif says which line is bad and why", () => {
  equal(
    reason(parseIpMrVif(" 0 up0 1280 10\n")),
    '4 fields where 9 were expected on line 1: " 0 up0 1280 10"',
  );
  equal(
    reason(parseIpMrVif(VIF_TEXT.replace("00000 0100080A", "0000x 0100080A"))),
    'bad flags "0000x" on line 3: " 1 dn1               0       0      1280      10 0000x ' +
      '0100080A 00000000"',
  );
  equal(
    reason(parseIpMrVif(" 0 up0 1 1 0 0 00008 0002 00000000\n")),
    'bad local address "0002" on line 1: " 0 up0 1 1 0 0 00008 0002 00000000"',
  );
  // The IPv6 layout is not the IPv4 one, either way.
  equal(
    reason(parseIpMrVif(MIF6_TEXT)).startsWith("7 fields where 9 were expected on line 2"),
    true,
  );
});

Deno.test("parseIpMrCache reads a resolved and an unresolved entry", () => {
  deepStrictEqual(rows(parseIpMrCache(CACHE_TEXT, { littleEndian: true })), [
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
  deepStrictEqual(rows(parseIpMrCache(CACHE_TEXT.split("\n")[0])), []);
});

Deno.test("parseIpMrCache reads several oifs, and the addresses of a big-endian machine", () => {
  // Kernel format per oif: " %2d:%-3d".
  const line = "010101EF 0200000A 0       1234   567890        3  1:1    2:1   12:64 \n";
  const [e] = rows(parseIpMrCache(line, { littleEndian: true }));
  deepStrictEqual([e.origin, e.packets, e.bytes, e.wrong], ["10.0.0.2", 1234, 567890, 3]);
  deepStrictEqual(e.oifs, [{ vif: 1, ttl: 1 }, { vif: 2, ttl: 1 }, { vif: 12, ttl: 64 }]);
  const [be] = rows(parseIpMrCache("EF010101 0A090002 3 0 0 0  4:1\n", { littleEndian: false }));
  deepStrictEqual([be.group, be.origin, be.iif], ["239.1.1.1", "10.9.0.2", 3]);
});

Deno.test("parseIpMrCache says which line is bad and why", () => {
  const bad = (text: string) => reason(parseIpMrCache(text, { littleEndian: true }));
  equal(
    bad("010101EF 0200090A 0 10 1280\n"),
    '5 fields where 6 were expected on line 1: "010101EF 0200090A 0 10 1280"',
  );
  equal(bad("010101EF 0200090A 0 10 1280 0 1-1\n").split(" on ")[0], 'bad oif "1-1"');
  equal(bad("0101EF 0200090A 0 10 1280 0 1:1\n").split(" on ")[0], 'bad group "0101EF"');
  equal(bad("010101EF 0200090A x 10 1280 0 1:1\n").split(" on ")[0], 'bad Iif "x"');
  equal(bad(CACHE6_TEXT).split(" on ")[0], 'bad group "ff05:0000:0000:0000:0000:0000:0000:0001"');
});

Deno.test("parseIp6MrVif reads a captured MIF table and MIFF_REGISTER", () => {
  deepStrictEqual(rows(parseIp6MrVif(MIF6_TEXT)), [
    { mif: 0, name: "eth0", bytesIn: 1480, pktsIn: 10, bytesOut: 0, pktsOut: 0, flags: 0 },
    { mif: 1, name: "lo", bytesIn: 0, pktsIn: 0, bytesOut: 0, pktsOut: 0, flags: 0 },
  ]);
  deepStrictEqual(rows(parseIp6MrVif(MIF6_TEXT.split("\n")[0])), []);
  deepStrictEqual(rows(parseIp6MrVif("")), []);
  // Kernel format: "%2td %-10s %8ld %7ld  %8ld %7ld %05X".
  const [m] = rows(parseIp6MrVif("31 pim6reg           0       0         0       0 00001\n"));
  deepStrictEqual([m.mif, m.name, m.flags], [31, "pim6reg", 1]);
});

Deno.test("parseIp6MrVif rejects an IPv4 VIF line, a truncated line, bad flags", () => {
  equal(reason(parseIp6MrVif(VIF_TEXT)).split(" on ")[0], "9 fields where 7 were expected");
  equal(
    reason(parseIp6MrVif(" 0 eth0 1480 10\n")).split(" on ")[0],
    "4 fields where 7 were expected",
  );
  equal(reason(parseIp6MrVif(" 0 eth0 1480 10 0 0 0000x\n")).split(" on ")[0], 'bad flags "0000x"');
});

Deno.test("parseIp6MrCache reads a resolved and an unresolved entry in RFC 5952 form", () => {
  deepStrictEqual(rows(parseIp6MrCache(CACHE6_TEXT)), [
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
  deepStrictEqual(rows(parseIp6MrCache(CACHE6_TEXT.split("\n")[0])), []);
});

Deno.test("parseIp6MrCache reads several oifs", () => {
  const line = "ff3e:0000:0000:0000:0000:0000:8000:0001 fe80:0000:0000:0000:0001:0002:0003:0004 " +
    "2        7      700        1  0:1    3:1   31:64 \n";
  const [e] = rows(parseIp6MrCache(line));
  deepStrictEqual([e.group, e.origin, e.iif, e.wrong], ["ff3e::8000:1", "fe80::1:2:3:4", 2, 1]);
  deepStrictEqual(e.oifs, [{ vif: 0, ttl: 1 }, { vif: 3, ttl: 1 }, { vif: 31, ttl: 64 }]);
});

Deno.test("parseIp6MrCache rejects compressed or IPv4 addresses and a malformed oif", () => {
  const bad = (text: string) => reason(parseIp6MrCache(text)).split(" on ")[0];
  equal(bad("ff05::1 2001:db8::2 0 1 1 0\n"), 'bad group "ff05::1"');
  equal(bad("010101EF 0200090A 0 10 1280 0  1:1\n"), 'bad group "010101EF"');
  equal(
    bad(
      "ff05:0000:0000:0000:0000:0000:0000:0001 2001:0db8:0001:0000:0000:0000:0000:0012 0 " +
        "1 1 0 1/1\n",
    ),
    'bad oif "1/1"',
  );
  equal(bad("ff05:0000:0000:0000:0000:0000:0000:0001\n"), "1 field where 6 were expected");
});
