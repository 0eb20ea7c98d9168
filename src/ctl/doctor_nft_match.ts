/**
 * What one nft rule does to one IGMP or MLD packet ({@link judgeRule}): whether its matches take
 * the packet ("yes", "no", or "maybe" when the doctor cannot tell), and its verdict. Pure.
 *
 * The judgement is conservative: a match is "no" only when the doctor knows it, and "maybe"
 * whenever it cannot tell (a source address, a set, a rate limit, a raw payload `@nh,160,8`,
 * an Ethernet address, `th dport`, a conntrack state that IGMP may have). It knows:
 * - the headers the packet has not: `tcp`, `udp`, `udplite`, `sctp`, `dccp`, `icmp`, `esp`,
 *   `ah`, `comp`, `arp`, and the other family's (`ip6` and `icmpv6` for IGMP, `ip` and `igmp`
 *   for MLD), for which nft adds a protocol check to the rule, so that no field of theirs
 *   matches whatever its operator (`th` has no such check: it is a "maybe");
 * - the values of the fields it reads (`ip protocol`, `meta l4proto`, `ip6 nexthdr`, `igmp
 *   type`, `icmpv6 type`, `iifname`, `meta nfproto`, `meta protocol`, `meta pkttype`): any
 *   other value does not match;
 * - IGMP and MLD are never conntrack `established` or `related` (no reply comes back): a match
 *   on those alone does not take them.
 *
 * @module
 */

import { isObject, type NftRule } from "./doctor_nft.ts";

/** What the proxy must receive. */
export type ControlProtocol = "igmp" | "mld";

/** The message types of a protocol: IGMP query, reports v1, v2 and v3, leave; MLD the same. */
export const MESSAGE_TYPES: Readonly<Record<ControlProtocol, readonly number[]>> = Object.freeze({
  igmp: Object.freeze([0x11, 0x12, 0x16, 0x22, 0x17]),
  mld: Object.freeze([130, 131, 143, 132]),
});

/** The query's message type of a protocol: all the proxy needs on its upstream interface. */
export const QUERY_TYPE: Readonly<Record<ControlProtocol, number>> = Object.freeze({
  igmp: 0x11,
  mld: 130,
});

/** One packet the proxy must receive. */
export interface Packet {
  protocol: ControlProtocol;
  /** Its message type (IGMP's type field, ICMPv6's). */
  type: number;
  /** The interface it arrives on. */
  iface: string;
}

/** A rule's verdict, as far as the walk follows it. */
export type Verdict =
  | { kind: "accept" | "drop" | "return" | "unknown" }
  | { kind: "jump" | "goto"; target: string };

/** Whether a rule matches a packet, its verdict, its counter, whether it names the protocol. */
export interface Judged {
  match: Truth;
  verdict: Verdict | undefined;
  packets: number | null;
  /** A match names the packet's protocol or message type (and takes it). */
  specific: boolean;
  /**
   * A match the doctor cannot judge is a negation (`ether saddr != MAC`): the rule takes all
   * but what that match names, so most likely the packet too.
   */
  negated: boolean;
}

/** Whether a rule (or a match) takes a packet; "maybe" when the doctor cannot tell. */
export type Truth = "yes" | "no" | "maybe";

/** Statements that neither match nor decide. */
const NEUTRAL = new Set(["counter", "log", "mangle", "notrack", "meta"]);

/** Judges a rule's statements, in order, for a packet. */
export function judgeRule(rule: NftRule, packet: Packet): Judged {
  let match = "yes" as Truth;
  let verdict: Verdict | undefined;
  let packets: number | null = null;
  let specific = false;
  let negated = false;
  for (const statement of rule.expr) {
    if (!isObject(statement)) continue;
    const [key] = Object.keys(statement);
    const value = statement[key];
    if (key === "match" && isObject(value)) {
      const m = judgeMatch(value, packet);
      if (m.truth === "yes" && m.specific) specific = true;
      if (m.truth === "maybe" && value.op === "!=") negated = true;
      match = m.truth === "no" || match === "no" ? "no" : m.truth === "maybe" ? "maybe" : match;
    } else if (key === "counter" && isObject(value) && typeof value.packets === "number") {
      packets = value.packets;
    } else if (key === "accept" || key === "drop" || key === "return") {
      verdict = { kind: key };
    } else if (key === "reject") {
      verdict = { kind: "drop" };
    } else if ((key === "jump" || key === "goto") && isObject(value)) {
      verdict = typeof value.target === "string"
        ? { kind: key, target: value.target }
        : { kind: "unknown" };
    } else if (key === "vmap" || key === "queue") {
      verdict = { kind: "unknown" };
    } else if (!NEUTRAL.has(key)) {
      // limit, quota, xt, a lookup...: a match the walk cannot judge.
      if (match === "yes") match = "maybe";
    }
  }
  return { match, verdict, packets, specific, negated };
}

/** The values a packet has for a match's left side; `absent`: the header is not there. */
type Field = { values: (string | number)[]; specific: boolean } | "absent" | undefined;

/**
 * The headers a packet has not, by its protocol: nft checks for the header's protocol before it
 * reads one of its fields (`tcp dport 22` is `meta l4proto tcp tcp dport 22`). Not `th`, which
 * nft reads without such a check, nor `ether` or `vlan`, which it may have.
 */
const ABSENT_HEADERS: Readonly<Record<ControlProtocol, ReadonlySet<unknown>>> = Object.freeze({
  igmp: new Set(
    ["tcp", "udp", "udplite", "sctp", "dccp", "icmp", "esp", "ah", "comp", "arp", "ip6", "icmpv6"],
  ),
  mld: new Set(
    ["tcp", "udp", "udplite", "sctp", "dccp", "icmp", "esp", "ah", "comp", "arp", "ip", "igmp"],
  ),
});

