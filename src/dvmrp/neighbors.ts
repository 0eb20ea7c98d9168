/**
 * DVMRP neighbor discovery (draft-ietf-idmr-dvmrp-v3-11, "the draft" below, section 3.2) as a
 * pure machine: {@link stepNeighbors} takes the table, an event and `now` (ms), updates the
 * table and returns what the runtime must do: probes to send, adjacencies that came up or went,
 * log lines. Each neighbor runs the table of `neighbor_fsm.ts`.
 *
 * ```
 *  vif-up ──▶ a probe at once, then every Probe Interval (10 s)
 *  probe-received ──▶ the neighbor recorded, refreshed for 35 s; two-way once its probe lists
 *                     us: neighbor-up (the route layer sends it the table) and a probe at once
 *  tick ──▶ neighbors not heard for 35 s lost; due probes
 *  vif-down ──▶ its neighbors lost, no more probes
 * ```
 *
 * Probes carry the table's generation ID (one for the process, all interfaces: section 3.2.2
 * allows one per interface, mrouted uses one) and the addresses of every neighbor heard on the
 * interface, one-way or two-way, in address order (section 3.2.3). They go to All-DVMRP-Routers
 * (224.0.0.4), or unicast to the far end of a tunnel.
 *
 * Where the draft leaves room, mrouted's observable behaviour is followed:
 * - A probe goes out at once when an adjacency comes up and when a neighbor restarted, so that
 *   it hears its address from us without waiting up to 10 s. It does not move the periodic
 *   probes, and at most one probe per interface leaves per event.
 * - A restart is a new generation ID or a new version: the neighbor is lost (`restarted`) and
 *   its probe is taken as the first from a new neighbor, two-way again if it lists us.
 * - Probes of versions before 3.3 (Appendix C) have no generation ID and no neighbor list: such
 *   a neighbor is two-way from its first probe, and expires after
 *   {@link OLD_NEIGHBOR_EXPIRE_TIME} (140 s), as mrouted times out old neighbors.
 * - A two-way neighbor whose probe omits us is one-way at once; mrouted waits 20 s, because it
 *   keeps the adjacency through a restart, which this machine does not.
 *
 * `neighbor-up` and `neighbor-lost` come in pairs (see `neighbor_fsm.ts`). An interface holds
 * at most {@link MAX_NEIGHBORS_PER_VIF} neighbors: a new one takes the place of the one-way
 * neighbor heard first; when all are two-way, probes from more are dropped with one warning
 * until there is room again. Probes from our own address (a loop back) are ignored. That the
 * sender is on the interface's subnet, or is the tunnel's far end, is the caller's to check.
 *
 * @module
 */

import { formatIPv4 } from "../proto/addr.ts";
import type { DvmrpCapabilities, DvmrpProbe } from "../proto/dvmrp.ts";
import {
  LOST_REASON,
  type NeighborFsmEvent,
  type NeighborFsmRow,
  type NeighborLostReason,
  type NeighborState,
  neighborTransition,
} from "./neighbor_fsm.ts";

export {
  LOST_REASON,
  NEIGHBOR_FSM,
  type NeighborFsmAction,
  type NeighborFsmEvent,
  type NeighborFsmRow,
  type NeighborLostReason,
  type NeighborState,
  neighborTransition,
} from "./neighbor_fsm.ts";

/** Probe Interval, 10 s (section 3.2, Appendix A): a probe on every interface this often. */
export const PROBE_INTERVAL = 10_000;
/** Neighbor Time-out Interval, 35 s (section 3.2.4, Appendix A). */
export const NEIGHBOR_EXPIRE_TIME = 35_000;
/** The time-out of a neighbor older than version 3.3, 140 s: mrouted's value (Appendix C). */
export const OLD_NEIGHBOR_EXPIRE_TIME = 140_000;
/** Most neighbors recorded per interface; probes from more are dropped. */
export const MAX_NEIGHBORS_PER_VIF = 64;

/** A router heard on an interface. */
export interface DvmrpNeighbor {
  /** Its address. */
  readonly address: number;
  /** The interface it is on. */
  readonly vif: number;
  /** Its generation ID; undefined for versions before 3.3 (Appendix C). */
  genid: number | undefined;
  /** Its major version (3; cisco sends 10 or 11). */
  majorVersion: number;
  /** Its minor version (0xff for the draft). */
  minorVersion: number;
  /** Its capabilities, from its last probe. */
  capabilities: DvmrpCapabilities;
  /** Whether its probes list us: an adjacency (section 3.2.3). */
  twoWay: boolean;
  /** When it is lost unless a probe comes (ms). */
  expiresAt: number;
  /** When it was first heard, or heard again after a restart (ms). */
  since: number;
}

