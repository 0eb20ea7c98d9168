/**
 * What a raw IGMP socket delivers: an IPv4 packet whose payload is an IGMP message, read and
 * checked as one (see ipv4.ts for the header, igmp.ts for the message).
 *
 * @module
 */

import { decodeIgmp, type IgmpMessage } from "./igmp.ts";
import { decodeIPv4Header, IPPROTO_IGMP, type IPv4Header } from "./ipv4.ts";
import { fail, ok, type Result } from "./result.ts";

/** An IPv4 packet carrying IGMP. */
export interface IgmpPacket {
  /** The IP header. */
  ip: IPv4Header;
  /** The IGMP message. */
  igmp: IgmpMessage;
}

/**
 * Decodes an IPv4 packet carrying IGMP as read from a raw socket: the IP header (see
 * {@link decodeIPv4Header}), protocol 2, then the IGMP message up to Total Length (see
 * {@link decodeIgmp}). IGMPv1/v2 reports must be addressed to their group
 * ("report-group-mismatch"); leaves and IGMPv3 reports may go anywhere. IGMPv3 reports and
 * queries must come with TTL 1 ("igmpv3-bad-ttl") and a Router Alert option
 * ("igmpv3-missing-router-alert"), as RFC 3376 sections 4 and 9 say; IGMPv1/v2 messages keep
 * the older rules, which ask neither (RFC 2236 hosts may send no Router Alert). The source
 * address is left for the caller to judge.
 *
 * @example
 * ```ts
 * import { decodeIgmpPacket } from "./igmp_packet.ts";
 *
 * const buf = new Uint8Array(2048);
 * const length = 32; // from recvmsg
 * const r = decodeIgmpPacket(buf, length);
 * if (r.ok && r.value.igmp.type === "v2-report") console.log(r.value.igmp.group);
 * ```
 */
export function decodeIgmpPacket(buf: Uint8Array, length: number): Result<IgmpPacket> {
  const ip = decodeIPv4Header(buf, length);
  if (!ip.ok) return ip;
  const { headerLength, totalLength, protocol, destination } = ip.value;
  if (protocol !== IPPROTO_IGMP) return fail("not-igmp");
  const decoded = decodeIgmp(buf, headerLength, totalLength - headerLength);
  if (!decoded.ok) return decoded;
  const igmp = decoded.value;
  if ((igmp.type === "v1-report" || igmp.type === "v2-report") && igmp.group !== destination) {
    return fail("report-group-mismatch");
  }
  if (igmp.type === "v3-report" || (igmp.type === "query" && igmp.version === 3)) {
    if (ip.value.ttl !== 1) return fail("igmpv3-bad-ttl");
    if (!ip.value.hasRouterAlert) return fail("igmpv3-missing-router-alert");
  }
  return ok({ ip: ip.value, igmp });
}
