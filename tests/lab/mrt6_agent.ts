/**
 * Drives the IPv6 port of the OS layer (`ffi/mrt6_linux.ts`) inside a lab namespace, one command
 * per stdin line, one JSON event per stdout line, so that an end-to-end test can check it
 * against a real kernel before the daemon uses it:
 *
 * ```sh
 * ip netns exec NS deno run --allow-ffi --allow-read --allow-env tests/lab/mrt6_agent.ts
 * ```
 *
 * Commands (addresses in IPv6 text, interfaces by name):
 * - `init IF...`: MRT6_INIT, then MIFs 0, 1, … for the interfaces in order → `inited`;
 * - `join GROUP IF` / `leave GROUP IF`: a host membership (also usable without `init`) →
 *   `joined` / `left`;
 * - `recv MS`: waits up to MS ms for the next MLD message or upcall → `rx` (type, source,
 *   ifindex, hopLimit, routerAlert, length; or msgtype, mif, source, group) or `timeout`;
 * - `query IF VERSION MS`: an MLD general query (version 1 or 2, Maximum Response Delay MS) to
 *   ff02::1 → `sent`;
 * - `send IF SOURCE DEST HOPLIMIT HEX`: any ICMPv6 message (hex bytes, checksum field 0: the
 *   kernel fills it in), e.g. a crafted MLD message, out of IF from SOURCE (an address of IF,
 *   link-local or not) to the multicast address DEST with that hop limit and a Router Alert
 *   hop-by-hop option, on a raw socket of its own (no `init` needed) → `sent` with its length;
 * - `mfc SOURCE GROUP PARENT OIF...` / `delmfc SOURCE GROUP` → `done`;
 * - `count SOURCE GROUP` → `count` with packets, bytes, wrongIf;
 * - `quit` (or EOF): closes everything → `bye`.
 *
 * A failing command gives `{"ev":"error","cmd":..,"message":..}` and the agent goes on.
 *
 * @module
 */

import { SysError } from "../../ffi/errno.ts";
import { type Libc, openLibc, readErrno } from "../../ffi/libc.ts";
import {
  AF_INET6,
  IPPROTO_ICMPV6,
  IPPROTO_IPV6,
  IPV6_HOPOPTS,
  IPV6_HOPOPTS_RA_BYTES,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  SOCK_CLOEXEC,
  SOCK_RAW,
} from "../../ffi/linux_constants.ts";
import { encodeSockaddrIn6, SIZEOF_SOCKADDR_IN6 } from "../../ffi/socket_structs.ts";
import { LinuxMrt6 } from "../../ffi/mrt6_linux.ts";
import { setSockOpt, setSockOptInt } from "../../ffi/sockopt.ts";
import {
  bigIntToIPv6,
  formatIPv6,
  ipv6ToBigInt,
  isIPv6LinkLocalUnicast,
  parseIPv6,
} from "../../src/proto/addr.ts";
import { hex } from "../../src/proto/testing.ts";
import { IN6ADDR_ANY, IN6ADDR_LINKLOCAL_ALLNODES } from "../../src/proto/mld.ts";
import { encodeMldQuery } from "../../src/proto/mld_encode.ts";
import { awaitReady, emit, type JsonEvent, parseEvent, readLines, wallNow } from "./json_lines.ts";
import { denoRunArgv, type Lab } from "./lab.ts";
import { messageOf } from "../../src/log.ts";

function addr(s: string | undefined): Uint8Array {
  const a = s === undefined ? undefined : parseIPv6(s);
  if (a === undefined) throw new Error(`Bad IPv6 address "${s}"`);
  return a;
}

/** An address as the port takes it. */
function addr6(s: string | undefined): bigint {
  return ipv6ToBigInt(addr(s));
}

/** An address the port gave, as text. */
function text6(a: bigint | undefined): string {
  return formatIPv6(bigIntToIPv6(a ?? 0n));
}

/** What {@link sendRaw} sends: an ICMPv6 message and the IPv6 fields to send it with. */
interface RawSend {
  /** Interface to send out of. */
  ifindex: number;
  /** Source address; it must be one of the interface's (link-local or not). */
  source: Uint8Array;
  /** Multicast destination. */
  destination: Uint8Array;
  /** IPv6 hop limit, 0 to 255. */
  hopLimit: number;
  /** The ICMPv6 message, checksum field 0 (the kernel computes it). */
  message: Uint8Array;
}

