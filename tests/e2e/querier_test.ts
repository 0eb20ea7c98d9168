// End to end, querier election (RFC 2236 section 3, RFC 4605 section 4.2): another router with
// a lower address queries on LAN 1, so the proxy stops querying and forwarding there; when it
// goes quiet for the Other Querier Present Interval, the proxy takes over and forwards again.
// The other router is a raw-socket query sender on a LAN host. Needs root; skipped with the
// reason printed otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, type Lab, labSupport, SRC_ADDR, useIgmpV2Hosts } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { startDaemon } from "../lab/daemon.ts";
import { startIgmpTool } from "../lab/igmp_tool.ts";
import {
  entryOf,
  eventually,
  pktsOut,
  proxyJoined,
  sleep,
  stopClean,
} from "../lab/kernel_state.ts";

const G = "239.1.1.1";
const OURS = "10.1.0.200";
/** Query Interval 4 s, Query Response Interval 1 s, robustness 2. */
const TIMERS = "query-interval 4\nquery-response-interval 1\n";
/** Other Querier Present Interval = 2 × 4 s + 1 s / 2. */
const OQPI_MS = 8500;
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED querier e2e tests: ${support.reason}`);

/** Gives the proxy 10.1.0.200 on LAN 1, so that the hosts (10.1.0.11, ...) have lower addresses. */
async function moveProxyAboveHosts(lab: Lab): Promise<void> {
  for (
    const cmd of [["addr", "flush", "dev", "dn1"], ["addr", "add", `${OURS}/24`, "dev", "dn1"]]
  ) {
    const r = await lab.exec(lab.ns.proxy, ["ip", ...cmd]);
    equal(r.code, 0, r.stderr);
  }
}

/** Index of the last log line that matches, or -1. */
function lastIndex(lines: string[], re: RegExp): number {
  for (let i = lines.length - 1; i >= 0; i--) if (re.test(lines[i])) return i;
  return -1;
}

/** The wall-clock ms of a log line, from its ISO timestamp. */
function loggedAt(line: string): number {
  return Date.parse(line.slice(0, 24));
}

/** Index of the first log line at or after `from` that matches. */
function lineIndex(lines: string[], re: RegExp, from = 0): number {
  for (let i = from; i < lines.length; i++) if (re.test(lines[i])) return i;
  return -1;
}

Deno.test({
  name: "e2e querier: a lower-addressed querier silences us on its LAN; we take over after it",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using lab = await createLab({ prefix: "mcpqr-", hostsPerLan: [2, 1] });
    await useIgmpV2Hosts(lab);
    await moveProxyAboveHosts(lab);
    const config = TIMERS + "interface up0 { upstream }\ninterface dn1 { downstream }\n" +
      "interface dn2 { downstream }\n";
    const daemon = await startDaemon(lab, { config });
    await daemon.waitForLine(/info: Started/);
    const sender = await startSender(lab, { groups: [G], rate: 100 });
    await using h12 = await Host.onLan(lab, 1, 2);
    await using h21 = await Host.onLan(lab, 2, 1);
    await h12.join(G);
    await h21.join(G);
    await h12.waitFor(G, { count: 20, timeoutMs: 5000 });
    await h21.waitFor(G, { count: 20, timeoutMs: 5000 });
    deepStrictEqual((await entryOf(lab, SRC_ADDR, G))?.oifs, ["dn1:1", "dn2:1"]);
    // Under -v each transition of a group's state machine is one debug line.
    await daemon.waitForLine(
      /debug: Group 239\.1\.1\.1 on "dn1": v2-report as IS_EX \(\{\}\), INCLUDE \{\} -> EXCLUDE \{\} \{\} \(\(B-A\)=0, Delete \(A-B\), Group Timer=GMI\)/,
    );

    // The other router: IGMPv2 general queries every 2 s from 10.1.0.11, 1 s to answer.
    const rival = await startIgmpTool(lab, lab.ns.hosts[0][0], [
      "query",
      "--iface",
      "eth0",
      "--source",
      lab.hostAddr(1, 1),
      "--interval-ms",
      "2000",
      "--max-resp-ms",
      "1000",
    ]);
    let lostAt = 0;
    let lostLine = 0;

    await t.step(
      "the lower address wins at once: no more queries or data from us on LAN 1",
      async () => {
        await daemon.waitForLine(
          /info: Querier on "dn1" is 10\.1\.0\.11, lower than our 10\.1\.0\.200: we stop/,
        );
        lostAt = Host.now();
        lostLine = lineIndex(daemon.lines, /Querier on "dn1" is 10\.1\.0\.11/);
        // The election's transition, one debug line, just before.
        ok(
          lineIndex(
            daemon.lines.slice(0, lostLine),
            /debug: Querier election on "dn1": lower-query from 10\.1\.0\.11, querier -> non-querier \(note-querier, start-other-querier-timer, lost\)/,
          ) >= 0,
          "the election's transition is logged",
        );
        console.log(
          `  rival's first query to "Querier on dn1" logged: ${
            (lostAt - rival.readyAt).toFixed(0)
          } ms`,
        );
        await eventually(
          "dn1 to leave the entry",
          async () => (await entryOf(lab, SRC_ADDR, G))?.oifs.join() === "dn2:1",
        );
        // What was forwarded before has reached h12 (its agent may lag under emulation).
        await h12.settle(G);
        const dn1Before = await pktsOut(lab, "dn1");
        const quietFrom = Host.now();
        await sleep(5000);
        await h12.sync();
        await h21.sync();
        equal(h12.received(G, quietFrom).length, 0, "LAN 1 gets nothing from us");
        equal(await pktsOut(lab, "dn1") - dn1Before, 0, "the dn1 VIF sent nothing");
        ok(h21.received(G, quietFrom).length > 400, "LAN 2 still gets the stream");
        const after = daemon.lines.slice(lostLine);
        equal(
          after.filter((l) => /Sent (general|group-specific) query.* on "dn1"/.test(l)).length,
          0,
          "no query of ours on LAN 1",
        );
        ok(after.some((l) => /Sent general query on "dn2"/.test(l)), "LAN 2 still queried");
        ok(
          after.some((l) =>
            /Received v2-report for 239\.1\.1\.1 from 10\.1\.0\.12 on "dn1"/.test(l)
          ),
          "the member answers the other querier, and we still learn it",
        );
      },
    );

    await t.step(
      "it goes quiet: after the Other Querier Present Interval we query and forward",
      async () => {
        const summary = await rival.stop();
        ok(summary.sent >= 3, `the rival sent ${summary.sent} queries`);
        const line = await daemon.waitForLine(
          /info: Querier 10\.1\.0\.11 on "dn1" went silent: we are the querier again/,
          OQPI_MS + 5000,
        );
        const backAt = Host.now();
        const resumed = lineIndex(daemon.lines, /went silent/, lostLine);
        ok(resumed >= 0, line);
        ok(
          lineIndex(
            daemon.lines,
            /debug: Querier election on "dn1": other-querier-timer-expired, non-querier -> querier \(stop-other-querier-timer, resumed\)/,
            lostLine,
          ) >= 0,
          "the timer's transition is logged",
        );
        // Its general query follows at once (the line may still be on its way to us).
        const deadline = Host.now() + 1000;
        while (lineIndex(daemon.lines, /Sent general query on "dn1"/, resumed) < 0) {
          ok(Host.now() < deadline, "a general query at once");
          await sleep(20);
        }
        // By the daemon's own clock: from the last query it heard from the rival.
        const heard = lastIndex(
          daemon.lines.slice(0, resumed),
          /Received IGMPv2 general query from 10\.1\.0\.11 on "dn1"/,
        );
        ok(heard >= 0, "the rival's queries are logged");
        const ms = loggedAt(line) - loggedAt(daemon.lines[heard]);
        console.log(`  rival's last query to "we are the querier again": ${ms.toFixed(0)} ms`);
        ok(ms > OQPI_MS - 100 && ms < OQPI_MS + 1000, `took over ${ms} ms after its last query`);
        const rx = await h12.waitFor(G, { since: backAt, count: 20, timeoutMs: 3000 });
        console.log(`  forwarding onto LAN 1 again after ${(rx[0].t - backAt).toFixed(0)} ms`);
        deepStrictEqual((await entryOf(lab, SRC_ADDR, G))?.oifs, ["dn1:1", "dn2:1"]);
      },
    );

    await sender.stop();
    await stopClean(lab, daemon);
  },
});

