import assert from "node:assert/strict";
import { formatDiagnostic, type Position } from "./config.ts";
import { MacroTable, type Token } from "./lexer.ts";
import { describe, TokenStream, where } from "./token_stream.ts";

/** A stream over one file `main.conf`. */
function streamOf(text: string): TokenStream {
  const tokens = new TokenStream(new MacroTable());
  tokens.pushFile({ text, file: "main.conf", id: "/etc/main.conf" });
  return tokens;
}

/** Reads every token left, as `kind:value@file:line:col` (newlines as `NL`, marked ones `EOF-NL`). */
function drain(tokens: TokenStream): string[] {
  const out: string[] = [];
  for (;;) {
    const t = tokens.next();
    const what = t.kind === "newline"
      ? (t.endOfFile ? "EOF-NL" : "NL")
      : t.kind === "eof"
      ? "eof"
      : `${t.kind}:${t.value}`;
    out.push(`${what}@${t.position.file}:${t.position.line}:${t.position.col}`);
    if (t.kind === "eof") return out;
  }
}

const at = (line: number, col: number): Position => ({ file: "main.conf", line, col });

Deno.test("TokenStream: peek looks ahead without consuming, next consumes", () => {
  const tokens = streamOf("a b\n");
  assert.equal(tokens.peek(1).value, "b");
  assert.equal(tokens.peek().value, "a");
  assert.equal(tokens.next().value, "a");
  assert.deepEqual(drain(tokens), [
    "word:b@main.conf:1:3",
    "NL@main.conf:1:4",
    "eof@main.conf:2:1",
  ]);
  assert.deepEqual(tokens.end, at(2, 1));
});

Deno.test("TokenStream: an included file is read in place and ends with a marked newline", () => {
  const tokens = streamOf("include x\nafter\n");
  tokens.next();
  tokens.next();
  assert.equal(tokens.peek().kind, "newline");
  assert.deepEqual(tokens.chain(), ["/etc/main.conf"]);
  tokens.pushInclude({ text: "inner", file: "x", id: "/etc/x", chain: tokens.chain() });
  assert.deepEqual(drain(tokens), [
    // The include statement's own newline was already read ahead.
    "NL@main.conf:1:10",
    "word:inner@x:1:1",
    "EOF-NL@x:1:6",
    "word:after@main.conf:2:1",
    "NL@main.conf:2:6",
    "eof@main.conf:3:1",
  ]);
});

Deno.test("TokenStream: an include on the includer's last line drops the end of file read ahead", () => {
  const tokens = streamOf("include x");
  tokens.next();
  tokens.next();
  assert.equal(tokens.peek().kind, "eof");
  tokens.pushInclude({ text: "inner\n", file: "x", id: "/etc/x", chain: tokens.chain() });
  assert.deepEqual(tokens.chain(), ["/etc/main.conf", "/etc/x"]);
  assert.deepEqual(drain(tokens), [
    "word:inner@x:1:1",
    "NL@x:1:6",
    "EOF-NL@x:2:1",
    "eof@main.conf:1:10",
  ]);
});

Deno.test("TokenStream: diagnostics sort by file opened, line, column, then report order", () => {
  const tokens = streamOf("a\n");
  tokens.pushFile({ text: "", file: "later.conf", id: "later.conf" });
  const later = { file: "later.conf", line: 1, col: 1 };
  tokens.error(at(2, 1), "second at 2:1");
  tokens.warn(later, "in the file opened second");
  tokens.error({ file: "unknown.conf", line: 1, col: 1 }, "in no file opened");
  tokens.error(at(1, 5), "at 1:5");
  tokens.error(at(2, 1), "third at 2:1");
  tokens.warn(at(1, 2), "at 1:2");
  tokens.error(at(1, 1), "at 1:1");
  assert.deepEqual(tokens.sortedDiagnostics().map(formatDiagnostic), [
    "main.conf:1:1: at 1:1",
    "main.conf:1:2: warning: at 1:2",
    "main.conf:1:5: at 1:5",
    "main.conf:2:1: second at 2:1",
    "main.conf:2:1: third at 2:1",
    "later.conf:1:1: warning: in the file opened second",
    "unknown.conf:1:1: in no file opened",
  ]);
});

Deno.test("TokenStream: no error at a token the lexer has already reported", () => {
  const tokens = streamOf('"open\n');
  const t = tokens.next();
  assert.equal(t.kind, "invalid");
  tokens.error(t, "not reported");
  assert.deepEqual(tokens.sortedDiagnostics().map((d) => d.message), [
    "unterminated quoted string",
  ]);
});

Deno.test("TokenStream.expectValue consumes a value, or reports what it found instead", () => {
  const tokens = streamOf('em0 "quoted"\n');
  assert.equal(tokens.expectValue("a name", "interface")?.value, "em0");
  assert.equal(tokens.expectValue("a name", "interface")?.value, "quoted");
  assert.equal(tokens.expectValue("a name", "interface"), undefined);
  assert.equal(tokens.peek().kind, "newline", "nothing consumed");
  assert.deepEqual(tokens.sortedDiagnostics().map(formatDiagnostic), [
    'main.conf:1:13: expected a name after "interface", found end of line',
  ]);
});

Deno.test("TokenStream.skipStatement skips a braced block whole at top level only", () => {
  const top = streamOf("x { a\n b } y\nnext\n");
  top.skipStatement(false);
  assert.deepEqual(drain(top).slice(0, 2), ["NL@main.conf:2:7", "word:next@main.conf:3:1"]);
  const inBlock = streamOf("x y } z\n");
  inBlock.skipStatement(true);
  assert.equal(inBlock.peek().kind, "rbrace");
});

Deno.test("TokenStream.endStatement reports what follows the statement's last token", () => {
  const tokens = streamOf("ipv4 yes extra more\nnext }\n");
  tokens.next();
  tokens.next();
  tokens.endStatement(false);
  assert.equal(tokens.next().kind, "newline", "the rest of the line is skipped");
  tokens.next();
  tokens.endStatement(true);
  assert.equal(tokens.peek().kind, "rbrace", "a } ends a statement in a block");
  assert.deepEqual(tokens.sortedDiagnostics().map(formatDiagnostic), [
    'main.conf:1:10: expected end of line after "yes", found "extra"',
  ]);
});

Deno.test("TokenStream.take reports a value's errors at the token and its warning at its place", () => {
  const tokens = streamOf("a b\n");
  const [a, b] = [tokens.next(), tokens.next()];
  assert.equal(tokens.take(a, { ok: false, errors: ["bad", "worse"] }), undefined);
  assert.equal(tokens.take(b, { ok: true, value: 7, warning: "odd" }), 7);
  assert.deepEqual(tokens.sortedDiagnostics().map(formatDiagnostic), [
    "main.conf:1:1: bad",
    "main.conf:1:1: worse",
    "main.conf:1:3: warning: odd",
  ]);
});

Deno.test("describe and where name tokens and places for messages", () => {
  const token = (kind: Token["kind"], value: string): Token => ({
    kind,
    value,
    position: at(1, 1),
  });
  assert.equal(describe(token("newline", "\n")), "end of line");
  assert.equal(describe(token("eof", "")), "end of file");
  assert.equal(describe(token("string", "em0")), 'quoted string "em0"');
  assert.equal(describe(token("lbrace", "{")), '"{"');
  assert.equal(where(at(3, 9)), "main.conf:3");
});
