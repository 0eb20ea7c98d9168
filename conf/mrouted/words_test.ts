import assert from "node:assert/strict";
import { formatDiagnostic } from "../config.ts";
import { describeWord, isReservedWord, isValueToken, shown, WordStream } from "./words.ts";

/** The kinds and values of every token up to the end. */
function all(text: string): string[] {
  const words = new WordStream(text, "w.conf");
  const out: string[] = [];
  for (let t = words.next(); t.kind !== "eof"; t = words.next()) out.push(`${t.kind}:${t.value}`);
  return out;
}

Deno.test("WordStream drops newlines and comments", () => {
  assert.deepEqual(all("phyint\n  le0 # a comment\n\tmetric\r\n2\n"), [
    "word:phyint",
    "word:le0",
    "word:metric",
    "word:2",
  ]);
});

Deno.test("WordStream keeps positions of the lines the words are on", () => {
  const words = new WordStream("# x\n\n  phyint le0\nmetric", "w.conf");
  assert.deepEqual(words.next().position, { file: "w.conf", line: 3, col: 3 });
  assert.deepEqual(words.next().position, { file: "w.conf", line: 3, col: 10 });
  assert.deepEqual(words.next().position, { file: "w.conf", line: 4, col: 1 });
  assert.equal(words.next().kind, "eof");
  assert.deepEqual(words.end, { file: "w.conf", line: 4, col: 7 });
  // It keeps returning the end.
  assert.equal(words.next().kind, "eof");
  assert.equal(words.peek(3).kind, "eof");
});

Deno.test("WordStream reports bad characters and unterminated strings through the lexer", () => {
  const words = new WordStream('phyint "le0\nmetric \u0001 2', "w.conf");
  while (words.next().kind !== "eof");
  assert.deepEqual(words.sortedDiagnostics().map(formatDiagnostic), [
    "w.conf:1:8: unterminated quoted string",
    "w.conf:2:8: unexpected character U+0001",
  ]);
});

Deno.test("WordStream.expectValue takes values, not keywords", () => {
  const words = new WordStream('metric threshold "threshold" x', "w.conf");
  words.next();
  assert.equal(words.expectValue("a number", "metric"), undefined);
  assert.equal(words.next().value, "threshold");
  assert.equal(words.expectValue("a number", "threshold")?.kind, "string");
  assert.equal(words.expectValue("a number", "threshold")?.value, "x");
  assert.equal(words.expectValue("a number", "x"), undefined);
  assert.deepEqual(words.sortedDiagnostics().map(formatDiagnostic), [
    'w.conf:1:8: expected a number after "metric", found "threshold"',
    'w.conf:1:31: expected a number after "x", found end of file',
  ]);
});

Deno.test("WordStream.skipToKeyword stops at reserved words, unsupported ones too", () => {
  const words = new WordStream("a b { } 'c' noflood d metric", "w.conf");
  words.skipToKeyword();
  assert.equal(words.next().value, "noflood");
  words.skipToKeyword();
  assert.equal(words.next().value, "metric");
  words.skipToKeyword();
  assert.equal(words.next().kind, "eof");
});

Deno.test("WordStream sorts diagnostics by position, keeping the order at one place", () => {
  const words = new WordStream("a b\nc", "w.conf");
  const [a, b, , c] = [words.next(), words.next(), words.peek(), words.next()];
  words.error(c, "third");
  words.warn(a.position, "first");
  words.error(b, "second");
  words.error(a, "first again");
  assert.deepEqual(words.sortedDiagnostics().map(formatDiagnostic), [
    "w.conf:1:1: warning: first",
    "w.conf:1:1: first again",
    "w.conf:1:3: second",
    "w.conf:2:1: third",
  ]);
});

Deno.test("WordStream.take reports a value parser's errors and warning", () => {
  const words = new WordStream("v", "w.conf");
  const t = words.next();
  assert.equal(words.take(t, { ok: false, errors: ["bad", "worse"] }), undefined);
  assert.equal(words.take(t, { ok: true, value: 7, warning: "odd" }), 7);
  assert.deepEqual(words.sortedDiagnostics().map(formatDiagnostic), [
    "w.conf:1:1: bad",
    "w.conf:1:1: worse",
    "w.conf:1:1: warning: odd",
  ]);
});

Deno.test("describeWord, shown and the token tests", () => {
  const position = { file: "w.conf", line: 1, col: 1 };
  assert.equal(describeWord({ kind: "eof", value: "", position }), "end of file");
  assert.equal(describeWord({ kind: "string", value: "x", position }), 'quoted string "x"');
  assert.equal(describeWord({ kind: "rbrace", value: "}", position }), '"}"');
  assert.equal(shown("x".repeat(41)), `${"x".repeat(40)}...`);
  assert.equal(shown("x".repeat(40)), "x".repeat(40));
  assert.equal(isReservedWord({ kind: "word", value: "altnet", position }), true);
  assert.equal(isReservedWord({ kind: "string", value: "altnet", position }), false);
  assert.equal(isValueToken({ kind: "string", value: "altnet", position }), true);
  assert.equal(isValueToken({ kind: "word", value: "srcrt", position }), false);
  assert.equal(isValueToken({ kind: "lbrace", value: "{", position }), false);
});
