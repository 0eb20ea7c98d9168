/**
 * Parsers for the kernel's multicast routing tables in `/proc/net/ip_mr_vif` and
 * `/proc/net/ip_mr_cache` (Linux `net/ipv4/ipmr.c`, `ipmr_vif_seq_show` and
 * `ipmr_mfc_seq_show`), their IPv6 counterparts `/proc/net/ip6_mr_vif` and
 * `/proc/net/ip6_mr_cache` (`net/ipv6/ip6mr.c`), the IPv6 memberships in `/proc/net/igmp6`
 * (`net/ipv6/mcast.c`, `igmp6_mc_seq_show`) and the IPv6 addresses in `/proc/net/if_inet6`
 * (`net/ipv6/addrconf.c`, `if6_seq_show`). Pure: they take the file's text and return values.
 *
 * Observed on Linux 6.x x86_64 (one header line, then one line per entry):
 *
 * ```text
 * Interface      BytesIn  PktsIn  BytesOut PktsOut Flags Local    Remote
 *  0 up0            1280      10         0       0 00008 00000002 00000000
 *  1 dn1               0       0      1280      10 00000 0100080A 00000000
 * ```
 *
 * ```text
 * Group    Origin   Iif     Pkts    Bytes    Wrong Oifs
 * 010101EF 0200090A 0         10     1280        0  1:1
 * 020101EF 0200090A -1         0        0        0
 * ```
 *
 * Addresses are `__be32` values printed with `%08X`, i.e. in host byte order: on a
 * little-endian machine `010101EF` is 239.1.1.1. A VIF added with `VIFF_USE_IFINDEX` (flag 8)
 * prints its interface index in the Local column instead of an address. An unresolved cache
 * entry (packets queued while waiting for the daemon) has Iif -1, zero counters and no Oifs.
 *
 * The IPv6 tables, observed on Linux 6.18 x86_64 (MIF 0 eth0 and MIF 1 lo, an MFC entry for
 * (2001:db8:1::12, ff05::1) from MIF 0 to MIF 1 with threshold 1 after 10 datagrams of 148
 * bytes, and ff05::2 unresolved), have no address columns in the MIF table and print addresses
 * with `%pI6`, all eight groups with leading zeros:
 *
 * ```text
 * Interface      BytesIn  PktsIn  BytesOut PktsOut Flags
 *  0 eth0           1480      10         0       0 00000
 *  1 lo                0       0         0       0 00000
 * ```
 *
 * ```text
 * Group                            Origin                           Iif      Pkts  Bytes     Wrong  Oifs
 * ff05:0000:0000:0000:0000:0000:0000:0001 2001:0db8:0001:0000:0000:0000:0000:0012 0         10     1480        0  1:1
 * ff05:0000:0000:0000:0000:0000:0000:0002 2001:0db8:0001:0000:0000:0000:0000:0012 -1         0        0        0
 * ```
 *
 * `/proc/net/igmp6` (`%-4d %-15s %pi6 %5d %08X %ld`: ifindex, name, group as 32 hex digits,
 * users, MAF_* flags, timer) and `/proc/net/if_inet6` (`%pi6 %02x %02x %02x %02x %8s`:
 * address, ifindex, prefix length, scope, IFA_F_* flags, name; all hex) have no header:
 *
 * ```text
 * 2    eth0            ff050000000000000000000000000001     1 00000004 0
 * 20010db8000100000000000000000011 02 40 00 80     eth0
 * ```
 *
 * @module
 */

import { formatIPv6, parseIPv6 } from "../../src/proto/addr.ts";

/** `VIFF_USE_IFINDEX`: the VIF's "local" field holds an interface index, not an address. */
export const VIFF_USE_IFINDEX = 0x8;

/** One line of `/proc/net/ip_mr_vif`. */
export interface MrVif {
  /** VIF index. */
  vif: number;
  /** Interface name. */
  name: string;
  /** Bytes received on the VIF (multicast routed in). */
  bytesIn: number;
  /** Packets received on the VIF. */
  pktsIn: number;
  /** Bytes forwarded out of the VIF. */
  bytesOut: number;
  /** Packets forwarded out of the VIF. */
  pktsOut: number;
  /** `VIFF_*` flags. */
  flags: number;
  /** Local address as a dotted quad (meaningless when `ifindex` is set). */
  local: string;
  /** Remote (tunnel) address as a dotted quad; 0.0.0.0 for a plain VIF. */
  remote: string;
  /** The interface index when the VIF was added with `VIFF_USE_IFINDEX`, else null. */
  ifindex: number | null;
}

