// End-to-end tests of the routing mode (mcast-routed, DVMRP): three of our routers in the router
// lab (tests/lab/router_lab.ts), real Linux hosts joining, a real sender behind router 1. Needs
// root and a kernel with multicast routing (the test VM); skipped with the reason otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { labSupport, parseMrCache, parseMrVif } from "../lab/lab.ts";
import { createRouterLab } from "../lab/router_lab.ts";
import { startRouterLabHost } from "../lab/router_lab_agents.ts";
import {
  ctl,
  eventually,
  mfc,
  routeConverged,
  type RouteRow,
  show,
  startRouter,
  stopAll,
  type Stopped,
} from "../lab/router_checks.ts";
import type { DaemonProcess } from "../lab/daemon.ts";
import { startSender } from "../lab/sender.ts";
import { askNeighbors, startIgmpTool } from "../lab/igmp_tool.ts";
import { scaledWait } from "../lab/wait_scale.ts";
import { wallNow } from "../lab/json_lines.ts";
import type { Host } from "../lab/host.ts";

const PREFIX = "mcp-dv-"; // under the runner's cleanStaleLabs() default prefix "mcp-"
const G = "239.1.1.1";
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED DVMRP e2e tests: ${support.reason}`);

/** A row of the Virtual Interface Table (`show routes`, as mrouted prints it). */
interface VifRow {
  vif: number;
  address: string;
  metric: number;
  threshold: number;
  flags: string[];
}

/** The Virtual Interface Table's rows in the text of `show routes`. */
function vifRows(text: string): VifRow[] {
  const row = /^ {2}(\d+) +(\d+\.\d+\.\d+\.\d+) +(?:subnet|tunnel): \S+ +(\d+) +(\d+)(.*)$/;
  return text.split("\n").flatMap((l) => {
    const m = row.exec(l);
    if (m === null) return [];
    const [, vif, address, metric, threshold, flags] = m;
    return [{
      vif: Number(vif),
      address,
      metric: Number(metric),
      threshold: Number(threshold),
      flags: flags.trim().split(/ +/).filter(Boolean),
    }];
  });
}

/** Sends `signal` and returns the info lines logged after it, once one passes `last`. */
async function signalled(
  daemon: DaemonProcess,
  signal: Deno.Signal,
  last: (line: string) => boolean,
): Promise<string[]> {
  const from = daemon.lines.length;
  Deno.kill(daemon.child.pid, signal);
  const since = () =>
    daemon.lines.slice(from).flatMap((l) => {
      const m = / info: (.*)$/.exec(l);
      return m === null ? [] : [m[1]];
    });
  await eventually(
    () => `no end of the ${signal} tables`,
    () => Promise.resolve(since().some(last)),
  );
  return since();
}

Deno.test({
  name: "e2e DVMRP chain: routes converge, the stream reaches only the LAN with a member, " +
    "prunes stop it at the source, a graft brings it back",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using lab = await createRouterLab({ topology: "chain", prefix: PREFIX });
    const t0 = performance.now();
    const daemons = await Promise.all([1, 2, 3].map((i) => startRouter(lab, i)));
    const stoppedEarly = new Map<DaemonProcess, Stopped>();
    let h21: Host | undefined;
    let h31: Host | undefined;
    try {
      await Promise.all(daemons.map((d) => d.waitForLine(/info: Started: DVMRP on \d interfaces/)));
      const [r1, r2, r3] = daemons;

      await t.step("each router runs as the lab's user, jailed (-u, -t)", async () => {
        for (const d of daemons) {
          const line = await d.waitForLine(/info: Running as "nobody"/);
          ok(line.endsWith(`jailed in "${d.routedJail}"`), line);
          equal(await Deno.readLink(`/proc/${d.child.pid}/root`), d.routedJail);
        }
      });

      await t.step("routes converge with the metrics of the chain", async () => {
        const routes = await routeConverged(r3, "10.1.0.0/24", 3);
        console.log(
          `  r3 has r1's LAN at metric 3 ${(performance.now() - t0).toFixed(0)} ms after the start`,
        );
        const lan1 = routes.find((r) => r.origin === "10.1.0.0/24")!;
        equal(lan1.gateway, "10.100.2.1", "through r2");
        ok(
          routes.some((r) => r.origin === "10.2.0.0/24" && r.metric === 2),
          JSON.stringify(routes),
        );
        const r1Routes = await routeConverged(r1, "10.3.0.0/24", 3);
        equal(r1Routes.find((r) => r.origin === "10.3.0.0/24")!.gateway, "10.100.1.2");
        const neighbors = (await show(r2, "neighbors")).neighbors as {
          address: string;
          twoWay: boolean;
        }[];
        deepStrictEqual(
          neighbors.map((n) => `${n.address} ${n.twoWay}`).sort(),
          ["10.100.1.1 true", "10.100.2.2 true"],
        );
      });

      const sender = await startSender(lab, { groups: [G], rate: 50, ifaceAddr: lab.senderAddr });
      try {
        h21 = await startRouterLabHost(lab, 2, 1);
        h31 = await startRouterLabHost(lab, 3, 1);
        const s = lab.senderAddr;

        await t.step(
          "a member behind r3 gets the stream; r2's LAN, without one, does not",
          async () => {
            const joinedAt = await h31!.join(G);
            const rx = await h31!.waitFor(G, { since: joinedAt, count: 20, timeoutMs: 20_000 });
            console.log(
              `  join to first datagram across two routers: ${(rx[0].t - joinedAt).toFixed(0)} ms`,
            );
            const atR1 = await mfc(lab, 1, s, G);
            deepStrictEqual([atR1?.iif, atR1?.oifs], ["lan0", ["r2"]]);
            deepStrictEqual((await mfc(lab, 2, s, G))?.oifs, ["r3"], "not onto r2's LAN");
            deepStrictEqual((await mfc(lab, 3, s, G))?.oifs, ["lan0"]);
            equal(h21!.received(G).length, 0);
          },
        );

        await t.step(
          "the member leaves: r3 prunes to r2, r2 to r1, and r1 stops sending",
          async () => {
            await h31!.leave(G);
            await eventually(
              () => `r1 still forwards: ${JSON.stringify(r1.lines.slice(-5))}`,
              async () => (await mfc(lab, 1, s, G))?.oifs.length === 0,
            );
            await h31!.settle(G);
            const before = (await mfc(lab, 2, s, G))?.packets ?? 0;
            await new Promise((r) => setTimeout(r, scaledWait(1000)));
            equal((await mfc(lab, 2, s, G))?.packets ?? 0, before, "nothing reaches r2 any more");
            const cache = (await show(r1, "cache")).cache as {
              group: string;
              outgoing: unknown[];
            }[];
            ok(cache.some((c) => c.group === G), JSON.stringify(cache));
            const r2cache = (await show(r2, "cache")).cache as {
              group: string;
              prunedUpstream: boolean;
            }[];
            ok(r2cache.some((c) => c.group === G && c.prunedUpstream), JSON.stringify(r2cache));
          },
        );

        await t.step(
          "the member joins again: grafts bring the stream back within a second",
          async () => {
            const joinedAt = await h31!.join(G);
            const rx = await h31!.waitFor(G, { since: joinedAt, count: 1, timeoutMs: 10_000 });
            const ms = rx[0].t - joinedAt;
            console.log(`  join to first datagram after the prunes (grafts): ${ms.toFixed(0)} ms`);
            ok(ms < scaledWait(1000), `the stream came back ${ms} ms after the join`);
            deepStrictEqual((await mfc(lab, 1, s, G))?.oifs, ["r2"]);
          },
        );

        await t.step(
          "SIGUSR1 and SIGUSR2 log mrouted's tables, as the kernel has them",
          async () => {
            const vifs = parseMrVif(await lab.readProc(lab.router(2), "/proc/net/ip_mr_vif"));
            const addrOf: Record<string, string> = {
              lan0: "10.2.0.1",
              r1: "10.100.1.2",
              r3: "10.100.2.1",
            };
            const routes = await signalled(r2, "SIGUSR1", (l) => l.startsWith("Memory: "));
            ok(routes.includes("Virtual Interface Table"), routes.join("\n"));
            for (const v of vifs) {
              const row = new RegExp(
                `^ +${v.vif} +${addrOf[v.name].replaceAll(".", "\\.")} +subnet: `,
              );
              ok(
                routes.some((l) => row.test(l)),
                `vif ${v.vif} (${v.name}):\n${routes.join("\n")}`,
              );
            }
            ok(routes.includes("Multicast Routing Table (5 entries)"), routes.join("\n"));
            const r1Vif = vifs.find((v) => v.name === "r1")!.vif;
            const r3Vif = vifs.find((v) => v.name === "r3")!.vif;
            const lanVif = vifs.find((v) => v.name === "lan0")!.vif;
            // In-Vif r1; out: r3 (r3 depends on us), and our LAN, a leaf ("*").
            const lan1 = routes.find((l) => l.startsWith(" 10.1.0 "))?.trim().split(/ +/);
            deepStrictEqual(lan1?.slice(0, 3), ["10.1.0", "10.100.1.1", "2"], routes.join("\n"));
            equal(lan1?.[4], String(r1Vif));
            deepStrictEqual(lan1?.slice(5).sort(), [`${r3Vif}`, `${lanVif}*`].sort());
            const entry = parseMrCache(await lab.readProc(lab.router(2), "/proc/net/ip_mr_cache"))
              .find((e) => e.origin === s && e.group === G && e.iif >= 0)!;
            const cache = await signalled(r2, "SIGUSR2", (l) => l === `>${s}`);
            // Origin, Mcast-group, CTmr, Age, Ptmr, IVif, Forwvifs.
            const row = cache.find((l) => l.startsWith(" 10.1.0 "))?.trim().split(/ +/);
            equal(row?.[1], G, cache.join("\n"));
            equal(row?.[4], "-", "no prune sent upstream");
            equal(row?.[5], String(entry.iif), "IVif as the kernel's");
            const forwarded = row!.slice(6).filter((v) => /^\d+$/.test(v)).map(Number);
            deepStrictEqual(forwarded, entry.oifs.map((o) => o.vif), cache.join("\n"));
          },
        );

        await t.step(
          "5000 hostile DVMRP messages on r1's LAN: dropped and counted, nothing else",
          async () => {
            const flood = await startIgmpTool(lab, lab.ns.src, [
              "flood",
              "--iface",
              "eth0",
              "--source",
              lab.senderAddr,
              "--count",
              "5000",
              "--protocol",
              "dvmrp",
            ]);
            equal((await flood.done).sent, 5000);
            const after = wallNow();
            await h31!.waitFor(G, { since: after, count: 10, timeoutMs: 20_000 });
            const seen = await show(r1, "neighbors");
            const dropped = Object.values(seen.dropped as Record<string, number>)
              .reduce((a, b) => a + b, 0);
            console.log(`  r1 dropped ${dropped} of 5000: ${JSON.stringify(seen.dropped)}`);
            ok(dropped > 1000, JSON.stringify(seen));
            const neighbors = seen.neighbors as { address: string; twoWay: boolean }[];
            ok(neighbors.some((n) => n.address === "10.100.1.2" && n.twoWay), "r2 stays");
            ok(neighbors.length <= 1 + 64, "the LAN's made-up neighbors are bounded");
            deepStrictEqual((await mfc(lab, 1, s, G))?.oifs, ["r2"]);
          },
        );

        await t.step(
          "SIGHUP: a good mrouted.conf is taken without a break, a bad one refused",
          async () => {
            await r2.rewrite("phyint lan0 threshold 64 # r2's LAN wants TTL > 64\n");
            Deno.kill(r2.child.pid, "SIGHUP");
            await r2.waitForLine(/info: Reloaded the configuration: DVMRP on 3 interfaces/);
            await h31!.waitFor(G, { since: wallNow(), count: 10, timeoutMs: 20_000 });
            await r2.rewrite("phyint lan0 metric 99\n");
            Deno.kill(r2.child.pid, "SIGHUP");
            await r2.waitForLine(/warn: Reload failed: the running configuration is kept/);
            ok(
              r2.lines.some((l) => /\.conf:1:\d+: metric "99" is out of range \(1-31\)/.test(l)),
              r2.lines.slice(-10).join("\n"),
            );
            await h31!.waitFor(G, { since: wallNow(), count: 10, timeoutMs: 20_000 });
          },
        );

        await t.step(
          "mrinfo's Ask Neighbors2 from a host on r2's LAN: r2 lists its vifs and neighbors",
          async () => {
            // h21 is no DVMRP neighbor: mrinfo runs on any host, and mrouted answers anyone.
            const reply = await askNeighbors(lab, lab.hosts[2][0], {
              source: lab.hostAddr(2, 1),
              router: lab.lanAddr(2),
            });
            ok(reply !== undefined, `no Neighbors2 from r2:\n${r2.lines.slice(-10).join("\n")}`);
            equal(reply.from, lab.lanAddr(2), "from the address asked, on the LAN");
            // Unicast to one host: no Router Alert (mrouted's way; a Linux multicast router on
            // the way would take such a packet for its daemon instead of forwarding it).
            equal(reply.routerAlert, false, "the reply carries no Router Alert");
            equal(reply.version, "3.255");
            const table = vifRows(await ctl(r2, ["show", "routes"]));
            const neighbors = (await show(r2, "neighbors")).neighbors as {
              vif: number;
              address: string;
              twoWay: boolean;
            }[];
            const expected = table.map((v) => {
              const on = neighbors.filter((n) => n.vif === v.vif && n.twoWay).map((n) => n.address);
              return {
                localAddress: v.address,
                metric: v.metric,
                threshold: v.threshold,
                querier: v.flags.includes("querier"),
                leaf: v.flags.includes("leaf"),
                neighbors: on.length > 0 ? on.sort() : ["0.0.0.0"],
              };
            });
            deepStrictEqual(
              reply.vifs.map((v) => ({
                localAddress: v.localAddress,
                metric: v.metric,
                threshold: v.threshold,
                querier: v.flags.querier,
                leaf: v.flags.leaf,
                neighbors: [...v.neighbors].sort(),
              })),
              expected,
              `show routes:\n${JSON.stringify(table)}\nshow neighbors: ${
                JSON.stringify(neighbors)
              }`,
            );
            // What the lab built, and the threshold of the SIGHUP before.
            deepStrictEqual(
              reply.vifs.map((v) => `${v.localAddress} ${v.threshold} ${v.neighbors}`).sort(),
              ["10.100.1.2 1 10.100.1.1", "10.100.2.1 1 10.100.2.2", "10.2.0.1 64 0.0.0.0"],
            );
            const received = (await show(r2, "neighbors")).received as Record<string, number>;
            ok((received["ask-neighbors2"] ?? 0) >= 1, JSON.stringify(received));
          },
        );

        await t.step(
          "mrinfo two hops away: h11, behind r1, asks r2 and gets r2's Neighbors2 through r1",
          async () => {
            // r1 is a multicast router running our daemon: its MRT_INIT socket is on the
            // kernel's Router Alert chain, and ip_forward hands a packet with Router Alert to
            // that chain instead of forwarding it. Without the empty IP_RETOPTS cmsg of our
            // unicast sends (LinuxMrt.send), r2's reply would carry the socket's Router Alert
            // and be swallowed by r1: h11 would get no reply. mrouted, and mrinfo's question,
            // go without Router Alert too.
            type Counts = Record<string, number>;
            const r1Counts = async () => {
              const seen = await show(r1, "neighbors");
              return { received: seen.received as Counts, dropped: seen.dropped as Counts };
            };
            const before = await r1Counts();
            const reply = await askNeighbors(lab, lab.hosts[1][0], {
              source: lab.hostAddr(1, 1),
              router: lab.lanAddr(2),
            });
            ok(
              reply !== undefined,
              `no Neighbors2 from r2 through r1:\n${r2.lines.slice(-10).join("\n")}\n--\n${
                r1.lines.slice(-10).join("\n")
              }`,
            );
            equal(reply.to, lab.hostAddr(1, 1));
            // r2 answers from its address on the interface the question came in on.
            equal(reply.from, lab.routerAddr(2, 1), "from r2's address on the link to r1");
            equal(reply.routerAlert, false, "r2's unicast reply carries no Router Alert");
            deepStrictEqual(
              reply.vifs.map((v) => v.localAddress).sort(),
              ["10.100.1.2", "10.100.2.1", "10.2.0.1"],
            );
            // Forwarded by r1's kernel, not taken by r1's daemon: neither message reached it.
            const after = await r1Counts();
            for (const type of ["ask-neighbors2", "neighbors2"]) {
              equal(after.received[type] ?? 0, before.received[type] ?? 0, `r1 received ${type}`);
            }
            equal(
              after.dropped["dvmrp-unexpected-neighbors2"] ?? 0,
              before.dropped["dvmrp-unexpected-neighbors2"] ?? 0,
              "r1 dropped no Neighbors2",
            );
          },
        );

        await t.step(
          "SIGQUIT (-d): r1 writes its routing tables to stderr and goes on routing",
          async () => {
            const tables = await signalled(r1, "SIGQUIT", (l) => l.startsWith("Memory: "));
            ok(tables.includes("Virtual Interface Table"), tables.join("\n"));
            for (const v of parseMrVif(await lab.readProc(lab.router(1), "/proc/net/ip_mr_vif"))) {
              ok(
                tables.some((l) => new RegExp(`^ +${v.vif} +10\\.[0-9.]+ +subnet: `).test(l)),
                `vif ${v.vif} (${v.name}):\n${tables.join("\n")}`,
              );
            }
            ok(tables.includes("Multicast Routing Table (5 entries)"), tables.join("\n"));
            ok(tables.some((l) => l.startsWith(" 10.3.0 ")), tables.join("\n"));
            // Still running: the control socket answers, the stream goes on through r1.
            const routes = (await show(r1, "routes")).routes as RouteRow[];
            equal(routes.length, 5, JSON.stringify(routes));
            await h31!.waitFor(G, { since: wallNow(), count: 10, timeoutMs: 20_000 });
            deepStrictEqual((await mfc(lab, 1, s, G))?.oifs, ["r2"]);
          },
        );

        // Last: r3 is stopped for good (stopAll takes its exit as it was).
        await t.step(
          "SIGTERM to r3: its good-bye withdraws r3's LAN from r2 and r1 long before expiry",
          async () => {
            const lan3 = "10.3.0.0/24";
            const r3Addr = lab.routerAddr(3, 2);
            const before = await routeConverged(r2, lan3, 2);
            equal(before.find((r) => r.origin === lan3)?.gateway, r3Addr);
            const t0 = performance.now();
            const stopping = r3.stop("SIGTERM");
            stoppedEarly.set(r3, stopping);
            equal((await stopping).code, 0, r3.lines.slice(-20).join("\n"));
            const withdrawn = async (d: DaemonProcess) => {
              const route = ((await show(d, "routes")).routes as RouteRow[])
                .find((r) => r.origin === lan3);
              return route === undefined || route.metric >= 32;
            };
            await eventually(
              () => `r2 still routes ${lan3}: ${JSON.stringify(r2.lines.slice(-8))}`,
              () => withdrawn(r2),
              30_000,
            );
            const ms = performance.now() - t0;
            console.log(`  SIGTERM to r3 until r2 withdrew r3's LAN: ${ms.toFixed(0)} ms`);
            // The neighbor times out after 35 s (routes after 140 s): the good-bye came first.
            const lost = `info: DVMRP neighbor ${r3Addr} lost`;
            ok(
              !r2.lines.some((l) => l.includes(lost)),
              `withdrawn only when r3 timed out, ${ms.toFixed(0)} ms after SIGTERM: no good-bye`,
            );
            await eventually(
              () => `r1 still routes ${lan3}: ${JSON.stringify(r1.lines.slice(-8))}`,
              () => withdrawn(r1),
              30_000,
            );
            // r2's kernel: its three vifs stay; nothing goes onto the link to r3 any more.
            const r2Vifs = parseMrVif(await lab.readProc(lab.router(2), "/proc/net/ip_mr_vif"));
            deepStrictEqual(r2Vifs.map((v) => v.name).sort(), ["lan0", "r1", "r3"]);
            const toR3 = r2Vifs.find((v) => v.name === "r3")!.vif;
            let cache = "";
            await eventually(
              () => `r2 still forwards onto r3 (vif ${toR3}):\n${cache}`,
              async () => {
                cache = await lab.readProc(lab.router(2), "/proc/net/ip_mr_cache");
                return parseMrCache(cache).filter((e) => e.iif >= 0)
                  .every((e) => e.oifs.every((o) => o.vif !== toR3));
              },
            );
            equal((await mfc(lab, 2, s, G))?.iif ?? "r1", "r1");
            for (const table of ["/proc/net/ip_mr_vif", "/proc/net/ip_mr_cache"]) {
              const rows = (await lab.readProc(lab.router(3), table)).split("\n").filter(Boolean);
              equal(rows.length, 1, `r3 left ${table} empty: ${rows.join("\n")}`);
            }
          },
        );
      } finally {
        await sender.stop();
      }
    } finally {
      await h21?.close();
      await h31?.close();
      await stopAll(lab, daemons, stoppedEarly);
    }
  },
});

