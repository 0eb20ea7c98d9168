// End to end, the settings of mcast-proxy.conf that shape IPv6 proxying, on the real kernel: the
// daemon in a namespace lab, real Linux hosts forced to MLDv1, real senders; assertions on
// datagrams received, on the daemon's log and on the kernel's MIFs, IPv6 forwarding cache and
// memberships. Covered: `source` with an IPv6 prefix on the upstream, `boundary` by name and by
// prefix with IPv6 scopes (downstream and upstream), a downstream that has no IPv6 link-local
// address at start, gets one and loses it again (IPv4 on it unaffected), and per-interface
// `ipv6 yes` that leaves a LAN without IPv6 while IPv4 runs everywhere. The IPv4 counterparts
// are in config_test.ts and interfaces_test.ts. Needs root and a kernel with IPv6 multicast
// routing; skipped with the reason printed otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  createLab,
  type Lab,
  mldLabSupport,
  SRC_ADDR,
  SRC_ADDR6,
  useMldV1Hosts,
} from "../lab/lab.ts";
import { Host, type Rx } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { type DaemonProcess, labConfig, startDaemon } from "../lab/daemon.ts";
import { type Captured, hasTcpdump, MLD_FILTER, startCapture } from "../lab/capture.ts";
import {
  cache6,
  entryOf,
  entryOf6,
  escapeRegExp,
  gapsIfKeptUp,
  logged,
  mifs6,
  pktsOut6,
  sleep,
  stopClean,
  upstreamGroups6,
  vifNames,
} from "../lab/kernel_state.ts";
import { watchForwarding } from "../lab/forwarding_watch.ts";
import { parseMr6Vif } from "../lab/proc.ts";
import { ip } from "../lab/links.ts";

const PREFIX = "mcpmc-";
/** A site-local group (ff05::/16). */
const G1 = "ff05::1";
/** Another site-local group, wanted on LAN 2 only. */
const G2 = "ff05::2";
/** A global-scope group (ff0e::/16), outside every boundary. */
const GLOBAL = "ff0e::1:1";
/** An organization-local group (ff08::/16), for the upstream boundary. */
const ORG = "ff08::1";
const G4 = "239.1.1.1";
/** Hop limit of the test streams: enough to cross the proxy. */
const HOPS = 5;

const support = await mldLabSupport();
if (!support.ok) console.log(`SKIPPED MLD configuration e2e tests: ${support.reason}`);
const tcpdump = support.ok && await hasTcpdump();
if (support.ok && !tcpdump) {
  console.log("SKIPPED the MLD query captures of the per-interface ipv6 test: no tcpdump");
}

/** Starts the daemon with a configuration and waits until it runs. */
async function startWith(lab: Lab, config: string): Promise<DaemonProcess> {
  const daemon = await startDaemon(lab, { config });
  await daemon.waitForLine(/info: Started/);
  return daemon;
}

function from(rx: Rx[], src: string): Rx[] {
  return rx.filter((r) => r.src === src);
}

/** Runs `ip ARGS` in a namespace; throws with its stderr when it fails. */
async function ipIn(ns: string, args: string[]): Promise<void> {
  // `ip -n`: one process, no mount namespace set up (as `ip netns exec` does), so that the
  // command itself takes little of a time measured across it.
  await ip(["-n", ns, ...args]);
}

/**
 * The daemon's MIFs, read from its own /proc/PID/net (its network namespace) without spawning
 * anything, so that polling it is cheap and precise.
 */
async function daemonMifs(daemon: DaemonProcess) {
  return parseMr6Vif(await Deno.readTextFile(`/proc/${daemon.child.pid}/net/ip6_mr_vif`));
}

/**
 * Polls the daemon's MIFs every millisecond until one for `name` exists (`present`) or none
 * does; resolves with the ms it took from `t0` (performance.now()). Throws after 5 s.
 */
