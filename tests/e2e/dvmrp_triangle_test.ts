// End-to-end test of a link failure in the routing mode's triangle (tests/lab/router_lab.ts) and
// the route hold-down it starts (draft-ietf-idmr-dvmrp-v3-11 section 3.4.8): r3 reaches r1's LAN
// straight over link 3 until that link fails; the route is then held down for 120 s, advertised
// with infinity, and the stream comes back through r2 only when the hold-down ends. Needs root
// and a kernel with multicast routing (the test VM); skipped with the reason otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { labSupport } from "../lab/lab.ts";
import { createRouterLab } from "../lab/router_lab.ts";
import { startRouterLabHost } from "../lab/router_lab_agents.ts";
import { eventually, mfc, routeWhen, startRouter, stopAll } from "../lab/router_checks.ts";
import { startSender } from "../lab/sender.ts";
import { wallNow } from "../lab/json_lines.ts";
import type { Host } from "../lab/host.ts";

const PREFIX = "mcp-dh-"; // under the runner's cleanStaleLabs() default prefix "mcp-"
const G = "239.1.1.1";
/** The draft's Route Hold-down: 2 report intervals. */
const HOLDDOWN_MS = 120_000;
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED DVMRP triangle e2e test: ${support.reason}`);

Deno.test({
  name: "e2e DVMRP triangle: the direct link fails, the route is held down 120 s, then the " +
    "stream goes around through r2",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using lab = await createRouterLab({ topology: "triangle", prefix: PREFIX });
    const daemons = await Promise.all([1, 2, 3].map((i) => startRouter(lab, i)));
    let h31: Host | undefined;
    const sender = await startSender(lab, { groups: [G], rate: 50, ifaceAddr: lab.senderAddr });
    try {
      await Promise.all(daemons.map((d) => d.waitForLine(/info: Started: DVMRP/)));
      const r3 = daemons[2];
      const s = lab.senderAddr;
      const lan1 = "10.1.0.0/24";
      const viaR1 = lab.routerAddr(1, 3);
      const viaR2 = lab.routerAddr(2, 3);
      await routeWhen(r3, lan1, (r) => r.metric === 2 && r.gateway === viaR1, 60_000);
      h31 = await startRouterLabHost(lab, 3, 1);
      const joinedAt = await h31.join(G);
      await h31.waitFor(G, { since: joinedAt, count: 10, timeoutMs: 20_000 });
      equal((await mfc(lab, 3, s, G))?.iif, "r1", "straight from r1");

      let cutAt = 0;
      await t.step(
        "the link r1–r3 goes down: r3's route to r1's LAN goes into hold-down",
        async () => {
          cutAt = wallNow();
          await lab.setLink(1, 3, false);
          const held = await routeWhen(r3, lan1, (r) => r.holddown, 20_000);
          // Infinity until r2's next report gives a path (its metric then, still held down).
          ok(held.metric === 32 || held.gateway === viaR2, JSON.stringify(held));
        },
      );

      await t.step(
        "in hold-down r3 learns the path through r2 but advertises infinity: r2 does not " +
          "forward to it, and the member behind r3 gets nothing",
        async () => {
          // r2 reports every 60 s.
          const learned = await routeWhen(
            r3,
            lan1,
            (r) => r.gateway === viaR2 && r.metric === 3,
            70_000,
          );
          ok(learned.holddown, `the hold-down is not over yet: ${JSON.stringify(learned)}`);
          // No poison reverse from r3 (infinity only): r3 is no dependent of r2 for r1's LAN.
          ok(!((await mfc(lab, 2, s, G))?.oifs ?? []).includes("r3"), "r2 forwards onto r3");
          equal((await mfc(lab, 3, s, G))?.iif ?? "none", "none", "r3 has no entry for the source");
          equal(h31!.received(G, cutAt + 2000).length, 0, "datagrams reached h31 in hold-down");
        },
      );

      await t.step(
        "120 s after the cut the route is advertised again: r2 forwards to r3, the stream is back",
        async () => {
          await routeWhen(r3, lan1, (r) => !r.holddown, HOLDDOWN_MS + 60_000);
          const endedAt = wallNow();
          const heldMs = endedAt - cutAt;
          console.log(`  the route to r1's LAN was held down ${heldMs.toFixed(0)} ms`);
          ok(heldMs >= HOLDDOWN_MS - 2000, `hold-down over after ${heldMs} ms`);
          await eventually(
            () => `r3 gets nothing through r2: ${JSON.stringify(r3.lines.slice(-8))}`,
            async () => (await mfc(lab, 3, s, G))?.iif === "r2",
            30_000,
          );
          const back = await h31!.waitFor(G, { since: cutAt + 2000, count: 10, timeoutMs: 30_000 });
          const gap = back[0].t - cutAt;
          console.log(`  link down to the stream through r2: ${gap.toFixed(0)} ms`);
          ok(gap >= HOLDDOWN_MS - 2000, `the stream came back ${gap} ms after the cut`);
          deepStrictEqual((await mfc(lab, 2, s, G))?.oifs, ["r3"]);
          deepStrictEqual((await mfc(lab, 1, s, G))?.oifs, ["r2"]);
        },
      );
    } finally {
      await sender.stop();
      await h31?.close();
      await stopAll(lab, daemons);
    }
  },
});
