// The daemon's answers on the control socket, on the fake OS layer: reload returns its errors
// and keeps the running configuration, log switches debug lines, dump returns the tables, and
// monitor streams the events of a join, a new source, its entry and the leave.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLogger } from "../log.ts";
import { encodeLeave, encodeV2Report } from "../proto/igmp_encode.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";
import { FakeSys } from "../../tests/fakes/fake_sys.ts";
import { DaemonControl } from "./control.ts";
import type { ControlSession } from "./control_server.ts";
import type { ControlReply, ControlRequest } from "./control_protocol.ts";
import { parseRequest } from "./control_protocol.ts";
import { Daemon } from "./daemon.ts";
import { DaemonLog } from "./daemon_log.ts";
import { CONFIG, iface, SYSTEM, until } from "./daemon_testing.ts";
import type { Config } from "../../conf/config.ts";
import { Monitor } from "./monitor.ts";

const G = ip("239.1.1.1");
const S = ip("10.0.0.2");

function request(line: string): ControlRequest {
  const parsed = parseRequest(line);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

/**
 * A running daemon on the fake OS with its control handler; `next` is what a reload reads, `now`
 * the clock of both (default `performance.now`).
 */
function running(opts: { debug?: boolean; now?: () => number } = {}) {
  const sys = new FakeSys(SYSTEM);
  const lines: string[] = [];
  const log = new DaemonLog(
    createLogger({ sink: (_l, line) => lines.push(line), verbosity: 1 }),
    opts.debug ?? false,
  );
  const reads: { next: Config | undefined; problems: string[] } = { next: CONFIG, problems: [] };
  const monitor = new Monitor(() => new Date("2026-12-05T21:00:00Z"));
  const readConfig = () => {
    for (const p of reads.problems) log.warn(p);
    return reads.next;
  };
  const now = opts.now ?? (() => performance.now());
  const daemon = new Daemon({ sys, config: CONFIG, log, readConfig, monitor, now });
  daemon.start();
  const loop = daemon.run();
  const control = new DaemonControl({ daemon, log, monitor, now });
  const answer = (line: string): ControlReply => {
    const r = control.answer(request(line));
    if ("start" in r) throw new Error("a stream");
    return r;
  };
  const report = (group: number, leave = false) => {
    const data = buildIPv4Packet({
      source: ip("10.1.0.11"),
      destination: leave ? ip("224.0.0.2") : group,
      payload: leave ? encodeLeave(group) : encodeV2Report(group),
    });
    sys.deliver({ kind: "packet", ifindex: 11, data, length: data.length });
  };
  const stop = async () => {
    daemon.stop();
    await loop;
  };
  return { sys, lines, log, daemon, control, reads, answer, report, stop };
}

Deno.test("control: reload of a broken file returns its errors, fails, and keeps the running one", async () => {
  const d = running();
  d.reads.next = undefined;
  d.reads.problems = ['/etc/mcast-proxy.conf:3:11: unknown keyword "donwstream"'];
  const r = d.answer("reload");
  equal(r.ok, false);
  deepStrictEqual(r.body.split("\n"), [
    "Control socket reload: reading the configuration again",
    'warn: /etc/mcast-proxy.conf:3:11: unknown keyword "donwstream"',
    "warn: Reload failed: the running configuration is kept",
    "",
  ]);
  equal(d.daemon.config, CONFIG);
  const failed = d.answer("reload --json");
  equal(failed.ok, false);
  deepStrictEqual(JSON.parse(failed.body), {
    version: 1,
    ok: false,
    messages: [
      { level: "info", message: "Control socket reload: reading the configuration again" },
      { level: "warn", message: '/etc/mcast-proxy.conf:3:11: unknown keyword "donwstream"' },
      { level: "warn", message: "Reload failed: the running configuration is kept" },
    ],
  });
  await d.stop();
});

Deno.test("control: a good reload is ok and says what runs now", async () => {
  const d = running();
  const smaller: Config = {
    ...CONFIG,
    interfaces: [iface("up0", "upstream"), iface("dn1", "downstream")],
  };
  d.reads.next = smaller;
  const r = d.answer("reload");
  ok(r.ok, r.body);
  ok(r.body.includes('Interface "dn2" is gone (it is no longer in the configuration)'), r.body);
  ok(/Reloaded the configuration: /.test(r.body), r.body);
  equal(d.daemon.config, smaller);
  const json = d.answer("reload --json");
  ok(json.ok, json.body);
  const parsed = JSON.parse(json.body);
  deepStrictEqual(Object.keys(parsed), ["version", "ok", "messages"]);
  equal(parsed.version, 1);
  equal(parsed.ok, true);
  ok(parsed.messages.every((m: { level: string }) => m.level === "info"), json.body);
  await d.stop();
});

Deno.test("control: log verbose and brief switch the debug lines of the logger and the core", async () => {
  const d = running();
  d.report(G);
  await until("the report", () => d.daemon.state!.vifs.get(1)!.groups.has(G));
  ok(!d.lines.some((l) => l.includes("debug:")), "no debug line while brief");
  deepStrictEqual(d.answer("log verbose"), { ok: true, body: "debug logging on\n" });
  ok(d.log.debugEnabled);
  d.report(ip("239.1.1.2"));
  await until("a debug line of the core", () => d.lines.some((l) => /debug: Received/.test(l)));
  deepStrictEqual(d.answer("log brief"), { ok: true, body: "debug logging off\n" });
  deepStrictEqual(d.answer("log brief --json"), {
    ok: true,
    body: '{"version":1,"debug":false}\n',
  });
  const n = d.lines.length;
  d.report(ip("239.1.1.3"));
  await until("the third group", () => d.daemon.state!.vifs.get(1)!.groups.has(ip("239.1.1.3")));
  ok(!d.lines.slice(n).some((l) => l.includes("debug:")), d.lines.slice(n).join("\n"));
  deepStrictEqual(d.answer("log verbose --json"), {
    ok: true,
    body: '{"version":1,"debug":true}\n',
  });
  ok(d.log.debugEnabled);
  d.answer("log brief");
  await d.stop();
});

Deno.test("control: dump returns the tables it logs; show config the canonical configuration", async () => {
  const d = running();
  const r = d.answer("dump");
  ok(r.ok);
  ok(r.body.startsWith("Virtual Interface Table\n"), r.body);
  ok(d.lines.some((l) => l.endsWith("info: Virtual Interface Table")));
  const json = d.answer("dump --json");
  ok(json.ok);
  ok(json.body.endsWith("}\n") && !json.body.slice(0, -1).includes("\n"), "one line");
  const parsed = JSON.parse(json.body);
  deepStrictEqual(Object.keys(parsed), ["version", "lines"]);
  equal(parsed.version, 1);
  // The lines of the text form, one string each.
  deepStrictEqual(parsed.lines, r.body.slice(0, -1).split("\n"));
  const config = d.answer("show config");
  ok(config.ok);
  ok(config.body.includes("interface up0"), config.body);
  deepStrictEqual(JSON.parse(d.answer("show config --json").body), {
    version: 1,
    config: config.body,
  });
  await d.stop();
});

Deno.test("control: monitor streams a join, a new source, its entry, the leave; stops when told", async () => {
  const d = running();
  const text: string[] = [];
  const json: string[] = [];
  const r1 = d.control.answer(request("monitor"));
  const r2 = d.control.answer(request("monitor --json"));
  ok("start" in r1 && "start" in r2);
  const stop1 = r1.start((l) => text.push(l));
  const stop2 = r2.start((l) => json.push(l));
  d.report(G);
  await until("the join", () => text.length >= 2);
  d.sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: S, group: G });
  await until("the entry", () => text.some((l) => l.includes("entry-added")));
  deepStrictEqual(text, [
    '2026-12-05T21:00:00.000Z member-join 239.1.1.1 on "dn1"',
    '2026-12-05T21:00:00.000Z upstream-join 239.1.1.1 on "up0": any source',
    '2026-12-05T21:00:00.000Z new-source (10.0.0.2, 239.1.1.1) on "up0"',
    '2026-12-05T21:00:00.000Z entry-added (10.0.0.2, 239.1.1.1) from "up0" to "dn1"',
  ]);
  deepStrictEqual(JSON.parse(json[0]), {
    version: 1,
    time: "2026-12-05T21:00:00.000Z",
    event: "member-join",
    family: "ipv4",
    interface: "dn1",
    group: "239.1.1.1",
  });
  stop1();
  const seen = text.length;
  d.report(G, true);
  await until("the leave", () => json.some((l) => l.includes("member-leave")), 5000);
  equal(text.length, seen, "the stopped watcher got nothing more");
  stop2();
  await d.stop();
});

