// End to end, mcast-proxyctl against the real daemon in the lab, jailed as it always is there:
// every command with IPv4 and IPv6 streams flowing, its values checked against the kernel's
// tables; a reload of a broken file returns its errors and the stream goes on; monitor sees a
// join and a leave; 1,000 clients at once and one that never reads do not delay forwarding;
// a stale socket is replaced, a live one refused; a user outside the socket's group is refused.
// Needs root; skipped with the reason printed otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, labSupport, mldLabSupport, SRC_ADDR, SRC_ADDR6 } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { ctlArgv, type DaemonProcess, labConfig, startDaemon } from "../lab/daemon.ts";
import {
  cache,
  cache6,
  eventually,
  memberships,
  mifs6,
  sleep,
  stopClean,
  upstreamFilter,
  upstreamGroups6,
  vifs,
} from "../lab/kernel_state.ts";
import { scaledWait } from "../lab/wait_scale.ts";

const PREFIX = "mcp-ctl-";
const G4 = "239.1.1.1";
const G4B = "239.1.1.2";
/** A group joined for one source only (INCLUDE mode). */
const G4S = "239.1.1.3";
const G6 = "ff05::1";
/** Hop limit of the IPv6 stream: enough to cross the proxy. */
const HOPS = 5;

const support = await labSupport();
const support6 = support.ok ? await mldLabSupport() : support;
if (!support6.ok) console.log(`SKIPPED mcast-proxyctl e2e tests: ${support6.reason}`);

/** What one run of the client gave. */
interface CtlRun {
  code: number;
  stdout: string;
  stderr: string;
}

const text = new TextDecoder();