/**
 * MLD's `ip6 nexthdr`: 0, the Hop-by-Hop header that carries its Router Alert. nft 1.0.6 prints
 * 0 as `ip` (the name /etc/protocols gives it), newer ones as `hopopt`.
 */
const HOP_BY_HOP = [0, "hopopt", "hopopts", "ip"];

/** The packet's value of what a match compares (undefined: the walk cannot tell). */
function fieldOf(left: unknown, packet: Packet): Field {
  if (!isObject(left)) return undefined;
  const igmp = packet.protocol === "igmp";
  const protocol = igmp ? [2, "igmp"] : [58, "ipv6-icmp", "icmpv6"];
  if (isObject(left.meta)) {
    switch (left.meta.key) {
      case "l4proto":
        return { values: protocol, specific: true };
      case "iifname":
      case "iif":
        return { values: [packet.iface], specific: false };
      case "nfproto":
        return { values: [igmp ? "ipv4" : "ipv6"], specific: false };
      case "protocol":
        return { values: [igmp ? "ip" : "ip6"], specific: false };
      case "pkttype":
        return { values: ["multicast"], specific: false };
    }
    return undefined;
  }
  if (!isObject(left.payload)) return undefined;
  // A raw payload (`@nh,160,8`) has a base and an offset, no protocol: it is not judged.
  const { protocol: header, field } = left.payload;
  if (ABSENT_HEADERS[packet.protocol].has(header)) return "absent";
  if (header === "ip") {
    return field === "protocol" ? { values: protocol, specific: true } : undefined;
  }
  if (header === "ip6") {
    return field === "nexthdr" ? { values: HOP_BY_HOP, specific: false } : undefined;
  }
  if (header === "igmp" || header === "icmpv6") {
    const name = TYPE_NAMES[packet.type];
    return field === "type" ? { values: [packet.type, ...name], specific: true } : undefined;
  }
  return undefined;
}

/** nft's names of the message types. */
const TYPE_NAMES: Readonly<Record<number, readonly string[]>> = Object.freeze({
  0x11: ["membership-query"],
  0x12: ["membership-report-v1"],
  0x16: ["membership-report-v2"],
  0x22: ["membership-report-v3"],
  0x17: ["leave-group"],
  130: ["mld-listener-query"],
  131: ["mld-listener-report"],
  132: ["mld-listener-done", "mld-listener-reduction"],
  143: ["mld2-listener-report"],
});

/** Whether a packet matches `{op, left, right}`, and whether the match names its protocol. */
function judgeMatch(
  m: Record<string, unknown>,
  packet: Packet,
): { truth: Truth; specific: boolean } {
  if (isObject(m.left) && isObject(m.left.ct) && m.left.ct.key === "state") {
    return { truth: conntrackState(m.op, m.right), specific: false };
  }
  const field = fieldOf(m.left, packet);
  if (field === "absent") return { truth: "no", specific: false };
  if (field === undefined) return { truth: "maybe", specific: false };
  const op = m.op ?? "==";
  if (op !== "==" && op !== "!=" && op !== "in") return { truth: "maybe", specific: false };
  const found = contains(m.right, field.values);
  const truth: Truth = found === "maybe"
    ? "maybe"
    : (found === "yes") === (op !== "!=")
    ? "yes"
    : "no";
  return { truth, specific: field.specific };
}

/** Whether `right` (a value, a list, an anonymous set, a range) holds one of `values`. */
function contains(right: unknown, values: readonly (string | number)[]): Truth {
  const items = Array.isArray(right)
    ? right
    : isObject(right) && Array.isArray(right.set)
    ? right.set
    : [right];
  let result: Truth = "no";
  for (const item of items) {
    const t = equals(item, values);
    if (t === "yes") return "yes";
    if (t === "maybe") result = "maybe";
  }
  return result;
}

/** Whether a value of `right` is one of the packet's `values` (all the names it has). */
function equals(item: unknown, values: readonly (string | number)[]): Truth {
  if (typeof item === "number") {
    return values.includes(item)
      ? "yes"
      : values.some((v) => typeof v === "number")
      ? "no"
      : "maybe";
  }
  if (typeof item === "string") {
    if (item.startsWith("@")) return "maybe";
    if (values.includes(item)) return "yes";
    if (item.endsWith("*")) {
      return values.some((v) => typeof v === "string" && v.startsWith(item.slice(0, -1)))
        ? "yes"
        : "no";
    }
    // Every name of the packet's value is in `values`: another name is another value.
    return "no";
  }
  if (isObject(item) && Array.isArray(item.range)) {
    const [low, high] = item.range;
    const n = values.find((v) => typeof v === "number");
    if (typeof low !== "number" || typeof high !== "number" || n === undefined) return "maybe";
    return n >= low && n <= high ? "yes" : "no";
  }
  return "maybe";
}

/**
 * `ct state`: IGMP and MLD are `new` (or `untracked`), never `established`, `related` or
 * `invalid`; a match on those alone does not take them.
 */
function conntrackState(op: unknown, right: unknown): Truth {
  const states = Array.isArray(right)
    ? right
    : isObject(right) && Array.isArray(right.set)
    ? right.set
    : [right];
  const others = states.every((s) => s === "established" || s === "related" || s === "invalid");
  return others && (op === "==" || op === "in") ? "no" : "maybe";
}
