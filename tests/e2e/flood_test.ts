// End to end, a LAN host floods the proxy with malformed IGMP (random bytes, bad checksums,
// truncated packets, absurd IGMPv3 record and source counts, bad lengths, unknown types) as
// fast as it can, while streams flow to two LANs. The daemon must stay up, keep its memory,
// keep forwarding, answer new joins at once, and count what it dropped. Needs root; skipped
// with the reason printed otherwise.

import { equal, ok } from "node:assert/strict";
import { createLab, labSupport, useIgmpV2Hosts } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { type DaemonProcess, startDaemon } from "../lab/daemon.ts";
import { startIgmpTool } from "../lab/igmp_tool.ts";
import { gaps, logged, sleep, stopClean } from "../lab/kernel_state.ts";
import { watchForwarding } from "../lab/forwarding_watch.ts";
import { DROP_LOG_PER_SECOND } from "../../src/core/proxy.ts";

const G1 = "239.1.1.1";
const G2 = "239.1.1.2";
const PACKETS = 60_000;
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED flood e2e tests: ${support.reason}`);

/** The daemon's resident set size in kB, from /proc/PID/status. */
async function rssKb(daemon: DaemonProcess): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${daemon.child.pid}/status`);
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (m === null) throw new Error("No VmRSS in /proc/PID/status");
  return Number(m[1]);
}

/** The daemon's CPU time (user + system) in seconds, from /proc/PID/stat. */
async function cpuSeconds(daemon: DaemonProcess): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${daemon.child.pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
}

Deno.test({
  name: "e2e flood: tens of thousands of malformed packets leave the daemon up and forwarding",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: "mcpfl-", hostsPerLan: [2, 1] });
    await useIgmpV2Hosts(lab);
    const daemon = await startDaemon(lab); // -d -v: drops are logged, at a bounded rate
    await daemon.waitForLine(/info: Started/);
    const sender = await startSender(lab, { groups: [G1, G2], rate: 200 });
    await using h11 = await Host.onLan(lab, 1, 1);
    await using h21 = await Host.onLan(lab, 2, 1);
    await h11.join(G1);
    await h21.join(G2);
    await h11.waitFor(G1, { count: 50, timeoutMs: 5000 });
    await h21.waitFor(G2, { count: 50, timeoutMs: 5000 });
    await sleep(500);
    const rssBefore = await rssKb(daemon);
    const cpuBefore = await cpuSeconds(daemon);
    const linesBefore = daemon.lines.length;

    const ownDrops = new Map([[h11, await h11.watchDrops()], [h21, await h21.watchDrops()]]);
    const forwarded = [
      await watchForwarding(lab, { family: 4, iif: "up0", oif: "dn1" }),
      await watchForwarding(lab, { family: 4, iif: "up0", oif: "dn2" }),
    ];
    const since = Host.now();
    const flood = await startIgmpTool(lab, lab.ns.hosts[0][1], [
      "flood",
      "--iface",
      "eth0",
      "--source",
      lab.hostAddr(1, 2),
      "--count",
      String(PACKETS),
      "--seed",
      "7",
    ]);
    const summary = await flood.done;
    const floodMs = Host.now() - flood.readyAt;
    equal(summary.sent, PACKETS, `the flood sent all its packets (${summary.firstError ?? ""})`);
    await sleep(1000);
    const cpu = (await cpuSeconds(daemon)) - cpuBefore;
    const rssAfter = await rssKb(daemon);
    console.log(
      `  ${PACKETS} malformed packets in ${floodMs.toFixed(0)} ms ` +
        `(${(PACKETS / floodMs * 1000).toFixed(0)}/s); daemon CPU ${cpu.toFixed(2)} s; ` +
        `RSS ${(rssBefore / 1024).toFixed(1)} MB before, ${(rssAfter / 1024).toFixed(1)} MB after`,
    );

    // Still up, and still answering: a new member on LAN 2 gets G1 at once.
    equal(
      await Promise.race([daemon.status.then(() => "exited"), sleep(0).then(() => "up")]),
      "up",
    );
    const joined = await h21.join(G1);
    const first = await h21.waitFor(G1, { since: joined, count: 1, timeoutMs: 2000 });
    console.log(`  join after the flood to first datagram: ${(first[0].t - joined).toFixed(1)} ms`);

    // Forwarding to both LANs went on through the flood: every datagram, by the kernel's count.
    for (const forwardedAll of forwarded) await forwardedAll("through the flood");
    await h11.sync();
    await h21.sync();
    for (const [host, group] of [[h11, G1], [h21, G2]] as const) {
      const rx = host.received(group, since);
      // Less what the host's own socket dropped: that reached the host.
      const missing = Math.max(
        0,
        gaps(rx.map((r) => r.seq)).length - await ownDrops.get(host)!("ipv4"),
      );
      console.log(
        `  ${host.name}: ${rx.length} datagrams of ${group} since the flood began, ${missing} missing`,
      );
      ok(rx.length > 100, `${host.name} received ${rx.length} of ${group} during the flood`);
      ok(missing <= rx.length / 100, `${host.name} missed ${missing} of ${group}`);
    }
    ok(rssAfter - rssBefore < 32 * 1024, `RSS grew by ${rssAfter - rssBefore} kB`);
    // Drops are logged at most DROP_LOG_PER_SECOND times a second. Records of the flood that
    // happen to be valid IGMPv3 joins of random groups are joins like any other.
    const during = daemon.lines.slice(linesBefore);
    const dropLines = during.filter((l) => l.includes(" debug: Dropped ")).length;
    const joins = during.filter((l) => / debug: Group \S+ joined on "dn1"/.test(l)).length;
    console.log(`  ${dropLines} drop lines logged; ${joins} random groups validly joined`);
    const seconds = Math.ceil((Host.now() - since) / 1000) + 1;
    ok(dropLines <= (DROP_LOG_PER_SECOND + 1) * seconds, `${dropLines} drop lines`);
    equal(logged(daemon, "warn").filter((l) => !l.includes("groups, the most allowed")).length, 0);

    await sender.stop();
    // The flood's valid records left about 2,000 groups joined upstream, each left at exit: the
    // budget of the suite's other exits with thousands of groups, not that of a bare one.
    const exitMs = await stopClean(lab, daemon, 5000);
    console.log(`  SIGTERM to exit with ${joins + 2} upstream groups: ${exitMs.toFixed(0)} ms`);
    const totals = logged(daemon, "info").find((l) => l.startsWith("Since start, "));
    ok(totals !== undefined, "the drop totals are logged at exit");
    console.log(`  ${totals}`);
    const dropped = Number(/Since start, (\d+) inputs? dropped/.exec(totals)?.[1]);
    // Of the 11 kinds, 3 are dropped by the kernel (bad IP header); most of the others reach us.
    ok(dropped > PACKETS * 0.4, `dropped ${dropped}`);
    for (const reason of ["bad-igmp-checksum", "truncated-igmp", "bad-query-length"]) {
      ok(totals.includes(reason), `${reason} counted`);
    }
  },
});
