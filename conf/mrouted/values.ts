/**
 * The values of mrouted.conf statements, each read from one word: numbers in a range, the local
 * side of a vif (address or interface name), the remote end of a tunnel (address or host name),
 * boundary and altnet prefixes, boundary names and `on`/`off`. Pure functions of the word's
 * text; the messages they return are placed at the word by the parser.
 *
 * @module
 */

import type { IfaceRef, Ipv4Prefix, TunnelRemote } from "./config.ts";
import { checkInterfaceName, isScopeName, type ValueResult } from "../values.ts";
import { isReserved } from "./keywords.ts";
import { shown } from "./words.ts";
import { formatIPv4, isIPv4Multicast, maskIPv4, parseIPv4 } from "../../src/proto/addr.ts";

export type { ValueResult };

function fail<T>(error: string): ValueResult<T> {
  return { ok: false, errors: [error] };
}

/**
 * Formats a prefix as `ADDRESS/LENGTH`.
 *
 * @example
 * ```ts
 * formatPrefix({ address: 0xefff0000, length: 16 }); // "239.255.0.0/16"
 * ```
 */
export function formatPrefix(p: Ipv4Prefix): string {
  return `${formatIPv4(p.address)}/${p.length}`;
}

/** Whether two prefixes are the same network. */
export function samePrefix(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  return a.address === b.address && a.length === b.length;
}

/**
 * Whether an address can be a host's: in 1.0.0.0 to 223.255.255.255, outside 127.0.0.0/8 (not
 * "this network", loopback, multicast, reserved or broadcast).
 */
export function isUnicastHost(address: number): boolean {
  const first = address >>> 24;
  return first !== 0 && first !== 127 && first < 224;
}

/** A range a whole number must be in, and the keyword it follows, for messages. */
export interface NumberRange {
  /** The statement's keyword, e.g. `metric`. */
  keyword: string;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
}

/**
 * Reads a whole number in `range`.
 *
 * @example
 * ```ts
 * parseNumber("32", { keyword: "threshold", min: 1, max: 255 }); // { ok: true, value: 32 }
 * parseNumber("0", { keyword: "metric", min: 1, max: 31 }).ok; // false: out of range (1-31)
 * ```
 */
export function parseNumber(text: string, range: NumberRange): ValueResult<number> {
  // A sign is read so that "-1" is out of range rather than not a number.
  if (!/^-?[0-9]+$/.test(text)) return fail(`${range.keyword} "${shown(text)}" is not a number`);
  const n = Number(text);
  if (n < range.min || n > range.max) {
    return fail(`${range.keyword} "${shown(text)}" is out of range (${range.min}-${range.max})`);
  }
  return { ok: true, value: n };
}

/**
 * Reads `on` or `off` (mrouted also takes `yes` and `no`) after `keyword`.
 *
 * @example
 * ```ts
 * parseOnOff("off", "pruning"); // { ok: true, value: false }
 * ```
 */
export function parseOnOff(text: string, keyword: string): ValueResult<boolean> {
  if (text === "on" || text === "yes") return { ok: true, value: true };
  if (text === "off" || text === "no") return { ok: true, value: false };
  return fail(`expected "on" or "off" after "${keyword}", found "${shown(text)}"`);
}

/** A word that can only be meant as an address: digits and dots. */
const ADDRESS_LIKE = /^[0-9.]+$/;

/** Reads a word made of digits and dots as a host address; `what` names it in messages. */
function parseHostAddress(text: string, what: string): ValueResult<number> {
  const address = parseIPv4(text);
  if (address === undefined) return fail(`invalid address "${shown(text)}" in ${what}`);
  if (!isUnicastHost(address)) {
    return fail(`${what} address ${text} is not a unicast host address`);
  }
  return { ok: true, value: address };
}

/**
 * Reads the local side of a `phyint` or `tunnel` (named by `what`): an address of one of the
 * router's interfaces, or an interface name.
 *
 * @example
 * ```ts
 * parseIfaceRef("10.0.0.1", "phyint"); // { ok: true, value: { kind: "address", address: 0x0a000001 } }
 * parseIfaceRef("le0", "phyint"); // { ok: true, value: { kind: "name", name: "le0" } }
 * ```
 */
export function parseIfaceRef(text: string, what: string): ValueResult<IfaceRef> {
  if (ADDRESS_LIKE.test(text)) {
    const r = parseHostAddress(text, what);
    return r.ok ? { ok: true, value: { kind: "address", address: r.value } } : r;
  }
  const bad = checkInterfaceName(text);
  if (bad !== undefined) return fail(`${bad} in ${what}`);
  return { ok: true, value: { kind: "name", name: text } };
}

/** One label of a host name (RFC 1123): letters, digits and inner hyphens, 63 at most. */
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Reads the remote end of a tunnel: an address, or a host name the daemon resolves (it must
 * have exactly one address then, as in mrouted).
 *
 * @example
 * ```ts
 * parseTunnelRemote("mbone.example.net"); // { ok: true, value: { kind: "hostname", name: "mbone.example.net" } }
 * ```
 */
