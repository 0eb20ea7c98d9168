// End to end, `mcast-proxyctl doctor` in the lab, run in the proxy's network namespace as an
// operator runs it on the router: a healthy stream gives no problem, with the kernel's real
// tables compared; then one cause at a time, each made for real, and doctor names it: a stalled
// stream (its sender stopped), datagrams with TTL 1 (at the LAN's threshold), a sender outside
// the upstream subnet without a `source` line, rp_filter strict on the upstream interface, an
// nftables rule dropping IGMP on a LAN (skipped, saying why, when nft cannot run), and a rival
// querier with a lower address on a LAN. Needs root; skipped with the reason printed otherwise.

import { equal, ok } from "node:assert/strict";
import { createLab, type Lab, labSupport, SRC_ADDR } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { ctlArgv, type DaemonProcess, labConfig, startDaemon } from "../lab/daemon.ts";
import { entryOf, eventually, stopClean } from "../lab/kernel_state.ts";
import { startIgmpTool } from "../lab/igmp_tool.ts";
import { ip } from "../lab/links.ts";

const PREFIX = "mcp-doc-";
/** The proxy's address on LAN 2, above the hosts' (10.2.0.11, ...): a host may out-rank it. */
const DN2_ADDR = "10.2.0.200";
/** A sender outside up0's 10.0.0.0/24, on the upstream link. */
const FOREIGN = "192.0.2.2";
/** The nft table of the firewall step. */
const FW_TABLE = "mcpdoc";

const support = await labSupport();
if (!support.ok) console.log(`SKIPPED doctor e2e tests: ${support.reason}`);

/** One finding of doctor's JSON. */
interface Finding {
  rule: string;
  severity: "problem" | "note";
  subject: string;
  message: string;
  fix: string;
}

/** How much of the daemon's state doctor's JSON says it compared with the kernel's tables. */
interface Compared {
  vifs: number;
  entries: number;
  groups: number;
}

/** Runs doctor in the proxy's namespace; its exit code and findings. */
async function doctor(
  lab: Lab,
  daemon: DaemonProcess,
  ...args: string[]
): Promise<
  { code: number; findings: Finding[]; checked: string[]; compared: Compared; text: string }
> {
  const socket = daemon.controlSocket!;
  const json = await lab.exec(lab.ns.proxy, ctlArgv(socket, ["doctor", ...args, "--json"]));
  ok(json.code === 0 || json.code === 1, `doctor exit ${json.code}: ${json.stderr}`);
  const text = await lab.exec(lab.ns.proxy, ctlArgv(socket, ["doctor", ...args]));
  equal(text.code, json.code, text.stderr);
  const { findings, checked, compared } = JSON.parse(json.stdout);
  return { code: json.code, findings, checked, compared, text: text.stdout };
}

/** The problems of a rule. */
function problems(findings: Finding[], rule: string): Finding[] {
  return findings.filter((f) => f.rule === rule && f.severity === "problem");
}

/** Prints what doctor said, indented. */
function show(what: string, text: string): void {
  console.log(`  ${what}:\n${text.trimEnd().split("\n").map((l) => `    ${l}`).join("\n")}`);
}