async function waitMif(
  daemon: DaemonProcess,
  name: string,
  opts: { present: boolean; t0: number },
): Promise<number> {
  for (;;) {
    const has = (await daemonMifs(daemon)).some((m) => m.name === name);
    const ms = performance.now() - opts.t0;
    if (has === opts.present) return ms;
    if (ms > 5000) {
      throw new Error(`MIF for "${name}" ${opts.present ? "still missing" : "still there"} 5 s on`);
    }
    await sleep(1);
  }
}

/** MLD queries in a capture that come from `source`. */
function mldQueriesFrom(packets: Captured[], source: string): Captured[] {
  return packets.filter((p) =>
    p.body.startsWith(`${source} > `) && p.body.includes("multicast listener query")
  );
}

Deno.test({
  name: "e2e MLD config: source admits an IPv6 network outside the upstream prefix",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const FOREIGN = "2001:db8:99::2";
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1] });
    await useMldV1Hosts(lab);
    // The foreign sender sits on the upstream link with an address outside up0's 2001:db8::/64.
    // The proxy gets a route back to it, as a router would have, so that only the daemon's
    // source check decides (measured: Linux forwards IPv6 multicast without one as well, it has
    // no reverse-path filter for it).
    await ipIn(lab.ns.src, ["-6", "addr", "add", `${FOREIGN}/64`, "dev", "eth0", "nodad"]);
    const route = ["-6", "route", "add", "2001:db8:99::/64", "via", SRC_ADDR6, "dev", "up0"];
    await ipIn(lab.ns.proxy, route);
    const local = await startSender(lab, { groups: [G1], rate: 100, ttl: HOPS });
    const foreign = await startSender(lab, {
      groups: [G1],
      rate: 100,
      ttl: HOPS,
      ifaceAddr: FOREIGN,
    });
    await using h11 = await Host.onLan(lab, 1, 1);
    const blocks = (up: string) =>
      `ipv4 no\nipv6 yes\ninterface up0 {\n${up}\tupstream\n}\ninterface dn1 { downstream }\n`;

    // Without `source`: only the upstream prefix's sender reaches the host.
    const without = await startWith(lab, blocks(""));
    let t0 = await h11.join(G1);
    await h11.waitFor(G1, { since: t0, until: (rx) => from(rx, SRC_ADDR6).length >= 50 });
    await h11.collect(G1, 1000);
    const rx1 = h11.received(G1, t0);
    equal(from(rx1, FOREIGN).length, 0, `nothing from ${FOREIGN} without "source"`);
    deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G1))?.oifs, ["dn1:1"]);
    // The kernel did hand the foreign source to the daemon, which left it unresolved.
    const foreignEntries = (await cache6(lab)).filter((e) =>
      e.origin === FOREIGN && e.group === G1
    );
    ok(foreignEntries.length > 0, `the kernel saw (${FOREIGN}, ${G1})`);
    deepStrictEqual(foreignEntries.map((e) => e.iif), foreignEntries.map(() => -1), "unresolved");
    ok(
      await without.waitForLine(
        new RegExp(
          `IPv6: Dropped upcall \\(${escapeRegExp(FOREIGN)}, ff05::1\\) on "up0": ` +
            "source-not-admitted",
        ),
      ),
    );
    await h11.leave(G1);
    await stopClean(lab, without);

    // With `source 2001:db8:99::/64` in the upstream block: both senders reach the host.
    const withSource = await startWith(lab, blocks("\tsource 2001:db8:99::/64\n"));
    t0 = await h11.join(G1);
    const rx2 = await h11.waitFor(G1, {
      since: t0,
      until: (rx) => from(rx, FOREIGN).length >= 50 && from(rx, SRC_ADDR6).length >= 50,
    });
    const first = from(rx2, FOREIGN)[0].t - t0;
    console.log(
      `  without source: ${from(rx1, FOREIGN).length} of ${rx1.length} from ${FOREIGN}; ` +
        `with it: ${from(rx2, FOREIGN).length} of ${rx2.length}, the first ` +
        `${first.toFixed(0)} ms after the join`,
    );
    ok(first < 1000, `first foreign datagram ${first} ms after the join`);
    deepStrictEqual(await entryOf6(lab, FOREIGN, G1), { iif: "up0", oifs: ["dn1:1"] });
    deepStrictEqual(await entryOf6(lab, SRC_ADDR6, G1), { iif: "up0", oifs: ["dn1:1"] });
    // Both flow: a second more of them, counted by the kernel and seen by h11. (Before, the
    // kernel forwards the few datagrams it queued while the entry was unresolved, then the
    // stream: a gap that is the kernel's, not the proxy's.)
    const dropped = await h11.watchDrops();
    const forwardedAll = await watchForwarding(lab, { family: 6, iif: "up0", oif: "dn1" });
    const flowing = await h11.collect(G1, 1000);
    await forwardedAll("both senders' streams");
    deepStrictEqual(
      gapsIfKeptUp(from(flowing, FOREIGN).map((r) => r.seq), await dropped("ipv6")),
      [],
      "no foreign datagram lost once it flows",
    );
    await local.stop();
    await foreign.stop();
    await stopClean(lab, withSource);
  },
});

