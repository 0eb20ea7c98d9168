// End to end, IPv6 querier election and MLD input validation on the real kernel: the daemon with
// `ipv6 yes` in a namespace lab. A rival router with a lower link-local address (fe80::1) sends
// MLDv1 general queries on LAN 1, so the proxy stops querying and forwarding there (RFC 2710
// section 6, RFC 4605 section 4.2) and takes over again once the rival has been quiet for the
// Other Querier Present Interval; meanwhile it still learns reports there and leaves Dones to
// the querier. Crafted MLDv1 reports that break RFC 2710's rules (hop limit, link-local source,
// length, destination) create no state and show up in the drop totals, while a valid one
// (crafted the same way) and a stock host's still work. The rival and the crafted reports come
// from `mrt6_agent.ts`'s `send` command on a LAN host. Needs root and a kernel with IPv6
// multicast routing; skipped with the reason printed otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, type Lab, mldLabSupport, SRC_ADDR6, useMldV1Hosts } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { type DaemonProcess, labConfig, startDaemon } from "../lab/daemon.ts";
import { type Captured, hasTcpdump, hopLimit, MLD_FILTER, startCapture } from "../lab/capture.ts";
import { startMrt6Agent } from "../lab/mrt6_agent.ts";
import {
  cache6,
  entryOf6,
  escapeRegExp,
  eventually,
  mifs6,
  pktsOut6,
  sleep,
  stopClean,
  upstreamGroups6,
} from "../lab/kernel_state.ts";
import { parseIPv6 } from "../../src/proto/addr.ts";
import { IN6ADDR_ANY } from "../../src/proto/mld.ts";
import { encodeMldQuery, encodeMldV1Report } from "../../src/proto/mld_encode.ts";

const PREFIX = "mcpmq-";
/** Query Interval 4 s, Query Response Interval 1 s, robustness 2 (the default). */
const TIMERS = "query-interval 4\nquery-response-interval 1\n";
/** Other Querier Present Interval = 2 × 4 s + 1 s / 2. */
const OQPI_MS = 8500;
/** The rival querier's link-local address: lower than any EUI-64 or random one. */
const RIVAL = "fe80::1";
/** How often the rival queries. */
const RIVAL_INTERVAL_MS = 1000;
/** Hop limit of the test streams: enough to cross the proxy and its MIF threshold. */
const HOPS = 5;

const support = await mldLabSupport();
if (!support.ok) console.log(`SKIPPED MLD querier e2e tests: ${support.reason}`);
const tcpdump = support.ok && await hasTcpdump();
if (support.ok && !tcpdump) {
  console.log("SKIPPED the MLD captures of the querier test (daemon log only): no tcpdump");
}

/** Index of the first log line at or after `from` that matches, or -1. */
function lineIndex(lines: string[], pattern: RegExp, from = 0): number {
  for (let i = from; i < lines.length; i++) if (pattern.test(lines[i])) return i;
  return -1;
}

/** Parses an IPv6 address of the test; throws on a typo. */
function ip6(s: string): Uint8Array {
  const a = parseIPv6(s);
  if (a === undefined) throw new TypeError(`Bad IPv6 address in test: "${s}"`);
  return a;
}

/** The reason counts of the daemon's `IPv6: Since start, N inputs dropped: ...` exit line. */
function exitDrops(daemon: DaemonProcess): { line: string; counts: Map<string, number> } {
  const line = daemon.lines.find((l) => /info: IPv6: Since start, \d+ inputs? dropped: /.test(l));
  ok(line !== undefined, `no IPv6 drop totals at exit:\n${daemon.lines.slice(-15).join("\n")}`);
  const counts = new Map<string, number>();
  for (const part of line.replace(/.*dropped: /, "").split(", ")) {
    const m = /^(\S+) (\d+)$/.exec(part.trim());
    if (m !== null) counts.set(m[1], Number(m[2]));
  }
  return { line, counts };
}

/** MLD queries sent by `from` in a capture. */
function queriesFrom(packets: Captured[], from: string): Captured[] {
  return packets.filter((p) =>
    p.body.startsWith(`${from} > `) && p.body.includes("multicast listener query")
  );
}

