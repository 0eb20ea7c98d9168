import { deepStrictEqual, equal, match } from "node:assert/strict";
import {
  type ControlRequest,
  encodeReply,
  formatRequest,
  LineReader,
  MAX_REQUEST_BYTES,
  parseRequest,
  ReplyReader,
} from "./control_protocol.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

/** The reason a request is refused; fails when it is accepted. */
function refused(line: string): string {
  const r = parseRequest(line);
  if (r.ok) throw new Error(`accepted: ${line} -> ${JSON.stringify(r.value)}`);
  return r.reason;
}

Deno.test("parseRequest: every command with its arguments and formats", () => {
  const cases: [string, ControlRequest][] = [
    ["show interfaces", { command: "show", what: "interfaces", format: "text" }],
    ["show groups", { command: "show", what: "groups", format: "text" }],
    [
      "show groups 239.1.1.1 --json",
      { command: "show", what: "groups", group: "239.1.1.1", format: "json" },
    ],
    [
      "  show\tgroups  --json ff05::13 \r",
      { command: "show", what: "groups", group: "ff05::13", format: "json" },
    ],
    ["show upstream --json", { command: "show", what: "upstream", format: "json" }],
    ["show forwarding", { command: "show", what: "forwarding", format: "text" }],
    ["show counters --prometheus", { command: "show", what: "counters", format: "prometheus" }],
    ["show config", { command: "show", what: "config", format: "text" }],
    ["reload --json", { command: "reload", format: "json" }],
    ["log verbose", { command: "log", level: "verbose", format: "text" }],
    ["log brief --json", { command: "log", level: "brief", format: "json" }],
    ["dump", { command: "dump", format: "text" }],
    ["dump --json", { command: "dump", format: "json" }],
    ["monitor --json", { command: "monitor", format: "json" }],
  ];
  for (const [line, want] of cases) {
    deepStrictEqual(parseRequest(line), { ok: true, value: want }, line);
    // Written back, it reads the same.
    deepStrictEqual(parseRequest(formatRequest(want)), { ok: true, value: want }, line);
  }
});

Deno.test("parseRequest: malformed requests get a reason naming what was expected", () => {
  equal(refused(""), "empty request");
  equal(refused("  \t "), "empty request");
  match(refused("shwo groups"), /unknown command "shwo": expected one of show, reload, log/);
  match(refused("show"), /show what\? got nothing: expected one of interfaces, groups/);
  match(refused("show group"), /got "group"/);
  match(refused("show upstream 239.1.1.1"), /show upstream takes no argument/);
  match(refused("show groups 239.1.1.1 239.1.1.2"), /takes one group, got "239.1.1.2"/);
  match(refused("show groups 10.0.0.1"), /"10.0.0.1" is not a multicast group address/);
  match(refused("show groups 2001:db8::1"), /not a multicast group address/);
  match(refused("show groups nonsense"), /not a multicast group address/);
  match(refused("show groups --yaml"), /unknown option "--yaml": expected --json or --prometheus/);
  match(refused("show counters --json --prometheus"), /exclude each other/);
  match(refused("show groups --prometheus"), /show groups does not take --prometheus/);
  match(refused("reload now"), /reload takes no argument, got "now"/);
  match(refused("monitor --prometheus"), /monitor does not take --prometheus/);
  match(refused("log"), /log what\? got nothing: expected verbose or brief/);
  match(refused("log loud"), /got "loud"/);
  match(refused("log brief now"), /log takes one word/);
  match(refused("log brief --prometheus"), /log does not take --prometheus/);
  match(refused("dump all"), /dump takes no argument/);
  match(refused("dump --prometheus"), /dump does not take --prometheus/);
});

Deno.test("parseRequest: hostile words are quoted, cut short and escaped in the reason", () => {
  const reason = refused(`${"x".repeat(500)}\u0000\u001b[2J`);
  equal(reason.length < 120, true, reason);
  match(reason, /^unknown command "x{40}…"/);
  match(refused("show \u001b[2J"), /\\u001b\[2J/);
});

Deno.test("encodeReply and ReplyReader: replies cut from any chunking, bodies of any bytes", () => {
  const replies = [
    { ok: true, body: "Vif  Name\n  0  up0\n" },
    { ok: false, body: "show what? got nothing\n" },
    { ok: true, body: "" },
    { ok: true, body: "ok 12\nnot a header: bodies are opaque \u00e9\u4e2d\n" },
  ];
  const all = new Uint8Array(replies.flatMap((r) => [...encodeReply(r)]));
  for (const size of [1, 2, 3, 7, all.length]) {
    const reader = new ReplyReader();
    const got = [];
    for (let i = 0; i < all.length; i += size) got.push(...reader.push(all.subarray(i, i + size)));
    deepStrictEqual(got, replies.map((reply) => ({ kind: "reply", reply })), `chunks of ${size}`);
  }
  equal(new TextDecoder().decode(encodeReply({ ok: true, body: "é" })), "ok 2\né");
});

Deno.test("ReplyReader: a stream header hands the rest over; a bad header is reported", () => {
  const reader = new ReplyReader();
  deepStrictEqual(reader.push(bytes("ok 3\nab")), []);
  deepStrictEqual(reader.push(bytes("cstream\nevent one\n")), [
    { kind: "reply", reply: { ok: true, body: "abc" } },
    { kind: "stream" },
  ]);
  equal(reader.streaming, true);
  equal(new TextDecoder().decode(reader.takeRest()), "event one\n");
  deepStrictEqual(new ReplyReader().push(bytes("hello\n")), [
    { kind: "bad", reason: 'bad reply header "hello"' },
  ]);
  deepStrictEqual(new ReplyReader().push(bytes("x".repeat(100))), [
    { kind: "bad", reason: "no reply header" },
  ]);
});

Deno.test("LineReader: partial lines wait, long lines are refused once and skipped", () => {
  const reader = new LineReader(16);
  deepStrictEqual(reader.push(bytes("show gr")), []);
  equal(reader.pending, 7);
  deepStrictEqual(reader.push(bytes("oups\ndump\nlog")), [
    { kind: "line", line: "show groups" },
    { kind: "line", line: "dump" },
  ]);
  // 15 bytes and the newline fit; one more does not.
  deepStrictEqual(reader.push(bytes(" verbose1234\n")), [{
    kind: "line",
    line: "log verbose1234",
  }]);
  deepStrictEqual(reader.push(bytes("0123456789abcdef\nreload\n")), [
    { kind: "too-long", bytes: 17 },
    { kind: "line", line: "reload" },
  ]);
  // A huge line in many chunks costs one refusal and never more than the limit held.
  const huge = new LineReader(MAX_REQUEST_BYTES);
  const got = [];
  for (let i = 0; i < 100; i++) {
    got.push(...huge.push(bytes("x".repeat(1000))));
    equal(huge.pending <= MAX_REQUEST_BYTES, true);
  }
  got.push(...huge.push(bytes("\nshow config\n")));
  deepStrictEqual(got, [{ kind: "too-long", bytes: 100_001 }, {
    kind: "line",
    line: "show config",
  }]);
});

Deno.test("LineReader: bytes that are not UTF-8 become replacement characters, then a refusal", () => {
  const [read] = new LineReader(64).push(new Uint8Array([0x73, 0xff, 0xfe, 0x0a]));
  deepStrictEqual(read, { kind: "line", line: "s\ufffd\ufffd" });
  match(refused((read as { line: string }).line), /unknown command/);
});
