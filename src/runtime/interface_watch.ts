/**
 * When the daemon looks at the system's interfaces: at once when the system announces a change
 * (links appearing, vanishing, going up or down, addresses added or removed), and periodically
 * besides, in case an announcement was lost; every few seconds when the system cannot announce
 * changes at all.
 *
 * @module
 */

import type { Address } from "../core/family.ts";
import type { Logger } from "../log.ts";
import { errnoOrMessageOf } from "../log.ts";
import type { Plane } from "./plane.ts";
import type { Sys, SystemInterface } from "./sys.ts";

/** How often interfaces are looked at again although the system said nothing changed. */
export const RESCAN_INTERVAL_MS = 30_000;
/** The same when the system cannot tell about changes: this look is all there is. */
export const UNWATCHED_RESCAN_INTERVAL_MS = 5_000;

/** Options of {@link InterfaceWatch}. */
export interface InterfaceWatchOptions {
  /** The OS port: its watch and its interface list. */
  sys: Pick<Sys, "watchInterfaces" | "interfacesChanged" | "interfaces">;
  /** Where the watch's failures go. */
  log: Logger;
}

/** The system's announcements of interface changes, and the periodic look. */
export class InterfaceWatch {
  readonly #opts: InterfaceWatchOptions;
  #watching = false;
  #nextLook = 0;

  /** Prepares the watch; nothing is asked of the system until {@link start}. */
  constructor(opts: InterfaceWatchOptions) {
    this.#opts = opts;
  }

  /** When the next periodic look is due (ms). */
  get nextLook(): number {
    return this.#nextLook;
  }

  /**
   * Asks the system to announce changes; when it cannot, warns and looks every
   * {@link UNWATCHED_RESCAN_INTERVAL_MS} instead.
   */
  start(): void {
    try {
      this.#opts.sys.watchInterfaces();
      this.#watching = true;
    } catch (err) {
      this.#opts.log.warn(
        `Cannot watch interface changes: ${errnoOrMessageOf(err)}: looking every ${
          UNWATCHED_RESCAN_INTERVAL_MS / 1000
        } s instead`,
      );
    }
  }

  /** Makes the periodic look due at `now` (at start: a change may predate the watch). */
  lookSoon(now: number): void {
    this.#nextLook = now;
  }

  /**
   * Whether the system announced a change since the last call; it consumes the announcements,
   * so call it once per loop round. A watch that fails ends with a warning (and counts as a
   * change); looks go on every {@link UNWATCHED_RESCAN_INTERVAL_MS}.
   */
  changed(): boolean {
    if (!this.#watching) return false;
    try {
      return this.#opts.sys.interfacesChanged();
    } catch (err) {
      this.#watching = false;
      this.#opts.log.warn(
        `Cannot watch interface changes any more: ${errnoOrMessageOf(err)}: looking every ${
          UNWATCHED_RESCAN_INTERVAL_MS / 1000
        } s instead`,
      );
      return true;
    }
  }

  /**
   * Lists the system's interfaces once and lets each plane take in what changed, then
   * schedules the next periodic look; `periodic` says this one was due (see
   * {@link Plane.rescan}). A list that cannot be read is a warning.
   */
  look(planes: readonly Plane<Address>[], now: number, periodic: boolean): void {
    this.#nextLook = now + (this.#watching ? RESCAN_INTERVAL_MS : UNWATCHED_RESCAN_INTERVAL_MS);
    let system: SystemInterface[];
    try {
      system = this.#opts.sys.interfaces();
    } catch (err) {
      this.#opts.log.warn(`Cannot list interfaces: ${errnoOrMessageOf(err)}`);
      return;
    }
    for (const p of planes) p.rescan(system, now, periodic);
  }
}