/** One outgoing interface of a cache entry. */
export interface MrOif {
  /** VIF index. */
  vif: number;
  /** TTL threshold: packets are forwarded when their TTL is greater than this. */
  ttl: number;
}

/** One line of `/proc/net/ip_mr_cache`. */
export interface MrCacheEntry {
  /** Group address, dotted quad. */
  group: string;
  /** Source (origin) address, dotted quad. */
  origin: string;
  /** Incoming VIF; -1 for an unresolved entry. */
  iif: number;
  /** Packets forwarded. */
  packets: number;
  /** Bytes forwarded. */
  bytes: number;
  /** Packets that arrived on the wrong interface. */
  wrong: number;
  /** Outgoing interfaces with their TTL thresholds. */
  oifs: MrOif[];
  /** True when the kernel is still waiting for the daemon to resolve the entry (iif -1). */
  unresolved: boolean;
}

/** Options for the parsers. */
export interface ProcParseOptions {
  /**
   * Byte order of the machine that produced the text. Defaults to this machine's. The
   * addresses in these files are network-order words printed as host integers.
   */
  littleEndian?: boolean;
}

/** True when this machine is little-endian. */
export function hostIsLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * Converts a `%08X`-printed `__be32` to a dotted quad.
 *
 * @example
 * ```ts
 * hexToAddr("010101EF", true); // "239.1.1.1"
 * ```
 */
export function hexToAddr(hex: string, littleEndian: boolean = hostIsLittleEndian()): string {
  if (!/^[0-9A-Fa-f]{1,8}$/.test(hex)) throw new Error(`Bad hex address: "${hex}"`);
  const n = parseInt(hex, 16) >>> 0;
  const octets = [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  if (littleEndian) octets.reverse();
  return octets.join(".");
}

function parseDec(field: string, what: string, line: string): number {
  if (!/^-?\d+$/.test(field)) throw new Error(`Bad ${what} "${field}" in line: "${line}"`);
  return Number(field);
}

function dataLines(text: string, header: string): string[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length > 0 && lines[0].trimStart().startsWith(header)) lines.shift();
  return lines;
}

/**
 * Parses `/proc/net/ip_mr_vif`. The header line is optional; unparsable lines throw.
 *
 * @example
 * ```ts
 * parseMrVif(" 0 up0 1280 10 0 0 00008 00000002 00000000\n")[0].ifindex; // 2
 * ```
 */
export function parseMrVif(text: string, opts: ProcParseOptions = {}): MrVif[] {
  const le = opts.littleEndian ?? hostIsLittleEndian();
  return dataLines(text, "Interface").map((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length !== 9) throw new Error(`Bad ip_mr_vif line: "${line}"`);
    const flags = parseInt(f[6], 16);
    if (Number.isNaN(flags)) throw new Error(`Bad flags "${f[6]}" in line: "${line}"`);
    return {
      vif: parseDec(f[0], "VIF index", line),
      name: f[1],
      bytesIn: parseDec(f[2], "BytesIn", line),
      pktsIn: parseDec(f[3], "PktsIn", line),
      bytesOut: parseDec(f[4], "BytesOut", line),
      pktsOut: parseDec(f[5], "PktsOut", line),
      flags,
      local: hexToAddr(f[7], le),
      remote: hexToAddr(f[8], le),
      ifindex: (flags & VIFF_USE_IFINDEX) !== 0 ? parseInt(f[7], 16) : null,
    };
  });
}

/**
 * Parses `/proc/net/ip_mr_cache`. The header line is optional; unparsable lines throw.
 *
 * @example
 * ```ts
 * parseMrCache("010101EF 0200090A 0 10 1280 0  1:1\n", { littleEndian: true })[0].group;
 * // "239.1.1.1"
 * ```
 */
export function parseMrCache(text: string, opts: ProcParseOptions = {}): MrCacheEntry[] {
  const le = opts.littleEndian ?? hostIsLittleEndian();
  return parseCache(text, "ip_mr_cache", (hex) => hexToAddr(hex, le));
}

/**
 * Parses `/proc/net/ip6_mr_cache`: the same columns as `ip_mr_cache`, with IPv6 addresses
 * (returned in RFC 5952 form, e.g. `ff05::1`) and MIF indexes for `iif` and the oifs. The
 * header line is optional; unparsable lines throw.
 *
 * @example
 * ```ts
 * parseMr6Cache(
 *   "ff05:0000:0000:0000:0000:0000:0000:0001 2001:0db8:0000:0000:0000:0000:0000:0002 0 " +
 *     "10 1480 0  1:1\n",
 * )[0].origin; // "2001:db8::2"
 * ```
 */