/** SIGTERM, the common checks, and no MIF or IPv6 entry left (checked here as well). */
async function stopAndCheck(lab: Lab, daemon: DaemonProcess): Promise<number> {
  const ms = await stopClean(lab, daemon);
  deepStrictEqual(await mifs6(lab), [], "/proc/net/ip6_mr_vif is empty after SIGTERM");
  deepStrictEqual(await cache6(lab), [], "/proc/net/ip6_mr_cache is empty after SIGTERM");
  deepStrictEqual(await upstreamGroups6(lab), [], "no upstream IPv6 membership is left");
  return ms;
}

Deno.test({
  name: "e2e MLD querier: a lower link-local querier silences us on its LAN; we take over after",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const G = "ff05::1";
    /** The group h13 joins and leaves while the rival is querier. */
    const G2 = "ff05::2";
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [3, 1] });
    await useMldV1Hosts(lab);
    // h11 is the rival router: its only link-local address is fe80::1.
    const rivalNs = lab.ns.hosts[0][0];
    for (
      const cmd of [
        ["-6", "addr", "flush", "dev", "eth0", "scope", "link"],
        ["-6", "addr", "add", `${RIVAL}/64`, "dev", "eth0", "nodad"],
      ]
    ) {
      const r = await lab.exec(rivalNs, ["ip", ...cmd]);
      equal(r.code, 0, r.stderr);
    }
    equal(await lab.linkLocal(rivalNs, "eth0"), RIVAL);
    const h12ns = lab.ns.hosts[0][1];
    const capture = tcpdump ? await startCapture(lab, h12ns, { filter: MLD_FILTER }) : undefined;
    const daemon = await startDaemon(lab, { config: "ipv6 yes\n" + TIMERS + labConfig(lab) });
    await daemon.waitForLine(/info: Started/);
    const dn1ll = await lab.linkLocal(lab.ns.proxy, "dn1");
    const h12ll = await lab.linkLocal(h12ns, "eth0");
    const sender = await startSender(lab, { groups: [G], rate: 100, ttl: HOPS });
    await using h12 = await Host.onLan(lab, 1, 2);
    await using h13 = await Host.onLan(lab, 1, 3);
    await using h21 = await Host.onLan(lab, 2, 1);
    const h13ll = await lab.linkLocal(lab.ns.hosts[0][2], "eth0");
    await h12.join(G);
    await h21.join(G);
    await h12.waitFor(G, { count: 20, timeoutMs: 5000 });
    await h21.waitFor(G, { count: 20, timeoutMs: 5000 });
    deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G))?.oifs.sort(), ["dn1:1", "dn2:1"]);

    // The rival: MLDv1 general queries (1 s to answer) every second, hop limit 1, Router Alert.
    await using rivalAgent = await startMrt6Agent(lab, rivalNs);
    const query = encodeMldQuery({ group: IN6ADDR_ANY, maxRespDelayMs: 1000, version: 1 });
    const rivalSent: number[] = [];
    let rivalOn = true;
    const rival = (async () => {
      while (rivalOn) {
        // The time before the command: the daemon may log its answer before the agent replies.
        const at = Host.now();
        rivalSent.push(at);
        await rivalAgent.send({
          source: RIVAL,
          destination: "ff02::1",
          hopLimit: 1,
          message: query,
        });
        const next = at + RIVAL_INTERVAL_MS;
        while (rivalOn && Host.now() < next) await sleep(Math.min(50, next - Host.now()));
      }
    })();
    // A failed send fails the test when the rival is awaited, not as an unhandled rejection.
    rival.catch(() => {});
    let lostAt = 0;
    let lostLine = -1;
    let quietUntil = 0;

    await t.step(
      "fe80::1 wins at once: no queries, data or Done handling of ours on LAN 1; LAN 2 unchanged",
      async () => {
        const line = await daemon.waitForLine(
          new RegExp(
            `info: IPv6: Querier on "dn1" is fe80::1, lower than our ${escapeRegExp(dn1ll)}: ` +
              "we stop querying and forwarding there",
          ),
          3000,
        );
        lostAt = Host.now();
        lostLine = daemon.lines.indexOf(line);
        // The first query the daemon heard from fe80::1 is the one that won.
        const heard = daemon.lines.slice(0, lostLine).filter((l) =>
          /IPv6: Received MLDv1 general query from fe80::1 on "dn1"/.test(l)
        );
        equal(heard.length, 1, `the first query wins:\n${heard.join("\n")}`);
        const ms = Date.parse(line.slice(0, 24)) - Date.parse(heard[0].slice(0, 24));
        console.log(`  rival's first query to "Querier on dn1 is fe80::1", logged: ${ms} ms`);
        await eventually(
          "dn1 to leave the entry",
          async () => (await entryOf6(lab, SRC_ADDR6, G))?.oifs.join() === "dn2:1",
        );
        // What was forwarded before has reached h12 (its agent may lag under emulation).
        await h12.settle(G);
        const dn1Before = await pktsOut6(lab, "dn1");
        const quietFrom = Host.now();
        // h13 joins another group and leaves it: its Done is the querier's business, not ours.
        const from = daemon.lines.length;
        await h13.join(G2);
        await daemon.waitForLine(
          new RegExp(`IPv6: Received v1-report for ff05::2 from ${escapeRegExp(h13ll)} on "dn1"`),
          2000,
        );
        await h13.leave(G2);
        await daemon.waitForLine(
          new RegExp(
            `IPv6: Dropped done for ff05::2 from ${
              escapeRegExp(h13ll)
            } on "dn1": leave-while-not-querier`,
          ),
          2000,
        );
        await sleep(quietFrom + 5000 - Host.now());
        ok(
          !daemon.lines.slice(from).some((l) => /IPv6: Group ff05::2 left on "dn1"/.test(l)),
          "the Done does not end ff05::2 on dn1",
        );
        ok((await upstreamGroups6(lab)).includes(G2), "ff05::2 stays joined upstream");
        await h12.sync();
        await h21.sync();
        quietUntil = Host.now();
        equal(h12.received(G, quietFrom).length, 0, "LAN 1 gets nothing from us");
        ok(h21.received(G, quietFrom).length > 400, "LAN 2 still gets the stream");
        equal(await pktsOut6(lab, "dn1") - dn1Before, 0, "the dn1 MIF sent nothing");
        const after = daemon.lines.slice(lostLine);
        deepStrictEqual(
          after.filter((l) => /IPv6: Sent .*query.* on "dn1"/.test(l)),
          [],
          "no IPv6 query of ours on LAN 1",
        );
        ok(after.some((l) => /IPv6: Sent general query on "dn2"/.test(l)), "LAN 2 still queried");
        ok(
          after.some((l) => /debug: Sent general query on "dn1"/.test(l)),
          "the IPv4 querier on dn1 is not affected",
        );
        ok(
          after.some((l) =>
            new RegExp(`IPv6: Received v1-report for ff05::1 from ${escapeRegExp(h12ll)} on "dn1"`)
              .test(l)
          ),
          "h12 answers the rival, and we still learn it",
        );
        ok(
          after.some((l) => /IPv6: Received MLDv1 general query from fe80::1 on "dn1"/.test(l)),
          "the rival's queries are logged",
        );
        ok(
          !after.some((l) => /IPv6: Querier on "dn1" is now/.test(l)),
          "no other querier change while the rival keeps querying",
        );
      },
    );

    await t.step(
      "the rival goes quiet: within the Other Querier Present Interval + 1 s we query and forward",
      async () => {
        rivalOn = false;
        await rival;
        const stoppedAt = Host.now();
        const lastQuery = rivalSent[rivalSent.length - 1];
        ok(rivalSent.length >= 5, `the rival sent ${rivalSent.length} queries`);
        await daemon.waitForLine(
          /info: IPv6: Querier fe80::1 on "dn1" went silent: we are the querier again/,
          OQPI_MS + 5000,
        );
        const backAt = Host.now();
        const resumed = lineIndex(daemon.lines, /IPv6: Querier fe80::1 on "dn1" went silent/);
        ok(resumed > lostLine);
        // Its general query follows at once (the line may still be on its way to us).
        const deadline = Host.now() + 1000;
        while (lineIndex(daemon.lines, /IPv6: Sent general query on "dn1"/, resumed) < 0) {
          ok(Host.now() < deadline, "a general query on dn1 within 1 s of taking over");
          await sleep(20);
        }
        const sinceLast = backAt - lastQuery;
        console.log(
          `  rival's last query to "we are the querier again": ${sinceLast.toFixed(0)} ms ` +
            `(Other Querier Present Interval ${OQPI_MS} ms; ${
              (backAt - stoppedAt).toFixed(0)
            } ms after the rival stopped)`,
        );
        ok(sinceLast > OQPI_MS - 300, `took over too early: ${sinceLast} ms after the last query`);
        ok(sinceLast < OQPI_MS + 1000, `took over ${sinceLast} ms after the last query`);
        const rx = await h12.waitFor(G, { since: backAt - 100, count: 20, timeoutMs: 3000 });
        console.log(`  forwarding onto LAN 1 again ${(rx[0].t - backAt).toFixed(0)} ms after`);
        ok(rx[0].t - backAt < 1000, "forwarding resumes at once");
        deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G))?.oifs.sort(), ["dn1:1", "dn2:1"]);
      },
    );

    await sender.stop();
    await t.step("SIGTERM: exit 0 within 1 s, no MIF, entry or membership left", async () => {
      const ms = await stopAndCheck(lab, daemon);
      console.log(`  SIGTERM to exit: ${ms.toFixed(0)} ms`);
    });

    if (capture === undefined) return;
    await t.step(
      "on the wire (h12's capture): our queries stop and resume, the rival's",
      async () => {
        const packets = await capture.stop();
        const rivals = queriesFrom(packets, RIVAL);
        ok(rivals.length >= rivalSent.length - 1, `the rival's ${rivalSent.length} queries seen`);
        for (const q of rivals) {
          equal(hopLimit(q), 1, `rival hop limit 1: ${q.header}`);
          ok(q.body.includes("rtalert"), `rival Router Alert: ${q.body}`);
        }
        const ours = queriesFrom(packets, dn1ll);
        const lastRival = rivals[rivals.length - 1].time;
        // A query of ours already on its way when the log line came is allowed: 100 ms.
        const during = ours.filter((q) => q.time > lostAt + 100 && q.time < quietUntil);
        deepStrictEqual(during.map((q) => q.body), [], "no query from dn1 while fe80::1 queries");
        const before = ours.filter((q) => q.time < rivals[0].time);
        ok(before.length >= 1, "we queried LAN 1 before the rival came");
        const resumedQ = ours.find((q) => q.time > lastRival + 1000);
        ok(resumedQ !== undefined, "we query LAN 1 again after the rival stopped");
        const gap = resumedQ.time - lastRival;
        console.log(`  on the wire: rival's last query to our next one: ${gap.toFixed(0)} ms`);
        ok(gap > OQPI_MS - 300 && gap < OQPI_MS + 1000, `next query of ours ${gap} ms later`);
        equal(hopLimit(resumedQ), 1);
        ok(resumedQ.body.includes("rtalert"), resumedQ.body);
      },
    );
  },
});

