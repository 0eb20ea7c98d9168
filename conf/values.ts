/**
 * The values of mcast-proxy.conf statements, read from one word each: whole numbers, seconds,
 * `ADDRESS/PREFIX`, interface, user and scope names. Pure functions of the word's text; the
 * messages they return are placed at the word by the parser.
 *
 * @module
 */

import type { Prefix } from "./config.ts";
import {
  formatIPv4,
  formatIPv6,
  isIPv4Multicast,
  isIPv6Multicast,
  maskIPv4,
  maskIPv6,
  parseIPv4,
  parseIPv6,
} from "../src/proto/addr.ts";
import { formatTimer, type TimerKeyword } from "../src/core/timers.ts";

/** Lowest `threshold` (a TTL); also its default. */
export const THRESHOLD_MIN = 1;
/** Highest `threshold` (a TTL). */
export const THRESHOLD_MAX = 255;
/** Interface names are shorter than IFNAMSIZ (16) on Linux and OpenBSD. */
export const IFNAMSIZ = 16;

/**
 * What a value parser gives: the value (with a warning about it, if any), or the errors that
 * make the word unusable (at most two: a bad address and a bad length are both reported).
 */
export type ValueResult<T> =
  | { ok: true; value: T; warning?: string }
  | { ok: false; errors: string[] };

/** A range a whole number must be in, and the keyword it follows, for messages. */
export interface IntegerRange {
  /** The statement's keyword, e.g. `threshold`. */
  keyword: string;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
}

function fail<T>(error: string): ValueResult<T> {
  return { ok: false, errors: [error] };
}

/**
 * Reads a whole number in `range.min`-`range.max`.
 *
 * @example
 * ```ts
 * parseInteger("32", { keyword: "threshold", min: 1, max: 255 }); // { ok: true, value: 32 }
 * ```
 */
export function parseInteger(text: string, range: IntegerRange): ValueResult<number> {
  // A sign is read so that "-1" is out of range rather than not a number.
  if (!/^-?[0-9]+$/.test(text)) return fail(`${range.keyword} "${text}" is not a number`);
  const n = Number(text);
  if (n < range.min || n > range.max) {
    return fail(`${range.keyword} "${text}" is out of range (${range.min}-${range.max})`);
  }
  return { ok: true, value: n };
}

/**
 * Reads the version after `igmp-version` or `mld-version`: one of `versions`.
 *
 * @example
 * ```ts
 * parseVersion("2", { keyword: "igmp-version", versions: [1, 2, 3] }); // { ok: true, value: 2 }
 * parseVersion("4", { keyword: "igmp-version", versions: [1, 2, 3] }).ok; // false: "is not 1, 2 or 3"
 * ```
 */
export function parseVersion(
  text: string,
  of: { keyword: string; versions: readonly number[] },
): ValueResult<number> {
  if (!/^[0-9]+$/.test(text)) return fail(`${of.keyword} "${text}" is not a number`);
  const n = Number(text);
  if (of.versions.includes(n)) return { ok: true, value: n };
  const list = of.versions.slice(0, -1).join(", ") + ` or ${of.versions.at(-1)}`;
  return fail(`${of.keyword} "${text}" is not ${list}`);
}

/**
 * Reads seconds with at most one decimal (`0.5`, `125`, `2.50`) into milliseconds, in the
 * timer's range.
 */
export function parseSeconds(text: string, timer: TimerKeyword): ValueResult<number> {
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (m === null) return fail(`${timer.keyword} "${text}" is not a number of seconds`);
  // Trailing zeros add no precision: "2.50" is 2.5 s, "2.55" would need hundredths.
  const decimals = (m[2] ?? "").replace(/0+$/, "");
  if (decimals.length > 1) {
    return fail(`${timer.keyword} "${text}" has more than one decimal (the unit is 0.1 s)`);
  }
  const ms = Number(m[1]) * 1000 + Number(decimals || "0") * 100;
  if (ms < timer.min || ms > timer.max) {
    const range = `${formatTimer(timer.field, timer.min)}-${formatTimer(timer.field, timer.max)}`;
    return fail(`${timer.keyword} "${text}" is out of range (${range} seconds)`);
  }
  return { ok: true, value: ms };
}

