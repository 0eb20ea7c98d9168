/**
 * A live packet capture in a lab namespace: what a LAN's wire (or the upstream link) carries,
 * read as tcpdump prints it, so that a test can wait for a packet and count datagrams per
 * source. A host's socket cannot tell that: its kernel filters by the host's own source
 * filter, while the wire shows what the proxy forwarded.
 *
 * Runs `tcpdump -l -n -tt -vv`: `-vv` prints the source lists of IGMPv3 and MLDv2 records
 * (`[gaddr 232.1.1.1 allow { 10.0.0.2 }]`), which `-v` only counts.
 *
 * @example
 * ```ts
 * const wire = await startWireWatch(lab, lab.ns.hosts[0][0], { filter: "udp" });
 * const since = Host.now();
 * await wire.waitFor("100 datagrams of S1", (p) => countBySource(p, { group, since }).get(S1)! >= 100);
 * equal(countBySource(wire.packets, { group, since }).get(S2) ?? 0, 0);
 * await wire.stop();
 * ```
 *
 * @module
 */

import { type Captured, CaptureParser, spawnTcpdump } from "./capture.ts";
import type { LabShell } from "./lab.ts";
import { readLines, wallNow } from "./json_lines.ts";
import { sleep } from "./kernel_state.ts";
import { scaledWait } from "./wait_scale.ts";

/** Options of {@link startWireWatch}. */
export interface WireWatchOptions {
  /** Interface (default `eth0`, a lab host's only one). */
  iface?: string;
  /** tcpdump filter expression (default `udp`). */
  filter?: string;
}

/** A running capture. */
export interface WireWatch {
  /** The packets captured so far, in order (the array grows as packets come). */
  readonly packets: readonly Captured[];
  /**
   * Resolves with the packets once `until` holds for them; rejects after `timeoutMs`
   * (default 5000, scaled by {@link scaledWait}) naming `what` and with the last packets seen.
   */
  waitFor(
    what: string,
    until: (packets: readonly Captured[]) => boolean,
    timeoutMs?: number,
  ): Promise<readonly Captured[]>;
  /** Stops tcpdump and resolves with every packet it printed. */
  stop(): Promise<readonly Captured[]>;
}

/** Starts tcpdump in `ns`; resolves once it listens. {@link LabShell.destroy} stops it too. */
export async function startWireWatch(
  lab: LabShell,
  ns: string,
  opts: WireWatchOptions = {},
): Promise<WireWatch> {
  const { iface = "eth0", filter = "udp" } = opts;
  const { child, stderr } = await spawnTcpdump(lab, ns, [
    ...["-l", "-n", "-tt", "-vv", "-i", iface, filter],
  ]);
  const packets: Captured[] = [];
  const waiters = new Set<() => void>();
  const parser = new CaptureParser();
  const reading = (async () => {
    for await (const line of readLines(child.stdout)) {
      const p = parser.push(line);
      if (p === undefined) continue;
      packets.push(p);
      for (const w of waiters) w();
    }
  })();
  let ended = false;
  const end = reading.finally(() => {
    ended = true;
    for (const w of waiters) w();
  });
  return {
    packets,
    waitFor(what, until, timeoutMs = 5000) {
      const ms = scaledWait(timeoutMs);
      if (until(packets)) return Promise.resolve(packets);
      return new Promise((resolve, reject) => {
        const finish = (error?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error === undefined) resolve(packets);
          else reject(error);
        };
        const check = () => {
          if (until(packets)) finish();
          else if (ended) finish(new Error(`tcpdump in "${ns}" ended while waiting for ${what}`));
        };
        const timer = setTimeout(() => {
          const last = packets.slice(-5).map((p) => `  ${p.body}`).join("\n");
          finish(
            new Error(
              `Timed out after ${ms} ms waiting for ${what} on "${iface}" in "${ns}" ` +
                `(${packets.length} packets captured; the last:\n${last})`,
            ),
          );
        }, ms);
        waiters.add(check);
      });
    },
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await child.status;
      await stderr;
      await end;
      return packets;
    },
  };
}

/** The source and destination of a captured UDP datagram, or undefined for anything else. */
export function udpFlow(p: Captured): { source: string; group: string } | undefined {
  // `10.0.0.2.40000 > 232.1.1.1.5001: UDP, length 19`; IPv6 with `[udp sum ok] ` before `UDP`.
  const m = /^(\S+)\.\d+ > (\S+)\.\d+: (?:\[[^\]]*\] )?UDP\b/.exec(p.body);
  return m === null ? undefined : { source: m[1], group: m[2] };
}

