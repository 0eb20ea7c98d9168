import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import type { Config, InterfaceConfig } from "../../conf/config.ts";
import { createLogger } from "../log.ts";
import { MLD_CHANGE_TO_EXCLUDE_MODE, MLD_CHANGE_TO_INCLUDE_MODE } from "../proto/mld.ts";
import { encodeMldDone, encodeMldV1Report, encodeMldV2Report } from "../proto/mld_encode.ts";
import { FakeSys, type Received6 } from "../../tests/fakes/fake_sys.ts";
import type { SystemInterface } from "./sys.ts";
import { b6, sysIf, v6 } from "./plane_testing.ts";
import { configuredFamilies, Daemon, resolveInterfaces, StartupError } from "./daemon.ts";

const POS = { file: "test.conf", line: 1, col: 1 };

function iface(name: string, role: InterfaceConfig["role"]): InterfaceConfig {
  return { name, role, threshold: 1, sources: [], timers: {}, boundaries: [], position: POS };
}

const IFACES = [iface("up0", "upstream"), iface("dn1", "downstream"), iface("dn2", "downstream")];

/** `ipv6 yes` beside the default `ipv4 yes`. */
const BOTH: Config = {
  ipv4: true,
  ipv6: true,
  timers: {},
  scopes: [],
  ssmRanges: [],
  interfaces: IFACES,
};

const SYSTEM = [sysIf("up0", 10, 0), sysIf("dn1", 11, 1), sysIf("dn2", 12, 2)];

function setup(config: Config = BOTH, system: SystemInterface[] = SYSTEM) {
  const sys = new FakeSys(system);
  const lines: string[] = [];
  const log = createLogger({ sink: (_l, line) => lines.push(line), verbosity: 1 });
  const daemon = new Daemon({ sys, config, log, now: () => performance.now() });
  return { sys, lines, daemon };
}

function warnings(lines: string[]): string[] {
  return lines.flatMap((l) => {
    const i = l.indexOf(" warn: ");
    return i < 0 ? [] : [l.slice(i + 7)];
  });
}

