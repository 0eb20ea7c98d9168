// End to end, SIGHUP: the jailed daemon reads its configuration again and applies the
// difference. A downstream added under running streams gets its VIF and MIF without a datagram
// lost on the LAN already served; one taken out goes alone; a new threshold changes the entry in
// place; a configuration that does not parse, cannot be used or cannot be read keeps the running
// one and every stream, and says why. Needs root; skipped with the reason printed otherwise.

import { scaledWait } from "../lab/wait_scale.ts";
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, type Lab, mldLabSupport, SRC_ADDR, SRC_ADDR6 } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { type DaemonProcess, startDaemon } from "../lab/daemon.ts";
import {
  entryOf,
  entryOf6,
  gapsIfKeptUp,
  logged,
  mifs6,
  pktsOut,
  stopClean,
  vifNames,
} from "../lab/kernel_state.ts";
import { watchForwarding } from "../lab/forwarding_watch.ts";

const PREFIX = "mcprl-";
const G4 = "239.1.1.1";
const G6 = "ff05::1";
const HOPS = 5;

const support = await mldLabSupport();
if (!support.ok) console.log(`SKIPPED reload e2e tests: ${support.reason}`);

/**
 * `ipv6 yes` (unless `ipv4Only`), the upstream and the given LANs (by number), each with
 * `extra` in its block.
 */
function configFor(
  lab: Lab,
  lans: number[],
  extra: Record<number, string> = {},
  ipv4Only = false,
): string {
  return [
    ipv4Only ? "" : "ipv6 yes",
    `interface ${lab.ifaces.upstream} { upstream }`,
    ...lans.map((n) =>
      `interface ${lab.ifaces.downstream[n - 1]} {\n\tdownstream\n${extra[n] ?? ""}}`
    ),
  ].join("\n") + "\n";
}

/**
 * Rewrites the configuration, sends SIGHUP and waits for the outcome line logged after it;
 * resolves to the lines logged from the signal on and how long the reload took (ms).
 */
