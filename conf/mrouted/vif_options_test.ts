import assert from "node:assert/strict";
import { formatDiagnostic } from "../config.ts";
import { newMroutedParse, phyintFor } from "./parse_state.ts";
import { parseVifOptions, reportUnexpected } from "./vif_options.ts";
import { WordStream } from "./words.ts";

const AT = { file: "o.conf", line: 1, col: 1 };

/** A parse of `text` and a phyint "le0" to give options to. */
function setup(text: string) {
  const parse = newMroutedParse(new WordStream(text, "o.conf"));
  const vif = phyintFor(parse, { kind: "name", name: "le0" }, AT);
  return { parse, vif };
}

Deno.test("parseVifOptions applies options up to the next statement", () => {
  const { parse, vif } = setup("metric 3 igmpv1 threshold 9 tunnel");
  parseVifOptions(parse, { kind: "phyint", vif });
  assert.deepEqual([vif.config.metric, vif.config.igmpv1, vif.config.threshold], [3, true, 9]);
  assert.equal(parse.words.peek().value, "tunnel");
  assert.deepEqual(parse.words.sortedDiagnostics(), []);
});

Deno.test("parseVifOptions goes on after an unknown option word", () => {
  const { parse, vif } = setup("mtu 1500 metric 3");
  parseVifOptions(parse, { kind: "phyint", vif });
  assert.equal(vif.config.metric, 3);
  assert.deepEqual(parse.words.sortedDiagnostics().map(formatDiagnostic), [
    'o.conf:1:1: unknown keyword "mtu" in phyint "le0"',
  ]);
});

Deno.test("parseVifOptions: a mistyped statement keyword ends the vif's options", () => {
  const { parse, vif } = setup("metric 2 phyiny le1 metric 7 threshold 300");
  parseVifOptions(parse, { kind: "phyint", vif });
  // metric 7 is not le0's; threshold 300 is still checked.
  assert.equal(vif.config.metric, 2);
  assert.deepEqual(parse.words.sortedDiagnostics().map(formatDiagnostic), [
    'o.conf:1:10: unknown keyword "phyiny" in phyint "le0": did you mean "phyint"?',
    'o.conf:1:40: threshold "300" is out of range (1-255)',
  ]);
});

Deno.test("parseVifOptions keeps nothing without a vif, and checks values anyway", () => {
  const parse = newMroutedParse(new WordStream("metric 0 boundary 10.0.0.0/8 disable", "o.conf"));
  parseVifOptions(parse, { kind: "phyint", vif: undefined });
  assert.deepEqual(parse.words.sortedDiagnostics().map(formatDiagnostic), [
    'o.conf:1:8: metric "0" is out of range (1-31)',
    "o.conf:1:19: boundary 10.0.0.0/8 is not a multicast range (IPv4 groups are in 224.0.0.0/4)",
  ]);
});

Deno.test("reportUnexpected suggests the options of the statement first", () => {
  const parse = newMroutedParse(new WordStream("thresold threshod metrik", "o.conf"));
  const none = { kind: "unknown" as const, vif: undefined };
  const tunnel = { kind: "tunnel" as const, vif: undefined };
  assert.equal(reportUnexpected(parse, { ctx: tunnel, t: parse.words.next() }), "threshold");
  assert.equal(reportUnexpected(parse, { ctx: none, t: parse.words.next() }), "threshold");
  assert.equal(reportUnexpected(parse, { ctx: none, t: parse.words.next() }), "metric");
  const long = newMroutedParse(new WordStream("m".repeat(30), "o.conf"));
  assert.equal(reportUnexpected(long, { ctx: none, t: long.words.next() }), undefined);
});
