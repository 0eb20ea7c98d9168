// Self-test of the namespace lab (tests/lab/): topology, reachability, no forwarding without
// a daemon, teardown. Needs root; skipped with the reason printed otherwise.

import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import {
  cleanStaleLabs,
  createLab,
  labSupport,
  mldLabSupport,
  parseMr6Cache,
  parseMr6Vif,
  parseMrCache,
  parseMrVif,
  useMldV1Hosts,
} from "../lab/lab.ts";
import { type Captured, hasTcpdump, hopLimit, MLD_FILTER, startCapture } from "../lab/capture.ts";
import { Host } from "../lab/host.ts";
import { memberships6 } from "../lab/kernel_state.ts";
import { parseIfInet6, parseIgmp6 } from "../lab/proc.ts";
import { startSender } from "../lab/sender.ts";
import { udpReachable } from "../lab/udp_echo.ts";
import { scaledWait } from "../lab/wait_scale.ts";

const PREFIX = "mcp-lt-"; // under the runner's cleanStaleLabs() default prefix "mcp-"
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED lab tests: ${support.reason}`);
const support6 = await mldLabSupport();
if (support.ok && !support6.ok) console.log(`SKIPPED IPv6 lab test: ${support6.reason}`);

async function namespacesStartingWith(prefix: string): Promise<string[]> {
  const out = await new Deno.Command("ip", { args: ["netns", "list"] }).output();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(prefix));
}

async function havePing(): Promise<boolean> {
  const r = await new Deno.Command("sh", { args: ["-c", "command -v ping"] }).output();
  return r.code === 0;
}

Deno.test({
  name: "lab: every host reaches its gateway, nothing is forwarded without a daemon, teardown",
  ignore: !support.ok,
  async fn() {
    const t0 = performance.now();
    const lab = await createLab({ prefix: PREFIX });
    const built = performance.now() - t0;
    try {
      // Topology and settings.
      deepStrictEqual(lab.ns.hosts.map((l) => l.length), [2, 1]);
      equal(lab.hostAddr(1, 2), "10.1.0.12");
      equal(lab.hostAddr(2, 1), "10.2.0.11");
      const addrs = await lab.exec(lab.ns.proxy, ["ip", "-4", "-o", "addr", "show"]);
      for (const a of ["up0    inet 10.0.0.1/24", "dn1    inet 10.1.0.1/24"]) {
        ok(addrs.stdout.replace(/\s+/g, " ").includes(a.replace(/\s+/g, " ")), addrs.stdout);
      }
      const bridge = await lab.exec(lab.ns.lans[0], ["ip", "-d", "link", "show", "br0"]);
      ok(bridge.stdout.includes("mcast_snooping 0"), bridge.stdout);
      // With the ipip module loaded (the test VM loads it), the kernel gives every new namespace
      // a tunl0, DOWN: the lab was built all the same, waiting only for the links it made.
      if ((await lab.exec(lab.ns.proxy, ["test", "-d", "/sys/module/ipip"])).code === 0) {
        const tunl0 = await lab.exec(lab.ns.proxy, ["ip", "-br", "link", "show", "tunl0"]);
        ok(
          /^tunl0@NONE\s+DOWN/.test(tunl0.stdout),
          `tunl0 in the proxy namespace: ${tunl0.stdout}`,
        );
        console.log("  ipip is loaded: every namespace has a tunl0, DOWN, and the lab stands");
      }

      // IPv6: addresses, link-locals present and nothing tentative as soon as the lab exists.
      ok(lab.ipv6, "this kernel has IPv6");
      equal(lab.hostAddr6(1, 2), "2001:db8:1::12");
      equal(lab.hostAddr6(2, 1), "2001:db8:2::11");
      deepStrictEqual(lab.addr6, {
        src: "2001:db8::2",
        upstream: "2001:db8::1",
        downstream: ["2001:db8:1::1", "2001:db8:2::1"],
      });
      const v6Expected: [string, string[]][] = [
        [lab.ns.src, ["eth0 inet6 2001:db8::2/64"]],
        [lab.ns.proxy, [
          "up0 inet6 2001:db8::1/64",
          "dn1 inet6 2001:db8:1::1/64",
          "dn2 inet6 2001:db8:2::1/64",
        ]],
        [lab.ns.hosts[0][0], ["eth0 inet6 2001:db8:1::11/64"]],
        [lab.ns.hosts[0][1], ["eth0 inet6 2001:db8:1::12/64"]],
        [lab.ns.hosts[1][0], ["eth0 inet6 2001:db8:2::11/64"]],
      ];
      for (const [n, expected] of v6Expected) {
        const out = (await lab.exec(n, ["ip", "-6", "-o", "addr", "show"])).stdout
          .replace(/\s+/g, " ");
        for (const a of expected) ok(out.includes(a), `${n}: ${a} in ${out}`);
        ok(!out.includes("tentative"), `${n}: nothing tentative: ${out}`);
        const ifaces = expected.map((a) => a.split(" ")[0]);
        for (const i of ifaces) ok(/^fe80:/.test(await lab.linkLocal(n, i)), `${n} ${i}`);
        const route = await lab.exec(n, ["ip", "-6", "route", "show", "default"]);
        if (n !== lab.ns.proxy) ok(/^default via 2001:db8:/.test(route.stdout), route.stdout);
      }
      for (const n of [lab.ns.src, lab.ns.proxy, ...lab.ns.hosts.flat()]) {
        const rows = parseIfInet6(await lab.readProc(n, "/proc/net/if_inet6"));
        ok(rows.every((r) => (r.flags & 0x40) === 0), `IFA_F_TENTATIVE in ${n}`);
        ok(rows.some((r) => r.scope === 0x20), `a link-local address in ${n}`);
      }
      equal(
        (await lab.exec(lab.ns.lans[0], ["ip", "-6", "-o", "addr", "show"])).stdout.trim(),
        "",
        "the LAN's switch has no IPv6",
      );
      equal(
        (await lab.readProc(lab.ns.hosts[0][0], "/proc/sys/net/ipv6/conf/eth0/accept_dad"))
          .trim(),
        "0",
      );
      await lab.setMldVersion(lab.ns.hosts[0][1], 1);
      equal(
        (await lab.readProc(
          lab.ns.hosts[0][1],
          "/proc/sys/net/ipv6/conf/eth0/force_mld_version",
        )).trim(),
        "1",
      );
      for (const key of ["all", "default", "up0", "dn1", "dn2"]) {
        const r = await lab.readProc(lab.ns.proxy, `/proc/sys/net/ipv4/conf/${key}/rp_filter`);
        equal(r.trim(), "0", `rp_filter on ${key}`);
      }
      equal((await lab.readProc(lab.ns.proxy, "/proc/sys/net/ipv4/ip_forward")).trim(), "0");
      await lab.setIgmpVersion(lab.ns.hosts[0][1], 2);
      equal(
        (await lab.readProc(
          lab.ns.hosts[0][1],
          "/proc/sys/net/ipv4/conf/eth0/force_igmp_version",
        )).trim(),
        "2",
      );

      // Reachability: every host to its gateway, the sender to the proxy.
      const ping = await havePing();
      const pairs: [string, string, string][] = [[lab.ns.src, lab.ns.proxy, "10.0.0.1"]];
      lab.ns.hosts.forEach((lan, k) =>
        lan.forEach((h) => pairs.push([h, lab.ns.proxy, lab.addr.downstream[k]]))
      );
      // IPv6 by UDP echo (ping may be missing): every host to its gateway, the sender to up0.
      const pairs6: [string, string, string][] = [[lab.ns.src, lab.ns.proxy, "2001:db8::1"]];
      lab.ns.hosts.forEach((lan, k) =>
        lan.forEach((h) => pairs6.push([h, lab.ns.proxy, lab.addr6.downstream[k]]))
      );
      for (const [from, to, addr] of pairs6) {
        ok(await udpReachable(lab, { fromNs: from, toNs: to, addr }), `${from} -> ${addr}`);
      }
      for (const [from, to, addr] of pairs) {
        if (ping) {
          // Until one reply, a request every 0.2 s, within the (scaled) deadline.
          const deadline = String(Math.ceil(scaledWait(2000) / 1000));
          const r = await lab.exec(from, ["ping", "-c1", "-i0.2", "-w", deadline, addr]);
          equal(r.code, 0, `ping ${addr} from ${from}: ${r.stdout}${r.stderr}`);
        } else {
          ok(await udpReachable(lab, { fromNs: from, toNs: to, addr }), `${from} -> ${addr}`);
        }
      }

      // No daemon: the proxy receives the stream on up0 but forwards nothing.
      equal(parseMrVif(await lab.readProc(lab.ns.proxy, "/proc/net/ip_mr_vif")).length, 0);
      const h11 = await Host.onLan(lab, 1, 1);
      const up = await Host.start(lab, { ns: lab.ns.proxy, addr: "10.0.0.1", name: "proxy-up0" });
      try {
        const since = await h11.join("239.1.1.1");
        await up.join("239.1.1.1");
        const sender = await startSender(lab, { groups: ["239.1.1.1"], rate: 200, ttl: 8 });
        const upRx = await up.waitFor("239.1.1.1", { since, count: 20, timeoutMs: 3000 });
        equal(upRx[0].src, "10.0.0.2");
        const hostRx = await h11.collect("239.1.1.1", 500);
        const sent = await sender.stop();
        ok(sent["239.1.1.1"] >= 20, `sent ${JSON.stringify(sent)}`);
        equal(hostRx.length, 0, "h11 received multicast without a daemon");
        equal(h11.received("239.1.1.1").length, 0);
        equal(parseMrCache(await lab.readProc(lab.ns.proxy, "/proc/net/ip_mr_cache")).length, 0);
        const seqs = up.received("239.1.1.1").map((r) => r.seq);
        ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `sequence numbers increase: ${seqs}`);
        await h11.leave("239.1.1.1");
      } finally {
        await h11.close();
        await up.close();
      }

      // A process left running is killed by destroy.
      const straggler = await startSender(lab, { groups: ["239.1.1.9"], rate: 10 });
      const t1 = performance.now();
      await lab.destroy();
      const destroyed = performance.now() - t1;
      await straggler.child.status;
      console.log(`lab built in ${built.toFixed(0)} ms, destroyed in ${destroyed.toFixed(0)} ms`);
    } finally {
      await lab.destroy();
      await lab.destroy(); // idempotent
    }
    deepStrictEqual(await namespacesStartingWith(lab.id), []);
  },
});

Deno.test({
  name: "lab: cleanStaleLabs deletes namespaces of dead processes and keeps live labs",
  ignore: !support.ok,
  async fn() {
    // pid 999999999 is above pid_max: never alive.
    const dead = `${PREFIX}999999999.${crypto.randomUUID().slice(0, 8)}-src`;
    const add = await new Deno.Command("ip", { args: ["netns", "add", dead] }).output();
    equal(add.code, 0, new TextDecoder().decode(add.stderr));
    const lab = await createLab({ prefix: PREFIX, hostsPerLan: [1] });
    try {
      const cleaned = await cleanStaleLabs(PREFIX);
      ok(!cleaned.some((n) => n.startsWith(lab.id)), "a live lab was cleaned");
      const cleanedShort = await cleanStaleLabs("mcp-");
      ok(!cleanedShort.some((n) => n.startsWith(lab.id)), "a live lab was cleaned (short prefix)");
      // Not "cleaned.includes(dead)": a concurrent run's cleanup may have deleted it first.
      deepStrictEqual(await namespacesStartingWith(dead), []);
      equal((await namespacesStartingWith(lab.id)).length, 4);
    } finally {
      await lab.destroy();
      await new Deno.Command("ip", { args: ["netns", "del", dead] }).output();
    }
    deepStrictEqual(await namespacesStartingWith(lab.id), []);
  },
});

// A static multicast route set up by python3 (not the daemon): checks that forwarded traffic
// reaches a joined host through the bridge and that the /proc parsers read the real kernel.
const MROUTE_PY = `
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
s.setsockopt(socket.IPPROTO_IP, 200, struct.pack("i", 1))  # MRT_INIT
for vif, name in enumerate(["up0", "dn1", "dn2"]):
    # vifctl: vifi, flags = VIFF_USE_IFINDEX, threshold 1, rate_limit, ifindex, rmt_addr
    s.setsockopt(socket.IPPROTO_IP, 202, struct.pack("=HBBIi4x", vif, 8, 1, 0,
                                                     socket.if_nametoindex(name)))