export function parseTunnelRemote(text: string): ValueResult<TunnelRemote> {
  if (ADDRESS_LIKE.test(text)) {
    const r = parseHostAddress(text, "tunnel remote");
    return r.ok ? { ok: true, value: { kind: "address", address: r.value } } : r;
  }
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  if (name.length > 253 || !name.split(".").every((l) => HOST_LABEL.test(l))) {
    return fail(
      `invalid host name "${shown(text)}" for the remote end of the tunnel: use letters, ` +
        'digits and "-" in labels separated by "."',
    );
  }
  return { ok: true, value: { kind: "hostname", name: text } };
}

/** A prefix as written, with whether its host bits were clear. */
interface ReadPrefix {
  prefix: Ipv4Prefix;
  exact: boolean;
}

/** Reads `ADDRESS/LENGTH` for `what` (e.g. `boundary`), host bits cleared. */
function readPrefix(raw: string, what: string): ValueResult<ReadPrefix> {
  const slash = raw.indexOf("/");
  if (slash < 0) {
    return fail(`${what} "${shown(raw)}" has no prefix length: expected ADDRESS/LENGTH`);
  }
  const addressText = raw.slice(0, slash);
  const lengthText = raw.slice(slash + 1);
  const address = parseIPv4(addressText);
  const errors: string[] = [];
  // A bad address does not stop the length from being checked: one run reports both.
  if (address === undefined) {
    errors.push(`invalid address "${shown(addressText)}" in ${what} "${shown(raw)}"`);
  }
  if (!/^[0-9]{1,2}$/.test(lengthText) || Number(lengthText) > 32) {
    errors.push(`invalid prefix length "${shown(lengthText)}" in ${what} "${shown(raw)}" (0-32)`);
  }
  if (address === undefined || errors.length > 0) return { ok: false, errors };
  const length = Number(lengthText);
  const network = maskIPv4(address, length);
  return { ok: true, value: { prefix: { address: network, length }, exact: network === address } };
}

/**
 * Reads the prefix of a `boundary` or of a `name` (`what`): a multicast range (224.0.0.0/4)
 * with its host bits clear.
 *
 * @example
 * ```ts
 * parseBoundaryPrefix("239.255.0.0/16", "boundary"); // { ok: true, value: { address: 0xefff0000, length: 16 } }
 * ```
 */
export function parseBoundaryPrefix(raw: string, what: string): ValueResult<Ipv4Prefix> {
  const r = readPrefix(raw, what);
  if (!r.ok) return r;
  const { prefix, exact } = r.value;
  if (prefix.length < 4 || !isIPv4Multicast(prefix.address)) {
    return fail(`${what} ${raw} is not a multicast range (IPv4 groups are in 224.0.0.0/4)`);
  }
  if (!exact) {
    return fail(`${what} ${raw} has host bits set: did you mean ${formatPrefix(prefix)}?`);
  }
  return { ok: true, value: prefix };
}

/**
 * Reads the prefix of an `altnet`: a unicast subnet. Host bits set give a warning (as in
 * mrouted) and are cleared.
 *
 * @example
 * ```ts
 * parseAltnet("172.16.15.0/26"); // { ok: true, value: { address: 0xac100f00, length: 26 } }
 * ```
 */
export function parseAltnet(raw: string): ValueResult<Ipv4Prefix> {
  const r = readPrefix(raw, "altnet");
  if (!r.ok) return r;
  const { prefix, exact } = r.value;
  // The whole subnet must be unicast: its first and last addresses both.
  const last = prefix.address + 2 ** (32 - prefix.length) - 1;
  if (!isUnicastHost(prefix.address) || !isUnicastHost(last)) {
    return fail(`altnet ${raw} is not a unicast subnet`);
  }
  if (exact) return { ok: true, value: prefix };
  const warning = `altnet ${raw} is not a network address: did you mean ${formatPrefix(prefix)}?`;
  return { ok: true, value: prefix, warning };
}

/**
 * Checks a boundary name (`name NAME PREFIX`): letters, digits, `_`, `-` and `.`, starting
 * with a letter or `_`, and no keyword.
 *
 * @returns an error message, or `undefined` when the name is fine.
 */
export function checkBoundaryName(name: string): string | undefined {
  if (isReserved(name)) return `"${name}" is a keyword and cannot be a boundary name`;
  if (isBoundaryName(name)) return undefined;
  return `invalid boundary name "${shown(name)}": use letters, digits, "_", "-" and ".", ` +
    'starting with a letter or "_"';
}

/**
 * Whether the word after `boundary` is a name rather than a prefix (it starts with a letter or
 * `_` and holds no `/`).
 */
export function isBoundaryName(word: string): boolean {
  return isScopeName(word);
}
