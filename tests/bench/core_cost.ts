/**
 * The core's own cost of IGMPv3 reports with sources, without a kernel: the same loads as
 * `deno task bench-sources` (10,000 (group, source) pairs as MODE_IS_INCLUDE records of k
 * sources, as many records to a report as fit), fed as packets to a proxy with one upstream
 * and two LANs. For each k it prints
 * - the live V8 heap per pair once every pair was reported (after full collections), and
 * - records per second through `step` (decoding included) for the first pass, which creates
 *   the state and joins upstream, and for refresh passes, which a storm of reports is.
 *
 * The daemon adds the socket reads, the kernel calls and the runtime's own memory; this tells
 * how much of its cost is the core's, on this machine's CPU (run it on the host and in the
 * test VM to see what emulation costs).
 *
 * ```sh
 * deno run --v8-flags=--expose-gc,--max-semi-space-size=1 tests/bench/core_cost.ts [k ...]
 * ```
 *
 * @module
 */

import { createProxy, step } from "../../src/core/proxy.ts";
import { DN1, DN2, UP } from "../../src/core/proxy_testing.ts";
import { ip } from "../../src/proto/testing.ts";
import { loadFor, passPackets, type SourceLoad } from "./source_reports.ts";

const gc = (globalThis as { gc?: () => void }).gc;

/** The heap in use after full collections, in bytes. */
function heapAfterGc(): number {
  if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");
  for (let i = 0; i < 3; i++) gc();
  return Deno.memoryUsage().heapUsed;
}

/** What {@link measureCoreCost} found for one load. */
export interface CoreCost {
  /** The load. */
  load: SourceLoad;
  /** Live heap per (group, source) pair, bytes. */
  heapPerPair: number;
  /** Records per second of the first pass (state created, groups joined upstream). */
  firstPassPerS: number;
  /** Records per second of refresh passes (the state stands). */
  refreshPerS: number;
}

/** Feeds the load to a fresh proxy: one pass, then `passes` refresh passes, timed. */
export function measureCoreCost(load: SourceLoad, passes: number): CoreCost {
  const state = createProxy({ interfaces: [UP, DN1, DN2] });
  step(state, { kind: "start" }, 0);
  const packets = passPackets(load, ip("10.1.0.11"));
  const records = load.groups;
  // Times as the runtime gives them (performance.now(): fractional ms).
  let now = 1000.25;
  const pass = () => {
    for (const data of packets) {
      step(state, { kind: "packet", ifindex: DN1.ifindex, data, length: data.length }, now);
      now += 0.37;
    }
  };
  const before = heapAfterGc();
  let t = performance.now();
  pass();
  const first = performance.now() - t;
  const heapPerPair = (heapAfterGc() - before) / (load.groups * load.sourcesPerRecord);
  if (state.upstreamJoined.size !== load.groups) {
    throw new Error(`${state.upstreamJoined.size} of ${load.groups} groups joined upstream`);
  }
  t = performance.now();
  for (let i = 0; i < passes; i++) pass();
  const refresh = (performance.now() - t) / passes;
  return {
    load,
    heapPerPair,
    firstPassPerS: records / (first / 1000),
    refreshPerS: records / (refresh / 1000),
  };
}

if (import.meta.main) {
  const ks = Deno.args.length > 0 ? Deno.args.map(Number) : [1, 10, 50];
  for (const k of ks) {
    const load = loadFor({ pairs: 10_000, sourcesPerRecord: k });
    // About a million records of refreshes, so that the JIT has settled.
    const passes = Math.max(10, Math.round(1_000_000 / load.groups));
    const c = measureCoreCost(load, passes);
    console.log(
      `${k} source(s) a record, ${load.groups} groups, ${load.recordsPerReport} records a ` +
        `report: heap ${c.heapPerPair.toFixed(0)} B/pair, first pass ` +
        `${c.firstPassPerS.toFixed(0)} records/s, refresh ${c.refreshPerS.toFixed(0)} records/s`,
    );
  }
}
