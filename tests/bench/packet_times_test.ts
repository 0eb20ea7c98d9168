import { deepStrictEqual, equal } from "node:assert/strict";
import { packetTimes, parsePacketLine } from "./packet_times.ts";

Deno.test("packetTimes: wall-clock ms of IPv4 and IPv6 packet lines, other lines skipped", () => {
  const text = [
    "1764748800.123456 IP 10.0.0.2.40000 > 239.10.0.1.5001: UDP, length 20",
    "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode",
    "1764748800.5 IP6 fe80::1 > ff02::1: HBH ICMP6, multicast listener query v2",
    "1764748801.000001 ARP, Request who-has 10.1.0.1 tell 10.1.0.11, length 28",
    "",
  ].join("\n");
  const times = packetTimes(text);
  deepStrictEqual(times.length, 2);
  deepStrictEqual(times.map((t) => Math.round(t * 1000)), [1764748800123456, 1764748800500000]);
});

Deno.test("parsePacketLine: the destination without its port, IPv4 and IPv6", () => {
  deepStrictEqual(
    parsePacketLine("1764748800.25 IP 10.0.0.2.40000 > 239.20.3.7.5001: UDP, length 20"),
    { time: 1764748800250, destination: "239.20.3.7" },
  );
  deepStrictEqual(
    parsePacketLine("1764748800.5 IP 10.1.0.11 > 239.10.0.1: igmp v2 report 239.10.0.1"),
    { time: 1764748800500, destination: "239.10.0.1" },
  );
  deepStrictEqual(
    parsePacketLine("1764748801.0 IP6 2001:db8::2.40000 > ff05::1:1.5001: UDP, length 20"),
    { time: 1764748801000, destination: "ff05::1:1" },
  );
  deepStrictEqual(
    parsePacketLine("1764748801.0 IP6 fe80::1 > ff02::16: HBH ICMP6, multicast listener report v2"),
    { time: 1764748801000, destination: "ff02::16" },
  );
  equal(
    parsePacketLine("1764748801.000001 ARP, Request who-has 10.1.0.1 tell 10.1.0.11"),
    undefined,
  );
});