async function reload(
  daemon: DaemonProcess,
  config: string,
): Promise<{ lines: string[]; ms: number }> {
  await daemon.rewrite(config);
  const from = daemon.lines.length;
  const t0 = performance.now();
  Deno.kill(daemon.child.pid, "SIGHUP");
  const outcome = /info: Reloaded the configuration|warn: Reload (failed|refused)/;
  const end = performance.now() + scaledWait(5000);
  while (!daemon.lines.slice(from).some((l) => outcome.test(l))) {
    if (performance.now() > end) throw new Error(`No reload outcome:\n${daemon.lines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return { lines: daemon.lines.slice(from), ms: performance.now() - t0 };
}

/** The message part of log lines of one level. */
function at(lines: string[], level: "info" | "warn"): string[] {
  const tag = ` ${level}: `;
  return lines.flatMap((l) => (l.includes(tag) ? [l.slice(l.indexOf(tag) + tag.length)] : []));
}

/** The sequence numbers a host got for a group since `t`, after syncing with it. */
async function seqsSince(host: Host, group: string, t: number): Promise<number[]> {
  await host.sync();
  return host.received(group, t).map((r) => r.seq);
}

Deno.test({
  name: "e2e reload: a downstream added under running streams, with no gap on the LAN served",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    const daemon = await startDaemon(lab, { config: configFor(lab, [1]) });
    await daemon.waitForLine(/info: Running as "nobody"/);
    const sender4 = await startSender(lab, { groups: [G4], rate: 200 });
    const sender6 = await startSender(lab, { groups: [G6], rate: 200, ttl: HOPS });
    await using h11 = await Host.onLan(lab, 1, 1);
    await h11.join(G4);
    await h11.join(G6);
    await h11.waitFor(G4, { count: 20, timeoutMs: 3000 });
    await h11.waitFor(G6, { count: 20, timeoutMs: 3000 });
    deepStrictEqual(await vifNames(lab), ["up0", "dn1"]);
    // Past the stream's start (the kernel drops data while the first entry is resolved).
    await new Promise((r) => setTimeout(r, 300));

    const dropped = await h11.watchDrops();
    const forwarded4 = await watchForwarding(lab, { family: 4, iif: "up0", oif: "dn1" });
    const forwarded6 = await watchForwarding(lab, { family: 6, iif: "up0", oif: "dn1" });
    const before = Host.now();
    const added = await reload(daemon, configFor(lab, [1, 2]));
    console.log(`  SIGHUP to "Reloaded" with a new LAN: ${added.ms.toFixed(0)} ms`);
    deepStrictEqual(at(added.lines, "warn"), []);
    ok(at(added.lines, "info").includes("SIGHUP: reading the configuration again"));
    ok(
      at(added.lines, "info").some((l) => l.startsWith('Interface "dn2" appeared: downstream')),
      added.lines.join("\n"),
    );
    ok(at(added.lines, "info").some((l) => l.startsWith('IPv6: Interface "dn2" appeared')));
    deepStrictEqual(await vifNames(lab), ["up0", "dn1", "dn2"]);
    deepStrictEqual((await mifs6(lab)).map((m) => m.name), ["up0", "dn1", "dn2"]);

    await using h21 = await Host.onLan(lab, 2, 1);
    const t1 = Host.now();
    await h21.join(G4);
    await h21.join(G6);
    const [rx4, rx6] = await Promise.all([
      h21.waitFor(G4, { since: t1, count: 20, timeoutMs: 3000 }),
      h21.waitFor(G6, { since: t1, count: 20, timeoutMs: 3000 }),
    ]);
    console.log(
      `  new LAN: join to first datagram IPv4 ${(rx4[0].t - t1).toFixed(0)} ms, IPv6 ${
        (rx6[0].t - t1).toFixed(0)
      } ms`,
    );
    deepStrictEqual((await entryOf(lab, SRC_ADDR, G4))?.oifs.sort(), ["dn1:1", "dn2:1"]);
    deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G6))?.oifs.sort(), ["dn1:1", "dn2:1"]);
    await new Promise((r) => setTimeout(r, 300));
    const s4 = await seqsSince(h11, G4, before - 100);
    const s6 = await seqsSince(h11, G6, before - 100);
    console.log(`  LAN 1 across the reload: ${s4.length} IPv4 and ${s6.length} IPv6 datagrams`);
    ok(s4.length > 100 && s6.length > 100, `received ${s4.length}, ${s6.length}`);
    deepStrictEqual(gapsIfKeptUp(s4, await dropped("ipv4")), [], "no IPv4 datagram lost on LAN 1");
    deepStrictEqual(gapsIfKeptUp(s6, await dropped("ipv6")), [], "no IPv6 datagram lost on LAN 1");
    await forwarded4("IPv4 onto LAN 1 across the reload");
    await forwarded6("IPv6 onto LAN 1 across the reload");

    // LAN 2 taken out again: it alone stops; LAN 1 goes on.
    const droppedLater = await h11.watchDrops();
    const forwardedLater = await watchForwarding(lab, { family: 4, iif: "up0", oif: "dn1" });
    const t2 = Host.now();
    const removed = await reload(daemon, configFor(lab, [1]));
    ok(
      at(removed.lines, "info").some((l) =>
        l.startsWith(
          'Interface "dn2" is gone (it is no longer in the configuration): VIF 2 removed',
        )
      ),
      removed.lines.join("\n"),
    );
    deepStrictEqual(await vifNames(lab), ["up0", "dn1"]);
    deepStrictEqual((await entryOf(lab, SRC_ADDR, G4))?.oifs, ["dn1:1"]);
    await h21.settle(G4);
    h21.clear();
    await new Promise((r) => setTimeout(r, 300));
    deepStrictEqual(await seqsSince(h21, G4, 0), [], "nothing reaches LAN 2 any more");
    deepStrictEqual(
      gapsIfKeptUp(await seqsSince(h11, G4, t2 - 100), await droppedLater("ipv4")),
      [],
      "LAN 1 lost nothing",
    );
    await forwardedLater("IPv4 onto LAN 1 while LAN 2 went");
    ok(!daemon.lines.some((l) => / (warn|fatal): /.test(l)), daemon.lines.join("\n"));
    await sender4.stop();
    await sender6.stop();
    await stopClean(lab, daemon);
  },
});

Deno.test({
  name: "e2e reload: a new threshold changes the entry in place; timers change without a gap",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1] });
    const daemon = await startDaemon(lab, { config: configFor(lab, [1], {}, true) });
    await daemon.waitForLine(/info: Started/);
    const sender = await startSender(lab, { groups: [G4], rate: 200 }); // TTL 8
    await using h11 = await Host.onLan(lab, 1, 1);
    await h11.join(G4);
    await h11.waitFor(G4, { count: 20, timeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 300));

    const dropped = await h11.watchDrops();
    const forwardedAll = await watchForwarding(lab, { family: 4, iif: "up0", oif: "dn1" });
    const t0 = Host.now();
    const timers = await reload(
      daemon,
      configFor(lab, [1], { 1: "\tquery-interval 20\n\tthreshold 7\n" }, true),
    );
    deepStrictEqual(at(timers.lines, "info").filter((l) => l.includes("new settings")), [
      'Interface "dn1" keeps VIF 1 with new settings: threshold 1 -> 7, query-interval 125s -> ' +
      "20s, startup-query-interval 31.3s -> 5s",
    ]);
    deepStrictEqual((await entryOf(lab, SRC_ADDR, G4))?.oifs, ["dn1:7"]);
    await new Promise((r) => setTimeout(r, 300));
    const kept = await seqsSince(h11, G4, t0 - 100);
    ok(kept.length > 50, `still received: ${kept.length}`);
    deepStrictEqual(
      gapsIfKeptUp(kept, await dropped("ipv4")),
      [],
      "TTL 8 > threshold 7: nothing lost",
    );
    await forwardedAll("TTL 8 > threshold 7");

    // Threshold 8: datagrams sent with TTL 8 stop at the LAN.
    await reload(daemon, configFor(lab, [1], { 1: "\tthreshold 8\n" }, true));
    deepStrictEqual((await entryOf(lab, SRC_ADDR, G4))?.oifs, ["dn1:8"]);
    await h11.settle(G4);
    h11.clear();
    const dn1Before = await pktsOut(lab, "dn1");
    await new Promise((r) => setTimeout(r, 400));
    deepStrictEqual(await seqsSince(h11, G4, 0), [], "TTL 8 is not above threshold 8");
    equal(await pktsOut(lab, "dn1"), dn1Before, "the kernel forwarded nothing onto dn1");
    // Back to 1: forwarded again, the membership was kept all along.
    const t1 = Host.now();
    await reload(daemon, configFor(lab, [1], {}, true));
    const back = await h11.waitFor(G4, { since: t1, count: 5, timeoutMs: 2000 });
    console.log(`  threshold back to 1 to first datagram: ${(back[0].t - t1).toFixed(0)} ms`);
    ok(!daemon.lines.some((l) => / (warn|fatal): /.test(l)), daemon.lines.join("\n"));
    await sender.stop();
    await stopClean(lab, daemon);
  },
});

Deno.test({
  name:
    "e2e reload: a broken, unusable or unreadable configuration keeps the old one and the stream",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    const good = configFor(lab, [1]);
    const daemon = await startDaemon(lab, { config: good });
    await daemon.waitForLine(/info: Running as "nobody"/);
    const sender = await startSender(lab, { groups: [G4], rate: 200 });
    await using h11 = await Host.onLan(lab, 1, 1);
    await h11.join(G4);
    await h11.waitFor(G4, { count: 20, timeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 300));
    const dropped = await h11.watchDrops();
    const forwardedAll = await watchForwarding(lab, { family: 4, iif: "up0", oif: "dn1" });
    const t0 = Host.now();

    // Two errors: both are logged with their position, nothing changes.
    const broken = configFor(lab, [1, 2], { 2: "\tthreshold 0\n\tquery-intervall 5\n" });
    const bad = await reload(daemon, broken);
    const f = daemon.confPath;
    const errors = at(bad.lines, "warn").filter((l) => l.startsWith(f));
    deepStrictEqual(errors.length, 2, bad.lines.join("\n"));
    ok(/^.*:8:12: /.test(errors[0]) && errors[0].includes("threshold"), errors[0]);
    ok(/^.*:9:2: /.test(errors[1]) && errors[1].includes("query-intervall"), errors[1]);
    ok(at(bad.lines, "warn").includes("Reload failed: the running configuration is kept"));
    deepStrictEqual(await vifNames(lab), ["up0", "dn1"]);

    // It parses, but leaves nothing to proxy: refused.
    const noUp = await reload(
      daemon,
      `interface ${lab.ifaces.upstream} {\n\tupstream\n\tipv4 no\n}\n` +
        `interface ${lab.ifaces.downstream[0]} { downstream }\n`,
    );
    deepStrictEqual(at(noUp.lines, "warn"), [
      "Reload refused: The upstream interface has IPv4 off: nothing to proxy from: the running " +
      "configuration is kept",
    ]);

    // An include from a directory the daemon did not read at start cannot be reached from the
    // jail: the error says so.
    const elsewhere = await reload(daemon, good + 'include "/etc/mcast-proxy-lans.conf"\n');
    const outside = at(elsewhere.lines, "warn").find((l) => l.includes("/etc/mcast-proxy-lans"));
    ok(
      outside?.endsWith(
        'cannot include "/etc/mcast-proxy-lans.conf": it is outside the directories the daemon ' +
          `kept when it started ("${f.slice(0, f.lastIndexOf("/"))}"): restart the daemon to ` +
          "read it",
      ),
      elsewhere.lines.join("\n"),
    );

    // Not readable by the unprivileged user: the error says what to do.
    await daemon.rewrite(good);
    await Deno.chmod(daemon.confPath, 0o600);
    const locked = await reload(daemon, good).finally(() => Deno.chmod(daemon.confPath, 0o644));
    deepStrictEqual(at(locked.lines, "warn"), [
      `Cannot reload: cannot read configuration "${f}": permission denied`,
      'The configuration is read as user "nobody" after the start: make its files and their ' +
      "directories readable by that user",
      "Reload failed: the running configuration is kept",
    ]);
    deepStrictEqual(await vifNames(lab), ["up0", "dn1"]);
    deepStrictEqual((await entryOf(lab, SRC_ADDR, G4))?.oifs, ["dn1:1"]);
    await new Promise((r) => setTimeout(r, 200));
    const seqs = await seqsSince(h11, G4, t0 - 100);
    ok(seqs.length > 50, `received ${seqs.length}`);
    deepStrictEqual(gapsIfKeptUp(seqs, await dropped("ipv4")), [], "the stream never stopped");
    await forwardedAll("through the failed reloads");

    // Fixed: it applies.
    const fixed = await reload(daemon, configFor(lab, [1, 2]));
    ok(at(fixed.lines, "info").some((l) => l.startsWith("Reloaded the configuration")));
    deepStrictEqual(await vifNames(lab), ["up0", "dn1", "dn2"]);
    ok(logged(daemon, "info").some((l) => l.startsWith('Interface "dn2" appeared')));
    await sender.stop();
    await stopClean(lab, daemon);
  },
});
