import assert from "node:assert/strict";
import { formatDiagnostic } from "./config.ts";
import { MacroTable } from "./lexer.ts";
import {
  interfaceLevel,
  newParsedInterface,
  newParseState,
  parseCommonSetting,
  parseYesNo,
  topLevel,
} from "./parse_state.ts";
import { TokenStream } from "./token_stream.ts";

function stateOf(text: string) {
  const tokens = new TokenStream(new MacroTable());
  tokens.pushFile({ text, file: "t.conf", id: "t.conf" });
  return newParseState(tokens);
}

Deno.test("parseCommonSetting records ipv4/ipv6 and timers at top level", () => {
  const state = stateOf("ipv6 yes\nquery-interval 2.5\nthreshold 3\n");
  const level = topLevel(state);
  const { tokens } = state;
  assert.equal(parseCommonSetting(tokens, { level, kw: tokens.next() }), true);
  tokens.next();
  assert.equal(parseCommonSetting(tokens, { level, kw: tokens.next() }), true);
  tokens.next();
  const threshold = tokens.next();
  assert.equal(parseCommonSetting(tokens, { level, kw: threshold }), false);
  assert.equal(tokens.peek().value, "3", "nothing read after a keyword it does not take");
  assert.equal(state.config.ipv6, true);
  assert.deepEqual(state.config.timers, { queryInterval: 2_500 });
  assert.deepEqual(state.timerAt.get("queryInterval"), { file: "t.conf", line: 2, col: 1 });
  assert.deepEqual(state.globalsSeen.get("ipv6"), { file: "t.conf", line: 1, col: 1 });
});

Deno.test("parseCommonSetting in a block: a } ends the statement, warnings name the interface", () => {
  const state = stateOf("robustness 1 }\nrobustness 3 }\n");
  const parsed = newParsedInterface("em0", { file: "t.conf", line: 1, col: 1 });
  const level = interfaceLevel(parsed);
  const { tokens } = state;
  assert.equal(parseCommonSetting(tokens, { level, kw: tokens.next() }), true);
  assert.equal(tokens.next().kind, "rbrace");
  tokens.next();
  assert.equal(parseCommonSetting(tokens, { level, kw: tokens.next() }), true);
  assert.deepEqual(parsed.config.timers, { robustness: 3 });
  assert.deepEqual(tokens.sortedDiagnostics().map(formatDiagnostic), [
    "t.conf:1:1: warning: robustness 1 leaves no margin for a lost packet: 2 or more is " +
    "recommended",
    't.conf:2:1: warning: "robustness" is set twice in interface "em0" (first at t.conf:1): ' +
    "the last one applies",
  ]);
});

Deno.test("parseCommonSetting skips the rest of a statement whose value is wrong", () => {
  const state = stateOf("ipv4 maybe so\nrobustness 9 more\nnext\n");
  const level = topLevel(state);
  const { tokens } = state;
  assert.equal(parseCommonSetting(tokens, { level, kw: tokens.next() }), true);
  tokens.next();
  assert.equal(parseCommonSetting(tokens, { level, kw: tokens.next() }), true);
  tokens.next();
  assert.equal(tokens.next().value, "next");
  assert.deepEqual(state.config, {
    ipv4: true,
    ipv6: false,
    timers: {},
    scopes: [],
    ssmRanges: [],
    interfaces: [],
  });
  assert.equal(state.globalsSeen.size, 0, "a refused setting is not a first setting");
});

Deno.test("parseYesNo takes yes or no, quoted or not, and leaves anything else", () => {
  const state = stateOf('yes "no" on\n');
  const { tokens } = state;
  const kw = { kind: "word" as const, value: "ipv4", position: { file: "t", line: 1, col: 1 } };
  assert.equal(parseYesNo(tokens, kw), true);
  assert.equal(parseYesNo(tokens, kw), false);
  assert.equal(parseYesNo(tokens, kw), undefined);
  assert.equal(tokens.peek().value, "on");
  assert.deepEqual(tokens.sortedDiagnostics().map(formatDiagnostic), [
    't.conf:1:10: expected "yes" or "no" after "ipv4", found "on"',
  ]);
});
