/**
 * The firewall tests' fixtures: rulesets written as `nft -j list ruleset` prints them (nft
 * 1.0.6, Debian 12), built from its statements, and a command runner that answers as nft would.
 *
 * @module
 */

import type { CommandResult } from "./doctor_facts.ts";

/** A statement or an object of nft's JSON. */
export type Json = Record<string, unknown>;

/** `{"nftables": [metainfo, ...items]}`, as text. */
export function nftJson(...items: Json[]): string {
  const metainfo = {
    metainfo: { version: "1.0.6", release_name: "Lester Gooch #5", json_schema_version: 1 },
  };
  return JSON.stringify({ nftables: [metainfo, ...items] });
}

/** A table and a base chain in it, hooked at `hook` with `policy`. */
export function baseChain(
  opts: {
    family: string;
    table: string;
    name: string;
    hook: string;
    policy?: "accept" | "drop";
    prio?: number;
    dev?: string;
  },
): Json[] {
  const { family, table, name, hook } = opts;
  return [
    { table: { family, name: table, handle: 1 } },
    {
      chain: {
        family,
        table,
        name,
        handle: 1,
        type: "filter",
        hook,
        prio: opts.prio ?? 0,
        policy: opts.policy ?? "accept",
        ...(opts.dev !== undefined ? { dev: opts.dev } : {}),
      },
    },
  ];
}

/** A regular chain (no hook), for a jump. */
export function regularChain(family: string, table: string, name: string): Json {
  return { chain: { family, table, name, handle: 50 } };
}

/** A rule of `family table chain` with its statements. */
export function nftRule(
  where: { family: string; table: string; chain: string },
  handle: number,
  ...expr: Json[]
): Json {
  return { rule: { ...where, handle, expr } };
}

/** `{"match": {op, left, right}}`. */
function match(left: Json, right: unknown, op = "=="): Json {
  return { match: { op, left, right } };
}

/** A value, or an anonymous set of them. */
function valueOf(v: string | number | (string | number)[]): unknown {
  return Array.isArray(v) ? { set: v } : v;
}

/** `iifname "dn1"`, `iifname { "dn1", "dn2" }`, `iifname != "lo"`. */
export function iifname(name: string | string[], op = "=="): Json {
  return match({ meta: { key: "iifname" } }, valueOf(name), op);
}

/** `ip protocol igmp`. */
export function ipProtocol(p: string | number | (string | number)[], op = "=="): Json {
  return match({ payload: { protocol: "ip", field: "protocol" } }, valueOf(p), op);
}

/** `meta l4proto igmp`. */
export function l4proto(p: string | number | (string | number)[]): Json {
  return match({ meta: { key: "l4proto" } }, valueOf(p));
}

/** `icmpv6 type mld-listener-query`. */
export function icmpv6Type(t: string | number | (string | number)[]): Json {
  return match({ payload: { protocol: "icmpv6", field: "type" } }, valueOf(t));
}

/** `igmp type membership-query`. */
export function igmpType(t: string | number | (string | number)[]): Json {
  return match({ payload: { protocol: "igmp", field: "type" } }, valueOf(t));
}

/** `ct state established,related` (a flags list). */
export function ctState(...states: string[]): Json {
  return match({ ct: { key: "state" } }, states, "in");
}

/** `ip saddr 10.0.0.0/8`: a match the doctor cannot judge. */
export function ipSaddr(prefix: string, len: number): Json {
  return match({ payload: { protocol: "ip", field: "saddr" } }, { prefix: { addr: prefix, len } });
}

/** `tcp dport 22`, `tcp dport != 22`. */
export function tcpDport(port: number, op = "=="): Json {
  return match({ payload: { protocol: "tcp", field: "dport" } }, port, op);
}

/** `th dport 53`: a transport header nft reads without checking its protocol. */
export function thDport(port: number): Json {
  return match({ payload: { protocol: "th", field: "dport" } }, port);
}

/** `@nh,160,8 0x94`: raw bytes of the network header (0x94: IPv4's Router Alert option). */
export function rawNh(offset: number, len: number, value: number): Json {
  return match({ payload: { base: "nh", offset, len } }, value);
}

/** `ether saddr != 00:11:22:33:44:55`. */
export function etherSaddr(mac: string, op = "=="): Json {
  return match({ payload: { protocol: "ether", field: "saddr" } }, mac, op);
}

/** `ip6 nexthdr 0`, which nft 1.0.6 prints as `ip`. */
export function ip6Nexthdr(v: string | number | (string | number)[]): Json {
  return match({ payload: { protocol: "ip6", field: "nexthdr" } }, valueOf(v));
}

/** `limit rate 10/second`. */
export function limit(rate: number): Json {
  return { limit: { rate, burst: 5, per: "second" } };
}

/** `counter packets N bytes B`. */
export function counter(packets: number, bytes = packets * 40): Json {
  return { counter: { packets, bytes } };
}

/** The verdicts: `accept`, `drop`, `reject`, `jump CHAIN`, `goto CHAIN`. */
export const ACCEPT: Json = { accept: null };
export const DROP: Json = { drop: null };
export const REJECT: Json = { reject: { type: "icmp", expr: "port-unreachable" } };
export function jump(target: string): Json {
  return { jump: { target } };
}

/** `goto CHAIN`. */
export function goto(target: string): Json {
  return { goto: { target } };
}

/** A runner that answers `nft -j list ruleset` with `result` and keeps what it was asked. */
export function fakeNft(
  result: CommandResult | Error = { code: 0, stdout: nftJson(), stderr: "" },
): {
  run: (argv: readonly string[], opts: { timeoutMs: number }) => Promise<CommandResult>;
  calls: { argv: readonly string[]; timeoutMs: number }[];
} {
  const calls: { argv: readonly string[]; timeoutMs: number }[] = [];
  return {
    calls,
    run: (argv, opts) => {
      calls.push({ argv, timeoutMs: opts.timeoutMs });
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    },
  };
}
