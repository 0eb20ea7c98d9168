/**
 * A long-running multicast receiver for a lab host, driven by lines on stdin and reporting on
 * stdout, one JSON object per line:
 *
 * ```sh
 * deno run --allow-net --allow-env --allow-read tests/lab/host_agent.ts --iface-addr 10.1.0.11 \
 *   [--port 5001]
 * ```
 *
 * Commands (stdin): `join <group>`, `leave <group>`, `ping [token]`, `quit` (EOF quits too).
 * Events (stdout), each with `t`, the wall-clock ms (`performance.timeOrigin +
 * performance.now()`) comparable across processes:
 * - `{"ev":"ready","port":5001,"t":..}` once the socket is bound;
 * - `{"ev":"joined","group":"239.1.1.1","t":..}` after IP_ADD_MEMBERSHIP on the host address
 *   (the kernel's host stack sends the IGMP report), `{"ev":"left",...}` after
 *   IP_DROP_MEMBERSHIP (it sends the leave or state-change report);
 * - `{"ev":"error","cmd":"join","group":..,"message":..,"t":..}` when a command fails;
 * - `{"ev":"pong","token":..,"t":..}`;
 * - `{"ev":"rx","group":"239.1.1.1","seq":12,"src":"10.0.0.2","t":..}` per datagram, the group
 *   and sequence number read from the sender's payload `seq <n> <group>` (`group` and `seq` are
 *   null, with `len`, for any other payload);
 * - `{"ev":"bye","t":..}` before exiting.
 *
 * One socket, bound to 0.0.0.0:port, receives every joined group.
 *
 * @module
 */

import dgram from "node:dgram";
import { emit, readLines, wallNow } from "./json_lines.ts";

/** Decodes a sender payload `seq <n> <group>` (trailing padding allowed). */
export function decodePayload(bytes: Uint8Array): { seq: number; group: string } | null {
  const m = /^seq (\d+) (\d+\.\d+\.\d+\.\d+)\s*$/.exec(new TextDecoder().decode(bytes));
  return m ? { seq: Number(m[1]), group: m[2] } : null;
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

async function main(args: string[]): Promise<number> {
  const ifaceAddr = flag(args, "iface-addr");
  const port = Number(flag(args, "port") ?? 5001);
  if (ifaceAddr === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    console.error("usage: host_agent.ts --iface-addr ADDR [--port PORT]");
    return 2;
  }
  const sock = dgram.createSocket({ type: "udp4", reuseAddr: true });
  sock.on("message", (msg: Uint8Array, rinfo: { address: string }) => {
    const t = wallNow();
    const p = decodePayload(msg);
    if (p) emit({ ev: "rx", group: p.group, seq: p.seq, src: rinfo.address, t });
    else emit({ ev: "rx", group: null, seq: null, src: rinfo.address, len: msg.length, t });
  });
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(port, "0.0.0.0", () => {
      sock.off("error", reject);
      resolve();
    });
  });
  emit({ ev: "ready", port, t: wallNow() });

  for await (const line of readLines(Deno.stdin.readable)) {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === undefined || cmd === "") continue;
    if (cmd === "quit") break;
    try {
      switch (cmd) {
        case "join":
          sock.addMembership(arg, ifaceAddr);
          emit({ ev: "joined", group: arg, t: wallNow() });
          break;
        case "leave":
          sock.dropMembership(arg, ifaceAddr);
          emit({ ev: "left", group: arg, t: wallNow() });
          break;
        case "ping":
          emit({ ev: "pong", token: arg ?? null, t: wallNow() });
          break;
        default:
          throw new Error(`Unknown command "${cmd}"`);
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      emit({ ev: "error", cmd, group: arg ?? null, message, t: wallNow() });
    }
  }
  sock.close();
  emit({ ev: "bye", t: wallNow() });
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
