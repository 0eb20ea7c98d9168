/**
 * What a raw ICMPv6 socket tells about an MLD message besides its bytes, and the checks a router
 * makes of it (RFC 2710 section 5, RFC 3810 sections 5, 6.2 and 7.4): the source address comes
 * from `msg_name`, the hop limit from an IPV6_HOPLIMIT control message and the Router Alert
 * option from an IPV6_HOPOPTS one (see {@link hasMldRouterAlert}). Also which multicast
 * addresses the proxy handles at all (see {@link isMldProxiableGroup}).
 *
 * @module
 */

import {
  equalIPv6,
  ipv6MulticastScope,
  isIPv6LinkLocalUnicast,
  isIPv6Multicast,
  isIPv6Unspecified,
} from "./addr.ts";
import { decodeMld, isMldType, type MldMessage } from "./mld.ts";
import { fail, ok, type Result } from "./result.ts";
import { readU16 } from "./wire.ts";

/** Hop-by-hop option type Pad1: one byte, no length (RFC 8200 section 4.2). */
const IP6OPT_PAD1 = 0x00;
/** Hop-by-hop option type Router Alert (RFC 2711). */
export const IP6OPT_ROUTER_ALERT = 0x05;
/** Router Alert value: the datagram contains an MLD message (RFC 2711). */
export const IP6_ALERT_MLD = 0x0000;

/** What a raw ICMPv6 socket gave for one message, for {@link decodeMldPacket}. */
export interface MldPacketInput {
  /** IPv6 source address, from `msg_name`. */
  source: Uint8Array;
  /** IPv6 destination address (IPV6_PKTINFO), when known. */
  destination?: Uint8Array;
  /** IPv6 hop limit (IPV6_HOPLIMIT), when known. */
  hopLimit: number | undefined;
  /** Whether the hop-by-hop header carries Router Alert 0 (IPV6_HOPOPTS), when known. */
  routerAlert?: boolean;
  /** The ICMPv6 message from its first byte. */
  data: Uint8Array;
  /** Bytes of `data` received. */
  length: number;
}

/** A validated MLD message with the addresses it came with. */
export interface MldPacket {
  /** The IPv6 source: always link-local unicast. */
  source: Uint8Array;
  /** The IPv6 destination, when it was known. */
  destination?: Uint8Array;
  /** The MLD message. */
  mld: MldMessage;
}

/**
 * Decodes an MLD message received on a raw ICMPv6 socket (see {@link decodeMld}) and applies
 * the checks RFC 2710 section 5 and RFC 3810 sections 5, 6.2 and 7.4 ask of a router:
 *
 * - the source is link-local unicast, fe80::/10 ("mld-source-not-link-local"); `::` is dropped
 *   too ("mld-source-unspecified"): RFC 3590 lets a host without a link-local address send
 *   reports and dones from `::`, and RFC 3810 section 5.2.13 has routers discard them;
 * - the hop limit, when known, is 1 ("bad-hop-limit");
 * - the Router Alert option, when known, is there ("missing-router-alert"); pass `undefined`
 *   when the hop-by-hop header was not read;
 * - an MLDv1 report sent to a multicast address must be sent to its own
 *   ("report-group-mismatch"); one sent to a unicast address (one of ours, or the kernel would
 *   not have delivered it) is accepted, as RFC 3810 section 5.2.14 asks. Dones and MLDv2
 *   reports may go anywhere; queries too (the Linux bridge sends MLDv1 multicast address
 *   specific queries to ff02::1).
 *
 * A message of another ICMPv6 type is "not-mld" before anything else is looked at. Telling our
 * own messages apart is left to the caller.
 *
 * @example
 * ```ts
 * import { decodeMldPacket, hasMldRouterAlert } from "./mld_packet.ts";
 *
 * const data = new Uint8Array(1500); // filled by recvmsg
 * const r = decodeMldPacket({
 *   source: new Uint8Array(16), // from msg_name
 *   destination: undefined, // from IPV6_PKTINFO
 *   hopLimit: 1, // from IPV6_HOPLIMIT
 *   routerAlert: hasMldRouterAlert(new Uint8Array([58, 0, 5, 2, 0, 0, 1, 0])), // IPV6_HOPOPTS
 *   data,
 *   length: 24,
 * });
 * if (!r.ok) console.log(r.reason); // "not-mld" for these zero bytes
 * ```
 */
