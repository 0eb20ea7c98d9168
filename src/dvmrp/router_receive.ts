/**
 * DVMRP messages received (IGMP type 0x13 on the routing socket): which vif they came in on,
 * whether they come from a neighbor, and which table takes them. Everything wrong with a
 * message drops it and counts the reason; nothing here throws.
 *
 * A message belongs to the tunnel whose far end sent it, else to the interface it arrived on.
 * Probes are taken from any router on the vif's subnet (they make neighbors); reports, prunes,
 * grafts and graft acks only from a known neighbor (section 3.4.6, 3.5.4, 3.6.4); an Ask
 * Neighbors2 from anyone (mrinfo runs on hosts) gets our Neighbors2, unicast.
 *
 * @module
 */

import { formatIPv4, prefixContainsIPv4 } from "../proto/addr.ts";
import { inAnySubnet } from "../core/subnet.ts";
import {
  decodeDvmrp,
  type DvmrpMessage,
  type DvmrpNeighbors2Vif,
  IGMP_DVMRP,
} from "../proto/dvmrp.ts";
import { encodeNeighbors2 } from "../proto/dvmrp_encode.ts";
import { decodeIPv4Header, IPPROTO_IGMP } from "../proto/ipv4.ts";
import { findNeighbor, isLeafVif, neighborsOn } from "./neighbors.ts";
import {
  debugOn,
  type RouterDropReason,
  routerLog,
  type RouterState,
  type RouterStep,
  type RouterVif,
} from "./router_state.ts";
import { HEADER, runCache, runNeighbors, runRoutes, send } from "./router_send.ts";

/** Whether a packet read from the routing socket is a DVMRP message (IGMP type 0x13). */
export function isDvmrpPacket(data: Uint8Array, length: number): boolean {
  if (length < 21 || data.length < length) return false;
  const headerLength = (data[0] & 0x0f) * 4;
  return data[9] === IPPROTO_IGMP && headerLength < length && data[headerLength] === IGMP_DVMRP;
}

/** Counts a dropped input; a debug line says what it was. */
export function dropInput(
  step: RouterStep,
  reason: RouterDropReason,
  what: () => string,
): void {
  const { drops } = step.state;
  drops.set(reason, (drops.get(reason) ?? 0) + 1);
  if (debugOn(step.state)) routerLog(step, "debug", `Dropped ${what()}: ${reason}`);
}

/** Takes one DVMRP message read on interface `ifindex`. */
export function receiveDvmrp(
  step: RouterStep,
  ifindex: number,
  data: Uint8Array,
  length: number,
): void {
  const { state } = step;
  const ip = decodeIPv4Header(data, length);
  if (!ip.ok) {
    return dropInput(step, "dvmrp-bad-ip-header", () => `DVMRP message on ifindex ${ifindex}`);
  }
  const { source, destination, headerLength, totalLength } = ip.value;
  const from = () => `DVMRP message from ${formatIPv4(source)}`;
  if (isOwnAddress(state, source)) return dropInput(step, "dvmrp-own-message", from);
  const vif = vifOf(state, ifindex, source, destination);
  if (vif === undefined) return dropInput(step, "dvmrp-no-vif", from);
  const decoded = decodeDvmrp(data, headerLength, totalLength - headerLength);
  if (!decoded.ok) return dropInput(step, decoded.reason, from);
  const message = decoded.value;
  const what = () => `DVMRP ${message.type} from ${formatIPv4(source)} on ${vif.name}`;
  if (vif.tunnel === undefined && !onSubnet(vif, source)) {
    if (message.type !== "ask-neighbors2") return dropInput(step, "dvmrp-off-subnet", what);
  }
  state.received.set(message.type, (state.received.get(message.type) ?? 0) + 1);
  if (debugOn(state)) routerLog(step, "debug", `Received ${what()}`);
  dispatch(step, vif, source, message, what);
}