Deno.test({
  name: "e2e doctor: names the cause of a stream that does not flow, one cause at a time",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    for (
      const cmd of [["addr", "flush", "dev", "dn2"], [
        "addr",
        "add",
        `${DN2_ADDR}/24`,
        "dev",
        "dn2",
      ]]
    ) {
      const r = await lab.exec(lab.ns.proxy, ["ip", ...cmd]);
      equal(r.code, 0, r.stderr);
    }
    const daemon = await startDaemon(lab, { config: labConfig(lab), flags: ["-d"] });
    await daemon.waitForLine(/info: Started/);
    await using h11 = await Host.onLan(lab, 1, 1);

    const sender = await startSender(lab, { groups: ["239.1.1.1"], rate: 50 });
    await t.step("a stream that flows: no problem, exit 0", async () => {
      const t0 = await h11.join("239.1.1.1");
      await h11.waitFor("239.1.1.1", { since: t0, count: 10 });
      const d = await doctor(lab, daemon, "239.1.1.1");
      show("doctor 239.1.1.1", d.text);
      equal(d.code, 0, d.text);
      equal(d.findings.filter((f) => f.severity === "problem").length, 0, d.text);
      // The kernel's real tables were read and agree with the daemon: no false alarm.
      for (
        const file of ["ip_mr_vif", "ip_mr_cache", "igmp", "mcfilter"].map((f) => `/proc/net/${f}`)
      ) {
        ok(d.checked.includes(file), `${file} compared: ${d.checked.join(", ")}`);
      }
      // Something stable was compared: the VIFs, the stream's entry, its group joined upstream.
      const { vifs, entries, groups } = d.compared;
      ok(vifs > 0 && entries > 0 && groups > 0, `compared ${JSON.stringify(d.compared)}`);
      equal(d.findings.filter((f) => f.rule === "kernel-mismatch").length, 0, d.text);
    });

    await t.step("its sender stops: a stalled stream", async () => {
      await sender.stop();
      const s = await doctor(lab, daemon, "239.1.1.1");
      show("doctor 239.1.1.1", s.text);
      equal(s.code, 1);
      const stalled = problems(s.findings, "stalled-stream");
      equal(stalled.length, 1, s.text);
      ok(stalled[0].message.includes(`(${SRC_ADDR}, 239.1.1.1)`), stalled[0].message);
    });

    await t.step("datagrams with TTL 1: at dn1's threshold, never forwarded", async () => {
      const sender = await startSender(lab, { groups: ["239.1.1.2"], rate: 50, ttl: 1 });
      await h11.join("239.1.1.2");
      await eventually(
        "the entry",
        async () => (await entryOf(lab, SRC_ADDR, "239.1.1.2")) !== undefined,
      );
      const d = await doctor(lab, daemon, "239.1.1.2");
      show("doctor 239.1.1.2", d.text);
      equal(d.code, 1);
      const ttl = problems(d.findings, "ttl-threshold");
      equal(ttl.length, 1, d.text);
      ok(ttl[0].message.includes("dn1"), ttl[0].message);
      await sender.stop();
    });

    await t.step("a sender outside up0's subnet, without a source line", async () => {
      await ip(["-n", lab.ns.src, "addr", "add", `${FOREIGN}/24`, "dev", "eth0"]);
      await ip(["-n", lab.ns.proxy, "route", "add", "192.0.2.0/24", "via", SRC_ADDR, "dev", "up0"]);
      const sender = await startSender(lab, {
        groups: ["239.1.1.3"],
        rate: 50,
        ifaceAddr: FOREIGN,
      });
      await h11.join("239.1.1.3");
      // Its data is refused and counted (not logged without -v): wait for the count.
      await eventually("the refused data", async () => {
        const r = await lab.exec(
          lab.ns.proxy,
          ctlArgv(daemon.controlSocket!, ["show", "counters", "--json"]),
        );
        return JSON.parse(r.stdout).counters[0].refusedSource?.source === FOREIGN;
      }, 20_000);
      const d = await doctor(lab, daemon, "239.1.1.3");
      show("doctor 239.1.1.3", d.text);
      equal(d.code, 1);
      const off = problems(d.findings, "off-subnet-sender");
      equal(off.length, 1, d.text);
      ok(off[0].message.includes(FOREIGN), off[0].message);
      ok(off[0].fix.includes("source"), off[0].fix);
      await sender.stop();
    });

    await t.step("rp_filter strict on up0", async () => {
      const set = (v: number) =>
        lab.exec(lab.ns.proxy, ["sysctl", "-qw", `net.ipv4.conf.up0.rp_filter=${v}`]);
      equal((await set(1)).code, 0);
      try {
        const d = await doctor(lab, daemon);
        show("doctor", d.text);
        equal(d.code, 1);
        const rp = problems(d.findings, "rp-filter");
        equal(rp.length, 1, d.text);
        ok(rp[0].message.includes("up0"), rp[0].message);
        ok(rp[0].fix.includes("rp_filter"), rp[0].fix);
      } finally {
        await set(0);
      }
    });

    const nft = (command: string) => lab.exec(lab.ns.proxy, ["nft", command]);
    const usable = await nft("list ruleset");
    if (usable.code !== 0) {
      console.log(
        `SKIPPED the doctor's firewall step: nft cannot be run in the lab (exit ${usable.code}: ` +
          `${usable.stderr.trim() || "no reason given"}); ./run installs nftables`,
      );
    }
    await t.step({
      name: "a firewall drops IGMP arriving on dn1: the rule, its counter",
      ignore: usable.code !== 0,
      fn: async () => {
        const group = "239.1.1.4";
        const sender = await startSender(lab, { groups: [group], rate: 50 });
        try {
          for (
            const cmd of [
              `add table ip ${FW_TABLE}`,
              `add chain ip ${FW_TABLE} pre { type filter hook prerouting priority -300; }`,
              `add rule ip ${FW_TABLE} pre iifname "dn1" ip protocol igmp counter drop`,
            ]
          ) {
            const r = await nft(cmd);
            equal(r.code, 0, `nft ${cmd}: ${r.stderr}`);
          }
          // h11's reports never reach the proxy: nothing of the group arrives.
          await h11.join(group);
          await eventually("the rule's counter", async () => {
            const r = await nft(`list table ip ${FW_TABLE}`);
            return /counter packets [1-9]/.test(r.stdout);
          });
          equal((await h11.collect(group, 2000)).length, 0, `nothing of ${group} reaches h11`);
          const d = await doctor(lab, daemon, group);
          show(`doctor ${group}`, d.text);
          equal(d.code, 1);
          ok(d.checked.includes("nft list ruleset"), d.checked.join(", "));
          const fw = problems(d.findings, "firewall");
          equal(fw.length, 1, d.text);
          ok(fw[0].subject.startsWith(`ip ${FW_TABLE} pre handle `), fw[0].subject);
          ok(fw[0].message.includes("arriving on dn1"), fw[0].message);
          const dropped = /has dropped (\d+) IGMP packets/.exec(fw[0].message);
          ok(dropped !== null && Number(dropped[1]) > 0, fw[0].message);
          ok(fw[0].fix.includes(`insert rule ip ${FW_TABLE} pre position`), fw[0].fix);

          // The table gone, the finding is too, and a new join brings the stream.
          equal((await nft(`delete table ip ${FW_TABLE}`)).code, 0);
          const after = await doctor(lab, daemon, group);
          show(`doctor ${group}`, after.text);
          equal(after.findings.filter((f) => f.rule === "firewall").length, 0, after.text);
          await h11.leave(group);
          const t0 = await h11.join(group);
          await h11.waitFor(group, { since: t0, count: 5 });
        } finally {
          await nft(`delete table ip ${FW_TABLE}`);
          await sender.stop();
        }
      },
    });

    await t.step("a router with a lower address queries on LAN 2", async () => {
      const rival = await startIgmpTool(lab, lab.ns.hosts[1][0], [
        "query",
        "--iface",
        "eth0",
        "--source",
        lab.hostAddr(2, 1),
        "--interval-ms",
        "2000",
        "--max-resp-ms",
        "1000",
      ]);
      try {
        await daemon.waitForLine(/info: Querier on "dn2" is 10\.2\.0\.11, lower than our/);
        const d = await doctor(lab, daemon);
        show("doctor", d.text);
        equal(d.code, 1);
        const rq = problems(d.findings, "rival-querier");
        equal(rq.length, 1, d.text);
        ok(rq[0].message.includes("10.2.0.11") && rq[0].message.includes("dn2"), rq[0].message);
      } finally {
        await rival.stop();
      }
    });

    await stopClean(lab, daemon);
  },
});
