// End to end, the IPv6 half of the OS port against a real kernel (before the daemon uses it):
// MRT6_INIT and MIFs, MLD reports from a stock Linux host with their hop limit and Router
// Alert, an MLD query the host answers, an upcall for a sender's data, a forwarding entry and
// its counters, and nothing left after close. Needs root; skipped with the reason printed
// otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, mldLabSupport, SRC_ADDR6 } from "../lab/lab.ts";
import { startMrt6Agent } from "../lab/mrt6_agent.ts";
import { startSender } from "../lab/sender.ts";
import { cache6, memberships6, mifs6 } from "../lab/kernel_state.ts";

const support = await mldLabSupport();
if (!support.ok) console.log(`SKIPPED MRT6 e2e tests: ${support.reason}`);

const SRC6 = SRC_ADDR6;

Deno.test({
  name: "e2e LinuxMrt6: MIFs, MLD in and out, an upcall, an entry with counters, clean close",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: "mcpm6-", hostsPerLan: [1] });
    const h11 = lab.ns.hosts[0][0];
    await using router = await startMrt6Agent(lab, lab.ns.proxy);
    await using host = await startMrt6Agent(lab, h11);

    deepStrictEqual(await router.command("init up0 dn1"), { ev: "inited", mifs: 2 });
    deepStrictEqual((await mifs6(lab)).map((m) => `${m.mif} ${m.name}`), ["0 up0", "1 dn1"]);
    equal((await router.command("join ff02::16 dn1")).ev, "joined");
    equal((await router.command("join ff02::2 dn1")).ev, "joined");

    // A stock host (MLDv2) joins ff05::1: its report reaches the routing socket.
    equal((await host.command("join ff05::1 eth0")).ev, "joined");
    const report = await router.command("recv 3000");
    equal(report.ev, "rx", JSON.stringify(report));
    equal(report.type, 143, "an MLDv2 report");
    equal(report.hopLimit, 1);
    equal(report.routerAlert, true);
    equal(report.destination, "ff02::16");
    ok(String(report.source).startsWith("fe80::"), `link-local source: ${report.source}`);

    // An MLDv1 query with Router Alert: the host answers in MLDv1 within the delay.
    equal((await router.command("query dn1 1 1000")).ev, "sent");
    let answer = await router.command("recv 3000");
    while (answer.ev === "rx" && answer.type !== 131) answer = await router.command("recv 3000");
    equal(answer.type, 131, `an MLDv1 report: ${JSON.stringify(answer)}`);
    equal(answer.hopLimit, 1);

    // The sender's data for a group without an entry: one NOCACHE upcall on MIF 0.
    const first = await startSender(lab, { groups: ["ff05::2"], rate: 20, ttl: 5 });
    let upcall = await router.command("recv 3000");
    while (upcall.ev === "rx" && upcall.kind !== "upcall") {
      upcall = await router.command("recv 3000");
    }
    deepStrictEqual(upcall, {
      ev: "rx",
      kind: "upcall",
      msgtype: 1,
      mif: 0,
      source: SRC6,
      group: "ff05::2",
    });
    await first.stop();

    // An entry forwards the next datagrams to the host's LAN, and counts them.
    equal((await router.command(`mfc ${SRC6} ff05::1 0 1`)).ev, "done");
    const entry = (await cache6(lab)).find((e) => e.group === "ff05::1" && e.iif >= 0);
    deepStrictEqual(entry && { origin: entry.origin, iif: entry.iif, oifs: entry.oifs }, {
      origin: SRC6,
      iif: 0,
      oifs: [{ vif: 1, ttl: 1 }],
    });
    const second = await startSender(lab, { groups: ["ff05::1"], rate: 20, ttl: 5, duration: 0.2 });
    await second.child.status;
    const sent = (await second.stop())["ff05::1"];
    ok(sent >= 3, `sent ${sent}`);
    await new Promise((r) => setTimeout(r, 100));
    const count = await router.command(`count ${SRC6} ff05::1`);
    equal(count.packets, sent, JSON.stringify(count));
    equal((await cache6(lab)).find((e) => e.group === "ff05::1" && e.iif >= 0)?.packets, sent);
    equal((await mifs6(lab)).find((m) => m.name === "dn1")?.pktsOut, sent, "out of dn1");
    equal((await router.command(`delmfc ${SRC6} ff05::1`)).ev, "done");
    equal((await cache6(lab)).filter((e) => e.group === "ff05::1" && e.iif >= 0).length, 0);

    await router[Symbol.asyncDispose]();
    deepStrictEqual(await mifs6(lab), [], "no MIF is left");
    ok(!(await memberships6(lab, "dn1")).includes("ff02::16"), "ff02::16 is left");
  },
});