Deno.test("control: show answers each view from the running cores, in text and JSON", async () => {
  const d = running();
  d.report(G);
  d.sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: S, group: G });
  await until("the entry", () => d.sys.mfc.size === 1);

  const interfaces = JSON.parse(d.answer("show interfaces --json").body);
  equal(interfaces.version, 1);
  deepStrictEqual(
    interfaces.interfaces.map((i: { name: string; role: string; vif: number }) => [
      i.name,
      i.role,
      i.vif,
    ]),
    [["up0", "upstream", 0], ["dn1", "downstream", 1], ["dn2", "downstream", 2]],
  );
  ok(d.answer("show interfaces").body.includes("dn1"));

  const groups = JSON.parse(d.answer("show groups --json").body).groups;
  equal(groups.length, 1);
  equal(groups[0].interface, "dn1");
  equal(groups[0].group, "239.1.1.1");
  equal(groups[0].lastReporter, "10.1.0.11");
  deepStrictEqual(JSON.parse(d.answer("show groups 239.9.9.9 --json").body).groups, []);
  equal(JSON.parse(d.answer("show groups 239.1.1.1 --json").body).groups.length, 1);

  const upstream = JSON.parse(d.answer("show upstream --json").body).upstream[0];
  equal(upstream.interface.name, "up0");
  deepStrictEqual(upstream.groups.map((g: { group: string }) => g.group), ["239.1.1.1"]);

  const forwarding = JSON.parse(d.answer("show forwarding --json").body).forwarding[0];
  equal(forwarding.entries.length, 1);
  equal(forwarding.entries[0].source, "10.0.0.2");
  equal(forwarding.entries[0].input.name, "up0");
  deepStrictEqual(forwarding.entries[0].outputs.map((o: { name: string }) => o.name), ["dn1"]);

  const counters = JSON.parse(d.answer("show counters --json").body).counters[0];
  ok(counters.packets >= 1);
  equal(counters.upcalls, 1);
  ok(/^mcast_proxy_packets_total\{family="ipv4"\} \d+$/m.test(
    d.answer("show counters --prometheus").body,
  ));
  await d.stop();
});