/** Hands a valid message to its table. */
function dispatch(
  step: RouterStep,
  vif: RouterVif,
  from: number,
  m: DvmrpMessage,
  what: () => string,
): void {
  const { state } = step;
  const vifi = vif.vifi;
  switch (m.type) {
    case "probe":
      return runNeighbors(step, { kind: "probe-received", vif: vifi, from, probe: m });
    case "ask-neighbors2":
      if (!takeAnswerToken(state, step.now)) return dropInput(step, "dvmrp-ask-rate", what);
      return answerAskNeighbors2(step, vif, from);
    case "neighbors2":
      return dropInput(step, "dvmrp-unexpected-neighbors2", what);
  }
  if (findNeighbor(state.neighbors, vifi, from)?.twoWay !== true) {
    return dropInput(step, "dvmrp-not-neighbor", what);
  }
  switch (m.type) {
    case "report":
      return runRoutes(step, {
        kind: "report-received",
        vif: vifi,
        neighbor: from,
        routes: m.routes,
      });
    case "prune":
      return runCache(step, { kind: "prune-received", vif: vifi, from, prune: m });
    case "graft":
      return runCache(step, { kind: "graft-received", vif: vifi, from, graft: m });
    case "graft-ack":
      return runCache(step, { kind: "graft-ack-received", vif: vifi, from, ack: m });
  }
}

/**
 * Answers an Ask Neighbors2 (section 11.2) with a Neighbors2 listing every vif: our address,
 * metric, threshold, flags and neighbors (0.0.0.0 for none; a tunnel's far end).
 */
function answerAskNeighbors2(step: RouterStep, vif: RouterVif, to: number): void {
  const { state } = step;
  const vifs: DvmrpNeighbors2Vif[] = [];
  for (const v of [...state.vifs.values()].sort((a, b) => a.vifi - b.vifi)) {
    const neighbors = neighborsOn(state.neighbors, v.vifi).filter((n) => n.twoWay)
      .map((n) => n.address);
    const lan = state.proxy.vifs.get(v.vifi);
    vifs.push({
      localAddress: v.address,
      metric: v.metric,
      threshold: v.threshold,
      flags: {
        tunnel: v.tunnel !== undefined,
        sourceRoute: false,
        down: false,
        disabled: false,
        querier: lan?.querier === true,
        leaf: isLeafVif(state.neighbors, v.vifi),
      },
      neighbors: neighbors.length > 0 ? neighbors : [v.tunnel?.remote ?? 0],
    });
  }
  send(step, vif.vifi, to, encodeNeighbors2(vifs, HEADER), `neighbors2 to ${formatIPv4(to)}`);
}

/** Answers to Ask Neighbors2 per second at most (and in a burst): no reflector for floods. */
export const ASK_NEIGHBORS2_RATE = 10;

/** Whether an answer may go now (a token bucket of {@link ASK_NEIGHBORS2_RATE}). */
function takeAnswerToken(state: RouterState, now: number): boolean {
  const bucket = state.askBudget;
  bucket.tokens = Math.min(
    ASK_NEIGHBORS2_RATE,
    bucket.tokens + (now - bucket.at) * ASK_NEIGHBORS2_RATE / 1000,
  );
  bucket.at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens--;
  return true;
}

/** Whether an address is on a vif's subnet or one of its altnets. */
function onSubnet(vif: RouterVif, address: number): boolean {
  return prefixContainsIPv4(vif.address, vif.prefixLength, address) ||
    inAnySubnet(address, vif.altnets);
}

/** Whether an address is ours (a message looped back, or a tunnel to ourselves). */
function isOwnAddress(state: RouterState, address: number): boolean {
  for (const v of state.vifs.values()) if (v.address === address) return true;
  return state.proxy.ownAddresses.has(address);
}

/**
 * The vif a message belongs to: the tunnel whose far end sent it to our end of it (unicast, as
 * mrouted has it: the same router's multicast on a LAN stays the LAN's), else its arrival
 * interface's.
 */
function vifOf(
  state: RouterState,
  ifindex: number,
  source: number,
  destination: number,
): RouterVif | undefined {
  for (const v of state.vifs.values()) {
    if (v.tunnel?.remote === source && v.address === destination) return v;
  }
  const lan = state.proxy.byIfindex.get(ifindex);
  return lan === undefined ? undefined : state.vifs.get(lan.vifi);
}