/**
 * How many UDP datagrams to `group` each source put on the wire, counting those captured at
 * or after `since` (wall-clock ms) only, when given.
 */
export function countBySource(
  packets: readonly Captured[],
  opts: { group: string; since?: number },
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of packets) {
    if (opts.since !== undefined && p.time < opts.since) continue;
    const flow = udpFlow(p);
    if (flow === undefined || flow.group !== opts.group) continue;
    counts.set(flow.source, (counts.get(flow.source) ?? 0) + 1);
  }
  return counts;
}

/** Datagrams of `source` to `group` on a wire since `since`. */
export function onWire(wire: WireWatch, group: string, source: string, since: number): number {
  return countBySource(wire.packets, { group, since }).get(source) ?? 0;
}

/**
 * Waits until no datagram of `source` to `group` came for `quietMs` and resolves with the time
 * of the last one (undefined when none came after `since`); throws when they keep coming past
 * `timeoutMs`.
 */
export async function lastDatagram(
  wire: WireWatch,
  opts: { group: string; source: string; since: number; quietMs: number; timeoutMs: number },
): Promise<number | undefined> {
  const deadline = wallNow() + opts.timeoutMs;
  for (;;) {
    let last: number | undefined;
    for (let i = wire.packets.length - 1; i >= 0; i--) {
      const p = wire.packets[i];
      if (p.time < opts.since) break;
      const f = udpFlow(p);
      if (f?.group === opts.group && f.source === opts.source) {
        last = p.time;
        break;
      }
    }
    const now = wallNow();
    if (now - (last ?? opts.since) >= opts.quietMs) return last;
    if (now > deadline) {
      throw new Error(
        `${opts.source} still reaches the wire for ${opts.group} ${
          (now - opts.since).toFixed(0)
        } ms after the change (last datagram ${(now - (last ?? now)).toFixed(0)} ms ago)`,
      );
    }
    await sleep(50);
  }
}

/** One group record of a captured IGMPv3 or MLDv2 report. */
export interface CapturedRecord {
  /** The multicast address. */
  group: string;
  /** As tcpdump names it: `is_in`, `is_ex`, `to_in`, `to_ex`, `allow` or `block`. */
  type: string;
  /** The record's sources (tcpdump `-vv` prints them). */
  sources: string[];
}

/** Whether a captured packet is an IGMPv3 or MLDv2 report. */
export function isV3Report(p: Captured): boolean {
  return /igmp v3 report|multicast listener report v2/.test(p.body);
}

/**
 * The group records of a captured IGMPv3 or MLDv2 report (`-vv`), e.g. `[gaddr 232.1.1.1
 * allow { 10.0.0.2 }]`; empty for any other packet.
 */
export function reportRecords(p: Captured): CapturedRecord[] {
  if (!isV3Report(p)) return [];
  const out: CapturedRecord[] = [];
  for (const m of p.body.matchAll(/\[gaddr (\S+) (\w+) \{([^}]*)\}\]/g)) {
    out.push({ group: m[1], type: m[2], sources: m[3].trim().split(/\s+/).filter((s) => s) });
  }
  return out;
}

/**
 * The kind of a captured membership query: `igmp v1`, `igmp v2`, `igmp v3`, `mld v1`,
 * `mld v2`; undefined for anything else. tcpdump names the IGMP version by the query's length
 * and Max Resp Code (`igmp query v3`), and the MLD version by the length (`multicast listener
 * query v2` for MLDv2's 28 bytes and more).
 */
export function queryKind(p: Captured): string | undefined {
  const igmp = /igmp query v([123])/.exec(p.body);
  if (igmp) return `igmp v${igmp[1]}`;
  const mld = /multicast listener query( v2)?/.exec(p.body);
  if (mld) return mld[1] ? "mld v2" : "mld v1";
  return undefined;
}

/**
 * The Maximum Response Time (IGMP, `[max resp time 1.0s]`) or Delay (MLD, `max resp delay=1000`
 * or `max resp delay: 1000`) of a captured query, in ms; undefined when it names none.
 */
export function queryMaxResponseMs(p: Captured): number | undefined {
  const igmp = /igmp query v3 \[max resp time ([\d.]+)s\]/.exec(p.body);
  if (igmp) return Math.round(Number(igmp[1]) * 1000);
  const mld = /multicast listener query.*?max resp delay[=:] ?(\d+)/.exec(p.body);
  return mld ? Number(mld[1]) : undefined;
}