Deno.test("control: the routing mode's views carry the schema version; a proxy refuses them", async () => {
  const proxy = running();
  const refused = proxy.answer("show neighbors --json");
  equal(refused.ok, false);
  equal(refused.body, "show neighbors: this daemon is a proxy, not a router (mcast-routed)\n");
  await proxy.stop();

  const sys = new FakeSys(SYSTEM);
  const log = new DaemonLog(createLogger({ sink: () => {}, verbosity: 1 }), false);
  const monitor = new Monitor();
  const config: Config = {
    ...CONFIG,
    interfaces: CONFIG.interfaces.map((i) => ({ ...i, role: "downstream" })),
    routing: {
      metrics: new Map(),
      tunnels: [],
      pruning: true,
      pruneLifetime: 7200,
      cacheLifetime: 300,
    },
  };
  const daemon = new Daemon({ sys, config, log, monitor, generationId: 1 });
  daemon.start();
  const loop = daemon.run();
  try {
    const control = new DaemonControl({ daemon, log, monitor });
    for (const what of ["neighbors", "routes", "cache"]) {
      const r = control.answer(request(`show ${what} --json`));
      ok(!("start" in r) && r.ok, what);
      const parsed = JSON.parse(r.body);
      deepStrictEqual(Object.keys(parsed).slice(0, 2), ["version", what]);
      equal(parsed.version, 1);
    }
  } finally {
    daemon.stop();
    await loop;
  }
});

Deno.test("control: show forwarding's rates are since the connection's previous show, or anyone's", async () => {
  let clock = 1000;
  const d = running({ now: () => clock });
  d.report(G);
  d.sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: S, group: G });
  await until("the entry", () => d.sys.mfc.size === 1);
  const a: ControlSession = { id: 1 };
  const b: ControlSession = { id: 2 };
  /** The entry's packet rate shown to `session` at `at` ms, the kernel counting `packets`. */
  const rate = (session: ControlSession, at: number, packets: number) => {
    clock = at;
    d.sys.packets.set(`${S}/${G}`, packets);
    const r = d.control.answer(request("show forwarding --json"), session);
    if ("start" in r) throw new Error("a stream");
    return JSON.parse(r.body).forwarding[0].entries[0].packetRate;
  };
  equal(rate(a, 2000, 100), 100, "a's first show: since the entry was installed");
  equal(rate(b, 3000, 300), 200, "b's first show: since the last show of anyone (a's)");
  equal(rate(a, 4000, 600), 250, "a's second show: since a's first, not since b's");
  equal(rate(b, 5000, 700), 200, "b's second show: since b's first");
  const c: ControlSession = { id: 3 };
  equal(rate(c, 6000, 800), 100, "c's first show: since b's, the last one");
  await d.stop();
});
