/**
 * What the daemon says of itself: the one-line summary logged at start and after a reload, and
 * the memory line that ends the status dump (SIGUSR1).
 *
 * @module
 */

import type { Address } from "../core/family.ts";
import type { Plane } from "./plane.ts";

/** What the process uses of memory, in bytes (the fields of `Deno.memoryUsage()`). */
export interface MemoryUsage {
  /** Resident set size. */
  rss: number;
  /** The JavaScript heap's size. */
  heapTotal: number;
  /** The part of it in use. */
  heapUsed: number;
  /** Memory of JavaScript objects held outside the heap (buffers). */
  external: number;
}

/**
 * The dump's memory line; the resident size is left out when it reads 0 (no /proc in the
 * jail).
 *
 * @example
 * ```ts
 * describeMemory({ rss: 52428800, heapTotal: 20971520, heapUsed: 10485760, external: 1048576 });
 * // "Memory: 50.0 MB resident, JavaScript heap 10.0 MB used of 20.0 MB, 1.0 MB outside it"
 * ```
 */
export function describeMemory(m: MemoryUsage): string {
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  // In the jail there is no /proc to read the resident size from: it reads as 0.
  const resident = m.rss > 0 ? `${mb(m.rss)} resident, ` : "";
  return `Memory: ${resident}JavaScript heap ${mb(m.heapUsed)} used of ` +
    `${mb(m.heapTotal)}, ${mb(m.external)} outside it`;
}

/**
 * What each family runs on, for the log, the planes being started.
 *
 * @example
 * ```ts
 * describeRunning(planes);
 * // 'upstream "up0", 2 downstream; IPv6: no upstream yet, 1 downstream, waiting for "up0"'
 * ```
 */
export function describeRunning(planes: readonly Plane<Address>[]): string {
  return planes.map((plane) => plane.spec.logPrefix + describePlane(plane)).join("; ");
}

/** One family's part of {@link describeRunning}. */
function describePlane(plane: Plane<Address>): string {
  const router = plane.core?.router;
  if (router !== undefined) {
    const tunnels = [...router.vifs.values()].filter((v) => v.tunnel !== undefined).length;
    return `DVMRP on ${router.vifs.size - tunnels} interfaces and ${tunnels} tunnels`;
  }
  const vifs = [...plane.state!.vifs.values()];
  const up = plane.state!.upstream;
  const downstream = vifs.filter((v) => v.role === "downstream").length;
  const waiting = plane.configured.filter((c) => !vifs.some((v) => v.name === c.name));
  return `${up === undefined ? "no upstream yet" : `upstream "${up.name}"`}, ` +
    `${downstream} downstream` +
    (waiting.length === 0 ? "" : `, waiting for ${waiting.map((c) => `"${c.name}"`).join(", ")}`);
}
