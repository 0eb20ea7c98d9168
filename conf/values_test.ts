import assert from "node:assert/strict";
import { formatDiagnostic } from "./config.ts";
import {
  checkChrootDirectory,
  checkInterfaceName,
  checkMulticastRange,
  checkScopeName,
  checkUserName,
  isScopeName,
  parseInteger,
  parsePrefix,
  parseSeconds,
  parseTimerValue,
  parseVersion,
  samePrefix,
} from "./values.ts";
import { messages, parse, parseValid, UP } from "./testing.ts";
import { timerKeywordOf } from "../src/core/timers.ts";

const THRESHOLD = { keyword: "threshold", min: 1, max: 255 };

Deno.test("parseInteger reads whole numbers in range, a sign included", () => {
  assert.deepEqual(parseInteger("32", THRESHOLD), { ok: true, value: 32 });
  assert.deepEqual(parseInteger("007", THRESHOLD), { ok: true, value: 7 });
  assert.deepEqual(parseInteger("255", THRESHOLD), { ok: true, value: 255 });
  assert.deepEqual(parseInteger("-1", THRESHOLD), {
    ok: false,
    errors: ['threshold "-1" is out of range (1-255)'],
  });
  assert.deepEqual(parseInteger("99999999999999999999", THRESHOLD), {
    ok: false,
    errors: ['threshold "99999999999999999999" is out of range (1-255)'],
  });
  for (const text of ["", "+1", "1.5", " 1", "0x10", "1e2"]) {
    assert.deepEqual(parseInteger(text, THRESHOLD), {
      ok: false,
      errors: [`threshold "${text}" is not a number`],
    });
  }
});

Deno.test("parseSeconds reads one decimal at most, into milliseconds, in the timer's range", () => {
  const qi = timerKeywordOf("queryInterval");
  const lmqi = timerKeywordOf("lastMemberQueryInterval");
  assert.deepEqual(parseSeconds("1", qi), { ok: true, value: 1_000 });
  assert.deepEqual(parseSeconds("31744", qi), { ok: true, value: 31_744_000 });
  assert.deepEqual(parseSeconds("0.1", lmqi), { ok: true, value: 100 });
  // Trailing zeros are no precision: "2.50" is 2.5 s.
  assert.deepEqual(parseSeconds("2.50", lmqi), { ok: true, value: 2_500 });
  assert.deepEqual(parseSeconds("25.50", lmqi), { ok: true, value: 25_500 });
  assert.deepEqual(parseSeconds("2.55", lmqi), {
    ok: false,
    errors: ['last-member-query-interval "2.55" has more than one decimal (the unit is 0.1 s)'],
  });
  assert.deepEqual(parseSeconds("0.0", lmqi), {
    ok: false,
    errors: ['last-member-query-interval "0.0" is out of range (0.1-25.5 seconds)'],
  });
  assert.deepEqual(parseSeconds("31744.1", qi), {
    ok: false,
    errors: ['query-interval "31744.1" is out of range (1-31744 seconds)'],
  });
  for (const text of ["", "1.", ".5", "-1", "1e3", "1s", "1,5"]) {
    assert.deepEqual(parseSeconds(text, qi), {
      ok: false,
      errors: [`query-interval "${text}" is not a number of seconds`],
    });
  }
});

Deno.test("parseTimerValue reads counts as whole numbers and intervals as seconds", () => {
  const robustness = timerKeywordOf("robustness");
  assert.deepEqual(parseTimerValue("7", robustness), { ok: true, value: 7 });
  assert.deepEqual(parseTimerValue("8", robustness), {
    ok: false,
    errors: ['robustness "8" is out of range (1-7)'],
  });
  assert.deepEqual(parseTimerValue("1.5", robustness), {
    ok: false,
    errors: ['robustness "1.5" is not a number'],
  });
  assert.deepEqual(parseTimerValue("1.5", timerKeywordOf("startupQueryInterval")), {
    ok: true,
    value: 1_500,
  });
});

