/**
 * What `mcast-proxyctl doctor GROUP [SOURCE]` asks about ({@link DoctorQuery}), and the address
 * arithmetic its rules need on the views' strings: the same address however it was typed, an
 * address inside a prefix.
 *
 * Pure.
 *
 * @example
 * ```ts
 * parseDoctorQuery(["FF05::1:3", "2001:DB8::2"]);
 * // { ok: true, value: { family: "ipv6", group: "ff05::1:3", source: "2001:db8::2" } }
 * parseDoctorQuery(["10.0.0.1"]); // { ok: false, reason: '"10.0.0.1" is not a multicast ...' }
 * ```
 *
 * @module
 */

import {
  formatIPv4,
  formatIPv6,
  ipv6ToBigInt,
  parseIPv4,
  parseIPv6,
  prefixContainsIPv4,
  prefixContainsIPv6,
} from "../proto/addr.ts";
import type { FamilyName } from "../core/status_view.ts";

/**
 * The group, and the source, a doctor run is about; both as the daemon prints them. Empty:
 * every group.
 */
export interface DoctorQuery {
  /** The group's family; set with `group`. */
  family?: FamilyName;
  /** A multicast group address. */
  group?: string;
  /** A unicast address of the group's family; only with `group`. */
  source?: string;
}

/** A query, or what is wrong with the words it was made of. */
export type ParsedQuery = { ok: true; value: DoctorQuery } | { ok: false; reason: string };

/**
 * Reads `[GROUP [SOURCE]]`: GROUP a multicast address, SOURCE a unicast address of the same
 * family; both put in the form the daemon prints them in.
 */
export function parseDoctorQuery(words: readonly string[]): ParsedQuery {
  const [group, source, extra] = words;
  if (group === undefined) return { ok: true, value: {} };
  if (extra !== undefined) {
    return fail(`doctor takes a group and a source at most, got ${JSON.stringify(extra)}`);
  }
  const g = parseAddress(group);
  if (g === undefined || !g.multicast) {
    return fail(`${JSON.stringify(group)} is not a multicast group address`);
  }
  if (source === undefined) return { ok: true, value: { family: g.family, group: g.text } };
  const s = parseAddress(source);
  if (s === undefined || s.multicast || s.unspecified || s.broadcast) {
    return fail(`${JSON.stringify(source)} is not a unicast source address`);
  }
  if (s.family !== g.family) {
    return fail(
      `source ${JSON.stringify(source)} is not of the family of ${JSON.stringify(group)} ` +
        `(${familyWord(g.family)})`,
    );
  }
  return { ok: true, value: { family: g.family, group: g.text, source: s.text } };
}

/** An address read from text. */
interface ParsedAddress {
  family: FamilyName;
  /** As the daemon prints it. */
  text: string;
  multicast: boolean;
  /** `0.0.0.0`, `::`. */
  unspecified: boolean;
  /** `255.255.255.255`. */
  broadcast: boolean;
}

function parseAddress(text: string): ParsedAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) {
    return {
      family: "ipv4",
      text: formatIPv4(v4),
      multicast: v4 >>> 28 === 0xe,
      unspecified: v4 === 0,
      broadcast: v4 === 0xffffffff,
    };
  }
  const v6 = parseIPv6(text);
  if (v6 === undefined) return undefined;
  return {
    family: "ipv6",
    text: formatIPv6(v6),
    multicast: v6[0] === 0xff,
    unspecified: ipv6ToBigInt(v6) === 0n,
    broadcast: false,
  };
}

/**
 * Whether `address` lies in `prefix` (`239.255.0.0/16`, `ff0e::/16`), both of one family; false
 * for text that is not an address or a prefix.
 */
export function prefixContains(prefix: string, address: string): boolean {
  const slash = prefix.indexOf("/");
  const length = Number(prefix.slice(slash + 1));
  if (slash < 0 || !/^\d+$/.test(prefix.slice(slash + 1))) return false;
  const net = prefix.slice(0, slash);
  const n4 = parseIPv4(net);
  const a4 = parseIPv4(address);
  if (n4 !== undefined && a4 !== undefined) return prefixContainsIPv4(n4, length, a4);
  const n6 = parseIPv6(net);
  const a6 = parseIPv6(address);
  return n6 !== undefined && a6 !== undefined && prefixContainsIPv6(n6, length, a6);
}

/** `IPv4`, `IPv6`. */
export function familyWord(family: FamilyName): string {
  return family === "ipv4" ? "IPv4" : "IPv6";
}

function fail(reason: string): ParsedQuery {
  return { ok: false, reason };
}
