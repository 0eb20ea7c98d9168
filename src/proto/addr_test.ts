import assert from "node:assert/strict";
import {
  bigIntToIPv6,
  equalIPv6,
  formatIPv4,
  formatIPv6,
  ipv4Mask,
  ipv4MaskLength,
  ipv6MulticastScope,
  ipv6ToBigInt,
  isIPv4Multicast,
  isIPv6LinkLocalUnicast,
  isIPv6Multicast,
  isIPv6Unspecified,
  maskIPv4,
  maskIPv6,
  parseIPv4,
  parseIPv6,
  prefixContainsIPv4,
  prefixContainsIPv6,
} from "./addr.ts";

Deno.test("parseIPv4 reads dotted quads as unsigned 32-bit numbers", () => {
  assert.equal(parseIPv4("10.0.0.1"), 0x0a000001);
  assert.equal(parseIPv4("0.0.0.0"), 0);
  assert.equal(parseIPv4("255.255.255.255"), 0xffffffff);
  assert.equal(parseIPv4("224.0.0.22"), 0xe0000016);
});

Deno.test("parseIPv4 rejects everything but a strict dotted quad", () => {
  for (
    const s of [
      "",
      "10.0.0",
      "10.1",
      "10.0.0.0.1",
      "256.0.0.1",
      "10.0.0.01",
      "010.0.0.1",
      "0x0a.0.0.1",
      "10.0.0.-1",
      " 10.0.0.1",
      "10.0.0.1 ",
      "10..0.1",
      "1000.0.0.1",
      "10.0.0.1/8",
    ]
  ) {
    assert.equal(parseIPv4(s), undefined, s);
  }
});

Deno.test("formatIPv4 prints dotted quads and wraps to 32 bits", () => {
  assert.equal(formatIPv4(0xe0000001), "224.0.0.1");
  assert.equal(formatIPv4(0), "0.0.0.0");
  assert.equal(formatIPv4(0xffffffff), "255.255.255.255");
  assert.equal(formatIPv4(-1), "255.255.255.255");
  assert.equal(formatIPv4(parseIPv4("192.168.1.20")!), "192.168.1.20");
});

Deno.test("isIPv4Multicast is 224.0.0.0/4", () => {
  assert.equal(isIPv4Multicast(parseIPv4("224.0.0.0")!), true);
  assert.equal(isIPv4Multicast(parseIPv4("239.255.255.255")!), true);
  assert.equal(isIPv4Multicast(parseIPv4("223.255.255.255")!), false);
  assert.equal(isIPv4Multicast(parseIPv4("240.0.0.0")!), false);
  assert.equal(isIPv4Multicast(parseIPv4("10.0.0.1")!), false);
});

Deno.test("ipv4MaskLength reads contiguous masks and refuses masks with holes", () => {
  for (let len = 0; len <= 32; len++) assert.equal(ipv4MaskLength(ipv4Mask(len)), len);
  assert.equal(ipv4MaskLength(0xff00ff00), undefined);
  assert.equal(ipv4MaskLength(0x00ffffff), undefined);
  assert.equal(ipv4MaskLength(0xfffffffd), undefined);
  assert.equal(ipv4MaskLength(0x80000001), undefined);
});

Deno.test("ipv4Mask and maskIPv4 clear host bits", () => {
  assert.equal(ipv4Mask(0), 0);
  assert.equal(ipv4Mask(8), 0xff000000);
  assert.equal(ipv4Mask(31), 0xfffffffe);
  assert.equal(ipv4Mask(32), 0xffffffff);
  assert.equal(formatIPv4(maskIPv4(parseIPv4("10.1.2.3")!, 8)), "10.0.0.0");
  assert.equal(formatIPv4(maskIPv4(parseIPv4("192.168.7.200")!, 25)), "192.168.7.128");
  assert.equal(formatIPv4(maskIPv4(parseIPv4("192.168.7.200")!, 0)), "0.0.0.0");
});

