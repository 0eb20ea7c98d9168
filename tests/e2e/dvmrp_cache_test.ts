// End-to-end test of the routing mode's forwarding entries over time: an entry that still carries
// data when its cache lifetime (300 s, mrouted's default) ends is kept, as mrouted keeps it
// (the manual: "cache entries get refreshed if traffic is flowing"), instead of being deleted
// and made again by the next datagram's upcall. In the router lab's chain, a member behind r3
// and a sender behind r1. Needs root and a kernel with multicast routing (the test VM); skipped
// with the reason otherwise.

import { equal, ok } from "node:assert/strict";
import { labSupport } from "../lab/lab.ts";
import { createRouterLab } from "../lab/router_lab.ts";
import { startRouterLabHost } from "../lab/router_lab_agents.ts";
import {
  eventually,
  mfc,
  routeConverged,
  show,
  startRouter,
  stopAll,
} from "../lab/router_checks.ts";
import { startSender } from "../lab/sender.ts";
import { wallNow } from "../lab/json_lines.ts";
import type { Host } from "../lab/host.ts";

const PREFIX = "mcp-dvc-"; // under the runner's cleanStaleLabs() default prefix "mcp-"
const G = "239.1.1.9";
/** mrouted's default cache lifetime, ours too. */
const CACHE_LIFETIME_MS = 300_000;
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED DVMRP cache e2e test: ${support.reason}`);

Deno.test({
  name: "e2e DVMRP chain: forwarding entries that carry data outlive their cache lifetime",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createRouterLab({ topology: "chain", prefix: PREFIX });
    const daemons = await Promise.all([1, 2, 3].map((i) => startRouter(lab, i)));
    let h31: Host | undefined;
    try {
      await Promise.all(daemons.map((d) => d.waitForLine(/info: Started: DVMRP on \d interfaces/)));
      await routeConverged(daemons[2], "10.1.0.0/24", 3);
      h31 = await startRouterLabHost(lab, 3, 1);
      const joinedAt = await h31.join(G);
      const sender = await startSender(lab, { groups: [G], rate: 20, ifaceAddr: lab.senderAddr });
      const s = lab.senderAddr;
      try {
        await h31.waitFor(G, { since: joinedAt, count: 10, timeoutMs: 20_000 });
        const before = await Promise.all([1, 2, 3].map((i) => mfc(lab, i, s, G)));
        ok(before.every((e) => e !== undefined && e.packets > 0), JSON.stringify(before));
        // Each router reads its entry's counts at the end of its lifetime, and keeps it.
        const pair = `\\(${s.replaceAll(".", "\\.")}, ${G.replaceAll(".", "\\.")}\\)`;
        const kept = new RegExp(`debug: Cache entry ${pair} kept: \\d+ packets counted`);
        const t0 = wallNow();
        await Promise.all(daemons.map((d) => d.waitForLine(kept, CACHE_LIFETIME_MS + 60_000)));
        console.log(
          `  entries kept at the end of their lifetime, ${(wallNow() - t0).toFixed(0)} ms later`,
        );
        const timedOut = new RegExp(`Cache entry ${pair} timed out`);
        for (const d of daemons) {
          equal(d.lines.filter((l) => timedOut.test(l)).length, 0, "no entry timed out");
        }
        // The same kernel entries: their counts went on growing, never reset by a new entry.
        await eventually(
          () => "the counts stopped growing",
          async () => {
            const after = await Promise.all([1, 2, 3].map((i) => mfc(lab, i, s, G)));
            return after.every((e, i) => e !== undefined && e.packets > before[i]!.packets);
          },
        );
        const rows = (await show(daemons[0], "cache")).cache as {
          group: string;
          ageSeconds: number;
          expiresInSeconds: number;
        }[];
        const row = rows.find((r) => r.group === G);
        ok(row !== undefined && row.ageSeconds >= CACHE_LIFETIME_MS / 1000, JSON.stringify(rows));
        ok(row.expiresInSeconds > 0, JSON.stringify(row));
        // And the member still gets the stream.
        await h31.waitFor(G, { since: wallNow(), count: 10, timeoutMs: 20_000 });
      } finally {
        await sender.stop();
      }
    } finally {
      await h31?.close();
      await stopAll(lab, daemons);
    }
  },
});
