import { deepStrictEqual } from "node:assert/strict";
import { hopLimit, parseCapture } from "./capture.ts";

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

// Captured with tcpdump 4.99.3 (`-l -n -v -tt -i eth0 'ip6[40] == 58 or udp'`) on the peer of
// an MLDv1 host (force_mld_version 1) that joined ff05::1, received two datagrams sent with hop
// limit 8 and left; then an MLDv2 host's report. tcpdump prints an IPv6 packet on one line and
// runs "report" into "max resp delay" for MLDv1.
const SAMPLE6 = "1795313880.443729 IP6 (hlim 1, next-header Options (0) payload length: 32) " +
  "fe80::f47b:1cff:fee6:bf3b > ff05::1: HBH (rtalert: 0x0000) (padn) [icmp6 sum ok] ICMP6, " +
  "multicast listener reportmax resp delay: 0 addr: ff05::1\n" +
  "1795313882.098315 IP6 (flowlabel 0x39188, hlim 8, next-header UDP (17) payload length: 108) " +
  "2001:db8:1::12.59977 > ff05::1.5001: [bad udp cksum 0x2d50 -> 0x4ce9!] UDP, length 100\n" +
  "1795313882.125759 IP6 (flowlabel 0x39188, hlim 8, next-header UDP (17) payload length: 108) " +
  "2001:db8:1::12.59977 > ff05::1.5001: [bad udp cksum 0x2d50 -> 0x4ce9!] UDP, length 100\n" +
  "1795313883.453201 IP6 (hlim 1, next-header Options (0) payload length: 32) " +
  "fe80::f47b:1cff:fee6:bf3b > ff02::2: HBH (rtalert: 0x0000) (padn) [icmp6 sum ok] ICMP6, " +
  "multicast listener donemax resp delay: 0 addr: ff05::1\n" +
  "1795313886.475911 IP6 (hlim 1, next-header Options (0) payload length: 36) " +
  "fe80::f47b:1cff:fee6:bf3b > ff02::16: HBH (rtalert: 0x0000) (padn) [icmp6 sum ok] ICMP6, " +
  "multicast listener report v2, 1 group record(s) [gaddr ff05::1 to_ex, 0 source(s)]\n";

Deno.test("parseCapture reads IPv6 packets, one per line, header parentheses nested", () => {
  const packets = parseCapture(SAMPLE6);
  deepStrictEqual(packets.map((p) => p.family), [6, 6, 6, 6, 6]);
  deepStrictEqual(packets.map((p) => p.header), [
    "hlim 1, next-header Options (0) payload length: 32",
    "flowlabel 0x39188, hlim 8, next-header UDP (17) payload length: 108",
    "flowlabel 0x39188, hlim 8, next-header UDP (17) payload length: 108",
    "hlim 1, next-header Options (0) payload length: 32",
    "hlim 1, next-header Options (0) payload length: 36",
  ]);
  deepStrictEqual(
    packets[0].body,
    "fe80::f47b:1cff:fee6:bf3b > ff05::1: HBH (rtalert: 0x0000) " +
      "(padn) [icmp6 sum ok] ICMP6, multicast listener reportmax resp delay: 0 addr: ff05::1",
  );
  deepStrictEqual(
    packets[1].body,
    "2001:db8:1::12.59977 > ff05::1.5001: [bad udp cksum 0x2d50 -> 0x4ce9!] UDP, length 100",
  );
  deepStrictEqual(micros(packets)[0], 1795313880443729);
  deepStrictEqual(packets.map(hopLimit), [1, 8, 8, 1, 1]);
});

Deno.test("parseCapture reads IPv4 and IPv6 packets mixed, and hopLimit reads a TTL", () => {
  const packets = parseCapture(SAMPLE6.split("\n").slice(0, 2).join("\n") + "\n" + SAMPLE);
  deepStrictEqual(packets.map((p) => p.family), [6, 6, 4, 4, 4, 4, 4]);
  deepStrictEqual(packets.slice(2).map(hopLimit), [1, 1, 1, 1, 1]);
  deepStrictEqual(hopLimit({ time: 0, header: "flowlabel 0x1", body: "", family: 6 }), undefined);
  // An IPv6 line cut off before its header closed.
  deepStrictEqual(parseCapture("1795313880.443729 IP6 (hlim 1, next-header Options (0"), []);
});
