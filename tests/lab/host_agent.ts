/**
 * A long-running multicast receiver for a lab host, driven by lines on stdin and reporting on
 * stdout, one JSON object per line:
 *
 * ```sh
 * deno run --allow-net --allow-env --allow-read --allow-sys=networkInterfaces \
 *   tests/lab/host_agent.ts --iface-addr 10.1.0.11 [--iface eth0] [--port 5001] [--rx first]
 * ```
 *
 * Commands (stdin): `join <group>`, `leave <group>`, `ping [token]`, `quit` (EOF quits too).
 * A group is IPv4 (`239.1.1.1`) or IPv6 (`ff05::1`); the family decides the socket.
 * Events (stdout), each with `t`, the wall-clock ms (`performance.timeOrigin +
 * performance.now()`) comparable across processes:
 * - `{"ev":"ready","port":5001,"t":..}` once the sockets are bound;
 * - `{"ev":"joined","group":"239.1.1.1","t":..}` after IP_ADD_MEMBERSHIP on the host address
 *   (the kernel's host stack sends the IGMP report), or IPV6_ADD_MEMBERSHIP on `--iface` for an
 *   IPv6 group (the MLD report); `{"ev":"left",...}` after the drop (the kernel sends the
 *   leave/done or state-change report);
 * - `{"ev":"error","cmd":"join","group":..,"message":..,"t":..}` when a command fails;
 * - `{"ev":"pong","token":..,"t":..}`;
 * - `{"ev":"rx","group":"239.1.1.1","seq":12,"src":"10.0.0.2","t":..}` per datagram, the group
 *   and sequence number read from the sender's payload `seq <n> <group>` (`group` and `seq` are
 *   null, with `len`, for any other payload); `src` is an IPv6 address for IPv6 datagrams.
 *   With `--rx first`, only the first datagram of a group after each join is reported (for
 *   benchmarks with thousands of groups streaming, where a line per datagram would cost more
 *   than the forwarding measured);
 * - `{"ev":"bye","t":..}` before exiting.
 *
 * Two sockets, bound to 0.0.0.0:port and [::]:port (IPv6 only), receive every joined group of
 * their family. `--iface-addr` is the IPv4 address IPv4 groups are joined on; `--iface` (default
 * `eth0`, a lab host's interface) the interface IPv6 groups are joined on. On a kernel without
 * IPv6 the agent still starts, and IPv6 joins fail with an `error` event.
 *
 * Deno's `node:dgram` joins IPv6 groups with an interface given as `::%NAME`; it silently joins
 * on the default interface (index 0) when NAME does not exist or is numeric (`::%2`), so the
 * agent first checks that the namespace has an interface of that name with an address
 * (`Deno.networkInterfaces()`, hence `--allow-sys=networkInterfaces`: Deno 2.9 reads nothing
 * under /sys or /proc/net without `--allow-all`). Lab interfaces that are up always have one,
 * their IPv6 link-local address.
 *
 * @module
 */

import dgram from "node:dgram";
import { emit, readLines, wallNow } from "./json_lines.ts";

/**
 * Decodes a sender payload `seq <n> <group>` (trailing padding allowed); the group is IPv4
 * or IPv6, returned as written.
 */
export function decodePayload(bytes: Uint8Array): { seq: number; group: string } | null {
  const m = /^seq (\d+) (\d+\.\d+\.\d+\.\d+|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)\s*$/.exec(
    new TextDecoder().decode(bytes),
  );
  return m ? { seq: Number(m[1]), group: m[2] } : null;
}

/** Whether a group (or any address) is IPv6, by its text form. */
export function isIpv6Text(address: string): boolean {
  return address.includes(":");
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

type Socket = ReturnType<typeof dgram.createSocket>;

function bindSocket(sock: Socket, port: number, address: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(port, address, () => {
      sock.off("error", reject);
      resolve();
    });
  });
}

function interfaceExists(name: string): boolean {
  return Deno.networkInterfaces().some((i) => i.name === name);
}

async function main(args: string[]): Promise<number> {
  const ifaceAddr = flag(args, "iface-addr");
  const iface = flag(args, "iface") ?? "eth0";
  const port = Number(flag(args, "port") ?? 5001);
  const rxMode = flag(args, "rx") ?? "all";
  if (
    ifaceAddr === undefined || !Number.isInteger(port) || port < 1 || port > 65535 ||
    !/^[^\s/%]+$/.test(iface) || (rxMode !== "all" && rxMode !== "first")
  ) {
    console.error(
      "usage: host_agent.ts --iface-addr ADDR [--iface NAME] [--port PORT] [--rx all|first]",
    );
    return 2;
  }
  // With --rx first: the groups joined whose first datagram since the join is still to come.
  const awaitingFirst = new Set<string>();
  const onMessage = (msg: Uint8Array, rinfo: { address: string }) => {
    const t = wallNow();
    const p = decodePayload(msg);
    if (p && rxMode === "first" && !awaitingFirst.delete(p.group)) return;
    if (p) emit({ ev: "rx", group: p.group, seq: p.seq, src: rinfo.address, t });
    else emit({ ev: "rx", group: null, seq: null, src: rinfo.address, len: msg.length, t });
  };
  const sock = dgram.createSocket({ type: "udp4", reuseAddr: true });
  sock.on("message", onMessage);
  await bindSocket(sock, port, "0.0.0.0");
  // ipv6Only: IPv4 datagrams reach the udp4 socket only, never both.
  let sock6: Socket | null = dgram.createSocket({ type: "udp6", reuseAddr: true, ipv6Only: true });
  let noIpv6 = "";
  sock6.on("message", onMessage);
  try {
    await bindSocket(sock6, port, "::");
  } catch (e) {
    noIpv6 = `No IPv6 socket: ${e instanceof Error ? e.message : e}`;
    sock6.close();
    sock6 = null;
  }
  emit({ ev: "ready", port, t: wallNow() });

  // The interface argument of node:dgram's IPv6 membership calls.
  const on6 = (): Socket => {
    if (sock6 === null) throw new Error(noIpv6);
    if (!interfaceExists(iface)) {
      throw new Error(`No interface "${iface}" with an address in this namespace`);
    }
    return sock6;
  };
  for await (const line of readLines(Deno.stdin.readable)) {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === undefined || cmd === "") continue;
    if (cmd === "quit") break;
    try {
      switch (cmd) {
        case "join":
          if (arg !== undefined && isIpv6Text(arg)) on6().addMembership(arg, `::%${iface}`);
          else sock.addMembership(arg, ifaceAddr);
          if (arg !== undefined) awaitingFirst.add(arg);
          emit({ ev: "joined", group: arg, t: wallNow() });
          break;
        case "leave":
          if (arg !== undefined && isIpv6Text(arg)) on6().dropMembership(arg, `::%${iface}`);
          else sock.dropMembership(arg, ifaceAddr);
          if (arg !== undefined) awaitingFirst.delete(arg);
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
  sock6?.close();
  emit({ ev: "bye", t: wallNow() });
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
