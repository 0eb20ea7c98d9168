// End to end: the IGMP queries the daemon sends, as a host on the LAN captures them with
// tcpdump: general queries at startup, group-specific queries after a Leave, TTL 1, Router Alert,
// sent from the interface's address; IGMPv2 queries, as `igmp-version 2` asks. Needs root and tcpdump (installed by ./run); skipped with
// the reason printed otherwise.

import { equal, ok } from "node:assert/strict";
import { createLab, labSupport } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { labConfig, startDaemon } from "../lab/daemon.ts";
import { hasTcpdump, startCapture } from "../lab/capture.ts";

const support = await labSupport();
const tcpdump = await hasTcpdump();
const skip = !support.ok
  ? `needs root and network namespaces: ${support.reason}`
  : !tcpdump
  ? "tcpdump is not installed (./run installs it)"
  : undefined;
if (skip !== undefined) console.log(`SKIPPED query e2e tests: ${skip}`);

Deno.test({
  name: "e2e queries: igmp-version 2 general and group-specific queries, TTL 1, Router Alert",
  ignore: skip !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: "mcpq-", hostsPerLan: [1] });
    const h11ns = lab.ns.hosts[0][0];
    await lab.setIgmpVersion(h11ns, 2);
    const capture = await startCapture(lab, h11ns);
    const daemon = await startDaemon(lab, { config: "igmp-version 2\n" + labConfig(lab) });
    await daemon.waitForLine(/info: Started/);
    await using h11 = await Host.onLan(lab, 1, 1);
    await h11.join("239.1.1.1");
    // The host reports from a timer: a leave before its report went out would send nothing.
    await daemon.waitForLine(/Group 239\.1\.1\.1 joined on "dn1"/);
    await h11.leave("239.1.1.1");
    await daemon.waitForLine(/Group 239\.1\.1\.1 left on "dn1"/, 4000);
    equal((await daemon.stop()).code, 0);
    const packets = await capture.stop();
    const ours = packets.filter((p) =>
      p.body.startsWith("10.1.0.1 > ") && p.body.includes("query")
    );
    const general = ours.filter((p) => p.body === "10.1.0.1 > 224.0.0.1: igmp query v2");
    const specific = ours.filter((p) =>
      p.body === "10.1.0.1 > 239.1.1.1: igmp query v2 [max resp time 10] [gaddr 239.1.1.1]"
    );
    equal(
      general.length,
      1,
      `one startup general query (10 s max response):\n${ours.map((p) => p.body).join("\n")}`,
    );
    equal(specific.length, 2, "Last Member Query Count group-specific queries (1 s max response)");
    const gap = specific[1].time - specific[0].time;
    ok(gap > 900 && gap < 1200, `Last Member Query Interval apart: ${gap} ms`);
    for (const p of ours) {
      ok(p.header.includes("ttl 1,"), `TTL 1: ${p.header}`);
      ok(p.header.includes("options (RA)"), `Router Alert: ${p.header}`);
      ok(p.header.includes("tos 0xc0"), `TOS internetwork control: ${p.header}`);
    }
  },
});
