import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { cacheStats } from "../dvmrp/cache.ts";
import type { RouterSettings } from "../dvmrp/router.ts";
import { createLogger } from "../log.ts";
import { FakeSys } from "../../tests/fakes/fake_sys.ts";
import { IPV4, scanInterfaces } from "./interfaces.ts";
import { Plane } from "./plane.ts";
import { CONFIGURED, describeCalls, G, messages, S, SYSTEM } from "./plane_testing.ts";
import { routerCore } from "./router_core.ts";

const SETTINGS: RouterSettings = {
  metrics: new Map(),
  tunnels: [],
  pruning: true,
  pruneLifetime: 7_200_000,
  cacheLifetime: 300_000,
  genid: 1,
};

/**
 * The routing mode's plane over the fake OS, started, with a kernel entry for (S, G): S is on
 * up0's subnet (vif 0), so the entry has no upstream neighbor to prune to and lives by its
 * packet counts alone.
 */
function routed() {
  const sys = new FakeSys(SYSTEM);
  const lines: string[] = [];
  const log = createLogger({ sink: (_l, line) => lines.push(line), verbosity: 1 });
  let now = 0;
  const plane = new Plane({
    spec: IPV4,
    port: sys.ipv4,
    configured: CONFIGURED,
    log,
    now: () => now,
    core: routerCore(SETTINGS),
  });
  plane.init();
  plane.start(scanInterfaces(IPV4, CONFIGURED, sys.systemInterfaces).usable, now);
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: S, group: G });
  plane.drain();
  ok(sys.mfc.has(`${S}/${G}`));
  sys.calls.length = 0;
  /** Ticks the plane at each deadline up to `until`; returns the entry calls made. */
  const runUntil = (until: number): string[] => {
    const from = sys.calls.length;
    for (let at = plane.nextDeadline(); at <= until; at = plane.nextDeadline()) {
      now = Math.max(now, at);
      plane.tick(now);
    }
    now = until;
    return describeCalls(sys.calls.slice(from)).filter((c) => /Mfc|sgCount/.test(c));
  };
  const entries = () => cacheStats(plane.core!.router!.cache).entries;
  return { sys, lines, runUntil, entries };
}

Deno.test("routing mode: a forwarding entry's counts are read at its lifetime's end; it lives while packets flow", () => {
  const { sys, runUntil, entries } = routed();
  sys.packets.set(`${S}/${G}`, 25);
  deepStrictEqual(runUntil(299_999), []);
  deepStrictEqual(runUntil(300_000), ["sgCount (10.0.0.2, 239.1.1.1)"]);
  equal(entries(), 1);
  // No packet in the next lifetime: deleted at its end.
  deepStrictEqual(runUntil(600_000), [
    "sgCount (10.0.0.2, 239.1.1.1)",
    "delMfc (10.0.0.2, 239.1.1.1)",
  ]);
  equal(sys.mfc.size, 0);
  equal(entries(), 0);
});

Deno.test("routing mode: an entry that forwarded nothing is deleted at its lifetime's end", () => {
  const { sys, runUntil, lines } = routed();
  deepStrictEqual(runUntil(300_000), [
    "sgCount (10.0.0.2, 239.1.1.1)",
    "delMfc (10.0.0.2, 239.1.1.1)",
  ]);
  equal(sys.mfc.size, 0);
  deepStrictEqual(messages(lines, "warn"), []);
});

Deno.test("routing mode: an entry gone from the kernel, its counts unreadable, is forgotten", () => {
  const { sys, runUntil, lines, entries } = routed();
  sys.mfc.clear();
  deepStrictEqual(runUntil(300_000), [
    "sgCount (10.0.0.2, 239.1.1.1)",
    "delMfc (10.0.0.2, 239.1.1.1)",
  ]);
  equal(entries(), 0);
  ok(
    messages(lines, "debug").includes(
      "Cannot read the counters of (10.0.0.2, 239.1.1.1): ENOENT",
    ),
  );
  // The delete is still asked (the read may have failed for another reason); the kernel's
  // ENOENT says it is done: a debug line, no warning.
  deepStrictEqual(messages(lines, "warn"), []);
  ok(
    messages(lines, "debug").includes(
      "Cannot delete MFC entry for (10.0.0.2, 239.1.1.1): ENOENT (gone already)",
    ),
  );
});
