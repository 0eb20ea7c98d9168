// Reloading the configuration (SIGHUP) on the fake OS layer: what changes is applied, what
// does not change is not touched, and a configuration that cannot be used changes nothing.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Config, InterfaceConfig } from "../../conf/config.ts";
import { createLogger } from "../log.ts";
import { encodeV2Report } from "../proto/igmp_encode.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";
import { FakeSys } from "../../tests/fakes/fake_sys.ts";
import type { SystemInterface } from "./sys.ts";
import { Daemon } from "./daemon.ts";

const POS = { file: "test.conf", line: 1, col: 1 };

function iface(
  name: string,
  role: InterfaceConfig["role"],
  more: Partial<InterfaceConfig> = {},
): InterfaceConfig {
  return {
    name,
    role,
    threshold: 1,
    sources: [],
    timers: {},
    boundaries: [],
    position: POS,
    ...more,
  };
}

function config(...interfaces: InterfaceConfig[]): Config {
  return { ipv4: true, ipv6: false, timers: {}, scopes: [], ssmRanges: [], interfaces };
}

const UP = iface("up0", "upstream");
const DN1 = iface("dn1", "downstream");
const DN2 = iface("dn2", "downstream");

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

const G = ip("239.1.1.1");
const S = ip("10.0.0.2");

/**
 * A daemon on up0 and dn1 forwarding (S, G) to dn1; `next` is what the next reload reads
 * (`undefined`: the read failed).
 */
async function streaming(start: Config = config(UP, DN1)) {
  const sys = new FakeSys(SYSTEM);
  const lines: string[] = [];
  const log = createLogger({ sink: (_l, line) => lines.push(line), verbosity: 1 });
  const reads: { next: Config | undefined } = { next: undefined };
  const daemon = new Daemon({ sys, config: start, log, readConfig: () => reads.next });
  daemon.start();
  const running = daemon.run();
  const data = buildIPv4Packet({
    source: ip("10.1.0.11"),
    destination: G,
    payload: encodeV2Report(G),
  });
  sys.deliver({ kind: "packet", ifindex: 11, data, length: data.length });
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: S, group: G });
  await until("the entry", () => sys.mfc.size === 1);
  const calls = sys.calls.length;
  /** Reloads `next` and waits for the outcome line. */
  const reload = async (next: Config | undefined) => {
    reads.next = next;
    const from = lines.length;
    daemon.requestReload();
    await until(
      "the reload",
      () =>
        lines.slice(from).some((l) => /Reloaded the configuration|Reload (refused|failed)/.test(l)),
    );
    return lines.slice(from);
  };
  const stop = async () => {
    daemon.stop();
    await running;
    equal(sys.vifs.size, 0);
    equal(sys.mfc.size, 0);
    equal(sys.memberships.size, 0);
  };
  return { sys, lines, daemon, reload, stop, kernelCallsSince: () => sys.calls.slice(calls) };
}

