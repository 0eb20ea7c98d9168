// End to end: the settings of mcast-proxy.conf drive the real daemon on a real kernel. Each
// scenario writes a configuration for the namespace lab, starts the daemon with it, and checks
// datagrams received by real Linux hosts, IGMP queries on the wire and the kernel's multicast
// routing tables: protocol timers (global and per interface), TTL threshold, extra sources,
// administrative boundaries, IPv4 on/off precedence, and `-n` next to a running daemon.
// Needs root and network namespaces; skipped with the reason printed otherwise. The checks on
// the wire also need tcpdump (installed by ./run).

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, denoBin, type Lab, labSupport, SRC_ADDR, useIgmpV2Hosts } from "../lab/lab.ts";
import { Host, type Rx } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { DAEMON_PERMISSIONS, type DaemonProcess, MAIN_TS, startDaemon } from "../lab/daemon.ts";
import { type Capture, type Captured, hasTcpdump, startCapture } from "../lab/capture.ts";
import {
  cache,
  entryOf,
  gapsIfKeptUp,
  proxyJoined,
  sleep,
  stopClean,
  vifNames,
  vifs,
} from "../lab/kernel_state.ts";
import { watchForwarding } from "../lab/forwarding_watch.ts";

const PREFIX = "mcpcf-";
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED configuration e2e tests: ${support.reason}`);
const tcpdump = await hasTcpdump();
if (support.ok && !tcpdump) {
  console.log("SKIPPED the on-the-wire checks of the configuration e2e tests: no tcpdump");
}

function from(rx: Rx[], src: string): Rx[] {
  return rx.filter((r) => r.src === src);
}

/** Starts the daemon with a configuration and waits until it runs. */
async function startWith(lab: Lab, config: string): Promise<DaemonProcess> {
  const daemon = await startDaemon(lab, { config });
  await daemon.waitForLine(/info: Started/);
  return daemon;
}

/**
 * Makes the lab's hosts IGMPv2 hosts and, when tcpdump is installed, captures IGMP on the first
 * host of each LAN (in LAN order); undefined without tcpdump.
 */
async function captureLanHosts(lab: Lab): Promise<Capture[] | undefined> {
  await useIgmpV2Hosts(lab);
  if (!tcpdump) return undefined;
  return await Promise.all(lab.ns.hosts.map(([ns]) => startCapture(lab, ns)));
}

/** Queries sent by `from` to `group` (the group itself, or 224.0.0.1 for general ones). */
function queriesFrom(packets: Captured[], from: string, group?: string): Captured[] {
  return packets.filter((p) =>
    p.body.startsWith(`${from} > ${group ?? ""}`) && p.body.includes("igmp query")
  );
}

/**
 * Polls the out counters of VIFs every 50 ms for `watchMs`; resolves with the wall-clock ms
 * at which each counter last grew.
 */
async function lastGrowth(lab: Lab, names: string[], watchMs: number): Promise<number[]> {
  const read = async () => {
    const vs = await vifs(lab);
    return names.map((n) => {
      const v = vs.find((x) => x.name === n);
      if (v === undefined) throw new Error(`No VIF for ${n}`);
      return v.pktsOut;
    });
  };
  let last = await read();
  const lastT = names.map(() => Host.now());
  const end = performance.now() + watchMs;
  while (performance.now() < end) {
    await sleep(50);
    const now = await read();
    now.forEach((n, k) => {
      if (n !== last[k]) lastT[k] = Host.now();
    });
    last = now;
  }
  return lastT;
}

Deno.test({
  name: "e2e config: last-member-query-interval, global and overridden per interface",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const G = "239.1.1.1";
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    const capture = await captureLanHosts(lab);
    const daemon = await startWith(
      lab,
      [
        // IGMPv2 queries, whose Max Resp Time the capture reads in tenths of a second.
        "igmp-version 2",
        "last-member-query-interval 0.5",
        "last-member-query-count 2",
        "",
        "interface up0 {",
        "\tupstream",
        "}",
        "interface dn1 {",
        "\tdownstream",
        "}",
        "interface dn2 {",
        "\tlast-member-query-interval 1.5",
        "\tdownstream",
        "}",
      ].join("\n") + "\n",
    );
    const sender = await startSender(lab, { groups: [G], rate: 100 });
    await using h11 = await Host.onLan(lab, 1, 1);
    await using h21 = await Host.onLan(lab, 2, 1);
    const [j1, j2] = [await h11.join(G), await h21.join(G)];
    await h11.waitFor(G, { since: j1, count: 30 });
    await h21.waitFor(G, { since: j2, count: 30 });

    // Both only members leave at once; each LAN's stream ends after LMQI × LMQC of its own.
    const [l1, l2] = await Promise.all([h11.leave(G), h21.leave(G)]);
    const [end1, end2] = await lastGrowth(lab, ["dn1", "dn2"], 4500);
    const ms1 = end1 - l1;
    const ms2 = end2 - l2;
    console.log(
      `  leave to last forwarded datagram: ${ms1.toFixed(0)} ms with 0.5 s × 2 (global), ` +
        `${ms2.toFixed(0)} ms with 1.5 s × 2 (dn2); the built-in 1 s × 2 takes 2000 ms`,
    );
    ok(ms1 < 1500 && ms1 > 600, `LAN 1 stopped ${ms1} ms after the leave, expected about 1000`);
    ok(ms2 < 3600 && ms2 > 2500, `LAN 2 stopped ${ms2} ms after the leave, expected about 3000`);
    await sender.stop();
    await stopClean(lab, daemon);

    if (capture !== undefined) {
      const [wire1, wire2] = await Promise.all(capture.map((c) => c.stop()));
      const gsq1 = queriesFrom(wire1, "10.1.0.1", G);
      const gsq2 = queriesFrom(wire2, "10.2.0.1", G);
      const show = (c: Captured[]) => c.map((p) => `${p.time.toFixed(0)} ${p.body}`).join("\n");
      equal(gsq1.length, 2, `two group-specific queries on LAN 1:\n${show(wire1)}`);
      equal(gsq2.length, 2, `two group-specific queries on LAN 2:\n${show(wire2)}`);
      for (const p of gsq1) ok(p.body.includes("[max resp time 5]"), `0.5 s: ${p.body}`);
      for (const p of gsq2) ok(p.body.includes("[max resp time 15]"), `1.5 s: ${p.body}`);
      const gap1 = gsq1[1].time - gsq1[0].time;
      const gap2 = gsq2[1].time - gsq2[0].time;
      console.log(`  group-specific queries apart: ${gap1.toFixed(0)} ms, ${gap2.toFixed(0)} ms`);
      ok(gap1 > 400 && gap1 < 700, `LAN 1 queries ${gap1} ms apart, expected 500`);
      ok(gap2 > 1400 && gap2 < 1700, `LAN 2 queries ${gap2} ms apart, expected 1500`);
      ok(gsq1[0].time - l1 < 300, `first query ${gsq1[0].time - l1} ms after the leave`);
    }
  },
});

Deno.test({
  name: "e2e config: threshold 5 drops TTL 5 on that interface only and forwards TTL 8",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const A = "239.1.1.1"; // sent with TTL 5
    const B = "239.1.1.2"; // sent with TTL 8
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    await useIgmpV2Hosts(lab);
    const daemon = await startWith(
      lab,
      "interface up0 { upstream }\n" +
        "interface dn1 {\n\tthreshold 5\n\tdownstream\n}\n" +
        "interface dn2 { downstream }\n",
    );
    // The sender is directly connected to up0, so datagrams arrive with the TTL they left with.
    const ttl5 = await startSender(lab, { groups: [A], rate: 100, ttl: 5 });
    const ttl8 = await startSender(lab, { groups: [B], rate: 100, ttl: 8 });
    await using h11 = await Host.onLan(lab, 1, 1);
    await using h21 = await Host.onLan(lab, 2, 1);
    const t0 = Host.now();
    await h11.join(A);
    await h11.join(B);
    await h21.join(A);
    await h11.waitFor(B, { since: t0, count: 50 });
    // LAN 2 has no threshold: A is forwarded there, so only dn1's threshold keeps it off LAN 1.
    await h21.waitFor(A, { since: t0, count: 50 });
    await h11.collect(B, 300);
    equal(h11.received(A).length, 0, "h11 received nothing of the TTL 5 group");
    deepStrictEqual(
      (await entryOf(lab, SRC_ADDR, A))?.oifs,
      ["dn1:5", "dn2:1"],
      "MFC oif thresholds",
    );
    deepStrictEqual((await entryOf(lab, SRC_ADDR, B))?.oifs, ["dn1:5"]);
    console.log(
      `  h11: ${h11.received(B).length} of TTL 8, ${h11.received(A).length} of TTL 5; ` +
        `h21: ${h21.received(A).length} of TTL 5`,
    );
    await ttl5.stop();
    await ttl8.stop();
    await stopClean(lab, daemon);
  },
});

Deno.test({
  name: "e2e config: source admits data from a network outside the upstream subnet",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const G = "239.1.1.1";
    const FOREIGN = "192.0.2.10";
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1] });
    await useIgmpV2Hosts(lab);
    // With the reverse-path filter on, the proxy's kernel would drop 192.0.2.10 on up0 (no route
    // back to it there) before multicast routing sees it, and the daemon would never decide. The
    // lab turns it off already; say so here, since this test depends on it.
    for (const dev of ["all", "default", "up0"]) {
      await lab.sysctl(lab.ns.proxy, `net.ipv4.conf.${dev}.rp_filter`, 0);
    }
    const add = await lab.exec(lab.ns.src, ["ip", "addr", "add", `${FOREIGN}/32`, "dev", "eth0"]);
    equal(add.code, 0, add.stderr);
    const local = await startSender(lab, { groups: [G], rate: 100 });
    const foreign = await startSender(lab, { groups: [G], rate: 100, ifaceAddr: FOREIGN });
    await using h11 = await Host.onLan(lab, 1, 1);

    // Without `source`: only the upstream subnet's sender reaches the host.
    const without = await startWith(
      lab,
      "interface up0 { upstream }\ninterface dn1 { downstream }\n",
    );
    let t0 = await h11.join(G);
    await h11.waitFor(G, { since: t0, until: (rx) => from(rx, SRC_ADDR).length >= 50 });
    await h11.collect(G, 1000);
    const rx1 = h11.received(G, t0);
    equal(from(rx1, FOREIGN).length, 0, `nothing from ${FOREIGN} without "source"`);
    // The kernel did hand the foreign source to the daemon: an entry exists, without oifs.
    const foreignEntry = (await cache(lab)).filter((e) => e.origin === FOREIGN && e.group === G);
    ok(foreignEntry.length > 0, `the kernel saw (${FOREIGN}, ${G})`);
    deepStrictEqual(foreignEntry.flatMap((e) => e.oifs), [], "and forwards it nowhere");
    await h11.leave(G);
    await stopClean(lab, without);

    // With `source 192.0.2.0/24` in the upstream block: both senders reach the host.
    const withSource = await startWith(
      lab,
      "interface up0 {\n\tsource 192.0.2.0/24\n\tupstream\n}\ninterface dn1 { downstream }\n",
    );
    t0 = await h11.join(G);
    const rx2 = await h11.waitFor(G, {
      since: t0,
      until: (rx) => from(rx, FOREIGN).length >= 50 && from(rx, SRC_ADDR).length >= 50,
    });
    console.log(
      `  without source: ${from(rx1, FOREIGN).length} of ${rx1.length} from ${FOREIGN}; ` +
        `with it: ${from(rx2, FOREIGN).length} of ${rx2.length}`,
    );
    deepStrictEqual((await entryOf(lab, FOREIGN, G))?.oifs, ["dn1:1"]);
    await local.stop();
    await foreign.stop();
    await stopClean(lab, withSource);
  },
});

Deno.test({
  name: "e2e config: boundary by name and by prefix keeps scoped groups off LAN 2",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const SCOPED = "239.255.1.1"; // in LOCAL
    const PREFIXED = "239.254.1.1"; // in the boundary written as a prefix
    const OPEN = "239.1.1.1";
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    await useIgmpV2Hosts(lab);
    const daemon = await startWith(
      lab,
      [
        "name LOCAL 239.255.0.0/16",
        "interface up0 { upstream }",
        "interface dn1 { downstream }",
        "interface dn2 {",
        "\tboundary LOCAL",
        "\tboundary 239.254.0.0/16",
        "\tdownstream",
        "}",
      ].join("\n") + "\n",
    );
    const sender = await startSender(lab, { groups: [SCOPED, PREFIXED, OPEN], rate: 100 });
    await using h11 = await Host.onLan(lab, 1, 1);
    await using h21 = await Host.onLan(lab, 2, 1);
    const t0 = Host.now();
    await h11.join(SCOPED);
    for (const g of [SCOPED, PREFIXED, OPEN]) await h21.join(g);
    await h11.waitFor(SCOPED, { since: t0, count: 50 });
    await h21.waitFor(OPEN, { since: t0, count: 50 });
    await h21.collect(OPEN, 500);
    equal(h21.received(SCOPED).length, 0, `LAN 2 got nothing of ${SCOPED} (boundary LOCAL)`);
    equal(h21.received(PREFIXED).length, 0, `LAN 2 got nothing of ${PREFIXED} (boundary prefix)`);
    deepStrictEqual(
      (await entryOf(lab, SRC_ADDR, SCOPED))?.oifs,
      ["dn1:1"],
      "only LAN 1 for the scope",
    );
    deepStrictEqual((await entryOf(lab, SRC_ADDR, OPEN))?.oifs, ["dn2:1"]);
    // Only h21 wants 239.254.1.1, and its reports were ignored: not proxied upstream.
    ok(!(await proxyJoined(lab, PREFIXED)), `${PREFIXED} is not joined upstream`);
    ok(await proxyJoined(lab, SCOPED), `${SCOPED} is joined upstream for LAN 1`);
    ok(await proxyJoined(lab, OPEN));
    console.log(
      `  h11 ${SCOPED}: ${h11.received(SCOPED).length}; h21 ${OPEN}: ` +
        `${h21.received(OPEN).length}, ${SCOPED}: 0, ${PREFIXED}: 0`,
    );
    await sender.stop();
    await stopClean(lab, daemon);
  },
});

Deno.test({
  name: "e2e config: an interface's ipv4 yes beats a later global ipv4 no; the others are unused",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const G = "239.1.1.1";
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    const capture = await captureLanHosts(lab);
    const daemon = await startWith(
      lab,
      [
        "interface up0 {",
        "\tipv4 yes",
        "\tupstream",
        "}",
        "interface dn1 {",
        "\tipv4 yes",
        "\tdownstream",
        "}",
        "interface dn2 {",
        "\tdownstream",
        "}",
        "ipv4 no",
      ].join("\n") + "\n",
    );
    deepStrictEqual(await vifNames(lab), ["up0", "dn1"], "no VIF for dn2");
    const sender = await startSender(lab, { groups: [G], rate: 100 });
    await using h11 = await Host.onLan(lab, 1, 1);
    await using h21 = await Host.onLan(lab, 2, 1);
    const t0 = Host.now();
    await h11.join(G);
    await h21.join(G);
    await h11.waitFor(G, { since: t0, count: 50 });
    await h21.collect(G, 500);
    equal(h21.received(G).length, 0, "LAN 2 receives nothing");
    deepStrictEqual((await entryOf(lab, SRC_ADDR, G))?.oifs, ["dn1:1"]);
    deepStrictEqual(await vifNames(lab), ["up0", "dn1"], "still no VIF for dn2");
    await sender.stop();
    await stopClean(lab, daemon);
    if (capture !== undefined) {
      const [wire1, wire2] = await Promise.all(capture.map((c) => c.stop()));
      ok(queriesFrom(wire1, "10.1.0.1").length >= 1, "the daemon queries on LAN 1");
      deepStrictEqual(
        queriesFrom(wire2, "10.2.0.1").map((p) => p.body),
        [],
        "and never on LAN 2",
      );
    }
  },
});

Deno.test({
  name: "e2e config: -n next to a running daemon says OK and leaves it forwarding",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const G = "239.1.1.1";
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1] });
    await useIgmpV2Hosts(lab);
    const daemon = await startWith(
      lab,
      "interface up0 { upstream }\ninterface dn1 { downstream }\n",
    );
    let exited = false;
    daemon.status.then(() => exited = true);
    const sender = await startSender(lab, { groups: [G], rate: 100 });
    await using h11 = await Host.onLan(lab, 1, 1);
    const joined = await h11.join(G);
    await h11.waitFor(G, { since: joined, count: 50 });
    const table = async () =>
      (await vifs(lab)).map(({ vif, name, flags, local, ifindex }) => ({
        vif,
        name,
        flags,
        local,
        ifindex,
      }));
    const vifsBefore = await table();
    const oifsBefore = (await entryOf(lab, SRC_ADDR, G))?.oifs;

    const dropped = await h11.watchDrops();
    const forwardedAll = await watchForwarding(lab, { family: 4, iif: "up0", oif: "dn1" });
    const since = Host.now();
    const check = await lab.exec(lab.ns.proxy, [
      denoBin(),
      "run",
      "--no-check",
      "--no-prompt",
      ...DAEMON_PERMISSIONS,
      MAIN_TS,
      "-n",
      "-f",
      daemon.confPath,
    ]);
    const checkMs = Host.now() - since;
    equal(check.code, 0, `-n exit code: ${check.stderr}`);
    equal(check.stdout.trim(), "configuration OK");
    await sleep(500);
    await h11.sync();
    const rx = h11.received(G, since);
    const span = Host.now() - since;
    const stalls = rx.slice(1).map((r, k) => r.t - rx[k].t);
    const worst = Math.max(0, ...stalls);
    console.log(
      `  -n took ${checkMs.toFixed(0)} ms; meanwhile ${rx.length} datagrams in ` +
        `${span.toFixed(0)} ms, longest gap ${worst.toFixed(0)} ms`,
    );
    const drops = await dropped("ipv4");
    ok(rx.length + drops >= span / 10 * 0.8, `${rx.length} datagrams in ${span} ms at 100/s`);
    deepStrictEqual(gapsIfKeptUp(rx.map((r) => r.seq), drops), [], "no datagram lost");
    await forwardedAll("while -n ran");
    ok(worst < 250, `longest gap between datagrams: ${worst} ms`);
    ok(!exited, "the running daemon is still running");
    deepStrictEqual(await table(), vifsBefore, "VIF table unchanged");
    deepStrictEqual((await entryOf(lab, SRC_ADDR, G))?.oifs, oifsBefore, "MFC entry unchanged");
    ok(!daemon.lines.some((l) => /warn:|fatal:/.test(l)), daemon.lines.join("\n"));
    await sender.stop();
    await stopClean(lab, daemon);
  },
});
