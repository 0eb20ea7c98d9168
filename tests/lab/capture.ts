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

import type { Lab } from "./lab.ts";

/** One packet as `tcpdump -v -tt` prints it. */
export interface Captured {
  /** Wall-clock ms. */
  time: number;
  /** The IP fields in the parentheses of the header line, e.g. `tos 0xc0, ttl 1, ...`. */
  header: string;
  /** The indented line after the header, trimmed, e.g. `10.1.0.1 > 224.0.0.1: igmp query v2`. */
  body: string;
}

/** Options for {@link startCapture}. */
export interface CaptureOptions {
  /** Interface to capture on (default `eth0`, a lab host's only interface). */
  iface?: string;
  /** tcpdump filter expression (default `igmp`). */
  filter?: string;
}

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

/** Parses `tcpdump -v -tt` output: a header line (with the IP fields) then an indented body. */
export function parseCapture(text: string): Captured[] {
  const out: Captured[] = [];
  const lines = text.split("\n");
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = /^(\d+\.\d+) IP \((.*)\)$/.exec(lines[i]);
    if (m && lines[i + 1].startsWith(" ")) {
      out.push({ time: Number(m[1]) * 1000, header: m[2], body: lines[i + 1].trim() });
    }
  }
  return out;
}

/**
 * Starts tcpdump in a namespace (IGMP on `eth0` by default); resolves once it says it is
 * listening, rejects if it exits or is not listening within 5 s.
 */
export async function startCapture(
  lab: Lab,
  ns: string,
  opts: CaptureOptions = {},
): Promise<Capture> {
  const { iface = "eth0", filter = "igmp" } = opts;
  const child = lab.spawnIn(
    ns,
    ["tcpdump", "-l", "-n", "-v", "-tt", "-i", iface, filter],
    { stdout: "piped", stderr: "piped" },
  );
  const stdout = new Response(child.stdout).text();
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
  await Promise.race([
    listening.promise,
    new Promise((_, reject) =>
      timer = setTimeout(() => reject(new Error(`tcpdump in "${ns}" is not listening`)), 5000)
    ),
  ]).finally(() => clearTimeout(timer));
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
