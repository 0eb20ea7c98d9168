// Self-test of the router lab (tests/lab/router_lab.ts): each topology's addresses, settings
// and unicast reachability across routers, a link set down and up, a static tunnel vif through
// the unicast-only router, daemons started in router namespaces, teardown. Needs root and a
// kernel with multicast routing; skipped with the reason printed otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { cleanStaleLabs, labSupport, parseMrCache, parseMrVif } from "../lab/lab.ts";
import { createRouterLab, type RouterLab } from "../lab/router_lab.ts";
import {
  havePing,
  ipipSupport,
  startRouterDaemon,
  startRouterLabHost,
  unicastReachable,
} from "../lab/router_lab_agents.ts";
import { startSender } from "../lab/sender.ts";
import { scaledWait } from "../lab/wait_scale.ts";

const PREFIX = "mcp-rlt-"; // under the runner's cleanStaleLabs() default prefix "mcp-"
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED router lab tests: ${support.reason}`);
const ipip = support.ok ? await ipipSupport() : support;
if (support.ok && !ipip.ok) console.log(`SKIPPED router lab tunnel vif test: ${ipip.reason}`);
const python = support.ok &&
  (await new Deno.Command("sh", { args: ["-c", "command -v python3"] }).output()).code === 0;
if (support.ok && !python) console.log("SKIPPED router lab tunnel vif test: no python3");
if (support.ok && !await havePing()) console.log("  no ping here: reachability by UDP echo");

async function namespacesStartingWith(prefix: string): Promise<string[]> {
  const out = await new Deno.Command("ip", { args: ["netns", "list"] }).output();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(prefix));
}

/** `ip -4 -o addr show` in a namespace as sorted `dev address/len` lines, without `lo`. */
async function addresses(lab: RouterLab, ns: string): Promise<string[]> {
  const r = await lab.exec(ns, ["ip", "-4", "-o", "addr", "show"]);
  return r.stdout.split("\n").map((l) => /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(l))
    .filter((m) => m !== null && m[1] !== "lo").map((m) => `${m![1]} ${m![2]}`).sort();
}

/** A sysctl's value in a namespace. */
async function sysctl(lab: RouterLab, ns: string, key: string): Promise<string> {
  return (await lab.readProc(ns, `/proc/sys/${key.replaceAll(".", "/")}`)).trim();
}

/** The datagrams a namespace forwarded (`Ip: ForwDatagrams` of /proc/net/snmp). */
async function forwarded(lab: RouterLab, ns: string): Promise<number> {
  const ip = (await lab.readProc(ns, "/proc/net/snmp")).split("\n").filter((l) =>
    l.startsWith("Ip: ")
  ).map((l) => l.trim().split(/\s+/));
  return Number(ip[1][ip[0].indexOf("ForwDatagrams")]);
}

/** The operstate of a link in a namespace (`UP`, `DOWN`, ...). */
async function operstate(lab: RouterLab, ns: string, dev: string): Promise<string> {
  const r = await lab.exec(ns, ["ip", "-br", "link", "show", "dev", dev]);
  return r.stdout.trim().split(/\s+/)[1] ?? `missing: ${r.stderr.trim()}`;
}

/** Asserts unicast reachability (or, with `expect` false, its absence). */
async function reach(
  lab: RouterLab,
  from: string,
  to: string,
  addr: string,
  expect = true,
): Promise<void> {
  // A negative answer waits the whole timeout: a short one, but not so short as to hide a path.
  const timeoutMs = expect ? scaledWait(2000) : scaledWait(1000);
  const got = await unicastReachable(lab, { fromNs: from, toNs: to, addr, timeoutMs });
  equal(got, expect, `${from} -> ${addr} ${expect ? "unreachable" : "reachable"}`);
}

/** Builds a lab, runs `check` on it, destroys it and prints the times; nothing may be left. */
async function withLab(
  topology: "chain" | "triangle" | "tunnel",
  check: (lab: RouterLab) => Promise<void>,
): Promise<void> {
  const t0 = performance.now();
  const lab = await createRouterLab({ topology, prefix: PREFIX });
  const built = performance.now() - t0;
  try {
    await check(lab);
  } finally {
    const t1 = performance.now();
    await lab.destroy();
    console.log(
      `  ${topology} lab: ${lab.ns.routers.length + (lab.ns.u ? 1 : 0)} routers, built in ` +
        `${built.toFixed(0)} ms, destroyed in ${(performance.now() - t1).toFixed(0)} ms`,
    );
  }
  deepStrictEqual(await namespacesStartingWith(lab.id), [], "namespaces left");
}

Deno.test({
  name: "router lab chain: addresses, forwarding settings, r1's LAN reaches r3's across r2",
  ignore: !support.ok,
  fn: () =>
    withLab("chain", async (lab) => {
      deepStrictEqual(lab.routerIds, [1, 2, 3]);
      deepStrictEqual(lab.routers.map((n) => n.slice(lab.id.length)), ["-r1", "-r2", "-r3"]);
      equal(lab.ns.u, undefined);
      // Named as lab.ts's labs are: a live one is no stale lab.
      const cleaned = await cleanStaleLabs("mcp-");
      ok(!cleaned.some((n) => n.startsWith(lab.id)), `a live router lab was cleaned: ${cleaned}`);
      equal((await namespacesStartingWith(lab.id)).length, 3 + 3 + 3 + 1);
      deepStrictEqual(await addresses(lab, lab.router(2)), [
        "lan0 10.2.0.1/24",
        "r1 10.100.1.2/24",
        "r3 10.100.2.1/24",
      ]);
      deepStrictEqual(await addresses(lab, lab.router(1)), [
        "lan0 10.1.0.1/24",
        "r2 10.100.1.1/24",
      ]);
      deepStrictEqual(await addresses(lab, lab.hosts[3][0]), ["eth0 10.3.0.11/24"]);
      deepStrictEqual(await addresses(lab, lab.ns.src), ["eth0 10.1.0.99/24"]);
      equal(lab.routerAddr(3, 2), "10.100.2.2");
      equal(lab.ifname(2, 3), "r3");
      equal(lab.ifname(2), "lan0");
      deepStrictEqual(lab.peers(2), [1, 3]);
      for (const [k, ns] of lab.routers.entries()) {
        const i: number = lab.routerIds[k];
        equal(await sysctl(lab, ns, "net.ipv4.ip_forward"), "1", `ip_forward on r${i}`);
        const ifaces = ["all", "default", "lan0", ...lab.peers(i).map((p) => lab.ifname(i, p))];
        for (const key of ifaces) {
          equal(await sysctl(lab, ns, `net.ipv4.conf.${key}.rp_filter`), "0", `r${i} ${key}`);
        }
        // Multicast routing is the daemon's to turn on.
        equal(await sysctl(lab, ns, "net.ipv4.conf.all.mc_forwarding"), "0");
        deepStrictEqual(parseMrVif(await lab.readProc(ns, "/proc/net/ip_mr_vif")), []);
      }
      equal(await sysctl(lab, lab.hosts[1][0], "net.ipv4.ip_forward"), "0");
      const r1Routes = (await lab.exec(lab.router(1), ["ip", "-4", "route", "show"])).stdout;
      ok(r1Routes.includes("10.3.0.0/24 via 10.100.1.2 dev r2"), r1Routes);

      // Across two routers and back, counted by r2.
      const before = await forwarded(lab, lab.router(2));
      await reach(lab, lab.hosts[1][0], lab.hosts[3][0], lab.hostAddr(3, 1));
      await reach(lab, lab.ns.src, lab.hosts[3][0], lab.hostAddr(3, 1));
      await reach(lab, lab.hosts[3][0], lab.ns.src, lab.senderAddr);
      await reach(lab, lab.hosts[2][0], lab.hosts[1][0], lab.hostAddr(1, 1));
      await reach(lab, lab.router(1), lab.router(3), lab.routerAddr(3, 2));
      const crossed = await forwarded(lab, lab.router(2)) - before;
      ok(crossed >= 4, `r2 forwarded ${crossed} datagrams`);

      // A daemon in every router at once (each with its own configuration, jail and socket).
      const t0 = performance.now();
      const daemons = await Promise.all(lab.routerIds.map((i) => {
        const up = i === 1 ? 2 : i - 1;
        const downs = [
          "lan0",
          ...lab.peers(i).filter((p) => p !== up).map((p) => lab.ifname(i, p)),
        ];
        const config = [`interface ${lab.ifname(i, up)} { upstream }`]
          .concat(downs.map((d) => `interface ${d} { downstream }`)).join("\n") + "\n";
        return startRouterDaemon(lab, i, { config });
      }));
      try {
        await Promise.all(daemons.map((d) => d.waitForLine(/info: Started/, 30_000)));
        console.log(`  3 daemons started in ${(performance.now() - t0).toFixed(0)} ms`);
        const r2Vifs = parseMrVif(await lab.readProc(lab.router(2), "/proc/net/ip_mr_vif"));
        deepStrictEqual(r2Vifs.map((v) => v.name).sort(), ["lan0", "r1", "r3"]);
        equal(await sysctl(lab, lab.router(2), "net.ipv4.conf.all.mc_forwarding"), "1");
      } finally {
        const stopped = await Promise.all(daemons.map((d) => d.stop()));
        deepStrictEqual(
          stopped.map((s) => s.code),
          [0, 0, 0],
          daemons.map((d) => d.lines.join("\n")).join("\n--\n"),
        );
      }
    }),
});

Deno.test({
  name: "router lab triangle: setLink down breaks the r1-r3 edge, up restores it",
  ignore: !support.ok,
  fn: () =>
    withLab("triangle", async (lab) => {
      const [h11, h21, h31] = [lab.hosts[1][0], lab.hosts[2][0], lab.hosts[3][0]];
      deepStrictEqual(lab.peers(1), [2, 3]);
      deepStrictEqual(await addresses(lab, lab.router(3)), [
        "lan0 10.3.0.1/24",
        "r1 10.100.3.2/24",
        "r2 10.100.2.2/24",
      ]);
      const route = async () =>
        (await lab.exec(lab.router(1), ["ip", "-4", "route", "show", "10.3.0.0/24"])).stdout.trim();
      equal(await route(), "10.3.0.0/24 via 10.100.3.2 dev r3");
      await reach(lab, h11, h31, lab.hostAddr(3, 1));

      const t0 = performance.now();
      await lab.setLink(1, 3, false);
      const downMs = performance.now() - t0;
      equal(await operstate(lab, lab.router(1), "r3"), "DOWN");
      equal(await operstate(lab, lab.router(3), "r1"), "DOWN");
      equal(await route(), "", "the route through the link is gone");
      await reach(lab, h11, h31, lab.hostAddr(3, 1), false);
      await reach(lab, lab.router(1), lab.router(3), lab.routerAddr(3, 1), false);
      await reach(lab, h11, h21, lab.hostAddr(2, 1)); // the other edges still carry
      await reach(lab, lab.router(2), lab.router(3), lab.routerAddr(3, 2));

      const t1 = performance.now();
      await lab.setLink(1, 3, true);
      const upMs = performance.now() - t1;
      equal(await operstate(lab, lab.router(1), "r3"), "UP");
      equal(await operstate(lab, lab.router(3), "r1"), "UP");
      equal(await route(), "10.3.0.0/24 via 10.100.3.2 dev r3");
      await reach(lab, h11, h31, lab.hostAddr(3, 1));
      await reach(lab, lab.router(1), lab.router(3), lab.routerAddr(3, 1));
      console.log(`  setLink down in ${downMs.toFixed(0)} ms, up in ${upMs.toFixed(0)} ms`);
    }),
});

Deno.test({
  name: "router lab tunnel: r1 and r3 reach each other's tunnel ends through u",
  ignore: !support.ok,
  fn: () =>
    withLab("tunnel", async (lab) => {
      deepStrictEqual(lab.routerIds, [1, 3]);
      ok(lab.ns.u !== undefined);
      deepStrictEqual(lab.plan.tunnels, [{
        a: 1,
        b: 3,
        addrA: "10.100.1.1",
        addrB: "10.100.2.2",
      }]);
      deepStrictEqual(await addresses(lab, lab.router("u")), [
        "r1 10.100.1.2/24",
        "r3 10.100.2.1/24",
      ]);
      equal(await sysctl(lab, lab.router("u"), "net.ipv4.ip_forward"), "1");
      const get = await lab.exec(lab.router(1), ["ip", "-4", "route", "get", "10.100.2.2"]);
      ok(/10\.100\.2\.2 via 10\.100\.1\.2 dev u /.test(get.stdout), get.stdout);

      const before = await forwarded(lab, lab.router("u"));
      await reach(lab, lab.router(1), lab.router(3), "10.100.2.2");
      await reach(lab, lab.router(3), lab.router(1), "10.100.1.1");
      await reach(lab, lab.hosts[1][0], lab.hosts[3][0], lab.hostAddr(3, 1));
      ok(await forwarded(lab, lab.router("u")) - before >= 3, "u forwarded them");
      if (ipip.ok) {
        // The ipip module's tunl0, which the kernel makes a tunnel vif's device with.
        for (const i of [1, 3]) equal(await operstate(lab, lab.router(i), "tunl0"), "DOWN");
      }
    }),
});

// MRT_INIT, vifs and one MFC entry by python3 (not the daemon), as in lab_test.ts. Arguments:
// vifs as "phy:IFNAME" or "tun:LOCAL:REMOTE" (VIFF_TUNNEL), then "mfc:SOURCE:GROUP:IIF:OIF".
const MROUTE_PY = `
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
s.setsockopt(socket.IPPROTO_IP, 200, struct.pack("i", 1))  # MRT_INIT
vif = 0
for arg in sys.argv[1:]:
    f = arg.split(":")
    if f[0] == "phy":  # vifctl: vifi, VIFF_USE_IFINDEX, threshold 1, rate 0, ifindex
        v = struct.pack("=HBBIi4x", vif, 8, 1, 0, socket.if_nametoindex(f[1]))
    elif f[0] == "tun":  # vifctl: vifi, VIFF_TUNNEL, threshold 1, rate 0, local, remote
        v = struct.pack("=HBBI4s4s", vif, 1, 1, 0, socket.inet_aton(f[1]), socket.inet_aton(f[2]))
    else:
        ttls = bytes([1 if i == int(f[4]) else 255 for i in range(32)])
        mfc = struct.pack("=4s4sH32s2x16x", socket.inet_aton(f[1]), socket.inet_aton(f[2]),
                          int(f[3]), ttls)
        s.setsockopt(socket.IPPROTO_IP, 204, mfc)  # MRT_ADD_MFC
        continue
    s.setsockopt(socket.IPPROTO_IP, 202, v)  # MRT_ADD_VIF
    vif += 1
