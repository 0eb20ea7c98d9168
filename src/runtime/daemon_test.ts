import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import type { Config, InterfaceConfig } from "../../conf/config.ts";
import { DEFAULT_TIMERS } from "../core/timers.ts";
import { createLogger } from "../log.ts";
import { encodeV2Report } from "../proto/igmp.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";
import { FakeSys } from "../../tests/fakes/fake_sys.ts";
import type { SystemInterface } from "./sys.ts";
import { Daemon, StartupError } from "./daemon.ts";

const POS = { file: "test.conf", line: 1, col: 1 };

function iface(name: string, role: InterfaceConfig["role"]): InterfaceConfig {
  return { name, role, threshold: 1, sources: [], position: POS };
}

const CONFIG: Config = {
  ipv4: true,
  ipv6: false,
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
    timers: DEFAULT_TIMERS,
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
