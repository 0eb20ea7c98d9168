/**
 * Hostile DVMRP messages for the routing mode's flood test (`igmp_tool.ts flood --protocol dvmrp`): each
 * an IGMP type 0x13 message with a correct IGMP checksum (so that a decoder gets past it) in a
 * valid IPv4 packet to All-DVMRP-Routers, 224.0.0.4.
 *
 * - `dvmrp-random`: a known or unknown code, then 0 to 600 random bytes.
 * - `dvmrp-truncated`: a real message of each code cut short.
 * - `dvmrp-mutated`: a real message (probe, report, prune, graft, graft ack, ask neighbors2,
 *   neighbors2) with a few bytes changed at random.
 * - `dvmrp-absurd-report`: a report whose route runs claim more than they carry, masks of every
 *   length, metrics 0 to 255.
 * - `dvmrp-probe-storm`: a valid probe from a new made-up neighbor each time, listing up to 300
 *   random neighbors (the neighbor table must stay bounded).
 *
 * @module
 */

import {
  encodeAskNeighbors2,
  encodeGraft,
  encodeGraftAck,
  encodeNeighbors2,
  encodeProbe,
  encodePrune,
  encodeReports,
} from "../../src/proto/dvmrp_encode.ts";
import { IGMP_DVMRP, INADDR_DVMRP_GROUP } from "../../src/proto/dvmrp.ts";
import { fixChecksum } from "../../src/proto/testing.ts";
import { buildIPv4Packet, type GarbagePacket } from "./igmp_packets.ts";

/** The kinds, sent in turn. */
export const DVMRP_GARBAGE_KINDS = [
  "dvmrp-random",
  "dvmrp-truncated",
  "dvmrp-mutated",
  "dvmrp-absurd-report",
  "dvmrp-probe-storm",
] as const;

/** One of {@link DVMRP_GARBAGE_KINDS}. */
export type DvmrpGarbageKind = typeof DVMRP_GARBAGE_KINDS[number];

/** A hostile DVMRP packet of the kind from `source` (the probe storm's own sources aside). */
export function dvmrpGarbagePacket(
  kind: DvmrpGarbageKind,
  rand: () => number,
  opts: { source: number },
): GarbagePacket {
  let source = opts.source;
  let message: Uint8Array;
  switch (kind) {
    case "dvmrp-random":
      message = new Uint8Array([IGMP_DVMRP, int(rand, 0, 12), 0, 0, 0, 0x0e, 0xff, 3]);
      message = concat(message, bytes(rand, int(rand, 0, 600)));
      break;
    case "dvmrp-truncated": {
      const whole = realMessage(rand);
      message = whole.slice(0, int(rand, 0, Math.max(0, whole.length - 1)));
      break;
    }
    case "dvmrp-mutated": {
      message = realMessage(rand);
      for (let n = int(rand, 1, 4); n > 0 && message.length > 4; n--) {
        message[int(rand, 4, message.length - 1)] = int(rand, 0, 255);
      }
      break;
    }
    case "dvmrp-absurd-report": {
      const data: number[] = [];
      for (let n = int(rand, 1, 20); n > 0; n--) {
        data.push(255, int(rand, 0, 255), int(rand, 0, 255)); // a mask, any bits
        for (let m = int(rand, 0, 6); m > 0; m--) {
          const width = int(rand, 1, 4);
          for (let i = 0; i < width; i++) data.push(int(rand, 0, 255));
          data.push(int(rand, 0, 255)); // metric, the last-route bit at random
        }
      }
      message = concat(
        new Uint8Array([IGMP_DVMRP, 2, 0, 0, 0, 0x0e, 0xff, 3]),
        new Uint8Array(data),
      );
      break;
    }
    case "dvmrp-probe-storm": {
      source = (0x0a000000 | (source & 0x00ffff00) | int(rand, 2, 254)) >>> 0;
      const neighbors = Array.from({ length: int(rand, 0, 300) }, () => int(rand, 1, 0xfffffffe));
      message = encodeProbe({ generationId: int(rand, 0, 0xffffffff), neighbors });
      break;
    }
  }
  if (message.length >= 4) message = fixChecksum(message, { field: 2 });
  return {
    packet: buildIPv4Packet({ source, destination: INADDR_DVMRP_GROUP, payload: message }),
    destination: INADDR_DVMRP_GROUP,
  };
}

/** A valid message of a random code. */
function realMessage(rand: () => number): Uint8Array {
  const addr = () => int(rand, 1, 0xfffffffe);
  const group = () => (0xe0000000 | int(rand, 0, 0x0fffffff)) >>> 0;
  switch (int(rand, 0, 6)) {
    case 0:
      return encodeProbe({ generationId: addr(), neighbors: [addr(), addr()] });
    case 1:
      return encodeReports([
        { source: (addr() & 0xffffff00) >>> 0, prefixLength: 24, metric: int(rand, 1, 40) },
        { source: (addr() & 0xffff0000) >>> 0, prefixLength: 16, metric: int(rand, 1, 40) },
      ])[0];
    case 2:
      return encodePrune({ source: addr(), group: group(), lifetimeSeconds: addr() });
    case 3:
      return encodeGraft({ source: addr(), group: group(), prefixLength: int(rand, 8, 32) });
    case 4:
      return encodeGraftAck({ source: addr(), group: group() });
    case 5:
      return encodeAskNeighbors2();
    default: {
      const flags = {
        tunnel: false,
        sourceRoute: false,
        down: false,
        disabled: false,
        querier: true,
        leaf: false,
      };
      return encodeNeighbors2([
        { localAddress: addr(), metric: 1, threshold: 1, flags, neighbors: [addr()] },
      ]);
    }
  }
}

function int(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

function bytes(rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = int(rand, 0, 255);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
