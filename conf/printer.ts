/**
 * The canonical text form of a configuration, as `mcast-proxy -nv` prints it.
 *
 * Globals come first (`ipv4`, `ipv6`, `user` and `chroot` when set, `igmp-version` and
 * `mld-version` when set, the timers that are set, the `ssm-range`s, then the named scopes),
 * then one block per interface in order, one statement per line, indented with a tab. Inside a
 * block the order is `ipv4`, `ipv6`, `threshold`, `source`s, `igmp-version`, `mld-version`,
 * timers, `boundary`s, role; `ipv4`/`ipv6`, the versions and timers appear only when set on the
 * interface and `threshold` only when it is not the default 1. Several blocks of one interface come out merged. Parsing the output gives back the same
 * configuration (positions aside).
 *
 * @module
 */

import type { Config, InterfaceConfig, QueryVersions, TimerSettings } from "./config.ts";
import { KEYWORDS } from "./lexer.ts";
import { formatTimer, TIMER_KEYWORDS } from "../src/core/timers.ts";

/** Names that can stand bare; anything else (and keywords) is quoted. */
const BARE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-]*$/;

/**
 * Prints a configuration in canonical form, ending with a newline.
 *
 * @example
 * ```ts
 * printConfig({ ipv4: true, ipv6: false, timers: {}, scopes: [], ssmRanges: [], interfaces: [] });
 * // "ipv4 yes\nipv6 no\n"
 * ```
 */
export function printConfig(config: Config): string {
  const lines = [`ipv4 ${yesNo(config.ipv4)}`, `ipv6 ${yesNo(config.ipv6)}`];
  if (config.user !== undefined) lines.push(`user ${quoteWord(config.user)}`);
  if (config.chroot !== undefined) lines.push(`chroot ${quoteWord(config.chroot)}`);
  lines.push(...printVersions(config, ""));
  lines.push(...printTimers(config.timers, ""));
  for (const r of config.ssmRanges) lines.push(`ssm-range ${r.address}/${r.length}`);
  for (const s of config.scopes) {
    lines.push(`name ${quoteWord(s.name)} ${s.prefix.address}/${s.prefix.length}`);
  }
  for (const iface of config.interfaces) lines.push("", ...printInterface(iface));
  return lines.join("\n") + "\n";
}

function printInterface(iface: InterfaceConfig): string[] {
  const lines = [`interface ${quoteWord(iface.name)} {`];
  if (iface.ipv4 !== undefined) lines.push(`\tipv4 ${yesNo(iface.ipv4)}`);
  if (iface.ipv6 !== undefined) lines.push(`\tipv6 ${yesNo(iface.ipv6)}`);
  if (iface.threshold !== 1) lines.push(`\tthreshold ${iface.threshold}`);
  for (const s of iface.sources) lines.push(`\tsource ${s.address}/${s.length}`);
  lines.push(...printVersions(iface, "\t"));
  lines.push(...printTimers(iface.timers, "\t"));
  for (const b of iface.boundaries) {
    const what = b.name === undefined
      ? `${b.prefix.address}/${b.prefix.length}`
      : quoteWord(b.name);
    lines.push(`\tboundary ${what}`);
  }
  lines.push(`\t${iface.role}`, "}");
  return lines;
}

function printVersions(versions: QueryVersions, indent: string): string[] {
  const lines: string[] = [];
  if (versions.igmpVersion !== undefined) {
    lines.push(`${indent}igmp-version ${versions.igmpVersion}`);
  }
  if (versions.mldVersion !== undefined) lines.push(`${indent}mld-version ${versions.mldVersion}`);
  return lines;
}

function printTimers(timers: TimerSettings, indent: string): string[] {
  const lines: string[] = [];
  for (const k of TIMER_KEYWORDS) {
    const v = timers[k.field];
    if (v === undefined) continue;
    lines.push(`${indent}${k.keyword} ${formatTimer(k.field, v)}`);
  }
  return lines;
}

function yesNo(on: boolean): string {
  return on ? "yes" : "no";
}

/**
 * Quotes a word when the lexer would not read it back as one bare word (or when it is a
 * keyword).
 *
 * @example
 * ```ts
 * quoteWord("em0"); // "em0"
 * quoteWord("my if"); // "\"my if\""
 * ```
 */
export function quoteWord(s: string): string {
  if (BARE_NAME.test(s) && !KEYWORDS.includes(s)) return s;
  return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}
