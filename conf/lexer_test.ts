import assert from "node:assert/strict";
import { formatDiagnostic } from "./config.ts";
import { checkMacroName, MacroTable, type Token, tokenize } from "./lexer.ts";
import { parseConfig } from "./parser.ts";

const FILE = "test.conf";

/** Tokens as `kind:value@line:col` strings, newlines as `NL`, end as `EOF`. */
function lex(text: string, macros?: MacroTable): string[] {
  const { tokens, diagnostics } = tokenize(text, { file: FILE, macros });
  assert.deepEqual(diagnostics.map(formatDiagnostic), []);
  return tokens.map(show);
}

function show(t: Token): string {
  const at = `@${t.position.line}:${t.position.col}`;
  switch (t.kind) {
    case "newline":
      return `NL${at}`;
    case "eof":
      return `EOF${at}`;
    case "string":
      return `"${t.value}"${at}`;
    default:
      return `${t.value}${at}`;
  }
}

function errors(text: string, macros?: MacroTable): string[] {
  return tokenize(text, { file: FILE, macros }).diagnostics.map(formatDiagnostic);
}

Deno.test("lexer gives words, braces and newlines with 1-based positions", () => {
  assert.deepEqual(lex("interface em1 { downstream }\n"), [
    "interface@1:1",
    "em1@1:11",
    "{@1:15",
    "downstream@1:17",
    "}@1:28",
    "NL@1:29",
    "EOF@2:1",
  ]);
});

Deno.test("lexer counts tabs as one column and keeps blank lines as newlines", () => {
  assert.deepEqual(lex("\tupstream\n\n  x"), [
    "upstream@1:2",
    "NL@1:10",
    "NL@2:1",
    "x@3:3",
    "EOF@3:4",
  ]);
});

Deno.test("lexer skips comments up to the end of the line", () => {
  assert.deepEqual(lex("# top\nipv4 yes # trailing\nfoo#bar\n"), [
    "NL@1:6",
    "ipv4@2:1",
    "yes@2:6",
    "NL@2:20",
    "foo@3:1",
    "NL@3:8",
    "EOF@4:1",
  ]);
});

Deno.test("lexer joins lines ending in a backslash", () => {
  assert.deepEqual(lex("ipv4 \\\n  yes\n"), ["ipv4@1:1", "yes@2:3", "NL@2:6", "EOF@3:1"]);
  // Inside a word the continuation disappears, as in OpenBSD's lgetc().
  assert.deepEqual(lex("down\\\nstream"), ["downstream@1:1", "EOF@2:7"]);
  // CRLF line ends.
  assert.deepEqual(lex("ipv4 \\\r\nno\r\n"), ["ipv4@1:1", "no@2:1", "NL@2:4", "EOF@3:1"]);
});

Deno.test("lexer ends a comment at its newline even after a backslash", () => {
  assert.deepEqual(lex("# comment \\\nupstream"), ["NL@1:12", "upstream@2:1", "EOF@2:9"]);
});

Deno.test("lexer reads quoted strings with escapes", () => {
  assert.deepEqual(lex('interface "em 0" {'), [
    "interface@1:1",
    '"em 0"@1:11',
    "{@1:18",
    "EOF@1:19",
  ]);
  assert.deepEqual(lex(String.raw`"a\"b" "c\\d" "e\f" 'g"h'`), [
    '"a"b"@1:1',
    '"c\\d"@1:8',
    '"e\\f"@1:15',
    '"g"h"@1:21',
    "EOF@1:26",
  ]);
  // Braces, "=" and "#" lose their meaning inside quotes.
  assert.deepEqual(lex('"{ = # }"'), ['"{ = # }"@1:1', "EOF@1:10"]);
  assert.deepEqual(lex('""'), ['""@1:1', "EOF@1:3"]);
  // A continuation inside a string.
  assert.deepEqual(lex('"em\\\n0"'), ['"em0"@1:1', "EOF@2:3"]);
});

Deno.test("lexer reports an unterminated string at its opening quote", () => {
  assert.deepEqual(errors('interface "em0 {\nupstream\n'), [
    "test.conf:1:11: unterminated quoted string",
  ]);
  assert.deepEqual(errors('x "abc'), ["test.conf:1:3: unterminated quoted string"]);
});