export function decodeMldPacket(input: MldPacketInput): Result<MldPacket> {
  const { source, destination, hopLimit, routerAlert, data, length } = input;
  if (length < 1 || length > data.length) return fail("truncated-mld");
  if (!isMldType(data[0])) return fail("not-mld");
  if (isIPv6Unspecified(source)) return fail("mld-source-unspecified");
  if (source.length !== 16 || !isIPv6LinkLocalUnicast(source)) {
    return fail("mld-source-not-link-local");
  }
  if (hopLimit !== undefined && hopLimit !== 1) return fail("bad-hop-limit");
  if (routerAlert === false) return fail("missing-router-alert");
  const decoded = decodeMld(data, 0, length);
  if (!decoded.ok) return decoded;
  const mld = decoded.value;
  if (
    mld.type === "v1-report" && destination !== undefined && isIPv6Multicast(destination) &&
    !equalIPv6(destination, mld.group)
  ) {
    return fail("report-group-mismatch");
  }
  const value: MldPacket = { source: source.slice(), mld };
  if (destination !== undefined) value.destination = destination.slice();
  return ok(value);
}

/**
 * Whether an IPv6 hop-by-hop options header, as IPV6_RECVHOPOPTS delivers it (the whole header,
 * Next Header and Hdr Ext Len included), carries a Router Alert option with value 0, MLD
 * (RFC 2711). A malformed header has none.
 *
 * @example
 * ```ts
 * import { hasMldRouterAlert } from "./mld_packet.ts";
 *
 * // Linux hosts' reports: next header 58, length 0 (8 bytes), Router Alert 0, PadN.
 * hasMldRouterAlert(new Uint8Array([58, 0, 5, 2, 0, 0, 1, 0])); // true
 * ```
 */
export function hasMldRouterAlert(hopByHop: Uint8Array): boolean {
  if (hopByHop.length < 8) return false;
  const end = (hopByHop[1] + 1) * 8;
  if (end > hopByHop.length) return false;
  for (let at = 2; at < end;) {
    const type = hopByHop[at];
    if (type === IP6OPT_PAD1) {
      at++;
      continue;
    }
    if (at + 2 > end) return false;
    const len = hopByHop[at + 1];
    if (at + 2 + len > end) return false;
    if (type === IP6OPT_ROUTER_ALERT && len === 2 && readU16(hopByHop, at + 2) === IP6_ALERT_MLD) {
      return true;
    }
    at += 2 + len;
  }
  return false;
}

/**
 * Whether a multicast address may be proxied: its scope (RFC 4291 section 2.7, whatever the
 * flags) is wider than link-local. Reserved (0), interface-local (ff01::/16) and link-local
 * (ff02::/16, solicited-node ff02::1:ff00:0/104 included) addresses are never proxied upstream
 * nor routed; realm-local (3) and wider are, the reserved scope 0xf being treated as global
 * (RFC 4291). Anything not multicast is not proxiable.
 *
 * @example
 * ```ts
 * import { parseIPv6 } from "./addr.ts";
 * import { isMldProxiableGroup } from "./mld_packet.ts";
 *
 * isMldProxiableGroup(parseIPv6("ff3e::8000:1")!); // true: SSM, global scope
 * isMldProxiableGroup(parseIPv6("ff02::1:ff6b:4aba")!); // false: solicited-node, link-local
 * ```
 */
export function isMldProxiableGroup(group: Uint8Array): boolean {
  const scope = ipv6MulticastScope(group);
  return group.length === 16 && scope !== undefined && scope > 2;
}
