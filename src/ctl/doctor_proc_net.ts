/**
 * The kernel's multicast tables as `/proc/net` shows them, read for `mcast-proxyctl doctor` to
 * compare with the daemon's views: the VIFs (`ip_mr_vif`, `ip6_mr_vif`), the forwarding cache
 * (`ip_mr_cache`, `ip6_mr_cache`), the groups joined on each interface (`igmp`, `igmp6`) and
 * their source filters (`mcfilter`, `mcfilter6`). Pure: each parser takes a file's text and
 * returns its rows, or the reason it could not.
 *
 * The formats, as Linux 6.x prints them (`net/ipv4/ipmr.c`, `net/ipv6/ip6mr.c`,
 * `net/ipv4/igmp.c`, `net/ipv6/mcast.c`):
 *
 * ```text
 * Interface      BytesIn  PktsIn  BytesOut PktsOut Flags Local    Remote       (ip_mr_vif)
 *  0 up0            1280      10         0       0 00008 00000002 00000000
 * Interface      BytesIn  PktsIn  BytesOut PktsOut Flags                       (ip6_mr_vif)
 *  0 eth0           1480      10         0       0 00000
 * Group    Origin   Iif     Pkts    Bytes    Wrong Oifs                        (ip_mr_cache)
 * 010101EF 0200090A 0         10     1280        0  1:1    2:1
 * Group                            Origin                           Iif ...   (ip6_mr_cache)
 * ff05:0000:0000:0000:0000:0000:0000:0001 2001:0db8:...:0012 0   10  1480  0  1:1
 * Idx	Device    : Count Querier	Group    Users Timer	Reporter          (igmp)
 * 3	va        :     4      V3
 * 				010101EF     1 0:00000000		0
 * 3    va              ff050000000000000000000000000001     1 00000004 0   (igmp6)
 * Idx Device        MCA        SRC    INC    EXC                            (mcfilter)
 *   3     va 0xef020202 0x0a000009      0      1
 * Idx Device                Multicast Address                   Source ... (mcfilter6)
 *   3     va ff050000000000000000000000000002 20010db8000000000000000000000009      0      1
 * ```
 *
 * The addresses of `ip_mr_cache` and `igmp` are `__be32` printed with `%08X`, so in host byte
 * order: on a little-endian machine `010101EF` is 239.1.1.1. Those of `mcfilter` went through
 * `ntohl` first: `0xef020202` is 239.2.2.2 on any machine. `mcfilter` cuts an interface's name
 * to 6 characters: the interface index is what names it. An unresolved cache entry (Iif -1,
 * data waiting for the daemon) is no entry.
 *
 * @module
 */

import { formatIPv4, formatIPv6, parseIPv6 } from "../proto/addr.ts";
import type { FamilyName } from "../core/status_view.ts";

/** A VIF (an IPv6 MIF). */
export interface KernelVif {
  vif: number;
  /** Its interface's name (`none` once the interface is gone). */
  name: string;
}

/** A resolved forwarding cache entry. */
export interface KernelMfc {
  source: string;
  group: string;
  /** The VIF its data must arrive on. */
  input: number;
  /** The VIFs it is forwarded to, in the file's order. */
  outputs: number[];
}

/** A group joined on an interface. */
export interface KernelMembership {
  ifindex: number;
  group: string;
}

/** A source in the filter of a group joined on an interface. */
export interface KernelFilterSource {
  ifindex: number;
  group: string;
  source: string;
  /** How many sockets include it. */
  include: number;
  /** How many sockets exclude it. */
  exclude: number;
}

/** What the kernel shows of a family; a table is undefined when its file was not read. */
export interface KernelTables {
  family: FamilyName;
  vifs: KernelVif[] | undefined;
  mfc: KernelMfc[] | undefined;
  memberships: KernelMembership[] | undefined;
  filters: KernelFilterSource[] | undefined;
}

/** The tables of {@link KernelTables}. */
export type KernelTable = "vifs" | "mfc" | "memberships" | "filters";

