import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { hexToAddr, parseMrCache, parseMrVif } from "./proc.ts";

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