/**
 * Sends one ICMPv6 message with chosen IPv6 fields (source, hop limit) and Router Alert, on a
 * raw ICMPv6 socket opened for it and closed after. Throws {@link SysError}.
 */
function sendRaw(libc: Libc, opts: RawSend): void {
  const fd = libc.symbols.socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) throw new SysError("socket", "AF_INET6, SOCK_RAW, IPPROTO_ICMPV6", readErrno(libc));
  try {
    const opt = (option: number, name: string) => ({ level: IPPROTO_IPV6, option, name });
    // A link-local source is bound with the interface as its scope.
    const scope = isIPv6LinkLocalUnicast(opts.source) ? opts.ifindex : 0;
    const local = encodeSockaddrIn6(new Uint8Array(SIZEOF_SOCKADDR_IN6), opts.source, scope);
    if (libc.symbols.bind(fd, local, SIZEOF_SOCKADDR_IN6) < 0) {
      throw new SysError("bind", formatIPv6(opts.source), readErrno(libc));
    }
    setSockOptInt(libc, fd, opt(IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF"), opts.ifindex);
    setSockOptInt(libc, fd, opt(IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS"), opts.hopLimit);
    setSockOptInt(libc, fd, opt(IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP"), 0);
    setSockOpt(libc, fd, opt(IPV6_HOPOPTS, "IPV6_HOPOPTS"), IPV6_HOPOPTS_RA_BYTES as Uint8Array);
    const dest = encodeSockaddrIn6(
      new Uint8Array(SIZEOF_SOCKADDR_IN6),
      opts.destination,
      opts.ifindex,
    );
    const n = libc.symbols.sendto(
      fd,
      opts.message,
      BigInt(opts.message.byteLength),
      0,
      dest,
      SIZEOF_SOCKADDR_IN6,
    );
    if (n < 0) throw new SysError("sendto", "ICMPv6", readErrno(libc));
  } finally {
    libc.symbols.close(fd);
  }
}

async function main(): Promise<number> {
  const libc = openLibc();
  const mrt = new LinuxMrt6(libc);
  const ifindex = (name: string | undefined): number => {
    const i = libc.symbols.if_nametoindex(new TextEncoder().encode(`${name}\0`));
    if (i === 0) throw new Error(`No interface "${name}"`);
    return i;
  };
  emit({ ev: "ready", t: wallNow() });
  try {
    for await (const line of readLines(Deno.stdin.readable)) {
      const [cmd, ...args] = line.trim().split(/\s+/);
      if (cmd === "" || cmd === undefined) continue;
      if (cmd === "quit") break;
      try {
        switch (cmd) {
          case "init":
            mrt.init();
            args.forEach((name, vifi) =>
              mrt.addVif({ vifi, ifindex: ifindex(name), threshold: 1, localAddress: 0n })
            );
            emit({ ev: "inited", mifs: args.length });
            break;
          case "join":
          case "leave":
            if (cmd === "join") mrt.joinGroup(addr6(args[0]), ifindex(args[1]));
            else mrt.leaveGroup(addr6(args[0]), ifindex(args[1]));
            emit({ ev: cmd === "join" ? "joined" : "left", group: args[0] });
            break;
          case "recv": {
            const deadline = performance.now() + Number(args[0]);
            let got = mrt.receive();
            while (got === undefined && performance.now() < deadline) {
              await new Promise((r) => setTimeout(r, 5));
              got = mrt.receive();
            }
            if (got === undefined) emit({ ev: "timeout" });
            else if (got.kind === "upcall") {
              emit({
                ev: "rx",
                kind: "upcall",
                msgtype: got.msgtype,
                mif: got.vif,
                source: text6(got.source),
                group: text6(got.group),
              });
            } else {
              emit({
                ev: "rx",
                kind: "packet",
                type: got.data[0],
                ifindex: got.ifindex,
                source: text6(got.source),
                destination: text6(got.destination),
                hopLimit: got.hopLimit ?? null,
                routerAlert: got.routerAlert ?? false,
                length: got.length,
              });
            }
            break;
          }
          case "query": {
            const message = encodeMldQuery({
              group: IN6ADDR_ANY,
              maxRespDelayMs: Number(args[2]),
              version: Number(args[1]) === 1 ? 1 : 2,
            });
            // Source 0 (unspecified): the kernel chooses.
            mrt.send({
              ifindex: ifindex(args[0]),
              source: 0n,
              destination: ipv6ToBigInt(IN6ADDR_LINKLOCAL_ALLNODES),
              message,
            });
            emit({ ev: "sent", what: "query" });
            break;
          }
          case "send": {
            const hopLimit = Number(args[3]);
            if (!Number.isInteger(hopLimit) || hopLimit < 0 || hopLimit > 255) {
              throw new Error(`Bad hop limit "${args[3]}"`);
            }
            const message = hex(args[4] ?? "");
            sendRaw(libc, {
              ifindex: ifindex(args[0]),
              source: addr(args[1]),
              destination: addr(args[2]),
              hopLimit,
              message,
            });
            emit({ ev: "sent", what: "raw", length: message.length });
            break;
          }
          case "mfc":
            mrt.addMfc({
              source: addr6(args[0]),
              group: addr6(args[1]),
              parent: Number(args[2]),
              oifs: args.slice(3).map((mif) => ({ vifi: Number(mif), ttl: 1 })),
            });
            emit({ ev: "done", cmd });
            break;
          case "delmfc":
            mrt.delMfc(addr6(args[0]), addr6(args[1]));
            emit({ ev: "done", cmd });
            break;
          case "count":
            emit({ ev: "count", ...mrt.sgCount(addr6(args[0]), addr6(args[1])) });
            break;
          default:
            throw new Error(`Unknown command "${cmd}"`);
        }
      } catch (e) {
        emit({ ev: "error", cmd, message: messageOf(e) });
      }
    }
  } finally {
    mrt.close();
    libc.close();
  }
  emit({ ev: "bye", t: wallNow() });
  return 0;
}

/** An agent running in a lab namespace, started by {@link startMrt6Agent}. */
export interface Mrt6Agent extends AsyncDisposable {
  /** Sends one command and resolves with the event it answers with. */
  command(line: string): Promise<JsonEvent>;
  /**
   * The `send` command: one crafted ICMPv6 message out of `iface` (default `eth0`, a lab
   * host's); throws unless the agent says it was sent whole.
   */
  send(opts: {
    iface?: string;
    source: string;
    destination: string;
    hopLimit: number;
    message: Uint8Array;
  }): Promise<void>;
}

/** Bytes as the agent's `send` command takes them. */
function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Starts the agent in a namespace and waits until it is ready. */
export async function startMrt6Agent(lab: Lab, ns: string): Promise<Mrt6Agent> {
  const child = lab.spawnIn(
    ns,
    denoRunArgv(new URL("./mrt6_agent.ts", import.meta.url), [], [
      "--allow-ffi",
      "--allow-read",
      "--allow-env",
    ]),
    { stdin: "piped", stdout: "piped" },
  );
  const lines = readLines(child.stdout);
  await awaitReady(lines, child, "The MRT6 agent");
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const next = async (): Promise<JsonEvent> => {
    for (let r = await lines.next(); !r.done; r = await lines.next()) {
      const ev = parseEvent(r.value);
      if (ev !== null) return ev;
    }
    throw new Error(`The MRT6 agent exited (code ${(await child.status).code})`);
  };
  const command = async (line: string): Promise<JsonEvent> => {
    await writer.write(encoder.encode(line + "\n"));
    return await next();
  };
  return {
    command,
    async send(opts) {
      const line = `send ${
        opts.iface ?? "eth0"
      } ${opts.source} ${opts.destination} ${opts.hopLimit} ${toHex(opts.message)}`;
      const ev = await command(line);
      if (ev.ev !== "sent" || ev.length !== opts.message.length) {
        throw new Error(`The MRT6 agent did not send "${line}": ${JSON.stringify(ev)}`);
      }
    },
    async [Symbol.asyncDispose]() {
      try {
        await writer.write(encoder.encode("quit\n"));
        await writer.close();
      } catch {
        // Already gone.
      }
      for (let r = await lines.next(); !r.done; r = await lines.next()) {
        // Drain until EOF.
      }
      await child.status;
    },
  };
}

if (import.meta.main) Deno.exit(await main());