export function parseMr6Cache(text: string): MrCacheEntry[] {
  return parseCache(text, "ip6_mr_cache", (field) => {
    const a = /^[0-9A-Fa-f]{4}(:[0-9A-Fa-f]{4}){7}$/.test(field) ? parseIPv6(field) : undefined;
    if (a === undefined) throw new Error(`Bad IPv6 address: "${field}"`);
    return formatIPv6(a);
  });
}

function parseCache(
  text: string,
  file: string,
  toAddr: (field: string) => string,
): MrCacheEntry[] {
  return dataLines(text, "Group").map((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) throw new Error(`Bad ${file} line: "${line}"`);
    const oifs = f.slice(6).map((o) => {
      const m = /^(\d+):(\d+)$/.exec(o);
      if (!m) throw new Error(`Bad oif "${o}" in line: "${line}"`);
      return { vif: Number(m[1]), ttl: Number(m[2]) };
    });
    const iif = parseDec(f[2], "Iif", line);
    return {
      group: toAddr(f[0]),
      origin: toAddr(f[1]),
      iif,
      packets: parseDec(f[3], "Pkts", line),
      bytes: parseDec(f[4], "Bytes", line),
      wrong: parseDec(f[5], "Wrong", line),
      oifs,
      unresolved: iif === -1,
    };
  });
}

/** One line of `/proc/net/ip6_mr_vif`: a MIF. */
export interface Mr6Vif {
  /** MIF index. */
  mif: number;
  /** Interface name (`none` once the interface is gone). */
  name: string;
  /** Bytes received on the MIF (multicast routed in). */
  bytesIn: number;
  /** Packets received on the MIF. */
  pktsIn: number;
  /** Bytes forwarded out of the MIF. */
  bytesOut: number;
  /** Packets forwarded out of the MIF. */
  pktsOut: number;
  /** `MIFF_*` flags (`MIFF_REGISTER` 1). */
  flags: number;
}

/**
 * Parses `/proc/net/ip6_mr_vif`. The header line is optional; unparsable lines throw.
 *
 * @example
 * ```ts
 * parseMr6Vif(" 0 eth0 1480 10 0 0 00000\n")[0].pktsIn; // 10
 * ```
 */
export function parseMr6Vif(text: string): Mr6Vif[] {
  return dataLines(text, "Interface").map((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length !== 7) throw new Error(`Bad ip6_mr_vif line: "${line}"`);
    if (!/^[0-9A-Fa-f]+$/.test(f[6])) throw new Error(`Bad flags "${f[6]}" in line: "${line}"`);
    return {
      mif: parseDec(f[0], "MIF index", line),
      name: f[1],
      bytesIn: parseDec(f[2], "BytesIn", line),
      pktsIn: parseDec(f[3], "PktsIn", line),
      bytesOut: parseDec(f[4], "BytesOut", line),
      pktsOut: parseDec(f[5], "PktsOut", line),
      flags: parseInt(f[6], 16),
    };
  });
}

/**
 * Converts 32 hex digits (`%pi6`, an IPv6 address in network order without colons) to RFC 5952
 * text.
 *
 * @example
 * ```ts
 * hex6ToAddr("ff050000000000000000000000000001"); // "ff05::1"
 * ```
 */
export function hex6ToAddr(hex: string): string {
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) throw new Error(`Bad hex IPv6 address: "${hex}"`);
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return formatIPv6(bytes);
}

/** One line of `/proc/net/igmp6`: an IPv6 group joined on an interface. */
export interface Igmp6Membership {
  /** Interface index. */
  ifindex: number;
  /** Interface name. */
  name: string;
  /** Group, RFC 5952 text (e.g. `ff05::1`). */
  group: string;
  /** How many sockets (or kernel users) hold the membership. */
  users: number;
  /**
   * `MAF_*` flags: 1 report timer running, 2 last reporter (sent the last MLDv1 report, so it
   * sends the Done), 4 loaded on the device, 8 no report (`ff02::1`), 0x10 group query.
   */
  flags: number;
  /** Time left on the report timer in clock ticks (1/100 s); 0 when none runs. */
  timer: number;
}

/**
 * Parses `/proc/net/igmp6`; unparsable lines throw.
 *
 * @example
 * ```ts
 * parseIgmp6("2    eth0   ff050000000000000000000000000001     1 00000004 0\n")[0].group;
 * // "ff05::1"
 * ```
 */
