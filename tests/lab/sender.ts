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
 * IPv6 groups (`--groups ff05::1 --iface-addr 2001:db8::2`) are sent with the TTL as hop limit.
 * Deno's `node:dgram` cannot do that: on a udp6 socket `setMulticastTTL` succeeds but datagrams
 * still leave with hop limit 1 (and `Deno.listenDatagram`, unstable, has no hop-limit setter for
 * IPv6). So IPv6 goes through libc (`ffi/libc.ts`): a UDP socket bound to `--iface-addr` with
 * IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF (the interface holding the address, found with
 * `Deno.networkInterfaces()`: Deno 2.9 reads /proc/net only with `--allow-all`) and
 * IPV6_MULTICAST_LOOP 0, and `sendto(MSG_DONTWAIT)`. That needs `--allow-ffi` and
 * `--allow-sys=networkInterfaces`; IPv4 needs neither. The groups of one sender are all of one
 * family.
 *
 * The module also exports {@link startSender}, which runs this script in a lab namespace.
 *
 * @module
 */

import dgram from "node:dgram";
import { errnoName } from "../../ffi/errno.ts";
import { openLibc, readErrno } from "../../ffi/libc.ts";
import {
  AF_INET6,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  MSG_DONTWAIT,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
} from "../../ffi/linux_constants.ts";
import { formatIPv6, isIPv6Multicast, parseIPv4, parseIPv6 } from "../../src/proto/addr.ts";
import { awaitReady, emit, parseEvent, readLines, wallNow } from "./json_lines.ts";
import { denoRunArgv, type LabShell, SRC_ADDR, SRC_ADDR6 } from "./lab.ts";
import { hostIsLittleEndian } from "./proc.ts";
import { messageOf } from "../../src/log.ts";

/** Sender settings (the command-line flags). */
export interface SenderOptions {
  /** Destination groups. */
  groups: string[];
  /** Destination UDP port (default 5001). */
  port?: number;
  /** Datagrams per second per group (default 100). */
  rate?: number;
  /** IP TTL, or IPv6 hop limit (default 8). */
  ttl?: number;
  /**
   * Address of the interface to send from, of the groups' family (default the lab's sender:
   * 10.0.0.2 for IPv4 groups, 2001:db8::2 for IPv6 groups).
   */
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
  const ipv6 = groups[0].includes(":");
  for (const g of groups) {
    if (g.includes(":") !== ipv6) {
      throw new Error(`Groups "${groups[0]}" and "${g}" differ in family: one sender per family`);
    }
    if (ipv6 ? !isIPv6Multicast(parseIPv6(g) ?? new Uint8Array(16)) : parseIPv4(g) === undefined) {
      throw new Error(`Bad group "${g}"`);
    }
  }
  const ifaceAddr = flags.get("iface-addr") ?? (ipv6 ? SRC_ADDR6 : SRC_ADDR);
  if (ifaceAddr.includes(":") !== ipv6) {
    throw new Error(`Address "${ifaceAddr}" is not of the groups' family`);
  }
  return {
    groups,
    port: num("port", 5001, 1, 65535),
    rate: num("rate", 100, 0.001, 100000),
    ttl: num("ttl", 8, 1, 255),
    ifaceAddr,
    duration: flags.has("duration") ? num("duration", 0, 0, 1e9) : null,
    size: num("size", 0, 0, 65000),
  };
}

/** Builds the payload of datagram `seq` to `group`. */
export function senderPayload(seq: number, group: string, size = 0): Uint8Array {
  return new TextEncoder().encode(`seq ${seq} ${group}`.padEnd(size, " "));
}

/** `sizeof(struct sockaddr_in6)` on Linux. */
export const SIZEOF_SOCKADDR_IN6 = 28;

/**
 * `struct sockaddr_in6` with a port: {family u16 host order @0 = AF_INET6, port u16 network
 * order @2, flowinfo @4 = 0, address @8, scope_id u32 host order @24}.
 */
