/**
 * Property tests over generated and hostile input: whatever the text, the reader returns
 * diagnostics instead of throwing, every diagnostic points inside the text, and whatever it
 * accepts prints and reads back to the same configuration. The generator is seeded, so a
 * failure repeats.
 */

import assert from "node:assert/strict";
import { formatDiagnostic } from "../config.ts";
import { STATEMENT_KEYWORDS, UNSUPPORTED_KEYWORDS, VIF_OPTIONS } from "./keywords.ts";
import { type MroutedParseResult, parseMroutedConfig } from "./parser.ts";
import { printMroutedConfig } from "./printer.ts";
import { stripPositions } from "./testing.ts";
import { mulberry32 } from "../../src/proto/testing.ts";

const PIECES = [
  ...STATEMENT_KEYWORDS,
  ...VIF_OPTIONS.map((o) => o.keyword),
  ...UNSUPPORTED_KEYWORDS.slice(0, 3),
  "le0",
  "le1",
  '"quoted"',
  '"unterminated',
  "'",
  "{",
  "}",
  "=",
  "#",
  "# comment\n",
  "\n",
  "\n",
  "\r\n",
  "\t",
  "\\\n",
  "0",
  "1",
  "31",
  "32",
  "255",
  "500",
  "7200",
  "-1",
  "99999999999999999999999999",
  "10.0.0.1",
  "10.0.0.256",
  "192.0.2.9",
  "224.0.0.1",
  "10.1.0.0/16",
  "10.1.2.3/16",
  "239.255.0.0/16",
  "239.1.2.3/16",
  "224.0.0.0/3",
  "LOCAL",
  "EE",
  "on",
  "off",
  "gw.example.net",
  "bad..host",
  "\u00e9",
  "\u0000",
  "\ufffd",
  "\u200b",
];

function generate(next: () => number): string {
  const n = 1 + Math.floor(next() * 40);
  let text = "";
  for (let i = 0; i < n; i++) {
    text += PIECES[Math.floor(next() * PIECES.length)];
    if (next() < 0.6) text += " ";
  }
  return text;
}

const GLOBALS = [
  "cache_lifetime 600",
  "prune_lifetime 3600",
  "pruning off",
  "name LOCAL 239.255.0.0/16",
  "name EE 239.254.0.0/16",
  "# a comment",
];
const PHYINT_OPTS = [
  "disable",
  "metric 3",
  "threshold 32",
  "rate_limit 0",
  "boundary LOCAL",
  "boundary 239.3.0.0/16",
  "altnet 10.9.0.0/16",
  "igmpv1",
  "\n\t",
];
const TUNNEL_OPTS = ["metric 2", "threshold 64", "rate_limit 100", "boundary EE", "\n"];

/** A mostly valid file: globals, phyints, tunnels, now and then damaged a little. */
function generateStructured(next: () => number): string {
  const pick = (list: readonly string[]) => list[Math.floor(next() * list.length)];
  const parts: string[] = [];
  for (let i = Math.floor(next() * 4); i > 0; i--) parts.push(pick(GLOBALS));
  for (const iface of ["le0", "10.0.0.1", '"odd#name"', "le0"]) {
    if (next() < 0.3) continue;
    parts.push(`phyint ${iface}`);
    for (let i = Math.floor(next() * 4); i > 0; i--) parts.push(pick(PHYINT_OPTS));
  }
  for (const remote of ["10.2.2.2", "gw.example.net", "192.0.2.1"]) {
    if (next() < 0.4) continue;
    parts.push(`tunnel le0 ${remote}`);
    for (let i = Math.floor(next() * 3); i > 0; i--) parts.push(pick(TUNNEL_OPTS));
  }
  let text = parts.join(next() < 0.5 ? "\n" : " ") + "\n";
  for (let i = next() < 0.3 ? Math.floor(next() * 3) + 1 : 0; i > 0; i--) {
    const at = Math.floor(next() * text.length);
    const cut = Math.floor(next() * 3);
    text = text.slice(0, at) + (next() < 0.5 ? pick(PIECES) : "") + text.slice(at + cut);
  }
  return text;
}

