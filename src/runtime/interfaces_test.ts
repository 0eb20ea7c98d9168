import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import type { Config, InterfaceConfig } from "../../conf/config.ts";
import { IGMP_FAMILY } from "../core/igmp_family.ts";
import { MLD_FAMILY } from "../core/mld_family.ts";
import type { ProxyInterface } from "../core/proxy.ts";
import { DEFAULT_TIMERS } from "../core/timers.ts";
import { ip } from "../proto/testing.ts";
import {
  configuredFamilies,
  type ConfiguredInterface,
  configuredSsmRanges,
  describeChange,
  type InterfaceProblem,
  IPV4,
  IPV6,
  LOST,
  scanInterfaces,
  StartupError,
  WAITING,
} from "./interfaces.ts";
import type { SystemInterface } from "./sys.ts";
import { b6, cfg, sysIf, v6 } from "./plane_testing.ts";

const POS = { file: "test.conf", line: 1, col: 1 };

function iface(name: string, role: InterfaceConfig["role"]): InterfaceConfig {
  return { name, role, threshold: 1, sources: [], timers: {}, boundaries: [], position: POS };
}

/** Configured interfaces of one family, as `configuredFamilies` makes them. */
function configured<A extends number | bigint>(
  ...list: [string, "upstream" | "downstream"][]
): ConfiguredInterface<A>[] {
  return list.map(([name, role]) => cfg<A>(name, role));
}

const CONFIGURED4 = configured<number>(["up0", "upstream"], ["dn1", "downstream"]);
const CONFIGURED6 = configured<bigint>(["up0", "upstream"], ["dn1", "downstream"]);

// scanInterfaces, IPv4

Deno.test("scanInterfaces: IPv4 interfaces take their primary address and every subnet", () => {
  const dn1 = sysIf("dn1", 11, 1);
  dn1.ipv4.push({ address: ip("192.0.2.1"), prefixLength: 28 });
  const { usable, unusable } = scanInterfaces(IPV4, CONFIGURED4, [sysIf("up0", 10, 0), dn1]);
  deepStrictEqual(unusable, []);
  deepStrictEqual(usable.map((i) => [i.name, i.ifindex, i.role, i.address]), [
    ["up0", 10, "upstream", ip("10.0.0.1")],
    ["dn1", 11, "downstream", ip("10.1.0.1")],
  ]);
  deepStrictEqual(usable[1].subnets, [
    { address: ip("10.1.0.1"), prefixLength: 24 },
    { address: ip("192.0.2.1"), prefixLength: 28 },
  ]);
  equal(usable[1].timers, DEFAULT_TIMERS, "the configured settings come along");
});

Deno.test("scanInterfaces: configuration order, whatever the system's order", () => {
  const { usable } = scanInterfaces(IPV4, CONFIGURED4, [sysIf("dn1", 11, 1), sysIf("up0", 10, 0)]);
  deepStrictEqual(usable.map((i) => i.name), ["up0", "dn1"]);
});

Deno.test("scanInterfaces: interfaces of the system that are not configured are ignored", () => {
  const system = [sysIf("eth9", 9, 9), sysIf("up0", 10, 0), sysIf("dn1", 11, 1)];
  deepStrictEqual(scanInterfaces(IPV4, CONFIGURED4, system).usable.map((i) => i.name), [
    "up0",
    "dn1",
  ]);
});

Deno.test("scanInterfaces: a missing interface is unusable, and says so", () => {
  const { usable, unusable } = scanInterfaces(IPV4, CONFIGURED4, [sysIf("up0", 10, 0)]);
  deepStrictEqual(usable.map((i) => i.name), ["up0"]);
  deepStrictEqual(unusable, [{ name: "dn1", role: "downstream", problem: "missing" }]);
});

Deno.test("scanInterfaces: down, not multicast, no IPv4 address: each its own problem", () => {
  const cases: [Partial<SystemInterface>, InterfaceProblem][] = [
    [{ up: false }, "down"],
    [{ multicast: false }, "no-multicast"],
    [{ ipv4: [] }, "no-ipv4"],
  ];
  for (const [change, problem] of cases) {
    const system = [sysIf("up0", 10, 0), { ...sysIf("dn1", 11, 1), ...change }];
    deepStrictEqual(scanInterfaces(IPV4, CONFIGURED4, system).unusable, [
      { name: "dn1", role: "downstream", problem },
    ], problem);
  }
});