/** Reads a timer's value: a count, or seconds (returned in milliseconds). */
export function parseTimerValue(text: string, timer: TimerKeyword): ValueResult<number> {
  return timer.unit === "count" ? parseInteger(text, timer) : parseSeconds(text, timer);
}

/**
 * Reads `ADDRESS/PREFIX` for `what` (e.g. `source`, named in messages). The value holds the
 * network address (host bits cleared); host bits set give a warning.
 *
 * @example
 * ```ts
 * parsePrefix("10.0.0.1/8", "source");
 * // { ok: true, value: { family: 4, address: "10.0.0.0", length: 8 },
 * //   warning: "source 10.0.0.1/8 is not a network address: did you mean 10.0.0.0/8?" }
 * ```
 */
export function parsePrefix(raw: string, what: string): ValueResult<Prefix> {
  const slash = raw.indexOf("/");
  if (slash < 0) return fail(`${what} "${raw}" has no prefix length: expected ADDRESS/PREFIX`);
  const addressText = raw.slice(0, slash);
  const lengthText = raw.slice(slash + 1);
  const v4 = parseIPv4(addressText);
  const v6 = v4 === undefined ? parseIPv6(addressText) : undefined;
  const known = v4 !== undefined || v6 !== undefined;
  const errors: string[] = [];
  // A bad address does not stop the length from being checked: one run reports both.
  if (!known) errors.push(`invalid address "${addressText}" in ${what} "${raw}"`);
  if (!/^[0-9]+$/.test(lengthText)) {
    errors.push(`invalid prefix length "${lengthText}" in ${what} "${raw}"`);
    return { ok: false, errors };
  }
  const length = Number(lengthText);
  const family = v4 !== undefined ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  // Without a family to go by, only a length no address could have is reported.
  if (length > (known ? max : 128)) {
    const range = known ? ` for IPv${family} (0-${max})` : "";
    errors.push(`prefix length "${lengthText}" in ${what} "${raw}" is out of range${range}`);
  }
  if (errors.length > 0) return { ok: false, errors };
  if (v6 !== undefined && isIPv4Mapped(v6)) return fail(mappedMessage({ raw, what, v6, length }));
  const { address, exact } = v4 !== undefined
    ? networkOfIPv4(v4, length)
    : networkOfIPv6(v6 as Uint8Array, length);
  const prefix: Prefix = { family, address, length };
  if (exact) return { ok: true, value: prefix };
  const warning = `${what} ${raw} is not a network address: did you mean ${address}/${length}?`;
  return { ok: true, value: prefix, warning };
}

/** The network address of an IPv4 prefix, and whether the address was it already. */
function networkOfIPv4(a: number, length: number): { address: string; exact: boolean } {
  const masked = maskIPv4(a, length);
  return { address: formatIPv4(masked), exact: masked === a };
}

/** The network address of an IPv6 prefix, and whether the address was it already. */
function networkOfIPv6(a: Uint8Array, length: number): { address: string; exact: boolean } {
  const masked = maskIPv6(a, length);
  return { address: formatIPv6(masked), exact: masked.every((b, i) => b === a[i]) };
}

/** Whether an IPv6 address is in ::ffff:0:0/96, the IPv4-mapped addresses (RFC 4291 2.5.5.2). */
function isIPv4Mapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** The IPv4 address in bytes `at`..`at`+3 of an array. */
function readIPv4(a: Uint8Array, at: number): number {
  return ((a[at] << 24) | (a[at + 1] << 16) | (a[at + 2] << 8) | a[at + 3]) >>> 0;
}

