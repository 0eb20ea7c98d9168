import { deepStrictEqual } from "node:assert/strict";
import { parseCapture } from "./capture.ts";

// Captured with tcpdump 4.99.3 (`-l -n -v -tt -i eth0 igmp`) on an IGMPv2 lab host of LAN 1:
// the daemon's startup general query, the proxy kernel's own IGMPv3 report, the host's join and
// leave of 239.1.1.1, and the group-specific query that followed.
const SAMPLE = "1795306779.501375 IP (tos 0xc0, ttl 1, id 23606, offset 0, flags [DF], " +
  "proto IGMP (2), length 32, options (RA))\n" +
  "    10.1.0.1 > 224.0.0.1: igmp query v2\n" +
  "1795306779.510687 IP (tos 0xc0, ttl 1, id 0, offset 0, flags [DF], proto IGMP (2), " +
  "length 48, options (RA))\n" +
  "    10.1.0.1 > 224.0.0.22: igmp v3 report, 2 group record(s) [gaddr 224.0.0.22 to_ex, " +
  "0 source(s)] [gaddr 224.0.0.2 to_ex, 0 source(s)]\n" +
  "1795306779.578641 IP (tos 0xc0, ttl 1, id 0, offset 0, flags [DF], proto IGMP (2), " +
  "length 32, options (RA))\n" +
  "    10.1.0.11 > 239.1.1.1: igmp v2 report 239.1.1.1\n" +
  "1795306779.873706 IP (tos 0xc0, ttl 1, id 0, offset 0, flags [DF], proto IGMP (2), " +
  "length 32, options (RA))\n" +
  "    10.1.0.11 > 224.0.0.2: igmp leave 239.1.1.1\n" +
  "1795306779.874454 IP (tos 0xc0, ttl 1, id 57022, offset 0, flags [DF], proto IGMP (2), " +
  "length 32, options (RA))\n" +
  "    10.1.0.1 > 239.1.1.1: igmp query v2 [max resp time 10] [gaddr 239.1.1.1]\n" +
  "\n";

/** Times in whole microseconds, so that the comparison does not depend on float rounding. */
function micros(packets: { time: number }[]): number[] {
  return packets.map((p) => Math.round(p.time * 1000));
}

Deno.test("parseCapture reads each header line and the indented body after it", () => {
  const packets = parseCapture(SAMPLE);
  deepStrictEqual(packets.map((p) => p.body), [
    "10.1.0.1 > 224.0.0.1: igmp query v2",
    "10.1.0.1 > 224.0.0.22: igmp v3 report, 2 group record(s) [gaddr 224.0.0.22 to_ex, " +
    "0 source(s)] [gaddr 224.0.0.2 to_ex, 0 source(s)]",
    "10.1.0.11 > 239.1.1.1: igmp v2 report 239.1.1.1",
    "10.1.0.11 > 224.0.0.2: igmp leave 239.1.1.1",
    "10.1.0.1 > 239.1.1.1: igmp query v2 [max resp time 10] [gaddr 239.1.1.1]",
  ]);
  deepStrictEqual(micros(packets), [
    1795306779501375,
    1795306779510687,
    1795306779578641,
    1795306779873706,
    1795306779874454,
  ]);
  deepStrictEqual(
    packets[0].header,
    "tos 0xc0, ttl 1, id 23606, offset 0, flags [DF], proto IGMP (2), length 32, options (RA)",
  );
});

Deno.test("parseCapture skips a header without a body and lines that are not packets", () => {
  const text =
    "tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n" +
    "1795306780.876698 IP (tos 0xc0, ttl 1, id 57262, offset 0, flags [DF], proto IGMP (2), " +
    "length 32, options (RA))\n" +
    "    10.1.0.1 > 239.1.1.1: igmp query v2 [max resp time 10] [gaddr 239.1.1.1]\n" +
    // Cut off by SIGTERM before its body was printed.
    "1795306781.878002 IP (tos 0xc0, ttl 1, id 57300, offset 0, flags [DF], proto IGMP (2), " +
    "length 32, options (RA))";
  const packets = parseCapture(text);
  deepStrictEqual(packets.map((p) => p.body), [
    "10.1.0.1 > 239.1.1.1: igmp query v2 [max resp time 10] [gaddr 239.1.1.1]",
  ]);
  deepStrictEqual(micros(packets), [1795306780876698]);
  deepStrictEqual(parseCapture(""), []);
});
