/**
 * Packet captures in a lab namespace with tcpdump, read back as parsed packets: how the tests
 * check what the daemon puts on the wire (IGMP queries, their IP header fields and timing).
 *
 * @example
 * ```ts
 * if (await hasTcpdump()) {
 *   const capture = await startCapture(lab, lab.ns.hosts[0][0]);
 *   // ... run the daemon ...
 *   const packets = await capture.stop();
 *   const queries = packets.filter((p) => p.body.includes("igmp query"));
 * }
 * ```
 *
 * @module
 */

import type { LabShell } from "./lab.ts";

/** One packet as `tcpdump -v -tt` prints it. */
export interface Captured {
  /** Wall-clock ms. */
  time: number;
  /**
   * The IP fields in the parentheses of the header, e.g. `tos 0xc0, ttl 1, ...`, or for IPv6
   * `hlim 1, next-header Options (0) payload length: 32`.
   */
  header: string;
  /**
   * The rest, trimmed: for IPv4 the indented line after the header, e.g. `10.1.0.1 > 224.0.0.1:
   * igmp query v2`; for IPv6 the text after the header on the same line, e.g. `fe80::1 >
   * ff02::16: HBH (rtalert: 0x0000) (padn) [icmp6 sum ok] ICMP6, multicast listener report v2,
   * ...`.
   */
  body: string;
  /** 4 or 6. */
  family: 4 | 6;
}

/** Options for {@link startCapture}. */
export interface CaptureOptions {
  /** Interface to capture on (default `eth0`, a lab host's only interface). */
  iface?: string;
  /**
   * tcpdump filter expression (default `igmp`). For MLD use {@link MLD_FILTER}: tcpdump's
   * `icmp6` misses MLD, which comes after a hop-by-hop header.
   */
  filter?: string;
}

/**
 * A tcpdump filter for MLD messages: ICMPv6 after a hop-by-hop options header (as every MLD
 * message is sent), i.e. the hop-by-hop header's next-header byte is 58.
 */
export const MLD_FILTER = "ip6 and ip6[6] == 0 and ip6[40] == 58";

/** A running capture. */
export interface Capture {
  /** Stops tcpdump (SIGTERM) and resolves with the packets it printed. */
  stop(): Promise<Captured[]>;
}

/** Whether tcpdump is on the PATH. */
export async function hasTcpdump(): Promise<boolean> {
  const r = await new Deno.Command("sh", { args: ["-c", "command -v tcpdump"] }).output();
  return r.code === 0;
}

/**
 * Parses `tcpdump -v -tt` output. IPv4: a header line (with the IP fields) then an indented
 * body. IPv6: one line, `IP6 (fields) body`, the fields holding parentheses of their own
 * (`next-header UDP (17)`). Anything else is skipped.
 */
export function parseCapture(text: string): Captured[] {
  const parser = new CaptureParser();
  return text.split("\n").flatMap((line) => parser.push(line) ?? []);
}

/**
 * The line-by-line parser behind {@link parseCapture}, for output read as it comes: an IPv4
 * header line waits for its body line, an IPv6 line is a packet by itself.
 *
 * @example
 * ```ts
 * const parser = new CaptureParser();
 * parser.push("1.5 IP (tos 0x0, ttl 7, proto UDP (17), length 47)"); // undefined
 * parser.push("    10.0.0.2.40000 > 232.1.1.1.5001: UDP, length 19"); // the packet
 * ```
 */
export class CaptureParser {
  #header: { time: number; header: string } | undefined;

  /** Takes one line (without its newline); returns the packet it completes, if any. */
  push(line: string): Captured | undefined {
    const pending = this.#header;
    this.#header = undefined;
    if (pending !== undefined && line.startsWith(" ")) {
      return { ...pending, body: line.trim(), family: 4 };
    }
    const m = /^(\d+\.\d+) IP \((.*)\)$/.exec(line);
    if (m) {
      this.#header = { time: Number(m[1]) * 1000, header: m[2] };
      return undefined;
    }
    const m6 = /^(\d+\.\d+) IP6 \(/.exec(line);
    if (!m6) return undefined;
    const open = m6[0].length - 1;
    const close = matchingParen(line, open);
    if (close < 0) return undefined;
    return {
      time: Number(m6[1]) * 1000,
      header: line.slice(open + 1, close),
      body: line.slice(close + 1).trim(),
      family: 6,
    };
  }
}

/** The index of the parenthesis closing the one at `open`, or -1. */
function matchingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth === 0) return i;
  }
  return -1;
}

/** The hop limit (IPv6 `hlim`) or TTL (IPv4 `ttl`) in a captured header, or undefined. */
export function hopLimit(p: Captured): number | undefined {
  const m = /(?:^|, )(?:hlim|ttl) (\d+)/.exec(p.header);
  return m ? Number(m[1]) : undefined;
}

/** A tcpdump started by {@link spawnTcpdump}. */
export interface Tcpdump {
  /** The process, its stdout piped (to be read by the caller). */
  child: Deno.ChildProcess;
  /** Resolves once tcpdump's stderr is closed (it exited). */
  stderr: Promise<void>;
}

/**
 * Starts `tcpdump ARGS` in a namespace, its stdout piped, and resolves once it says it is
 * listening; rejects if it exits or is not listening within 5 s.
 */
export async function spawnTcpdump(lab: LabShell, ns: string, args: string[]): Promise<Tcpdump> {
  const child = lab.spawnIn(ns, ["tcpdump", ...args], { stdout: "piped", stderr: "piped" });
  const listening = Promise.withResolvers<void>();
  const stderr = (async () => {
    let text = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.includes("listening on")) listening.resolve();
    }
    listening.reject(new Error(`tcpdump in "${ns}" exited: ${text.trim()}`));
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      listening.promise,
      new Promise((_, reject) =>
        timer = setTimeout(() => reject(new Error(`tcpdump in "${ns}" is not listening`)), 5000)
      ),
    ]);
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { child, stderr };
}

/**
 * Starts tcpdump in a namespace (IGMP on `eth0` by default); resolves once it says it is
 * listening, rejects if it exits or is not listening within 5 s.
 */
export async function startCapture(
  lab: LabShell,
  ns: string,
  opts: CaptureOptions = {},
): Promise<Capture> {
  const { iface = "eth0", filter = "igmp" } = opts;
  const { child, stderr } = await spawnTcpdump(lab, ns, [
    ...["-l", "-n", "-v", "-tt", "-i", iface, filter],
  ]);
  const stdout = new Response(child.stdout).text();
  return {
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await child.status;
      await stderr;
      return parseCapture(await stdout);
    },
  };
}
