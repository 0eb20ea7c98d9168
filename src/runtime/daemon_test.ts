import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import type { Config, InterfaceConfig } from "../../conf/config.ts";
import { DEFAULT_TIMERS } from "../core/timers.ts";
import { createLogger } from "../log.ts";
import { encodeV2Report } from "../proto/igmp_encode.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";
import { FakeSys } from "../../tests/fakes/fake_sys.ts";
import type { SystemInterface } from "./sys.ts";
import {
  Daemon,
  describeMemory,
  type MemoryUsage as DaemonMemory,
  resolveInterfaces,
  StartupError,
} from "./daemon.ts";

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
    running: true,
    multicast: true,
    loopback: false,
    ipv4: [{ address: ip(address), prefixLength: 24 }],
    ipv6: [],
  };
}

const SYSTEM = [
  sysIf("up0", 10, "10.0.0.1"),
  sysIf("dn1", 11, "10.1.0.1"),
  sysIf("dn2", 12, "10.2.0.1"),
];

function warnings(lines: string[]): string[] {
  return lines.flatMap((l) => {
    const i = l.indexOf(" warn: ");
    return i < 0 ? [] : [l.slice(i + 7)];
  });
}

function setup(
  opts: { config?: Config; system?: SystemInterface[]; memoryUsage?: () => DaemonMemory } = {},
) {
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
    ...(opts.memoryUsage === undefined ? {} : { memoryUsage: opts.memoryUsage }),
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

// Interfaces that appear, vanish or change while the daemon runs.

async function until(what: string, cond: () => boolean, ms = 1000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function hasLine(lines: string[], suffix: string): boolean {
  return lines.some((l) => l.endsWith(suffix));
}

function v2Report(ifindex: number, from: string, group: number) {
  const data = buildIPv4Packet({
    source: ip(from),
    destination: group,
    payload: encodeV2Report(group),
  });
  return { kind: "packet" as const, ifindex, data, length: data.length };
}

Deno.test("Daemon.run: a LAN that appears gets a VIF at once; when it vanishes, quietly, it goes", async () => {
  const { sys, daemon, lines } = setup({ system: SYSTEM.slice(0, 2) });
  daemon.start();
  ok(sys.watching, "the daemon watches for interface changes");
  const running = daemon.run();
  const g = ip("239.1.1.1");
  sys.deliver(v2Report(11, "10.1.0.11", g));
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: ip("10.0.0.2"), group: g });
  await until("the entry", () => sys.mfc.size === 1);

  sys.setInterfaces(SYSTEM);
  await until("VIF 2", () => sys.vifs.get(2)?.ifindex === 12);
  ok(
    hasLine(
      lines,
      'info: Interface "dn2" appeared: downstream as VIF 2, address 10.2.0.1, threshold 1',
    ),
  );
  ok(sys.memberships.has(`${ip("224.0.0.2")}/12`) && sys.memberships.has(`${ip("224.0.0.22")}/12`));
  await until(
    "a query on dn2",
    () => sys.calls.some((c) => c.op === "sendIgmp" && c.ifindex === 12),
  );
  sys.deliver(v2Report(12, "10.2.0.11", g));
  await until("dn2 in the entry", () => sys.mfc.values().next().value?.oifs.length === 2);

  // The kernel drops the VIF of an unregistered interface itself: deleting it again fails.
  sys.vanish(12);
  sys.setInterfaces(SYSTEM.slice(0, 2));
  await until("dn2 gone", () => daemon.state?.byIfindex.has(12) === false);
  ok(hasLine(lines, 'info: Interface "dn2" is gone (no longer exists): VIF 2 removed'));
  deepStrictEqual([...sys.mfc.values()][0].oifs, [{ vifi: 1, ttl: 1 }], "LAN 1 still forwarded");
  ok(sys.memberships.has(`${g}/10`), "LAN 1 still wants the group upstream");
  ok(!sys.memberships.has(`${ip("224.0.0.2")}/12`));
  deepStrictEqual(warnings(lines), ['Interface "dn2" does not exist: waiting for it']);
  ok(lines.some((l) => l.includes('debug: Cannot delete VIF 2 for "dn2": EADDRNOTAVAIL')));
  daemon.stop();
  await running;
  equal(sys.vifs.size, 0);
  equal(sys.mfc.size, 0);
  equal(sys.memberships.size, 0);
});

