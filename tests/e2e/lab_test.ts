// Self-test of the namespace lab (tests/lab/): topology, reachability, no forwarding without
// a daemon, teardown. Needs root; skipped with the reason printed otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { cleanStaleLabs, createLab, labSupport, parseMrCache, parseMrVif } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { udpReachable } from "../lab/udp_echo.ts";

const PREFIX = "mcp-lt-"; // under the runner's cleanStaleLabs() default prefix "mcp-"
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED lab tests: ${support.reason}`);

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
      for (const [from, to, addr] of pairs) {
        if (ping) {
          const r = await lab.exec(from, ["ping", "-c1", "-W1", addr]);
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
        ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), "sequence numbers increase");
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
