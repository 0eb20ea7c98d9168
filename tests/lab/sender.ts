/**
 * A multicast UDP sender for the lab, run inside a namespace:
 *
 * ```sh
 * deno run --allow-net --allow-env --allow-read tests/lab/sender.ts \
 *   --groups 239.1.1.1,239.1.1.2 --port 5001 --rate 200 --ttl 8 --iface-addr 10.0.0.2 \
 *   [--duration S] [--size BYTES]
 * ```
 *
 * Sends `rate` datagrams per second to each group, payload ASCII `seq <n> <group>` (n from 0,
 * per group; padded with spaces to `--size` bytes if given), from `--iface-addr` with the given
 * TTL and multicast loop off. Runs until SIGTERM/SIGINT or `--duration` seconds, then exits 0.
 * On stdout, one JSON object per line: `{"ev":"ready","t":ms}` once the socket is set up and
 * `{"ev":"done","sent":{"<group>":n,...},"errors":n,"t":ms}` at the end.
 *
 * The module also exports {@link startSender}, which runs this script in a lab namespace.
 *
 * @module
 */

import dgram from "node:dgram";
import { awaitReady, emit, parseEvent, readLines, wallNow } from "./json_lines.ts";
import { denoRunArgv, type Lab, SRC_ADDR } from "./lab.ts";

/** Sender settings (the command-line flags). */
export interface SenderOptions {
  /** Destination groups. */
  groups: string[];
  /** Destination UDP port (default 5001). */
  port?: number;
  /** Datagrams per second per group (default 100). */
  rate?: number;
  /** IP TTL (default 8). */
  ttl?: number;
  /** Address of the interface to send from (default 10.0.0.2, the lab's sender). */
  ifaceAddr?: string;
  /** Stop after this many seconds (default: run until killed). */
  duration?: number;
  /** Pad the payload with spaces to this many bytes. */
  size?: number;
}

/** Parses the sender's command line. Throws with a usage message on bad input. */
export function parseSenderArgs(args: string[]): Required<Omit<SenderOptions, "duration">> & {
  duration: number | null;
} {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]);
    if (!m) throw new Error(`Unexpected argument "${args[i]}"`);
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new Error(`Flag "--${m[1]}" needs a value`);
    flags.set(m[1], value);
  }
  const known = ["groups", "port", "rate", "ttl", "iface-addr", "duration", "size"];
  for (const k of flags.keys()) if (!known.includes(k)) throw new Error(`Unknown flag "--${k}"`);
  const num = (k: string, dflt: number, min: number, max: number): number => {
    const v = flags.get(k);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new Error(`Flag "--${k}" must be a number from ${min} to ${max}, not "${v}"`);
    }
    return n;
  };
  const groups = (flags.get("groups") ?? "").split(",").filter((g) => g !== "");
  if (groups.length === 0) throw new Error(`Flag "--groups" is required`);
  return {
    groups,
    port: num("port", 5001, 1, 65535),
    rate: num("rate", 100, 0.001, 100000),
    ttl: num("ttl", 8, 1, 255),
    ifaceAddr: flags.get("iface-addr") ?? SRC_ADDR,
    duration: flags.has("duration") ? num("duration", 0, 0, 1e9) : null,
    size: num("size", 0, 0, 65000),
  };
}

/** Builds the payload of datagram `seq` to `group`. */
export function senderPayload(seq: number, group: string, size = 0): Uint8Array {
  return new TextEncoder().encode(`seq ${seq} ${group}`.padEnd(size, " "));
}

