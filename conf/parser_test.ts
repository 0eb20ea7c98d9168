import assert from "node:assert/strict";
import { formatDiagnostic } from "./config.ts";
import { parseConfig } from "./parser.ts";
import { FILE, messages, parse, parseValid, stripPositions, UP } from "./testing.ts";

Deno.test("parseConfig reads the example of mcast-proxy.conf(5)", () => {
  const config = parseValid(`interface em0 {
        ipv4 yes
        ipv6 yes
        source 2001:db9::/64
        upstream
}
interface em1 { downstream }
`);
  assert.deepEqual(config, {
    ipv4: true,
    ipv6: false,
    timers: {},
    scopes: [],
    ssmRanges: [],
    interfaces: [
      {
        name: "em0",
        role: "upstream",
        ipv4: true,
        ipv6: true,
        threshold: 1,
        sources: [{ family: 6, address: "2001:db9::", length: 64 }],
        timers: {},
        boundaries: [],
        position: { file: FILE, line: 1, col: 1 },
      },
      {
        name: "em1",
        role: "downstream",
        threshold: 1,
        sources: [],
        timers: {},
        boundaries: [],
        position: { file: FILE, line: 7, col: 1 },
      },
    ],
  });
});

Deno.test("parseConfig applies the defaults", () => {
  const config = parseValid("interface em0 {\n\tupstream\n}\ninterface em1 {\n}\n");
  assert.equal(config.ipv4, true);
  assert.equal(config.ipv6, false);
  const em1 = config.interfaces[1];
  assert.equal(em1.role, "disabled");
  assert.equal(em1.threshold, 1);
  assert.equal("ipv4" in em1, false);
  assert.equal("ipv6" in em1, false);
  assert.deepEqual(em1.sources, []);
});

Deno.test("parseConfig reads globals and every interface statement", () => {
  const config = parseValid(`ipv4 no
ipv6 yes
interface em0 {
	ipv4 yes
	ipv6 no
	threshold 32
	source 10.0.0.0/8
	source 192.168.1.0/24
	source 2001:DB8:0:0::/32
	upstream
}
interface em1 {
	disabled
}
`);
  assert.deepEqual(stripPositions(config), {
    ipv4: false,
    ipv6: true,
    timers: {},
    scopes: [],
    ssmRanges: [],
    interfaces: [
      {
        name: "em0",
        role: "upstream",
        ipv4: true,
        ipv6: false,
        threshold: 32,
        sources: [
          { family: 4, address: "10.0.0.0", length: 8 },
          { family: 4, address: "192.168.1.0", length: 24 },
          { family: 6, address: "2001:db8::", length: 32 },
        ],
        timers: {},
        boundaries: [],
      },
      { name: "em1", role: "disabled", threshold: 1, sources: [], timers: {}, boundaries: [] },
    ],
  });
});

Deno.test("parseConfig accepts a file without a final newline", () => {
  const config = parseValid("interface em0 { upstream }");
  assert.equal(config.interfaces[0].role, "upstream");
});

Deno.test("parseConfig skips comments and blank lines", () => {
  const config = parseValid(`# mcast-proxy.conf
ipv6 yes # MLD too

interface em0 { # the uplink
	upstream # here
	# threshold 9
}
`);
  assert.equal(config.ipv6, true);
  assert.equal(config.interfaces[0].threshold, 1);
});

Deno.test("parseConfig joins continued lines", () => {
  const config = parseValid("interface em0 \\\n{ threshold \\\n  7\nupstream }\n");
  assert.equal(config.interfaces[0].threshold, 7);
  assert.equal(config.interfaces[0].role, "upstream");
});

Deno.test("parseConfig takes quoted interface names, including keywords", () => {
  const config = parseValid(
    'interface "em0" { upstream }\ninterface "upstream" { downstream }\n' +
      "interface 'vlan.10' { downstream }\n",
  );
  assert.deepEqual(config.interfaces.map((i) => i.name), ["em0", "upstream", "vlan.10"]);
});