Deno.test("parsePrefix gives the network address, canonical, and warns about host bits", () => {
  assert.deepEqual(parsePrefix("10.0.0.0/8", "source"), {
    ok: true,
    value: { family: 4, address: "10.0.0.0", length: 8 },
  });
  assert.deepEqual(parsePrefix("2001:DB8::1/32", "source"), {
    ok: true,
    value: { family: 6, address: "2001:db8::", length: 32 },
    warning: "source 2001:DB8::1/32 is not a network address: did you mean 2001:db8::/32?",
  });
  assert.deepEqual(parsePrefix("::/0", "source"), {
    ok: true,
    value: { family: 6, address: "::", length: 0 },
  });
});

Deno.test("parsePrefix reports a bad address and a bad length together", () => {
  assert.deepEqual(parsePrefix("em0/999", "source"), {
    ok: false,
    errors: [
      'invalid address "em0" in source "em0/999"',
      'prefix length "999" in source "em0/999" is out of range',
    ],
  });
  assert.deepEqual(parsePrefix("em0/x", "boundary"), {
    ok: false,
    errors: [
      'invalid address "em0" in boundary "em0/x"',
      'invalid prefix length "x" in boundary "em0/x"',
    ],
  });
  // Without a family, a length any IPv6 prefix could have is not reported.
  assert.deepEqual(parsePrefix("em0/64", "source"), {
    ok: false,
    errors: ['invalid address "em0" in source "em0/64"'],
  });
});

Deno.test("parsePrefix refuses IPv4-mapped prefixes, with the IPv4 form when there is one", () => {
  assert.deepEqual(parsePrefix("::ffff:10.0.0.0/96", "source"), {
    ok: false,
    errors: ['source "::ffff:10.0.0.0/96" is an IPv4-mapped IPv6 prefix: write it as 0.0.0.0/0'],
  });
  assert.deepEqual(parsePrefix("::ffff:10.1.2.3/120", "source"), {
    ok: false,
    errors: [
      'source "::ffff:10.1.2.3/120" is an IPv4-mapped IPv6 prefix: write it as 10.1.2.0/24',
    ],
  });
  assert.deepEqual(parsePrefix("::ffff:0:0/95", "source"), {
    ok: false,
    errors: ['source "::ffff:0:0/95" is an IPv4-mapped IPv6 prefix'],
  });
});

Deno.test("checkMulticastRange accepts ranges inside 224.0.0.0/4 and ff00::/8 only", () => {
  const v4 = (address: string, length: number) => ({ family: 4 as const, address, length });
  const v6 = (address: string, length: number) => ({ family: 6 as const, address, length });
  assert.equal(checkMulticastRange(v4("239.0.0.0", 8), "239.0.0.0/8"), undefined);
  assert.equal(checkMulticastRange(v4("224.0.0.0", 4), "224.0.0.0/4"), undefined);
  assert.equal(
    checkMulticastRange(v4("224.0.0.0", 3), "224/3"),
    "224/3 is not a multicast range (IPv4 groups are in 224.0.0.0/4)",
  );
  assert.equal(
    checkMulticastRange(v4("10.0.0.0", 8), "10.0.0.0/8"),
    "10.0.0.0/8 is not a multicast range (IPv4 groups are in 224.0.0.0/4)",
  );
  assert.equal(checkMulticastRange(v6("ff05::", 16), "ff05::/16"), undefined);
  assert.equal(
    checkMulticastRange(v6("fe00::", 7), "fe00::/7"),
    "fe00::/7 is not a multicast range (IPv6 groups are in ff00::/8)",
  );
  assert.equal(
    checkMulticastRange(v6("2001:db8::", 32), "2001:db8::/32"),
    "2001:db8::/32 is not a multicast range (IPv6 groups are in ff00::/8)",
  );
});

Deno.test("samePrefix compares family, address and length", () => {
  const a = { family: 4 as const, address: "10.0.0.0", length: 8 };
  assert.equal(samePrefix(a, { ...a }), true);
  assert.equal(samePrefix(a, { ...a, length: 16 }), false);
  assert.equal(samePrefix(a, { ...a, address: "11.0.0.0" }), false);
});

