import assert from "node:assert/strict";
import {
  DEFAULT_TIMERS,
  formatSeconds,
  formatTimer,
  groupMembershipInterval,
  olderHostPresentInterval,
  otherQuerierPresentInterval,
  type ProtocolTimers,
  TIMER_KEYWORDS,
  timerKeywordOf,
} from "./timers.ts";

Deno.test("derived intervals of the RFC defaults", () => {
  // RV 2, QI 125 s, QRI 10 s (RFC 3376 8.4, 8.5, 8.13).
  assert.equal(groupMembershipInterval(DEFAULT_TIMERS), 260_000);
  assert.equal(otherQuerierPresentInterval(DEFAULT_TIMERS), 255_000);
  assert.equal(olderHostPresentInterval(DEFAULT_TIMERS), 260_000);
});

Deno.test("derived intervals follow robustness, query interval and response interval", () => {
  const t: ProtocolTimers = { ...DEFAULT_TIMERS, robustness: 3, queryInterval: 20_000 };
  assert.equal(groupMembershipInterval(t), 70_000);
  assert.equal(otherQuerierPresentInterval(t), 65_000);
  assert.equal(olderHostPresentInterval(t), 70_000);
  // Half a response interval of 0.5 s is 250 ms: no rounding to the tenth of a second.
  const odd: ProtocolTimers = { ...t, robustness: 1, queryResponseInterval: 500 };
  assert.equal(otherQuerierPresentInterval(odd), 20_250);
});

Deno.test("formatSeconds prints whole seconds or one decimal", () => {
  assert.equal(formatSeconds(500), "0.5");
  assert.equal(formatSeconds(1_000), "1");
  assert.equal(formatSeconds(2_500), "2.5");
  assert.equal(formatSeconds(125_000), "125");
  assert.equal(formatSeconds(31_744_000), "31744");
});

Deno.test("formatTimer writes counts as they are and intervals in seconds", () => {
  assert.equal(formatTimer("robustness", 3), "3");
  assert.equal(formatTimer("lastMemberQueryCount", 255), "255");
  assert.equal(formatTimer("queryInterval", 30_000), "30");
  assert.equal(formatTimer("lastMemberQueryInterval", 100), "0.1");
  assert.equal(formatTimer("startupQueryInterval", 31_250), "31.3");
  // With the unit, as log lines write intervals; a count has none.
  assert.equal(formatTimer("queryInterval", 30_000, { withUnit: true }), "30s");
  assert.equal(formatTimer("queryResponseInterval", 2_500, { withUnit: true }), "2.5s");
  assert.equal(formatTimer("startupQueryCount", 4, { withUnit: true }), "4");
});

Deno.test("TIMER_KEYWORDS: one row per protocol variable, defaults within the ranges", () => {
  const fields = TIMER_KEYWORDS.map((k) => k.field);
  assert.deepEqual([...fields].sort(), Object.keys(DEFAULT_TIMERS).sort());
  for (const k of TIMER_KEYWORDS) {
    assert.equal(timerKeywordOf(k.field), k);
    assert.ok(k.min <= DEFAULT_TIMERS[k.field] && DEFAULT_TIMERS[k.field] <= k.max, k.keyword);
    // Intervals are whole tenths of a second, the unit the file and IGMP's Max Resp Code use.
    if (k.unit === "seconds") assert.equal(k.min % 100 + k.max % 100, 0, k.keyword);
  }
  assert.equal(timerKeywordOf("queryInterval").keyword, "query-interval");
});
