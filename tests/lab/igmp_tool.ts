/**
 * A raw IPv4/IGMP packet injector for the lab, run inside a namespace:
 *
 * ```sh
 * deno run --allow-ffi --allow-env --allow-read tests/lab/igmp_tool.ts query \
 *   --iface eth0 --source 10.1.0.11 [--version 2] [--group 0.0.0.0] [--max-resp-ms 10000] \
 *   [--interval-ms 1000] [--count N]
 * deno run ... igmp_tool.ts flood --iface eth0 --source 10.1.0.11 --count 50000 [--seed 1] \
 *   [--rate 0] [--protocol igmp|dvmrp]
 * deno run ... igmp_tool.ts reports --iface eth0 --source 10.1.0.11 --first-group 239.2.0.1 \
 *   --groups N [--version 1|2|3] [--count N] [--rate 0]
 * deno run ... igmp_tool.ts leaves --iface eth0 --source 10.1.0.11 --first-group 239.2.0.1 \
 *   --groups N [--count N] [--rate 0]
 * deno run ... igmp_tool.ts ask-neighbors --source 10.2.0.11 --router 10.2.0.1 \
 *   [--timeout-ms 5000]
 * ```
 *
 * - `query`: membership queries to 224.0.0.1 (or to the group, for a group-specific query), one
 *   every interval, until `--count` are sent or SIGTERM/SIGINT.
 * - `flood`: `--count` malformed packets, cycling through {@link GARBAGE_KINDS} with contents
 *   from a PRNG seeded with `--seed`.
 * - `reports`: reports for `--groups` consecutive groups from `--first-group`, round robin,
 *   `--count` in all (default one per group): IGMPv1/v2 reports to the group, or IGMPv3 reports
 *   to 224.0.0.22 with one record, CHANGE_TO_EXCLUDE_MODE {} (a join) unless `--record TYPE`
 *   and `--sources A,B` say otherwise.
 * - `leaves`: IGMPv2 Leave Group messages to 224.0.0.2 for the groups, as `reports` sends
 *   reports (what a host that left sends, whatever version the querier speaks).
 * - `ask-neighbors`: what mrinfo asks a DVMRP router: one Ask Neighbors2 as unicast, without
 *   Router Alert, to `--router` from a raw IGMP socket bound to `--source` (and to `--iface` when
 *   given: for a router on that link only), and the router's Neighbors2 read back
 *   (`dvmrp_ask.ts`).
 *
 * `--rate` is packets per second, 0 for as fast as possible. Packets go out through an
 * AF_PACKET socket to the link-layer address of their destination (01:00:5e:... for multicast,
 * else broadcast), past the kernel's IP stack, so deliberately bad headers go out as built.
 *
 * On stdout, one JSON object per line: `{"ev":"ready","t":ms}` once the socket is open and
 * `{"ev":"done","sent":n,"errors":n,"byKind":{...},"t":ms}` at the end, with `"firstError"`
 * (an errno name) when a send failed. A failed send is counted, never fatal. `ask-neighbors`
 * prints `ready` once its question is sent, then instead of `done` either
 * `{"ev":"neighbors2",...,"t":ms}` with the reply's fields ({@link Neighbors2Reply}) or
 * `{"ev":"timeout","t":ms}`. Exit codes: 0 done (a timeout too), 1 socket or interface unusable
 * (or the question could not be sent), 2 usage error.
 *
 * The module also exports {@link startIgmpTool}, which runs this script in a lab namespace. It
 * opens libc only when run as a script.
 *
 * @module
 */