Deno.test({
  name: "e2e DVMRP tunnel: two routers joined by a tunnel over a unicast-only router",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createRouterLab({ topology: "tunnel", prefix: PREFIX });
    const [a, b] = [lab.routerAddr(1, "u"), lab.routerAddr(3, "u")];
    const daemons = await Promise.all([
      startRouter(lab, 1, `tunnel ${a} ${b} metric 1\n`),
      startRouter(lab, 3, `tunnel ${b} ${a} metric 1\n`),
    ]);
    let h31: Host | undefined;
    const sender = await startSender(lab, { groups: [G], rate: 50, ifaceAddr: lab.senderAddr });
    try {
      await Promise.all(
        daemons.map((d) => d.waitForLine(/info: Started: DVMRP on 2 interfaces and 1 tunnels/)),
      );
      const [, r3] = daemons;
      const routes = await routeConverged(r3, "10.1.0.0/24", 2);
      equal(routes.find((r) => r.origin === "10.1.0.0/24")!.gateway, a);
      h31 = await startRouterLabHost(lab, 3, 1);
      const joinedAt = await h31.join(G);
      const rx = await h31.waitFor(G, { since: joinedAt, count: 10, timeoutMs: 20_000 });
      console.log(
        `  join to first datagram through the tunnel: ${(rx[0].t - joinedAt).toFixed(0)} ms`,
      );
      const entry = await mfc(lab, 3, lab.senderAddr, G);
      ok(
        entry?.iif.startsWith("dvmrp"),
        `r3's entry comes in on the tunnel: ${JSON.stringify(entry)}`,
      );
      deepStrictEqual(entry?.oifs, ["lan0"]);
      const atR1 = await mfc(lab, 1, lab.senderAddr, G);
      ok(atR1?.oifs.length === 1 && atR1.oifs[0].startsWith("dvmrp"), JSON.stringify(atR1));
    } finally {
      await sender.stop();
      await h31?.close();
      await stopAll(lab, daemons);
    }
  },
});
