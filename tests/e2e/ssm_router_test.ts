// End to end with an upstream router we did not write: Debian's FRR pimd as a PIM-SSM router
// between the sender and the proxy (sender -- router -- proxy -- stock host), forwarding a
// channel of 232/8 only onto a link where an IGMPv3 report asked for its source. First the
// router alone, from the proxy's namespace without the daemon: an any-source membership gets
// nothing, a source-specific one gets the channel. Then the daemon: a stock host on LAN 1
// joins (S, G) and must receive the channel through both. The upstream interface has no
// `source` line: the source the LAN names is admitted (issue 17). IPv4 only: Debian's FRR 8.4
// builds no pim6d. Needs root, tcpdump, a kernel with multicast routing and FRR; skipped
// with the reason otherwise.

import { equal } from "node:assert/strict";
import { hasTcpdump } from "../lab/capture.ts";
import { labConfig, startDaemon } from "../lab/daemon.ts";
import { Host } from "../lab/host.ts";
import { createLab, labSupport, ORIGIN_ADDR, UPSTREAM_ADDR } from "../lab/lab.ts";
import { stopClean } from "../lab/kernel_state.ts";
import { frrSupport, frrVersion, startPimRouter } from "../lab/pim_router.ts";
import { startSender } from "../lab/sender.ts";
import { SSM_TIMERS } from "../lab/ssm_families.ts";
import { lastDatagram, onWire, reportRecords, startWireWatch } from "../lab/wire_watch.ts";

const PREFIX = "mcppim-";
const G = "232.1.1.1";
const S1 = ORIGIN_ADDR;
const RATE = 100;

const lab4 = await labSupport();
const frr = lab4.ok ? await frrSupport() : lab4;
const tcpdump = frr.ok && await hasTcpdump();
const why = !lab4.ok ? lab4.reason : !frr.ok ? frr.reason : !tcpdump ? "no tcpdump" : "";
if (why !== "") console.log(`SKIPPED the PIM-SSM router e2e test: ${why}`);

Deno.test({
  name: "e2e SSM through FRR's PIM-SSM router: a stock host's (S, G) join gets the channel",
  ignore: why !== "",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    console.log(`  ${await frrVersion()}`);
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1], routedSource: true });
    const router = await startPimRouter(lab);
    try {
      const sourceLink = await startWireWatch(lab, lab.ns.src, { iface: "sn0", filter: "udp" });
      const upstreamLink = await startWireWatch(lab, lab.ns.src, { filter: "udp or igmp" });
      const lan = await startWireWatch(lab, lab.ns.hosts[0][0], { filter: "udp" });
      await startSender(lab, { groups: [G], rate: RATE, ttl: 8, ns: lab.ns.origin, ifaceAddr: S1 });
      // As the proxy's kernel, without the daemon: a host on the router's IGMPv3 link.
      const upstreamHost = await Host.start(lab, {
        ns: lab.ns.proxy,
        addr: UPSTREAM_ADDR,
        iface: lab.ifaces.upstream,
        name: "up0 host",
      });

      await t.step("the router ignores an any-source membership of an SSM group", async () => {
        const since = await upstreamHost.join(G);
        await upstreamLink.waitFor(
          `the EXCLUDE-mode report for ${G} from ${UPSTREAM_ADDR}`,
          (ps) => ps.some((p) => reportRecords(p).some((r) => r.group === G && r.type === "to_ex")),
        );
        await sourceLink.waitFor(
          `${2 * RATE} datagrams from ${S1} at the router`,
          () => onWire(sourceLink, G, S1, since) >= 2 * RATE,
        );
        equal(onWire(upstreamLink, G, S1, since), 0, "datagrams of S1 on the upstream link");
        await upstreamHost.leave(G);
      });

      await t.step("the router forwards the channel on an (S, G) membership", async () => {
        const since = await upstreamHost.source("join-source", G, S1);
        const rx = await upstreamHost.waitFor(G, { since, count: RATE, timeoutMs: 10_000 });
        console.log(
          `  (S, G) join to the first datagram upstream: ${(rx[0].t - since).toFixed(0)} ms`,
        );
        const leftAt = await upstreamHost.source("leave-source", G, S1);
        const last = await lastDatagram(upstreamLink, {
          group: G,
          source: S1,
          since: leftAt,
          quietMs: 1000,
          timeoutMs: 15_000,
        });
        console.log(
          `  the router stopped ${((last ?? leftAt) - leftAt).toFixed(0)} ms after the leave`,
        );
        await upstreamHost.close();
      });

      const daemon = await startDaemon(lab, { config: SSM_TIMERS + labConfig(lab) });
      await daemon.waitForLine(/info: Started/);
      await using h11 = await Host.onLan(lab, 1, 1);

      await t.step("nothing reaches the LAN before a host joins", async () => {
        const since = Host.now();
        await sourceLink.waitFor(
          `${RATE} more datagrams from ${S1} at the router`,
          () => onWire(sourceLink, G, S1, since) >= RATE,
        );
        equal(onWire(lan, G, S1, since), 0, "datagrams on LAN 1's wire");
      });

      await t.step("a stock host joins (S1, G) behind the proxy and gets the channel", async () => {
        const since = await h11.source("join-source", G, S1);
        try {
          const rx = await h11.waitFor(G, { since, count: RATE, timeoutMs: 10_000 });
          console.log(
            `  (S, G) join to the first datagram on LAN 1: ${(rx[0].t - since).toFixed(0)} ms`,
          );
        } catch (e) {
          const mroute = await router.vtysh("show ip mroute").catch((x) => String(x));
          const igmp = await router.vtysh("show ip igmp sources").catch((x) => String(x));
          const reports = upstreamLink.packets.filter((p) => p.time >= since)
            .flatMap(reportRecords).filter((r) => r.group === G)
            .map((r) => `${r.type} { ${r.sources.join(" ")} }`);
          throw new Error(
            `${(e as Error).message}\nthe proxy's upstream records for ${G}: ` +
              `${reports.join(", ") || "none"}\nrouter "show ip igmp sources":\n${igmp}` +
              `router "show ip mroute":\n${mroute}`,
          );
        }
        // The capture reads the wire after the host's socket: wait for it to catch up.
        await lan.waitFor(
          `${RATE} datagrams from ${S1} on LAN 1's wire`,
          () => onWire(lan, G, S1, since) >= RATE,
        );
      });

      await t.step("SIGTERM: the kernel tables are empty", async () => {
        await stopClean(lab, daemon);
      });
      await Promise.all([sourceLink.stop(), upstreamLink.stop(), lan.stop()]);
    } finally {
      await router.stop();
    }
  },
});