/** Each table's file, by family. */
export const PROC_NET_FILES: Readonly<Record<FamilyName, Readonly<Record<KernelTable, string>>>> =
  Object.freeze({
    ipv4: Object.freeze({
      vifs: "/proc/net/ip_mr_vif",
      mfc: "/proc/net/ip_mr_cache",
      memberships: "/proc/net/igmp",
      filters: "/proc/net/mcfilter",
    }),
    ipv6: Object.freeze({
      vifs: "/proc/net/ip6_mr_vif",
      mfc: "/proc/net/ip6_mr_cache",
      memberships: "/proc/net/igmp6",
      filters: "/proc/net/mcfilter6",
    }),
  });

/** A file's rows, or why they could not be read. */
export type ParsedTable<T> = { ok: true; value: T[] } | { ok: false; reason: string };

/** The text of each file (undefined: not read) made into tables; a file that does not parse is none. */
export function parseKernelTables(
  family: FamilyName,
  texts: Readonly<Record<KernelTable, string | undefined>>,
  opts: { littleEndian?: boolean } = {},
): KernelTables {
  const le = opts.littleEndian ?? hostIsLittleEndian();
  const read = <T>(text: string | undefined, parse: (t: string) => ParsedTable<T>) => {
    if (text === undefined) return undefined;
    const parsed = parse(text);
    return parsed.ok ? parsed.value : undefined;
  };
  return {
    family,
    vifs: read(texts.vifs, (t) => parseVifTable(t, family)),
    mfc: read(texts.mfc, (t) => parseMfcTable(t, family, le)),
    memberships: read(
      texts.memberships,
      (t) => family === "ipv4" ? parseIgmpTable(t, le) : parseIgmp6Table(t),
    ),
    filters: read(texts.filters, (t) => parseFilterTable(t, family)),
  };
}

/** Whether this machine is little-endian (the byte order of the `%08X` addresses). */
export function hostIsLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** `ip_mr_vif` (9 columns) or `ip6_mr_vif` (7): each VIF's index and interface. */
export function parseVifTable(text: string, family: FamilyName): ParsedTable<KernelVif> {
  const columns = family === "ipv4" ? 9 : 7;
  return eachLine(withoutHeader(text, "Interface"), (f) => {
    if (f.length !== columns || !isDecimal(f[0])) return undefined;
    return { vif: Number(f[0]), name: f[1] };
  });
}

/** `ip_mr_cache` or `ip6_mr_cache`: the resolved entries (Iif -1, unresolved, is left out). */
export function parseMfcTable(
  text: string,
  family: FamilyName,
  littleEndian: boolean = hostIsLittleEndian(),
): ParsedTable<KernelMfc> {
  const address = family === "ipv4"
    ? (hex: string) => hexWordToIPv4(hex, littleEndian)
    : colonHexToIPv6;
  return eachLine(withoutHeader(text, "Group"), (f) => {
    if (f.length < 6 || !/^-?\d+$/.test(f[2]) || !f.slice(3, 6).every(isDecimal)) return undefined;
    const group = address(f[0]);
    const source = address(f[1]);
    const outputs = f.slice(6).map((o) => /^(\d+):\d+$/.exec(o)?.[1]);
    if (group === undefined || source === undefined || outputs.includes(undefined)) {
      return undefined;
    }
    if (f[2] === "-1") return null;
    return { source, group, input: Number(f[2]), outputs: outputs.map(Number) };
  });
}

/**
 * `igmp`: a device line (`Idx Device : Count Querier`) opens the groups of an interface, one
 * indented line each.
 */
