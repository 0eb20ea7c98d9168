/**
 * What the routing mode's end-to-end tests share: a router's daemon started jailed in the
 * router lab (`router_lab.ts`), `mcast-proxyctl` against it, its kernel entries read from
 * `/proc/net/ip_mr_*`, and a stop that checks each router's kernel is left empty.
 *
 * @module
 */

import { deepStrictEqual, equal } from "node:assert/strict";
import { type MrCacheEntry, parseMrCache, parseMrVif } from "./lab.ts";
import type { RouterLab } from "./router_lab.ts";
import { startRouterDaemon } from "./router_lab_agents.ts";
import { ctlArgv, type DaemonProcess, daemonProgram, LAB_USER } from "./daemon.ts";
import { scaledWait } from "./wait_scale.ts";

/** A router's daemon in the routing mode, jailed as the lab's user, with an mrouted.conf. */
export async function startRouter(
  lab: RouterLab,
  i: number,
  config = "",
  flags: string[] = [],
): Promise<DaemonProcess & { routedJail: string }> {
  const jail = await Deno.makeTempDir({ prefix: "mcast-routed-jail-" });
  await Deno.chmod(jail, 0o755);
  const daemon = await startRouterDaemon(lab, i, {
    config,
    jail: false,
    program: [...daemonProgram(), "route"],
    flags: ["-d", "-u", LAB_USER, "-t", jail, ...flags],
  });
  daemon.status.finally(() => Deno.remove(jail).catch(() => {}));
  return Object.assign(daemon, { routedJail: jail });
}

/** `mcast-proxyctl ARGS` against a router's daemon: its standard output. */
export async function ctl(daemon: DaemonProcess, argv: string[]): Promise<string> {
  const [cmd, ...args] = ctlArgv(daemon.controlSocket!, argv);
  const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
  equal(out.code, 0, `${argv.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** `mcast-proxyctl show WHAT --json` against a router's daemon. */
export async function show(daemon: DaemonProcess, what: string): Promise<Record<string, unknown>> {
  return JSON.parse(await ctl(daemon, ["show", what, "--json"]));
}

/** A router's resolved MFC entry for (S,G) with its oifs by interface name. */
export async function mfc(
  lab: RouterLab,
  i: number,
  source: string,
  group: string,
): Promise<{ iif: string; oifs: string[]; packets: number } | undefined> {
  const ns = lab.router(i);
  const vifs = parseMrVif(await lab.readProc(ns, "/proc/net/ip_mr_vif"));
  const name = (v: number) => vifs.find((x) => x.vif === v)?.name ?? `vif ${v}`;
  const e: MrCacheEntry | undefined = parseMrCache(
    await lab.readProc(ns, "/proc/net/ip_mr_cache"),
  ).find((x) => x.origin === source && x.group === group && x.iif >= 0);
  if (e === undefined) return undefined;
  return { iif: name(e.iif), oifs: e.oifs.map((o) => name(o.vif)).sort(), packets: e.packets };
}

/** Polls `f` until it returns true or `ms` (scaled) pass; then one more error with `what`. */
export async function eventually(
  what: () => string,
  f: () => Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const deadline = performance.now() + scaledWait(ms);
  while (!await f()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** How a daemon stopped: {@link DaemonProcess.stop}'s result. */
export type Stopped = Promise<{ code: number; ms: number }>;

/**
 * Stops the daemons and checks each left nothing in its kernel. A daemon a test stopped
 * already is in `early` with its stop, taken as it was: it is not signalled twice.
 */
export async function stopAll(
  lab: RouterLab,
  daemons: DaemonProcess[],
  early: ReadonlyMap<DaemonProcess, Stopped> = new Map(),
): Promise<void> {
  const stopped = await Promise.all(daemons.map((d) => early.get(d) ?? d.stop()));
  deepStrictEqual(
    stopped.map((s) => s.code),
    daemons.map(() => 0),
    daemons.map((d) => d.lines.slice(-30).join("\n")).join("\n--\n"),
  );
  for (const ns of lab.routers) {
    equal((await lab.readProc(ns, "/proc/net/ip_mr_vif")).split("\n").filter(Boolean).length, 1);
    equal((await lab.readProc(ns, "/proc/net/ip_mr_cache")).split("\n").filter(Boolean).length, 1);
  }
}

/** A route of `show routes --json`: the fields the tests read. */
export interface RouteRow {
  origin: string;
  gateway: string | null;
  metric: number;
  /** Whether the route is held down (advertised with infinity). */
  holddown: boolean;
}

/**
 * Polls `daemon`'s routes every second until its route to `origin` passes `test`, for at most
 * `timeoutMs` (scaled); returns that route. Throws with the routes seen last.
 */
export async function routeWhen(
  daemon: DaemonProcess,
  origin: string,
  test: (r: RouteRow) => boolean,
  timeoutMs = 60_000,
): Promise<RouteRow> {
  const deadline = performance.now() + scaledWait(timeoutMs);
  for (;;) {
    const routes = (await show(daemon, "routes")).routes as RouteRow[];
    const r = routes.find((x) => x.origin === origin);
    if (r !== undefined && test(r)) return r;
    if (performance.now() > deadline) {
      throw new Error(`the route to ${origin} never got there: ${JSON.stringify(routes)}`);
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** Waits until `daemon`'s route to `origin` has `metric`; returns its routes. */
export async function routeConverged(
  daemon: DaemonProcess,
  origin: string,
  metric: number,
  timeoutMs = 60_000,
): Promise<RouteRow[]> {
  await routeWhen(daemon, origin, (r) => r.metric === metric, timeoutMs);
  return (await show(daemon, "routes")).routes as RouteRow[];
}
