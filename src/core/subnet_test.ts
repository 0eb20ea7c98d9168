import { deepStrictEqual, equal } from "node:assert/strict";
import { compareAddresses, formatSubnet, inAnySubnet, networkOf } from "./subnet.ts";
import { ipv6ToBigInt, parseIPv6 } from "../proto/addr.ts";
import { ip } from "../proto/testing.ts";

const SCOPES = [
  { address: ip("239.255.0.0"), prefixLength: 16 },
  { address: ip("239.192.0.0"), prefixLength: 14 },
];

Deno.test("inAnySubnet: inside one of the prefixes, outside all, none given", () => {
  equal(inAnySubnet(ip("239.255.1.2"), SCOPES), true);
  equal(inAnySubnet(ip("239.195.255.255"), SCOPES), true, "last address of the /14");
  equal(inAnySubnet(ip("239.196.0.0"), SCOPES), false, "first address after the /14");
  equal(inAnySubnet(ip("239.1.1.1"), SCOPES), false);
  equal(inAnySubnet(ip("239.1.1.1"), []), false);
});

Deno.test("inAnySubnet: /0 holds everything, /32 one address", () => {
  equal(inAnySubnet(ip("224.1.2.3"), [{ address: 0, prefixLength: 0 }]), true);
  equal(inAnySubnet(ip("239.1.1.1"), [{ address: ip("239.1.1.1"), prefixLength: 32 }]), true);
  equal(inAnySubnet(ip("239.1.1.2"), [{ address: ip("239.1.1.1"), prefixLength: 32 }]), false);
});

Deno.test("formatSubnet: address/length", () => {
  equal(formatSubnet(SCOPES[1]), "239.192.0.0/14");
});

Deno.test("networkOf: host bits cleared, IPv4 from /0 to /32 and IPv6", () => {
  deepStrictEqual(networkOf({ address: ip("10.1.0.100"), prefixLength: 24 }), {
    address: ip("10.1.0.0"),
    prefixLength: 24,
  });
  equal(networkOf({ address: ip("255.255.255.255"), prefixLength: 0 }).address, 0);
  equal(networkOf({ address: ip("10.1.0.100"), prefixLength: 32 }).address, ip("10.1.0.100"));
  equal(networkOf({ address: ip("192.168.255.1"), prefixLength: 1 }).address, ip("128.0.0.0"));
  const a6 = (text: string) => ipv6ToBigInt(parseIPv6(text)!);
  equal(networkOf({ address: a6("2001:db8:1::1"), prefixLength: 64 }).address, a6("2001:db8:1::"));
  equal(networkOf({ address: a6("fe80::1"), prefixLength: 128 }).address, a6("fe80::1"));
});

Deno.test("compareAddresses: numeric order of numbers and bigints", () => {
  deepStrictEqual([ip("10.0.0.10"), ip("10.0.0.2"), ip("9.0.0.1")].sort(compareAddresses), [
    ip("9.0.0.1"),
    ip("10.0.0.2"),
    ip("10.0.0.10"),
  ]);
  deepStrictEqual([10n, 2n, 2n ** 127n].sort(compareAddresses), [2n, 10n, 2n ** 127n]);
});