Deno.test("scanInterfaces: the first problem is told: down before no address", () => {
  const system = [sysIf("up0", 10, 0), { ...sysIf("dn1", 11, 1), up: false, ipv4: [] }];
  equal(scanInterfaces(IPV4, CONFIGURED4, system).unusable[0].problem, "down");
});

Deno.test("scanInterfaces: without a carrier, unusable, but what it would be comes along", () => {
  const system = [sysIf("up0", 10, 0), { ...sysIf("dn1", 11, 1), running: false }];
  const { usable, unusable } = scanInterfaces(IPV4, CONFIGURED4, system);
  deepStrictEqual(usable.map((i) => i.name), ["up0"]);
  equal(unusable.length, 1);
  equal(unusable[0].problem, "no-carrier");
  equal(unusable[0].iface?.ifindex, 11);
  equal(unusable[0].iface?.address, ip("10.1.0.1"));
});

Deno.test("scanInterfaces: no carrier and no address is no address (nothing to keep)", () => {
  const system = [sysIf("up0", 10, 0), { ...sysIf("dn1", 11, 1), running: false, ipv4: [] }];
  deepStrictEqual(scanInterfaces(IPV4, CONFIGURED4, system).unusable, [
    { name: "dn1", role: "downstream", problem: "no-ipv4" },
  ]);
});

Deno.test("scanInterfaces: IPv4 is indifferent to IPv6 addresses, and the reverse", () => {
  const system = [{ ...sysIf("up0", 10, 0), ipv6: [] }, { ...sysIf("dn1", 11, 1), ipv4: [] }];
  deepStrictEqual(scanInterfaces(IPV4, CONFIGURED4, system).usable.map((i) => i.name), ["up0"]);
  deepStrictEqual(scanInterfaces(IPV6, CONFIGURED6, system).usable.map((i) => i.name), ["dn1"]);
});

// scanInterfaces, IPv6

Deno.test("scanInterfaces: IPv6 queries from the link-local address; every prefix a subnet", () => {
  const { usable } = scanInterfaces(IPV6, CONFIGURED6, [sysIf("up0", 10, 0), sysIf("dn1", 11, 1)]);
  deepStrictEqual(usable.map((i) => i.address), [b6("fe80::1"), b6("fe80::2")]);
  deepStrictEqual(usable[1].subnets, [
    { address: b6("2001:db8:1::1"), prefixLength: 64 },
    { address: b6("fe80::2"), prefixLength: 64 },
  ]);
});

Deno.test("scanInterfaces: IPv6 with a global address only has no link-local address", () => {
  const dn1 = sysIf("dn1", 11, 1);
  const system = [sysIf("up0", 10, 0), { ...dn1, ipv6: dn1.ipv6.slice(0, 1) }];
  deepStrictEqual(scanInterfaces(IPV6, CONFIGURED6, system).unusable, [
    { name: "dn1", role: "downstream", problem: "no-ipv6" },
  ]);
});

Deno.test("scanInterfaces: a tentative link-local address cannot send MLD yet", () => {
  const tentative = {
    ...sysIf("dn1", 11, 1),
    ipv6: [{ address: v6("fe80::2"), prefixLength: 64, tentative: true }],
  };
  const system = [sysIf("up0", 10, 0), tentative];
  equal(scanInterfaces(IPV6, CONFIGURED6, system).unusable[0]?.problem, "no-ipv6");
  // Once duplicate address detection is over, it is usable.
  const done = { ...tentative, ipv6: [{ address: v6("fe80::2"), prefixLength: 64 }] };
  deepStrictEqual(
    scanInterfaces(IPV6, CONFIGURED6, [sysIf("up0", 10, 0), done]).usable.map((i) => i.address),
    [b6("fe80::1"), b6("fe80::2")],
  );
});

