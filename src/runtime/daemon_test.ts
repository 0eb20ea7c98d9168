import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import type { Config, InterfaceConfig } from "../../conf/config.ts";
import { DEFAULT_TIMERS } from "../core/timers.ts";
import { createLogger } from "../log.ts";
import { encodeV2Report } from "../proto/igmp.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";
import { FakeSys } from "../../tests/fakes/fake_sys.ts";
import type { SystemInterface } from "./sys.ts";
import { Daemon, resolveInterfaces, StartupError } from "./daemon.ts";

const POS = { file: "test.conf", line: 1, col: 1 };

function iface(name: string, role: InterfaceConfig["role"]): InterfaceConfig {
  return { name, role, threshold: 1, sources: [], timers: {}, boundaries: [], position: POS };
}

const CONFIG: Config = {
  ipv4: true,
  ipv6: false,
  timers: {},
  scopes: [],
  interfaces: [iface("up0", "upstream"), iface("dn1", "downstream"), iface("dn2", "downstream")],
};

function sysIf(name: string, index: number, address: string): SystemInterface {
  return {
    name,
    index,
    up: true,
    multicast: true,
    loopback: false,
    ipv4: [{ address: ip(address), prefixLength: 24 }],
  };
}

const SYSTEM = [
  sysIf("up0", 10, "10.0.0.1"),
  sysIf("dn1", 11, "10.1.0.1"),
  sysIf("dn2", 12, "10.2.0.1"),
];

function setup(opts: { config?: Config; system?: SystemInterface[] } = {}) {
  const sys = new FakeSys(opts.system ?? SYSTEM);
  const lines: string[] = [];
  const log = createLogger({ sink: (_l, line) => lines.push(line), verbosity: 1 });
  let now = 0;
  const daemon = new Daemon({
    sys,
    config: opts.config ?? CONFIG,
    log,
    now: () => now,
    describeTableHolder: () => "held by igmpproxy (pid 42)",
  });
  return { sys, lines, daemon, advance: (ms: number) => (now += ms) };
}

Deno.test("Daemon.start: takes the table and adds one VIF per usable interface", () => {
  const { sys, daemon, lines } = setup();
  daemon.start();
  ok(sys.initialised);
  deepStrictEqual([...sys.vifs.values()].map((v) => [v.vifi, v.ifindex]), [[0, 10], [1, 11], [
    2,
    12,
  ]]);
  ok(sys.memberships.has(`${ip("224.0.0.2")}/11`));
  equal(sys.calls.filter((c) => c.op === "sendIgmp").length, 2, "a general query per LAN");
  ok(lines.some((l) => l.includes('info: Started: upstream "up0", 2 downstream')));
});

Deno.test("Daemon.start: EADDRINUSE names the process that holds the table", () => {
  const { sys, daemon } = setup();
  sys.failures.set("mrtInit", "EADDRINUSE");
  throws(() => daemon.start(), (err: unknown) => {
    ok(err instanceof StartupError);
    match(err.message, /another multicast router holds it \(held by igmpproxy \(pid 42\)\)/);
    return true;
  });
  ok(sys.calls.some((c) => c.op === "close"));
});

Deno.test("Daemon.start: a missing upstream is fatal, a missing downstream is a warning", () => {
  const noUp = setup({ system: SYSTEM.slice(1) });
  throws(() => noUp.daemon.start(), /Upstream interface "up0" does not exist/);
  equal(noUp.sys.initialised, false, "the kernel table was never taken");

  const noDn2 = setup({ system: SYSTEM.slice(0, 2) });
  noDn2.daemon.start();
  ok(noDn2.lines.some((l) => l.includes('warn: Interface "dn2" does not exist: not used')));
  equal(noDn2.sys.vifs.size, 2);
});