import { errnoName } from "../../ffi/errno.ts";
import { askNeighbors2, type Neighbors2Reply } from "./dvmrp_ask.ts";
import { DVMRP_GARBAGE_KINDS, dvmrpGarbagePacket } from "./dvmrp_packets.ts";
import { type Libc, openLibc, readErrno } from "../../ffi/libc.ts";
import { AF_PACKET, SOCK_CLOEXEC, SOCK_DGRAM } from "../../ffi/linux_constants.ts";
import { formatIPv4, isIPv4Multicast, parseIPv4 } from "../../src/proto/addr.ts";
import {
  CHANGE_TO_EXCLUDE_MODE,
  type GroupRecord,
  INADDR_ALLHOSTS_GROUP,
  INADDR_ALLRPTS_GROUP,
  INADDR_ALLRTRS_GROUP,
} from "../../src/proto/igmp.ts";
import {
  encodeLeave,
  encodeV1Report,
  encodeV2Report,
  encodeV3Report,
} from "../../src/proto/igmp_encode.ts";
import {
  buildIPv4Packet,
  GARBAGE_KINDS,
  garbagePacket,
  igmpQuery,
  mulberry32,
  multicastMac,
} from "./igmp_packets.ts";
import { awaitReady, emit, parseEvent, readLines, wallNow } from "./json_lines.ts";
import { denoRunArgv, type LabShell } from "./lab.ts";
import { scaledWait } from "./wait_scale.ts";
import { messageOf } from "../../src/log.ts";

/** EtherType of IPv4, `<linux/if_ether.h>`. */
const ETH_P_IP = 0x0800;
/** sizeof(struct sockaddr_ll). */
const SIZEOF_SOCKADDR_LL = 20;
/** Kernel structs are host order: little-endian on the platforms the lab runs on. */
const LITTLE_ENDIAN = true;
/** Packets sent between yields to the event loop when sending as fast as possible. */
const BATCH = 1000;
/**
 * Most packets sent at once at a fixed rate, to catch up after a stall or a late timer: 50, or
 * 10 ms worth at high rates (timers fire every few ms at best).
 */
const MAX_BURST = 50;
const MAX_BURST_MS = 10;

const USAGE = [
  "usage: igmp_tool.ts query --iface IF --source A [--version 1|2|3] [--group G]",
  "         [--max-resp-ms MS] [--interval-ms MS] [--count N]",
  "       igmp_tool.ts flood --iface IF --source A --count N [--seed S] [--rate PPS]",
  "       igmp_tool.ts reports --iface IF --source A --first-group G --groups N",
  "         [--version 1|2|3] [--count N] [--rate PPS] [--record 1-6] [--sources A,B]",
  "       igmp_tool.ts leaves --iface IF --source A --first-group G --groups N",
  "         [--count N] [--rate PPS]",
  "       igmp_tool.ts ask-neighbors [--iface IF] --source A --router R [--timeout-ms MS]",
].join("\n");

/** Flags every command takes. */
interface CommonOptions {
  /** Interface to send on. */
  iface: string;
  /** IP source address written into every packet. */
  source: number;
}

/** `query`: membership queries at an interval. */
export interface QueryCommand extends CommonOptions {
  /** Discriminant. */
  command: "query";
  /** IGMP version of the queries. */
  version: 1 | 2 | 3;
  /** 0 for general queries, else the group queried (and the destination). */
  group: number;
  /** Max Resp Time in ms (IGMPv2/v3). */
  maxRespTimeMs: number;
  /** Time between queries. */
  intervalMs: number;
  /** Queries to send; null: until signalled. */
  count: number | null;
}

/** `flood`: malformed packets of every {@link GARBAGE_KINDS} kind in turn. */
export interface FloodCommand extends CommonOptions {
  /** Discriminant. */
  command: "flood";
  /** Packets to send. */
  count: number;
  /** PRNG seed. */
  seed: number;
  /** Packets per second; 0 as fast as possible. */
  rate: number;
  /** `--protocol dvmrp`: hostile DVMRP messages ({@link DVMRP_GARBAGE_KINDS}) instead. */
  dvmrp: boolean;
}

/**
 * `reports`: valid IGMPv1/v2/v3 reports for consecutive groups, round robin; `leaves`: IGMPv2
 * Leave Group messages for them.
 */