Deno.test({
  name: "e2e MLD validation: crafted bad reports create no state and are counted; good ones work",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const G = "ff05::9";
    /** The group of the valid crafted report (the control). */
    const CONTROL = "ff05::a";
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [2] });
    const h11ns = lab.ns.hosts[0][0];
    const daemon = await startDaemon(lab, { config: "ipv6 yes\n" + labConfig(lab) });
    await daemon.waitForLine(/info: Started/);
    const sender = await startSender(lab, { groups: [G], rate: 100, ttl: HOPS });
    await using crafter = await startMrt6Agent(lab, h11ns);
    const h11ll = await lab.linkLocal(h11ns, "eth0");
    const h11global = lab.hostAddr6(1, 1);
    const report = encodeMldV1Report(ip6(G));
    // The kernel's one upcall for the stream: a source known, no listener.
    await daemon.waitForLine(
      new RegExp(`IPv6: New source.*${escapeRegExp(SRC_ADDR6)}, ff05::9\\)`),
      3000,
    );

    const bad = [
      {
        reason: "bad-hop-limit",
        what: "hop limit 255",
        opts: { source: h11ll, destination: G, hopLimit: 255, message: report },
      },
      {
        reason: "mld-source-not-link-local",
        what: `from the global ${h11global}`,
        opts: { source: h11global, destination: G, hopLimit: 1, message: report },
      },
      {
        reason: "truncated-mld",
        what: "20 bytes",
        opts: { source: h11ll, destination: G, hopLimit: 1, message: report.slice(0, 20) },
      },
      {
        reason: "report-group-mismatch",
        what: "sent to ff05::10",
        opts: { source: h11ll, destination: "ff05::10", hopLimit: 1, message: report },
      },
    ];

    await t.step(
      "bad MLDv1 reports for ff05::9 are dropped with their reason: no join, no forwarding",
      async () => {
        const from = daemon.lines.length;
        const dn1Before = await pktsOut6(lab, "dn1");
        for (const b of bad) {
          await crafter.send(b.opts);
          const line = await daemon.waitForLine(
            new RegExp(`debug: IPv6: Dropped .*: ${b.reason}$`),
            2000,
          ).catch((e) => {
            throw new Error(`report ${b.what} not dropped as ${b.reason}: ${e.message}`);
          });
          console.log(`  report ${b.what}: ${line.replace(/.*debug: /, "")}`);
        }
        await sleep(1000);
        const after = daemon.lines.slice(from);
        deepStrictEqual(
          after.filter((l) => /IPv6: (Received|Group) .*ff05::9/.test(l)),
          [],
          "no report for ff05::9 accepted",
        );
        ok(!(await upstreamGroups6(lab)).includes(G), "ff05::9 is not joined on up0");
        equal(
          (await entryOf6(lab, SRC_ADDR6, G))?.oifs.sort(),
          undefined,
          "no resolved entry for ff05::9",
        );
        equal(await pktsOut6(lab, "dn1") - dn1Before, 0, "nothing forwarded onto LAN 1");
      },
    );

    await t.step(
      "the same report, valid (hop limit 1, link-local source), is accepted",
      async () => {
        await crafter.send({
          source: h11ll,
          destination: CONTROL,
          hopLimit: 1,
          message: encodeMldV1Report(ip6(CONTROL)),
        });
        await daemon.waitForLine(
          new RegExp(`IPv6: Received v1-report for ff05::a from ${escapeRegExp(h11ll)} on "dn1"`),
          2000,
        );
        await daemon.waitForLine(/IPv6: Group ff05::a joined on "dn1"/, 1000);
        await daemon.waitForLine(/IPv6: Joined ff05::a on "up0"/);
        deepStrictEqual(await upstreamGroups6(lab), [CONTROL], "only ff05::a is joined on up0");
      },
    );

    await t.step("a stock host's report for ff05::9 still works: joined, forwarded", async () => {
      await using h12 = await Host.onLan(lab, 1, 2);
      const joined = await h12.join(G);
      const rx = await h12.waitFor(G, { since: joined, count: 20, timeoutMs: 3000 });
      console.log(`  stock host's join to first datagram: ${(rx[0].t - joined).toFixed(0)} ms`);
      ok(rx[0].t - joined < 1000, "forwarded within 1 s of the join");
      deepStrictEqual(await upstreamGroups6(lab), [G, CONTROL]);
      deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G))?.oifs.sort(), ["dn1:1"]);
    });

    await sender.stop();
    await t.step("SIGTERM: clean exit; the drop totals name every reason once", async () => {
      await stopAndCheck(lab, daemon);
      const { line, counts } = exitDrops(daemon);
      console.log(`  exit totals: ${line.replace(/.*info: /, "")}`);
      for (const b of bad) equal(counts.get(b.reason), 1, `${b.reason} once in: ${line}`);
    });
  },
});