export function sockaddrIn6(
  address: Uint8Array,
  port: number,
  scopeId = 0,
  littleEndian: boolean = hostIsLittleEndian(),
): Uint8Array {
  if (address.length !== 16) {
    throw new RangeError(`An IPv6 address has 16 bytes, not ${address.length}`);
  }
  const out = new Uint8Array(SIZEOF_SOCKADDR_IN6);
  const view = new DataView(out.buffer);
  view.setUint16(0, AF_INET6, littleEndian);
  view.setUint16(2, port, false);
  out.set(address, 8);
  view.setUint32(24, scopeId >>> 0, littleEndian);
  return out;
}

/** Sends datagrams; `send` returns an error message, or null when the datagram went out. */
interface DatagramSender {
  send(payload: Uint8Array, group: string): string | null;
  close(): void;
}

/**
 * An IPv6 multicast sender through libc (see the module doc for why): bound to `ifaceAddr`,
 * sending on the interface that holds it with hop limit `ttl` and loop off.
 */
function openIpv6Sender(opts: { ifaceAddr: string; ttl: number; port: number }): DatagramSender {
  const local = parseIPv6(opts.ifaceAddr);
  if (local === undefined) throw new Error(`Bad IPv6 address "${opts.ifaceAddr}"`);
  const text = formatIPv6(local);
  const entry = Deno.networkInterfaces()
    .find((i) => i.family === "IPv6" && formatIPv6(parseIPv6(i.address) ?? local) === text);
  if (entry === undefined) throw new Error(`No interface has the address "${opts.ifaceAddr}"`);
  const linkLocal = local[0] === 0xfe && (local[1] & 0xc0) === 0x80;
  const libc = openLibc();
  let fd = -1;
  // errno is read at once, before anything else can change it.
  const fail = (call: string, op: string): never => {
    const errno = readErrno(libc);
    throw new Error(`Cannot set up the IPv6 socket: ${call}(${op}): ${errnoName(errno)}`);
  };
  let ifindex = 0;
  try {
    ifindex = libc.symbols.if_nametoindex(new TextEncoder().encode(entry.name + "\0"));
    if (ifindex === 0) fail("if_nametoindex", entry.name);
    fd = libc.symbols.socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd < 0) fail("socket", "AF_INET6");
    const bound = sockaddrIn6(local, 0, linkLocal ? ifindex : 0);
    if (libc.symbols.bind(fd, bound, bound.length) < 0) fail("bind", opts.ifaceAddr);
    const setInt = (opt: number, name: string, value: number) => {
      const v = new Int32Array([value]);
      if (libc.symbols.setsockopt(fd, IPPROTO_IPV6, opt, v, 4) < 0) fail("setsockopt", name);
    };
    setInt(IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS", opts.ttl);
    setInt(IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF", ifindex);
    setInt(IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP", 0);
  } catch (e) {
    if (fd >= 0) libc.symbols.close(fd);
    libc.close();
    throw e;
  }
  const destinations = new Map<string, Uint8Array>();
  return {
    send(payload, group) {
      let dst = destinations.get(group);
      if (dst === undefined) {
        const g = parseIPv6(group);
        if (g === undefined) return `Bad IPv6 group "${group}"`;
        destinations.set(group, dst = sockaddrIn6(g, opts.port));
      }
      const n = libc.symbols.sendto(
        fd,
        payload,
        BigInt(payload.length),
        MSG_DONTWAIT,
        dst,
        dst.length,
      );
      return n < 0 ? `sendto: ${errnoName(readErrno(libc))}` : null;
    },
    close() {
      libc.symbols.close(fd);
      libc.close();
    },
  };
}

async function main(args: string[]): Promise<number> {
  let opts: ReturnType<typeof parseSenderArgs>;
  try {
    opts = parseSenderArgs(args);
  } catch (e) {
    console.error(`sender: ${messageOf(e)}`);
    console.error(
      "usage: sender.ts --groups G[,G...] [--port P] [--rate PPS] [--ttl N] " +
        "[--iface-addr A] [--duration S] [--size BYTES]",
    );
    return 2;
  }
  // IPv4 through node:dgram, IPv6 through libc (node:dgram cannot set the hop limit).
  let sock: ReturnType<typeof dgram.createSocket> | null = null;
  let sender6: DatagramSender | null = null;
  if (opts.groups[0].includes(":")) {
    try {
      sender6 = openIpv6Sender(opts);
    } catch (e) {
      console.error(`sender: ${messageOf(e)}`);
      return 1;
    }
  } else {
    const s4 = sock = dgram.createSocket({ type: "udp4" });
    await new Promise<void>((resolve, reject) => {
      s4.once("error", reject);
      s4.bind(0, opts.ifaceAddr, () => {
        s4.off("error", reject);
        resolve();
      });
    });
    s4.setMulticastTTL(opts.ttl);
    s4.setMulticastInterface(opts.ifaceAddr);
    s4.setMulticastLoopback(false);
  }

  const sent = new Map<string, number>(opts.groups.map((g) => [g, 0]));
  let errors = 0;
  let lastError = "";
  let pending = 0;
  let drainedResolve: (() => void) | null = null;
  const countError = (message: string) => {
    errors++;
    if (message !== lastError) console.error(`sender: Cannot send: ${message}`);
    lastError = message;
  };
  const onSent = (err: Error | null) => {
    pending--;
    if (pending === 0) drainedResolve?.();
    if (err) countError(err.message);
  };
  // node:dgram sends asynchronously and, with several sends in flight, the first datagrams of a
  // run can leave out of order (seen on the wire as 1, 0, 2, ... or 2, 1, 0, 3, ...): one send
  // in flight at a time, the rest queued in order.
  const queue: [Uint8Array, string][] = [];
  let head = 0;
  let inFlight = false;
  const pump = () => {
    if (inFlight || sock === null || head === queue.length) return;
    const [payload, group] = queue[head++];
    if (head === queue.length) queue.length = head = 0;
    inFlight = true;
    sock.send(payload, opts.port, group, (err: Error | null) => {
      inFlight = false;
      onSent(err);
      pump();
    });
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
        const payload = senderPayload(next, g, opts.size);
        if (sender6 !== null) {
          const err = sender6.send(payload, g);
          if (err !== null) countError(err);
        } else {
          pending++;
          queue.push([payload, g]);
        }
        sent.set(g, next + 1);
      }
    }
    pump();
    timer = setTimeout(tick, Math.max(0, next * period - (performance.now() - start)));
  };
  tick();
  await stopped;
  clearTimeout(timer);
  Deno.removeSignalListener("SIGTERM", onSignal);
  Deno.removeSignalListener("SIGINT", onSignal);
  // Let queued sends complete before closing.
  if (pending > 0) await new Promise<void>((resolve) => drainedResolve = resolve);
  sock?.close();
  sender6?.close();
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
 * ready. {@link LabShell.destroy} also stops it. Any lab with a `src` namespace will do.
 *
 * @example
 * ```ts
 * const sender = await startSender(lab, { groups: ["239.1.1.1"], rate: 200 });
 * // ...
 * const sent = await sender.stop(); // { "239.1.1.1": 412 }
 * ```
 */
export async function startSender(
  lab: LabShell & { readonly ns: { readonly src: string } },
  opts: SenderOptions & { ns?: string },
): Promise<RunningSender> {
  const args = ["--groups", opts.groups.join(",")];
  if (opts.port !== undefined) args.push("--port", String(opts.port));
  if (opts.rate !== undefined) args.push("--rate", String(opts.rate));
  if (opts.ttl !== undefined) args.push("--ttl", String(opts.ttl));
  // Without --iface-addr the script picks the lab sender's address of the groups' family.
  if (opts.ifaceAddr !== undefined) args.push("--iface-addr", opts.ifaceAddr);
  if (opts.duration !== undefined) args.push("--duration", String(opts.duration));
  if (opts.size !== undefined) args.push("--size", String(opts.size));
  // IPv6 goes through libc: --allow-ffi (and the interface list) only then.
  const allow = ["--allow-net", "--allow-env", "--allow-read"];
  if (opts.groups.some((g) => g.includes(":"))) {
    allow.push("--allow-ffi", "--allow-sys=networkInterfaces");
  }
  const child = lab.spawnIn(
    opts.ns ?? lab.ns.src,
    denoRunArgv(new URL("./sender.ts", import.meta.url), args, allow),
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
