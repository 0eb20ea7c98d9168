/**
 * Parsers of the kernel's multicast routing tables: the VIFs (`/proc/net/ip_mr_vif`, Linux
 * `net/ipv4/ipmr.c`, `ipmr_vif_seq_show`) and the forwarding cache (`/proc/net/ip_mr_cache`,
 * `ipmr_mfc_seq_show`), and their IPv6 counterparts `/proc/net/ip6_mr_vif` and
 * `/proc/net/ip6_mr_cache` (`net/ipv6/ip6mr.c`). Pure: each takes a file's text and returns its
 * rows, or the reason it could not (`proc_net_fields.ts`).
 *
 * Observed on Linux 6.x x86_64 (one header line, then one line per VIF or entry):
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
 * The addresses are `%08X` words in host byte order: on a little-endian machine `010101EF` is
 * 239.1.1.1. A VIF added with `VIFF_USE_IFINDEX` (flag 8) prints its interface index in the
 * Local column instead of an address. An unresolved cache entry (data queued while the kernel
 * waits for the daemon) has Iif -1, zero counters and no Oifs; each Oif is `VIF:TTL threshold`.
 *
 * The IPv6 tables (Linux 6.18 x86_64) have no address columns in the MIF table and print the
 * cache's addresses with `%pI6`, all eight groups with their leading zeros:
 *
 * ```text
 * Interface      BytesIn  PktsIn  BytesOut PktsOut Flags
 *  0 eth0           1480      10         0       0 00000
 * Group                            Origin                           Iif      Pkts  Bytes     Wrong  Oifs
 * ff05:0000:0000:0000:0000:0000:0000:0001 2001:0db8:0001:0000:0000:0000:0000:0012 0         10     1480        0  1:1
 * ```
 *
 * @module
 */

import {
  hostIsLittleEndian,
  type LineFields,
  parseHostOrderIPv4,
  parseLines,
  parsePaddedIPv6,
  type ProcNetResult,
  type ProcParseOptions,
} from "./proc_net_fields.ts";

/** `VIFF_USE_IFINDEX`: the VIF's "local" field holds an interface index, not an address. */
export const VIFF_USE_IFINDEX = 0x8;

/** The counters of a VIF or a MIF. */
interface VifCounters {
  /** Bytes received on it (multicast routed in). */
  bytesIn: number;
  /** Packets received on it. */
  pktsIn: number;
  /** Bytes forwarded out of it. */
  bytesOut: number;
  /** Packets forwarded out of it. */
  pktsOut: number;
}

/** One line of `/proc/net/ip_mr_vif`. */
export interface MrVif extends VifCounters {
  /** VIF index. */
  vif: number;
  /** Interface name (`none` once the interface is gone). */
  name: string;
  /** `VIFF_*` flags. */
  flags: number;
  /** Local address as a dotted quad (meaningless when `ifindex` is set). */
  local: string;
  /** Remote (tunnel) address as a dotted quad; 0.0.0.0 for a plain VIF. */
  remote: string;
  /** The interface index when the VIF was added with `VIFF_USE_IFINDEX`, else null. */
  ifindex: number | null;
}

/** One line of `/proc/net/ip6_mr_vif`: a MIF. */
export interface Mr6Vif extends VifCounters {
  /** MIF index. */
  mif: number;
  /** Interface name (`none` once the interface is gone). */
  name: string;
  /** `MIFF_*` flags (`MIFF_REGISTER` 1). */
  flags: number;
}

/** One outgoing interface of a cache entry. */
export interface MrOif {
  /** VIF (MIF) index. */
  vif: number;
  /** TTL threshold: packets are forwarded when their TTL is greater than this. */
  ttl: number;
}

/** One line of `/proc/net/ip_mr_cache` or `/proc/net/ip6_mr_cache`. */
export interface MrCacheEntry {
  /** Group address: a dotted quad, or IPv6 in RFC 5952 form. */
  group: string;
  /** Source (origin) address, in the same form. */
  origin: string;
  /** Incoming VIF (MIF); -1 for an unresolved entry. */
  iif: number;
  /** Packets forwarded. */
  packets: number;
  /** Bytes forwarded. */
  bytes: number;
  /** Packets that arrived on the wrong interface. */
  wrong: number;
  /** Outgoing interfaces with their TTL thresholds, in the file's order. */
  oifs: MrOif[];
  /** True when the kernel is still waiting for the daemon to resolve the entry (iif -1). */
  unresolved: boolean;
}