Deno.test("parseConfig expands macros (the example of mcast-proxy.conf(5))", () => {
  const config = parseValid(`upstreamif="em0"
default_threshold="1"
interface $upstreamif {
	threshold $default_threshold
	upstream
}
net = 10.1.0.0/16
down = em1
interface $down { source $net
downstream }
`);
  assert.deepEqual(stripPositions(config).interfaces, [
    { name: "em0", role: "upstream", threshold: 1, sources: [], timers: {}, boundaries: [] },
    {
      name: "em1",
      role: "downstream",
      threshold: 1,
      sources: [{ family: 4, address: "10.1.0.0", length: 16 }],
      timers: {},
      boundaries: [],
    },
  ]);
  // The position of an expanded token is the "$".
  assert.deepEqual(config.interfaces[0].position, { file: FILE, line: 3, col: 1 });
});

Deno.test("parseConfig expands a macro whose value is several tokens", () => {
  const config = parseValid(`role = "upstream"
opts = "threshold 9"
interface em0 {
	$opts
	$role
}
`);
  assert.equal(config.interfaces[0].role, "upstream");
  assert.equal(config.interfaces[0].threshold, 9);
});

Deno.test("parseConfig lets a later definition replace an earlier one", () => {
  const config = parseValid("t = 5\nt = 6\ninterface em0 {\n\tthreshold $t\n\tupstream\n}\n");
  assert.equal(config.interfaces[0].threshold, 6);
});

Deno.test("parseConfig: -D macros override the file's definitions", () => {
  const text = 'up = "em0"\nthr = 5\ninterface $up {\n\tthreshold $thr\n\tupstream\n}\n';
  const fromFile = parseValid(text);
  assert.deepEqual([fromFile.interfaces[0].name, fromFile.interfaces[0].threshold], ["em0", 5]);
  const overridden = parseValid(text, { up: "eth9", thr: "64" });
  assert.deepEqual(
    [overridden.interfaces[0].name, overridden.interfaces[0].threshold],
    ["eth9", 64],
  );
});

Deno.test("parseConfig: -D macros need no definition in the file", () => {
  const config = parseValid("interface $up { upstream }\n", { up: "em3" });
  assert.equal(config.interfaces[0].name, "em3");
});

Deno.test("parseConfig reports an undefined macro at the $", () => {
  assert.deepEqual(messages("interface $up { upstream }\nup = em0\n"), [
    'test.conf:1:11: undefined macro "up"',
    "test.conf:3:1: no upstream interface configured",
  ]);
  assert.deepEqual(messages(UP + "interface em1 {\n\tthreshold $ttl\n}\n"), [
    'test.conf:3:12: undefined macro "ttl"',
  ]);
});

Deno.test("parseConfig rejects bad macro definitions", () => {
  assert.deepEqual(
    messages(UP + "upstream = em0\n9lives = x\nx =\ninterface em1 {\n\ty = 1\n}\n"),
    [
      'test.conf:2:1: macro name "upstream" is a keyword',
      'test.conf:3:1: invalid macro name "9lives": use letters, digits and "_", not starting ' +
      "with a digit",
      'test.conf:4:4: expected a value for macro "x", found end of line',
      "test.conf:6:2: macros can only be defined at top level",
    ],
  );
});

Deno.test("parseConfig warns about repeated settings and sources", () => {
  const { config, diagnostics } = parse(
    "ipv4 no\nipv4 yes\ninterface em0 {\n\tthreshold 2\n\tthreshold 3\n\tsource 10.0.0.0/8\n" +
      "\tsource 10.0.0.0/8\n\tupstream\n}\n",
  );
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    'test.conf:2:1: warning: "ipv4" is set twice (first at test.conf:1): the last one applies',
    'test.conf:5:2: warning: "threshold" is set twice in interface "em0" (first at ' +
    "test.conf:4): the last one applies",
    'test.conf:7:2: warning: source "10.0.0.0/8" is listed twice in interface "em0"',
  ]);
  assert.equal(config?.ipv4, true);
  assert.equal(config?.interfaces[0].threshold, 3);
  assert.equal(config?.interfaces[0].sources.length, 1);
});

Deno.test("parseConfig: a mistyped interface keyword costs one error, not one per line", () => {
  assert.deepEqual(messages(UP + "interfce em1 {\n\tdownstream\n\tthreshold 2\n}\n"), [
    'test.conf:2:1: unknown keyword "interfce": did you mean "interface"?',
  ]);
});

