/**
 * What the end-to-end tests read of the proxy namespace's kernel: its VIFs and forwarding cache
 * (`/proc/net/ip_mr_vif`, `/proc/net/ip_mr_cache`), its IGMP memberships (`/proc/net/igmp`)
 * and their source filters (`/proc/net/mcfilter`), the IPv6 counterparts
 * (`/proc/net/ip6_mr_vif`, `/proc/net/ip6_mr_cache`, `/proc/net/igmp6`), and the checks every
 * test ends with.
 *
 * @module
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { DaemonProcess } from "./daemon.ts";
import { type Lab, type MrCacheEntry, type MrVif, parseMrCache, parseMrVif } from "./lab.ts";
import {
  type Mr6Vif,
  parseIgmp6,
  parseIgmpMemberships,
  parseMcfilter,
  parseMr6Cache,
  parseMr6Vif,
} from "./proc.ts";
import { wallNow } from "./json_lines.ts";
import { scaledWait } from "./wait_scale.ts";

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The proxy's VIFs. */
export async function vifs(lab: Lab): Promise<MrVif[]> {
  return parseMrVif(await lab.readProc(lab.ns.proxy, "/proc/net/ip_mr_vif"));
}

/** The proxy's forwarding cache, unresolved entries included (`iif` -1). */
export async function cache(lab: Lab): Promise<MrCacheEntry[]> {
  return parseMrCache(await lab.readProc(lab.ns.proxy, "/proc/net/ip_mr_cache"));
}

/** The names of the proxy's VIFs, in VIF order. */
export async function vifNames(lab: Lab): Promise<string[]> {
  return (await vifs(lab)).map((v) => v.name);
}

/** The packets a VIF sent out so far. Throws when there is no VIF for the interface. */
export async function pktsOut(lab: Lab, name: string): Promise<number> {
  const v = (await vifs(lab)).find((x) => x.name === name);
  if (v === undefined) throw new Error(`No VIF for ${name}`);
  return v.pktsOut;
}

/**
 * The resolved (source, group) entry: its incoming interface and its oifs as `name:ttl`, or
 * `undefined` when there is none.
 */
export async function entryOf(
  lab: Lab,
  source: string,
  group: string,
): Promise<{ iif: string; oifs: string[] } | undefined> {
  const byVif = new Map((await vifs(lab)).map((v) => [v.vif, v.name]));
  const e = (await cache(lab)).find((x) => x.origin === source && x.group === group && x.iif >= 0);
  if (e === undefined) return undefined;
  const name = (vif: number) => byVif.get(vif) ?? `VIF ${vif}`;
  return { iif: name(e.iif), oifs: e.oifs.map((o) => `${name(o.vif)}:${o.ttl}`) };
}

/**
 * The groups the proxy namespace is a member of on one interface, from `/proc/net/igmp`
 * (dotted quads; 224.0.0.1 included, as the kernel lists it).
 */
export async function memberships(lab: Lab, ifname: string): Promise<string[]> {
  return parseIgmpMemberships(await lab.readProc(lab.ns.proxy, "/proc/net/igmp")).get(ifname) ??
    [];
}

/**
 * The source filter of a group on one interface as `/proc/net/mcfilter` text holds it: one
 * `source inc exc` line per source (dotted quads; the counts are the sockets including and
 * excluding it), sorted. The file cuts names to 6 characters, and so does the match.
 */
export function mcfilterLines(text: string, ifname: string, group: string): string[] {
  return parseMcfilter(text).filter((f) => f.name === ifname.slice(0, 6) && f.group === group)
    .map((f) => `${f.source} ${f.include} ${f.exclude}`).sort();
}

/** The proxy's source filter of a group on the upstream interface (see {@link mcfilterLines}). */
export async function upstreamFilter(lab: Lab, group: string): Promise<string[]> {
  return mcfilterLines(
    await lab.readProc(lab.ns.proxy, "/proc/net/mcfilter"),
    lab.ifaces.upstream,
    group,
  );
}

/** The proxy's MIFs (IPv6 multicast routing interfaces). */
export async function mifs6(lab: Lab): Promise<Mr6Vif[]> {
  return parseMr6Vif(await lab.readProc(lab.ns.proxy, "/proc/net/ip6_mr_vif"));
}

/** The proxy's IPv6 forwarding cache, unresolved entries included (`iif` -1). */
export async function cache6(lab: Lab): Promise<MrCacheEntry[]> {
  return parseMr6Cache(await lab.readProc(lab.ns.proxy, "/proc/net/ip6_mr_cache"));
}

/** The packets a MIF sent out so far. Throws when there is no MIF for the interface. */
export async function pktsOut6(lab: Lab, name: string): Promise<number> {
  const m = (await mifs6(lab)).find((x) => x.name === name);
  if (m === undefined) throw new Error(`No MIF for ${name}`);
  return m.pktsOut;
}

/**
 * The resolved IPv6 (source, group) entry: its incoming interface and its oifs as `name:ttl`,
 * or `undefined` when there is none (the IPv6 {@link entryOf}).
 */
