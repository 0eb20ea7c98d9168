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
import { sleep, vifNames } from "../lab/kernel_state.ts";
import { parseIgmpMemberships } from "../lab/proc.ts";
import { ensureIgmpproxy, igmpproxyConfig, igmpproxyVersion, startIgmpproxy } from "./igmpproxy.ts";

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
   * Starts it in the lab's proxy namespace and resolves once it serves the lab (see
   * {@link waitServing}; ours must also have logged `Started`).
   */
  start(lab: Lab, settings?: StartSettings): Promise<Running>;
}

/** The all-routers group, which IGMPv2 Leave messages go to. */
const ALL_ROUTERS = "224.0.0.2";

/**
 * What a proxy has not set up yet, from the proxy namespace's VIF names and its memberships
 * per interface: a VIF for the upstream and every downstream, and on every downstream a
 * membership of the all-routers group (without it the kernel does not deliver Leave messages).
 * Empty once it is ready.
 *
 * @example
 * ```ts
 * missingSetup(lab.ifaces, ["up0", "dn1"], new Map([["dn1", ["224.0.0.2"]]]));
 * // ['no VIF for "dn2"', 'no 224.0.0.2 membership on "dn2"']
 * ```
 */
export function missingSetup(
  ifaces: Lab["ifaces"],
  vifs: string[],
  memberships: ReadonlyMap<string, string[]>,
): string[] {
  const missing: string[] = [];
  for (const name of [ifaces.upstream, ...ifaces.downstream]) {
    if (!vifs.includes(name)) missing.push(`no VIF for "${name}"`);
  }
  for (const dn of ifaces.downstream) {
    if (!(memberships.get(dn) ?? []).includes(ALL_ROUTERS)) {
      missing.push(`no ${ALL_ROUTERS} membership on "${dn}"`);
    }
  }
  return missing;
}

/**
 * Waits until the daemon serves the lab (see {@link missingSetup}): its VIFs are in the kernel
 * (`/proc/net/ip_mr_vif` of the proxy namespace lists the upstream and every downstream) and it
 * joined the all-routers group on every downstream (`/proc/net/igmp`). Resolves with the time
 * that took (ms, from the call); rejects with what is missing and the end of the daemon's log
 * when it exits first or after `timeoutMs`.
 */
export async function waitServing(
  lab: Lab,
  proc: { status: Promise<unknown>; lines: readonly string[] },
  name: string,
  timeoutMs = 10_000,
): Promise<number> {
  const t0 = performance.now();
  let exited = false;
  proc.status.then(() => exited = true);
  const tail = () => proc.lines.slice(-30).join("\n");
  for (;;) {
    const joined = parseIgmpMemberships(await lab.readProc(lab.ns.proxy, "/proc/net/igmp"));
    const missing = missingSetup(lab.ifaces, await vifNames(lab), joined);
    if (missing.length === 0) return performance.now() - t0;
    if (exited) {
      throw new Error(`${name} exited before it was ready (${missing.join(", ")}):\n${tail()}`);
    }
    if (performance.now() - t0 > timeoutMs) {
      throw new Error(`${name} not ready after ${timeoutMs} ms: ${missing.join(", ")}:\n${tail()}`);
    }
    await sleep(20);
  }
}

/** mcast-proxy from this checkout. */
export const ours: Contender = mcastProxyAt({
  name: "mcast-proxy",
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
});

/**
 * mcast-proxy run from `program` (default this checkout's `main.ts`, as the lab runs it), e.g.
 * the `main.ts` of another revision: see `startDaemon`'s `program`.
 */
export function mcastProxyAt(opts: {
  name: string;
  version: () => Promise<string>;
  program?: string[];
}): Contender {
  return {
    name: opts.name,
    setsLastMemberQueryInterval: true,
    version: opts.version,
    async start(lab, settings = {}) {
      const lmqi = settings.lastMemberQueryInterval;
      const head = lmqi === undefined ? "" : `last-member-query-interval ${lmqi}\n`;
      const spawnedAt = wallNow();
      const daemon = await startDaemon(lab, {
        config: head + labConfig(lab),
        flags: ["-d"],
        // Another revision may have no control socket (`-s`).
        ...(opts.program === undefined ? {} : { program: opts.program, controlSocket: false }),
      });
      try {
        await daemon.waitForLine(/info: Started/, 20_000);
        await waitServing(lab, daemon, opts.name);
      } catch (e) {
        await daemon.stop().catch(() => {});
        throw new Error(
          `${opts.name} did not start: ${e}\n${daemon.lines.slice(-20).join("\n")}`,
        );
      }
      return {
        pid: daemon.child.pid,
        spawnedAt,
        lines: daemon.lines,
        stop: () => daemon.stop(),
      };
    },
  };
}

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
      await waitServing(lab, peer, "igmpproxy");
    } catch (e) {
      await peer.stop().catch(() => {});
      throw e;
    }
    return { pid: peer.pid, spawnedAt, lines: peer.lines, stop: () => peer.stop() };
  },
};
