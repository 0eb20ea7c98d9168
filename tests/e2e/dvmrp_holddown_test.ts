// End-to-end test of route hold-down in the routing mode (draft-ietf-idmr-dvmrp-v3-11 section
// 3.4.8), in the router lab's triangle (tests/lab/router_lab.ts): r3 reaches r1's LAN straight
// over link 3 until that link fails; the route is then held down for 120 s, advertised with
// infinity, and the stream through r2 comes back only when the hold-down ends. Needs root and a
// kernel with multicast routing (the test VM); skipped with the reason otherwise.
//
// The helpers are small copies of those of dvmrp_test.ts, which keeps its own.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { labSupport, parseMrCache, parseMrVif } from "../lab/lab.ts";
import { createRouterLab, type RouterLab } from "../lab/router_lab.ts";
import { startRouterDaemon, startRouterLabHost } from "../lab/router_lab_agents.ts";
import { ctlArgv, type DaemonProcess, daemonProgram, LAB_USER } from "../lab/daemon.ts";
import { startSender } from "../lab/sender.ts";
import { scaledWait } from "../lab/wait_scale.ts";
import { wallNow } from "../lab/json_lines.ts";
import type { Host } from "../lab/host.ts";

const PREFIX = "mcp-dh-"; // under the runner's cleanStaleLabs() default prefix "mcp-"
const G = "239.1.1.1";
/** The draft's Route Hold-down: 2 report intervals. */
const HOLDDOWN_MS = 120_000;
const support = await labSupport();
if (!support.ok) console.log(`SKIPPED DVMRP hold-down e2e test: ${support.reason}`);

/** A router's daemon in the routing mode, jailed as the lab's user. */
async function startRouter(lab: RouterLab, i: number): Promise<DaemonProcess> {
  const jail = await Deno.makeTempDir({ prefix: "mcast-routed-jail-" });
  await Deno.chmod(jail, 0o755);
  const daemon = await startRouterDaemon(lab, i, {
    config: "",
    jail: false,
    program: [...daemonProgram(), "route"],
    flags: ["-d", "-u", LAB_USER, "-t", jail],
  });
  daemon.status.finally(() => Deno.remove(jail).catch(() => {}));
  return daemon;
}

/** A route as `mcast-proxyctl show routes --json` gives it. */
interface RouteRow {
  origin: string;
  gateway: string | null;
  metric: number;
  holddown: boolean;
}

/** `mcast-proxyctl show routes --json` against a router's daemon. */
async function routes(daemon: DaemonProcess): Promise<RouteRow[]> {
  const [cmd, ...args] = ctlArgv(daemon.controlSocket!, ["show", "routes", "--json"]);
  const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
  equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)).routes;
}