Deno.test("lexer makes '=' a token of its own", () => {
  assert.deepEqual(lex('up="em0"\nthr = 5'), [
    "up@1:1",
    "=@1:3",
    '"em0"@1:4',
    "NL@1:9",
    "thr@2:1",
    "=@2:5",
    "5@2:7",
    "EOF@2:8",
  ]);
});

Deno.test("lexer keeps addresses and odd characters in words", () => {
  assert.deepEqual(lex("source 2001:db9::/64 10.0.0.0/8 a$b c\\d"), [
    "source@1:1",
    "2001:db9::/64@1:8",
    "10.0.0.0/8@1:22",
    "a$b@1:33",
    "c\\d@1:37",
    "EOF@1:40",
  ]);
});

Deno.test("lexer expands $name into the tokens of the value, at the position of the $", () => {
  const macros = new MacroTable();
  macros.define("up", "em0");
  macros.define("two", "threshold 5");
  const { tokens } = tokenize("interface $up {\n  $two\n}", { file: FILE, macros });
  assert.deepEqual(tokens.map(show), [
    "interface@1:1",
    "em0@1:11",
    "{@1:15",
    "NL@1:16",
    "threshold@2:3",
    "5@2:3",
    "NL@2:7",
    "}@3:1",
    "EOF@3:2",
  ]);
  assert.equal(tokens[1].macro, "up");
  assert.equal(tokens[0].macro, undefined);
});

Deno.test("lexer ends a macro name at the first character outside [A-Za-z0-9_]", () => {
  const macros = new MacroTable();
  macros.define("net", "10.0.0.0");
  assert.deepEqual(lex("$net/8", macros), ["10.0.0.0@1:1", "/8@1:5", "EOF@1:7"]);
});

Deno.test("lexer does not expand macros inside quotes or inside a value", () => {
  const macros = new MacroTable();
  macros.define("a", "$b");
  macros.define("b", "x");
  assert.deepEqual(lex('"$b" $a', macros), ['"$b"@1:1', "$b@1:6", "EOF@1:8"]);
});

Deno.test("lexer reports an undefined macro at the $", () => {
  const macros = new MacroTable();
  const { tokens, diagnostics } = tokenize("threshold $nope\n", { file: FILE, macros });
  assert.deepEqual(diagnostics.map(formatDiagnostic), ['test.conf:1:11: undefined macro "nope"']);
  assert.equal(tokens[1].kind, "invalid");
  assert.deepEqual(errors("x $ y", macros), ['test.conf:1:3: expected a macro name after "$"']);
});

Deno.test("lexer without a macro table reads $name as a word", () => {
  assert.deepEqual(lex("$x"), ["$x@1:1", "EOF@1:3"]);
});

Deno.test("lexer reports control characters", () => {
  assert.deepEqual(errors("ipv4\u0001yes"), ["test.conf:1:5: unexpected character U+0001"]);
});

Deno.test("MacroTable keeps command-line definitions over the file's", () => {
  const macros = new MacroTable({ up: "em9" });
  assert.equal(macros.define("up", "em0"), false);
  assert.equal(macros.get("up"), "em9");
  assert.equal(macros.define("down", "em1"), true);
  assert.equal(macros.define("down", "em2"), true);
  assert.equal(macros.get("down"), "em2");
  assert.equal(macros.get("other"), undefined);
});

Deno.test("checkMacroName accepts identifiers that are not keywords", () => {
  assert.equal(checkMacroName("upstream_if"), undefined);
  assert.equal(checkMacroName("_x9"), undefined);
  assert.equal(
    checkMacroName("9x"),
    'invalid macro name "9x": use letters, digits and "_", not starting with a digit',
  );
  assert.equal(
    checkMacroName("a-b"),
    'invalid macro name "a-b": use letters, digits and "_", not starting with a digit',
  );
  assert.equal(checkMacroName("upstream"), 'macro name "upstream" is a keyword');
});

Deno.test("lexer: a byte order mark is skipped; invisible and control characters are errors", () => {
  const { config, diagnostics } = parseConfig(
    '\ufeffinterface em0 { upstream }\ninterface "em\u001b1" { downstream }\n' +
      "interface em\u00a02 { downstream }\ninterface em\ufffd3 { downstream }\n",
    { file: "t.conf" },
  );
  assert.equal(config, undefined);
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    "t.conf:2:14: unexpected character U+001B in quoted string",
    "t.conf:3:13: unexpected character U+00A0",
    "t.conf:4:13: unexpected character U+FFFD (is the file not UTF-8?)",
  ]);
});