export function parseIgmp6(text: string): Igmp6Membership[] {
  return text.split("\n").filter((l) => l.trim() !== "").map((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length !== 6 || !/^[0-9A-Fa-f]+$/.test(f[4])) {
      throw new Error(`Bad igmp6 line: "${line}"`);
    }
    return {
      ifindex: parseDec(f[0], "ifindex", line),
      name: f[1],
      group: hex6ToAddr(f[2]),
      users: parseDec(f[3], "users", line),
      flags: parseInt(f[4], 16),
      timer: parseDec(f[5], "timer", line),
    };
  });
}

/** One line of `/proc/net/if_inet6`: an IPv6 address of an interface. */
export interface IfInet6Entry {
  /** Address, RFC 5952 text. */
  address: string;
  /** Interface index. */
  ifindex: number;
  /** Prefix length. */
  prefixLen: number;
  /** Scope: 0 global, 0x10 host, 0x20 link. */
  scope: number;
  /** `IFA_F_*` flags: 0x40 tentative, 0x80 permanent, 0x02 nodad. */
  flags: number;
  /** Interface name. */
  name: string;
}

/**
 * Parses `/proc/net/if_inet6`; unparsable lines throw.
 *
 * @example
 * ```ts
 * parseIfInet6("20010db8000000000000000000000002 02 40 00 80     eth0\n")[0].ifindex; // 2
 * ```
 */
export function parseIfInet6(text: string): IfInet6Entry[] {
  return text.split("\n").filter((l) => l.trim() !== "").map((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length !== 6 || !f.slice(1, 5).every((x) => /^[0-9A-Fa-f]+$/.test(x))) {
      throw new Error(`Bad if_inet6 line: "${line}"`);
    }
    return {
      address: hex6ToAddr(f[0]),
      ifindex: parseInt(f[1], 16),
      prefixLen: parseInt(f[2], 16),
      scope: parseInt(f[3], 16),
      flags: parseInt(f[4], 16),
      name: f[5],
    };
  });
}

/**
 * The groups each interface is a member of, from `/proc/net/igmp` (a device line `Idx Device :
 * Count Querier`, then one indented line per group with its address in host-order hex), in the
 * file's order; 224.0.0.1 included, as the kernel lists it.
 *
 * @example
 * ```ts
 * parseIgmpMemberships("12\tdn1       :     2      V2\n\t\t\t\t020000E0     1 0:00000000\t\t0\n");
 * // Map { "dn1" => ["224.0.0.2"] } on a little-endian host
 * ```
 */
export function parseIgmpMemberships(
  text: string,
  littleEndian?: boolean,
): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    const dev = /^\d+\s+(\S+)\s*:/.exec(line);
    if (dev !== null) {
      current = [];
      groups.set(dev[1], current);
      continue;
    }
    const g = /^\s+([0-9A-Fa-f]{8})\s/.exec(line);
    if (g !== null && current !== undefined) current.push(hexToAddr(g[1], littleEndian));
  }
  return groups;
}

/** A host's UDP receive-buffer drops, per family. */
export interface UdpReceiveDrops {
  /** `RcvbufErrors` of the `Udp:` lines of `/proc/net/snmp`. */
  ipv4: number;
  /** `Udp6RcvbufErrors` of `/proc/net/snmp6` (0 without IPv6). */
  ipv6: number;
}

/**
 * The UDP receive-buffer drops of a namespace, from the text of `/proc/net/snmp` followed by
 * that of `/proc/net/snmp6` (Linux `net/ipv4/proc.c` prints a `Udp:` line of names, then one of
 * values; `net/ipv6/proc.c` a name and a value per line). A datagram counted there reached the
 * host and was dropped because its socket was full.
 *
 * @example
 * ```ts
 * parseUdpReceiveDrops("Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors\n" +
 *   "Udp: 2098 0 516 0 516\nUdp6RcvbufErrors                \t7\n");
 * // { ipv4: 516, ipv6: 7 }
 * ```
 */
export function parseUdpReceiveDrops(text: string): UdpReceiveDrops {
  const lines = text.split("\n");
  let ipv4 = 0;
  const names = lines.findIndex((l) => /^Udp: [A-Za-z]/.test(l));
  if (names >= 0 && lines[names + 1]?.startsWith("Udp: ")) {
    const keys = lines[names].split(/\s+/).slice(1);
    const values = lines[names + 1].split(/\s+/).slice(1);
    const at = keys.indexOf("RcvbufErrors");
    if (at >= 0) ipv4 = Number(values[at]);
  }
  const v6 = /^Udp6RcvbufErrors\s+(\d+)/m.exec(text);
  return { ipv4, ipv6: v6 === null ? 0 : Number(v6[1]) };
}