Deno.test("parseConfig: statements in the wrong place", () => {
  assert.deepEqual(
    messages(UP + 'downstream\nthreshold 3\n}\ninterface em1 {\n\tinclude "x"\n}\n'),
    [
      'test.conf:2:1: "downstream" is only valid inside an interface block',
      'test.conf:3:1: "threshold" is only valid inside an interface block',
      'test.conf:4:1: unexpected "}" outside an interface block',
      'test.conf:6:2: "include" is only valid at top level',
    ],
  );
});

Deno.test("parseConfig: include without a reader is an error", () => {
  assert.deepEqual(messages('include "/etc/other.conf"\n' + UP), [
    'test.conf:1:1: "include" cannot be used here',
  ]);
});

Deno.test("parseConfig: bad yes/no values", () => {
  assert.deepEqual(messages("ipv4 maybe\nipv6\n" + UP + "interface em1 {\n\tipv6 on\n}\n"), [
    'test.conf:1:6: expected "yes" or "no" after "ipv4", found "maybe"',
    'test.conf:2:5: expected "yes" or "no" after "ipv6", found end of line',
    'test.conf:5:7: expected "yes" or "no" after "ipv6", found "on"',
  ]);
});

Deno.test("parseConfig reports several errors in one run, sorted by position", () => {
  const { config, diagnostics } = parse(`# broken
ipv6 perhaps
interface em0 {
	threshold 300
	source 10.0.0.0/40
	upstrem
}
interface em1 { upstream }
interface em1 { downstream }
interface em2 {
	upstream
	source 10.2.0.1/16
}
`);
  assert.equal(config, undefined);
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    'test.conf:2:6: expected "yes" or "no" after "ipv6", found "perhaps"',
    'test.conf:4:12: threshold "300" is out of range (1-255)',
    'test.conf:5:9: prefix length "40" in source "10.0.0.0/40" is out of range for IPv4 (0-32)',
    'test.conf:6:2: unknown keyword "upstrem": did you mean "upstream"?',
    'test.conf:9:1: warning: interface "em1" is configured again (first at test.conf:8): ' +
    "the blocks are merged",
    'test.conf:9:17: interface "em1" cannot be downstream: it is already upstream (at test.conf:8)',
    'test.conf:11:2: interface "em2" cannot be upstream: "em1" already is (at test.conf:8)',
    "test.conf:12:9: warning: source 10.2.0.1/16 is not a network address: did you mean " +
    "10.2.0.0/16?",
  ]);
});

Deno.test("parseConfig puts the file name of the options in every position", () => {
  const { diagnostics } = parseConfig("interface em0 {}\n", { file: "/etc/mcast-proxy.conf" });
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    "/etc/mcast-proxy.conf:2:1: no upstream interface configured",
  ]);
});

Deno.test("parseConfig reads user and chroot, and the printer gives them back", async () => {
  const config = parseValid(`user _mcastproxy\nchroot /var/empty\n${UP}`);
  assert.equal(config.user, "_mcastproxy");
  assert.equal(config.chroot, "/var/empty");
  const { printConfig } = await import("./printer.ts");
  const printed = printConfig(config);
  assert.ok(printed.startsWith('ipv4 yes\nipv6 no\nuser _mcastproxy\nchroot "/var/empty"\n'));
  assert.deepEqual(stripPositions(parseValid(printed)), stripPositions(config));
  const unset = parseValid(UP);
  assert.equal(unset.user, undefined, "the default user is the daemon's business");
  assert.equal(unset.chroot, undefined);
});

Deno.test("parseConfig: bad user names and relative chroot directories are errors", () => {
  assert.deepEqual(messages(`user\nchroot\n${UP}`), [
    'test.conf:1:5: expected a user name after "user", found end of line',
    'test.conf:2:7: expected a directory after "chroot", found end of line',
  ]);
  assert.deepEqual(messages(`user -x\nchroot var/empty\n${UP}`), [
    'test.conf:1:6: invalid user name "-x": use letters, digits, "_", "-" and ".", starting ' +
    'with a letter or "_", at most 32',
    'test.conf:2:8: chroot directory "var/empty" is not an absolute path',
  ]);
  assert.deepEqual(messages(`user a\nuser b\n${UP}`), [
    'test.conf:2:1: warning: "user" is set twice (first at test.conf:1): the last one applies',
  ]);
  assert.deepEqual(messages(`usr nobody\n${UP}`), [
    'test.conf:1:1: unknown keyword "usr": did you mean "user"?',
  ]);
});
