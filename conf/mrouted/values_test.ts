import assert from "node:assert/strict";
import {
  checkBoundaryName,
  formatPrefix,
  isBoundaryName,
  isUnicastHost,
  parseAltnet,
  parseBoundaryPrefix,
  parseIfaceRef,
  parseNumber,
  parseOnOff,
  parseTunnelRemote,
  samePrefix,
} from "./values.ts";
import { ip } from "../../src/proto/testing.ts";

const METRIC = { keyword: "metric", min: 1, max: 31 };

Deno.test("parseNumber reads whole numbers in range", () => {
  assert.deepEqual(parseNumber("1", METRIC), { ok: true, value: 1 });
  assert.deepEqual(parseNumber("31", METRIC), { ok: true, value: 31 });
  assert.deepEqual(parseNumber("032", METRIC), {
    ok: false,
    errors: ['metric "032" is out of range (1-31)'],
  });
  assert.deepEqual(parseNumber("-1", METRIC), {
    ok: false,
    errors: ['metric "-1" is out of range (1-31)'],
  });
  for (const bad of ["", "1.5", "0x1f", "1e3", "+1", "one"]) {
    assert.deepEqual(parseNumber(bad, METRIC), {
      ok: false,
      errors: [`metric "${bad}" is not a number`],
    });
  }
});

Deno.test("parseNumber cuts a huge number short in its message", () => {
  const huge = "9".repeat(5000);
  const r = parseNumber(huge, METRIC);
  assert.deepEqual(r, {
    ok: false,
    errors: [`metric "${"9".repeat(40)}..." is out of range (1-31)`],
  });
});

Deno.test("parseOnOff reads on, off, yes and no", () => {
  assert.deepEqual(parseOnOff("on", "pruning"), { ok: true, value: true });
  assert.deepEqual(parseOnOff("no", "pruning"), { ok: true, value: false });
  assert.deepEqual(parseOnOff("ON", "pruning"), {
    ok: false,
    errors: ['expected "on" or "off" after "pruning", found "ON"'],
  });
});

Deno.test("isUnicastHost refuses this network, loopback, multicast and above", () => {
  assert.equal(isUnicastHost(ip("10.0.0.1")), true);
  assert.equal(isUnicastHost(ip("1.0.0.0")), true);
  assert.equal(isUnicastHost(ip("223.255.255.255")), true);
  for (const a of ["0.1.2.3", "127.0.0.1", "224.0.0.1", "239.1.1.1", "240.0.0.1"]) {
    assert.equal(isUnicastHost(ip(a)), false, a);
  }
  assert.equal(isUnicastHost(0xffffffff), false);
});

Deno.test("parseIfaceRef tells addresses from interface names", () => {
  assert.deepEqual(parseIfaceRef("10.0.0.1", "phyint"), {
    ok: true,
    value: { kind: "address", address: ip("10.0.0.1") },
  });
  assert.deepEqual(parseIfaceRef("le0", "phyint"), {
    ok: true,
    value: { kind: "name", name: "le0" },
  });
  assert.deepEqual(parseIfaceRef("eth0.100", "phyint"), {
    ok: true,
    value: { kind: "name", name: "eth0.100" },
  });
  assert.deepEqual(parseIfaceRef("10.1", "tunnel"), {
    ok: false,
    errors: ['invalid address "10.1" in tunnel'],
  });
  assert.deepEqual(parseIfaceRef("127.0.0.1", "phyint"), {
    ok: false,
    errors: ["phyint address 127.0.0.1 is not a unicast host address"],
  });
  assert.deepEqual(parseIfaceRef("averyveryverylongname", "phyint"), {
    ok: false,
    errors: ['interface name "averyveryverylongname" is too long (at most 15 bytes) in phyint'],
  });
  assert.deepEqual(parseIfaceRef("a/b", "phyint"), {
    ok: false,
    errors: ['"a/b" cannot be an interface name (no "/", ".", or "..") in phyint'],
  });
});