export interface ReportsCommand extends CommonOptions {
  /** Discriminant. */
  command: "reports" | "leaves";
  /** The first group reported. */
  firstGroup: number;
  /** Number of consecutive groups. */
  groups: number;
  /** IGMPv1, IGMPv2 or IGMPv3 reports. */
  version: 1 | 2 | 3;
  /** Reports to send in all. */
  count: number;
  /** Packets per second; 0 as fast as possible. */
  rate: number;
  /** IGMPv3: the record type (`--record`, default CHANGE_TO_EXCLUDE_MODE). */
  recordType: GroupRecord["recordType"];
  /** IGMPv3: the record's sources (`--sources A,B`, default none). */
  sources: number[];
}

/** `ask-neighbors`: one Ask Neighbors2 to a router, and its Neighbors2 read back. */
export interface AskNeighborsCommand extends Omit<CommonOptions, "iface"> {
  /** Discriminant. */
  command: "ask-neighbors";
  /**
   * The interface the socket is bound to (SO_BINDTODEVICE), for a router on that link only;
   * none by default, so that the routing table picks the way (see `dvmrp_ask.ts`).
   */
  iface?: string;
  /** The router asked: a unicast address. */
  router: number;
  /** How long to wait for the reply (default 5000). */
  timeoutMs: number;
}

/** A command that sends packets at a pace. */
export type SendingCommand = QueryCommand | FloodCommand | ReportsCommand;

/** A parsed command line. */
export type IgmpToolCommand = SendingCommand | AskNeighborsCommand;

/**
 * Parses the tool's command line: a command, then `--flag value` or `--flag=value` pairs.
 * Throws with a usage message on bad input.
 *
 * @example
 * ```ts
 * parseIgmpToolArgs(["flood", "--iface", "eth0", "--source", "10.1.0.11", "--count", "100"]);
 * // { command: "flood", iface: "eth0", source: 0x0a01000b, count: 100, seed: 1, rate: 0 }
 * ```
 */