/** Where a position may point: any line of the text, or the line after a final newline. */
function assertInside(lines: string[], d: { line: number; col: number }, message: string): void {
  assert.ok(d.line >= 1 && d.line <= lines.length + 1, `line ${d.line} outside: ${message}`);
  const length = (lines[d.line - 1] ?? "").length;
  assert.ok(d.col >= 1 && d.col <= length + 2, `column ${d.col} outside: ${message}`);
}

/** Parses without throwing, with every diagnostic inside the text. */
function parseChecked(text: string): MroutedParseResult {
  let result: MroutedParseResult;
  try {
    result = parseMroutedConfig(text, "f.conf");
  } catch (err) {
    assert.fail(`parseMroutedConfig threw on ${JSON.stringify(text.slice(0, 200))}: ${err}`);
  }
  const lines = text.split("\n");
  for (const d of result.diagnostics) {
    assert.equal(d.position.file, "f.conf");
    assertInside(lines, d.position, formatDiagnostic(d));
  }
  const errors = result.diagnostics.some((d) => d.severity === "error");
  assert.equal(result.config === undefined, errors);
  return result;
}

Deno.test("fuzz: the reader never throws, points inside the text, and round-trips", () => {
  const next = mulberry32(20261203);
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const text = i % 2 === 0 ? generate(next) : generateStructured(next);
    const { config } = parseChecked(text);
    if (config === undefined) continue;
    accepted++;
    const printed = printMroutedConfig(config);
    const again = parseMroutedConfig(printed, "printed.conf");
    const errors = again.diagnostics.filter((d) => d.severity === "error");
    assert.deepEqual(errors.map(formatDiagnostic), [], `printed form of ${JSON.stringify(text)}`);
    assert.ok(again.config !== undefined);
    assert.deepEqual(stripPositions(again.config), stripPositions(config));
  }
  // The generator must reach the accepting paths too, or the round trip is not exercised.
  assert.ok(accepted > 300, `only ${accepted} generated texts were accepted`);
});

Deno.test("fuzz: binary garbage gives errors, not exceptions", () => {
  const next = mulberry32(7);
  for (let i = 0; i < 200; i++) {
    const bytes = new Uint8Array(1 + Math.floor(next() * 2000));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(next() * 256);
    const text = new TextDecoder().decode(bytes);
    parseChecked(text);
  }
  const { diagnostics } = parseChecked("phyint le0 \u0000\u0001 metric 2");
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    "f.conf:1:12: unexpected character U+0000",
    "f.conf:1:13: unexpected character U+0001",
  ]);
});

Deno.test("fuzz: huge words and numbers are cut short in messages", () => {
  const huge = "9".repeat(100_000);
  const word = "x".repeat(100_000);
  const { diagnostics } = parseChecked(`phyint le0 metric ${huge} ${word}\ntunnel le0 ${word}`);
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    `f.conf:1:19: metric "${"9".repeat(40)}..." is out of range (1-31)`,
    `f.conf:1:100020: unknown keyword "${"x".repeat(40)}..." in phyint "le0"`,
    `f.conf:2:12: invalid host name "${"x".repeat(40)}..." for the remote end of the tunnel: ` +
    'use letters, digits and "-" in labels separated by "."',
  ]);
});

Deno.test("fuzz: unterminated tokens are errors", () => {
  const { diagnostics } = parseChecked("phyint \"le0\nmetric 2 phyint 'le1");
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    "f.conf:1:8: unterminated quoted string",
    "f.conf:2:17: unterminated quoted string",
  ]);
});

Deno.test("fuzz: 10000 statements are read, good and bad", () => {
  const good: string[] = [];
  for (let i = 0; i < 10_000; i++) good.push(`phyint le${i % 500} metric ${1 + (i % 31)}`);
  const { config } = parseChecked(good.join("\n"));
  assert.equal(config?.phyints.length, 500);

  const bad: string[] = [];
  for (let i = 0; i < 10_000; i++) bad.push(i % 2 === 0 ? "metrc 3" : "phyint le0 metric 40");
  const { diagnostics } = parseChecked(bad.join("\n"));
  assert.equal(diagnostics.length, 10_000);
  assert.deepEqual(diagnostics.slice(0, 2).map(formatDiagnostic), [
    'f.conf:1:1: unknown keyword "metrc": did you mean "metric"?',
    'f.conf:2:19: metric "40" is out of range (1-31)',
  ]);
});
