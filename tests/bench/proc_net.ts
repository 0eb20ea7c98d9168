/**
 * Kernel counters the source-filter benchmark reads from `/proc/net` of the proxy's namespace:
 * the per-interface source filters of its memberships (`mcfilter`), the IP packets delivered
 * to local sockets (`snmp`). Pure parsers: the caller reads the files.
 *
 * @module
 */

/** One line of `/proc/net/mcfilter`: a source in an interface's filter for a group. */
export interface McFilterEntry {
  /** The interface name. */
  ifname: string;
  /** The group (host order). */
  group: number;
  /** The source (host order). */
  source: number;
  /** Sockets that include the source. */
  include: number;
  /** Sockets that exclude it. */
  exclude: number;
}

/**
 * Parses `/proc/net/mcfilter` (header line, then `Idx Device MCA SRC INC EXC`, addresses as
 * host-order hex).
 *
 * @example
 * ```ts
 * parseMcFilter(
 *   "Idx Device        MCA        SRC    INC    EXC\n" +
 *     "  2    up0 0xe8640000 0x0a000064      1      0\n",
 * );
 * // [{ ifname: "up0", group: 0xe8640000, source: 0x0a000064, include: 1, exclude: 0 }]
 * ```
 */
export function parseMcFilter(text: string): McFilterEntry[] {
  const out: McFilterEntry[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^0x[0-9a-f]{8}$/i.test(f[2]) || !/^0x[0-9a-f]{8}$/i.test(f[3])) continue;
    out.push({
      ifname: f[1],
      group: parseInt(f[2], 16),
      source: parseInt(f[3], 16),
      include: Number(f[4]),
      exclude: Number(f[5]),
    });
  }
  return out;
}

/**
 * The `Ip: InDelivers` counter of `/proc/net/snmp`: IP datagrams handed to local protocols
 * and raw sockets. Throws when there is none.
 *
 * @example
 * ```ts
 * ipInDelivers("Ip: Forwarding InReceives InDelivers\nIp: 1 120 117\n"); // 117
 * ```
 */
export function ipInDelivers(snmp: string): number {
  const lines = snmp.split("\n").filter((l) => l.startsWith("Ip: "));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const at = names.indexOf("InDelivers");
  if (at < 0 || values[at] === undefined) throw new Error("No Ip InDelivers in /proc/net/snmp");
  return Number(values[at]);
}