Deno.test("Daemon.run: a late upstream joins what the LANs want; it can go and come back", async () => {
  const { sys, daemon, lines } = setup({ system: SYSTEM.slice(1) });
  daemon.start();
  const running = daemon.run();
  const g = ip("239.1.1.1");
  sys.deliver(v2Report(11, "10.1.0.11", g));
  await until("the membership", () => daemon.state?.members.has(g) === true);
  equal(sys.memberships.has(`${g}/10`), false, "no upstream to join on");

  sys.setInterfaces(SYSTEM);
  await until("the upstream join", () => sys.memberships.has(`${g}/10`));
  ok(
    hasLine(
      lines,
      'info: Interface "up0" appeared: upstream as VIF 2, address 10.0.0.1, threshold 1',
    ),
  );
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 2, source: ip("10.0.0.2"), group: g });
  await until("the entry", () => sys.mfc.size === 1);
  deepStrictEqual([...sys.mfc.values()][0].parent, 2);

  sys.setInterfaces([{ ...SYSTEM[0], up: false }, ...SYSTEM.slice(1)]);
  await until("no upstream", () => daemon.state?.upstream === undefined);
  ok(lines.some((l) => l.includes('info: Interface "up0" is gone (went down): VIF 2 removed')));
  equal(sys.mfc.size, 0);
  equal(sys.memberships.has(`${g}/10`), false);
  equal(sys.vifs.has(2), false);

  sys.setInterfaces(SYSTEM);
  await until("the join again", () => sys.memberships.has(`${g}/10`));
  deepStrictEqual(warnings(lines), [
    'Interface "up0" does not exist: waiting for it',
    'No upstream interface yet: nothing is forwarded until "up0" appears',
  ]);
  daemon.stop();
  await running;
  equal(sys.vifs.size, 0);
  equal(sys.memberships.size, 0);
});