export async function entryOf6(
  lab: Lab,
  source: string,
  group: string,
): Promise<{ iif: string; oifs: string[] } | undefined> {
  const byMif = new Map((await mifs6(lab)).map((m) => [m.mif, m.name]));
  const e = (await cache6(lab)).find((x) => x.origin === source && x.group === group && x.iif >= 0);
  if (e === undefined) return undefined;
  const name = (mif: number) => byMif.get(mif) ?? `MIF ${mif}`;
  return { iif: name(e.iif), oifs: e.oifs.map((o) => `${name(o.vif)}:${o.ttl}`) };
}

/**
 * The IPv6 groups a namespace (default: the proxy's) is a member of on one interface, from
 * `/proc/net/igmp6`, in RFC 5952 text. The kernel's own groups are included: `ff02::1`,
 * `ff01::1` and the solicited-node groups `ff02::1:ffXX:XXXX` of the interface's addresses.
 */
export async function memberships6(
  lab: Lab,
  ifname: string,
  ns: string = lab.ns.proxy,
): Promise<string[]> {
  return parseIgmp6(await lab.readProc(ns, "/proc/net/igmp6"))
    .filter((m) => m.name === ifname).map((m) => m.group);
}

/** The proxy's IPv6 memberships on the upstream link beyond link scope (ff01::/16, ff02::/16 left out), sorted. */
export async function upstreamGroups6(lab: Lab): Promise<string[]> {
  return (await memberships6(lab, lab.ifaces.upstream)).filter((g) => !/^ff0[12]:/.test(g))
    .sort();
}

/** `text` with the characters a regular expression treats specially escaped. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether the proxy namespace is a member of the group on any interface. */
export async function proxyJoined(lab: Lab, group: string): Promise<boolean> {
  const joined = parseIgmpMemberships(await lab.readProc(lab.ns.proxy, "/proc/net/igmp"));
  return [...joined.values()].some((groups) => groups.includes(group));
}

/**
 * Polls a counter (e.g. a VIF's packets out) every 50 ms for `watchMs`; resolves with the wall
 * time (ms, as {@link wallNow}) it last grew.
 */
export async function lastGrowth(read: () => Promise<number>, watchMs: number): Promise<number> {
  let last = await read();
  let lastT = wallNow();
  const end = performance.now() + watchMs;
  while (performance.now() < end) {
    await sleep(50);
    const n = await read();
    if (n !== last) {
      last = n;
      lastT = wallNow();
    }
  }
  return lastT;
}

/**
 * Polls `check` every 50 ms until it holds; throws, naming `what`, after `timeoutMs` (default
 * 5 s, scaled by {@link scaledWait} under emulation).
 */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const ms = scaledWait(timeoutMs);
  const end = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The sequence numbers missing from an ascending list. */
export function gaps(seqs: number[]): number[] {
  const missing: number[] = [];
  for (let i = 1; i < seqs.length; i++) {
    for (let s = seqs[i - 1] + 1; s < seqs[i]; s++) missing.push(s);
  }
  return missing;
}

/**
 * The sequence numbers missing from an ascending list, when the receiving host's own socket
 * dropped nothing over the window (`dropped`, from `Host.watchDrops`); none when it did: its
 * agent fell behind, and then drops from before the window show as gaps in it too. Whether the
 * proxy forwarded everything, the kernel's own counters say (`watchForwarding`).
 */
export function gapsIfKeptUp(seqs: number[], dropped: number): number[] {
  return dropped > 0 ? [] : gaps(seqs);
}

/** Lines the daemon logged at a level (without the prefix up to the level). */
export function logged(daemon: DaemonProcess, level: "warn" | "info" | "debug"): string[] {
  const tag = ` ${level}: `;
  return daemon.lines.flatMap((l) => {
    const i = l.indexOf(tag);
    return i < 0 ? [] : [l.slice(i + tag.length)];
  });
}

/**
 * SIGTERM; exit 0 within `maxMs` (default 1 s), no fatal line, and the kernel's multicast
 * routing tables are empty afterwards: the VIFs and forwarding cache, and where the lab has
 * IPv6 the MIFs and IPv6 forwarding cache too. Resolves with the time the exit took (ms).
 */
export async function stopClean(lab: Lab, daemon: DaemonProcess, maxMs = 1000): Promise<number> {
  const { code, ms } = await daemon.stop("SIGTERM");
  equal(code, 0, `exit code after SIGTERM:\n${daemon.lines.slice(-20).join("\n")}`);
  ok(ms < maxMs, `SIGTERM to exit took ${ms} ms`);
  deepStrictEqual(await vifs(lab), [], "/proc/net/ip_mr_vif is empty");
  deepStrictEqual(await cache(lab), [], "/proc/net/ip_mr_cache is empty");
  if (lab.ipv6) {
    deepStrictEqual(await mifs6(lab), [], "/proc/net/ip6_mr_vif is empty");
    deepStrictEqual(await cache6(lab), [], "/proc/net/ip6_mr_cache is empty");
  }
  ok(!daemon.lines.some((l) => l.includes("fatal:")), daemon.lines.join("\n"));
  return ms;
}
