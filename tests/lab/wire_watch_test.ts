import { deepStrictEqual, equal } from "node:assert/strict";
import { parseCapture } from "./capture.ts";
import {
  countBySource,
  isV3Report,
  queryKind,
  queryMaxResponseMs,
  reportRecords,
  udpFlow,
} from "./wire_watch.ts";

// tcpdump 4.99.3 output (`-l -n -tt -vv`): a stock host's IGMPv3 and MLDv2 source-specific
// reports and the proxy's IGMPv2 query as captured in lab namespaces; the MLDv1 query and the
// datagrams of the lab's two senders written in the same format.
const SAMPLE = [
  "1796481410.254138 IP (tos 0xc0, ttl 1, id 0, offset 0, flags [DF], proto IGMP (2), " +
  "length 44, options (RA))",
  "    10.5.0.11 > 224.0.0.22: igmp v3 report, 1 group record(s) [gaddr 232.1.1.1 allow " +
  "{ 10.0.0.2 }]",
  "1796481411.218111 IP (tos 0xc0, ttl 1, id 0, offset 0, flags [DF], proto IGMP (2), " +
  "length 56, options (RA))",
  "    10.5.0.11 > 224.0.0.22: igmp v3 report, 2 group record(s) [gaddr 232.1.1.1 block " +
  "{ 10.0.0.2 }] [gaddr 239.1.3.1 to_ex { }]",
  "1796481411.830158 IP6 (hlim 1, next-header Options (0) payload length: 88) " +
  "fe80::a0aa:46ff:fe89:65ab > ff02::16: HBH (rtalert: 0x0000) (padn) [icmp6 sum ok] ICMP6, " +
  "multicast listener report v2, 2 group record(s) [gaddr ff05::1 to_ex { 2001:db8::3 }] " +
  "[gaddr ff3e::8000:1 allow { 2001:db8::2 }]",
  "1795306779.501375 IP (tos 0xc0, ttl 1, id 23606, offset 0, flags [DF], proto IGMP (2), " +
  "length 32, options (RA))",
  "    10.1.0.1 > 224.0.0.1: igmp query v2",
  "1795306780.000000 IP6 (hlim 1, next-header Options (0) payload length: 32) fe80::1 > " +
  "ff02::1: HBH (rtalert: 0x0000) (padn) [icmp6 sum ok] ICMP6, multicast listener query " +
  "max resp delay: 10000 addr: ::",
  "1796481420.100000 IP (tos 0x0, ttl 7, id 1, offset 0, flags [DF], proto UDP (17), " +
  "length 47)",
  "    10.0.0.2.40000 > 232.1.1.1.5001: [udp sum ok] UDP, length 19",
  "1796481420.110000 IP (tos 0x0, ttl 7, id 2, offset 0, flags [DF], proto UDP (17), " +
  "length 47)",
  "    10.0.0.3.40001 > 232.1.1.1.5001: [udp sum ok] UDP, length 19",
  "1796481420.120000 IP6 (flowlabel 0x1, hlim 4, next-header UDP (17) payload length: 27) " +
  "2001:db8::2.45678 > ff3e::8000:1.5001: [udp sum ok] UDP, length 19",
  "",
].join("\n");

const packets = parseCapture(SAMPLE);

Deno.test("reportRecords reads each record's group, type and sources", () => {
  deepStrictEqual(packets.map(reportRecords).filter((r) => r.length > 0), [
    [{ group: "232.1.1.1", type: "allow", sources: ["10.0.0.2"] }],
    [
      { group: "232.1.1.1", type: "block", sources: ["10.0.0.2"] },
      { group: "239.1.3.1", type: "to_ex", sources: [] },
    ],
    [
      { group: "ff05::1", type: "to_ex", sources: ["2001:db8::3"] },
      { group: "ff3e::8000:1", type: "allow", sources: ["2001:db8::2"] },
    ],
  ]);
  deepStrictEqual(packets.map(isV3Report), [true, true, true, false, false, false, false, false]);
});

Deno.test("queryKind names the protocol version of a query", () => {
  deepStrictEqual(packets.map(queryKind), [
    ...[undefined, undefined, undefined],
    ...["igmp v2", "mld v1"],
    ...[undefined, undefined, undefined],
  ]);
  // The IGMPv3 query captured from `igmp_tool.ts query --version 3 --max-resp-ms 1000`, the
  // MLDv2 one written after tcpdump's format (the daemon sends none yet).
  const v3 = parseCapture(
    "1796484971.875890 IP (tos 0xc0, ttl 1, id 0, offset 0, flags [DF], proto IGMP (2), " +
      "length 36, options (RA))\n" +
      "    10.5.0.11 > 224.0.0.1: igmp query v3 [max resp time 1.0s]\n" +
      "2.0 IP6 (hlim 1, next-header Options (0) payload length: 36) fe80::1 > ff02::1: HBH " +
      "[icmp6 sum ok] ICMP6, multicast listener query v2 [max resp delay=1000] [gaddr :: " +
      "robustness=2 qqi=3]\n",
  );
  deepStrictEqual(v3.map(queryKind), ["igmp v3", "mld v2"]);
  deepStrictEqual(v3.map(queryMaxResponseMs), [1000, 1000]);
  deepStrictEqual(packets.slice(3, 5).map(queryMaxResponseMs), [undefined, 10000]);
});

Deno.test("udpFlow and countBySource count the datagrams of each source on a wire", () => {
  deepStrictEqual(packets.slice(5).map(udpFlow), [
    { source: "10.0.0.2", group: "232.1.1.1" },
    { source: "10.0.0.3", group: "232.1.1.1" },
    { source: "2001:db8::2", group: "ff3e::8000:1" },
  ]);
  equal(udpFlow(packets[0]), undefined);
  deepStrictEqual(
    Object.fromEntries(countBySource(packets, { group: "232.1.1.1" })),
    { "10.0.0.2": 1, "10.0.0.3": 1 },
  );
  deepStrictEqual(
    Object.fromEntries(countBySource(packets, { group: "232.1.1.1", since: 1796481420105 })),
    { "10.0.0.3": 1 },
  );
});
