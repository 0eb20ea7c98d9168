import assert from "node:assert/strict";
import { formatIfaceRef, newMroutedParse, phyintFor, sameIfaceRef } from "./parse_state.ts";
import { WordStream } from "./words.ts";
import { ip } from "../../src/proto/testing.ts";

const AT = { file: "x.conf", line: 1, col: 1 };
const LATER = { file: "x.conf", line: 9, col: 1 };

Deno.test("sameIfaceRef compares as written", () => {
  const a = { kind: "address" as const, address: ip("10.0.0.1") };
  const n = { kind: "name" as const, name: "le0" };
  assert.equal(sameIfaceRef(a, { kind: "address", address: ip("10.0.0.1") }), true);
  assert.equal(sameIfaceRef(a, { kind: "address", address: ip("10.0.0.2") }), false);
  assert.equal(sameIfaceRef(n, { kind: "name", name: "le0" }), true);
  assert.equal(sameIfaceRef(n, { kind: "name", name: "LE0" }), false);
  assert.equal(sameIfaceRef(a, n), false);
  assert.equal(sameIfaceRef(n, a), false);
});

Deno.test("formatIfaceRef quotes names, not addresses", () => {
  assert.equal(formatIfaceRef({ kind: "address", address: ip("10.0.0.1") }), "10.0.0.1");
  assert.equal(formatIfaceRef({ kind: "name", name: "le0" }), '"le0"');
});

Deno.test("phyintFor returns the phyint of an interface already seen", () => {
  const parse = newMroutedParse(new WordStream("", "x.conf"));
  const first = phyintFor(parse, { kind: "name", name: "le0" }, AT);
  const other = phyintFor(parse, { kind: "name", name: "le1" }, LATER);
  const again = phyintFor(parse, { kind: "name", name: "le0" }, LATER);
  assert.equal(again, first);
  assert.notEqual(other, first);
  assert.deepEqual(first.config.at, AT);
  assert.equal(first.label, 'phyint "le0"');
  assert.equal(parse.phyints.length, 2);
});