Deno.test({
  name: "e2e MLD config: boundary by name on a LAN and by prefix upstream keeps scoped groups out",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    await useMldV1Hosts(lab);
    const daemon = await startWith(
      lab,
      [
        "ipv4 no",
        "ipv6 yes",
        "name SITE ff05::/16",
        "interface up0 {",
        "\tboundary ff08::/16",
        "\tupstream",
        "}",
        "interface dn1 { downstream }",
        "interface dn2 {",
        "\tboundary SITE",
        "\tdownstream",
        "}",
      ].join("\n") + "\n",
    );
    ok(
      await daemon.waitForLine(/info: IPv6: Interface "dn2" is downstream .*, boundary ff05::\/16/),
      "the boundary is in dn2's startup line",
    );
    const sender = await startSender(lab, { groups: [G1, G2, GLOBAL, ORG], rate: 100, ttl: HOPS });
    await using h11 = await Host.onLan(lab, 1, 1);
    await using h21 = await Host.onLan(lab, 2, 1);
    const t0 = Host.now();
    await h11.join(G1);
    await h11.join(ORG);
    for (const g of [G1, G2, GLOBAL]) await h21.join(g);
    const [rx11, rx21] = await Promise.all([
      h11.waitFor(G1, { since: t0, count: 50 }),
      h21.waitFor(GLOBAL, { since: t0, count: 50 }),
    ]);
    // Half a second of dn2's counter, and what reached h21 in it (by arrival time, once its
    // agent has read past the end of it).
    const windowStart = Host.now();
    const dn2Before = await pktsOut6(lab, "dn2");
    await sleep(500);
    const dn2After = await pktsOut6(lab, "dn2");
    const windowEnd = Host.now();
    await h21.waitFor(GLOBAL, { since: windowEnd });
    await h11.sync();
    console.log(
      `  join to first datagram: LAN 1 ${G1} ${(rx11[0].t - t0).toFixed(0)} ms, ` +
        `LAN 2 ${GLOBAL} ${(rx21[0].t - t0).toFixed(0)} ms; h21 got ${G1}: ` +
        `${h21.received(G1).length}, ${G2}: ${h21.received(G2).length}, ` +
        `${GLOBAL}: ${h21.received(GLOBAL).length}; h11 got ${ORG}: ${h11.received(ORG).length}`,
    );

    // Downstream boundary: LAN 2's reports for ff05::/16 are ignored, the data stays off it.
    equal(h21.received(G1).length, 0, `LAN 2 got nothing of ${G1} (boundary SITE)`);
    equal(h21.received(G2).length, 0, `LAN 2 got nothing of ${G2} (boundary SITE)`);
    deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G1))?.oifs, ["dn1:1"], "LAN 1 only");
    deepStrictEqual((await entryOf6(lab, SRC_ADDR6, GLOBAL))?.oifs, ["dn2:1"]);
    deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G2))?.oifs ?? [], [], "ff05::2 nowhere");
    const dn2Delta = dn2After - dn2Before;
    const globalDelta = h21.received(GLOBAL, windowStart).filter((r) => r.t <= windowEnd).length;
    ok(
      dn2Delta <= globalDelta + 10,
      `dn2 forwarded ${dn2Delta}, of which ${globalDelta} ${GLOBAL} reached h21`,
    );
    const h21ll = await lab.linkLocal(lab.ns.hosts[1][0], "eth0");
    for (const g of [G1, G2]) {
      ok(
        await daemon.waitForLine(
          new RegExp(
            `IPv6: Dropped .*${escapeRegExp(g)} from ${escapeRegExp(h21ll)} on "dn2": boundary`,
          ),
        ),
        `h21's report for ${g} is dropped as boundary`,
      );
    }
    const up = await upstreamGroups6(lab);
    ok(up.includes(G1), `${G1} is joined upstream for LAN 1: ${up}`);
    ok(up.includes(GLOBAL), `${GLOBAL} is joined upstream for LAN 2: ${up}`);
    ok(!up.includes(G2), `${G2}, wanted behind the boundary only, is not joined upstream: ${up}`);

    // Upstream boundary: ff08::1 is never joined upstream, and its data is not accepted there.
    equal(h11.received(ORG).length, 0, `LAN 1 got nothing of ${ORG} (boundary on up0)`);
    ok(!up.includes(ORG), `${ORG} is not joined upstream: ${up}`);
    equal(await entryOf6(lab, SRC_ADDR6, ORG), undefined, `no resolved entry for ${ORG}`);
    ok(await daemon.waitForLine(/IPv6: Group ff08::1 is inside a boundary of "up0"/));
    ok(
      await daemon.waitForLine(
        new RegExp(
          `IPv6: Dropped upcall \\(${escapeRegExp(SRC_ADDR6)}, ff08::1\\) on "up0": boundary`,
        ),
      ),
    );
    await sender.stop();
    await stopClean(lab, daemon);
  },
});

