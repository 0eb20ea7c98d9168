import { equal } from "node:assert/strict";
import { formatSubnet, inAnySubnet } from "./subnet.ts";
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