Deno.test("scanInterfaces: IPv6 takes the first link-local address that is not tentative", () => {
  const dn1 = {
    ...sysIf("dn1", 11, 1),
    ipv6: [
      { address: v6("fe80::a"), prefixLength: 64, tentative: true },
      { address: v6("2001:db8:1::1"), prefixLength: 64 },
      { address: v6("fe80::b"), prefixLength: 64 },
      { address: v6("fe80::c"), prefixLength: 64 },
    ],
  };
  const { usable } = scanInterfaces(IPV6, CONFIGURED6, [sysIf("up0", 10, 0), dn1]);
  equal(usable[1].address, b6("fe80::b"));
  equal(usable[1].subnets.length, 4, "the tentative one is still a prefix of the link");
});

// What changes

Deno.test("describeChange: index, then address, then subnets; nothing when unchanged", () => {
  const [was] = scanInterfaces(IPV4, CONFIGURED4, [sysIf("up0", 10, 0)]).usable;
  const other = (s: SystemInterface) => scanInterfaces(IPV4, CONFIGURED4, [s]).usable[0];
  equal(describeChange(IGMP_FAMILY, was, other(sysIf("up0", 10, 0))), undefined);
  equal(describeChange(IGMP_FAMILY, was, other(sysIf("up0", 20, 0))), "index changed: 10 to 20");
  equal(
    describeChange(IGMP_FAMILY, was, other(sysIf("up0", 20, 5))),
    "index changed: 10 to 20",
    "the index first",
  );
  equal(
    describeChange(IGMP_FAMILY, was, other(sysIf("up0", 10, 5))),
    "address changed: 10.0.0.1 to 10.5.0.1",
  );
  const more = sysIf("up0", 10, 0);
  more.ipv4.push({ address: ip("192.0.2.1"), prefixLength: 28 });
  equal(
    describeChange(IGMP_FAMILY, was, other(more)),
    "addresses changed: 10.0.0.1/24 192.0.2.1/28",
  );
});

Deno.test("describeChange: IPv6 addresses in their textual form", () => {
  const scan = (s: SystemInterface) => scanInterfaces(IPV6, CONFIGURED6, [s]).usable[0];
  const was = scan(sysIf("up0", 10, 0));
  equal(describeChange(MLD_FAMILY, was, scan(sysIf("up0", 10, 0))), undefined);
  equal(
    describeChange(MLD_FAMILY, was, scan(sysIf("up0", 10, 4))),
    "address changed: fe80::1 to fe80::5",
  );
  const global = sysIf("up0", 10, 0);
  global.ipv6 = [global.ipv6[1]];
  equal(describeChange(MLD_FAMILY, was, scan(global)), "addresses changed: fe80::1/64");
});

Deno.test("describeChange: settings of the configuration are not the system's changes", () => {
  const [was] = scanInterfaces(IPV4, CONFIGURED4, [sysIf("up0", 10, 0)]).usable;
  const now: ProxyInterface = { ...was, threshold: 9, role: "downstream", sources: [] };
  equal(describeChange(IGMP_FAMILY, was, now), undefined);
});

Deno.test("WAITING and LOST: a line for every problem", () => {
  const problems: InterfaceProblem[] = [
    "missing",
    "down",
    "no-multicast",
    "no-ipv4",
    "no-ipv6",
    "no-carrier",
  ];
  deepStrictEqual(Object.keys(WAITING).sort(), [...problems].sort());
  deepStrictEqual(Object.keys(LOST).sort(), [...problems].sort());
  equal(WAITING["no-ipv6"], "has no IPv6 link-local address: waiting for one");
  equal(LOST["down"], "went down");
});

// The families' specs and configuredFamilies

Deno.test("IPV4 and IPV6: each takes its own prefixes only", () => {
  deepStrictEqual(IPV4.toSubnet({ family: 4, address: "10.0.0.0", length: 8 }), {
    address: ip("10.0.0.0"),
    prefixLength: 8,
  });
  equal(IPV4.toSubnet({ family: 6, address: "ff05::", length: 16 }), undefined);
  equal(IPV4.toSubnet({ family: 4, address: "10.0.0.256", length: 8 }), undefined);
  deepStrictEqual(IPV6.toSubnet({ family: 6, address: "ff05::", length: 16 }), {
    address: b6("ff05::"),
    prefixLength: 16,
  });
  equal(IPV6.toSubnet({ family: 4, address: "10.0.0.0", length: 8 }), undefined);
  equal(IPV4.logPrefix, "");
  equal(IPV6.logPrefix, "IPv6: ");
});

