/**
 * Shared fixtures of the daemon's tests: a configuration of one upstream and two LANs, the
 * system's interfaces for it, a daemon over the fake OS on a clock the test moves, and readers
 * of its log lines.
 *
 * @module
 */

import type { Config, InterfaceConfig } from "../../conf/config.ts";
import { createLogger } from "../log.ts";
import { encodeV2Report } from "../proto/igmp_encode.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";
import { FakeSys } from "../../tests/fakes/fake_sys.ts";
import type { SystemInterface } from "./sys.ts";
import { Daemon, type MemoryUsage as DaemonMemory } from "./daemon.ts";

/** The position of every configured statement. */
export const POS = { file: "test.conf", line: 1, col: 1 };

/** A configured interface with the default settings. */
export function iface(name: string, role: InterfaceConfig["role"]): InterfaceConfig {
  return { name, role, threshold: 1, sources: [], timers: {}, boundaries: [], position: POS };
}

/** IPv4 only: `up0` upstream, `dn1` and `dn2` downstream. */
export const CONFIG: Config = {
  ipv4: true,
  ipv6: false,
  timers: {},
  scopes: [],
  ssmRanges: [],
  interfaces: [iface("up0", "upstream"), iface("dn1", "downstream"), iface("dn2", "downstream")],
};

/** A system interface that is up, running and multicast, with one /24. */
export function sysIf(name: string, index: number, address: string): SystemInterface {
  return {
    name,
    index,
    up: true,
    running: true,
    multicast: true,
    loopback: false,
    ipv4: [{ address: ip(address), prefixLength: 24 }],
    ipv6: [],
  };
}

/** The system interfaces of {@link CONFIG}: indexes 10, 11, 12. */
export const SYSTEM: SystemInterface[] = [
  sysIf("up0", 10, "10.0.0.1"),
  sysIf("dn1", 11, "10.1.0.1"),
  sysIf("dn2", 12, "10.2.0.1"),
];

/** The messages of the warn lines. */
export function warnings(lines: string[]): string[] {
  return lines.flatMap((l) => {
    const i = l.indexOf(" warn: ");
    return i < 0 ? [] : [l.slice(i + 7)];
  });
}

/** A daemon over the fake OS with a clock moved by `advance`, logging at -v into `lines`. */
export function setup(
  opts: { config?: Config; system?: SystemInterface[]; memoryUsage?: () => DaemonMemory } = {},
): { sys: FakeSys; lines: string[]; daemon: Daemon; advance: (ms: number) => number } {
  const sys = new FakeSys(opts.system ?? SYSTEM);
  const lines: string[] = [];
  const log = createLogger({ sink: (_l, line) => lines.push(line), verbosity: 1 });
  let now = 0;
  const daemon = new Daemon({
    sys,
    config: opts.config ?? CONFIG,
    log,
    now: () => now,
    describeTableHolder: () => "held by igmpproxy (pid 42)",
    ...(opts.memoryUsage === undefined ? {} : { memoryUsage: opts.memoryUsage }),
  });
  return { sys, lines, daemon, advance: (ms: number) => (now += ms) };
}

/** Waits (real time, at most `ms`) until `cond` holds. */
export async function until(what: string, cond: () => boolean, ms = 1000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Whether a log line ends with `suffix`. */
export function hasLine(lines: string[], suffix: string): boolean {
  return lines.some((l) => l.endsWith(suffix));
}

/** A `packet` event carrying an IGMPv2 report for `group` from `from`. */
export function v2Report(
  ifindex: number,
  from: string,
  group: number,
): { kind: "packet"; ifindex: number; data: Uint8Array; length: number } {
  const data = buildIPv4Packet({
    source: ip(from),
    destination: group,
    payload: encodeV2Report(group),
  });
  return { kind: "packet" as const, ifindex, data, length: data.length };
}

/** The messages of the info lines logged from line `from` on. */
export function infoFrom(lines: string[], from: number): string[] {
  return lines.slice(from).flatMap((l) => {
    const i = l.indexOf(" info: ");
    return i < 0 ? [] : [l.slice(i + 7)];
  });
}