async function until(what: string, cond: () => boolean, ms = 1000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** An MLD message from a host's link-local address, as the IPv6 socket reads it. */
function mld(ifindex: number, from: string, to: string, message: Uint8Array): Received6 {
  return {
    kind: "packet",
    ifindex,
    source: b6(from),
    destination: b6(to),
    hopLimit: 1,
    routerAlert: true,
    data: message,
    length: message.length,
  };
}

const G = "ff05::1";

Deno.test("configuredFamilies: IPv6 joins IPv4 where it is on, globally or per interface", () => {
  deepStrictEqual(
    Object.keys(configuredFamilies({ ...BOTH, ipv6: false })),
    ["ipv4", "warnings"],
    "IPv6 is off by default",
  );
  const both = configuredFamilies(BOTH);
  deepStrictEqual(both.ipv6?.map((i) => i.name), ["up0", "dn1", "dn2"]);
  deepStrictEqual(both.warnings, []);
  const perInterface = configuredFamilies({
    ...BOTH,
    ipv6: false,
    interfaces: [{ ...IFACES[0], ipv6: true }, { ...IFACES[1], ipv6: true }, IFACES[2]],
  });
  deepStrictEqual(perInterface.ipv6?.map((i) => i.name), ["up0", "dn1"]);
  deepStrictEqual(perInterface.ipv4?.map((i) => i.name), ["up0", "dn1", "dn2"]);
  const only6 = configuredFamilies({ ...BOTH, ipv4: false });
  equal(only6.ipv4, undefined);
  equal(only6.ipv6?.length, 3);
});

Deno.test("configuredFamilies: IPv6 sources and boundaries as bigints, IPv4 ones apart", () => {
  const { ipv4, ipv6 } = configuredFamilies({
    ...BOTH,
    interfaces: [
      {
        ...IFACES[0],
        sources: [
          { family: 6, address: "2001:db8:99::", length: 48 },
          { family: 4, address: "192.0.2.0", length: 24 },
        ],
      },
      {
        ...IFACES[1],
        boundaries: [{ prefix: { family: 6, address: "ff05::", length: 16 } }],
      },
    ],
  });
  deepStrictEqual(ipv6![0].sources, [{ address: b6("2001:db8:99::"), prefixLength: 48 }]);
  deepStrictEqual(ipv4![0].sources, [{ address: 0xc0000200, prefixLength: 24 }]);
  deepStrictEqual(ipv6![1].boundaries, [{ address: b6("ff05::"), prefixLength: 16 }]);
  deepStrictEqual(ipv4![1].boundaries, []);
});

Deno.test("configuredFamilies: what cannot be proxied is an error or a warning, never silence", () => {
  const upstream6Off = configuredFamilies({
    ...BOTH,
    interfaces: [{ ...IFACES[0], ipv6: false }, IFACES[1]],
  });
  equal(upstream6Off.ipv6, undefined);
  deepStrictEqual(upstream6Off.warnings, [
    "IPv6 is not proxied: the upstream interface has IPv6 off",
  ]);
  throws(
    () =>
      configuredFamilies({
        ...BOTH,
        ipv4: false,
        interfaces: [{ ...IFACES[0], ipv6: false }, IFACES[1]],
      }),
    (err: unknown) =>
      err instanceof StartupError &&
      err.message ===
        "Nothing to proxy: IPv4 is off on every interface, and the upstream interface has " +
          "IPv6 off",
  );
  throws(
    () =>
      configuredFamilies({
        ...BOTH,
        ipv4: false,
        interfaces: [IFACES[0], { ...IFACES[1], ipv6: false }],
      }),
    /Nothing to proxy: .*no downstream interface has IPv6 on/,
  );
  deepStrictEqual(
    configuredFamilies({ ...BOTH, interfaces: [IFACES[0], { ...IFACES[1], threshold: 3 }] })
      .warnings,
    [
      'Interface "dn1": threshold 3 applies to IPv4 only (the kernel keeps no TTL threshold per ' +
      "IPv6 interface)",
    ],
  );
});

Deno.test("resolveInterfaces: IPv6 uses the link-local address; shared warnings come once", () => {
  const { lines, daemon: _ } = setup();
  const log = createLogger({ sink: (_l, line) => lines.push(line), verbosity: 0 });
  const system = [
    SYSTEM[0],
    { ...SYSTEM[1], ipv6: SYSTEM[1].ipv6.slice(0, 1) }, // a global address only
  ];
  const { ipv4, ipv6 } = resolveInterfaces(BOTH, system, log);
  deepStrictEqual(ipv4?.map((i) => i.name), ["up0", "dn1"]);
  deepStrictEqual(ipv6?.map((i) => i.name), ["up0"]);
  equal(ipv6![0].address, b6("fe80::1"));
  deepStrictEqual(ipv6![0].subnets.map((s) => s.address), [b6("2001:db8::1"), b6("fe80::1")]);
  deepStrictEqual(warnings(lines), [
    'Interface "dn2" does not exist: waiting for it',
    'IPv6: Interface "dn1" has no IPv6 link-local address: waiting for one',
    'IPv6: No downstream interface yet: nothing is forwarded until one of "dn1", "dn2" is usable',
  ]);
});

Deno.test("Daemon: each LAN is queried in its configured version; the SSM ranges reach each core", () => {
  const config: Config = {
    ...BOTH,
    mldVersion: 1,
    ssmRanges: [{ family: 6, address: "ff3e::", length: 96 }],
    interfaces: [
      IFACES[0],
      { ...IFACES[1], igmpVersion: 2 },
      { ...IFACES[2], mldVersion: 2 },
    ],
  };
  const { sys, daemon } = setup(config);
  daemon.start();
  const igmp = sys.calls.flatMap((c) => c.op === "sendIgmp" ? [[c.ifindex, c.igmp.length]] : []);
  deepStrictEqual(igmp, [[11, 8], [12, 12]], "IGMPv2 on dn1, IGMPv3 (the default) on dn2");
  const mld = sys.ipv6.calls.flatMap((c) =>
    c.op === "sendMld" ? [[c.ifindex, c.message.length]] : []
  );
  deepStrictEqual(mld, [[11, 24], [12, 28]], "MLDv1 (the global setting) on dn1, MLDv2 on dn2");
  equal(daemon.state?.options.ssmRanges, undefined, "IPv4 keeps its default");
  deepStrictEqual(daemon.state6?.options.ssmRanges, [{ address: b6("ff3e::"), prefixLength: 96 }]);
  daemon.stop();
});

Deno.test("Daemon: IPv6 beside IPv4: MIFs, MLD queries, a report joins upstream, an upcall forwards, stop cleans", async () => {
  const { sys, daemon, lines } = setup();
  daemon.start();
  ok(sys.initialised && sys.ipv6.initialised, "both tables are taken");
  deepStrictEqual([...sys.ipv6.mifs.values()].map((m) => [m.vifi, m.ifindex, m.localAddress]), [
    [0, 10, b6("fe80::1")],
    [1, 11, b6("fe80::2")],
    [2, 12, b6("fe80::3")],
  ]);
  equal(sys.vifs.size, 3, "the VIFs too");
  for (const g of ["ff02::2", "ff02::16"]) ok(sys.ipv6.memberships.has(`${b6(g)}/11`), g);
  const queries = sys.ipv6.calls.flatMap((c) => c.op === "sendMld" ? [c] : []);
  deepStrictEqual(queries.map((q) => [q.ifindex, q.source, q.destination]), [
    [11, b6("fe80::2"), b6("ff02::1")],
    [12, b6("fe80::3"), b6("ff02::1")],
  ], "from each LAN's link-local address");
  equal(queries[0].message[0], 130, "an MLD query");
  equal((queries[0].message[4] << 8) | queries[0].message[5], 10_000, "Maximum Response Delay");
  ok(
    lines.some((l) =>
      l.includes('info: IPv6: Interface "dn1" is downstream as MIF 1, address fe80::2')
    ),
  );
  ok(
    lines.some((l) =>
      l.endsWith('info: Started: upstream "up0", 2 downstream; IPv6: upstream "up0", 2 downstream')
    ),
  );

  const running = daemon.run();
  sys.ipv6.deliver(mld(11, "fe80::11", G, encodeMldV1Report(v6(G))));
  await until("the upstream join", () => sys.ipv6.memberships.has(`${b6(G)}/10`));
  sys.ipv6.deliver({
    kind: "upcall",
    msgtype: 1,
    mif: 0,
    source: b6("2001:db8::2"),
    group: b6(G),
  });
  await until("the entry", () => sys.ipv6.mfc.size === 1);
  const { kind: _, ...entry } = [...sys.ipv6.mfc.values()][0] as { kind?: string };
  deepStrictEqual(entry, {
    source: b6("2001:db8::2"),
    group: b6(G),
    parent: 0,
    oifs: [{ vifi: 1, ttl: 1 }],
  });
  equal(sys.mfc.size, 0, "nothing in the IPv4 cache");
  ok(lines.some((l) => l.includes("debug: IPv6: Received v1-report for ff05::1 from fe80::11")));

  daemon.stop();
  await running;
  equal(sys.ipv6.mifs.size, 0);
  equal(sys.ipv6.mfc.size, 0);
  equal(sys.ipv6.memberships.size, 0, "no membership is left, upstream or downstream");
  ok(
    sys.ipv6.calls.some((c) => c.op === "delMfc") && sys.ipv6.calls.some((c) => c.op === "delMif"),
  );
});

Deno.test("Daemon: MLDv2 reports join and leave at group level; a Done ends the group after the queries", async () => {
  const { sys, daemon } = setup({
    ...BOTH,
    ipv4: false,
    timers: { lastMemberQueryInterval: 100 },
  });
  daemon.start();
  equal(sys.initialised, false, "IPv4 is off: no IPv4 table");
  const running = daemon.run();
  const joined = () => sys.ipv6.memberships.has(`${b6(G)}/10`);
  sys.ipv6.deliver(
    mld(
      11,
      "fe80::11",
      "ff02::16",
      encodeMldV2Report([{ recordType: MLD_CHANGE_TO_EXCLUDE_MODE, group: v6(G), sources: [] }]),
    ),
  );
  await until("TO_EX {} joins", joined);
  sys.ipv6.deliver(
    mld(
      11,
      "fe80::11",
      "ff02::16",
      encodeMldV2Report([{ recordType: MLD_CHANGE_TO_INCLUDE_MODE, group: v6(G), sources: [] }]),
    ),
  );
  await until("TO_IN {} leaves after the queries", () => !joined());
  const specific = sys.ipv6.calls.filter((c) => c.op === "sendMld" && c.destination === b6(G));
  equal(specific.length, 2, "Last Listener Query Count address-specific queries");

  sys.ipv6.deliver(mld(12, "fe80::21", G, encodeMldV1Report(v6(G))));
  await until("v1 report joins", joined);
  const t0 = performance.now();
  sys.ipv6.deliver(mld(12, "fe80::21", "ff02::2", encodeMldDone(v6(G))));
  await until("the Done ends it", () => !joined());
  const ms = performance.now() - t0;
  ok(ms >= 150 && ms < 600, `ended ${ms} ms after the Done (LLQI 0.1 s × 2)`);
  daemon.stop();
  await running;
  equal(sys.ipv6.memberships.size, 0);
});

Deno.test("Daemon: an IPv6 table held elsewhere is a startup error that says which table", () => {
  const { sys, daemon } = setup();
  sys.ipv6.failures.set("mrtInit", "EADDRINUSE");
  throws(() => daemon.start(), (err: unknown) => {
    ok(err instanceof StartupError);
    match(err.message, /^Cannot take the kernel IPv6 multicast routing table: another/);
    return true;
  });
  ok(sys.calls.some((c) => c.op === "close"), "the IPv4 table is released too");
  sys.ipv6.failures.set("mrtInit", "ENOPROTOOPT");
  throws(() => setupWith(sys).start(), /no IPv6 multicast routing \(CONFIG_IPV6_MROUTE\)/);
});

function setupWith(sys: FakeSys): Daemon {
  const log = createLogger({ sink: () => {}, verbosity: 0 });
  return new Daemon({ sys, config: BOTH, log });
}

Deno.test("Daemon: an interface that gains its link-local address later gets a MIF", async () => {
  const noLinkLocal = { ...SYSTEM[2], ipv6: SYSTEM[2].ipv6.slice(0, 1) };
  const { sys, daemon, lines } = setup(BOTH, [SYSTEM[0], SYSTEM[1], noLinkLocal]);
  daemon.start();
  equal(sys.ipv6.mifs.size, 2);
  equal(sys.vifs.size, 3, "IPv4 does not wait for it");
  const running = daemon.run();
  sys.setInterfaces(SYSTEM);
  await until("MIF 2", () => sys.ipv6.mifs.get(2)?.ifindex === 12);
  ok(lines.some((l) => l.includes('info: IPv6: Interface "dn2" appeared: downstream as MIF 2')));
  sys.setInterfaces([SYSTEM[0], SYSTEM[1], noLinkLocal]);
  await until("MIF 2 gone", () => !sys.ipv6.mifs.has(2));
  ok(
    lines.some((l) =>
      l.includes('info: IPv6: Interface "dn2" is gone (lost its IPv6 link-local address)')
    ),
  );
  equal(sys.vifs.size, 3, "the VIF stays");
  daemon.stop();
  await running;
});

Deno.test("Daemon.requestDump: each family's tables, the IPv6 ones prefixed and with MIFs", async () => {
  const { sys, daemon, lines } = setup();
  daemon.start();
  const running = daemon.run();
  sys.ipv6.deliver(mld(11, "fe80::11", G, encodeMldV1Report(v6(G))));
  sys.ipv6.deliver({ kind: "upcall", msgtype: 1, mif: 0, source: b6("2001:db8::2"), group: b6(G) });
  await until("the entry", () => sys.ipv6.mfc.size === 1);
  sys.ipv6.mifCounts.set(0, { packetsIn: 50, packetsOut: 0, bytesIn: 3000, bytesOut: 0 });
  sys.ipv6.mifCounts.set(1, { packetsIn: 0, packetsOut: 48, bytesIn: 0, bytesOut: 2880 });
  // The kernel lost the entry: its counters cannot be read, `-` (the core still has it).
  sys.ipv6.mfc.clear();
  const from = lines.length;
  daemon.requestDump();
  // One loop round logs the whole dump: once its IPv6 cache table is there, all of it is.
  await until("the dump", () => lines.some((l) => l.includes("info: IPv6: Multicast Routing")));
  const info = lines.slice(from).flatMap((l) => {
    const i = l.indexOf(" info: ");
    return i < 0 ? [] : [l.slice(i + 7)];
  });
  const v6Lines = info.filter((l) => l.startsWith("IPv6: "));
  deepStrictEqual(info.slice(0, 2), [
    "Virtual Interface Table",
    " Vif  Interface  Local-Address  Subnet       Thresh  Flags",
  ], "IPv4 first, without a prefix");
  const firstV6 = info.findIndex((l) => l.startsWith("IPv6: "));
  deepStrictEqual(info.slice(firstV6), v6Lines, "then the IPv6 plane's, each prefixed");
  ok(info.slice(0, firstV6).includes("Multicast Routing Cache Table (0 entries)"));
  deepStrictEqual(v6Lines.slice(0, 5), [
    "IPv6: Multicast Interface Table",
    "IPv6:  Mif  Interface  Local-Address  Subnet           Flags",
    "IPv6:    0  up0        fe80::1        2001:db8::/64    upstream",
    "IPv6:                                 fe80::/64",
    "IPv6:                         joined: ff05::1",
  ]);
  ok(v6Lines.includes("IPv6:                        pkts in: 50 (3000 bytes)"));
  ok(v6Lines.includes("IPv6:                       pkts out: 48 (2880 bytes)"));
  ok(v6Lines.some((l) => l.startsWith("IPv6:                         groups: ff05::1 EXCLUDE ")));
  ok(
    v6Lines.includes("IPv6:    1  dn1        fe80::2        2001:db8:1::/64  downstream querier"),
  );
  deepStrictEqual(v6Lines.slice(-3), [
    "IPv6: Multicast Routing Cache Table (1 entry)",
    "IPv6:  Origin       Mcast-group  Age  Pkts  Bytes  IMif  Forwmifs",
    "IPv6:  2001:db8::2  ff05::1       0s     -      -  0     1",
  ]);
  daemon.stop();
  await running;
});