/** Runs the client once (from the host's side: the socket is a path in the shared file system). */
async function ctl(daemon: DaemonProcess, ...args: string[]): Promise<CtlRun> {
  const [cmd, ...rest] = ctlArgv(daemon.controlSocket!, args);
  const out = await new Deno.Command(cmd, { args: rest, stdin: "null", env: { NO_COLOR: "1" } })
    .output();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Runs the client as user nobody (uid 65534), with a Deno cache of its own. */
async function ctlAsNobody(path: string, args: string[]): Promise<CtlRun> {
  const home = await Deno.makeTempDir({ prefix: "mcast-proxy-nobody-" });
  await Deno.chown(home, 65534, 65534);
  try {
    const [cmd, ...rest] = ctlArgv(path, args);
    const out = await new Deno.Command("setpriv", {
      args: ["--reuid=65534", "--regid=65534", "--clear-groups", "--", cmd, ...rest],
      stdin: "null",
      env: { NO_COLOR: "1", DENO_DIR: home, HOME: home, DENO_NO_UPDATE_CHECK: "1" },
    }).output();
    return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/** The VIF numbers of a view's interface list, sorted. */
function vifsOf(list: { vif: number }[]): number[] {
  return list.map((o) => o.vif).sort((a, b) => a - b);
}

/** Runs the client with `--json` and parses its answer; asserts it exited 0. */
async function ctlJson(daemon: DaemonProcess, ...args: string[]) {
  const r = await ctl(daemon, ...args, "--json");
  equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A `monitor` client running: the lines it printed so far, and its stop (SIGINT, exit 0). */
interface Watching {
  readonly lines: string[];
  /** Interrupts it, asserts it exited 0, and gives every line it printed. */
  stop(): Promise<string[]>;
}

/** Starts `mcast-proxyctl ARGS` (a monitor) and collects its output lines as they come. */
function watch(daemon: DaemonProcess, ...args: string[]): Watching {
  const [cmd, ...rest] = ctlArgv(daemon.controlSocket!, args);
  const child = new Deno.Command(cmd, {
    args: rest,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    let part = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      part += chunk;
      const parts = part.split("\n");
      part = parts.pop()!;
      lines.push(...parts);
    }
  })();
  const stderr = new Response(child.stderr).text();
  return {
    lines,
    async stop() {
      child.kill("SIGINT");
      const status = await child.status;
      await reading;
      equal(status.code, 0, await stderr);
      return lines;
    },
  };
}

/**
 * Joins until the monitor prints the join: the client says nothing until an event, and under
 * emulation it takes seconds to start, so a join made before it watches is not seen; then the
 * join is undone (`undo` waits until upstream shows it gone) and made again. Resolves with the
 * time of the join that was seen.
 */
async function joinUntilSeen(
  monitor: Watching,
  join: () => Promise<number>,
  seen: (line: string) => boolean,
  undo: () => Promise<void>,
): Promise<number> {
  for (let attempt = 1;; attempt++) {
    const joined = await join();
    const end = Host.now() + scaledWait(3000);
    while (!monitor.lines.some(seen) && Host.now() < end) await sleep(100);
    if (monitor.lines.some(seen)) return joined;
    ok(attempt < 5, `no join line after ${attempt} joins`);
    await undo();
  }
}

Deno.test({
  name:
    "e2e ctl: every command against the daemon with IPv4 and IPv6 streams, as the kernel has it",
  ignore: !support6.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    const daemon = await startDaemon(lab, { config: "ipv6 yes\n" + labConfig(lab), flags: ["-d"] });
    await daemon.waitForLine(/info: Started/);
    await using h11 = await Host.onLan(lab, 1, 1);
    await using h21 = await Host.onLan(lab, 2, 1);
    const s4 = await startSender(lab, { groups: [G4], rate: 50 });
    const s6 = await startSender(lab, { groups: [G6], rate: 50, ttl: HOPS });
    const t0 = await h11.join(G4);
    await h11.join(G6);
    await h21.join(G4);
    await Promise.all([
      h11.waitFor(G4, { since: t0, count: 10 }),
      h11.waitFor(G6, { since: t0, count: 10 }),
      h21.waitFor(G4, { since: t0, count: 10 }),
    ]);

    await t.step("show interfaces: the VIFs and MIFs, with the kernel's counters", async () => {
      const before = await vifs(lab);
      const shown = (await ctlJson(daemon, "show", "interfaces")).interfaces;
      const after = await vifs(lab);
      const v4 = shown.filter((i: { family: string }) => i.family === "ipv4");
      deepStrictEqual(
        v4.map((i: { name: string; vif: number }) => [i.name, i.vif]),
        before.map((v) => [v.name, v.vif]),
      );
      for (const i of v4) {
        const b = before.find((v) => v.vif === i.vif)!;
        const a = after.find((v) => v.vif === i.vif)!;
        ok(i.packetsOut >= b.pktsOut && i.packetsOut <= a.pktsOut, `${i.name} packets out`);
        ok(i.packetsIn >= b.pktsIn && i.packetsIn <= a.pktsIn, `${i.name} packets in`);
      }
      const dn1 = v4.find((i: { name: string }) => i.name === "dn1");
      equal(dn1.role, "downstream");
      equal(dn1.querier.self, true);
      const before6 = await mifs6(lab);
      const v6 = (await ctlJson(daemon, "show", "interfaces")).interfaces
        .filter((i: { family: string }) => i.family === "ipv6");
      const after6 = await mifs6(lab);
      deepStrictEqual(
        v6.map((i: { name: string; vif: number }) => [i.name, i.vif]),
        before6.map((m) => [m.name, m.mif]),
      );
      for (const i of v6) {
        const b = before6.find((m) => m.mif === i.vif)!;
        const a = after6.find((m) => m.mif === i.vif)!;
        ok(i.packetsOut >= b.pktsOut && i.packetsOut <= a.pktsOut, `${i.name} packets out (v6)`);
        ok(i.packetsIn >= b.pktsIn && i.packetsIn <= a.pktsIn, `${i.name} packets in (v6)`);
      }
      ok(v6.find((i: { name: string }) => i.name === "dn1").packetsOut > 0, "MLD stream out");
      // Jailed as the lab always starts it, and still answering on the socket bound before.
      ok(daemon.lines.some((l) => /info: Running as "[^"]+" .*jailed in "/.test(l)));
      const table = await ctl(daemon, "show", "interfaces");
      equal(table.code, 0, table.stderr);
      for (const name of ["up0", "dn1", "dn2"]) ok(table.stdout.includes(name), table.stdout);
      console.log(table.stdout.trimEnd().split("\n").map((l) => `  ${l}`).join("\n"));
    });

    await t.step("show groups: who listens to what on each LAN", async () => {
      const shown = (await ctlJson(daemon, "show", "groups")).groups;
      const rows = shown.map((g: { family: string; interface: string; group: string }) =>
        `${g.family} ${g.interface} ${g.group}`
      ).sort();
      deepStrictEqual(rows, [`ipv4 dn1 ${G4}`, `ipv4 dn2 ${G4}`, `ipv6 dn1 ${G6}`]);
      const g = shown.find((r: { interface: string; family: string }) =>
        r.interface === "dn1" && r.family === "ipv4"
      );
      equal(g.lastReporter, h11.addr);
      equal(g.compatibility, "IGMPv3");
      const one = (await ctlJson(daemon, "show", "groups", G6)).groups;
      equal(one.length, 1);
      // MLD reports come from the host's link-local address (RFC 3810 section 5.2.13).
      ok(/^fe80::/.test(one[0].lastReporter), one[0].lastReporter);
      const table = await ctl(daemon, "show", "groups");
      console.log(table.stdout.trimEnd().split("\n").map((l) => `  ${l}`).join("\n"));
    });

    await t.step(
      "show upstream: what is joined on up0, as the kernel's membership lists",
      async () => {
        const shown = (await ctlJson(daemon, "show", "upstream")).upstream;
        const byFamily = (f: string) => shown.find((u: { family: string }) => u.family === f);
        deepStrictEqual(byFamily("ipv4").groups.map((g: { group: string }) => g.group), [G4]);
        ok((await memberships(lab, "up0")).includes(G4));
        deepStrictEqual(byFamily("ipv6").groups.map((g: { group: string }) => g.group), [G6]);
        deepStrictEqual(await upstreamGroups6(lab), [G6]);
      },
    );

    await t.step(
      "show forwarding: each (S,G) with its interfaces and the kernel's counts",
      async () => {
        const before = await cache(lab);
        const before6 = await cache6(lab);
        const shown = (await ctlJson(daemon, "show", "forwarding")).forwarding;
        const after = await cache(lab);
        const v4 = shown.find((f: { family: string }) => f.family === "ipv4").entries;
        equal(v4.length, 1);
        equal(v4[0].source, SRC_ADDR);
        equal(v4[0].group, G4);
        equal(v4[0].input.name, "up0");
        deepStrictEqual(v4[0].outputs.map((o: { name: string }) => o.name).sort(), ["dn1", "dn2"]);
        const k0 = before.find((e) => e.group === G4 && e.iif >= 0)!;
        const k1 = after.find((e) => e.group === G4 && e.iif >= 0)!;
        ok(v4[0].packets >= k0.packets && v4[0].packets <= k1.packets, "packets as the kernel's");
        ok(v4[0].bytes >= k0.bytes && v4[0].bytes <= k1.bytes, "bytes as the kernel's");
        equal(v4[0].input.vif, k1.iif, "input VIF as the kernel's");
        deepStrictEqual(vifsOf(v4[0].outputs), vifsOf(k1.oifs));
        const v6 = shown.find((f: { family: string }) => f.family === "ipv6").entries;
        const c0 = before6.find((e) => e.group === G6 && e.iif >= 0)!;
        const c1 = (await cache6(lab)).find((e) => e.group === G6 && e.iif >= 0)!;
        equal(v6.length, 1);
        equal(v6[0].source, SRC_ADDR6);
        equal(v6[0].group, G6);
        equal(v6[0].input.name, "up0");
        equal(v6[0].input.vif, c1.iif, "input MIF as the kernel's");
        deepStrictEqual(vifsOf(v6[0].outputs), vifsOf(c1.oifs));
        deepStrictEqual(v6[0].outputs.map((o: { name: string }) => o.name), ["dn1"]);
        ok(v6[0].packets >= c0.packets && v6[0].packets <= c1.packets, "IPv6 packets");
        ok(v6[0].bytes >= c0.bytes && v6[0].bytes <= c1.bytes, "IPv6 bytes");
        // A second look: the rate is over the time since the first, about the sender's 50/s.
        await sleep(1000);
        const again = (await ctlJson(daemon, "show", "forwarding")).forwarding;
        const rate = again.find((f: { family: string }) =>
          f.family === "ipv4"
        ).entries[0].packetRate;
        ok(rate > 20 && rate < 80, `rate ${rate}/s for a 50/s stream`);
        const table = await ctl(daemon, "show", "forwarding");
        console.log(table.stdout.trimEnd().split("\n").map((l) => `  ${l}`).join("\n"));
      },
    );

    await t.step(
      "show groups and show upstream with sources: an INCLUDE join, as mcfilter has it",
      async () => {
        await h21.source("join-source", G4S, SRC_ADDR);
        await eventually(
          "the upstream source filter",
          async () => (await upstreamFilter(lab, G4S)).length > 0,
        );
        deepStrictEqual(await upstreamFilter(lab, G4S), [`${SRC_ADDR} 1 0`]);
        const groups = (await ctlJson(daemon, "show", "groups", G4S)).groups;
        equal(groups.length, 1);
        equal(groups[0].interface, "dn2");
        equal(groups[0].mode, "include");
        deepStrictEqual(
          groups[0].sources.map((x: { address: string; excluded: boolean }) => [
            x.address,
            x.excluded,
          ]),
          [[SRC_ADDR, false]],
        );
        ok(groups[0].sources[0].timer > 0, JSON.stringify(groups[0]));
        const up = (await ctlJson(daemon, "show", "upstream")).upstream
          .find((u: { family: string }) => u.family === "ipv4").groups
          .find((g: { group: string }) => g.group === G4S);
        equal(up.mode, "include");
        deepStrictEqual(up.sources, [SRC_ADDR]);
        const table = await ctl(daemon, "show", "groups", G4S);
        ok(table.stdout.includes(SRC_ADDR), table.stdout);
        console.log(table.stdout.trimEnd().split("\n").map((l) => `  ${l}`).join("\n"));
        await h21.source("leave-source", G4S, SRC_ADDR);
        await eventually(
          "the upstream leave",
          async () => (await upstreamFilter(lab, G4S)).length === 0,
        );
      },
    );

    await t.step("show counters (JSON and Prometheus), show config, dump", async () => {
      const counters = (await ctlJson(daemon, "show", "counters")).counters;
      const c4 = counters.find((c: { family: string }) => c.family === "ipv4");
      ok(c4.packets > 0 && c4.upcalls >= 1, JSON.stringify(c4));
      const prom = await ctl(daemon, "show", "counters", "--prometheus");
      equal(prom.code, 0, prom.stderr);
      ok(/^# TYPE mcast_proxy_packets_total counter$/m.test(prom.stdout), prom.stdout);
      ok(/^mcast_proxy_upcalls_total\{family="ipv6"\} \d+$/m.test(prom.stdout), prom.stdout);
      const config = await ctl(daemon, "show", "config");
      equal(config.code, 0);
      ok(/^ipv6 yes$/m.test(config.stdout), config.stdout);
      ok(config.stdout.includes("interface dn2"), config.stdout);
      const dump = await ctl(daemon, "dump");
      equal(dump.code, 0, dump.stderr);
      ok(dump.stdout.startsWith("Virtual Interface Table\n"), dump.stdout);
      ok(dump.stdout.includes("Multicast Interface Table"), dump.stdout);
      const dumped = await ctlJson(daemon, "dump");
      equal(dumped.version, 1);
      equal(dumped.lines[0], "Virtual Interface Table");
      const configJson = await ctlJson(daemon, "show", "config");
      equal(configJson.version, 1);
      equal(configJson.config, config.stdout);
    });

    await t.step("log verbose, then brief: debug lines come and go at run time", async () => {
      const n = daemon.lines.length;
      ok(!daemon.lines.some((l) => l.includes(" debug: ")), "started without -v");
      const on = await ctl(daemon, "log", "verbose");
      equal(on.code, 0, on.stderr);
      equal(on.stdout, "debug logging on\n");
      await h21.join(G4B);
      await daemon.waitForLine(/ debug: Group 239\.1\.1\.2 on "dn2": /);
      deepStrictEqual(await ctlJson(daemon, "log", "verbose"), { version: 1, debug: true });
      const off = await ctl(daemon, "log", "brief");
      equal(off.stdout, "debug logging off\n");
      const m = daemon.lines.length;
      ok(daemon.lines.slice(n).some((l) => l.includes(" debug: ")));
      await sleep(1500);
      ok(!daemon.lines.slice(m + 1).some((l) => l.includes(" debug: ")), "no debug line after");
    });

    await t.step("monitor --json: an IPv6 join and its entry, one object per line", async () => {
      const monitor = watch(daemon, "monitor", "--json");
      const events = () => monitor.lines.map((l) => JSON.parse(l));
      const isJoin = (l: string) => {
        const e = JSON.parse(l);
        return e.event === "member-join" && e.family === "ipv6" && e.interface === "dn2" &&
          e.group === G6;
      };
      await joinUntilSeen(monitor, () => h21.join(G6), isJoin, async () => {
        await h21.leave(G6);
        await eventually(
          "the MLD leave on dn2",
          async () =>
            !(await ctlJson(daemon, "show", "groups", G6)).groups
              .some((g: { interface: string }) => g.interface === "dn2"),
        );
      });
      await eventually(
        "the IPv6 entry's new outputs",
        () =>
          Promise.resolve(
            events().some((e) =>
              e.event === "entry-added" && e.family === "ipv6" && e.group === G6 &&
              e.source === SRC_ADDR6 && e.input === "up0" &&
              JSON.stringify([...e.outputs].sort()) === '["dn1","dn2"]'
            ),
          ),
      );
      const lines = await monitor.stop();
      for (const e of events()) ok(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(e.time), lines.join("\n"));
      await h21.leave(G6);
    });

    await t.step(
      "a mistake is exit 2 with no daemon asked; a request the daemon refuses, 1",
      async () => {
        const bad = await ctl(daemon, "show", "everything");
        equal(bad.code, 2);
        ok(bad.stderr.includes("show what?"), bad.stderr);
      },
    );

    await s4.stop();
    await s6.stop();
    await stopClean(lab, daemon);
  },
});

Deno.test({
  name:
    "e2e ctl: reload of a broken file returns its errors and the stream goes on; monitor sees a join and a leave",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    const daemon = await startDaemon(lab, { flags: ["-d"] });
    await daemon.waitForLine(/info: Started/);
    await using h11 = await Host.onLan(lab, 1, 1);
    await using h21 = await Host.onLan(lab, 2, 1);
    const sender = await startSender(lab, { groups: [G4, G4B], rate: 50 });
    const t0 = await h11.join(G4);
    await h11.waitFor(G4, { since: t0, count: 10 });

    await t.step(
      "reload: a broken file is exit 1 with its errors, and nothing changes",
      async () => {
        await daemon.rewrite(
          labConfig(lab).replace("interface dn2 { downstream }", "interface dn2 { donwstream }"),
        );
        const r = await ctl(daemon, "reload");
        equal(r.code, 1, r.stdout);
        const line = /^warn: .*\.conf:\d+:\d+: .*donwstream.*$/m;
        ok(line.test(r.stderr), r.stderr);
        ok(r.stderr.includes("Reload failed: the running configuration is kept"), r.stderr);
        const json = await ctl(daemon, "reload", "--json");
        equal(json.code, 1);
        equal(json.stderr, "");
        const body = JSON.parse(json.stdout);
        equal(body.version, 1);
        equal(body.ok, false);
        ok(body.messages.some((m: { message: string }) => /:\d+:\d+: /.test(m.message)));
        const since = Host.now();
        await h11.waitFor(G4, { since, count: 20 });
        ok((await vifs(lab)).some((v) => v.name === "dn2"), "dn2 is still in use");
      },
    );

    await t.step("reload: a good file is exit 0 and says what runs now", async () => {
      await daemon.rewrite(labConfig(lab).replace("interface dn2 { downstream }\n", ""));
      const r = await ctl(daemon, "reload");
      equal(r.code, 0, r.stderr);
      ok(
        r.stdout.includes('Interface "dn2" is gone (it is no longer in the configuration)'),
        r.stdout,
      );
      ok(/Reloaded the configuration: /.test(r.stdout), r.stdout);
      await daemon.rewrite(labConfig(lab));
      equal((await ctl(daemon, "reload")).code, 0);
      await daemon.waitForLine(/info: Interface "dn2" appeared/);
    });

    await t.step("monitor: a join and a leave on LAN 2, each a line as it happens", async () => {
      const monitor = watch(daemon, "monitor");
      const joined = await joinUntilSeen(
        monitor,
        () => h21.join(G4B),
        (l) => l.includes(`member-join ${G4B} on "dn2"`),
        async () => {
          await h21.leave(G4B);
          await eventually(
            "the upstream leave",
            async () => !(await memberships(lab, "up0")).includes(G4B),
          );
        },
      );
      await eventually(
        "the entry for dn2",
        () =>
          Promise.resolve(
            monitor.lines.some((l) =>
              l.includes(`entry-added (${SRC_ADDR}, ${G4B}) from "up0" to "dn2"`)
            ),
          ),
      );
      console.log(`  join to its monitor line: within ${(Host.now() - joined).toFixed(0)} ms`);
      const leaves = () =>
        monitor.lines.filter((l) => l.includes(`member-leave ${G4B} on "dn2"`)).length;
      const leavesBefore = leaves();
      await h21.leave(G4B);
      await eventually(
        "the member-leave line",
        () => Promise.resolve(leaves() > leavesBefore),
        10_000,
      );
      const lines = await monitor.stop();
      for (const l of lines.slice(0, 6)) console.log(`  ${l}`);
      ok(lines.every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z [a-z-]+ /.test(l)), lines.join("\n"));
    });

    await sender.stop();
    await stopClean(lab, daemon);
  },
});

