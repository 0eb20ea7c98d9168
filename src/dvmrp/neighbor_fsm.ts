/**
 * The state machine of one DVMRP neighbor (draft-ietf-idmr-dvmrp-v3-11, "the draft" below,
 * section 3.2) as a table of rows `{state, event, actions, next}`, run by `neighbors.ts`.
 *
 * ```
 *  absent ──probe omits us──▶ one-way ──probe lists us: up──▶ two-way
 *    │                          ▲                               │
 *    │                          └─────probe omits us: lost──────┤
 *    └─────────────────probe lists us: up──────────────────────▶┘
 *  one-way, two-way ──timeout, vif-down, restarted──▶ absent (lost if it was two-way)
 * ```
 *
 * A neighbor is one-way while its probes do not list our address: we hear it, it does not
 * (yet) hear us. It is two-way, an adjacency, once they do (section 3.2.3); only then does the
 * route layer exchange reports with it. `neighbor-up` and `neighbor-lost` come in pairs: a
 * neighbor that was never two-way is forgotten without a `neighbor-lost`, and one that fell back
 * to one-way is not lost a second time when it times out.
 *
 * @module
 */

/** Where a neighbor stands; `absent` is a neighbor with no record (never heard, or forgotten). */
export type NeighborState = "absent" | "one-way" | "two-way";

/** What happens to a neighbor. */
export type NeighborFsmEvent =
  /** A probe from it lists our address on the interface (or carries no list: Appendix C). */
  | "probe-lists-us"
  /** A probe from it does not list our address. */
  | "probe-omits-us"
  /**
   * Its generation ID or version changed (section 3.2.2): it restarted, and everything known
   * of it goes; the probe that told us is then run again against `absent`.
   */
  | "restarted"
  /** Nothing heard from it for the Neighbor Time-out Interval (section 3.2.4). */
  | "timeout"
  /** Its interface stopped. */
  | "vif-down";

/** What a row does, in order. */
export type NeighborFsmAction =
  /** Create or refresh the record: expiry, generation ID, version, capabilities. */
  | "record"
  /** Emit `neighbor-up`: the route layer sends it the whole table (section 3.4.5). */
  | "announce-up"
  /** Emit `neighbor-lost` with the reason of the event ({@link LOST_REASON}). */
  | "announce-lost"
  /** Send a probe on the interface at once, listing the neighbor, so it hears of us now. */
  | "probe-now"
  /** Remove the record. */
  | "forget";

/** Why a two-way neighbor stopped being one. */
export type NeighborLostReason = "timeout" | "restarted" | "one-way" | "vif-down";

/** One transition. */
export interface NeighborFsmRow {
  /** The state it applies in. */
  readonly state: NeighborState;
  /** The event it answers. */
  readonly event: NeighborFsmEvent;
  /** What it does, in order. */
  readonly actions: readonly NeighborFsmAction[];
  /** The state after it. */
  readonly next: NeighborState;
}

/** The reason a `neighbor-lost` carries for each event that can lose a neighbor. */
export const LOST_REASON: Readonly<Record<NeighborFsmEvent, NeighborLostReason | undefined>> =
  Object.freeze({
    "probe-lists-us": undefined,
    "probe-omits-us": "one-way",
    restarted: "restarted",
    timeout: "timeout",
    "vif-down": "vif-down",
  });

const UP = ["record", "announce-up", "probe-now"] as const;

/**
 * The neighbor state machine (section 3.2). An event without a row in a state (a timeout of an
 * absent neighbor) changes nothing.
 *
 * - A probe that lists us makes the adjacency two-way (3.2.3) and we probe at once, as mrouted
 *   does, so that the neighbor, which may still hold us one-way, hears its address from us.
 * - A two-way neighbor whose probe stops listing us lost us: the adjacency ends (one-way) but
 *   the neighbor stays recorded and listed in our probes.
 * - A restart forgets the neighbor and probes at once, as mrouted does, so that it relearns us.
 */
export const NEIGHBOR_FSM: readonly NeighborFsmRow[] = Object.freeze(
  [
    { state: "absent", event: "probe-omits-us", actions: ["record"], next: "one-way" },
    { state: "absent", event: "probe-lists-us", actions: UP, next: "two-way" },
    { state: "one-way", event: "probe-omits-us", actions: ["record"], next: "one-way" },
    { state: "one-way", event: "probe-lists-us", actions: UP, next: "two-way" },
    { state: "two-way", event: "probe-lists-us", actions: ["record"], next: "two-way" },
    {
      state: "two-way",
      event: "probe-omits-us",
      actions: ["record", "announce-lost"],
      next: "one-way",
    },
    { state: "one-way", event: "restarted", actions: ["forget", "probe-now"], next: "absent" },
    {
      state: "two-way",
      event: "restarted",
      actions: ["announce-lost", "forget", "probe-now"],
      next: "absent",
    },
    { state: "one-way", event: "timeout", actions: ["forget"], next: "absent" },
    { state: "two-way", event: "timeout", actions: ["announce-lost", "forget"], next: "absent" },
    { state: "one-way", event: "vif-down", actions: ["forget"], next: "absent" },
    { state: "two-way", event: "vif-down", actions: ["announce-lost", "forget"], next: "absent" },
  ] satisfies NeighborFsmRow[],
);

/**
 * The row for `event` in `state`, or `undefined` when the event means nothing there.
 *
 * @example
 * ```ts
 * import { neighborTransition } from "./neighbor_fsm.ts";
 *
 * neighborTransition("one-way", "probe-lists-us")?.next; // "two-way"
 * neighborTransition("absent", "timeout"); // undefined
 * ```
 */
export function neighborTransition(
  state: NeighborState,
  event: NeighborFsmEvent,
): NeighborFsmRow | undefined {
  return NEIGHBOR_FSM.find((r) => r.state === state && r.event === event);
}