Deno.test("prefixContainsIPv4 tests membership and ignores host bits of the prefix", () => {
  const a = (s: string) => parseIPv4(s)!;
  assert.equal(prefixContainsIPv4(a("10.0.0.0"), 8, a("10.255.1.2")), true);
  assert.equal(prefixContainsIPv4(a("10.0.0.0"), 8, a("11.0.0.0")), false);
  assert.equal(prefixContainsIPv4(a("10.0.0.1"), 8, a("10.9.9.9")), true);
  assert.equal(prefixContainsIPv4(a("192.168.1.0"), 24, a("192.168.1.255")), true);
  assert.equal(prefixContainsIPv4(a("192.168.1.0"), 24, a("192.168.2.0")), false);
  assert.equal(prefixContainsIPv4(a("192.168.1.1"), 32, a("192.168.1.1")), true);
  assert.equal(prefixContainsIPv4(a("192.168.1.1"), 32, a("192.168.1.2")), false);
  assert.equal(prefixContainsIPv4(0, 0, a("203.0.113.9")), true);
  assert.equal(prefixContainsIPv4(a("10.0.0.0"), 33, a("10.0.0.0")), false);
  assert.equal(prefixContainsIPv4(a("10.0.0.0"), -1, a("10.0.0.0")), false);
});