Deno.test("Daemon.run: the periodic look finds a change the system did not announce", async () => {
  const { sys, daemon, advance } = setup({ system: SYSTEM.slice(0, 2) });
  daemon.start();
  const running = daemon.run();
  await until("the first look", () => sys.interfaceScans === 2);
  sys.setInterfaces(SYSTEM, { notify: false });
  await new Promise((r) => setTimeout(r, 60));
  equal(sys.vifs.size, 2, "not seen before the look is due");
  equal(sys.interfaceScans, 2);
  advance(30_000);
  await until("VIF 2", () => sys.vifs.has(2));
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: a new address is a down and an up of the interface", async () => {
  const { sys, daemon, lines } = setup();
  daemon.start();
  const running = daemon.run();
  sys.setInterfaces([SYSTEM[0], sysIf("dn1", 11, "10.1.0.5"), SYSTEM[2]]);
  await until("the new address", () => daemon.state?.vifs.get(1)?.address === ip("10.1.0.5"));
  ok(
    lines.some((l) =>
      l.endsWith(
        'info: Interface "dn1" is gone (address changed: 10.1.0.1 to 10.1.0.5): VIF 1 removed',
      )
    ),
  );
  ok(
    hasLine(
      lines,
      'info: Interface "dn1" appeared: downstream as VIF 1, address 10.1.0.5, threshold 1',
    ),
  );
  // Same name, new index: the old interface is gone.
  sys.setInterfaces([SYSTEM[0], sysIf("dn1", 21, "10.1.0.5"), SYSTEM[2]]);
  await until("the new index", () => daemon.state?.vifs.get(1)?.ifindex === 21);
  ok(lines.some((l) => l.includes('"dn1" is gone (index changed: 11 to 21)')));
  deepStrictEqual(warnings(lines), []);
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: without a watch, interfaces are looked at every 5 s", async () => {
  const { sys, daemon, lines, advance } = setup({ system: SYSTEM.slice(0, 2) });
  sys.failures.set("watchInterfaces", "EPROTONOSUPPORT");
  daemon.start();
  ok(
    hasLine(
      lines,
      "warn: Cannot watch interface changes: EPROTONOSUPPORT: looking every 5 s instead",
    ),
  );
  const running = daemon.run();
  sys.setInterfaces(SYSTEM);
  await new Promise((r) => setTimeout(r, 60));
  equal(sys.vifs.size, 2);
  advance(5_000);
  await until("VIF 2", () => sys.vifs.has(2));
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: a watch that fails later ends with one warning; looks go on", async () => {
  const { sys, daemon, lines, advance } = setup({ system: SYSTEM.slice(0, 2) });
  daemon.start();
  const running = daemon.run();
  sys.failures.set("interfacesChanged", "EBADF");
  sys.setInterfaces(SYSTEM, { notify: false });
  advance(30_000);
  await until("VIF 2", () => sys.vifs.has(2));
  deepStrictEqual(warnings(lines).slice(1), [
    "Cannot watch interface changes any more: EBADF: looking every 5 s instead",
  ]);
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: a VIF the kernel refuses is one warning, and tried again later", async () => {
  const { sys, daemon, lines, advance } = setup({ system: SYSTEM.slice(0, 2) });
  daemon.start();
  const running = daemon.run();
  await until("the first look", () => sys.interfaceScans === 2);
  sys.failures.set("addVif", "ENODEV");
  sys.setInterfaces(SYSTEM);
  await until("the warning", () => warnings(lines).length === 2);
  equal(
    warnings(lines)[1],
    'Cannot add VIF 2 for "dn2": ENODEV: trying again on the next change',
  );
  ok(!lines.some((l) => l.includes('info: Interface "dn2"')), "no appeared nor gone line");
  equal(daemon.state?.vifs.has(2), false);
  equal(sys.memberships.has(`${ip("224.0.0.2")}/12`), false);
  sys.setInterfaces(SYSTEM);
  await until("another look", () => sys.interfaceScans === 4);
  equal(warnings(lines).length, 2, "not tried again for the same interface");
  sys.failures.delete("addVif");
  advance(30_000);
  await until("VIF 2", () => sys.vifs.has(2));
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: a link without carrier is used once it has one; one in use keeps its VIF", async () => {
  const noCarrier = { ...SYSTEM[2], running: false };
  const { sys, daemon, lines } = setup({ system: [SYSTEM[0], SYSTEM[1], noCarrier] });
  daemon.start();
  deepStrictEqual(warnings(lines), [
    'Interface "dn2" has no carrier: waiting for its link to come up',
  ]);
  equal(sys.vifs.size, 2);
  const running = daemon.run();
  sys.setInterfaces(SYSTEM);
  await until("VIF 2", () => sys.vifs.has(2));
  const before = sys.calls.length;
  sys.setInterfaces([SYSTEM[0], { ...SYSTEM[1], running: false }, SYSTEM[2]]);
  await until("another look", () => sys.interfaceScans === 4);
  deepStrictEqual(sys.calls.slice(before).filter((c) => c.op !== "sendIgmp"), [], "nothing done");
  ok(!lines.some((l) => l.includes('"dn1" is gone')));
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: an entry whose counters stand still between two samples is removed", async () => {
  const { sys, daemon, lines, advance } = setup();
  daemon.start();
  const running = daemon.run();
  const g = ip("239.1.1.1");
  const busy = ip("10.0.0.2");
  const silent = ip("10.0.0.3");
  sys.deliver(v2Report(11, "10.1.0.11", g));
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: busy, group: g });
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: silent, group: g });
  await until("two entries", () => sys.mfc.size === 2);
  sys.packets.set(`${busy}/${g}`, 100);
  sys.packets.set(`${silent}/${g}`, 7);
  const samples = () => sys.calls.filter((c) => c.op === "sgCount").length;
  advance(30_000); // first sample
  await until("a sample of both", () => samples() === 2);
  equal(sys.mfc.size, 2);
  sys.packets.set(`${busy}/${g}`, 250);
  advance(30_000); // second sample: only the silent one stood still
  await until("the silent entry removed", () => sys.mfc.size === 1);
  ok(sys.mfc.has(`${busy}/${g}`));
  ok(hasLine(lines, "debug: Removed 1 idle forwarding entry"));
  daemon.stop();
  await running;
  equal(sys.mfc.size, 0);
});

/** The messages of the info lines logged from line `from` on. */
function infoFrom(lines: string[], from: number): string[] {
  return lines.slice(from).flatMap((l) => {
    const i = l.indexOf(" info: ");
    return i < 0 ? [] : [l.slice(i + 7)];
  });
}

