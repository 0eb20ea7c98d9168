import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import type { Config } from "../../conf/config.ts";
import { DEFAULT_TIMERS } from "../core/timers.ts";
import { createLogger } from "../log.ts";
import { encodeV2Report } from "../proto/igmp_encode.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";
import { CONFIG, iface, POS, setup, sysIf, SYSTEM, warnings } from "./daemon_testing.ts";
import { resolveInterfaces, StartupError } from "./daemon.ts";

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

Deno.test("Daemon.start: a missing upstream or downstream is a warning, not an error", () => {
  const noUp = setup({ system: SYSTEM.slice(1) });
  noUp.daemon.start();
  ok(noUp.sys.initialised);
  deepStrictEqual(warnings(noUp.lines), [
    'Interface "up0" does not exist: waiting for it',
    'No upstream interface yet: nothing is forwarded until "up0" appears',
  ]);
  ok(
    noUp.lines.some((l) =>
      l.endsWith('info: Started: no upstream yet, 2 downstream, waiting for "up0"')
    ),
  );
  deepStrictEqual([...noUp.sys.vifs.values()].map((v) => [v.vifi, v.ifindex]), [[0, 11], [1, 12]]);

  const noDn2 = setup({ system: SYSTEM.slice(0, 2) });
  noDn2.daemon.start();
  deepStrictEqual(warnings(noDn2.lines), ['Interface "dn2" does not exist: waiting for it']);
  ok(
    noDn2.lines.some((l) =>
      l.endsWith('info: Started: upstream "up0", 1 downstream, waiting for "dn2"')
    ),
  );
  equal(noDn2.sys.vifs.size, 2);
});

Deno.test("Daemon.start: each unusable interface says why; none usable still starts", () => {
  const system = [
    { ...SYSTEM[0], up: false },
    { ...SYSTEM[1], ipv4: [] },
    { ...SYSTEM[2], multicast: false },
  ];
  const { daemon, sys, lines } = setup({ system });
  daemon.start();
  ok(sys.initialised);
  equal(sys.vifs.size, 0);
  deepStrictEqual(warnings(lines), [
    'Interface "up0" is down: waiting for it to come up',
    'Interface "dn1" has no IPv4 address: waiting for one',
    'Interface "dn2" is not multicast capable: waiting until it is',
    'No upstream interface yet: nothing is forwarded until "up0" is usable',
    'No downstream interface yet: nothing is forwarded until one of "dn1", "dn2" is usable',
  ]);
});

Deno.test("Daemon.start: more usable interfaces than VIFs is fatal before the table is taken", () => {
  const names = Array.from({ length: 32 }, (_, i) => `dn${i + 1}`);
  const config: Config = {
    ...CONFIG,
    interfaces: [iface("up0", "upstream"), ...names.map((n) => iface(n, "downstream"))],
  };
  const system = [SYSTEM[0], ...names.map((n, i) => sysIf(n, 100 + i, `10.${i + 1}.0.1`))];
  const { daemon, sys } = setup({ config, system });
  throws(() => daemon.start(), /33 interfaces are usable at once, the kernel supports 32 VIFs/);
  equal(sys.initialised, false);
  // With one of them missing it starts, and waits for it.
  const fewer = setup({ config, system: system.slice(0, 32) });
  fewer.daemon.start();
  equal(fewer.sys.vifs.size, 32);
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
  const [up, dn1, dn2] = resolveInterfaces(config, SYSTEM, log).ipv4!;
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
  const [up, dn1, dn2] = resolveInterfaces(config, SYSTEM, log).ipv4!;
  deepStrictEqual(up.boundaries, [{ address: ip("239.255.0.0"), prefixLength: 16 }]);
  deepStrictEqual(dn1.boundaries, [
    { address: ip("239.255.0.0"), prefixLength: 16 },
    { address: ip("239.192.0.0"), prefixLength: 14 },
  ]);
  deepStrictEqual(dn2.boundaries, []);
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
