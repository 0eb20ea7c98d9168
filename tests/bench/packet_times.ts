/**
 * When packets crossed a wire, from tcpdump's one-line output (`tcpdump -l -n -tt`): the
 * benchmarks use it where the receiving application cannot tell, e.g. the last datagram a LAN
 * carried after its only member left (the member's own socket stops at the leave), or the first
 * query a daemon sent.
 *
 * @module
 */

import type { Lab } from "../lab/lab.ts";
import { spawnTcpdump } from "../lab/capture.ts";

/** One packet line of `tcpdump -n -tt`: when, and to which address (the port left out). */
export interface PacketLine {
  /** Wall-clock ms. */
  time: number;
  /** The destination address, e.g. `239.10.0.1` or `ff02::16`. */
  destination: string;
}

/**
 * Parses a packet line of `tcpdump -n -tt` output (`1764748800.123456 IP 10.0.0.2.4 >
 * 239.1.1.1.5001: UDP, length 20`); `undefined` for any other line.
 *
 * @example
 * ```ts
 * parsePacketLine("1764748800.5 IP 10.1.0.11 > 239.10.0.1: igmp v2 report 239.10.0.1");
 * // { time: 1764748800500, destination: "239.10.0.1" }
 * ```
 */
export function parsePacketLine(line: string): PacketLine | undefined {
  const m = /^(\d+)\.(\d{1,9})\s+(IP6?)\s+\S+\s+>\s+(\S+):\s/.exec(line);
  if (m === null) return undefined;
  let destination = m[4];
  if (m[3] === "IP") {
    // a.b.c.d.port: the fifth part is the port.
    const parts = destination.split(".");
    if (parts.length === 5) destination = parts.slice(0, 4).join(".");
  } else {
    // IPv6: tcpdump writes the port after a last dot too (ff05::1.5001).
    const dot = destination.lastIndexOf(".");
    if (dot > destination.lastIndexOf(":")) destination = destination.slice(0, dot);
  }
  return { time: Number(m[1]) * 1000 + Number(`0.${m[2]}`) * 1000, destination };
}

/**
 * The wall-clock ms of each packet line of `tcpdump -n -tt` output, in order; other lines are
 * skipped.
 *
 * @example
 * ```ts
 * packetTimes("1764748800.123456 IP 10.0.0.2.4 > 239.1.1.1.5001: UDP, length 20\n");
 * // [1764748800123.456]
 * ```
 */
export function packetTimes(text: string): number[] {
  const times: number[] = [];
  for (const line of text.split("\n")) {
    const p = parsePacketLine(line);
    if (p !== undefined) times.push(p.time);
  }
  return times;
}

/** A tcpdump running in a namespace, collecting packet times. */
export interface PacketClock {
  /** Packet times so far (wall-clock ms), in order. */
  readonly times: number[];
  /** The time of the first packet to each destination address so far. */
  readonly firsts: Map<string, number>;
  /** Resolves with the time of the first packet (seen before or after the call). */
  first(timeoutMs: number): Promise<number>;
  /** Stops tcpdump and resolves with every packet time it printed. */
  stop(): Promise<number[]>;
}

/**
 * Starts `tcpdump --immediate-mode -l -n -tt -i IFACE FILTER` in namespace `ns` and resolves
 * once it listens. tcpdump puts the interface in promiscuous mode, so it sees what the wire
 * carries whatever the host's own memberships are.
 */
export async function startPacketClock(
  lab: Lab,
  ns: string,
  iface: string,
  filter: string,
): Promise<PacketClock> {
  const { child, stderr } = await spawnTcpdump(lab, ns, [
    ...["--immediate-mode", "-l", "-n", "-tt", "-i", iface, filter],
  ]);
  const times: number[] = [];
  const firsts = new Map<string, number>();
  const wake = new Set<() => void>();
  const take = (text: string) => {
    for (const line of text.split("\n")) {
      const p = parsePacketLine(line);
      if (p === undefined) continue;
      times.push(p.time);
      if (!firsts.has(p.destination)) firsts.set(p.destination, p.time);
    }
  };
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const nl = rest.lastIndexOf("\n");
      if (nl < 0) continue;
      take(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      for (const w of wake) w();
    }
    take(rest);
  })();
  return {
    times,
    firsts,
    first(timeoutMs) {
      if (times.length > 0) return Promise.resolve(times[0]);
      return new Promise((resolve, reject) => {
        const done = () => {
          if (times.length === 0) return;
          clearTimeout(t);
          wake.delete(done);
          resolve(times[0]);
        };
        const t = setTimeout(() => {
          wake.delete(done);
          reject(new Error(`No packet matching "${filter}" on ${ns}/${iface} in ${timeoutMs} ms`));
        }, timeoutMs);
        wake.add(done);
      });
    },
    async stop() {
      // tcpdump prints what it buffered when it exits on SIGINT/SIGTERM (-l: line buffered).
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await child.status;
      await Promise.all([reading, stderr]);
      return times;
    },
  };
}
