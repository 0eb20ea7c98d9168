/**
 * Parsers of the groups the kernel has joined on each interface, `/proc/net/igmp` (Linux
 * `net/ipv4/igmp.c`, `igmp_mc_seq_show`) and `/proc/net/igmp6` (`net/ipv6/mcast.c`,
 * `igmp6_mc_seq_show`), and of their source filters, `/proc/net/mcfilter` and
 * `/proc/net/mcfilter6`. Pure: each takes a file's text and returns its rows, or the reason it
 * could not (`proc_net_fields.ts`).
 *
 * Observed on Linux 6.18 x86_64, interface va (index 3): a socket joined 239.1.1.1 (any
 * source), 239.2.2.2 excluding 10.0.0.9, ff05::1 and ff05::2 excluding 2001:db8::9:
 *
 * ```text
 * Idx	Device    : Count Querier	Group    Users Timer	Reporter
 * 3	va        :     3      V3
 * 				020202EF     1 0:00000000		0
 * 				010101EF     1 0:00000000		0
 * 				010000E0     1 0:00000000		0
 * 3    va              ff050000000000000000000000000001     1 00000004 0
 * Idx Device        MCA        SRC    INC    EXC
 *   3     va 0xef020202 0x0a000009      0      1
 * Idx Device                Multicast Address                   Source Address    INC    EXC
 *   3     va ff050000000000000000000000000002 20010db8000000000000000000000009      0      1
 * ```
 *
 * `igmp` opens each interface with a device line (`%d\t%-10s: %5d %7s`: index, name, count of
 * groups, querier version), then one indented line per group (`%08X %5d %d:%08lX\t\t%d`: the
 * group in host byte order, users, timer, reporter). `igmp6` (`%-4d %-15s %pi6 %5d %08X %ld`:
 * index, name, group, users, `MAF_*` flags, timer) has no header. `mcfilter` prints its
 * addresses after `ntohl`, so in network order on any machine, and cuts an interface's name to
 * 6 characters: the interface index is what names it.
 *
 * @module
 */

import type { FamilyName } from "../core/status_view.ts";
import {
  hostIsLittleEndian,
  parseHostOrderIPv4,
  parseLines,
  parseNtohlIPv4,
  parsePackedIPv6,
  type ProcNetResult,
  type ProcParseOptions,
} from "./proc_net_fields.ts";

/** One group line of `/proc/net/igmp`: an IPv4 group joined on an interface. */
export interface IgmpMembership {
  /** Interface index. */
  ifindex: number;
  /** Interface name. */
  name: string;
  /** Group, a dotted quad. */
  group: string;
  /** How many sockets (or kernel users) hold the membership. */
  users: number;
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

/** One line of `/proc/net/mcfilter` or `/proc/net/mcfilter6`: a source of a group's filter. */
export interface McFilterSource {
  /** Interface index. */
  ifindex: number;
  /** Interface name, cut to 6 characters. */
  name: string;
  /** Group: a dotted quad, or IPv6 in RFC 5952 form. */
  group: string;
  /** Source, in the same form. */
  source: string;
  /** How many sockets include it. */
  include: number;
  /** How many sockets exclude it. */
  exclude: number;
}

/** A device line of `/proc/net/igmp`: index, name (a colon is never part of one), count. */
const IGMP_DEVICE = /^(\d+)\s+([^\s:]+)\s*:\s*\d+\s+\S+\s*$/;

/**
 * `/proc/net/igmp`: every group of every interface, in the file's order (224.0.0.1 included,
 * as the kernel lists it); the header line is optional.
 *
 * @example
 * ```ts
 * parseIgmp("12\tdn1       :     1      V2\n\t\t\t\t020000E0     1 0:00000000\t\t0\n");
 * // { ok: true, value: [{ ifindex: 12, name: "dn1", group: "224.0.0.2", users: 1 }] }
 * // on a little-endian machine
 * ```
 */
export function parseIgmp(
  text: string,
  opts: ProcParseOptions = {},
): ProcNetResult<IgmpMembership> {
  const le = opts.littleEndian ?? hostIsLittleEndian();
  let device: { ifindex: number; name: string } | undefined;
  return parseLines(text, { header: "Idx" }, (f) => {
    const opened = IGMP_DEVICE.exec(f.line);
    if (opened !== null) {
      device = { ifindex: Number(opened[1]), name: opened[2] };
      return null;
    }
    if (!/^\s/.test(f.line)) f.fail("neither an interface nor a group");
    if (device === undefined) f.fail("a group before any interface");
    if (!f.count(4)) return null;
    const row = {
      ...device ?? { ifindex: 0, name: "" },
      group: f.address(0, "group", (a) => parseHostOrderIPv4(a, le)),
      users: f.decimal(1, "users"),
    };
    if (!/^\d+:[0-9A-Fa-f]+$/.test(f.text(2))) f.fail(`bad timer ${JSON.stringify(f.text(2))}`);
    f.decimal(3, "reporter");
    return row;
  });
}

/**
 * `/proc/net/igmp6`: every group of every interface, the kernel's own (`ff02::1`, the
 * solicited-node groups) included.
 *
 * @example
 * ```ts
 * parseIgmp6("2    eth0   ff050000000000000000000000000001     1 00000004 0\n");
 * // { ok: true, value: [{ ifindex: 2, name: "eth0", group: "ff05::1", users: 1, ... }] }
 * ```
 */
export function parseIgmp6(text: string): ProcNetResult<Igmp6Membership> {
  return parseLines(text, {}, (f) => {
    if (!f.count(6)) return null;
    return {
      ifindex: f.decimal(0, "interface index"),
      name: f.text(1),
      group: f.address(2, "group", parsePackedIPv6),
      users: f.decimal(3, "users"),
      flags: f.hex(4, "flags"),
      timer: f.integer(5, "timer"),
    };
  });
}

/**
 * `/proc/net/mcfilter` (`ipv4`) or `/proc/net/mcfilter6` (`ipv6`): every source of every
 * group's filter on every interface; the header line is optional.
 *
 * @example
 * ```ts
 * parseMcfilter("  3     va 0xef020202 0x0a000009      0      1\n", "ipv4");
 * // { ok: true, value: [{ ifindex: 3, name: "va", group: "239.2.2.2", source: "10.0.0.9",
 * //   include: 0, exclude: 1 }] }
 * ```
 */
export function parseMcfilter(text: string, family: FamilyName): ProcNetResult<McFilterSource> {
  const address = family === "ipv4" ? parseNtohlIPv4 : parsePackedIPv6;
  return parseLines(text, { header: "Idx" }, (f) => {
    if (!f.count(6)) return null;
    return {
      ifindex: f.decimal(0, "interface index"),
      name: f.text(1),
      group: f.address(2, "group", address),
      source: f.address(3, "source", address),
      include: f.decimal(4, "INC"),
      exclude: f.decimal(5, "EXC"),
    };
  });
}