print("ready", flush=True)
sys.stdin.read()  # until stdin closes
`;

Deno.test({
  name: "router lab tunnel: static tunnel vifs carry r1's LAN's stream to r3's LAN through u",
  ignore: !support.ok || !ipip.ok || !python,
  fn: () =>
    withLab("tunnel", async (lab) => {
      const flow = `mfc:${lab.senderAddr}:239.1.1.1:0:1`;
      const mroutes = [
        lab.spawnIn(lab.router(1), [
          "python3",
          "-c",
          MROUTE_PY,
          "phy:lan0",
          "tun:10.100.1.1:10.100.2.2",
          flow,
        ], { stdin: "piped", stdout: "piped" }),
        lab.spawnIn(lab.router(3), [
          "python3",
          "-c",
          MROUTE_PY,
          "tun:10.100.2.2:10.100.1.1",
          "phy:lan0",
          flow,
        ], { stdin: "piped", stdout: "piped" }),
      ];
      const writers = mroutes.map((m) => m.stdin.getWriter());
      const readers = mroutes.map((m) => m.stdout.getReader());
      const h31 = await startRouterLabHost(lab, 3, 1);
      try {
        for (const r of readers) {
          ok(new TextDecoder().decode((await r.read()).value).startsWith("ready"));
        }
        // The kernel names a tunnel vif's device after the vif: dvmrp1 on r1, dvmrp0 on r3.
        const r1Vifs = parseMrVif(await lab.readProc(lab.router(1), "/proc/net/ip_mr_vif"));
        deepStrictEqual(r1Vifs.map((v) => [v.name, v.flags, v.local, v.remote]), [
          ["lan0", 8, r1Vifs[0].local, "0.0.0.0"],
          ["dvmrp1", 1, "10.100.1.1", "10.100.2.2"],
        ]);
        const u = lab.router("u");
        const before = await forwarded(lab, u);
        const since = await h31.join("239.1.1.1");
        const sender = await startSender(lab, {
          groups: ["239.1.1.1"],
          ifaceAddr: lab.senderAddr,
          rate: 100,
          ttl: 8,
        });
        const rx = await h31.waitFor("239.1.1.1", { since, count: 20, timeoutMs: 5000 });
        const sent = await sender.stop();
        equal(rx[0].src, lab.senderAddr);
        ok(rx.length <= sent["239.1.1.1"], JSON.stringify(sent));
        ok(await forwarded(lab, u) - before >= 20, "u forwarded the encapsulated datagrams");
        deepStrictEqual(parseMrVif(await lab.readProc(u, "/proc/net/ip_mr_vif")), []);
        const [entry] = parseMrCache(await lab.readProc(lab.router(3), "/proc/net/ip_mr_cache"));
        deepStrictEqual([entry.origin, entry.group, entry.iif], [lab.senderAddr, "239.1.1.1", 0]);
        ok(entry.packets >= 20, JSON.stringify(entry));
        console.log(
          `  ${rx.length} datagrams through the tunnel to h31 of ${sent["239.1.1.1"]} sent`,
        );
      } finally {
        await h31.close();
        for (const w of writers) await w.close();
        for (const [k, r] of readers.entries()) {
          r.releaseLock();
          await mroutes[k].stdout.cancel();
          await mroutes[k].status;
        }
      }
    }),
});
