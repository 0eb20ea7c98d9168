/**
 * A unicast UDP reachability check for the lab, for machines without `ping`:
 *
 * ```sh
 * udp_echo.ts --serve [--port 7007]                     # echo every datagram back
 * udp_echo.ts --probe ADDR [--port 7007] [--timeout MS] # exit 0 when the echo comes back
 * ```
 *
 * The server answers on IPv4 and IPv6 (when the kernel has it); the probe's family is its
 * address's. The server prints `{"ev":"ready","t":ms}` once bound. {@link udpReachable} runs
 * both ends in lab namespaces.
 *
 * @module
 */

import dgram from "node:dgram";
import { emit, parseEvent, readLines, wallNow } from "./json_lines.ts";
import { denoRunArgv, type LabShell } from "./lab.ts";
import { scaledWait } from "./wait_scale.ts";

/** Default UDP port of the echo server. */
export const ECHO_PORT = 7007;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function serve(port: number): Promise<number> {
  for (const [type, any] of [["udp4", "0.0.0.0"], ["udp6", "::"]] as const) {
    const sock = dgram.createSocket({ type, reuseAddr: true, ipv6Only: type === "udp6" });
    sock.on("message", (msg: Uint8Array, rinfo: { address: string; port: number }) => {
      sock.send(msg, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      sock.once("error", (e) => type === "udp6" ? resolve() : reject(e)); // no IPv6: IPv4 only
      sock.bind(port, any, () => resolve());
    });
  }
  emit({ ev: "ready", t: wallNow() });
  await new Promise<never>(() => {}); // until killed
  return 0;
}

/** Interval between the probe's datagrams: one lost datagram (or a slow neighbour resolution
 * under emulation) must not read as "unreachable". */
const PROBE_INTERVAL_MS = 250;

async function probe(addr: string, port: number, timeoutMs: number): Promise<number> {
  const sock = dgram.createSocket({ type: addr.includes(":") ? "udp6" : "udp4" });
  let sent = 0;
  let interval: ReturnType<typeof setInterval> | undefined;
  try {
    const got = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      sock.on("message", () => {
        clearTimeout(timer);
        resolve(true);
      });
      const send = () => {
        sent++;
        sock.send(new TextEncoder().encode("probe"), port, addr);
      };
      send();
      interval = setInterval(send, PROBE_INTERVAL_MS);
    });
    if (!got) {
      console.error(
        `udp_echo: no echo from ${addr}:${port} to ${sent} datagrams in ${timeoutMs} ms`,
      );
    }
    return got ? 0 : 1;
  } finally {
    clearInterval(interval);
    sock.close();
  }
}

/**
 * Tells whether `addr` (an IPv4 or IPv6 address in namespace `toNs`) answers UDP datagrams
 * sent from namespace `fromNs`, by running an echo server there and a probe here. The probe
 * sends every 250 ms until an echo comes back or `timeoutMs` (2 s, scaled) has passed; a
 * failure's reason goes to stderr.
 */
export async function udpReachable(
  lab: LabShell,
  opts: { fromNs: string; toNs: string; addr: string; timeoutMs?: number },
): Promise<boolean> {
  const script = new URL("./udp_echo.ts", import.meta.url);
  const server = lab.spawnIn(opts.toNs, denoRunArgv(script, ["--serve"]), { stdout: "piped" });
  const lines = readLines(server.stdout);
  try {
    // next() by hand: leaving a for-await loop early would close the generator and the pipe.
    for (let r = await lines.next(); !r.done; r = await lines.next()) {
      if (parseEvent(r.value)?.ev === "ready") break;
    }
    const timeoutMs = opts.timeoutMs ?? scaledWait(2000);
    const r = await lab.exec(
      opts.fromNs,
      denoRunArgv(script, ["--probe", opts.addr, "--timeout", String(timeoutMs)]),
    );
    if (r.code !== 0) {
      console.error(`udpReachable ${opts.fromNs} -> ${opts.addr}: ${r.stderr.trim()}`);
    }
    return r.code === 0;
  } finally {
    server.kill("SIGTERM");
    await server.status;
    for await (const _ of lines) { /* drain to EOF */ }
  }
}

async function main(args: string[]): Promise<number> {
  const port = Number(flag(args, "port") ?? ECHO_PORT);
  if (args.includes("--serve")) return await serve(port);
  const addr = flag(args, "probe");
  if (addr !== undefined) return await probe(addr, port, Number(flag(args, "timeout") ?? 1000));
  console.error("usage: udp_echo.ts --serve [--port P] | --probe ADDR [--port P] [--timeout MS]");
  return 2;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
