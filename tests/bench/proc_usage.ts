/**
 * What a benchmarked daemon costs, read from /proc: CPU time (`/proc/PID/stat`), resident memory
 * (`/proc/PID/status`), and the queue and drops of its raw IGMP socket (`/proc/net/raw` of its
 * network namespace).
 *
 * @module
 */

/** CPU seconds and resident memory of a process at one instant. */
export interface Usage {
  /** User plus system CPU seconds since the process started, every thread included. */
  cpuS: number;
  /** Resident set size in bytes. */
  rssBytes: number;
}

/**
 * utime + stime of a `/proc/PID/stat` line, in clock ticks. The command name (field 2) is in
 * parentheses and may hold spaces and parentheses, so fields are counted after its last `)`.
 *
 * @example
 * ```ts
 * statCpuTicks("42 (a) b) S 1 42 42 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 5 0 0");
 * // 10
 * ```
 */
export function statCpuTicks(stat: string): number {
  const close = stat.lastIndexOf(")");
  if (close < 0) throw new Error(`Not a /proc/PID/stat line: "${stat.slice(0, 60)}"`);
  // After ")": field 3 (state) is index 0, so utime (field 14) is index 11, stime index 12.
  const fields = stat.slice(close + 1).trim().split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) {
    throw new Error(`No utime/stime in /proc/PID/stat line: "${stat.slice(0, 60)}"`);
  }
  return utime + stime;
}

/**
 * VmRSS of a `/proc/PID/status` text, in bytes.
 *
 * @example
 * ```ts
 * statusRssBytes("Name:\tdeno\nVmRSS:\t   51200 kB\n"); // 52428800
 * ```
 */
export function statusRssBytes(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (m === null) throw new Error("No VmRSS line in /proc/PID/status (is it a kernel thread?)");
  return Number(m[1]) * 1024;
}

/** One socket of `/proc/net/raw`. */
export interface RawSocket {
  /** The IP protocol (the "port" of the local address: 2 for IGMP). */
  protocol: number;
  /** Bytes queued for reading. */
  rxQueue: number;
  /** Datagrams dropped since the socket opened (receive buffer full, filters). */
  drops: number;
  /** The socket's inode. */
  inode: number;
}

/**
 * Parses `/proc/net/raw` (header line, then `sl local rem st tx:rx tr:when retr uid timeout
 * inode ref pointer drops`).
 *
 * @example
 * ```ts
 * parseRawSockets(
 *   "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
 *     "  2: 00000000:0002 00000000:0000 07 00000000:00000300 00:00000000 00000000     0        0 81234 2 0000000000000000 17\n",
 * );
 * // [{ protocol: 2, rxQueue: 768, drops: 17, inode: 81234 }]
 * ```
 */
export function parseRawSockets(text: string): RawSocket[] {
  const sockets: RawSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const local = /^[0-9A-Fa-f]+:([0-9A-Fa-f]{4})$/.exec(f[1]);
    const queues = /^([0-9A-Fa-f]+):([0-9A-Fa-f]+)$/.exec(f[4]);
    if (local === null || queues === null) continue;
    sockets.push({
      protocol: parseInt(local[1], 16),
      rxQueue: parseInt(queues[2], 16),
      inode: Number(f[9]),
      drops: Number(f[12]),
    });
  }
  return sockets;
}

/** The clock ticks per second of /proc/PID/stat (`getconf CLK_TCK`, 100 on Linux). */
let clockTicks: number | undefined;

async function ticksPerSecond(): Promise<number> {
  if (clockTicks !== undefined) return clockTicks;
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

/** CPU seconds and RSS of process `pid` now. Throws when it has exited. */
export async function readUsage(pid: number): Promise<Usage> {
  const [stat, status] = await Promise.all([
    Deno.readTextFile(`/proc/${pid}/stat`),
    Deno.readTextFile(`/proc/${pid}/status`),
  ]);
  return { cpuS: statCpuTicks(stat) / await ticksPerSecond(), rssBytes: statusRssBytes(status) };
}