Deno.test({
  name: "e2e MLD config: a LAN without an IPv6 link-local address at start is used once it has one",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const LL = "fe80::2:1";
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    await useMldV1Hosts(lab);
    await ipIn(lab.ns.proxy, ["-6", "addr", "flush", "dev", "dn2", "scope", "link"]);
    // dn2 answers fast: its startup query asks for reports within 1 s.
    const config = "ipv6 yes\n" + labConfig(lab).replace(
      "interface dn2 { downstream }",
      "interface dn2 {\n\tquery-response-interval 1\n\tdownstream\n}",
    );
    const daemon = await startWith(lab, config);
    const sender4 = await startSender(lab, { groups: [G4], rate: 100 });
    const sender6 = await startSender(lab, { groups: [G1], rate: 100, ttl: HOPS });
    await using h11 = await Host.onLan(lab, 1, 1);
    await using h21 = await Host.onLan(lab, 2, 1);
    /** From when on LAN 2's IPv4 stream must have no gap: once it flows. */
    let watch4 = 0;
    /** LAN 2's own receive drops from then on, and what the kernel forwarded there. */
    let dropped4: Awaited<ReturnType<Host["watchDrops"]>> | undefined;
    let forwarded4: Awaited<ReturnType<typeof watchForwarding>> | undefined;

    await t.step("the daemon starts without dn2 for IPv6, says so, and IPv4 runs", async () => {
      deepStrictEqual(logged(daemon, "warn"), [
        'IPv6: Interface "dn2" has no IPv6 link-local address: waiting for one',
      ]);
      ok(
        await daemon.waitForLine(
          /info: Started: upstream "up0", 2 downstream; IPv6: upstream "up0", 1 downstream, waiting for "dn2"/,
        ),
      );
      deepStrictEqual((await mifs6(lab)).map((m) => m.name), ["up0", "dn1"]);
      deepStrictEqual(await vifNames(lab), ["up0", "dn1", "dn2"]);
      const t0 = Host.now();
      await h21.join(G4);
      await h11.join(G1);
      await h21.join(G1); // not heard: no MIF on dn2 yet
      await Promise.all([
        h21.waitFor(G4, { since: t0, count: 50 }),
        h11.waitFor(G1, { since: t0, count: 50 }),
      ]);
      // The first few datagrams are those the kernel queued before the join.
      dropped4 = await h21.watchDrops();
      forwarded4 = await watchForwarding(lab, { family: 4, iif: "up0", oif: "dn2" });
      watch4 = Host.now();
      await h21.collect(G1, 300);
      equal(h21.received(G1).length, 0, "LAN 2 gets no IPv6 stream yet");
      deepStrictEqual((await entryOf(lab, SRC_ADDR, G4))?.oifs, ["dn2:1"]);
      deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G1))?.oifs, ["dn1:1"]);
    });

    await t.step("dn2 gets a link-local address: its MIF, and the listener there", async () => {
      const t0 = performance.now();
      const addedAt = Host.now();
      await ipIn(lab.ns.proxy, ["-6", "addr", "add", `${LL}/64`, "dev", "dn2", "nodad"]);
      const commandMs = performance.now() - t0;
      const mifMs = await waitMif(daemon, "dn2", { present: true, t0 });
      ok(
        await daemon.waitForLine(
          new RegExp(`info: IPv6: Interface "dn2" appeared: downstream as MIF 2, address ${LL}`),
        ),
      );
      deepStrictEqual(
        (await mifs6(lab)).map((m) => [m.mif, m.name]),
        [[0, "up0"], [1, "dn1"], [2, "dn2"]],
      );
      // h21 joined before: it answers the startup query (Maximum Response Delay 1 s).
      const rx = await h21.waitFor(G1, { since: addedAt, count: 50, timeoutMs: 5000 });
      const firstMs = rx[0].t - addedAt;
      console.log(
        `  link-local address added to dn2: its MIF after ${mifMs.toFixed(1)} ms (the ip ` +
          `command took ${commandMs.toFixed(1)} ms), the first datagram on LAN 2 after ${
            firstMs.toFixed(0)
          } ms`,
      );
      ok(mifMs < 1000, `MIF ${mifMs} ms after the address`);
      ok(firstMs < 2500, `first datagram ${firstMs} ms after the address`);
      deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G1))?.oifs, ["dn1:1", "dn2:1"]);
    });

    await t.step("dn2 loses it again: the MIF goes, LAN 1 and IPv4 on dn2 go on", async () => {
      const t0 = performance.now();
      await ipIn(lab.ns.proxy, ["-6", "addr", "flush", "dev", "dn2", "scope", "link"]);
      const goneMs = await waitMif(daemon, "dn2", { present: false, t0 });
      ok(
        await daemon.waitForLine(
          /info: IPv6: Interface "dn2" is gone \(lost its IPv6 link-local address\): MIF 2 removed/,
        ),
      );
      console.log(`  link-local address flushed on dn2 to its MIF gone: ${goneMs.toFixed(1)} ms`);
      // What was forwarded before has reached h21 (its agent may lag under emulation).
      await h21.settle(G1);
      const after = Host.now();
      await Promise.all([
        h21.waitFor(G4, { since: after, count: 30 }),
        h11.waitFor(G1, { since: after, count: 30 }),
      ]);
      equal(h21.received(G1, after).length, 0, "LAN 2 gets no IPv6 stream any more");
      deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G1))?.oifs, ["dn1:1"]);
      await h21.sync();
      deepStrictEqual(
        gapsIfKeptUp(h21.received(G4, watch4).map((r) => r.seq), await dropped4!("ipv4")),
        [],
        "no IPv4 datagram lost on LAN 2 while its IPv6 came and went",
      );
      await forwarded4!("IPv4 onto LAN 2 while its IPv6 came and went");
      deepStrictEqual(await vifNames(lab), ["up0", "dn1", "dn2"], "the IPv4 VIFs stay");
    });

    await t.step("SIGTERM: exit 0, the kernel tables are empty, one warning only", async () => {
      await sender4.stop();
      await sender6.stop();
      await stopClean(lab, daemon);
      equal(logged(daemon, "warn").length, 1, logged(daemon, "warn").join("\n"));
    });
  },
});

