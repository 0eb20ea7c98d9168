/**
 * The kernel's tables in `/proc/net` as the end-to-end tests read them: the multicast routing
 * tables (`ip_mr_vif`, `ip_mr_cache`, `ip6_mr_vif`, `ip6_mr_cache`) and memberships (`igmp`,
 * `igmp6`, `mcfilter`), through the parsers of `src/runtime/proc_net_*.ts`, which document the
 * formats, here throwing on a file that does not parse; and what only the tests read: the IPv6
 * addresses in `/proc/net/if_inet6` (`net/ipv6/addrconf.c`, `if6_seq_show`) and the UDP
 * receive-buffer drops in `/proc/net/snmp` and `/proc/net/snmp6`.
 *
 * `/proc/net/if_inet6` (`%pi6 %02x %02x %02x %02x %8s`: address, ifindex, prefix length,
 * scope, IFA_F_* flags, name; all hex) has no header:
 *
 * ```text
 * 20010db8000100000000000000000011 02 40 00 80     eth0
 * ```
 *
 * @module
 */

import type { Result } from "../../src/proto/result.ts";
import {
  hostIsLittleEndian,
  parseHostOrderIPv4,
  parsePackedIPv6,
  type ProcParseOptions,
} from "../../src/runtime/proc_net_fields.ts";
import {
  type Igmp6Membership,
  type McFilterSource,
  parseIgmp,
  parseIgmp6 as parseIgmp6Result,
  parseMcfilter as parseMcfilterResult,
} from "../../src/runtime/proc_net_membership.ts";
import {
  type Mr6Vif,
  type MrCacheEntry,
  type MrVif,
  parseIp6MrCache,
  parseIp6MrVif,
  parseIpMrCache,
  parseIpMrVif,
} from "../../src/runtime/proc_net_mroute.ts";

export { hostIsLittleEndian, type ProcParseOptions };
export type { Igmp6Membership, McFilterSource, Mr6Vif, MrCacheEntry, MrVif };
export { type MrOif, VIFF_USE_IFINDEX } from "../../src/runtime/proc_net_mroute.ts";

/** The value of a parser's result; throws, naming the file, with the reason it has none. */
function orThrow<T>(file: string, result: Result<T, string>): T {
  if (!result.ok) throw new Error(`Cannot parse ${file}: ${result.reason}`);
  return result.value;
}

/**
 * Converts a `%08X`-printed `__be32` to a dotted quad; throws unless it is eight hex digits.
 *
 * @example
 * ```ts
 * hexToAddr("010101EF", true); // "239.1.1.1"
 * ```
 */
export function hexToAddr(hex: string, littleEndian: boolean = hostIsLittleEndian()): string {
  const address = parseHostOrderIPv4(hex, littleEndian);
  if (address === undefined) throw new Error(`Bad hex address: "${hex}"`);
  return address;
}

/**
 * Converts 32 hex digits (`%pi6`, an IPv6 address in network order without colons) to RFC 5952
 * text; throws on anything else.
 *
 * @example
 * ```ts
 * hex6ToAddr("ff050000000000000000000000000001"); // "ff05::1"
 * ```
 */
export function hex6ToAddr(hex: string): string {
  const address = parsePackedIPv6(hex);
  if (address === undefined) throw new Error(`Bad hex IPv6 address: "${hex}"`);
  return address;
}

/** Parses `/proc/net/ip_mr_vif`; throws when it does not parse. */
export function parseMrVif(text: string, opts: ProcParseOptions = {}): MrVif[] {
  return orThrow("/proc/net/ip_mr_vif", parseIpMrVif(text, opts));
}

/** Parses `/proc/net/ip_mr_cache`, unresolved entries included; throws when it does not parse. */
export function parseMrCache(text: string, opts: ProcParseOptions = {}): MrCacheEntry[] {
  return orThrow("/proc/net/ip_mr_cache", parseIpMrCache(text, opts));
}

/** Parses `/proc/net/ip6_mr_vif`; throws when it does not parse. */
export function parseMr6Vif(text: string): Mr6Vif[] {
  return orThrow("/proc/net/ip6_mr_vif", parseIp6MrVif(text));
}

/** Parses `/proc/net/ip6_mr_cache`, unresolved entries included; throws when it does not parse. */
export function parseMr6Cache(text: string): MrCacheEntry[] {
  return orThrow("/proc/net/ip6_mr_cache", parseIp6MrCache(text));
}

/** Parses `/proc/net/igmp6`; throws when it does not parse. */
export function parseIgmp6(text: string): Igmp6Membership[] {
  return orThrow("/proc/net/igmp6", parseIgmp6Result(text));
}

/** Parses `/proc/net/mcfilter`; throws when it does not parse. */
export function parseMcfilter(text: string): McFilterSource[] {
  return orThrow("/proc/net/mcfilter", parseMcfilterResult(text, "ipv4"));
}

/**
 * The groups each interface is a member of, from `/proc/net/igmp`, in the file's order
 * (224.0.0.1 included, as the kernel lists it); throws when it does not parse.
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
  for (const m of orThrow("/proc/net/igmp", parseIgmp(text, { littleEndian }))) {
    groups.set(m.name, [...groups.get(m.name) ?? [], m.group]);
  }
  return groups;
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
