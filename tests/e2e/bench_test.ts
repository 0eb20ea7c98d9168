// End to end, the benchmark's own machinery at a small scale: each scenario of `deno task bench`
// run against our daemon in a namespace lab gives numbers that make sense, and the peer it is
// compared with, Debian's igmpproxy (installed on demand), forwards in the same lab with the
// configuration the benchmark gives it. Needs root; skipped with the reason printed otherwise.

import { equal, ok } from "node:assert/strict";
import { createLab, labSupport, useIgmpV2Hosts } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { vifNames } from "../lab/kernel_state.ts";
import { scaledWait } from "../lab/wait_scale.ts";
import { igmpproxy, ours } from "../bench/contenders.ts";
import { burst, joinLeave, startup, storm } from "../bench/scenarios.ts";
import { ensureIgmpproxy, raiseMembershipLimit } from "../bench/igmpproxy.ts";

const PREFIX = "mcp-bn-";
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED benchmark e2e tests: ${support.reason}`);

Deno.test({
  name: "e2e bench: every scenario against our daemon, small, with numbers that make sense",
  ignore: !support.ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [2, 1] });
    await useIgmpV2Hosts(lab);

    const s = await startup(lab, ours, 1);
    ok(s.firstQueryMs > 0 && s.firstQueryMs < 10_000, `first query after ${s.firstQueryMs} ms`);
    ok(s.idleRssBytes > 10 * 1048576, `idle RSS ${s.idleRssBytes} bytes`);
    ok(s.startCpuS >= s.idleCpuS && s.idleCpuS >= 0);

    const jl = await joinLeave(lab, ours, {
      trials: 2,
      settings: { lastMemberQueryInterval: 0.1 },
    });
    equal(jl.joinTimeouts, 0);
    equal(jl.joinMs.length, 2);
    // The daemon's own delays are scaled for an emulated CPU; the protocol's timers are not.
    ok(jl.joinMs.every((ms) => ms > 0 && ms < scaledWait(1000)), `joins: ${jl.joinMs}`);
    equal(jl.reportToDataMs.length, 2, "the report and the first datagram seen on the wire");
    ok(
      jl.reportToDataMs.every((ms) => ms >= 0 && ms < scaledWait(100)),
      `report to data: ${jl.reportToDataMs}`,
    );
    // Last member query time 2 × 0.1 s: the stream stops 200 ms after the Leave.
    ok(jl.leaveMs.every((ms) => ms >= 150 && ms <= 200 + scaledWait(200)), `leaves: ${jl.leaveMs}`);

    const b = await burst(lab, ours, 100, 20);
    equal(b.firstMs.length, 100, "every group's first datagram");
    equal(b.within5s, 100);
    equal(b.received, 100, "the joining host received every group");
    ok(b.firstMs.every((ms) => ms > 0 && ms < 5000), `burst: max ${Math.max(...b.firstMs)} ms`);

    const st = await storm(lab, ours, 5000, 500, 1);
    equal(st.sent, 5000);
    equal(st.dropped, 0);
    equal(st.joinedUpstream, 500, "every reported group joined upstream");
    ok(st.processedRate > 1000, `${st.processedRate} reports/s`);
    ok(st.rssBytes >= st.rssBeforeBytes * 0.5);

    deepEqualEmpty(await vifNames(lab), "no VIF left once the scenarios stopped the daemon");
  },
});

Deno.test({
  name:
    "e2e bench: igmpproxy with the benchmark's configuration forwards a join, then leaves no VIF",
  ignore: !support.ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await ensureIgmpproxy();
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    await useIgmpV2Hosts(lab);
    await raiseMembershipLimit(lab, 64);
    const peer = await igmpproxy.start(lab);
    try {
      const sender = await startSender(lab, { groups: ["239.10.0.2"], rate: 200, ttl: 8 });
      await using host = await Host.onLan(lab, 1, 1);
      const t0 = await host.join("239.10.0.2");
      const rx = await host.waitFor("239.10.0.2", { since: t0, count: 5, timeoutMs: 5000 });
      equal(rx.length >= 5, true);
      await sender.stop();
    } finally {
      const { code } = await peer.stop();
      equal(code, 0, peer.lines.join("\n"));
    }
    deepEqualEmpty(await vifNames(lab), "igmpproxy removed its VIFs");
  },
});

function deepEqualEmpty(list: string[], message: string): void {
  equal(list.length, 0, `${message}: ${list.join(", ")}`);
}
