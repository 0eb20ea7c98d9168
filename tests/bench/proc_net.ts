/**
 * Kernel counters the source-filter benchmark reads from `/proc/net` of the proxy's namespace:
 * the per-interface source filters of its memberships (`mcfilter`), the IP packets delivered
 * to local sockets (`snmp`). Pure parsers: the caller reads the files.
 *
 * @module
 */

import { parseIPv4 } from "../../src/proto/addr.ts";
import { parseMcfilter } from "../lab/proc.ts";

/** One line of `/proc/net/mcfilter`: a source in an interface's filter for a group. */
export interface McFilterEntry {
  /** The interface name, cut to 6 characters as the file prints it. */
  ifname: string;
  /** The group, as a number (`0xe8640000` is 232.100.0.0). */
  group: number;
  /** The source, as a number. */
  source: number;
  /** Sockets that include the source. */
  include: number;
  /** Sockets that exclude it. */
  exclude: number;
}

/**
 * Parses `/proc/net/mcfilter` with the lab's parser (`tests/lab/proc.ts`), its addresses as
 * numbers; throws when it does not parse.
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
  return parseMcfilter(text).map((f) => ({
    ifname: f.name,
    group: parseIPv4(f.group)!,
    source: parseIPv4(f.source)!,
    include: f.include,
    exclude: f.exclude,
  }));
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