async function until(what: string, cond: () => boolean, ms = 1000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** The kernel-changing calls, e.g. `addVif 2`, `delMfc`, `join 239.1.1.1/10`. */
function changes(calls: { op: string; vifi?: number }[]): string[] {
  return calls.filter((c) => /^(addVif|delVif|addMfc|delMfc|joinGroup|leaveGroup)$/.test(c.op))
    .map((c) => c.vifi === undefined ? c.op : `${c.op} ${c.vifi}`);
}

function messages(lines: string[], level: "info" | "warn"): string[] {
  return lines.flatMap((l) => {
    const i = l.indexOf(` ${level}: `);
    return i < 0 ? [] : [l.slice(i + level.length + 3)];
  });
}

Deno.test("reload: a new downstream gets a VIF; the running stream is not touched", async () => {
  const t = await streaming();
  const out = await t.reload(config(UP, DN1, DN2));
  deepStrictEqual(messages(out, "info"), [
    "SIGHUP: reading the configuration again",
    'Interface "dn2" appeared: downstream as VIF 2, address 10.2.0.1, threshold 1',
    'Reloaded the configuration: upstream "up0", 2 downstream',
  ]);
  deepStrictEqual(messages(out, "warn"), []);
  // Only VIF 2 and its listening groups: no MFC change, no leave.
  deepStrictEqual(changes(t.kernelCallsSince()), ["addVif", "joinGroup", "joinGroup"]);
  equal(t.sys.vifs.get(2)?.ifindex, 12);
  deepStrictEqual([...t.sys.mfc.values()][0].oifs, [{ vifi: 1, ttl: 1 }]);
  equal(t.daemon.config.interfaces.length, 3);
  await t.stop();
});

Deno.test("reload: a downstream taken out goes with its VIF; the others keep theirs", async () => {
  const t = await streaming(config(UP, DN1, DN2));
  const out = await t.reload(config(UP, DN1));
  ok(
    messages(out, "info").includes(
      'Interface "dn2" is gone (it is no longer in the configuration): VIF 2 removed',
    ),
    out.join("\n"),
  );
  deepStrictEqual(changes(t.kernelCallsSince()), ["leaveGroup", "leaveGroup", "delVif 2"]);
  equal(t.sys.mfc.size, 1);
  await t.stop();
});

Deno.test("reload: a new threshold updates the entry in place, the membership stays", async () => {
  const t = await streaming();
  const out = await t.reload(config(UP, iface("dn1", "downstream", { threshold: 4 })));
  ok(
    messages(out, "info").includes(
      'Interface "dn1" keeps VIF 1 with new settings: threshold 1 -> 4',
    ),
    out.join("\n"),
  );
  deepStrictEqual(changes(t.kernelCallsSince()), ["addMfc"]);
  deepStrictEqual([...t.sys.mfc.values()][0].oifs, [{ vifi: 1, ttl: 4 }]);
  await t.stop();
});

Deno.test("reload: a configuration that cannot be read or used changes nothing", async () => {
  const t = await streaming();
  deepStrictEqual(messages(await t.reload(undefined), "warn"), [
    "Reload failed: the running configuration is kept",
  ]);
  deepStrictEqual(messages(await t.reload(config(DN1, DN2)), "warn"), [
    "Reload refused: No upstream interface configured: nothing to proxy from: the running " +
    "configuration is kept",
  ]);
  deepStrictEqual(changes(t.kernelCallsSince()), []);
  equal(t.daemon.config.interfaces.length, 2);
  await t.stop();
});

Deno.test("reload: a family off at start, a new user or jail, wait for the next start", async () => {
  const t = await streaming();
  const next = { ...config(UP, DN1), ipv6: true, user: "other" };
  const out = await t.reload(next);
  deepStrictEqual(messages(out, "warn"), [
    "A new user or chroot takes effect at the next start only",
    "IPv6 was not proxied at start: restart the daemon to proxy it (its sockets are opened as " +
    "root, before the jail)",
  ]);
  ok(messages(out, "info").includes('Reloaded the configuration: upstream "up0", 1 downstream'));
  deepStrictEqual(changes(t.kernelCallsSince()), []);
  await t.stop();
});

Deno.test("reload: new SSM ranges wait for the next start; the core keeps the ranges it has", async () => {
  const t = await streaming();
  const next = {
    ...config(UP, DN1),
    ssmRanges: [{ family: 4 as const, address: "239.232.0.0", length: 16 }],
  };
  const out = await t.reload(next);
  deepStrictEqual(messages(out, "warn"), [
    "New SSM ranges (ssm-range) take effect at the next start only",
  ]);
  deepStrictEqual(changes(t.kernelCallsSince()), []);
  equal(t.daemon.state?.options.ssmRanges, undefined);
  // The same ranges again: nothing to say.
  deepStrictEqual(messages(await t.reload(next), "warn"), []);
  await t.stop();
});

Deno.test("reload: a new upstream interface moves the upstream role", async () => {
  const t = await streaming(config(UP, DN1, DN2));
  const out = await t.reload(config(iface("dn2", "upstream"), DN1, iface("up0", "downstream")));
  const info = messages(out, "info");
  ok(
    info.some((l) => l.startsWith('Interface "up0" is gone (it is downstream in the new')),
    info.join("\n"),
  );
  ok(info.some((l) => l.startsWith('Interface "dn2" is gone (it is upstream in the new')));
  ok(info.includes('Reloaded the configuration: upstream "dn2", 2 downstream'), info.join("\n"));
  deepStrictEqual(messages(out, "warn"), []);
  // LAN 1 still wants the group: it is joined on the new upstream.
  ok(t.sys.memberships.has(`${G}/12`), [...t.sys.memberships].join(" "));
  ok(!t.sys.memberships.has(`${G}/10`));
  await t.stop();
});

Deno.test("reload: a new interface that does not exist yet is waited for, with a warning", async () => {
  const t = await streaming();
  const out = await t.reload(config(UP, DN1, iface("dn7", "downstream")));
  deepStrictEqual(messages(out, "warn"), ['Interface "dn7" does not exist: waiting for it']);
  ok(
    messages(out, "info").includes(
      'Reloaded the configuration: upstream "up0", 1 downstream, waiting for "dn7"',
    ),
  );
  await t.stop();
});
