import { deepStrictEqual } from "node:assert/strict";
import { packetTimes } from "./packet_times.ts";

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