Deno.test("checkInterfaceName counts bytes and refuses white space and path names", () => {
  assert.equal(checkInterfaceName("em0"), undefined);
  assert.equal(checkInterfaceName("a".repeat(15)), undefined);
  assert.equal(
    checkInterfaceName("a".repeat(16)),
    `interface name "${"a".repeat(16)}" is too long (at most 15 bytes)`,
  );
  // Eight characters, sixteen bytes.
  assert.equal(
    checkInterfaceName("é".repeat(8)),
    'interface name "éééééééé" is too long (at most 15 bytes)',
  );
  assert.equal(
    checkInterfaceName("x".repeat(50)),
    `interface name "${"x".repeat(40)}..." is too long (at most 15 bytes)`,
  );
  assert.equal(checkInterfaceName(""), "interface name is empty");
  assert.equal(checkInterfaceName("a\tb"), 'interface name "a\tb" contains white space');
  for (const name of ["a/b", ".", ".."]) {
    assert.equal(
      checkInterfaceName(name),
      `"${name}" cannot be an interface name (no "/", ".", or "..")`,
    );
  }
  assert.equal(checkInterfaceName("vlan.10"), undefined);
});

Deno.test("checkUserName and checkChrootDirectory", () => {
  assert.equal(checkUserName("_mcastproxy"), undefined);
  assert.equal(checkUserName("a" + "b".repeat(31)), undefined);
  assert.match(checkUserName("a" + "b".repeat(32)) ?? "", /^invalid user name "ab+": /);
  assert.match(checkUserName("1abc") ?? "", /^invalid user name "1abc": /);
  assert.equal(checkChrootDirectory("/var/empty"), undefined);
  assert.equal(
    checkChrootDirectory("var/empty"),
    'chroot directory "var/empty" is not an absolute path',
  );
});

Deno.test("isScopeName tells a scope name from a prefix; checkScopeName says what is wrong", () => {
  for (const name of ["LOCAL", "_x", "a.b-c", "site6"]) assert.equal(isScopeName(name), true);
  for (const word of ["239.0.0.0/8", "ff05::/16", "9lives", "-x", ""]) {
    assert.equal(isScopeName(word), false, word);
  }
  assert.equal(checkScopeName("LOCAL"), undefined);
  assert.equal(
    checkScopeName("9lives"),
    'invalid scope name "9lives": use letters, digits, "_", "-" and ".", starting with a ' +
      'letter or "_"',
  );
});

Deno.test("parseConfig: threshold out of range or not a number", () => {
  assert.deepEqual(
    messages(
      UP + "interface em1 {\n\tthreshold 0\n\tthreshold 256\n\tthreshold -1\n\tthreshold ten\n" +
        "\tthreshold\n}\n",
    ),
    [
      'test.conf:3:12: threshold "0" is out of range (1-255)',
      'test.conf:4:12: threshold "256" is out of range (1-255)',
      'test.conf:5:12: threshold "-1" is out of range (1-255)',
      'test.conf:6:12: threshold "ten" is not a number',
      'test.conf:7:11: expected a number after "threshold", found end of line',
    ],
  );
  const config = parseValid(
    UP + "interface em1 {\n\tthreshold 255\n}\ninterface em2 {\n\tthreshold 1\n}\n",
  );
  assert.deepEqual(config.interfaces.map((i) => i.threshold), [1, 255, 1]);
});

Deno.test("parseConfig: IPv4-mapped IPv6 prefixes are refused with the IPv4 form", () => {
  assert.deepEqual(
    messages(UP + "interface em1 {\n\tsource ::ffff:10.0.0.0/104\n\tsource ::ffff:0:0/64\n}\n"),
    [
      'test.conf:3:9: source "::ffff:10.0.0.0/104" is an IPv4-mapped IPv6 prefix: write it as ' +
      "10.0.0.0/8",
      'test.conf:4:9: source "::ffff:0:0/64" is an IPv4-mapped IPv6 prefix',
    ],
  );
  assert.deepEqual(
    messages(UP + "interface em1 {\n\tboundary ::ffff:239.255.0.0/112\n}\n"),
    [
      'test.conf:3:11: boundary "::ffff:239.255.0.0/112" is an IPv4-mapped IPv6 prefix: write ' +
      "it as 239.255.0.0/16",
    ],
  );
});