/**
 * Why an IPv4-mapped prefix is refused: `::ffff:a.b.c.d` never appears on the wire, IPv4
 * traffic is matched as IPv4. When the prefix covers the whole 96-bit mapping, the message
 * gives the IPv4 prefix to write instead.
 */
function mappedMessage(
  p: { raw: string; what: string; v6: Uint8Array; length: number },
): string {
  const v4Length = p.length - 96;
  const hint = v4Length >= 0
    ? `: write it as ${formatIPv4(maskIPv4(readIPv4(p.v6, 12), v4Length))}/${v4Length}`
    : "";
  return `${p.what} "${p.raw}" is an IPv4-mapped IPv6 prefix${hint}`;
}

/**
 * Why a prefix is not a multicast range (written `raw` in the file), or `undefined` when it
 * is one.
 *
 * @example
 * ```ts
 * checkMulticastRange({ family: 4, address: "239.0.0.0", length: 8 }, "239/8"); // undefined
 * ```
 */
export function checkMulticastRange(p: Prefix, raw: string): string | undefined {
  if (p.family === 4) {
    if (p.length >= 4 && isIPv4Multicast(parseIPv4(p.address) ?? 0)) return undefined;
    return `${raw} is not a multicast range (IPv4 groups are in 224.0.0.0/4)`;
  }
  const v6 = parseIPv6(p.address);
  if (p.length >= 8 && v6 !== undefined && isIPv6Multicast(v6)) return undefined;
  return `${raw} is not a multicast range (IPv6 groups are in ff00::/8)`;
}

/** Whether two prefixes are the same network. */
export function samePrefix(a: Prefix, b: Prefix): boolean {
  return a.family === b.family && a.address === b.address && a.length === b.length;
}

const UTF8 = new TextEncoder();

/** Checks an interface name; returns an error message or `undefined`. */
export function checkInterfaceName(name: string): string | undefined {
  if (name === "") return "interface name is empty";
  // The kernel counts bytes, not characters.
  if (UTF8.encode(name).length >= IFNAMSIZ) {
    const shown = name.length > 40 ? `${name.slice(0, 40)}...` : name;
    return `interface name "${shown}" is too long (at most ${IFNAMSIZ - 1} bytes)`;
  }
  if (/\s/.test(name)) return `interface name "${name}" contains white space`;
  if (name.includes("/") || name === "." || name === "..") {
    return `"${name}" cannot be an interface name (no "/", ".", or "..")`;
  }
  return undefined;
}

/** A user name as useradd(8) and OpenBSD's adduser(8) accept it, at most 32 bytes. */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/** Checks the name after `user`; returns an error message or `undefined`. */
export function checkUserName(name: string): string | undefined {
  if (USER_NAME.test(name)) return undefined;
  return `invalid user name "${name}": use letters, digits, "_", "-" and ".", starting with a ` +
    'letter or "_", at most 32';
}

/** Checks the directory after `chroot`; returns an error message or `undefined`. */
export function checkChrootDirectory(dir: string): string | undefined {
  if (dir.startsWith("/")) return undefined;
  return `chroot directory "${dir}" is not an absolute path`;
}

/** A scope name: a word that cannot be mistaken for an address. */
const SCOPE_NAME = /^[A-Za-z_][A-Za-z0-9_.\-]*$/;

/**
 * Whether a word is a scope name rather than a prefix (it starts with a letter or `_` and
 * holds no `/` or `:`), as `boundary` tells them apart.
 */
export function isScopeName(word: string): boolean {
  return SCOPE_NAME.test(word);
}

/** Checks the name after `name`; returns an error message or `undefined`. */
export function checkScopeName(name: string): string | undefined {
  if (isScopeName(name)) return undefined;
  return `invalid scope name "${name}": use letters, digits, "_", "-" and ".", ` +
    'starting with a letter or "_"';
}
