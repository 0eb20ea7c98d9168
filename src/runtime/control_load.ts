/**
 * What the control server's limits look at in a client, and what they decide: which client to
 * drop when all of them together hold too many unsent bytes, when the next one may count as not
 * reading, and when an idle one is due to go. Pure: the times are `performance.now()`
 * milliseconds handed in.
 *
 * @module
 */

/** A client as the limits see it. */
export interface ClientLoad {
  /** Bytes of its replies not written yet. */
  readonly pending: number;
  /** When its unsent bytes last went down, or began from none (ms). */
  readonly movedAt: number;
  /** When it connected, last sent a request or last took any of its bytes (ms). */
  readonly activeAt: number;
  /** Requests of it are being answered or wait for their turn: it is not idle. */
  readonly busy: boolean;
  /** It gets a stream (`monitor`): it is never idle. */
  readonly streaming: boolean;
}

/** When a client counts as not reading: `stallMs` after its bytes last moved. */
export interface StallRule {
  /** The time now (ms). */
  now: number;
  /** How long unsent bytes stay untouched before their client counts as not reading (ms). */
  stallMs: number;
}

/**
 * The client with the most unsent bytes among those whose bytes have not moved for
 * `rule.stallMs`: the one to drop when all clients hold too much. None when every client with
 * unsent bytes still takes them (theirs are on their way).
 *
 * @example
 * ```ts
 * const a = { pending: 10, movedAt: 0, activeAt: 0, busy: false, streaming: false };
 * const b = { ...a, pending: 20, movedAt: 900 };
 * mostStalled([a, b], { now: 1000, stallMs: 500 }); // a: b's bytes moved 100 ms ago
 * ```
 */
export function mostStalled<C extends ClientLoad>(
  clients: Iterable<C>,
  rule: StallRule,
): C | undefined {
  let worst: C | undefined;
  for (const c of clients) {
    if (c.pending === 0 || rule.now - c.movedAt < rule.stallMs) continue;
    if (worst === undefined || c.pending > worst.pending) worst = c;
  }
  return worst;
}

/**
 * The earliest time a client with unsent bytes counts as not reading if they do not move by
 * then; undefined when no client has any.
 */
export function nextStallAt(clients: Iterable<ClientLoad>, stallMs: number): number | undefined {
  let at: number | undefined;
  for (const c of clients) {
    if (c.pending === 0) continue;
    const due = c.movedAt + stallMs;
    if (at === undefined || due < at) at = due;
  }
  return at;
}

/**
 * When a client is due to be dropped as idle, `idleMs` after it was last active; undefined while
 * it is busy or streaming. A client whose unsent bytes do not move is idle too: it takes nothing.
 */
export function idleAt(c: ClientLoad, idleMs: number): number | undefined {
  return c.busy || c.streaming ? undefined : c.activeAt + idleMs;
}