Deno.test("Daemon.requestDump: the loop logs the tables with the kernel's counters", async () => {
  const { sys, daemon, lines, advance } = setup();
  daemon.start();
  const running = daemon.run();
  const g = ip("239.1.1.1");
  const s = ip("10.0.0.2");
  sys.deliver(v2Report(11, "10.1.0.11", g));
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: s, group: g });
  await until("the entry", () => sys.mfc.size === 1);
  sys.vifCounts.set(0, { packetsIn: 120, packetsOut: 0, bytesIn: 6240, bytesOut: 0 });
  sys.vifCounts.set(1, { packetsIn: 0, packetsOut: 118, bytesIn: 0, bytesOut: 6136 });
  sys.packets.set(`${s}/${g}`, 118);
  sys.vanish(12); // VIF 2's counters cannot be read any more: `-`
  advance(5000);
  const from = lines.length;
  daemon.requestDump();
  await until("the dump", () => hasLine(lines, "info: Multicast Routing Cache Table (1 entry)"));
  deepStrictEqual(infoFrom(lines, from), [
    "Virtual Interface Table",
    " Vif  Interface  Local-Address  Subnet       Thresh  Flags",
    "   0  up0        10.0.0.1       10.0.0.0/24       1  upstream",
    "                        joined: 239.1.1.1",
    "                       pkts in: 120 (6240 bytes)",
    "                      pkts out: 0 (0 bytes)",
    "   1  dn1        10.1.0.1       10.1.0.0/24       1  downstream querier",
    "                        groups: 239.1.1.1",
    "                       pkts in: 0 (0 bytes)",
    "                      pkts out: 118 (6136 bytes)",
    "   2  dn2        10.2.0.1       10.2.0.0/24       1  downstream querier",
    "                       pkts in: -",
    "                      pkts out: -",
    "Multicast Routing Cache Table (1 entry)",
    " Origin    Mcast-group  Age  Pkts  Bytes  IVif  Forwvifs",
    " 10.0.0.2  239.1.1.1     5s   118      0  0     1",
  ]);
  ok(sys.calls.some((c) => c.op === "vifCount" && c.vifi === 2), "VIF 2 was asked");
  daemon.stop();
  await running;
  equal(sys.mfc.size, 0);
});

Deno.test("Daemon.requestDump: the dump ends with the process's memory when it can be read", async () => {
  const MB = 1048576;
  const { daemon, lines } = setup({
    memoryUsage: () => ({ rss: 49.4 * MB, heapTotal: 14.5 * MB, heapUsed: 10 * MB, external: MB }),
  });
  daemon.start();
  const running = daemon.run();
  daemon.requestDump();
  await until("the memory line", () => lines.some((l) => l.includes("info: Memory:")));
  const table = lines.findIndex((l) =>
    l.endsWith("info: Multicast Routing Cache Table (0 entries)")
  );
  const memory = lines.findIndex((l) => l.includes("info: Memory:"));
  ok(table >= 0 && memory > table, "after the tables");
  ok(
    lines[memory].endsWith(
      "info: Memory: 49.4 MB resident, JavaScript heap 10.0 MB used of 14.5 MB, 1.0 MB outside it",
    ),
    lines[memory],
  );
  daemon.stop();
  await running;
});

Deno.test("describeMemory: megabytes with one decimal; no resident size when it reads 0", () => {
  equal(
    describeMemory({ rss: 104858, heapTotal: 1572864, heapUsed: 104858, external: 0 }),
    "Memory: 0.1 MB resident, JavaScript heap 0.1 MB used of 1.5 MB, 0.0 MB outside it",
  );
  equal(
    describeMemory({ rss: 0, heapTotal: 1572864, heapUsed: 104858, external: 0 }),
    "Memory: JavaScript heap 0.1 MB used of 1.5 MB, 0.0 MB outside it",
  );
});

Deno.test("Daemon.requestDump: asked for twice before the loop runs, it dumps once", async () => {
  const { daemon, lines } = setup();
  daemon.start();
  daemon.requestDump();
  daemon.requestDump();
  const running = daemon.run();
  await until("the dump", () => hasLine(lines, "info: Multicast Routing Cache Table (0 entries)"));
  await new Promise((r) => setTimeout(r, 20));
  equal(lines.filter((l) => l.endsWith("info: Virtual Interface Table")).length, 1);
  daemon.stop();
  await running;
});
