import { deepStrictEqual, equal } from "node:assert/strict";
import { expireQuerier, hearQuery, initialQuerier, querierDeadline } from "./querier.ts";
import { DEFAULT_TIMERS, otherQuerierPresentInterval } from "./timers.ts";
import { ip } from "../proto/testing.ts";

const OURS = ip("10.1.0.100");
const OQPI = otherQuerierPresentInterval(DEFAULT_TIMERS); // 255 s

Deno.test("querier: a lower address wins, for the Other Querier Present Interval", () => {
  const q = initialQuerier();
  equal(querierDeadline(q), Infinity);
  const lower = ip("10.1.0.11");
  deepStrictEqual(
    hearQuery(q, { source: lower, ours: OURS, legacy: false }, 1000, DEFAULT_TIMERS),
    [
      "lost",
    ],
  );
  deepStrictEqual(q, {
    querier: false,
    otherQuerier: lower,
    otherQuerierHeard: 1000,
    otherQuerierUntil: 1000 + OQPI,
    v1QuerierUntil: 0,
  });
  equal(querierDeadline(q), 1000 + OQPI);
  // Each query from it restarts the timer; nothing else changes.
  deepStrictEqual(
    hearQuery(q, { source: lower, ours: OURS, legacy: false }, 9000, DEFAULT_TIMERS),
    [],
  );
  equal(q.otherQuerierUntil, 9000 + OQPI);
  deepStrictEqual(expireQuerier(q, 9000 + OQPI - 1), []);
  deepStrictEqual(expireQuerier(q, 9000 + OQPI), ["resumed"]);
  equal(q.querier, true);
  equal(querierDeadline(q), Infinity);
  deepStrictEqual(expireQuerier(q, 9000 + 2 * OQPI), [], "a querier has nothing to expire");
});

Deno.test("querier: higher addresses, our own and 0.0.0.0 never demote", () => {
  const q = initialQuerier();
  for (const source of [ip("10.1.0.200"), OURS, 0]) {
    deepStrictEqual(hearQuery(q, { source, ours: OURS, legacy: false }, 0, DEFAULT_TIMERS), []);
    deepStrictEqual(hearQuery(q, { source, ours: OURS, legacy: false }, 0, DEFAULT_TIMERS), []);
  }
  equal(q.querier, true);
  // The comparison is unsigned: 192.168.x is above 10.x.
  deepStrictEqual(
    hearQuery(q, { source: ip("192.168.0.1"), ours: OURS, legacy: false }, 0, DEFAULT_TIMERS),
    [],
  );
  equal(q.querier, true);
});

Deno.test("querier: an even lower router takes over from the current one", () => {
  const q = initialQuerier();
  hearQuery(q, { source: ip("10.1.0.50"), ours: OURS, legacy: false }, 0, DEFAULT_TIMERS);
  deepStrictEqual(
    hearQuery(q, { source: ip("10.1.0.20"), ours: OURS, legacy: false }, 10, DEFAULT_TIMERS),
    ["new-querier"],
  );
  equal(q.otherQuerier, ip("10.1.0.20"));
  // A router between it and us does not count.
  deepStrictEqual(
    hearQuery(q, { source: ip("10.1.0.60"), ours: OURS, legacy: false }, 20, DEFAULT_TIMERS),
    [],
  );
  equal(q.otherQuerier, ip("10.1.0.20"));
  equal(q.otherQuerierUntil, 20 + OQPI, "its query restarts the timer all the same");
});

Deno.test("querier: an IGMPv1 router is reported once per Other Querier Present Interval", () => {
  const q = initialQuerier();
  const v1 = ip("10.1.0.200");
  deepStrictEqual(hearQuery(q, { source: v1, ours: OURS, legacy: true }, 0, DEFAULT_TIMERS), [
    "v1-router",
  ]);
  deepStrictEqual(
    hearQuery(q, { source: v1, ours: OURS, legacy: true }, 125_000, DEFAULT_TIMERS),
    [],
  );
  deepStrictEqual(
    hearQuery(q, { source: v1, ours: OURS, legacy: true }, 125_000 + OQPI, DEFAULT_TIMERS),
    ["v1-router"],
  );
  equal(q.querier, true, "a higher-addressed IGMPv1 router does not win the election");
  deepStrictEqual(
    hearQuery(q, { source: ip("10.1.0.1"), ours: OURS, legacy: true }, 130_000, DEFAULT_TIMERS),
    ["lost"],
    "a lower-addressed one does (and was already reported)",
  );
});

Deno.test("querier: the Other Querier Present Interval follows the LAN's timers", () => {
  const q = initialQuerier();
  const timers = { ...DEFAULT_TIMERS, robustness: 3, queryInterval: 10_000 };
  hearQuery(q, { source: ip("10.1.0.1"), ours: OURS, legacy: false }, 0, timers);
  equal(q.otherQuerierUntil, 3 * 10_000 + 10_000 / 2);
});

Deno.test("querier: when the querier dies, the next lowest router that queries is named", () => {
  const q = initialQuerier();
  const x = ip("10.1.0.20");
  const y = ip("10.1.0.50");
  hearQuery(q, { source: x, ours: OURS, legacy: false }, 0, DEFAULT_TIMERS);
  // y queries too, briefly, before it hears x: x stays the querier.
  deepStrictEqual(hearQuery(q, { source: y, ours: OURS, legacy: false }, 1000, DEFAULT_TIMERS), []);
  equal(q.otherQuerier, x);
  // x dies; y takes over once its own timer for x expires, and queries.
  deepStrictEqual(
    hearQuery(q, { source: y, ours: OURS, legacy: false }, 256_000, DEFAULT_TIMERS),
    ["new-querier"],
  );
  equal(q.otherQuerier, y);
  equal(q.otherQuerierUntil, 256_000 + OQPI);
});
