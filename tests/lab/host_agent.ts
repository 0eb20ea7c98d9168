/**
 * A long-running multicast receiver for a lab host, driven by lines on stdin and reporting on
 * stdout, one JSON object per line:
 *
 * ```sh
 * deno run --allow-ffi --allow-env --allow-read \
 *   tests/lab/host_agent.ts --iface-addr 10.1.0.11 [--iface eth0] [--port 5001] [--rx first]
 * ```
 *
 * Commands (stdin): `join <group>`, `leave <group>`, `ping [token]`, `quit` (EOF quits too),
 * and the source-specific calls of a stock IGMPv3/MLDv2 host (`source_membership.ts`):
 * `join-source <group> <source>` and `leave-source <group> <source>` (INCLUDE mode),
 * `block <group> <source>` and `unblock <group> <source>` on a joined group (EXCLUDE mode).
 * A group is IPv4 (`239.1.1.1`) or IPv6 (`ff05::1`); the family decides the socket.
 * Events (stdout), each with `t`, the wall-clock ms (`performance.timeOrigin +
 * performance.now()`) comparable across processes:
 * - `{"ev":"ready","port":5001,"t":..}` once the sockets are bound;
 * - `{"ev":"joined","group":"239.1.1.1","t":..}` after IP_ADD_MEMBERSHIP on the host address
 *   (the kernel's host stack sends the IGMP report), or IPV6_ADD_MEMBERSHIP on `--iface` for an
 *   IPv6 group (the MLD report); `{"ev":"left",...}` after the drop (the kernel sends the
 *   leave/done or state-change report);
 * - `{"ev":"filtered","op":"block","group":..,"source":..,"t":..}` after a source-specific call;
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
 * their family, through libc (`udp_receiver.ts`): each datagram's `t` is the time the kernel
 * received it, however late the agent reads it. `--iface-addr` is the IPv4 address IPv4 groups
 * are joined on; `--iface` (default `eth0`, a lab host's interface) the interface IPv6 groups
 * are joined on. On a kernel without IPv6 the agent still starts, and IPv6 joins fail with an
 * `error` event.
 *
 * @module
 */

import { emit, readLines, wallNow } from "./json_lines.ts";
import { openLibc } from "../../ffi/libc.ts";
import { type Datagram, interfaceIndex, MulticastReceiver } from "./udp_receiver.ts";
import { isSourceOp } from "./source_membership.ts";
import { messageOf } from "../../src/log.ts";

const decoder = new TextDecoder();

/**
 * Decodes a sender payload `seq <n> <group>` (trailing padding allowed); the group is IPv4
 * or IPv6, returned as written.
 */
export function decodePayload(bytes: Uint8Array): { seq: number; group: string } | null {
  const m = /^seq (\d+) (\d+\.\d+\.\d+\.\d+|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)\s*$/.exec(
    decoder.decode(bytes),
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
  // The lines of one read of the sockets go out in one write.
  let lines: string[] = [];
  const flush = () => {
    const out = lines.join("");
    lines = [];
    Deno.stdout.writeSync(new TextEncoder().encode(out));
  };
  const onDatagram = ({ data, source, t }: Datagram) => {
    const p = decodePayload(data);
    if (p && rxMode === "first" && !awaitingFirst.delete(p.group)) return;
    const ev = p
      ? { ev: "rx", group: p.group, seq: p.seq, src: source, t }
      : { ev: "rx", group: null, seq: null, src: source, len: data.length, t };
    if (lines.length === 0) queueMicrotask(flush);
    lines.push(JSON.stringify(ev) + "\n");
  };
  const libc = openLibc();
  let receiver: MulticastReceiver;
  let noIpv6 = "";
  let ifindex6 = 0;
  try {
    ifindex6 = interfaceIndex(libc, iface);
  } catch (e) {
    noIpv6 = messageOf(e);
  }
  try {
    try {
      receiver = new MulticastReceiver(libc, { port, ifaceAddr, ifindex6 });
    } catch (e) {
      if (ifindex6 === 0) throw e;
      // No IPv6 in this kernel: IPv4 alone.
      noIpv6 = `No IPv6 socket: ${messageOf(e)}`;
      receiver = new MulticastReceiver(libc, { port, ifaceAddr, ifindex6: 0, ifindex: ifindex6 });
    }
  } catch (e) {
    console.error(`host_agent: ${messageOf(e)}`);
    libc.close();
    return 1;
  }
  const receiving = receiver.run(onDatagram);
  emit({ ev: "ready", port, t: wallNow() });

  const membership = (group: string | undefined, join: boolean) => {
    if (group === undefined) throw new Error("Which group?");
    if (isIpv6Text(group) && noIpv6 !== "") throw new Error(noIpv6);
    receiver.membership(group, join);
  };
  for await (const line of readLines(Deno.stdin.readable)) {
    const [cmd, arg, source] = line.trim().split(/\s+/);
    if (cmd === undefined || cmd === "") continue;
    if (cmd === "quit") break;
    try {
      switch (cmd) {
        case "join":
          membership(arg, true);
          if (arg !== undefined) awaitingFirst.add(arg);
          emit({ ev: "joined", group: arg, t: wallNow() });
          break;
        case "leave":
          membership(arg, false);
          if (arg !== undefined) awaitingFirst.delete(arg);
          emit({ ev: "left", group: arg, t: wallNow() });
          break;
        case "join-source":
        case "leave-source":
        case "block":
        case "unblock": {
          if (!isSourceOp(cmd) || arg === undefined || source === undefined) {
            throw new Error(`"${cmd}" needs a group and a source`);
          }
          if (isIpv6Text(arg) && noIpv6 !== "") throw new Error(noIpv6);
          receiver.sourceMembership(cmd, arg, source);
          if (cmd === "join-source") awaitingFirst.add(arg);
          emit({ ev: "filtered", op: cmd, group: arg, source, t: wallNow() });
          break;
        }
        case "ping":
          emit({ ev: "pong", token: arg ?? null, t: wallNow() });
          break;
        default:
          throw new Error(`Unknown command "${cmd}"`);
      }
    } catch (e) {
      const message = messageOf(e);
      emit({ ev: "error", cmd, group: arg ?? null, message, t: wallNow() });
    }
  }
  await receiver.close();
  await receiving.catch((e) => console.error(`host_agent: ${messageOf(e)}`));
  libc.close();
  flush();
  emit({ ev: "bye", t: wallNow() });
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
