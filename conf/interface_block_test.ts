import assert from "node:assert/strict";
import { formatDiagnostic } from "./config.ts";
import { FILE, messages, parse, parseValid, UP } from "./testing.ts";

Deno.test("parseConfig accepts one-line blocks, a { on the next line and empty blocks", () => {
  const config = parseValid(
    "interface em0 { upstream }\ninterface em1\n{\n  downstream }\ninterface em2 {}\n" +
      "interface em3 {\n\n}\n",
  );
  assert.deepEqual(config.interfaces.map((i) => [i.name, i.role]), [
    ["em0", "upstream"],
    ["em1", "downstream"],
    ["em2", "disabled"],
    ["em3", "disabled"],
  ]);
});

Deno.test("parseConfig: an interface in two blocks with conflicting roles", () => {
  assert.deepEqual(
    messages(UP + "interface eth0 { downstream }\n\ninterface eth0 {\n\tdisabled\n}\n"),
    [
      'test.conf:4:1: warning: interface "eth0" is configured again (first at test.conf:2): ' +
      "the blocks are merged",
      'test.conf:5:2: interface "eth0" cannot be disabled: it is already downstream ' +
      "(at test.conf:2)",
    ],
  );
});

Deno.test("parseConfig merges the blocks of one interface in file order", () => {
  const { config, diagnostics } = parse(
    UP + "interface em1 {\n\tthreshold 2\n\tsource 10.0.0.0/8\n}\n" +
      "interface em1 {\n\tthreshold 4\n\tsource 172.16.0.0/12\n\tdownstream\n}\n",
  );
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    'test.conf:6:1: warning: interface "em1" is configured again (first at test.conf:2): ' +
    "the blocks are merged",
    'test.conf:7:2: warning: "threshold" is set twice in interface "em1" (first at ' +
    "test.conf:3): the last one applies",
  ]);
  assert.ok(config !== undefined);
  assert.equal(config.interfaces.length, 2);
  const em1 = config.interfaces[1];
  assert.equal(em1.role, "downstream");
  assert.equal(em1.threshold, 4);
  assert.deepEqual(em1.sources.map((s) => `${s.address}/${s.length}`), [
    "10.0.0.0/8",
    "172.16.0.0/12",
  ]);
  assert.deepEqual(em1.position, { file: FILE, line: 2, col: 1 });
  // The same role again in a second block is not a second upstream.
  assert.deepEqual(messages(UP + "interface up0 { upstream }\n"), [
    'test.conf:2:1: warning: interface "up0" is configured again (first at test.conf:1): ' +
    "the blocks are merged",
    'test.conf:2:17: warning: interface "up0" is made upstream twice (first at test.conf:1)',
  ]);
});

Deno.test("parseConfig: two roles in a block", () => {
  assert.deepEqual(messages("interface em0 {\n\tupstream\n\tdownstream\n}\n"), [
    'test.conf:3:2: interface "em0" cannot be downstream: it is already upstream ' +
    "(at test.conf:2)",
  ]);
});

Deno.test("parseConfig: block syntax errors", () => {
  assert.deepEqual(
    messages(
      UP + "interface {\n\tdownstream\n}\ninterface em1 downstream\ninterface em2\n\n" +
        "interface em3 { downstream } extra\ninterface em4 { downstream upstream }\n" +
        'interface em5 {\n\t"ipv4" yes\n\t= 3\n}\n',
    ),
    [
      'test.conf:2:11: expected an interface name after "interface", found "{"',
      'test.conf:5:15: expected "{" after interface "em1", found "downstream"',
      'test.conf:6:14: expected "{" after interface "em2", found end of line',
      'test.conf:8:30: expected end of line after "}", found "extra"',
      'test.conf:9:28: expected end of line after "downstream", found "upstream"',
      'test.conf:11:2: expected a keyword, found quoted string "ipv4"',
      'test.conf:12:2: expected a keyword, found "="',
    ],
  );
});

Deno.test("parseConfig: a missing } is reported where the next block or the file starts", () => {
  assert.deepEqual(messages("interface em0 {\n\tupstream\ninterface em1 {\n\tdownstream\n"), [
    'test.conf:3:1: expected "}" to close interface "em0" (at test.conf:1) before the next ' +
    '"interface"',
    'test.conf:5:1: expected "}" to close interface "em1" (at test.conf:3), found end of file',
  ]);
});

Deno.test("parseConfig: bad interface names", () => {
  assert.deepEqual(
    messages(
      UP + 'interface "" { downstream }\ninterface "a b" {}\ninterface abcdefghijklmnop {}\n',
    ),
    [
      "test.conf:2:11: interface name is empty",
      'test.conf:3:11: interface name "a b" contains white space',
      'test.conf:4:11: interface name "abcdefghijklmnop" is too long (at most 15 bytes)',
    ],
  );
});

Deno.test("parseConfig: a block without a usable name is still read for its errors", () => {
  assert.deepEqual(messages(UP + 'interface "" {\n\tthreshold 0\n\tdownstream\n}\n'), [
    "test.conf:2:11: interface name is empty",
    'test.conf:3:12: threshold "0" is out of range (1-255)',
  ]);
});