/** An interface that runs DVMRP, and the neighbors heard on it. */
export interface NeighborVif {
  /** Its number. */
  readonly vif: number;
  /** Our address on it: a probe that lists it makes the sender two-way. */
  readonly address: number;
  /** A tunnel's far end, where probes go unicast; undefined on a LAN. */
  readonly remote: number | undefined;
  /** The neighbors by address. */
  readonly neighbors: Map<number, DvmrpNeighbor>;
  /** When the next periodic probe is due (ms). */
  probeAt: number;
  /** Whether the neighbor limit was hit and warned of; cleared when a new one fits again. */
  full: boolean;
}

/** Neighbor discovery's state: our generation ID and the interfaces that are up. */
export interface NeighborTable {
  /** Our generation ID (section 3.2.2), fixed for the process. */
  readonly genid: number;
  /** The interfaces that run DVMRP, by number. */
  readonly vifs: Map<number, NeighborVif>;
}

/** What neighbor discovery reacts to. */
export type NeighborEvent =
  /**
   * An interface runs DVMRP, with our address on it; a tunnel names its far end, where probes
   * go unicast. One already up goes down first.
   */
  | { kind: "vif-up"; vif: number; address: number; tunnel?: { remote: number } }
  /** An interface stops: its neighbors are lost. */
  | { kind: "vif-down"; vif: number }
  /** A probe from `from`, decoded, on an interface (the sender checked to be on it). */
  | { kind: "probe-received"; vif: number; from: number; probe: DvmrpProbe }
  /** Time passed: time-outs and periodic probes. */
  | { kind: "tick" };

/** What neighbor discovery asks the runtime to do. */
export type NeighborAction =
  /**
   * Send a probe on an interface: to the tunnel's far end `to`, else to All-DVMRP-Routers. The
   * runtime encodes it with `encodeProbe({ generationId: table.genid, neighbors })`.
   */
  | { kind: "send-probe"; vif: number; to?: number; neighbors: number[] }
  /** An adjacency became two-way: the route layer sends the neighbor the whole table. */
  | { kind: "neighbor-up"; vif: number; neighbor: number }
  /** A two-way adjacency ended: its routes go into hold-down (section 3.2.4). */
  | { kind: "neighbor-lost"; vif: number; neighbor: number; reason: NeighborLostReason }
  /** A line to log. */
  | { kind: "log"; level: "info" | "debug" | "warn"; message: string };

/** What one step collects while it runs. */
interface NeighborStep {
  readonly table: NeighborTable;
  readonly now: number;
  readonly out: NeighborAction[];
  /** The interfaces to probe once the event is done. */
  readonly probe: Set<number>;
}

/** An event for one neighbor, with the probe where there is one. */
type NeighborInput =
  | { event: "probe-lists-us" | "probe-omits-us"; probe: DvmrpProbe }
  | { event: Exclude<NeighborFsmEvent, "probe-lists-us" | "probe-omits-us"> };

/**
 * An empty table with our generation ID: any 32-bit number that differs from the last run's,
 * such as the time in seconds (mrouted's choice).
 */
export function createNeighborTable(genid: number): NeighborTable {
  if (!Number.isInteger(genid) || genid < 0 || genid > 0xffffffff) {
    throw new RangeError(`Generation ID outside 0-4294967295: ${genid}`);
  }
  return { genid, vifs: new Map() };
}

/**
 * Runs one event at `now` (ms). Returns `neighbor-up`, `neighbor-lost` and log lines in the
 * order they happened, then the probes to send (one per interface at most).
 *
 * @example
 * ```ts
 * import { createNeighborTable, stepNeighbors } from "./neighbors.ts";
 *
 * const table = createNeighborTable(0x5f000000);
 * stepNeighbors(table, { kind: "vif-up", vif: 0, address: 0x0a000001 }, 0);
 * // [{ kind: "send-probe", vif: 0, neighbors: [] }]
 * ```
 */
export function stepNeighbors(
  table: NeighborTable,
  event: NeighborEvent,
  now: number,
): NeighborAction[] {
  const step: NeighborStep = { table, now, out: [], probe: new Set() };
  switch (event.kind) {
    case "vif-up":
      vifUp(step, event);
      break;
    case "vif-down":
      vifDown(step, event.vif);
      break;
    case "probe-received":
      probeReceived(step, event);
      break;
    case "tick":
      expireNeighbors(step);
      sendDueProbes(step);
      break;
  }
  for (const vif of step.probe) {
    const v = table.vifs.get(vif);
    if (v !== undefined) step.out.push(probeOn(table, v));
  }
  return step.out;
}

