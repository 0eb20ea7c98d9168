/**
 * The MLD family of the core: IPv6 addresses as 128-bit bigints, MLDv1/MLDv2 messages in
 * (RFC 2710, RFC 3810) with the router-side checks (link-local source, hop limit 1, Router
 * Alert), and MLDv1 queries out, which stock MLDv2 hosts answer in MLDv1 (the counterpart of
 * the IGMPv2 queries of the IPv4 side).
 *
 * @module
 */

import type { Family, PacketInput, ProtocolMessage, ProtocolPacket } from "./family.ts";
import type { Subnet } from "./subnet.ts";
import { bigIntToIPv6, formatIPv6, ipv6ToBigInt } from "../proto/addr.ts";
import {
  IN6ADDR_LINKLOCAL_ALLNODES,
  IN6ADDR_LINKLOCAL_ALLROUTERS,
  IN6ADDR_LINKLOCAL_ALLV2ROUTERS,
  type MldMessage,
} from "../proto/mld.ts";
import { encodeMldQuery } from "../proto/mld_encode.ts";
import { decodeMldPacket, isMldProxiableGroup } from "../proto/mld_packet.ts";
import { ok, type Result } from "../proto/result.ts";

const ALL_ONES = (1n << 128n) - 1n;

/** The mask of a prefix length, 0 to 128. */
function mask6(length: number): bigint {
  const hostBits = BigInt(128 - Math.max(0, Math.min(128, length)));
  return ALL_ONES ^ ((1n << hostBits) - 1n);
}

/** Whether `address` lies in one of `subnets` (IPv6, as bigints). */
export function inAnySubnet6(address: bigint, subnets: ReadonlyArray<Subnet<bigint>>): boolean {
  return subnets.some((s) => {
    const m = mask6(s.prefixLength);
    return (address & m) === (s.address & m);
  });
}

/** An IPv6 address given as a bigint, as text. */
export function formatAddress6(address: bigint): string {
  return formatIPv6(bigIntToIPv6(address));
}

function toMessage(mld: MldMessage): ProtocolMessage<bigint> {
  switch (mld.type) {
    case "query":
      return {
        kind: "query",
        version: mld.version,
        legacy: false,
        group: ipv6ToBigInt(mld.group),
        maxRespTimeMs: mld.maxRespDelayMs,
        suppressRouterSide: mld.suppressRouterSide ?? false,
        sourceCount: mld.sources?.length ?? 0,
      };
    case "v1-report":
      return { kind: "report", group: ipv6ToBigInt(mld.group), older: false };
    case "done":
      return { kind: "leave", group: ipv6ToBigInt(mld.group) };
    case "v2-report":
      return {
        kind: "records",
        records: mld.records.map((r) => ({
          recordType: r.recordType,
          group: ipv6ToBigInt(r.group),
          sourceCount: r.sources.length,
        })),
      };
  }
}

/** MLD over IPv6. */
export const MLD_FAMILY: Family<bigint> = {
  protocol: "MLD",
  vifWord: "MIF",
  thresholds: false,
  unspecified: 0n,
  allHosts: ipv6ToBigInt(IN6ADDR_LINKLOCAL_ALLNODES),
  listenGroups: [
    ipv6ToBigInt(IN6ADDR_LINKLOCAL_ALLROUTERS),
    ipv6ToBigInt(IN6ADDR_LINKLOCAL_ALLV2ROUTERS),
  ],
  format: formatAddress6,
  isLocalGroup: (group: bigint) => !isMldProxiableGroup(bigIntToIPv6(group)),
  inAnySubnet: inAnySubnet6,
  formatSubnet: (s: Subnet<bigint>) => `${formatAddress6(s.address)}/${s.prefixLength}`,
  decode(input: PacketInput<bigint>): Result<ProtocolPacket<bigint>> {
    const r = decodeMldPacket({
      source: bigIntToIPv6(input.source ?? 0n),
      ...(input.destination === undefined ? {} : { destination: bigIntToIPv6(input.destination) }),
      hopLimit: input.hopLimit,
      ...(input.routerAlert === undefined ? {} : { routerAlert: input.routerAlert }),
      data: input.data,
      length: input.length,
    });
    if (!r.ok) return r;
    const { source, mld } = r.value;
    return ok({ source: ipv6ToBigInt(source), message: toMessage(mld), label: mld.type });
  },
  encodeQuery(group: bigint, maxRespTimeMs: number): Uint8Array {
    return encodeMldQuery({
      group: bigIntToIPv6(group),
      maxRespDelayMs: maxRespTimeMs,
      version: 1,
    });
  },
};
