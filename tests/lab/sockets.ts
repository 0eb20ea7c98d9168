/**
 * What sockets a process holds, and which of them could take connections or datagrams from
 * others: its `socket:[inode]` descriptors (/proc/PID/fd) matched against the tables of its
 * network namespace (/proc/PID/net/tcp, udp, raw, unix, netlink, packet and their IPv6 ones).
 *
 * @module
 */

/** The /proc/net tables a socket can be found in. */
export const SOCKET_TABLES = [
  "tcp",
  "tcp6",
  "udp",
  "udp6",
  "raw",
  "raw6",
  "unix",
  "netlink",
  "packet",
] as const;

/** A /proc/net table's name. */
export type SocketTable = (typeof SOCKET_TABLES)[number];

/** One socket of a process. */
export interface SocketInfo {
  /** Its inode. */
  inode: number;
  /**
   * The table it is in; undefined when none has it: a UDP socket never bound nor used to send
   * (a membership socket) is in no table, and can receive nothing addressed to it.
   */
  table?: SocketTable;
  /**
   * What it is bound to: the local port for TCP and UDP, the protocol for raw sockets, the
   * path for UNIX sockets ("" when unnamed), the netlink protocol, the packet protocol.
   */
  local?: string;
  /** True when it can take connections or datagrams from others: a TCP or UNIX socket in
   * LISTEN, a UDP socket bound to a port. */
  listening: boolean;
}

/** `__SO_ACCEPTCON` in /proc/net/unix's Flags column: a listening socket. */
const SO_ACCEPTCON = 0x10000;
/** TCP_LISTEN in /proc/net/tcp's st column. */
const TCP_LISTEN = "0A";

/** The column of the inode in each table, and how to read the rest. */
function parseLine(table: SocketTable, f: string[]): Omit<SocketInfo, "table"> | undefined {
  const port = (addr: string) => parseInt(addr.slice(addr.lastIndexOf(":") + 1), 16);
  switch (table) {
    case "tcp":
    case "tcp6":
    case "udp":
    case "udp6":
    case "raw":
    case "raw6": {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      if (f.length < 10) return undefined;
      const local = port(f[1]);
      const listening = table.startsWith("tcp")
        ? f[3] === TCP_LISTEN
        : table.startsWith("udp")
        ? local !== 0
        : false;
      return { inode: Number(f[9]), local: String(local), listening };
    }
    case "unix":
      // Num RefCount Protocol Flags Type St Inode [Path]
      if (f.length < 7) return undefined;
      return {
        inode: Number(f[6]),
        local: f[7] ?? "",
        listening: (parseInt(f[3], 16) & SO_ACCEPTCON) !== 0,
      };
    case "netlink":
      // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
      if (f.length < 10) return undefined;
      return { inode: Number(f[9]), local: f[1], listening: false };
    case "packet":
      // sk RefCnt Type Proto Iface R Rmem User Inode
      if (f.length < 9) return undefined;
      return { inode: Number(f[8]), local: f[3], listening: false };
  }
}

/**
 * The sockets among `inodes`, found in the table texts given (`/proc/net/<table>` contents;
 * a missing table is skipped). A socket found in no table has no `table`.
 */
export function matchSockets(
  inodes: readonly number[],
  tables: Partial<Record<SocketTable, string>>,
): SocketInfo[] {
  const found = new Map<number, SocketInfo>();
  for (const table of SOCKET_TABLES) {
    const text = tables[table];
    if (text === undefined) continue;
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      const info = parseLine(table, f);
      if (info !== undefined && inodes.includes(info.inode)) {
        found.set(info.inode, { ...info, table });
      }
    }
  }
  return inodes.map((inode) => found.get(inode) ?? { inode, listening: false });
}

/** The inodes of the sockets among a process's descriptors. */
export async function socketInodes(pid: number): Promise<number[]> {
  const out: number[] = [];
  for await (const e of Deno.readDir(`/proc/${pid}/fd`)) {
    const link = await Deno.readLink(`/proc/${pid}/fd/${e.name}`).catch(() => "");
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m !== null) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/** The sockets process `pid` holds, as its network namespace's tables describe them. */
export async function processSockets(pid: number): Promise<SocketInfo[]> {
  const inodes = await socketInodes(pid);
  const tables: Partial<Record<SocketTable, string>> = {};
  for (const t of SOCKET_TABLES) {
    const text = await Deno.readTextFile(`/proc/${pid}/net/${t}`).catch(() => undefined);
    if (text !== undefined) tables[t] = text;
  }
  return matchSockets(inodes, tables);
}

/**
 * One line per socket, e.g. `raw:2`, `unix:/dev/log` or `unbound` (in no table), sorted: for
 * messages and diffs.
 */
export function describeSockets(sockets: readonly SocketInfo[]): string[] {
  return sockets.map((s) =>
    s.table === undefined
      ? "unbound"
      : `${s.table}:${s.local ?? ""}${s.listening ? " LISTENING" : ""}`
  ).sort();
}