Deno.test({
  name: "e2e ctl: 1,000 clients at once and one that never reads do not delay forwarding",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1] });
    const daemon = await startDaemon(lab);
    await daemon.waitForLine(/info: Started/);
    await using h11 = await Host.onLan(lab, 1, 1);
    const sender = await startSender(lab, { groups: [G4, G4B], rate: 100 });
    // Unloaded: join to the first datagram.
    let t0 = await h11.join(G4);
    const idle = (await h11.waitFor(G4, { since: t0, count: 1 }))[0].t - t0;

    const path = daemon.controlSocket!;
    const conns = await Promise.all(
      Array.from({ length: 1000 }, () => Deno.connect({ transport: "unix", path })),
    );
    // Each asks something, and reads nothing yet.
    const ask = new TextEncoder().encode("show interfaces\n");
    await Promise.all(conns.map((c) => c.write(ask)));
    // One asks for the dump again and again and never reads a byte.
    const hog = await Deno.connect({ transport: "unix", path });
    const flood = new TextEncoder().encode("show interfaces\n".repeat(500));
    const flooding = (async () => {
      try {
        for (let i = 0; i < 40; i++) await hog.write(flood);
      } catch {
        // Dropped by the daemon: what should happen.
      }
    })();
    t0 = await h11.join(G4B);
    const loaded = (await h11.waitFor(G4B, { since: t0, count: 1 }))[0].t - t0;
    console.log(
      `  join to first datagram: ${idle.toFixed(1)} ms idle, ${loaded.toFixed(1)} ms with ` +
        "1,000 clients and a flood",
    );
    ok(loaded < scaledWait(1000), `join to data took ${loaded} ms under load`);
    // The stream keeps flowing meanwhile, and the clients get their answers.
    const since = Host.now();
    await h11.waitFor(G4, { since, count: 50 });
    const reply = new Uint8Array(64);
    const n = await conns[999].read(reply);
    ok(n !== null && text.decode(reply.subarray(0, n)).startsWith("ok "), "the last one answered");
    await daemon.waitForLine(/debug: Control client dropped: \d+ bytes unread/, 30_000);
    await flooding;
    for (const c of conns) c.close();
    hog.close();
    // Still answering.
    const shown = await ctl(daemon, "show", "groups");
    equal(shown.code, 0, shown.stderr);
    await sender.stop();
    await stopClean(lab, daemon);
  },
});