Deno.test("parseConfig: source prefix errors", () => {
  assert.deepEqual(
    messages(
      UP + `interface em1 {
	source 10.0.0.0/33
	source 2001:db8::/129
	source 10.0.0.0
	source 10.0.0.256/8
	source 10.0.0.0/
	source 10.0.0.0/x
	source 2001:db8::g/64
	source em0/999
	source
}
`,
    ),
    [
      'test.conf:3:9: prefix length "33" in source "10.0.0.0/33" is out of range for IPv4 (0-32)',
      'test.conf:4:9: prefix length "129" in source "2001:db8::/129" is out of range for IPv6 ' +
      "(0-128)",
      'test.conf:5:9: source "10.0.0.0" has no prefix length: expected ADDRESS/PREFIX',
      'test.conf:6:9: invalid address "10.0.0.256" in source "10.0.0.256/8"',
      'test.conf:7:9: invalid prefix length "" in source "10.0.0.0/"',
      'test.conf:8:9: invalid prefix length "x" in source "10.0.0.0/x"',
      'test.conf:9:9: invalid address "2001:db8::g" in source "2001:db8::g/64"',
      'test.conf:10:9: invalid address "em0" in source "em0/999"',
      'test.conf:10:9: prefix length "999" in source "em0/999" is out of range',
      'test.conf:11:8: expected ADDRESS/PREFIX after "source", found end of line',
    ],
  );
});

Deno.test("parseConfig: a source with host bits set is a warning and is masked", () => {
  const { config, diagnostics } = parse(
    UP + "interface em1 {\n\tsource 10.0.0.1/8\n\tsource 2001:db8::1/64\n}\n",
  );
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    "test.conf:3:9: warning: source 10.0.0.1/8 is not a network address: did you mean " +
    "10.0.0.0/8?",
    "test.conf:4:9: warning: source 2001:db8::1/64 is not a network address: did you mean " +
    "2001:db8::/64?",
  ]);
  assert.ok(config !== undefined);
  assert.deepEqual(config.interfaces[1].sources, [
    { family: 4, address: "10.0.0.0", length: 8 },
    { family: 6, address: "2001:db8::", length: 64 },
  ]);
});

Deno.test("parseConfig accepts prefix lengths 0 and the full length", () => {
  const config = parseValid(
    UP + "interface em1 {\n\tsource 0.0.0.0/0\n\tsource 10.1.2.3/32\n\tsource ::/0\n" +
      "\tsource fe80::1/128\n}\n",
  );
  assert.deepEqual(config.interfaces[1].sources.map((s) => `${s.address}/${s.length}`), [
    "0.0.0.0/0",
    "10.1.2.3/32",
    "::/0",
    "fe80::1/128",
  ]);
});

Deno.test("parseVersion: one of the keyword's versions, else a message naming them", () => {
  const igmp = { keyword: "igmp-version", versions: [2, 3] };
  assert.deepEqual(parseVersion("2", igmp), { ok: true, value: 2 });
  assert.deepEqual(parseVersion("3", igmp), { ok: true, value: 3 });
  assert.deepEqual(parseVersion("1", igmp), {
    ok: false,
    errors: ['igmp-version "1" is not 2 or 3'],
  });
  assert.deepEqual(parseVersion("03", igmp), { ok: true, value: 3 });
  assert.deepEqual(parseVersion("v3", igmp), {
    ok: false,
    errors: ['igmp-version "v3" is not a number'],
  });
  assert.deepEqual(parseVersion("-2", igmp), {
    ok: false,
    errors: ['igmp-version "-2" is not a number'],
  });
  const three = { keyword: "x-version", versions: [1, 2, 3] };
  assert.deepEqual(parseVersion("4", three), {
    ok: false,
    errors: ['x-version "4" is not 1, 2 or 3'],
  });
});
