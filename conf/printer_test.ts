import assert from "node:assert/strict";
import { type Config, formatDiagnostic } from "./config.ts";
import { parseConfig } from "./parser.ts";
import { printConfig, quoteWord } from "./printer.ts";
import { stripPositions } from "./testing.ts";

const AT = { file: "x.conf", line: 1, col: 1 };

/** Prints, parses the output, and checks it gives back the same configuration. */
function assertRoundTrip(config: Config): string {
  const text = printConfig(config);
  const again = parseConfig(text, { file: "printed.conf" });
  assert.deepEqual(again.diagnostics.map(formatDiagnostic), [], text);
  assert.ok(again.config !== undefined);
  assert.deepEqual(stripPositions(again.config), stripPositions(config));
  // Printing is idempotent.
  assert.equal(printConfig(again.config), text);
  return text;
}

Deno.test("printConfig prints the example of mcast-proxy.conf(5) in canonical form", () => {
  const { config } = parseConfig(
    `interface em0 {
        ipv4 yes
        ipv6 yes
        source 2001:db9::/64
        upstream
}
interface em1 { downstream }
`,
    { file: "x.conf" },
  );
  assert.ok(config !== undefined);
  assert.equal(
    printConfig(config),
    `ipv4 yes
ipv6 no

interface em0 {
	ipv4 yes
	ipv6 yes
	source 2001:db9::/64
	upstream
}

interface em1 {
	downstream
}
`,
  );
});

Deno.test("printConfig prints only the globals of a configuration without interfaces", () => {
  assert.equal(
    printConfig({ ipv4: false, ipv6: true, timers: {}, scopes: [], ssmRanges: [], interfaces: [] }),
    "ipv4 no\nipv6 yes\n",
  );
});

Deno.test("printConfig orders statements and leaves out defaults", () => {
  const config: Config = {
    ipv4: true,
    ipv6: true,
    timers: {},
    scopes: [],
    ssmRanges: [],
    interfaces: [
      {
        name: "eth0",
        role: "upstream",
        ipv6: false,
        threshold: 16,
        sources: [
          { family: 4, address: "10.0.0.0", length: 8 },
          { family: 6, address: "fd00::", length: 8 },
        ],
        timers: {},
        boundaries: [],
        position: AT,
      },
      {
        name: "eth1",
        role: "disabled",
        ipv4: false,
        threshold: 1,
        sources: [],
        timers: {},
        boundaries: [],
        position: AT,
      },
    ],
  };
  assert.equal(
    assertRoundTrip(config),
    `ipv4 yes
ipv6 yes

interface eth0 {
	ipv6 no
	threshold 16
	source 10.0.0.0/8
	source fd00::/8
	upstream
}

interface eth1 {
	ipv4 no
	disabled
}
`,
  );
});

Deno.test("printConfig quotes names that are not plain words", () => {
  const config: Config = {
    ipv4: true,
    ipv6: false,
    timers: {},
    scopes: [],
    ssmRanges: [],
    interfaces: [
      {
        name: "upstream",
        role: "upstream",
        threshold: 1,
        sources: [],
        timers: {},
        boundaries: [],
        position: AT,
      },
      {
        name: "br-lan.10",
        role: "downstream",
        threshold: 1,
        sources: [],
        timers: {},
        boundaries: [],
        position: AT,
      },
      {
        name: 'we"ird\\',
        role: "downstream",
        threshold: 1,
        sources: [],
        timers: {},
        boundaries: [],
        position: AT,
      },
      {
        name: "$x#{}",
        role: "downstream",
        threshold: 1,
        sources: [],
        timers: {},
        boundaries: [],
        position: AT,
      },
    ],
  };
  const text = assertRoundTrip(config);
  assert.match(text, /^interface "upstream" \{$/m);
  assert.match(text, /^interface br-lan\.10 \{$/m);
  assert.match(text, /^interface "we\\"ird\\\\" \{$/m);
  assert.match(text, /^interface "\$x#\{\}" \{$/m);
});

Deno.test("quoteWord leaves plain words alone and escapes quotes and backslashes", () => {
  assert.equal(quoteWord("em0"), "em0");
  assert.equal(quoteWord("vlan.10"), "vlan.10");
  assert.equal(quoteWord("disabled"), '"disabled"');
  assert.equal(quoteWord("a b"), '"a b"');
  assert.equal(quoteWord('a"b'), '"a\\"b"');
  assert.equal(quoteWord(""), '""');
});

Deno.test("printConfig round-trips every parse of a varied file", () => {
  const { config } = parseConfig(
    `ipv6 yes
up = em0
interface $up {
	threshold 3
	source 192.0.2.0/24
	source 198.51.100.7/32
	source 2001:DB8::/48
	upstream
}
interface em1 { ipv4 no
	downstream }
interface "em2" {
}
`,
    { file: "x.conf" },
  );
  assert.ok(config !== undefined);
  assertRoundTrip(config);
});

Deno.test("stripPositions removes positions and nothing else", () => {
  const config: Config = {
    ipv4: true,
    ipv6: false,
    timers: {},
    scopes: [],
    ssmRanges: [],
    interfaces: [{
      name: "em0",
      role: "upstream",
      ipv4: true,
      threshold: 2,
      sources: [{ family: 4, address: "10.0.0.0", length: 8 }],
      timers: {},
      boundaries: [],
      position: AT,
    }],
  };
  assert.deepEqual(stripPositions(config), {
    ipv4: true,
    ipv6: false,
    timers: {},
    scopes: [],
    ssmRanges: [],
    interfaces: [{
      name: "em0",
      role: "upstream",
      ipv4: true,
      threshold: 2,
      sources: [{ family: 4, address: "10.0.0.0", length: 8 }],
      timers: {},
      boundaries: [],
    }],
  });
  // The original is untouched.
  assert.deepEqual(config.interfaces[0].position, AT);
});