Deno.test("parseTunnelRemote reads an address or a host name, unresolved", () => {
  assert.deepEqual(parseTunnelRemote("192.0.2.1"), {
    ok: true,
    value: { kind: "address", address: ip("192.0.2.1") },
  });
  for (const name of ["gw", "mbone-gw.example.net", "GW.Example.NET.", "1gw.example"]) {
    assert.deepEqual(parseTunnelRemote(name), { ok: true, value: { kind: "hostname", name } });
  }
  assert.deepEqual(parseTunnelRemote("224.2.2.2"), {
    ok: false,
    errors: ["tunnel remote address 224.2.2.2 is not a unicast host address"],
  });
  const label = "a".repeat(64);
  for (const bad of ["-gw", "gw-", "a..b", "under_score", label, `${"a.".repeat(127)}ab`]) {
    const r = parseTunnelRemote(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.match(r.errors[0], /^invalid host name ".*" for the remote end/);
  }
  assert.equal(parseTunnelRemote("a".repeat(63)).ok, true);
});

Deno.test("parseBoundaryPrefix takes multicast ranges with host bits clear", () => {
  assert.deepEqual(parseBoundaryPrefix("239.255.0.0/16", "boundary"), {
    ok: true,
    value: { address: ip("239.255.0.0"), length: 16 },
  });
  assert.deepEqual(parseBoundaryPrefix("224.0.0.0/4", "boundary"), {
    ok: true,
    value: { address: ip("224.0.0.0"), length: 4 },
  });
  assert.deepEqual(parseBoundaryPrefix("239.1.1.1/32", "boundary").ok, true);
  const errors = (raw: string) => {
    const r = parseBoundaryPrefix(raw, "boundary");
    return r.ok ? [] : r.errors;
  };
  assert.deepEqual(errors("224.0.0.0/3"), [
    "boundary 224.0.0.0/3 is not a multicast range (IPv4 groups are in 224.0.0.0/4)",
  ]);
  assert.deepEqual(errors("10.0.0.0/8"), [
    "boundary 10.0.0.0/8 is not a multicast range (IPv4 groups are in 224.0.0.0/4)",
  ]);
  assert.deepEqual(errors("239.1.2.3/16"), [
    "boundary 239.1.2.3/16 has host bits set: did you mean 239.1.0.0/16?",
  ]);
  assert.deepEqual(errors("239.1.0.0"), [
    'boundary "239.1.0.0" has no prefix length: expected ADDRESS/LENGTH',
  ]);
  assert.deepEqual(errors("239.1.0/33"), [
    'invalid address "239.1.0" in boundary "239.1.0/33"',
    'invalid prefix length "33" in boundary "239.1.0/33" (0-32)',
  ]);
  assert.deepEqual(errors("239.1.0.0/"), [
    'invalid prefix length "" in boundary "239.1.0.0/" (0-32)',
  ]);
  assert.deepEqual(errors("239.1.0.0/016"), [
    'invalid prefix length "016" in boundary "239.1.0.0/016" (0-32)',
  ]);
});

Deno.test("parseAltnet takes unicast subnets and warns about host bits", () => {
  assert.deepEqual(parseAltnet("172.16.15.128/26"), {
    ok: true,
    value: { address: ip("172.16.15.128"), length: 26 },
  });
  assert.deepEqual(parseAltnet("10.1.2.3/16"), {
    ok: true,
    value: { address: ip("10.1.0.0"), length: 16 },
    warning: "altnet 10.1.2.3/16 is not a network address: did you mean 10.1.0.0/16?",
  });
  for (const bad of ["0.0.0.0/0", "128.0.0.0/1", "127.0.0.0/8", "224.1.0.0/16", "0.0.0.0/8"]) {
    assert.deepEqual(parseAltnet(bad), {
      ok: false,
      errors: [`altnet ${bad} is not a unicast subnet`],
    });
  }
  assert.equal(parseAltnet("192.0.0.0/3").ok, true);
  assert.equal(parseAltnet("192.0.0.0/2").ok, false);
});

Deno.test("checkBoundaryName and isBoundaryName", () => {
  assert.equal(checkBoundaryName("LOCAL"), undefined);
  assert.equal(checkBoundaryName("_site-1.x"), undefined);
  assert.equal(
    checkBoundaryName("boundary"),
    '"boundary" is a keyword and cannot be a boundary name',
  );
  assert.equal(
    checkBoundaryName("netmask"),
    '"netmask" is a keyword and cannot be a boundary name',
  );
  assert.match(checkBoundaryName("1st") ?? "", /^invalid boundary name "1st"/);
  assert.equal(isBoundaryName("EE"), true);
  assert.equal(isBoundaryName("239.1.0.0/16"), false);
  assert.equal(isBoundaryName("a/b"), false);
});

Deno.test("formatPrefix and samePrefix", () => {
  assert.equal(formatPrefix({ address: ip("239.254.0.0"), length: 16 }), "239.254.0.0/16");
  assert.equal(formatPrefix({ address: 0, length: 0 }), "0.0.0.0/0");
  assert.equal(samePrefix({ address: 1, length: 8 }, { address: 1, length: 8 }), true);
  assert.equal(samePrefix({ address: 1, length: 8 }, { address: 1, length: 9 }), false);
});