Deno.test({
  name: "e2e querier: an IGMPv1 router on a LAN is a warning; a higher address does not win",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: "mcpqr-", hostsPerLan: [2] });
    await useIgmpV2Hosts(lab);
    const daemon = await startDaemon(lab);
    await daemon.waitForLine(/info: Started/);
    const sender = await startSender(lab, { groups: [G], rate: 100 });
    await using h12 = await Host.onLan(lab, 1, 2);
    await h12.join(G);
    await h12.waitFor(G, { count: 20, timeoutMs: 5000 });
    // IGMPv1 queries (code 0) from 10.1.0.11, above our 10.1.0.1.
    const v1 = await startIgmpTool(lab, lab.ns.hosts[0][0], [
      "query",
      "--iface",
      "eth0",
      "--source",
      lab.hostAddr(1, 1),
      "--version",
      "1",
      "--interval-ms",
      "200",
      "--count",
      "5",
    ]);
    equal((await v1.done).sent, 5);
    await daemon.waitForLine(
      /warn: An IGMPv1 router \(10\.1\.0\.11\) is querying on "dn1": IGMPv1 has no querier/,
    );
    await sleep(300);
    equal(
      daemon.lines.filter((l) => l.includes("An IGMPv1 router")).length,
      1,
      "one warning for five queries",
    );
    ok(!daemon.lines.some((l) => /Querier on "dn1"/.test(l)), "we stay querier");
    deepStrictEqual((await entryOf(lab, SRC_ADDR, G))?.oifs, ["dn1:1"]);
    await sender.stop();
    await stopClean(lab, daemon);
  },
});