Deno.test({
  name: "e2e MLD config: ipv6 yes on up0 and dn1 only: no MIF for dn2, IPv4 on every LAN",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    await useMldV1Hosts(lab);
    const captures = tcpdump
      ? await Promise.all(
        lab.ns.hosts.map(([ns]) => startCapture(lab, ns, { filter: MLD_FILTER })),
      )
      : undefined;
    const daemon = await startWith(
      lab,
      [
        "interface up0 {",
        "\tipv6 yes",
        "\tupstream",
        "}",
        "interface dn1 {",
        "\tipv6 yes",
        "\tdownstream",
        "}",
        "interface dn2 {",
        "\tdownstream",
        "}",
        "ipv6 no",
      ].join("\n") + "\n",
    );
    deepStrictEqual(logged(daemon, "warn"), [], "no warning");
    ok(
      await daemon.waitForLine(
        /info: Started: upstream "up0", 2 downstream; IPv6: upstream "up0", 1 downstream$/,
      ),
    );
    deepStrictEqual((await mifs6(lab)).map((m) => m.name), ["up0", "dn1"], "no MIF for dn2");
    deepStrictEqual(await vifNames(lab), ["up0", "dn1", "dn2"], "a VIF for every LAN");
    const sender4 = await startSender(lab, { groups: [G4], rate: 100 });
    const sender6 = await startSender(lab, { groups: [G1], rate: 100, ttl: HOPS });
    await using h11 = await Host.onLan(lab, 1, 1);
    await using h21 = await Host.onLan(lab, 2, 1);
    const t0 = Host.now();
    for (const h of [h11, h21]) {
      await h.join(G4);
      await h.join(G1);
    }
    const [rx11v4, rx11v6, rx21v4] = await Promise.all([
      h11.waitFor(G4, { since: t0, count: 50 }),
      h11.waitFor(G1, { since: t0, count: 50 }),
      h21.waitFor(G4, { since: t0, count: 50 }),
    ]);
    await h21.collect(G4, 500);
    console.log(
      `  joins to first datagram: LAN 1 IPv4 ${(rx11v4[0].t - t0).toFixed(0)} ms, ` +
        `IPv6 ${(rx11v6[0].t - t0).toFixed(0)} ms; LAN 2 IPv4 ${(rx21v4[0].t - t0).toFixed(0)} ` +
        `ms, IPv6 ${h21.received(G1).length} datagrams`,
    );
    equal(h21.received(G1).length, 0, "LAN 2 receives no IPv6");
    deepStrictEqual((await entryOf(lab, SRC_ADDR, G4))?.oifs, ["dn1:1", "dn2:1"]);
    deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G1))?.oifs, ["dn1:1"]);
    deepStrictEqual(await upstreamGroups6(lab), [G1]);
    // The kernel hands the daemon h21's MLD reports on dn2 all the same; it ignores them.
    const h21ll = await lab.linkLocal(lab.ns.hosts[1][0], "eth0");
    ok(
      await daemon.waitForLine(
        new RegExp(`IPv6: Dropped .* from ${escapeRegExp(h21ll)}\\b.*: not-proxied-interface`),
      ),
    );
    deepStrictEqual((await mifs6(lab)).map((m) => m.name), ["up0", "dn1"], "still no MIF for dn2");
    await sender4.stop();
    await sender6.stop();
    await stopClean(lab, daemon);
    if (captures !== undefined) {
      const [wire1, wire2] = await Promise.all(captures.map((c) => c.stop()));
      const dn1ll = await lab.linkLocal(lab.ns.proxy, "dn1");
      ok(mldQueriesFrom(wire1, dn1ll).length >= 1, "the daemon queries on LAN 1");
      deepStrictEqual(
        wire2.filter((p) => p.body.includes("multicast listener query")).map((p) => p.body),
        [],
        "and never on LAN 2",
      );
    }
  },
});