Deno.test("Daemon.start: an interface without IPv4 or a down one is skipped; none left is fatal", () => {
  const system = [SYSTEM[0], { ...SYSTEM[1], ipv4: [] }, { ...SYSTEM[2], up: false }];
  const { daemon, sys } = setup({ system });
  throws(() => daemon.start(), /No usable downstream interface/);
  equal(sys.initialised, false);
});

Deno.test("Daemon.start: a VIF that cannot be added is fatal and leaves nothing behind", () => {
  const { daemon, sys } = setup();
  sys.failures.set("addVif", "EADDRINUSE");
  throws(() => daemon.start(), /Cannot add VIF 0 for "up0": EADDRINUSE/);
  equal(sys.initialised, false);
  equal(sys.vifs.size, 0);
});

Deno.test("Daemon.run: a report and an upcall install forwarding; stop removes everything", async () => {
  const { sys, daemon, lines } = setup();
  daemon.start();
  const running = daemon.run();
  const g = ip("239.1.1.1");
  const data = buildIPv4Packet({
    source: ip("10.1.0.11"),
    destination: g,
    payload: encodeV2Report(g),
  });
  sys.deliver({ kind: "packet", ifindex: 11, data, length: data.length });
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: ip("10.0.0.2"), group: g });
  for (let i = 0; i < 50 && sys.mfc.size === 0; i++) await new Promise((r) => setTimeout(r, 5));
  deepStrictEqual([...sys.mfc.values()], [{
    kind: "addMfc",
    source: ip("10.0.0.2"),
    group: g,
    parent: 0,
    oifs: [{ vifi: 1, ttl: 1 }],
  }]);
  ok(sys.memberships.has(`${g}/10`), "joined upstream");
  // a failing kernel call is a warning, not a crash
  sys.failures.set("addMfc", "ENOBUFS");
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: ip("10.0.0.3"), group: g });
  for (let i = 0; i < 50 && !lines.some((l) => l.includes("ENOBUFS")); i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  ok(
    lines.some((l) => l.includes("warn: Cannot add MFC entry for (10.0.0.3, 239.1.1.1): ENOBUFS")),
  );
  daemon.stop();
  await running;
  equal(sys.mfc.size, 0);
  equal(sys.vifs.size, 0);
  equal(sys.memberships.size, 0);
  equal(sys.initialised, false);
  const delVifs = sys.calls.filter((c) => c.op === "delVif").length;
  equal(delVifs, 3, "VIFs are deleted explicitly before the socket closes");
  ok(lines.some((l) => l.includes("info: Stopped")));
});

function quietLog() {
  const lines: string[] = [];
  return { lines, log: createLogger({ sink: (_l, line) => lines.push(line), verbosity: 0 }) };
}

const LOCAL = { family: 4 as const, address: "239.255.0.0", length: 16 };

Deno.test("resolveInterfaces: timers resolve interface > global > default, per interface", () => {
  const config: Config = {
    ...CONFIG,
    timers: { robustness: 3, queryInterval: 60_000 },
    interfaces: [
      iface("up0", "upstream"),
      { ...iface("dn1", "downstream"), timers: { lastMemberQueryInterval: 500 } },
      { ...iface("dn2", "downstream"), timers: { queryInterval: 30_000, robustness: 2 } },
    ],
  };
  const { log } = quietLog();
  const [up, dn1, dn2] = resolveInterfaces(config, SYSTEM, log);
  deepStrictEqual(up.timers, {
    ...DEFAULT_TIMERS,
    robustness: 3,
    queryInterval: 60_000,
    startupQueryInterval: 15_000,
    lastMemberQueryCount: 3,
    startupQueryCount: 3,
  });
  deepStrictEqual(dn1.timers, { ...up.timers, lastMemberQueryInterval: 500 });
  deepStrictEqual(dn2.timers, {
    ...DEFAULT_TIMERS,
    queryInterval: 30_000,
    startupQueryInterval: 7_500,
  });
});