Deno.test({
  name: "e2e querier: as non-querier, a Leave is ignored; the querier's unanswered query ends it",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: "mcpqr-", hostsPerLan: [2, 1] });
    await useIgmpV2Hosts(lab);
    await moveProxyAboveHosts(lab);
    const daemon = await startDaemon(lab);
    await daemon.waitForLine(/info: Started/);
    await using h12 = await Host.onLan(lab, 1, 2);
    await using h21 = await Host.onLan(lab, 2, 1);
    await h12.join(G);
    await h21.join(G);
    await daemon.waitForLine(/Group 239\.1\.1\.1 joined on "dn1"/);
    const rivalArgs = ["--iface", "eth0", "--source", lab.hostAddr(1, 1)];
    const general = await startIgmpTool(lab, lab.ns.hosts[0][0], [
      "query",
      ...rivalArgs,
      "--interval-ms",
      "2000",
    ]);
    await daemon.waitForLine(/Querier on "dn1" is 10\.1\.0\.11/);
    // h12 leaves: its Leave reaches us, and we ignore it.
    await h12.leave(G);
    await daemon.waitForLine(
      /Dropped leave for 239\.1\.1\.1 from 10\.1\.0\.12 on "dn1": leave-while-not-querier/,
    );
    await sleep(3000);
    ok(!daemon.lines.some((l) => /Group 239\.1\.1\.1 left on "dn1"/.test(l)), "not ended by us");
    ok(!daemon.lines.some((l) => /Sent group-specific query/.test(l)), "no query of ours");
    // The querier checks the group (2 queries, 1 s to answer); nobody answers: it ends.
    const specific = await startIgmpTool(lab, lab.ns.hosts[0][0], [
      "query",
      ...rivalArgs,
      "--group",
      G,
      "--max-resp-ms",
      "1000",
      "--interval-ms",
      "1000",
      "--count",
      "2",
    ]);
    await daemon.waitForLine(/Group 239\.1\.1\.1 left on "dn1"/, 5000);
    // From the tool's first query (it sends right after it says it is ready).
    const ms = Host.now() - specific.readyAt;
    console.log(
      `  the querier's group-specific query to the group's end here: ${ms.toFixed(0)} ms`,
    );
    ok(ms < 2000 + 1000, `ended ${ms} ms after the first group-specific query`);
    equal((await specific.done).sent, 2);
    ok(await proxyJoined(lab, G), "LAN 2 still wants it: still joined upstream");
    await general.stop();
    await stopClean(lab, daemon);
  },
});
