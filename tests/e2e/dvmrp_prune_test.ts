// End-to-end test of prune retransmission in the routing mode (draft-ietf-idmr-dvmrp-v3-11
// section 3.5.5): in the router lab's chain, r2 drops the first Prune r3 sends it; r3, still
// getting the data, sends the Prune again, and the stream stops at r2 and then at r1. Needs
// root, a kernel with multicast routing and nft in the lab (the test VM); skipped with the
// reason otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { labSupport } from "../lab/lab.ts";
import { createRouterLab, type RouterLab } from "../lab/router_lab.ts";
import { eventually, mfc, routeConverged, startRouter, stopAll } from "../lab/router_checks.ts";
import { startSender } from "../lab/sender.ts";
import { scaledWait } from "../lab/wait_scale.ts";

const PREFIX = "mcp-dvp-"; // under the runner's cleanStaleLabs() default prefix "mcp-"
const G = "239.1.1.7";
/** r3's debug line for a Prune it sends to r2 for r1's LAN. */
const PRUNE_SENT = /debug: Sent DVMRP prune \(10\.1\.0\.0, 239\.1\.1\.7\) to 10\.100\.2\.1/;
/** The nft table on r2 that loses r3's first Prune. */
const FW_TABLE = "mcplossy";
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED DVMRP prune e2e tests: ${support.reason}`);

/** Whether the packet count of a router's (S,G) entry stays the same for a (scaled) second. */
async function stopped(lab: RouterLab, i: number, source: string): Promise<boolean> {
  const before = (await mfc(lab, i, source, G))?.packets ?? 0;
  await new Promise((r) => setTimeout(r, scaledWait(1000)));
  return ((await mfc(lab, i, source, G))?.packets ?? 0) === before;
}

Deno.test({
  name: "e2e DVMRP chain: a lost Prune is sent again while the data still comes (3.5.5)",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using lab = await createRouterLab({ topology: "chain", prefix: PREFIX });
    const r2ns = lab.router(2);
    const nft = (command: string) => lab.exec(r2ns, ["nft", command]);
    const usable = await nft("list ruleset");
    if (usable.code !== 0) {
      console.log(
        `SKIPPED DVMRP prune e2e tests: nft cannot be run in the lab (exit ${usable.code}: ` +
          `${usable.stderr.trim() || "no reason given"}); ./run installs nftables`,
      );
      return;
    }
    // r2 drops the first DVMRP Prune (IGMP type 0x13, code 7) arriving from r3: the quota
    // lets one packet of the size of a Prune (44 bytes with its netmask) through the rule.
    const r3If = lab.ifname(2, 3);
    for (
      const cmd of [
        `add table ip ${FW_TABLE}`,
        `add chain ip ${FW_TABLE} pre { type filter hook prerouting priority -300; }`,
        `add rule ip ${FW_TABLE} pre iifname "${r3If}" ip protocol igmp @th,0,16 0x1307 ` +
        `quota until 60 bytes counter drop`,
      ]
    ) {
      const r = await nft(cmd);
      equal(r.code, 0, `nft ${cmd}: ${r.stderr}`);
    }
    const daemons = await Promise.all([1, 2, 3].map((i) => startRouter(lab, i)));
    try {
      await Promise.all(daemons.map((d) => d.waitForLine(/info: Started: DVMRP on \d interfaces/)));
      const [r1, r2, r3] = daemons;
      // r3 must depend on r2 for r1's LAN before the data comes, or r2 floods it nowhere.
      await routeConverged(r3, "10.1.0.0/24", 3);
      const sender = await startSender(lab, { groups: [G], rate: 50, ifaceAddr: lab.senderAddr });
      const s = lab.senderAddr;
      try {
        await t.step("r3, a leaf without members, prunes; r2 loses that first Prune", async () => {
          await eventually(
            () => `r2 dropped no Prune: ${JSON.stringify(r3.lines.slice(-8))}`,
            async () =>
              /counter packets [1-9]/.test((await nft(`list table ip ${FW_TABLE}`)).stdout),
          );
          ok(r3.lines.some((l) => PRUNE_SENT.test(l)), r3.lines.slice(-8).join("\n"));
        });

        await t.step("r3 sends it again; r2 prunes r3's link, then r1 stops sending", async () => {
          // The first check comes 1.5 s to 4.5 s after the Prune.
          await r3.waitForLine(
            /debug: Data of \(10\.1\.0\.0\/24, 239\.1\.1\.7\) still arrives: prune sent again/,
            20_000,
          );
          // The send's own line follows that one.
          await eventually(
            () => `sent once only: ${JSON.stringify(r3.lines.slice(-8))}`,
            () => Promise.resolve(r3.lines.filter((l) => PRUNE_SENT.test(l)).length >= 2),
            5_000,
          );
          await eventually(
            () => `r2 still forwards to r3: ${JSON.stringify(r2.lines.slice(-8))}`,
            async () => (await mfc(lab, 2, s, G))?.oifs.length === 0,
          );
          await eventually(
            () => `r1 still forwards to r2: ${JSON.stringify(r1.lines.slice(-8))}`,
            async () => (await mfc(lab, 1, s, G))?.oifs.length === 0,
          );
          ok(await stopped(lab, 2, s), "nothing reaches r2 any more");
          ok(await stopped(lab, 3, s), "nothing reaches r3 any more");
          // One Prune was lost, no more: the retransmission went through.
          const table = (await nft(`list table ip ${FW_TABLE}`)).stdout;
          deepStrictEqual(/counter packets (\d+)/.exec(table)?.[1], "1", table);
        });
      } finally {
        await sender.stop();
      }
    } finally {
      await nft(`delete table ip ${FW_TABLE}`);
      await stopAll(lab, daemons);
    }
  },
});
