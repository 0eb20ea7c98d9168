import { deepStrictEqual, ok } from "node:assert/strict";
import type { ProxyInterface } from "../../src/core/proxy.ts";
import { DN1 } from "../../src/core/proxy_testing.ts";
import {
  createRouter,
  DEFAULT_CACHE_LIFETIME,
  DEFAULT_PRUNE_LIFETIME,
  stepRouter,
} from "../../src/dvmrp/router.ts";
import { MAX_NEIGHBORS_PER_VIF, neighborsOn } from "../../src/dvmrp/neighbors.ts";
import { MAX_ROUTES } from "../../src/dvmrp/route_table.ts";
import { ip, mulberry32 } from "../../src/proto/testing.ts";
import { DVMRP_GARBAGE_KINDS, dvmrpGarbagePacket } from "./dvmrp_packets.ts";

const LAN = DN1; // 10.1.0.1/24
const LINK: ProxyInterface = {
  ...LAN,
  name: "r2",
  ifindex: 2,
  address: ip("10.100.1.1"),
  subnets: [{ address: ip("10.100.1.1"), prefixLength: 24 }],
};

Deno.test("dvmrpGarbagePacket: 20000 hostile messages through the router core, no throw, bounded", () => {
  const state = createRouter({ interfaces: [LINK, LAN] }, {
    metrics: new Map(),
    tunnels: [],
    pruning: true,
    pruneLifetime: DEFAULT_PRUNE_LIFETIME,
    cacheLifetime: DEFAULT_CACHE_LIFETIME,
    genid: 1,
  });
  stepRouter(state, { kind: "start" }, 0);
  const rand = mulberry32(42);
  const byKind = new Map<string, number>();
  for (let i = 0; i < 20_000; i++) {
    const kind = DVMRP_GARBAGE_KINDS[i % DVMRP_GARBAGE_KINDS.length];
    const { packet } = dvmrpGarbagePacket(kind, rand, { source: ip("10.1.0.99") });
    stepRouter(
      state,
      { kind: "packet", ifindex: LAN.ifindex, data: packet, length: packet.length },
      i,
    );
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    if (i % 1000 === 999) stepRouter(state, { kind: "tick" }, i);
  }
  deepStrictEqual([...byKind.values()], DVMRP_GARBAGE_KINDS.map(() => 4000));
  const dropped = [...state.drops.values()].reduce((a, b) => a + b, 0);
  ok(dropped > 5000, `drops counted: ${JSON.stringify([...state.drops])}`);
  ok(neighborsOn(state.neighbors, 1).length <= MAX_NEIGHBORS_PER_VIF);
  // An old-version probe (no generation ID) makes its sender a neighbor at once, as the draft's
  // Appendix C has it: its reports are taken, within the table's bound.
  ok(state.routes.routes.size <= MAX_ROUTES);
});
