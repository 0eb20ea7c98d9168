import { equal } from "node:assert/strict";
import { type ClientLoad, idleAt, mostStalled, nextStallAt } from "./control_load.ts";

const load = (more: Partial<ClientLoad>): ClientLoad => ({
  pending: 0,
  movedAt: 0,
  activeAt: 0,
  busy: false,
  streaming: false,
  ...more,
});

Deno.test("mostStalled picks the most unsent bytes among the clients whose bytes stopped", () => {
  const small = load({ pending: 100, movedAt: 0 });
  const big = load({ pending: 900, movedAt: 400 });
  const moving = load({ pending: 5000, movedAt: 950 });
  const empty = load({ pending: 0, movedAt: -1000 });
  const clients = [small, big, moving, empty];
  equal(mostStalled(clients, { now: 1000, stallMs: 500 }), big);
  equal(mostStalled(clients, { now: 1000, stallMs: 700 }), small, "big's moved 600 ms ago");
  equal(mostStalled(clients, { now: 1000, stallMs: 1001 }), undefined, "all still move");
  equal(mostStalled([], { now: 1000, stallMs: 1 }), undefined);
});

Deno.test("nextStallAt: when the first client with unsent bytes may count as stalled", () => {
  const clients = [
    load({ pending: 1, movedAt: 300 }),
    load({ pending: 1, movedAt: 200 }),
    load({ pending: 0, movedAt: 0 }),
  ];
  equal(nextStallAt(clients, 1000), 1200);
  equal(nextStallAt([load({ movedAt: 5 })], 1000), undefined, "nothing unsent");
});

Deno.test("idleAt: the idle time after the last activity; never while busy or streaming", () => {
  equal(idleAt(load({ activeAt: 250 }), 60_000), 60_250);
  equal(idleAt(load({ activeAt: 250, pending: 4096, movedAt: 250 }), 100), 350);
  equal(idleAt(load({ activeAt: 250, busy: true }), 100), undefined);
  equal(idleAt(load({ activeAt: 250, streaming: true }), 100), undefined);
});
