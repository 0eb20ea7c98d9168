/**
 * Property tests over generated input: whatever the text, the parser returns diagnostics
 * instead of throwing, every diagnostic points inside the text, and whatever it accepts prints
 * and parses back to the same configuration. The generator is seeded, so a failure repeats.
 */

import assert from "node:assert/strict";
import { formatDiagnostic } from "./config.ts";
import { KEYWORDS } from "./lexer.ts";
import { parseConfig } from "./parser.ts";
import { printConfig } from "./printer.ts";
import { stripPositions } from "./testing.ts";
import { mulberry32 } from "../src/proto/testing.ts";

const PIECES = [
  ...KEYWORDS,
  "interface em0 {",
  "interface em1 {",
  "interface em2 {",
  "}",
  "{",
  "\n",
  "\n",
  "\n",
  "\r\n",
  " ",
  "\t",
  "#",
  "\\",
  "\\\n",
  '"',
  "'",
  '"quoted word"',
  "=",
  "x = 1",
  "y = em1",
  "$x",
  "$y",
  "$",
  "$undefined",
  "0",
  "1",
  "7",
  "0.5",
  "25.5",
  "31744",
  "-1",
  "1.25",
  "10.0.0.0/8",
  "10.0.0.1/8",
  "239.255.0.0/16",
  "224.0.0.0/3",
  "ff05::/16",
  "2001:db8::/200",
  "LOCAL",
  "\u00e9",
  "\u0000",
  "upstream\n",
  "downstream\n",
];

function generate(next: () => number): string {
  const n = 1 + Math.floor(next() * 40);
  let text = "";
  for (let i = 0; i < n; i++) {
    text += PIECES[Math.floor(next() * PIECES.length)];
    if (next() < 0.5) text += " ";
  }
  return text;
}

const TOP = [
  "ipv4 yes",
  "ipv6 no",
  "ipv6 yes",
  "robustness 3",
  "query-interval 60",
  "query-response-interval 2.5",
  "last-member-query-interval 0.5",
  "last-member-query-count 1",
  "startup-query-interval 7.5",
  "startup-query-count 4",
  "name LOCAL 239.255.0.0/16",
  "name SITE6 ff05::/16",
  "t = 4",
  "# a comment",
  "",
];
const INSIDE = [
  "ipv4 yes",
  "ipv4 no",
  "ipv6 yes",
  "threshold 5",
  "threshold $t",
  "source 10.0.0.0/8",
  "source 2001:db8::/32",
  "boundary LOCAL",
  "boundary 239.254.0.0/16",
  "boundary SITE6",
  "last-member-query-interval 0.3",
  "query-interval 30",
  "robustness 2",
  "# inside",
];

/** A mostly valid file: statements from the lists above around an upstream and a downstream. */
function generateStructured(next: () => number): string {
  const pick = (list: readonly string[]) => list[Math.floor(next() * list.length)];
  const lines = ["t = 2"];
  for (let i = Math.floor(next() * 4); i > 0; i--) lines.push(pick(TOP));
  const names = ["em0", "em1", "em2", '"odd name"', "em1"];
  const roles = ["upstream", "downstream", "downstream", "disabled", "downstream"];
  for (let k = 0; k < names.length; k++) {
    if (k > 1 && next() < 0.5) continue;
    const body = [];
    for (let i = Math.floor(next() * 4); i > 0; i--) body.push(`\t${pick(INSIDE)}`);
    if (k === 4 || next() < 0.9) body.push(`\t${roles[k]}`);
    lines.push(`interface ${names[k]} {`, ...body, "}");
  }
  let text = lines.join(next() < 0.2 ? "\r\n" : "\n") + "\n";
  // Now and then, damage it a little.
  for (let i = next() < 0.3 ? Math.floor(next() * 3) + 1 : 0; i > 0; i--) {
    const at = Math.floor(next() * text.length);
    const cut = Math.floor(next() * 3);
    text = text.slice(0, at) + (next() < 0.5 ? pick(PIECES) : "") + text.slice(at + cut);
  }
  return text;
}

/** Where a position may point: any line of the text, or the line after a final newline. */
function assertInside(text: string, line: number, col: number, message: string): void {
  const lines = text.split("\n");
  assert.ok(line >= 1 && line <= lines.length + 1, `line ${line} outside the text: ${message}`);
  const length = (lines[line - 1] ?? "").length;
  assert.ok(col >= 1 && col <= length + 2, `column ${col} outside line ${line}: ${message}`);
}

Deno.test("fuzz: the parser never throws, points inside the text, and round-trips", () => {
  const next = mulberry32(20261122);
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const text = i % 2 === 0 ? generate(next) : generateStructured(next);
    let result;
    try {
      result = parseConfig(text, { file: "f.conf", macros: i % 7 === 0 ? { x: "{" } : {} });
    } catch (err) {
      assert.fail(`parseConfig threw on ${JSON.stringify(text)}: ${err}`);
    }
    for (const d of result.diagnostics) {
      assert.equal(d.position.file, "f.conf");
      assertInside(text, d.position.line, d.position.col, formatDiagnostic(d));
    }
    if (result.config === undefined) continue;
    accepted++;
    const printed = printConfig(result.config);
    const again = parseConfig(printed, { file: "printed.conf" });
    const errors = again.diagnostics.filter((d) => d.severity === "error");
    assert.deepEqual(errors.map(formatDiagnostic), [], `printed form of ${JSON.stringify(text)}`);
    assert.ok(again.config !== undefined);
    assert.deepEqual(stripPositions(again.config), stripPositions(result.config));
  }
  // The generator must reach the accepting paths too, or the round trip is not exercised.
  assert.ok(accepted > 150, `only ${accepted} generated texts were accepted`);
});
