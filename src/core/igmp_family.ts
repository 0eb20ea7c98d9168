/**
 * The IGMP family of the core: IPv4 addresses as numbers, IGMPv1/v2/v3 messages in (RFC 1112,
 * RFC 2236, RFC 3376) and IGMPv2 queries out.
 *
 * @module
 */

import type { Family, PacketInput, ProtocolMessage, ProtocolPacket } from "./family.ts";
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
        sourceCount: igmp.sources?.length ?? 0,
      };
    case "v1-report":
    case "v2-report":
      return { kind: "report", group: igmp.group, older: igmp.type === "v1-report" };
    case "leave":
      return { kind: "leave", group: igmp.group };
    case "v3-report":
      return {
        kind: "records",
        records: igmp.records.map((r) => ({
          recordType: r.recordType,
          group: r.group,
          sourceCount: r.sources.length,
        })),
      };
  }
}

/** IGMP over IPv4. */
export const IGMP_FAMILY: Family<number> = {
  protocol: "IGMP",
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
  encodeQuery(group: number, maxRespTimeMs: number): Uint8Array {
    return encodeQuery({ group, maxRespTimeMs, version: 2 });
  },
};