const CONFIG: Config = {
  ipv4: true,
  ipv6: false,
  timers: {},
  scopes: [],
  ssmRanges: [],
  interfaces: [iface("up0", "upstream"), iface("dn1", "downstream")],
};

Deno.test("configuredFamilies: disabled interfaces are left out; the order is the file's", () => {
  const { ipv4, ipv6, warnings } = configuredFamilies({
    ...CONFIG,
    interfaces: [
      iface("dn2", "downstream"),
      iface("off0", "disabled"),
      iface("up0", "upstream"),
      iface("dn1", "downstream"),
    ],
  });
  deepStrictEqual(ipv4?.map((i) => [i.name, i.role]), [
    ["dn2", "downstream"],
    ["up0", "upstream"],
    ["dn1", "downstream"],
  ]);
  equal(ipv6, undefined);
  deepStrictEqual(warnings, []);
});

Deno.test("configuredFamilies: no upstream is an error no change of the system can mend", () => {
  throws(
    () => configuredFamilies({ ...CONFIG, interfaces: [iface("dn1", "downstream")] }),
    (err: unknown) =>
      err instanceof StartupError &&
      err.message === "No upstream interface configured: nothing to proxy from",
  );
  throws(
    () => configuredFamilies({ ...CONFIG, interfaces: [iface("up0", "upstream")] }),
    /No downstream interface has IPv4 on: nothing to proxy to/,
  );
});

Deno.test("configuredFamilies: a source that is not an address is a startup error", () => {
  const bad: InterfaceConfig = {
    ...iface("dn1", "downstream"),
    sources: [{ family: 4, address: "10.0.0.300", length: 24 }],
  };
  throws(
    () => configuredFamilies({ ...CONFIG, interfaces: [iface("up0", "upstream"), bad] }),
    (err: unknown) =>
      err instanceof StartupError &&
      err.message === 'Interface "dn1": bad address "10.0.0.300" in sources',
  );
});

Deno.test("configuredFamilies: each LAN's query version, its own, else the global, else the latest", () => {
  const { ipv4, ipv6 } = configuredFamilies({
    ...CONFIG,
    ipv6: true,
    igmpVersion: 2,
    interfaces: [
      iface("up0", "upstream"),
      iface("dn1", "downstream"),
      { ...iface("dn2", "downstream"), igmpVersion: 3, mldVersion: 1 },
    ],
  });
  deepStrictEqual(ipv4?.map((i) => [i.name, i.queryVersion]), [["up0", 2], ["dn1", 2], [
    "dn2",
    3,
  ]]);
  deepStrictEqual(ipv6?.map((i) => [i.name, i.queryVersion]), [["up0", 2], ["dn1", 2], [
    "dn2",
    1,
  ]]);
  const plain = configuredFamilies({ ...CONFIG, ipv6: true });
  deepStrictEqual(plain.ipv4?.map((i) => i.queryVersion), [3, 3], "IGMPv3 by default");
  deepStrictEqual(plain.ipv6?.map((i) => i.queryVersion), [2, 2], "MLDv2 by default");
});

Deno.test("configuredSsmRanges: each family its own prefixes; none given keeps its default", () => {
  const ssmRanges = [
    { family: 4 as const, address: "232.0.0.0", length: 8 },
    { family: 6 as const, address: "ff3e::", length: 96 },
    { family: 4 as const, address: "239.232.0.0", length: 16 },
  ];
  deepStrictEqual(configuredSsmRanges(IPV4, { ssmRanges }), [
    { address: ip("232.0.0.0"), prefixLength: 8 },
    { address: ip("239.232.0.0"), prefixLength: 16 },
  ]);
  deepStrictEqual(configuredSsmRanges(IPV6, { ssmRanges }), [
    { address: 0xff3en << 112n, prefixLength: 96 },
  ]);
  equal(configuredSsmRanges(IPV4, { ssmRanges: ssmRanges.slice(1, 2) }), undefined);
  equal(configuredSsmRanges(IPV6, { ssmRanges: [] }), undefined);
});

Deno.test("StartupError: a named error with the message alone", () => {
  const err = new StartupError("Cannot take it");
  ok(err instanceof Error);
  equal(err.name, "StartupError");
  equal(err.message, "Cannot take it");
});