/** The table's next deadline: a neighbor's time-out or a periodic probe (Infinity: none). */
export function nextNeighborDeadline(table: NeighborTable): number {
  let at = Infinity;
  for (const v of table.vifs.values()) {
    at = Math.min(at, v.probeAt);
    for (const n of v.neighbors.values()) at = Math.min(at, n.expiresAt);
  }
  return at;
}

/** The neighbors heard on `vif`, one-way and two-way, in address order. */
export function neighborsOn(table: NeighborTable, vif: number): DvmrpNeighbor[] {
  const v = table.vifs.get(vif);
  if (v === undefined) return [];
  return [...v.neighbors.values()].sort((a, b) => a.address - b.address);
}

/** A neighbor on `vif`: the runtime passes on only reports from two-way ones (3.4.6). */
export function findNeighbor(
  table: NeighborTable,
  vif: number,
  address: number,
): DvmrpNeighbor | undefined {
  return table.vifs.get(vif)?.neighbors.get(address >>> 0);
}

/**
 * Whether `vif` is a leaf: no two-way neighbor on it (an interface not up is one too). Data is
 * forwarded onto a leaf only for group members there.
 */
export function isLeafVif(table: NeighborTable, vif: number): boolean {
  const v = table.vifs.get(vif);
  if (v === undefined) return true;
  for (const n of v.neighbors.values()) if (n.twoWay) return false;
  return true;
}

function vifUp(step: NeighborStep, e: Extract<NeighborEvent, { kind: "vif-up" }>): void {
  const { table, now } = step;
  if (table.vifs.has(e.vif)) vifDown(step, e.vif);
  table.vifs.set(e.vif, {
    vif: e.vif,
    address: e.address >>> 0,
    remote: e.tunnel === undefined ? undefined : e.tunnel.remote >>> 0,
    neighbors: new Map(),
    probeAt: now + PROBE_INTERVAL,
    full: false,
  });
  step.probe.add(e.vif);
}

function vifDown(step: NeighborStep, vif: number): void {
  const v = step.table.vifs.get(vif);
  if (v === undefined) return;
  for (const address of [...v.neighbors.keys()]) {
    runNeighbor(step, v, address, { event: "vif-down" });
  }
  step.table.vifs.delete(vif);
  step.probe.delete(vif);
}

function probeReceived(
  step: NeighborStep,
  e: Extract<NeighborEvent, { kind: "probe-received" }>,
): void {
  const v = step.table.vifs.get(e.vif);
  const from = e.from >>> 0;
  if (v === undefined) {
    log(step, "debug", `Ignoring DVMRP probe from "${formatIPv4(from)}": vif ${e.vif} is down`);
    return;
  }
  if (from === v.address) {
    log(step, "debug", `Ignoring DVMRP probe from our own address "${formatIPv4(from)}"`);
    return;
  }
  const { probe } = e;
  const n = v.neighbors.get(from);
  if (n === undefined && v.neighbors.size >= MAX_NEIGHBORS_PER_VIF) evictOneWay(v);
  if (n === undefined && v.neighbors.size >= MAX_NEIGHBORS_PER_VIF) {
    if (!v.full) {
      v.full = true;
      log(
        step,
        "warn",
        `Too many DVMRP neighbors on vif ${v.vif}: ignoring "${formatIPv4(from)}" and ` +
          `others beyond ${MAX_NEIGHBORS_PER_VIF}`,
      );
    }
    return;
  }
  if (n === undefined) v.full = false;
  if (n !== undefined && restarted(n, probe)) {
    runNeighbor(step, v, from, { event: "restarted" });
  }
  const event = listsUs(probe, v.address) ? "probe-lists-us" : "probe-omits-us";
  runNeighbor(step, v, from, { event, probe });
}

/** Time-outs: a neighbor not heard for its time-out interval is lost (section 3.2.4). */
function expireNeighbors(step: NeighborStep): void {
  for (const v of step.table.vifs.values()) {
    for (const n of [...v.neighbors.values()]) {
      if (n.expiresAt <= step.now) runNeighbor(step, v, n.address, { event: "timeout" });
    }
  }
}