export function parseIgmpToolArgs(args: string[]): IgmpToolCommand {
  const [command, ...rest] = args;
  const known: Record<string, string[]> = {
    query: ["version", "group", "max-resp-ms", "interval-ms", "count"],
    flood: ["count", "seed", "rate", "protocol"],
    reports: ["first-group", "groups", "version", "count", "rate", "record", "sources"],
    leaves: ["first-group", "groups", "count", "rate"],
    "ask-neighbors": ["router", "timeout-ms"],
  };
  if (command === undefined || !Object.hasOwn(known, command)) {
    throw new Error(
      `Expected a command (query, flood, reports, leaves, ask-neighbors), not "${command ?? ""}"`,
    );
  }
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(rest[i]);
    if (!m) throw new Error(`Unexpected argument "${rest[i]}"`);
    const value = m[2] ?? rest[++i];
    if (value === undefined) throw new Error(`Flag "--${m[1]}" needs a value`);
    if (!["iface", "source", ...known[command]].includes(m[1])) {
      throw new Error(`Unknown flag "--${m[1]}" for "${command}"`);
    }
    flags.set(m[1], value);
  }
  const required = (k: string): string => {
    const v = flags.get(k);
    if (v === undefined) throw new Error(`Flag "--${k}" is required`);
    return v;
  };
  const int = (k: string, dflt: number | undefined, min: number, max: number): number => {
    const v = dflt === undefined ? required(k) : flags.get(k) ?? String(dflt);
    const n = Number(v);
    if (v.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
      throw new Error(`Flag "--${k}" must be an integer from ${min} to ${max}, not "${v}"`);
    }
    return n;
  };
  const protocol = (): boolean => {
    const p = flags.get("protocol") ?? "igmp";
    if (p !== "igmp" && p !== "dvmrp") {
      throw new Error(`Flag "--protocol" must be igmp or dvmrp, not "${p}"`);
    }
    return p === "dvmrp";
  };
  const addr = (k: string, dflt: string | undefined, multicast: boolean): number => {
    const v = dflt === undefined ? required(k) : flags.get(k) ?? dflt;
    const n = parseIPv4(v);
    if (n === undefined) throw new Error(`Flag "--${k}" must be an IPv4 address, not "${v}"`);
    if (multicast && n !== 0 && !isIPv4Multicast(n)) {
      throw new Error(`Flag "--${k}" must be a multicast group, not "${v}"`);
    }
    return n;
  };
  const iface = command === "ask-neighbors" && !flags.has("iface") ? undefined : required("iface");
  if (iface !== undefined && (iface === "" || iface.length > 15)) {
    throw new Error(`Bad interface name "${iface}"`);
  }
  const source = addr("source", undefined, false);
  // Every command but ask-neighbors required it above.
  const common = { iface: iface ?? "", source };
  switch (command) {
    case "query":
      return {
        command,
        ...common,
        version: int("version", 2, 1, 3) as 1 | 2 | 3,
        group: addr("group", "0.0.0.0", true),
        maxRespTimeMs: int("max-resp-ms", 10_000, 0, 3_174_400),
        intervalMs: int("interval-ms", 1000, 1, 86_400_000),
        count: flags.has("count") ? int("count", undefined, 1, Number.MAX_SAFE_INTEGER) : null,
      };
    case "flood":
      return {
        command,
        ...common,
        count: int("count", undefined, 1, Number.MAX_SAFE_INTEGER),
        seed: int("seed", 1, -0x80000000, 0xffffffff),
        rate: int("rate", 0, 0, 10_000_000),
        dvmrp: protocol(),
      };
    case "ask-neighbors": {
      const router = addr("router", undefined, false);
      if (router === 0 || isIPv4Multicast(router)) {
        throw new Error(`Flag "--router" must be a unicast address, not "${formatIPv4(router)}"`);
      }
      const timeoutMs = int("timeout-ms", 5000, 1, 3_600_000);
      return { command, ...(iface === undefined ? {} : { iface }), source, router, timeoutMs };
    }
    default: {
      const firstGroup = addr("first-group", undefined, true);
      const groups = int("groups", undefined, 1, 0x10000);
      if (firstGroup === 0 || !isIPv4Multicast(firstGroup + groups - 1)) {
        throw new Error(`Groups from "${formatIPv4(firstGroup)}" on must all be multicast`);
      }
      return {
        command: command === "leaves" ? "leaves" : "reports",
        ...common,
        firstGroup,
        groups,
        version: int("version", 2, 1, 3) as 1 | 2 | 3,
        count: int("count", groups, 1, Number.MAX_SAFE_INTEGER),
        rate: int("rate", 0, 0, 10_000_000),
        recordType: int("record", CHANGE_TO_EXCLUDE_MODE, 1, 6) as GroupRecord["recordType"],
        sources: (flags.get("sources") ?? "").split(",").filter((a) => a !== "").map((a) => {
          const n = parseIPv4(a);
          if (n === undefined) throw new Error(`Bad source "${a}" in "--sources"`);
          return n;
        }),
      };
    }
  }
}

/** What the tool sent, from its `done` line. */
export interface ToolSummary {
  /** Packets sent. */
  sent: number;
  /** Sends that failed. */
  errors: number;
  /** Packets sent by kind: `v2-query`, `v1-report`, a garbage kind, ... */
  byKind: Record<string, number>;
  /** errno name of the first failed send, if any. */
  firstError?: string;
}

/** One packet to send: IP bytes, where they go, and the kind to count them under. */
interface Outgoing {
  packet: Uint8Array;
  destination: number;
  kind: string;
}

/** The packets of a command, in order, and how to pace them. */
interface Plan {
  /** Packets to send; null: until signalled. */
  count: number | null;
  /** Milliseconds between packets; 0 as fast as possible. */
  periodMs: number;
  /** Packet `i` (from 0). */
  packet(i: number): Outgoing;
}