ttls = bytes([255, 1] + [255] * 30)  # forward to VIF 1 (dn1) only
mfc = struct.pack("=4s4sH32s2x16x", socket.inet_aton("10.0.0.2"),
                  socket.inet_aton("239.1.1.1"), 0, ttls)
s.setsockopt(socket.IPPROTO_IP, 204, mfc)  # MRT_ADD_MFC
print("ready", flush=True)
sys.stdin.read()  # until stdin closes
`;

async function havePython(): Promise<boolean> {
  const r = await new Deno.Command("sh", { args: ["-c", "command -v python3"] }).output();
  return r.code === 0;
}

const python = support.ok && await havePython();
if (support.ok && !python) console.log("SKIPPED static-route lab test: python3 is not installed");

Deno.test({
  name: "lab: with a static MFC entry a joined host receives the stream; /proc parsers agree",
  ignore: !python,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX });
    const mroute = lab.spawnIn(lab.ns.proxy, ["python3", "-c", MROUTE_PY], {
      stdin: "piped",
      stdout: "piped",
    });
    const stdin = mroute.stdin.getWriter();
    const out = mroute.stdout.getReader();
    const h11 = await Host.onLan(lab, 1, 1);
    const h12 = await Host.onLan(lab, 1, 2);
    const h21 = await Host.onLan(lab, 2, 1);
    try {
      ok(new TextDecoder().decode((await out.read()).value).startsWith("ready"));
      const since = await h11.join("239.1.1.1");
      await h21.join("239.1.1.1");
      const sender = await startSender(lab, { groups: ["239.1.1.1"], rate: 200 });
      const rx = await h11.waitFor("239.1.1.1", { since, count: 50, timeoutMs: 3000 });
      const sent = await sender.stop();
      const latency = rx[0].t - sender.readyAt;
      console.log(`first datagram at h11 ${latency.toFixed(1)} ms after the sender started`);
      await h11.sync();
      await h21.sync();
      await h12.sync();
      equal(h21.received("239.1.1.1").length, 0, "LAN 2 is not in the oifs");
      equal(h12.received("239.1.1.1").length, 0, "h12 did not join");
      const got = h11.received("239.1.1.1").length;
      ok(got >= 50 && got <= sent["239.1.1.1"], `h11 got ${got} of ${sent["239.1.1.1"]}`);

      const vifs = parseMrVif(await lab.readProc(lab.ns.proxy, "/proc/net/ip_mr_vif"));
      deepStrictEqual(vifs.map((v) => [v.vif, v.name, v.flags]), [
        [0, "up0", 8],
        [1, "dn1", 8],
        [2, "dn2", 8],
      ]);
      ok(vifs[0].pktsIn >= got && vifs[1].pktsOut >= got && vifs[2].pktsOut === 0);
      ok(vifs.every((v) => v.ifindex !== null && v.remote === "0.0.0.0"));
      const cache = parseMrCache(await lab.readProc(lab.ns.proxy, "/proc/net/ip_mr_cache"));
      equal(cache.length, 1, JSON.stringify(cache));
      const [e] = cache;
      deepStrictEqual([e.group, e.origin, e.iif, e.oifs, e.wrong, e.unresolved], [
        "239.1.1.1",
        "10.0.0.2",
        0,
        [{ vif: 1, ttl: 1 }],
        0,
        false,
      ]);
      ok(e.packets >= got && e.bytes >= e.packets * "seq 0 239.1.1.1".length);
    } finally {
      await h11.close();
      await h12.close();
      await h21.close();
      await stdin.close();
      out.releaseLock();
      await mroute.stdout.cancel();
      await mroute.status;
    }
  },
});

const tcpdump = support.ok && await hasTcpdump();
if (support.ok && !tcpdump) console.log("SKIPPED IPv6 lab capture test: tcpdump is not installed");

/** MLD messages about `group` from `source`, by tcpdump's words. */
function mldAbout(packets: Captured[], source: string, group: string): Captured[] {
  return packets.filter((p) =>
    p.family === 6 && p.body.startsWith(`${source} > `) && p.body.includes("multicast listener") &&
    (p.body.includes(`addr: ${group}`) || p.body.includes(`[gaddr ${group} `))
  );
}

Deno.test({
  name: "lab IPv6: an MLDv1 host joins ff05::1 and gets a neighbour's datagrams (hop limit 8)",
  ignore: !tcpdump,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [2] });
    const [h11ns, h12ns] = lab.ns.hosts[0];
    await useMldV1Hosts(lab);
    equal(
      (await lab.readProc(h11ns, "/proc/sys/net/ipv6/conf/eth0/force_mld_version")).trim(),
      "1",
    );
    const h11 = await Host.onLan(lab, 1, 1);
    const h12 = await Host.onLan(lab, 1, 2);
    const h11ll = await lab.linkLocal(h11ns, "eth0");
    // On the LAN's bridge: every MLD message and the UDP datagrams of the test.
    const capture = await startCapture(lab, lab.ns.lans[0], {
      iface: "br0",
      filter: `(${MLD_FILTER}) or (ip6 and udp port 5001)`,
    });
    let packets: Captured[] = [];
    try {
      equal(h11.addr6, "2001:db8:1::11");
      const since = await h11.join("ff05::1");
      await h11.join("239.1.1.1"); // both families on one agent
      ok((await memberships6(lab, "eth0", h11ns)).includes("ff05::1"), "igmp6 lists ff05::1");
      ok(!(await memberships6(lab, "eth0", h12ns)).includes("ff05::1"), "h12 did not join");
      // Both MLDv1 reports went out at the join: no timer left, h11 is the last reporter.
      await new Promise((r) => setTimeout(r, 100));
      const [m] = parseIgmp6(await lab.readProc(h11ns, "/proc/net/igmp6"))
        .filter((x) => x.name === "eth0" && x.group === "ff05::1");
      deepStrictEqual([m.users, m.flags & 3, m.timer], [1, 2, 0], JSON.stringify(m));

      const sender = await startSender(lab, {
        ns: h12ns,
        groups: ["ff05::1"],
        ifaceAddr: lab.hostAddr6(1, 2),
        ttl: 8,
        rate: 200,
      });
      const rx = await h11.waitFor("ff05::1", { since, count: 20, timeoutMs: 3000 });
      const sent = await sender.stop();
      equal(rx[0].src, "2001:db8:1::12");
      const seqs = h11.received("ff05::1").map((r) => r.seq);
      ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), "sequence numbers increase");
      const got = seqs.length;
      ok(got >= 20 && got <= sent["ff05::1"], `h11 got ${got} of ${sent["ff05::1"]}`);
      await h12.sync();
      equal(h12.received("ff05::1").length, 0, "the sender's own agent got nothing");
      equal(h11.received("239.1.1.1").length, 0);

      await h11.leave("ff05::1");
      ok(!(await memberships6(lab, "eth0", h11ns)).includes("ff05::1"), "left ff05::1");
      await new Promise((r) => setTimeout(r, 100));
      packets = await capture.stop();

      // MLDv1 only: two reports at the join (useMldV1Hosts), a Done to ff02::2 at the leave.
      const mld = mldAbout(packets, h11ll, "ff05::1");
      const show = mld.map((p) => `${p.time.toFixed(1)} ${p.body}`).join("\n");
      ok(mld.every((p) => !p.body.includes(" v2") && hopLimit(p) === 1), show);
      const reports = mld.filter((p) => p.body.startsWith(`${h11ll} > ff05::1: `));
      equal(reports.length, 2, show);
      ok(reports.every((p) => p.body.includes("multicast listener report")), show);
      ok(reports[1].time - reports[0].time < 50, `the repeat came at once:\n${show}`);
      const dones = mld.filter((p) => p.body.includes("multicast listener done"));
      equal(dones.length, 1, show);
      ok(dones[0].body.startsWith(`${h11ll} > ff02::2: `), show);

      // The datagrams on the wire: hop limit 8, from h12's address.
      const udp = packets.filter((p) => p.body.includes(" > ff05::1.5001: "));
      equal(udp.length, sent["ff05::1"], `every datagram sent crossed the bridge once`);
      ok(udp.every((p) => hopLimit(p) === 8), udp.slice(0, 3).map((p) => p.header).join("\n"));
      ok(udp.every((p) => p.body.startsWith("2001:db8:1::12.")), udp[0]?.body);
      console.log(
        `h11 got ${got} of ${sent["ff05::1"]} datagrams; MLDv1: ${reports.length} reports, ` +
          `${dones.length} done`,
      );
    } finally {
      await capture.stop();
      await h11.close();
      await h12.close();
    }
  },
});

Deno.test({
  name: "lab IPv6: the sender reaches up0 with hop limit 8, nothing is forwarded without MRT6",
  ignore: !support6.ok,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1] });
    const h11 = await Host.onLan(lab, 1, 1);
    const up = await Host.start(lab, {
      ns: lab.ns.proxy,
      addr: lab.addr.upstream,
      iface: lab.ifaces.upstream,
      name: "proxy-up0",
    });
    try {
      const since = await h11.join("ff05::1");
      await up.join("ff05::1");
      ok((await memberships6(lab, "up0")).includes("ff05::1"));
      ok(!(await memberships6(lab, "dn1")).includes("ff05::1"));
      const sender = await startSender(lab, {
        groups: ["ff05::1"],
        ifaceAddr: "2001:db8::2",
        ttl: 8,
        rate: 200,
      });
      const upRx = await up.waitFor("ff05::1", { since, count: 20, timeoutMs: 3000 });
      equal(upRx[0].src, "2001:db8::2");
      const hostRx = await h11.collect("ff05::1", 300);
      const sent = await sender.stop();
      ok(sent["ff05::1"] >= 20, JSON.stringify(sent));
      equal(hostRx.length, 0, "h11 received IPv6 multicast without a router");
      deepStrictEqual(parseMr6Vif(await lab.readProc(lab.ns.proxy, "/proc/net/ip6_mr_vif")), []);
      deepStrictEqual(
        parseMr6Cache(await lab.readProc(lab.ns.proxy, "/proc/net/ip6_mr_cache")),
        [],
      );
      // A join on an interface the namespace lacks fails instead of joining elsewhere.
      const other = await Host.start(lab, {
        ns: lab.ns.proxy,
        addr: lab.addr.upstream,
        iface: "eth9",
        port: 5002,
        name: "no-eth9",
      });
      try {
        await rejects(() => other.join("ff05::9"), /No interface "eth9"/);
      } finally {
        await other.close();
      }
    } finally {
      await h11.close();
      await up.close();
    }
  },
});