Deno.test("resolveInterfaces: IPv4 boundaries as numbers, IPv6 ones left out", () => {
  const config: Config = {
    ...CONFIG,
    scopes: [{ name: "LOCAL", prefix: LOCAL, position: POS }],
    interfaces: [
      { ...iface("up0", "upstream"), boundaries: [{ name: "LOCAL", prefix: LOCAL }] },
      {
        ...iface("dn1", "downstream"),
        boundaries: [
          { name: "LOCAL", prefix: LOCAL },
          { prefix: { family: 4, address: "239.192.0.0", length: 14 } },
          { name: "SITE6", prefix: { family: 6, address: "ff05::", length: 16 } },
        ],
      },
      iface("dn2", "downstream"),
    ],
  };
  const { log } = quietLog();
  const [up, dn1, dn2] = resolveInterfaces(config, SYSTEM, log);
  deepStrictEqual(up.boundaries, [{ address: ip("239.255.0.0"), prefixLength: 16 }]);
  deepStrictEqual(dn1.boundaries, [
    { address: ip("239.255.0.0"), prefixLength: 16 },
    { address: ip("239.192.0.0"), prefixLength: 14 },
  ]);
  deepStrictEqual(dn2.boundaries, []);
});

Deno.test("resolveInterfaces: one warning when IPv6 is on anywhere, none when off", () => {
  const warnings = (config: Config) => {
    const { lines, log } = quietLog();
    resolveInterfaces(config, SYSTEM, log);
    return lines.filter((l) => l.includes("warn:"));
  };
  deepStrictEqual(warnings(CONFIG), []);
  const v6 = (l: string) => l.endsWith("warn: IPv6 is not supported yet: only IPv4 is proxied");
  const global = warnings({ ...CONFIG, ipv6: true });
  equal(global.length, 1);
  ok(v6(global[0]));
  const perInterface = warnings({
    ...CONFIG,
    interfaces: [
      { ...iface("up0", "upstream"), ipv6: true },
      { ...iface("dn1", "downstream"), ipv6: true },
      iface("dn2", "downstream"),
    ],
  });
  equal(perInterface.length, 1);
  ok(v6(perInterface[0]));
  equal(
    warnings({
      ...CONFIG,
      ipv6: true,
      interfaces: CONFIG.interfaces.map((ic) => ({ ...ic, ipv6: false })),
    }).length,
    1,
    "the global setting alone asks for IPv6",
  );
});

Deno.test("resolveInterfaces: an upstream with IPv4 off is a startup error", () => {
  const config: Config = {
    ...CONFIG,
    interfaces: [
      { ...iface("up0", "upstream"), ipv4: false },
      iface("dn1", "downstream"),
    ],
  };
  throws(
    () => resolveInterfaces(config, SYSTEM, quietLog().log),
    (err: unknown) =>
      err instanceof StartupError && /upstream interface has IPv4 off/.test(err.message),
  );
});

Deno.test("Daemon.start: per-interface timers and boundaries reach the queries and the log", () => {
  const config: Config = {
    ...CONFIG,
    interfaces: [
      iface("up0", "upstream"),
      {
        ...iface("dn1", "downstream"),
        timers: { queryResponseInterval: 2_500 },
        boundaries: [{ name: "LOCAL", prefix: LOCAL }],
      },
      iface("dn2", "downstream"),
    ],
  };
  const { sys, daemon, lines } = setup({ config });
  daemon.start();
  const maxResp = sys.calls.flatMap((c) => c.op === "sendIgmp" ? [[c.ifindex, c.igmp[1]]] : []);
  deepStrictEqual(maxResp, [[11, 25], [12, 100]], "Max Resp Code in tenths of a second");
  ok(lines.some((l) =>
    l.endsWith(
      'info: Interface "dn1" is downstream as VIF 1, address 10.1.0.1, threshold 1, boundary ' +
        "239.255.0.0/16",
    )
  ));
  ok(lines.some((l) => l.endsWith('info: Interface "dn1" runs with query-response-interval 2.5s')));
  ok(!lines.some((l) => l.includes('"dn2" runs with')));
});
