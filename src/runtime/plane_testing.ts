/**
 * Helpers of the plane's tests: a plane over the fake OS on a clock the test moves, the
 * system's interfaces, and the kernel calls in short.
 *
 * @module
 */

import { DEFAULT_TIMERS } from "../core/timers.ts";
import { createLogger } from "../log.ts";
import { formatIPv4, ipv6ToBigInt, parseIPv6 } from "../proto/addr.ts";
import { encodeV2Report } from "../proto/igmp_encode.ts";
import { buildIPv4Packet, ip } from "../proto/testing.ts";
import { type FakeCall, FakeSys } from "../../tests/fakes/fake_sys.ts";
import { type ConfiguredInterface, IPV4, scanInterfaces } from "./interfaces.ts";
import { Plane } from "./plane.ts";
import type { FamilyPort } from "./sys.ts";
import type { Received, SystemInterface } from "./sys.ts";

/** An IPv6 address's 16 bytes. */
export const v6 = (s: string): Uint8Array => parseIPv6(s)!;
/** An IPv6 address as the core holds it. */
export const b6 = (s: string): bigint => ipv6ToBigInt(v6(s));

/** A usable interface with 10.n.0.1/24, 2001:db8:n::1/64 and fe80::(n+1)/64. */
export function sysIf(name: string, index: number, n: number): SystemInterface {
  return {
    name,
    index,
    up: true,
    running: true,
    multicast: true,
    loopback: false,
    ipv4: [{ address: ip(`10.${n}.0.1`), prefixLength: 24 }],
    ipv6: [
      { address: v6(`2001:db8:${n}::1`), prefixLength: 64 },
      { address: v6(`fe80::${n + 1}`), prefixLength: 64 },
    ],
  };
}

/** The system's interfaces: up0 (index 10), dn1 (11) and dn2 (12). */
export const SYSTEM: SystemInterface[] = [
  sysIf("up0", 10, 0),
  sysIf("dn1", 11, 1),
  sysIf("dn2", 12, 2),
];

/**
 * One configured interface with the default settings, or those given. The query version
 * defaults to IGMPv3's 3: IPv6 interfaces give theirs (MLD's latest is 2).
 */
export function cfg<A extends number | bigint = number>(
  name: string,
  role: "upstream" | "downstream",
  more: Partial<ConfiguredInterface<A>> = {},
): ConfiguredInterface<A> {
  return {
    name,
    role,
    sources: [],
    threshold: 1,
    timers: DEFAULT_TIMERS,
    boundaries: [],
    queryVersion: 3,
    ...more,
  };
}

/** up0 upstream, dn1 and dn2 downstream, with the default settings. */
export const CONFIGURED: ConfiguredInterface<number>[] = [
  cfg("up0", "upstream"),
  cfg("dn1", "downstream"),
  cfg("dn2", "downstream"),
];

/** What {@link setup4} returns. */
export interface PlaneTest {
  /** The fake OS. */
  sys: FakeSys;
  /** The plane, not started. */
  plane: Plane<number>;
  /** Every log line (debug included). */
  lines: string[];
  /** Takes the table and starts the plane, as the daemon does; then forgets the calls. */
  started(): Plane<number>;
  /** The test's clock. */
  now(): number;
  /** Moves the clock; returns the new time. */
  advance(ms: number): number;
}

/**
 * An IPv4 plane over the fake OS, on a clock the test moves; `started()` takes the table and
 * starts it on the usable interfaces of `system`, as the daemon does.
 */
export function setup4(
  opts: { system?: SystemInterface[]; configured?: ConfiguredInterface<number>[] } = {},
): PlaneTest {
  const sys = new FakeSys(opts.system ?? SYSTEM);
  const configured = opts.configured ?? CONFIGURED;
  const lines: string[] = [];
  const log = createLogger({ sink: (_l, line) => lines.push(line), verbosity: 1 });
  let now = 0;
  const port: FamilyPort<number> = sys.ipv4;
  const plane = new Plane({ spec: IPV4, port, configured, log, now: () => now });
  const started = () => {
    plane.init();
    plane.start(scanInterfaces(IPV4, configured, sys.systemInterfaces).usable, now);
    sys.calls.length = 0;
    return plane;
  };
  return {
    sys,
    plane,
    lines,
    started,
    now: () => now,
    advance: (ms: number) => (now += ms),
  };
}

/** The kernel calls in short, e.g. `joinGroup 239.1.1.1 on 10`, `sendIgmp on 11`. */
export function describeCalls(calls: FakeCall[]): string[] {
  const sg = (source: number, group: number) => `(${formatIPv4(source)}, ${formatIPv4(group)})`;
  return calls.map((c) => {
    switch (c.op) {
      case "addVif":
        return `addVif ${c.vif.vifi} on ${c.vif.ifindex}`;
      case "delVif":
        return `delVif ${c.vifi}`;
      case "addMfc":
        return `addMfc ${sg(c.mfc.source, c.mfc.group)} from ${c.mfc.parent} to ${
          c.mfc.oifs.map((o) => o.vifi).join(",")
        }`;
      case "delMfc":
      case "sgCount":
        return `${c.op} ${sg(c.source, c.group)}`;
      case "joinGroup":
      case "leaveGroup":
        return `${c.op} ${formatIPv4(c.group)} on ${c.ifindex}`;
      case "sendIgmp":
        return `sendIgmp on ${c.ifindex}`;
      case "vifCount":
        return `vifCount ${c.vifi}`;
      default:
        return c.op;
    }
  });
}

/** The messages of the lines at one level. */
export function messages(lines: string[], level: "warn" | "info" | "debug"): string[] {
  return lines.flatMap((l) => {
    const i = l.indexOf(` ${level}: `);
    return i < 0 ? [] : [l.slice(i + level.length + 3)];
  });
}

/** An IGMPv2 report from a host, as the routing socket reads it. */
export function v2Report(ifindex: number, from: string, group: number): Received {
  const data = buildIPv4Packet({
    source: ip(from),
    destination: group,
    payload: encodeV2Report(group),
  });
  return { kind: "packet", ifindex, data, length: data.length };
}

/** The group of the tests. */
export const G: number = ip("239.1.1.1");
/** The source of the tests. */
export const S: number = ip("10.0.0.2");

/** A started plane with a member of G on dn1 and an entry for (S, G) installed. */
export function forwarding(): PlaneTest {
  const t = setup4();
  t.started();
  t.sys.deliver(v2Report(11, "10.1.0.11", G));
  t.sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: S, group: G });
  t.plane.drain();
  t.sys.calls.length = 0;
  return t;
}
