/**
 * The two daemons the benchmarks compare, behind one interface: ours (`main.ts`, run as the lab
 * runs it: jailed, as `nobody`, `-d` without `-v`) and Debian's igmpproxy (`-d` without `-v`,
 * quickleave on). Each is started fresh for a scenario in the lab's proxy namespace.
 *
 * @module
 */

import type { Lab } from "../lab/lab.ts";
import { labConfig, startDaemon } from "../lab/daemon.ts";
import { wallNow } from "../lab/json_lines.ts";
import { vifNames } from "../lab/kernel_state.ts";
import {
  ensureIgmpproxy,
  igmpproxyConfig,
  igmpproxyVersion,
  startIgmpproxy,
  waitIgmpproxyReady,
} from "./igmpproxy.ts";

/** Settings a scenario may ask of a contender. */
export interface StartSettings {
  /**
   * Last member query interval in seconds (our `last-member-query-interval`; default: each
   * daemon's own default). igmpproxy 0.3 has no such setting.
   */
  lastMemberQueryInterval?: number;
}

/** A contender started in the lab. */
export interface Running {
  /** The daemon's pid (the `ip netns exec` child execs it, so the pid is the daemon's). */
  readonly pid: number;
  /** Wall-clock ms just before it was spawned. */
  readonly spawnedAt: number;
  /** Log lines so far. */
  readonly lines: readonly string[];
  /** Stops it (SIGTERM) and waits for the exit. */
  stop(): Promise<{ code: number; ms: number }>;
}

/** A daemon under benchmark. */
export interface Contender {
  /** Short name, the column title. */
  readonly name: string;
  /** Its version, for the report. */
  version(): Promise<string>;
  /** Whether it honours {@link StartSettings.lastMemberQueryInterval}. */
  readonly setsLastMemberQueryInterval: boolean;
  /**
   * Starts it in the lab's proxy namespace and resolves once it serves the lab: its VIFs are in
   * the kernel (and for ours, it logged `Started`).
   */
  start(lab: Lab, settings?: StartSettings): Promise<Running>;
}

async function waitVifs(lab: Lab, exited: () => boolean, timeoutMs = 10_000): Promise<void> {
  const want = [lab.ifaces.upstream, ...lab.ifaces.downstream];
  const t0 = performance.now();
  for (;;) {
    const names = await vifNames(lab);
    if (want.every((n) => names.includes(n))) return;
    if (exited()) throw new Error("The daemon exited before adding its VIFs");
    if (performance.now() - t0 > timeoutMs) {
      throw new Error(`No VIFs for ${want.join(", ")} after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** mcast-proxy from this checkout. */
export const ours: Contender = {
  name: "mcast-proxy",
  setsLastMemberQueryInterval: true,
  async version() {
    const meta = JSON.parse(
      await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
    ) as { version?: string };
    const rev = await new Deno.Command("git", {
      args: ["rev-parse", "--short", "HEAD"],
      cwd: new URL("../..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "null",
    }).output().then((o) => new TextDecoder().decode(o.stdout).trim()).catch(() => "");
    return `${meta.version ?? "?"}${rev === "" ? "" : ` (${rev})`} on Deno ${Deno.version.deno}`;
  },
  async start(lab, settings = {}) {
    const lmqi = settings.lastMemberQueryInterval;
    const head = lmqi === undefined ? "" : `last-member-query-interval ${lmqi}\n`;
    const spawnedAt = wallNow();
    const daemon = await startDaemon(lab, { config: head + labConfig(lab), flags: ["-d"] });
    let exited = false;
    daemon.status.then(() => exited = true);
    try {
      await daemon.waitForLine(/info: Started/, 20_000);
      await waitVifs(lab, () => exited);
    } catch (e) {
      await daemon.stop().catch(() => {});
      throw new Error(`mcast-proxy did not start: ${e}\n${daemon.lines.slice(-20).join("\n")}`);
    }
    return {
      pid: daemon.child.pid,
      spawnedAt,
      lines: daemon.lines,
      stop: () => daemon.stop(),
    };
  },
};

/** Debian's igmpproxy 0.3, installed on demand. */
export const igmpproxy: Contender = {
  name: "igmpproxy",
  setsLastMemberQueryInterval: false,
  version: () => igmpproxyVersion(),
  async start(lab) {
    const bin = await ensureIgmpproxy();
    const spawnedAt = wallNow();
    const peer = await startIgmpproxy(lab, { bin, flags: ["-d"], config: igmpproxyConfig(lab) });
    try {
      await waitIgmpproxyReady(lab, peer, 10_000);
    } catch (e) {
      await peer.stop().catch(() => {});
      throw e;
    }
    return { pid: peer.pid, spawnedAt, lines: peer.lines, stop: () => peer.stop() };
  },
};
