import assert from "node:assert/strict";
import {
  findVifOption,
  isKeyword,
  isReserved,
  PHYINT_OPTIONS,
  STATEMENT_KEYWORDS,
  TUNNEL_OPTIONS,
  UNSUPPORTED_KEYWORDS,
  VIF_OPTIONS,
} from "./keywords.ts";

Deno.test("a tunnel takes every phyint option but disable, altnet and igmpv1", () => {
  assert.deepEqual(PHYINT_OPTIONS, [
    "disable",
    "metric",
    "threshold",
    "rate_limit",
    "boundary",
    "altnet",
    "igmpv1",
  ]);
  assert.deepEqual(TUNNEL_OPTIONS, ["metric", "threshold", "rate_limit", "boundary"]);
});

Deno.test("keyword lists do not overlap", () => {
  const all = [
    ...STATEMENT_KEYWORDS,
    ...VIF_OPTIONS.map((o) => o.keyword),
    ...UNSUPPORTED_KEYWORDS,
  ];
  assert.equal(new Set(all).size, all.length);
});

Deno.test("isKeyword, isReserved and findVifOption", () => {
  assert.equal(isKeyword("phyint"), true);
  assert.equal(isKeyword("altnet"), true);
  assert.equal(isKeyword("netmask"), false);
  assert.equal(isReserved("netmask"), true);
  assert.equal(isReserved("le0"), false);
  assert.equal(isReserved("Phyint"), false);
  assert.equal(findVifOption("metric")?.value, "a number");
  assert.equal(findVifOption("disable")?.value, undefined);
  assert.equal(findVifOption("tunnel"), undefined);
});