/** Builds 16 bytes from eight 16-bit groups. */
function v6(...groups: number[]): Uint8Array {
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

Deno.test("parseIPv6 reads full, compressed and mixed forms", () => {
  assert.deepEqual(parseIPv6("2001:db8:0:0:1:0:0:1"), v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1));
  assert.deepEqual(parseIPv6("2001:DB8::1"), v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
  assert.deepEqual(parseIPv6("::"), v6(0, 0, 0, 0, 0, 0, 0, 0));
  assert.deepEqual(parseIPv6("::1"), v6(0, 0, 0, 0, 0, 0, 0, 1));
  assert.deepEqual(parseIPv6("ff02::16"), v6(0xff02, 0, 0, 0, 0, 0, 0, 0x16));
  assert.deepEqual(parseIPv6("fe80::"), v6(0xfe80, 0, 0, 0, 0, 0, 0, 0));
  assert.deepEqual(parseIPv6("1:2:3:4:5:6:7::"), v6(1, 2, 3, 4, 5, 6, 7, 0));
  assert.deepEqual(parseIPv6("::2:3:4:5:6:7:8"), v6(0, 2, 3, 4, 5, 6, 7, 8));
  assert.deepEqual(parseIPv6("::ffff:192.0.2.1"), v6(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201));
  assert.deepEqual(parseIPv6("1:2:3:4:5:6:10.0.0.1"), v6(1, 2, 3, 4, 5, 6, 0x0a00, 1));
  assert.deepEqual(parseIPv6("0001:0db8::0001"), v6(1, 0xdb8, 0, 0, 0, 0, 0, 1));
});

Deno.test("parseIPv6 rejects malformed addresses", () => {
  for (
    const s of [
      "",
      ":",
      ":::",
      "1::2::3",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7:8::",
      "::1:2:3:4:5:6:7:8",
      ":1::",
      "1::2:",
      "12345::",
      "g::",
      "1.2.3.4::",
      "::1.2.3.4:5",
      "::256.0.0.1",
      "1:2:3:4:5:6:7:1.2.3.4",
      "fe80::1%eth0",
      "2001:db8::/32",
    ]
  ) {
    assert.equal(parseIPv6(s), undefined, s);
  }
});

Deno.test("formatIPv6 is RFC 5952 canonical", () => {
  const cases: [string, string][] = [
    ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first of two equal runs
    ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"], // the longest run, not the first
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // one zero group stays
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["ff02:0:0:0:0:0:0:16", "ff02::16"],
    ["::ffff:c000:0201", "::ffff:192.0.2.1"],
    ["2001:db9::", "2001:db9::"],
  ];
  for (const [input, want] of cases) assert.equal(formatIPv6(parseIPv6(input)!), want, input);
});

Deno.test("isIPv6Multicast is ff00::/8", () => {
  assert.equal(isIPv6Multicast(parseIPv6("ff02::1")!), true);
  assert.equal(isIPv6Multicast(parseIPv6("fe80::1")!), false);
});

Deno.test("maskIPv6 and prefixContainsIPv6 work on bit boundaries", () => {
  const a = (s: string) => parseIPv6(s)!;
  assert.equal(formatIPv6(maskIPv6(a("2001:db8::1"), 32)), "2001:db8::");
  assert.equal(formatIPv6(maskIPv6(a("2001:db8:ffff::"), 33)), "2001:db8:8000::");
  assert.equal(formatIPv6(maskIPv6(a("2001:db8::1"), 128)), "2001:db8::1");
  assert.equal(formatIPv6(maskIPv6(a("2001:db8::1"), 0)), "::");
  assert.equal(prefixContainsIPv6(a("2001:db9::"), 64, a("2001:db9::42")), true);
  assert.equal(prefixContainsIPv6(a("2001:db9::"), 64, a("2001:db9:0:1::42")), false);
  assert.equal(prefixContainsIPv6(a("::"), 0, a("fe80::1")), true);
  assert.equal(prefixContainsIPv6(a("::"), 129, a("::")), false);
});

Deno.test("isIPv6Unspecified is :: only", () => {
  assert.equal(isIPv6Unspecified(parseIPv6("::")!), true);
  assert.equal(isIPv6Unspecified(new Uint8Array(16)), true);
  assert.equal(isIPv6Unspecified(parseIPv6("::1")!), false);
  assert.equal(isIPv6Unspecified(parseIPv6("8000::")!), false);
  assert.equal(isIPv6Unspecified(new Uint8Array(4)), false); // not an IPv6 address at all
});

Deno.test("isIPv6LinkLocalUnicast is fe80::/10", () => {
  const a = (s: string) => parseIPv6(s)!;
  assert.equal(isIPv6LinkLocalUnicast(a("fe80::1")), true);
  assert.equal(isIPv6LinkLocalUnicast(a("fe80::f85b:49ff:fe6b:4aba")), true);
  assert.equal(isIPv6LinkLocalUnicast(a("febf:ffff::1")), true); // last /16 inside the /10
  assert.equal(isIPv6LinkLocalUnicast(a("fe7f::1")), false);
  assert.equal(isIPv6LinkLocalUnicast(a("fec0::1")), false); // site-local, deprecated
  assert.equal(isIPv6LinkLocalUnicast(a("ff02::1")), false); // link-local scope, but multicast
  assert.equal(isIPv6LinkLocalUnicast(a("::")), false);
  assert.equal(isIPv6LinkLocalUnicast(a("2001:db8::1")), false);
});

Deno.test("ipv6MulticastScope reads the low nibble of byte 1 whatever the flags", () => {
  const scope = (s: string) => ipv6MulticastScope(parseIPv6(s)!);
  assert.equal(scope("ff00::1"), 0); // reserved
  assert.equal(scope("ff01::1"), 1); // interface-local
  assert.equal(scope("ff02::16"), 2); // link-local
  assert.equal(scope("ff02::1:ff6b:4aba"), 2); // solicited-node
  assert.equal(scope("ff12::1234"), 2); // transient, link-local
  assert.equal(scope("ff03::1"), 3); // realm-local
  assert.equal(scope("ff05::db8:1"), 5); // site-local
  assert.equal(scope("ff38::1"), 8); // SSM, organization-local
  assert.equal(scope("ff0e::db8:2"), 0xe); // global
  assert.equal(scope("ff3e::8000:1"), 0xe); // SSM, global
  assert.equal(scope("ff7e:140:2001:db8::1"), 0xe); // embedded RP
  assert.equal(scope("ff0f::1"), 0xf); // reserved
  assert.equal(scope("fe80::1"), undefined);
  assert.equal(scope("::"), undefined);
});

Deno.test("equalIPv6 compares 16 bytes", () => {
  const a = (s: string) => parseIPv6(s)!;
  assert.equal(equalIPv6(a("ff05::db8:1"), a("ff05:0:0::0db8:0001")), true);
  assert.equal(equalIPv6(a("ff05::db8:1"), a("ff05::db8:2")), false);
  assert.equal(equalIPv6(a("::"), new Uint8Array(16)), true);
  assert.equal(equalIPv6(a("::"), new Uint8Array(15)), false);
});

Deno.test("ipv6ToBigInt and bigIntToIPv6 round-trip and order like the addresses", () => {
  const cases = [
    "::",
    "::1",
    "fe80::1",
    "ff02::16",
    "2001:db8::2",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
  ];
  for (const text of cases) {
    const n = ipv6ToBigInt(parseIPv6(text)!);
    assert.equal(formatIPv6(bigIntToIPv6(n)), text);
  }
  assert.equal(ipv6ToBigInt(parseIPv6("::1")!), 1n);
  assert.equal(ipv6ToBigInt(parseIPv6("ff02::16")!), 0xff020000000000000000000000000016n);
  assert.ok(ipv6ToBigInt(parseIPv6("fe80::1")!) < ipv6ToBigInt(parseIPv6("fe80::11")!));
  assert.equal(formatIPv6(bigIntToIPv6(1n << 128n | 5n)), "::5", "only the low 128 bits");
});