/** Polls `daemon`'s route to `origin` every second until `f` holds; returns it. */
async function routeWhen(
  daemon: DaemonProcess,
  origin: string,
  f: (r: RouteRow) => boolean,
  timeoutMs: number,
): Promise<RouteRow> {
  const deadline = performance.now() + scaledWait(timeoutMs);
  for (;;) {
    const all = await routes(daemon);
    const r = all.find((x) => x.origin === origin);
    if (r !== undefined && f(r)) return r;
    if (performance.now() > deadline) {
      throw new Error(`the route to ${origin} never got there: ${JSON.stringify(all)}`);
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** A router's resolved MFC entry for (S,G), its vifs by interface name. */
async function mfc(
  lab: RouterLab,
  i: number,
  source: string,
): Promise<{ iif: string; oifs: string[] } | undefined> {
  const ns = lab.router(i);
  const vifs = parseMrVif(await lab.readProc(ns, "/proc/net/ip_mr_vif"));
  const name = (v: number) => vifs.find((x) => x.vif === v)?.name ?? `vif ${v}`;
  const e = parseMrCache(await lab.readProc(ns, "/proc/net/ip_mr_cache"))
    .find((x) => x.origin === source && x.group === G && x.iif >= 0);
  return e === undefined ? undefined : { iif: name(e.iif), oifs: e.oifs.map((o) => name(o.vif)) };
}

/** Polls `f` until it returns true or `ms` (scaled) pass. */
async function eventually(what: () => string, f: () => Promise<boolean>, ms: number) {
  const deadline = performance.now() + scaledWait(ms);
  while (!await f()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

Deno.test({
  name: "e2e DVMRP hold-down: a lost route is advertised unreachable for 120 s, and the " +
    "stream comes back through the other path only when the hold-down ends",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using lab = await createRouterLab({ topology: "triangle", prefix: PREFIX });
    const daemons = await Promise.all([1, 2, 3].map((i) => startRouter(lab, i)));
    let h31: Host | undefined;
    const sender = await startSender(lab, { groups: [G], rate: 50, ifaceAddr: lab.senderAddr });
    try {
      await Promise.all(daemons.map((d) => d.waitForLine(/info: Started: DVMRP/)));
      const r3 = daemons[2];
      const s = lab.senderAddr;
      const lan1 = "10.1.0.0/24";
      const viaR1 = lab.routerAddr(1, 3);
      const viaR2 = lab.routerAddr(2, 3);
      await routeWhen(r3, lan1, (r) => r.metric === 2 && r.gateway === viaR1, 60_000);
      h31 = await startRouterLabHost(lab, 3, 1);
      const joinedAt = await h31.join(G);
      await h31.waitFor(G, { since: joinedAt, count: 10, timeoutMs: 20_000 });
      equal((await mfc(lab, 3, s))?.iif, "r1", "straight from r1");

      let cutAt = 0;
      await t.step(
        "the link r1–r3 goes down: r3's route to r1's LAN goes into hold-down",
        async () => {
          cutAt = wallNow();
          await lab.setLink(1, 3, false);
          const held = await routeWhen(r3, lan1, (r) => r.holddown, 20_000);
          // Infinity until r2's next report gives a path (its metric then, still held down).
          ok(held.metric === 32 || held.gateway === viaR2, JSON.stringify(held));
        },
      );

      await t.step(
        "in hold-down r3 learns the path through r2 but advertises infinity: r2 does not " +
          "forward to it, and the member behind r3 gets nothing",
        async () => {
          // r2 reports every 60 s.
          const learned = await routeWhen(
            r3,
            lan1,
            (r) => r.gateway === viaR2 && r.metric === 3,
            70_000,
          );
          ok(learned.holddown, `the hold-down is not over yet: ${JSON.stringify(learned)}`);
          // No poison reverse from r3 (infinity only): r3 is no dependent of r2 for r1's LAN.
          ok(!((await mfc(lab, 2, s))?.oifs ?? []).includes("r3"), "r2 forwards onto r3");
          equal((await mfc(lab, 3, s))?.iif ?? "none", "none", "r3 has no entry for the source");
          equal(h31!.received(G, cutAt + 2000).length, 0, "datagrams reached h31 in hold-down");
        },
      );

      await t.step(
        "120 s after the cut the route is advertised again: r2 forwards to r3, the stream is back",
        async () => {
          await routeWhen(r3, lan1, (r) => !r.holddown, HOLDDOWN_MS + 60_000);
          const endedAt = wallNow();
          const heldMs = endedAt - cutAt;
          console.log(`  the route to r1's LAN was held down ${heldMs.toFixed(0)} ms`);
          ok(heldMs >= HOLDDOWN_MS - 2000, `hold-down over after ${heldMs} ms`);
          await eventually(
            () => `r3 gets nothing through r2: ${JSON.stringify(r3.lines.slice(-8))}`,
            async () => (await mfc(lab, 3, s))?.iif === "r2",
            30_000,
          );
          const back = await h31!.waitFor(G, { since: cutAt + 2000, count: 10, timeoutMs: 30_000 });
          const gap = back[0].t - cutAt;
          console.log(`  link down to the stream through r2: ${gap.toFixed(0)} ms`);
          ok(gap >= HOLDDOWN_MS - 2000, `the stream came back ${gap} ms after the cut`);
          deepStrictEqual((await mfc(lab, 2, s))?.oifs, ["r3"]);
        },
      );
    } finally {
      await sender.stop();
      await h31?.close();
      const stopped = await Promise.all(daemons.map((d) => d.stop()));
      deepStrictEqual(stopped.map((x) => x.code), daemons.map(() => 0));
    }
  },
});
