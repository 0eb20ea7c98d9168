import { deepStrictEqual, equal } from "node:assert/strict";
import {
  expireQuerier,
  hearQuery,
  initialQuerier,
  QUERIER_TABLE,
  querierDeadline,
  type QuerierTransition,
} from "./querier.ts";
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
    newerQuerierUntil: 0,
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

Deno.test("querier: a newer-version router is reported once per Other Querier Present Interval", () => {
  const q = initialQuerier();
  const newer = ip("10.1.0.200");
  const heard = { source: newer, ours: OURS, legacy: false, newer: true };
  deepStrictEqual(hearQuery(q, heard, 0, DEFAULT_TIMERS), ["newer-router"]);
  equal(q.newerQuerierUntil, OQPI);
  deepStrictEqual(hearQuery(q, heard, 125_000, DEFAULT_TIMERS), []);
  deepStrictEqual(hearQuery(q, heard, 125_000 + OQPI, DEFAULT_TIMERS), ["newer-router"]);
  equal(q.querier, true, "a higher-addressed one does not win the election");
  deepStrictEqual(
    hearQuery(q, { ...heard, source: ip("10.1.0.1") }, 130_000, DEFAULT_TIMERS),
    ["lost"],
    "a lower-addressed one does, in any version (and was already reported)",
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

Deno.test("QUERIER_TABLE: one row per role and event; only a lower query and the timer change role", () => {
  const keys = QUERIER_TABLE.map((r) => `${r.state} ${r.event}`);
  equal(new Set(keys).size, keys.length);
  deepStrictEqual(
    QUERIER_TABLE.filter((r) => r.next !== undefined && r.next !== r.state).map((r) => r.event),
    ["lower-query", "other-querier-timer-expired"],
  );
});

Deno.test("hearQuery: the trace names each event, the role change and the actions", () => {
  const q = initialQuerier();
  const seen: string[] = [];
  const trace = (t: QuerierTransition) =>
    seen.push(`${t.event}: ${t.from} -> ${t.next} (${t.actions.join(", ")})`);
  const lower = ip("10.1.0.11");
  hearQuery(q, { source: lower, ours: OURS, legacy: true }, 1000, DEFAULT_TIMERS, trace);
  hearQuery(q, { source: ip("10.1.0.50"), ours: OURS, legacy: false }, 2000, DEFAULT_TIMERS, trace);
  hearQuery(q, { source: lower, ours: OURS, legacy: false }, 3000, DEFAULT_TIMERS, trace);
  expireQuerier(q, 3000 + OQPI, trace);
  deepStrictEqual(seen, [
    "v1-router-query: querier -> querier (start-v1-querier-timer, v1-router)",
    "lower-query: querier -> non-querier (note-querier, start-other-querier-timer, lost)",
    "lower-query: non-querier -> non-querier (start-other-querier-timer)",
    "querier-query: non-querier -> non-querier (note-heard, start-other-querier-timer)",
    "other-querier-timer-expired: non-querier -> querier (stop-other-querier-timer, resumed)",
  ]);
  equal(q.otherQuerierHeard, 3000, "the router between did not count as the querier");
});
