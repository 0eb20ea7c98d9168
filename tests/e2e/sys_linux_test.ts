// End to end, the Linux OS port against a real kernel: what it lists of the interfaces of a lab
// namespace, IPv4 and IPv6 addresses with their prefix lengths. Needs root; skipped with the
// reason printed otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, denoRunArgv, labSupport } from "../lab/lab.ts";
import type { ListedInterface } from "../lab/list_interfaces.ts";

const support = await labSupport();
if (!support.ok) console.log(`SKIPPED OS port e2e tests: ${support.reason}`);

Deno.test({
  name: "e2e LinuxSys.interfaces: IPv4 and IPv6 addresses (global and link-local) per interface",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: "mcpos-", hostsPerLan: [1] });
    for (
      const cmd of [["addr", "add", "2001:db8:77::1/64", "dev", "dn1", "nodad"], [
        "addr",
        "add",
        "10.1.9.1/16",
        "dev",
        "dn1",
      ]]
    ) {
      const r = await lab.exec(lab.ns.proxy, ["ip", ...cmd]);
      equal(r.code, 0, r.stderr);
    }
    const r = await lab.exec(
      lab.ns.proxy,
      denoRunArgv(new URL("../lab/list_interfaces.ts", import.meta.url), [], ["--allow-ffi"]),
    );
    equal(r.code, 0, r.stderr);
    const listed = JSON.parse(r.stdout) as ListedInterface[];
    const dn1 = listed.find((i) => i.name === "dn1");
    ok(dn1 !== undefined, r.stdout);
    ok(dn1.up && dn1.running && dn1.multicast);
    deepStrictEqual(dn1.ipv4, ["10.1.0.1/24", "10.1.9.1/16"]);
    ok(dn1.ipv6.includes("2001:db8:77::1/64"), dn1.ipv6.join(" "));
    ok(dn1.ipv6.some((a) => /^fe80::[0-9a-f:]+\/64$/.test(a)), `a link-local address: ${dn1.ipv6}`);
    const ip = await lab.exec(lab.ns.proxy, ["ip", "-o", "link", "show", "dn1"]);
    equal(dn1.index, Number(ip.stdout.split(":")[0]));
    const lo = listed.find((i) => i.name === "lo");
    deepStrictEqual(lo?.ipv6, ["::1/128"]);
  },
});

Deno.test({
  name: "e2e LinuxSys.interfaces: an IPv6 address under duplicate address detection is tentative",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: "mcpos-", hostsPerLan: [1] });
    const p = lab.ns.proxy;
    await lab.sysctl(p, "net.ipv6.conf.dn1.accept_dad", 1);
    await lab.sysctl(p, "net.ipv6.conf.dn1.dad_transmits", 1);
    // One probe that waits 8 s for an answer: the listing below (a new Deno process, seconds
    // under emulation) sees the address still tentative.
    await lab.sysctl(p, "net.ipv6.neigh.dn1.retrans_time_ms", 8000);
    const added = await lab.exec(p, ["ip", "addr", "add", "2001:db8:78::1/64", "dev", "dn1"]);
    equal(added.code, 0, added.stderr);
    const list = async () => {
      const r = await lab.exec(
        p,
        denoRunArgv(new URL("../lab/list_interfaces.ts", import.meta.url), [], ["--allow-ffi"]),
      );
      equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as ListedInterface[]).find((i) => i.name === "dn1")!;
    };
    const during = await list();
    ok(during.ipv6.includes("2001:db8:78::1/64"));
    deepStrictEqual(during.tentative6, ["2001:db8:78::1/64"], "only the new address is tentative");
    // One probe, one retransmit timer (8 s): DAD is over within seconds after that.
    const end = performance.now() + 12_000;
    while (
      (await lab.exec(p, ["ip", "-6", "addr", "show", "dev", "dn1"])).stdout.includes("tentative")
    ) {
      ok(performance.now() < end, "DAD did not complete in 12 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    deepStrictEqual((await list()).tentative6, [], "ready once DAD completed");
  },
});
