/**
 * The core's live memory per group, measured without a kernel: a proxy with one upstream and two
 * LANs takes IGMPv2 reports for N groups (alternating LANs), and the V8 heap is read after a
 * full garbage collection before and after. Complements the daemon's RSS in `bench.ts`, which
 * also counts the runtime.
 *
 * ```sh
 * deno run --v8-flags=--expose-gc tests/bench/group_memory.ts [GROUPS]   # default 10000
 * ```
 *
 * @module
 */

import { createProxy, step } from "../../src/core/proxy.ts";
import { DN1, DN2, reportFor, UP } from "../../src/core/proxy_testing.ts";

const gc = (globalThis as { gc?: () => void }).gc;

/** The heap in use after a full collection, in bytes. */
function heapAfterGc(): number {
  if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");
  for (let i = 0; i < 3; i++) gc();
  return Deno.memoryUsage().heapUsed;
}

/** Bytes of live state per group for `groups` groups on two LANs. */
export function measureGroupMemory(groups: number): { bytes: number; perGroup: number } {
  const state = createProxy({ interfaces: [UP, DN1, DN2] });
  step(state, { kind: "start" }, 0);
  const before = heapAfterGc();
  for (let i = 0; i < groups; i++) {
    const group = (0xef050000 + i) >>> 0; // 239.5.x.y
    const lan = i % 2 === 0 ? DN1 : DN2;
    // Times as the runtime gives them (performance.now(): fractional ms).
    reportFor(state, group, { ifindex: lan.ifindex, from: "10.1.0.11" }, 1000.25 + i);
  }
  const bytes = heapAfterGc() - before;
  // Keep the state alive past the measurement.
  if (state.upstreamJoined.size !== groups) throw new Error("Not every group was joined");
  return { bytes, perGroup: bytes / groups };
}

if (import.meta.main) {
  const groups = Number(Deno.args[0] ?? 10_000);
  const { bytes, perGroup } = measureGroupMemory(groups);
  console.log(
    `${groups} groups: ${(bytes / 1024).toFixed(0)} KiB of heap, ${
      perGroup.toFixed(0)
    } bytes per group`,
  );
}
