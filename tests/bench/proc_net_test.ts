import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { ipInDelivers, parseMcFilter } from "./proc_net.ts";

Deno.test("parseMcFilter: one entry per source line, addresses in host order", () => {
  const text = "Idx Device        MCA        SRC    INC    EXC\n" +
    "  2    up0 0xe8640000 0x0a000064      1      0\n" +
    "  2    up0 0xe8640000 0x0a000065      2      0\n" +
    "  3    dn1 0xef010101 0x0a000002      0      1\n";
  deepStrictEqual(parseMcFilter(text), [
    { ifname: "up0", group: 0xe8640000, source: 0x0a000064, include: 1, exclude: 0 },
    { ifname: "up0", group: 0xe8640000, source: 0x0a000065, include: 2, exclude: 0 },
    { ifname: "dn1", group: 0xef010101, source: 0x0a000002, include: 0, exclude: 1 },
  ]);
  deepStrictEqual(parseMcFilter("Idx Device        MCA        SRC    INC    EXC\n"), []);
});

Deno.test("ipInDelivers: the InDelivers column of the Ip lines", () => {
  const snmp = "Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams " +
    "InUnknownProtos InDiscards InDelivers OutRequests\n" +
    "Ip: 2 64 164595 0 0 0 0 0 164593 138240\n" +
    "Icmp: InMsgs InErrors\nIcmp: 4 0\n";
  equal(ipInDelivers(snmp), 164593);
  throws(() => ipInDelivers("Icmp: InMsgs\nIcmp: 4\n"), /No Ip InDelivers/);
});
