import assert from "node:assert/strict";
import { messages, parse, parseValid, UP } from "./testing.ts";

Deno.test("parseConfig: no upstream interface", () => {
  assert.deepEqual(messages("interface em0 { downstream }\n"), [
    "test.conf:2:1: no upstream interface configured",
  ]);
  assert.deepEqual(messages(""), ["test.conf:1:1: no upstream interface configured"]);
  assert.equal(parse("").config, undefined);
});

Deno.test("parseConfig: more than one upstream names both and where", () => {
  assert.deepEqual(
    messages(
      "interface em0 {\n\tupstream\n}\ninterface em1 { upstream }\ninterface em2 {\n\tupstream\n}\n",
    ),
    [
      'test.conf:4:17: interface "em1" cannot be upstream: "em0" already is (at test.conf:2)',
      'test.conf:6:2: interface "em2" cannot be upstream: "em0" already is (at test.conf:2)',
    ],
  );
});

Deno.test("validateConfig: a boundary may name a scope defined further down", () => {
  const config = parseValid(
    UP + "interface em1 {\n\tboundary LOCAL\n\tdownstream\n}\nname LOCAL 239.255.0.0/16\n",
  );
  assert.deepEqual(config.interfaces[1].boundaries, [
    { name: "LOCAL", prefix: { family: 4, address: "239.255.0.0", length: 16 } },
  ]);
});

Deno.test("validateConfig: a boundary repeating another's range is dropped, however written", () => {
  const text = UP + "name LOCAL 239.255.0.0/16\nname SITE 239.255.0.0/16\ninterface em1 {\n" +
    "\tboundary LOCAL\n\tboundary SITE\n\tboundary 239.255.0.0/16\n\tboundary local\n" +
    "\tdownstream\n}\n";
  assert.deepEqual(messages(text), [
    'test.conf:6:11: warning: boundary "SITE" repeats "LOCAL" (at test.conf:5) in interface ' +
    '"em1"',
    'test.conf:7:11: warning: boundary "239.255.0.0/16" repeats "LOCAL" (at test.conf:5) in ' +
    'interface "em1"',
    'test.conf:8:11: unknown scope "local" in boundary: did you mean "LOCAL"?',
  ]);
  const fixed = parse(text.replace("\tboundary local\n", "")).config;
  assert.deepEqual(fixed?.interfaces[1].boundaries.map((b) => b.name), ["LOCAL"]);
});

Deno.test("validateConfig: query-response-interval against a query-interval of the block", () => {
  assert.deepEqual(messages(UP + "interface em1 {\n\tquery-interval 10\n\tdownstream\n}\n"), [
    "test.conf:3:2: query-response-interval 10 s must be less than query-interval 10 s in " +
    'interface "em1" (the default query-response-interval)',
  ]);
});

Deno.test("validateConfig: a top-level conflict is reported once, at top level", () => {
  // Blocks that set neither timer, or that set one making it right, are not reported; a
  // disabled block is not checked.
  assert.deepEqual(
    messages(
      "query-interval 5\n" + UP + "interface em1 { downstream }\ninterface em2 {\n" +
        "\tquery-interval 30\n\tdownstream\n}\ninterface em3 {\n\tquery-response-interval 2\n" +
        "\tdownstream\n}\ninterface em4 {\n\tquery-response-interval 9\n\tdisabled\n}\n",
    ),
    [
      "test.conf:1:1: query-response-interval 10 s must be less than query-interval 5 s (the " +
      "default query-response-interval)",
    ],
  );
});

Deno.test("validateConfig: the families are judged on the interfaces in use", () => {
  assert.deepEqual(
    messages("ipv4 no\n" + UP + "interface em1 {\n\tipv6 yes\n\tdownstream\n}\n"),
    [],
  );
  // A disabled interface with IPv4 on does not count.
  assert.deepEqual(messages("ipv4 no\n" + UP + "interface em1 {\n\tipv4 yes\n\tdisabled\n}\n"), [
    "test.conf:7:1: warning: IPv4 and IPv6 are both off on every interface: nothing is proxied",
  ]);
});