/** The periodic probes due; those a late tick missed are not made up. */
function sendDueProbes(step: NeighborStep): void {
  for (const v of step.table.vifs.values()) {
    if (v.probeAt > step.now) continue;
    v.probeAt += (Math.floor((step.now - v.probeAt) / PROBE_INTERVAL) + 1) * PROBE_INTERVAL;
    step.probe.add(v.vif);
  }
}

/**
 * Makes room on a full interface by forgetting the one-way neighbor heard first: made-up
 * probes (which never list us) cannot keep a real router out; two-way neighbors stay.
 */
function evictOneWay(v: NeighborVif): void {
  let oldest: DvmrpNeighbor | undefined;
  for (const n of v.neighbors.values()) {
    if (!n.twoWay && (oldest === undefined || n.since < oldest.since)) oldest = n;
  }
  if (oldest !== undefined) v.neighbors.delete(oldest.address);
}

/** Runs the row for one neighbor's event, and logs the transition if its state changed. */
function runNeighbor(
  step: NeighborStep,
  v: NeighborVif,
  address: number,
  input: NeighborInput,
): void {
  const from = stateOf(v.neighbors.get(address));
  const row = neighborTransition(from, input.event);
  if (row === undefined) return;
  for (const action of row.actions) {
    switch (action) {
      case "record":
        if ("probe" in input) record(step, v, address, input.probe);
        break;
      case "announce-up":
        step.out.push({ kind: "neighbor-up", vif: v.vif, neighbor: address });
        break;
      case "announce-lost": {
        const reason = LOST_REASON[input.event];
        if (reason !== undefined) {
          step.out.push({ kind: "neighbor-lost", vif: v.vif, neighbor: address, reason });
        }
        break;
      }
      case "probe-now":
        step.probe.add(v.vif);
        break;
      case "forget":
        v.neighbors.delete(address);
        break;
    }
  }
  const n = v.neighbors.get(address);
  if (n !== undefined) n.twoWay = row.next === "two-way";
  logTransition(step, v, address, from, row);
}

/** Creates or refreshes a neighbor's record from its probe. */
function record(step: NeighborStep, v: NeighborVif, address: number, probe: DvmrpProbe): void {
  const expiresAt = step.now + expireTimeOf(probe);
  const n = v.neighbors.get(address);
  const facts = {
    genid: probe.generationId,
    majorVersion: probe.majorVersion,
    minorVersion: probe.minorVersion,
    capabilities: { ...probe.capabilities },
    expiresAt,
  };
  if (n === undefined) {
    v.neighbors.set(address, {
      address,
      vif: v.vif,
      ...facts,
      twoWay: false,
      since: step.now,
    });
    return;
  }
  Object.assign(n, facts);
}

function logTransition(
  step: NeighborStep,
  v: NeighborVif,
  address: number,
  from: NeighborState,
  row: NeighborFsmRow,
): void {
  if (from === row.next) return;
  const adjacency = from === "two-way" || row.next === "two-way";
  log(
    step,
    adjacency ? "info" : "debug",
    `DVMRP neighbor "${formatIPv4(address)}" on vif ${v.vif}: ${from} to ${row.next} ` +
      `(${row.event})`,
  );
}

function log(step: NeighborStep, level: "info" | "debug" | "warn", message: string): void {
  step.out.push({ kind: "log", level, message });
}

function probeOn(table: NeighborTable, v: NeighborVif): NeighborAction {
  const neighbors = neighborsOn(table, v.vif).map((n) => n.address);
  return v.remote === undefined
    ? { kind: "send-probe", vif: v.vif, neighbors }
    : { kind: "send-probe", vif: v.vif, to: v.remote, neighbors };
}

function stateOf(n: DvmrpNeighbor | undefined): NeighborState {
  if (n === undefined) return "absent";
  return n.twoWay ? "two-way" : "one-way";
}

/** Whether a probe lists `address`; one without a generation ID has no list and counts as yes. */
function listsUs(probe: DvmrpProbe, address: number): boolean {
  if (probe.generationId === undefined) return true;
  return probe.neighbors.some((a) => a >>> 0 === address);
}

/** Whether a known neighbor restarted: another generation ID or version (section 3.2.2). */
function restarted(n: DvmrpNeighbor, probe: DvmrpProbe): boolean {
  return n.genid !== probe.generationId || n.majorVersion !== probe.majorVersion ||
    n.minorVersion !== probe.minorVersion;
}

function expireTimeOf(probe: DvmrpProbe): number {
  return probe.generationId === undefined ? OLD_NEIGHBOR_EXPIRE_TIME : NEIGHBOR_EXPIRE_TIME;
}