/**
 * `/proc/net/ip_mr_vif` (9 columns); the header line is optional.
 *
 * @example
 * ```ts
 * parseIpMrVif(" 0 up0 1280 10 0 0 00008 00000002 00000000\n"); // ifindex 2
 * ```
 */
export function parseIpMrVif(text: string, opts: ProcParseOptions = {}): ProcNetResult<MrVif> {
  const le = opts.littleEndian ?? hostIsLittleEndian();
  return parseLines(text, { header: "Interface" }, (f) => {
    if (!f.count(9)) return null;
    const head = { vif: f.decimal(0, "VIF index"), name: f.text(1), ...counters(f) };
    const flags = f.hex(6, "flags");
    return {
      ...head,
      flags,
      local: f.address(7, "local address", (a) => parseHostOrderIPv4(a, le)),
      remote: f.address(8, "remote address", (a) => parseHostOrderIPv4(a, le)),
      ifindex: (flags & VIFF_USE_IFINDEX) !== 0 ? parseInt(f.text(7), 16) : null,
    };
  });
}

/**
 * `/proc/net/ip6_mr_vif` (7 columns); the header line is optional.
 *
 * @example
 * ```ts
 * parseIp6MrVif(" 0 eth0 1480 10 0 0 00000\n"); // pktsIn 10
 * ```
 */
export function parseIp6MrVif(text: string): ProcNetResult<Mr6Vif> {
  return parseLines(text, { header: "Interface" }, (f) => {
    if (!f.count(7)) return null;
    return {
      mif: f.decimal(0, "MIF index"),
      name: f.text(1),
      ...counters(f),
      flags: f.hex(6, "flags"),
    };
  });
}

/**
 * `/proc/net/ip_mr_cache`, unresolved entries included; the header line is optional.
 *
 * @example
 * ```ts
 * parseIpMrCache("010101EF 0200090A 0 10 1280 0  1:1\n", { littleEndian: true });
 * // { ok: true, value: [{ group: "239.1.1.1", origin: "10.9.0.2", iif: 0, ... }] }
 * ```
 */
export function parseIpMrCache(
  text: string,
  opts: ProcParseOptions = {},
): ProcNetResult<MrCacheEntry> {
  const le = opts.littleEndian ?? hostIsLittleEndian();
  return parseCache(text, (a) => parseHostOrderIPv4(a, le));
}

/**
 * `/proc/net/ip6_mr_cache`: the columns of `ip_mr_cache`, with IPv6 addresses (returned in
 * RFC 5952 form, e.g. `ff05::1`) and MIF indexes.
 *
 * @example
 * ```ts
 * parseIp6MrCache(
 *   "ff05:0000:0000:0000:0000:0000:0000:0001 2001:0db8:0000:0000:0000:0000:0000:0002 0 " +
 *     "10 1480 0  1:1\n",
 * ); // { ok: true, value: [{ group: "ff05::1", origin: "2001:db8::2", ... }] }
 * ```
 */
export function parseIp6MrCache(text: string): ProcNetResult<MrCacheEntry> {
  return parseCache(text, parsePaddedIPv6);
}

function parseCache(
  text: string,
  address: (field: string) => string | undefined,
): ProcNetResult<MrCacheEntry> {
  return parseLines(text, { header: "Group" }, (f) => {
    if (!f.count(6, true)) return null;
    const iif = f.integer(2, "Iif");
    return {
      group: f.address(0, "group", address),
      origin: f.address(1, "origin", address),
      iif,
      packets: f.decimal(3, "Pkts"),
      bytes: f.decimal(4, "Bytes"),
      wrong: f.decimal(5, "Wrong"),
      oifs: f.fields.slice(6).map((oif) => {
        const m = /^(\d+):(\d+)$/.exec(oif);
        if (m === null) f.fail(`bad oif ${JSON.stringify(oif)}`);
        return { vif: Number(m?.[1] ?? 0), ttl: Number(m?.[2] ?? 0) };
      }),
      unresolved: iif === -1,
    };
  });
}

/** Columns 2 to 5 of a VIF or MIF line. */
function counters(f: LineFields): VifCounters {
  return {
    bytesIn: f.decimal(2, "BytesIn"),
    pktsIn: f.decimal(3, "PktsIn"),
    bytesOut: f.decimal(4, "BytesOut"),
    pktsOut: f.decimal(5, "PktsOut"),
  };
}
