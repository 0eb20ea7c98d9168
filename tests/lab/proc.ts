/**
 * Parsers for the kernel's IPv4 multicast routing tables in `/proc/net/ip_mr_vif` and
 * `/proc/net/ip_mr_cache` (Linux `net/ipv4/ipmr.c`, `ipmr_vif_seq_show` and
 * `ipmr_mfc_seq_show`). Pure: they take the file's text and return values.
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
 * @module
 */

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
  return dataLines(text, "Group").map((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) throw new Error(`Bad ip_mr_cache line: "${line}"`);
    const oifs = f.slice(6).map((o) => {
      const m = /^(\d+):(\d+)$/.exec(o);
      if (!m) throw new Error(`Bad oif "${o}" in line: "${line}"`);
      return { vif: Number(m[1]), ttl: Number(m[2]) };
    });
    const iif = parseDec(f[2], "Iif", line);
    return {
      group: hexToAddr(f[0], le),
      origin: hexToAddr(f[1], le),
      iif,
      packets: parseDec(f[3], "Pkts", line),
      bytes: parseDec(f[4], "Bytes", line),
      wrong: parseDec(f[5], "Wrong", line),
      oifs,
      unresolved: iif === -1,
    };
  });
}
