/**
 * What runs in a router lab (`router_lab.ts`): a daemon per router, host agents on the LANs,
 * a unicast reachability check, and whether the kernel can make tunnel vifs.
 *
 * @module
 */

import { type DaemonProcess, startDaemonIn, type StartDaemonOptions } from "./daemon.ts";
import { Host } from "./host.ts";
import { type LabShell, type LabSupport, pathExists } from "./lab.ts";
import { type RouterLab, routerLabHostName, type RouterNode } from "./router_lab.ts";
import { udpReachable } from "./udp_echo.ts";
import { scaledWait } from "./wait_scale.ts";
import { messageOf } from "../../src/log.ts";

/** Options of {@link startRouterDaemon}: {@link StartDaemonOptions} with a configuration. */
export type RouterDaemonOptions = StartDaemonOptions & { config: string };

/**
 * Starts this checkout's daemon (`main.ts`, or `opts.program`) in router i's namespace with
 * `opts.flags` and the configuration `opts.config`, as `startDaemon` does in `lab.ts`'s proxy.
 */
export function startRouterDaemon(
  lab: RouterLab,
  i: RouterNode,
  opts: RouterDaemonOptions,
): Promise<DaemonProcess> {
  return startDaemonIn(lab, lab.router(i), opts);
}

/**
 * Starts the host agent of host j on router i's LAN: it joins IPv4 groups on `10.i.0.(10+j)`
 * and records what it receives (see `host.ts`).
 */
export function startRouterLabHost(lab: RouterLab, i: number, j: number): Promise<Host> {
  const addr = lab.hostAddr(i, j); // throws on a host the lab lacks
  return Host.start(lab, {
    ns: lab.hosts[i][j - 1],
    addr,
    name: routerLabHostName(i, j),
  });
}

let pingMemo: Promise<boolean> | undefined;

/** Whether `ping` is installed (else {@link unicastReachable} goes by UDP echo). */
export function havePing(): Promise<boolean> {
  pingMemo ??= new Deno.Command("sh", { args: ["-c", "command -v ping"] }).output()
    .then((r) => r.code === 0);
  return pingMemo;
}

/**
 * Whether unicast from namespace `fromNs` reaches `addr` (in namespace `toNs`): by `ping`
 * (one reply within `timeoutMs`, default 2 s scaled) where it is installed, else by a UDP echo
 * (`udp_echo.ts`), which needs `toNs` to run its server.
 */
export async function unicastReachable(
  lab: LabShell,
  opts: { fromNs: string; toNs: string; addr: string; timeoutMs?: number },
): Promise<boolean> {
  const timeoutMs = opts.timeoutMs ?? scaledWait(2000);
  if (!await havePing()) return await udpReachable(lab, { ...opts, timeoutMs });
  const deadline = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  const r = await lab.exec(opts.fromNs, ["ping", "-n", "-c1", "-i0.2", "-w", deadline, opts.addr]);
  return r.code === 0;
}

/**
 * Whether the kernel can make the devices of DVMRP tunnel vifs: for a `VIFF_TUNNEL` vif the
 * kernel creates a `dvmrpN` IP-in-IP device through the `tunl0` of the ipip module, in the
 * router's namespace. Loads the module with `modprobe ipip` when it is not loaded yet (the
 * test VM loads it at boot; its guest has no `/lib/modules` for modprobe).
 */
export async function ipipSupport(): Promise<LabSupport> {
  if (await pathExists("/sys/module/ipip")) return { ok: true };
  let detail: string;
  try {
    const r = await new Deno.Command("modprobe", {
      args: ["ipip"],
      stdout: "null",
      stderr: "piped",
    })
      .output();
    detail = new TextDecoder().decode(r.stderr).trim() || `exit ${r.code}`;
  } catch (e) {
    detail = messageOf(e);
  }
  if (await pathExists("/sys/module/ipip")) return { ok: true };
  return {
    ok: false,
    reason:
      `no ipip module in kernel ${Deno.osRelease()} for tunnel vifs: modprobe ipip: ${detail}`,
  };
}
