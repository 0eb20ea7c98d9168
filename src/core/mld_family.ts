/**
 * The MLD family of the core: IPv6 addresses as 128-bit bigints, MLDv1/MLDv2 messages in
 * (RFC 2710, RFC 3810) with the router-side checks (link-local source, hop limit 1, Router
 * Alert), and MLDv2 or MLDv1 queries out (stock MLDv2 hosts answer an MLDv1 query in MLDv1,
 * RFC 3810 section 8.2).
 *
 * @module
 */

import type { Family, PacketInput, ProtocolMessage, ProtocolPacket, QuerySpec } from "./family.ts";
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
        sources: (mld.sources ?? []).map(ipv6ToBigInt),
        qrv: mld.qrv ?? 0,
        qqicMs: (mld.qqicSeconds ?? 0) * 1000,
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
          sources: r.sources.map(ipv6ToBigInt),
        })),
      };
  }
}

/**
 * ff3x::/96, the IPv6 source-specific multicast range (RFC 4607 section 1), as the 16 prefixes
 * ff30::/96 .. ff3f::/96: one per scope nibble x.
 */
export const MLD_SSM_RANGES: readonly Subnet<bigint>[] = Array.from(
  { length: 16 },
  (_, scope) => ({ address: BigInt(0xff30 + scope) << 112n, prefixLength: 96 }),
);

/** Writes an MLDv1 or MLDv2 query. */
function encodeQuery6(spec: QuerySpec<bigint>): Uint8Array {
  const { version, maxRespTimeMs } = spec;
  const group = bigIntToIPv6(spec.group);
  if (version === 1) return encodeMldQuery({ version, group, maxRespDelayMs: maxRespTimeMs });
  if (version !== 2) throw new RangeError(`No MLDv${version} queries`);
  return encodeMldQuery({
    version,
    group,
    maxRespDelayMs: maxRespTimeMs,
    suppressRouterSide: spec.suppressRouterSide ?? false,
    sources: (spec.sources ?? []).map(bigIntToIPv6),
    qrv: spec.robustness ?? 2,
    qqicSeconds: Math.floor((spec.queryIntervalMs ?? 125_000) / 1000),
  });
}

/** MLD over IPv6. */
export const MLD_FAMILY: Family<bigint> = {
  protocol: "MLD",
  name: "ipv6",
  reportsFromSubnet: false,
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
  latestVersion: 2,
  queryVersions: [1, 2],
  groupQueries: () => true,
  hostResponseTimeMs: () => undefined,
  versionName: (version: number) => `MLDv${version}`,
  ssmRanges: MLD_SSM_RANGES,
  encodeQuery: encodeQuery6,
};