export function parseIgmpTable(
  text: string,
  littleEndian: boolean = hostIsLittleEndian(),
): ParsedTable<KernelMembership> {
  const rows: KernelMembership[] = [];
  let ifindex: number | undefined;
  for (const line of withoutHeader(text, "Idx")) {
    const device = /^(\d+)\s+\S+\s*:/.exec(line);
    if (device !== null) {
      ifindex = Number(device[1]);
      continue;
    }
    const hex = /^\s+([0-9A-Fa-f]{8})\s/.exec(line)?.[1];
    const group = hex === undefined ? undefined : hexWordToIPv4(hex, littleEndian);
    if (group === undefined || ifindex === undefined) return badLine(line);
    rows.push({ ifindex, group });
  }
  return { ok: true, value: rows };
}

/** `igmp6`: one group of an interface a line, no header. */
export function parseIgmp6Table(text: string): ParsedTable<KernelMembership> {
  return eachLine(lines(text), (f) => {
    const group = f.length === 6 && isDecimal(f[0]) ? hex32ToIPv6(f[2]) : undefined;
    return group === undefined ? undefined : { ifindex: Number(f[0]), group };
  });
}

/** `mcfilter` or `mcfilter6`: a source of a group's filter on an interface a line. */
export function parseFilterTable(
  text: string,
  family: FamilyName,
): ParsedTable<KernelFilterSource> {
  const address = family === "ipv4" ? ntohlToIPv4 : hex32ToIPv6;
  return eachLine(withoutHeader(text, "Idx"), (f) => {
    if (f.length !== 6 || ![f[0], f[4], f[5]].every(isDecimal)) return undefined;
    const group = address(f[2]);
    const source = address(f[3]);
    if (group === undefined || source === undefined) return undefined;
    return { ifindex: Number(f[0]), group, source, include: Number(f[4]), exclude: Number(f[5]) };
  });
}

// ---------------------------------------------------------------------------------------------

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

function withoutHeader(text: string, header: string): string[] {
  const all = lines(text);
  return all.length > 0 && all[0].trimStart().startsWith(header) ? all.slice(1) : all;
}

/**
 * Each line's whitespace-separated fields made into a row: undefined is a bad line, null a line
 * left out.
 */
function eachLine<T>(
  rows: string[],
  make: (fields: string[]) => T | null | undefined,
): ParsedTable<T> {
  const value: T[] = [];
  for (const line of rows) {
    const row = make(line.trim().split(/\s+/));
    if (row === undefined) return badLine(line);
    if (row !== null) value.push(row);
  }
  return { ok: true, value };
}

function badLine(line: string): { ok: false; reason: string } {
  return { ok: false, reason: `unexpected line ${JSON.stringify(line)}` };
}

function isDecimal(field: string): boolean {
  return /^\d+$/.test(field);
}

/** `010101EF` (a `__be32` printed as a host integer) as a dotted quad. */
function hexWordToIPv4(hex: string, littleEndian: boolean): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const n = parseInt(hex, 16) >>> 0;
  if (!littleEndian) return formatIPv4(n);
  return formatIPv4(
    (((n & 0xff) << 24) | ((n >>> 8 & 0xff) << 16) | ((n >>> 16 & 0xff) << 8) | (n >>> 24)) >>> 0,
  );
}

/** `0xef020202` (in network order already) as a dotted quad. */
function ntohlToIPv4(field: string): string | undefined {
  return /^0x[0-9A-Fa-f]{8}$/.test(field) ? formatIPv4(parseInt(field, 16) >>> 0) : undefined;
}

/** `ff050000000000000000000000000001` (`%pi6`) in RFC 5952 form. */
function hex32ToIPv6(field: string): string | undefined {
  if (!/^[0-9A-Fa-f]{32}$/.test(field)) return undefined;
  return colonHexToIPv6(field.replace(/(.{4})(?!$)/g, "$1:"));
}

/** `ff05:0000:…:0001` (`%pI6`) in RFC 5952 form. */
function colonHexToIPv6(field: string): string | undefined {
  const bytes = /^[0-9A-Fa-f]{4}(:[0-9A-Fa-f]{4}){7}$/.test(field) ? parseIPv6(field) : undefined;
  return bytes === undefined ? undefined : formatIPv6(bytes);
}
