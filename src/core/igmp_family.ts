/**
 * The IGMP family of the core: IPv4 addresses as numbers, IGMPv1/v2/v3 messages in (RFC 1112,
 * RFC 2236, RFC 3376) and IGMPv3, IGMPv2 or IGMPv1 queries out.
 *
 * @module
 */

import type { Family, PacketInput, ProtocolMessage, ProtocolPacket, QuerySpec } from "./family.ts";
import { formatSubnet, inAnySubnet } from "./subnet.ts";
import { formatIPv4 } from "../proto/addr.ts";
import {
  type IgmpMessage,
  INADDR_ALLHOSTS_GROUP,
  INADDR_ALLRPTS_GROUP,
  INADDR_ALLRTRS_GROUP,
} from "../proto/igmp.ts";
import { encodeQuery } from "../proto/igmp_encode.ts";
import { decodeIgmpPacket } from "../proto/igmp_packet.ts";
import { ok, type Result } from "../proto/result.ts";

/** Whether a group is in 224.0.0.0/24, which is never proxied nor routed. */
export function isLinkLocalGroup(group: number): boolean {
  return (group >>> 8) === 0xe00000;
}

function toMessage(igmp: IgmpMessage): ProtocolMessage<number> {
  switch (igmp.type) {
    case "query":
      return {
        kind: "query",
        version: igmp.version,
        legacy: igmp.version === 1,
        group: igmp.group,
        maxRespTimeMs: igmp.maxRespTimeMs,
        suppressRouterSide: igmp.suppressRouterSide ?? false,
        sources: igmp.sources ?? [],
        qrv: igmp.qrv ?? 0,
        qqicMs: (igmp.qqicSeconds ?? 0) * 1000,
      };
    case "v1-report":
    case "v2-report":
      return { kind: "report", group: igmp.group, older: igmp.type === "v1-report" };
    case "leave":
      return { kind: "leave", group: igmp.group };
    case "v3-report":
      return {
        kind: "records",
        records: igmp.records,
      };
  }
}

/** 232.0.0.0/8, the IPv4 source-specific multicast range (RFC 4607 section 1). */
export const IGMP_SSM_RANGE = { address: 0xe8000000, prefixLength: 8 } as const;

/** What IGMPv1 hosts wait at most before they answer a query (RFC 2236 section 4). */
export const IGMP_V1_RESPONSE_TIME_MS = 10_000;

/** Writes an IGMPv1, IGMPv2 or IGMPv3 query. */
function encodeIgmpQuery(spec: QuerySpec<number>): Uint8Array {
  const { version, group, maxRespTimeMs } = spec;
  if (version === 1 || version === 2) return encodeQuery({ version, group, maxRespTimeMs });
  if (version !== 3) throw new RangeError(`No IGMPv${version} queries`);
  return encodeQuery({
    version,
    group,
    maxRespTimeMs,
    suppressRouterSide: spec.suppressRouterSide ?? false,
    sources: spec.sources ?? [],
    qrv: spec.robustness ?? 2,
    qqicSeconds: Math.floor((spec.queryIntervalMs ?? 125_000) / 1000),
  });
}

/** IGMP over IPv4. */
export const IGMP_FAMILY: Family<number> = {
  protocol: "IGMP",
  name: "ipv4",
  reportsFromSubnet: true,
  vifWord: "VIF",
  thresholds: true,
  unspecified: 0,
  allHosts: INADDR_ALLHOSTS_GROUP,
  listenGroups: [INADDR_ALLRTRS_GROUP, INADDR_ALLRPTS_GROUP],
  format: formatIPv4,
  isLocalGroup: isLinkLocalGroup,
  inAnySubnet,
  formatSubnet,
  decode(input: PacketInput<number>): Result<ProtocolPacket<number>> {
    const r = decodeIgmpPacket(input.data, input.length);
    if (!r.ok) return r;
    const { ip, igmp } = r.value;
    return ok({ source: ip.source, message: toMessage(igmp), label: igmp.type });
  },
  latestVersion: 3,
  queryVersions: [1, 2, 3],
  groupQueries: (version: number) => version >= 2,
  hostResponseTimeMs: (version: number) => version === 1 ? IGMP_V1_RESPONSE_TIME_MS : undefined,
  versionName: (version: number) => `IGMPv${version}`,
  ssmRanges: [IGMP_SSM_RANGE],
  encodeQuery: encodeIgmpQuery,
};