function planOf(cmd: SendingCommand): Plan {
  const { source } = cmd;
  const ipv4 = (destination: number, payload: Uint8Array, kind: string): Outgoing => ({
    packet: buildIPv4Packet({ source, destination, payload }),
    destination,
    kind,
  });
  switch (cmd.command) {
    case "query": {
      const { version, group, maxRespTimeMs } = cmd;
      const query = ipv4(
        group === 0 ? INADDR_ALLHOSTS_GROUP : group,
        igmpQuery({ version, group, maxRespTimeMs }),
        `v${version}-query`,
      );
      return { count: cmd.count, periodMs: cmd.intervalMs, packet: () => query };
    }
    case "flood": {
      const rand = mulberry32(cmd.seed);
      return {
        count: cmd.count,
        periodMs: cmd.rate === 0 ? 0 : 1000 / cmd.rate,
        packet(i) {
          if (cmd.dvmrp) {
            const kind = DVMRP_GARBAGE_KINDS[i % DVMRP_GARBAGE_KINDS.length];
            return { ...dvmrpGarbagePacket(kind, rand, { source }), kind };
          }
          const kind = GARBAGE_KINDS[i % GARBAGE_KINDS.length];
          return { ...garbagePacket(kind, rand, { source }), kind };
        },
      };
    }
    case "reports":
    case "leaves": {
      const { version } = cmd;
      return {
        count: cmd.count,
        periodMs: cmd.rate === 0 ? 0 : 1000 / cmd.rate,
        packet(i) {
          const group = (cmd.firstGroup + (i % cmd.groups)) >>> 0;
          if (cmd.command === "leaves") {
            return ipv4(INADDR_ALLRTRS_GROUP, encodeLeave(group), "leave");
          }
          const kind = `v${version}-report`;
          if (version === 3) {
            const record: GroupRecord = { recordType: cmd.recordType, group, sources: cmd.sources };
            return ipv4(INADDR_ALLRPTS_GROUP, encodeV3Report([record]), kind);
          }
          return ipv4(group, version === 1 ? encodeV1Report(group) : encodeV2Report(group), kind);
        },
      };
    }
  }
}

/** An AF_PACKET datagram socket bound to nothing, sending IPv4 on one interface. */
export class PacketSender implements Disposable {
  readonly #libc: Libc;
  readonly #fd: number;
  readonly #sockaddr = new Uint8Array(SIZEOF_SOCKADDR_LL);

  /** Opens the socket; throws an Error naming the call and errno. */
  constructor(libc: Libc, iface: string) {
    this.#libc = libc;
    const ifindex = libc.symbols.if_nametoindex(new TextEncoder().encode(iface + "\0"));
    if (ifindex === 0) {
      throw new Error(`Cannot find interface "${iface}": ${errnoName(readErrno(libc))}`);
    }
    // Protocol 0: the socket only sends (the EtherType of each frame is in sockaddr_ll), so
    // the kernel queues no incoming frame on it.
    const fd = libc.symbols.socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw new Error(`Cannot open a packet socket: ${errnoName(readErrno(libc))}`);
    }
    this.#fd = fd;
    // struct sockaddr_ll: family, protocol (network order), ifindex, hatype, pkttype, halen,
    // addr[8]; the address is filled in per packet.
    const v = new DataView(this.#sockaddr.buffer);
    v.setUint16(0, AF_PACKET, LITTLE_ENDIAN);
    v.setUint16(2, ETH_P_IP, false);
    v.setInt32(4, ifindex, LITTLE_ENDIAN);
    v.setUint16(8, 0, LITTLE_ENDIAN);
    v.setUint8(10, 0);
    v.setUint8(11, 6);
  }

  /** Sends one IP packet to the link-layer address of `destination`; returns 0 or the errno. */
  send(packet: Uint8Array, destination: number): number {
    const mac = isIPv4Multicast(destination) ? multicastMac(destination) : BROADCAST_MAC;
    this.#sockaddr.set(mac, 12);
    const n = this.#libc.symbols.sendto(
      this.#fd,
      packet,
      BigInt(packet.length),
      0,
      this.#sockaddr,
      SIZEOF_SOCKADDR_LL,
    );
    return n < 0 ? readErrno(this.#libc) : 0;
  }

  [Symbol.dispose](): void {
    this.#libc.symbols.close(this.#fd);
  }
}