Deno.test({
  name: "e2e ctl: a live daemon's socket stops a second one; a killed one's is replaced; others " +
    "are refused, but for show on the read-only socket",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1] });
    const dir = await Deno.makeTempDir({ prefix: "mcast-proxy-ctl-" });
    const path = `${dir}/mcast-proxy.sock`;
    const readOnly = `${dir}/mcast-proxy.ro.sock`;
    try {
      const first = await startDaemon(lab, {
        controlSocket: path,
        flags: ["-d", "-v", "-r", readOnly],
      });
      await first.waitForLine(/info: Started/);
      const second = await startDaemon(lab, { controlSocket: path });
      const { code } = await second.status;
      equal(code, 1);
      ok(
        second.lines.some((l) =>
          l.includes(
            `fatal: Cannot open the control socket "${path}": "${path}" is in use: ` +
              "another mcast-proxy is running",
          )
        ),
        second.lines.join("\n"),
      );
      ok(first.lines.every((l) => !l.includes("fatal")));
      // A user outside the socket's group: the mode (0660, root's) keeps it out.
      const info = await Deno.stat(path);
      equal(info.mode! & 0o777, 0o660);
      equal(info.uid, 0);
      await Deno.chmod(dir, 0o755);
      const nobody = await ctlAsNobody(path, ["show", "interfaces"]);
      equal(nobody.code, 3, nobody.stderr);
      ok(
        nobody.stderr.includes(
          `permission denied on the control socket "${path}": run as root or a member of the ` +
            `socket's group ("root")`,
        ),
        nobody.stderr,
      );
      // The read-only socket is anyone's, for show and monitor.
      equal((await Deno.stat(readOnly)).mode! & 0o777, 0o666);
      const shown = await ctlAsNobody(readOnly, ["show", "interfaces"]);
      equal(shown.code, 0, shown.stderr);
      ok(shown.stdout.includes("dn1"), shown.stdout);
      const refused = await ctlAsNobody(readOnly, ["reload"]);
      equal(refused.code, 1, refused.stderr);
      ok(
        refused.stderr.includes(`reload is not allowed on the read-only socket "${readOnly}"`),
        refused.stderr,
      );
      // Killed: it could not remove its socket; a new start replaces it.
      first.child.kill("SIGKILL");
      await first.status;
      ok((await Deno.lstat(path)).isSocket, "the killed daemon's socket is left");
      const third = await startDaemon(lab, { controlSocket: path });
      await third.waitForLine(/info: Started/);
      ok(third.lines.some((l) => l.includes(`info: Control socket "${path}" open`)));
      equal((await ctl(third, "show", "interfaces")).code, 0);
      await stopClean(lab, third);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