async function main(args: string[]): Promise<number> {
  let opts: ReturnType<typeof parseSenderArgs>;
  try {
    opts = parseSenderArgs(args);
  } catch (e) {
    console.error(`sender: ${e instanceof Error ? e.message : e}`);
    console.error(
      "usage: sender.ts --groups G[,G...] [--port P] [--rate PPS] [--ttl N] " +
        "[--iface-addr A] [--duration S] [--size BYTES]",
    );
    return 2;
  }
  const sock = dgram.createSocket({ type: "udp4" });
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(0, opts.ifaceAddr, () => {
      sock.off("error", reject);
      resolve();
    });
  });
  sock.setMulticastTTL(opts.ttl);
  sock.setMulticastInterface(opts.ifaceAddr);
  sock.setMulticastLoopback(false);

  const sent = new Map<string, number>(opts.groups.map((g) => [g, 0]));
  let errors = 0;
  let lastError = "";
  let pending = 0;
  let drainedResolve: (() => void) | null = null;
  const onSent = (err: Error | null) => {
    pending--;
    if (pending === 0) drainedResolve?.();
    if (!err) return;
    errors++;
    if (err.message !== lastError) console.error(`sender: Cannot send: ${err.message}`);
    lastError = err.message;
  };

  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => stop = resolve);
  const onSignal = () => stop();
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGINT", onSignal);

  emit({ ev: "ready", t: wallNow() });
  const start = performance.now();
  const period = 1000 / opts.rate;
  let next = 0; // sequence number due next, the same for every group
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    const elapsed = performance.now() - start;
    if (opts.duration !== null && elapsed >= opts.duration * 1000) {
      stop();
      return;
    }
    // Catch up after a stall, but never burst more than 50 per group at once.
    const due = Math.min(Math.floor(elapsed / period) + 1, next + 50);
    for (; next < due; next++) {
      for (const g of opts.groups) {
        pending++;
        sock.send(senderPayload(next, g, opts.size), opts.port, g, onSent);
        sent.set(g, next + 1);
      }
    }
    timer = setTimeout(tick, Math.max(0, next * period - (performance.now() - start)));
  };
  tick();
  await stopped;
  clearTimeout(timer);
  Deno.removeSignalListener("SIGTERM", onSignal);
  Deno.removeSignalListener("SIGINT", onSignal);
  // Let queued sends complete before closing.
  if (pending > 0) await new Promise<void>((resolve) => drainedResolve = resolve);
  sock.close();
  emit({ ev: "done", sent: Object.fromEntries(sent), errors, t: wallNow() });
  return 0;
}

/** A sender running in a lab namespace, started by {@link startSender}. */
export interface RunningSender {
  /** The `ip netns exec` child process. */
  readonly child: Deno.ChildProcess;
  /** Wall-clock ms when the sender reported ready. */
  readonly readyAt: number;
  /** Stops the sender (SIGTERM) and returns how many datagrams it sent per group. */
  stop(): Promise<Record<string, number>>;
}

/**
 * Starts the sender in a lab namespace (default: the `src` namespace) and waits until it is
 * ready. {@link Lab.destroy} also stops it.
 *
 * @example
 * ```ts
 * const sender = await startSender(lab, { groups: ["239.1.1.1"], rate: 200 });
 * // ...
 * const sent = await sender.stop(); // { "239.1.1.1": 412 }
 * ```
 */
export async function startSender(
  lab: Lab,
  opts: SenderOptions & { ns?: string },
): Promise<RunningSender> {
  const args = ["--groups", opts.groups.join(",")];
  if (opts.port !== undefined) args.push("--port", String(opts.port));
  if (opts.rate !== undefined) args.push("--rate", String(opts.rate));
  if (opts.ttl !== undefined) args.push("--ttl", String(opts.ttl));
  args.push("--iface-addr", opts.ifaceAddr ?? SRC_ADDR);
  if (opts.duration !== undefined) args.push("--duration", String(opts.duration));
  if (opts.size !== undefined) args.push("--size", String(opts.size));
  const child = lab.spawnIn(
    opts.ns ?? lab.ns.src,
    denoRunArgv(new URL("./sender.ts", import.meta.url), args),
    { stdout: "piped" },
  );
  const lines = readLines(child.stdout);
  const readyAt = await awaitReady(lines, child, "The sender");
  let sent: Record<string, number> = {};
  const drained = (async () => {
    for await (const line of lines) {
      const ev = parseEvent(line);
      if (ev?.ev === "done") sent = ev.sent as Record<string, number>;
    }
  })();
  return {
    child,
    readyAt,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await child.status;
      await drained;
      return sent;
    },
  };
}

if (import.meta.main) Deno.exit(await main(Deno.args));