const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** Sends the plan's packets until done or `signal` aborts; counts what went out. */
async function run(sender: PacketSender, plan: Plan, signal: AbortSignal): Promise<ToolSummary> {
  const summary: ToolSummary = { sent: 0, errors: 0, byKind: {} };
  const sendOne = (i: number) => {
    const { packet, destination, kind } = plan.packet(i);
    const errno = sender.send(packet, destination);
    if (errno === 0) {
      summary.sent++;
      summary.byKind[kind] = (summary.byKind[kind] ?? 0) + 1;
      return;
    }
    summary.errors++;
    if (summary.firstError === undefined) {
      summary.firstError = errnoName(errno);
      console.error(`igmp_tool: Cannot send a "${kind}" packet: ${summary.firstError}`);
    }
  };
  const start = performance.now();
  const total = plan.count ?? Infinity;
  const burst = Math.max(MAX_BURST, Math.ceil(MAX_BURST_MS / plan.periodMs));
  let i = 0;
  while (i < total && !signal.aborted) {
    if (plan.periodMs === 0) {
      for (const end = Math.min(total, i + BATCH); i < end; i++) sendOne(i);
    } else {
      // Packet i is due at start + i * period; catch up after a stall, in bounded bursts.
      const due = Math.floor((performance.now() - start) / plan.periodMs) + 1;
      for (const end = Math.min(total, due, i + burst); i < end; i++) sendOne(i);
    }
    if (i >= total) break;
    const wait = plan.periodMs === 0 ? 0 : start + i * plan.periodMs - performance.now();
    await sleep(Math.max(0, wait), signal);
  }
  return summary;
}

/** Resolves after `ms` or as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

async function main(args: string[]): Promise<number> {
  let cmd: IgmpToolCommand;
  try {
    cmd = parseIgmpToolArgs(args);
  } catch (e) {
    console.error(`igmp_tool: ${messageOf(e)}`);
    console.error(USAGE);
    return 2;
  }
  let libc: Libc;
  let opened: PacketSender;
  try {
    libc = openLibc();
  } catch (e) {
    console.error(`igmp_tool: Cannot open libc: ${messageOf(e)}`);
    return 1;
  }
  try {
    if (cmd.command === "ask-neighbors") return await ask(libc, cmd);
    try {
      opened = new PacketSender(libc, cmd.iface);
    } catch (e) {
      console.error(`igmp_tool: ${messageOf(e)}`);
      return 1;
    }
    using sender = opened;
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    Deno.addSignalListener("SIGTERM", onSignal);
    Deno.addSignalListener("SIGINT", onSignal);
    try {
      emit({ ev: "ready", t: wallNow() });
      const summary = await run(sender, planOf(cmd), stop.signal);
      emit({ ev: "done", ...summary, t: wallNow() });
    } finally {
      Deno.removeSignalListener("SIGTERM", onSignal);
      Deno.removeSignalListener("SIGINT", onSignal);
    }
    return 0;
  } finally {
    libc.close();
  }
}

/** `ask-neighbors`: the question, then the reply or the timeout as a JSON line. */
async function ask(libc: Libc, cmd: AskNeighborsCommand): Promise<number> {
  let reply: Neighbors2Reply | undefined;
  try {
    reply = await askNeighbors2(libc, cmd, () => emit({ ev: "ready", t: wallNow() }));
  } catch (e) {
    console.error(`igmp_tool: ${messageOf(e)}`);
    return 1;
  }
  emit(
    reply === undefined
      ? { ev: "timeout", t: wallNow() }
      : { ev: "neighbors2", ...reply, t: wallNow() },
  );
  return 0;
}

/** The injector running in a lab namespace, started by {@link startIgmpTool}. */
export interface RunningIgmpTool {
  /** The `ip netns exec` child process. */
  readonly child: Deno.ChildProcess;
  /** Wall-clock ms when the tool reported ready. */
  readonly readyAt: number;
  /** What the tool sent, once it exits by itself; rejects if it exits without a summary. */
  readonly done: Promise<ToolSummary>;
  /** Stops the tool (SIGTERM) and returns what it sent. */
  stop(): Promise<ToolSummary>;
}

/**
 * Runs the injector in namespace `ns` with the given command line and waits until its socket is
 * open. Throws if it exits first (bad arguments, no such interface). {@link Lab.destroy} also
 * stops it.
 *
 * @example
 * ```ts
 * const host = lab.ns.hosts[0][0];
 * const flood = await startIgmpTool(lab, host, [
 *   "flood", "--iface", "eth0", "--source", lab.hostAddr(1, 1), "--count", "5000",
 * ]);
 * const { sent, byKind } = await flood.done;
 * ```
 */
export async function startIgmpTool(
  lab: LabShell,
  ns: string,
  args: string[],
): Promise<RunningIgmpTool> {
  const child = lab.spawnIn(
    ns,
    denoRunArgv(new URL("./igmp_tool.ts", import.meta.url), args, [
      "--allow-ffi",
      "--allow-env",
      "--allow-read",
    ]),
    { stdout: "piped" },
  );
  const lines = readLines(child.stdout);
  const readyAt = await awaitReady(lines, child, "The IGMP tool");
  const done = (async () => {
    let summary: ToolSummary | null = null;
    for await (const line of lines) {
      const ev = parseEvent(line);
      if (ev?.ev === "done") {
        const { sent, errors, byKind, firstError } = ev as unknown as ToolSummary;
        summary = { sent, errors, byKind, ...(firstError ? { firstError } : {}) };
      }
    }
    const status = await child.status;
    if (summary === null) {
      throw new Error(`The IGMP tool exited without a summary (exit code ${status.code})`);
    }
    return summary;
  })();
  done.catch(() => {}); // a caller that never awaits `done` must not see an unhandled rejection
  return {
    child,
    readyAt,
    done,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      return await done;
    },
  };
}

/** Options of {@link askNeighbors}. */
export interface AskNeighborsOptions {
  /**
   * The interface the socket is bound to, for a router on that link only (default none: the
   * routing table picks the way, as for mrinfo).
   */
  iface?: string;
  /** The question's source: an address of the namespace. */
  source: string;
  /** The router asked. */
  router: string;
  /** How long the tool waits for the reply (default 5 s, scaled by `scaledWait`). */
  timeoutMs?: number;
}

/**
 * Runs `igmp_tool.ts ask-neighbors` in namespace `ns`, as mrinfo asks a router, and resolves
 * with the router's Neighbors2, or undefined when none came in time. Throws when the tool
 * fails (exit code and standard error in the message).
 *
 * @example
 * ```ts
 * const reply = await askNeighbors(lab, lab.hosts[2][0], {
 *   source: lab.hostAddr(2, 1),
 *   router: lab.lanAddr(2),
 * });
 * // reply?.vifs: the router's interfaces with their metric, threshold, flags and neighbors
 * ```
 */
export async function askNeighbors(
  lab: LabShell,
  ns: string,
  opts: AskNeighborsOptions,
): Promise<Neighbors2Reply | undefined> {
  const args = [
    "ask-neighbors",
    ...(opts.iface === undefined ? [] : ["--iface", opts.iface]),
    ...["--source", opts.source, "--router", opts.router],
    ...["--timeout-ms", String(Math.ceil(opts.timeoutMs ?? scaledWait(5000)))],
  ];
  const r = await lab.exec(
    ns,
    denoRunArgv(new URL("./igmp_tool.ts", import.meta.url), args, [
      "--allow-ffi",
      "--allow-env",
      "--allow-read",
    ]),
  );
  const events = r.stdout.split("\n").map(parseEvent).filter((e) => e !== null);
  const last = events.at(-1);
  if (r.code !== 0 || (last?.ev !== "neighbors2" && last?.ev !== "timeout")) {
    throw new Error(`igmp_tool.ts ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  }
  if (last.ev === "timeout") return undefined;
  const { ev: _ev, t: _t, ...reply } = last;
  return reply as unknown as Neighbors2Reply;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
