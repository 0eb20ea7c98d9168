import assert from "node:assert/strict";
import {
  DEFAULT_CACHE_LIFETIME,
  DEFAULT_PRUNE_LIFETIME,
  DEFAULT_TUNNEL_RATE_LIMIT,
  defaultPhyint,
  defaultTunnel,
} from "./config.ts";
import { FILE, messages, parse, parseValid, stripPositions } from "./testing.ts";
import { ip } from "../../src/proto/testing.ts";

/** The example of the mrouted manual, as it stands there (comments, statements over lines). */
const MANUAL_EXAMPLE = `#
# mrouted.conf example
#
# Name our boundaries to make it easier.
name LOCAL 239.255.0.0/16
name EE 239.254.0.0/16
#
# le1 is our gateway to compsci, don't forward our
# local groups to them.
phyint le1 boundary EE
#
# le2 is our interface on the classroom net, it has four
# different length subnets on it.
# Note that you can use either an ip address or an
# interface name
phyint 172.16.12.38 boundary EE altnet 172.16.15.0/26
\taltnet 172.16.15.128/26 altnet 172.16.48.0/24
#
# atm0 is our ATM interface, which doesn't properly
# support multicasting.
phyint atm0 disable
#
# This is an internal tunnel to another EE subnet.
# Remove the default tunnel rate limit, since this
# tunnel is over Ethernets.
tunnel 192.168.5.4 192.168.55.101 metric 1 threshold 1
\trate_limit 0
#
# This is our tunnel to the outside world.
# Careful with those boundaries, Eugene.
tunnel 192.168.5.4 10.11.12.13 metric 1 threshold 32
\tboundary LOCAL boundary EE
`;

const LOCAL = { address: ip("239.255.0.0"), length: 16 };
const EE = { address: ip("239.254.0.0"), length: 16 };

Deno.test("parseMroutedConfig reads the example of the mrouted manual", () => {
  const config = parseValid(MANUAL_EXAMPLE);
  const at = (line: number) => ({ file: FILE, line, col: 1 });
  assert.deepEqual(config, {
    names: new Map([["LOCAL", LOCAL], ["EE", EE]]),
    cacheLifetime: 300,
    pruneLifetime: 7200,
    pruning: true,
    phyints: [
      { ...defaultPhyint({ kind: "name", name: "le1" }, at(10)), boundaries: [EE] },
      {
        ...defaultPhyint({ kind: "address", address: ip("172.16.12.38") }, at(16)),
        boundaries: [EE],
        altnets: [
          { address: ip("172.16.15.0"), length: 26 },
          { address: ip("172.16.15.128"), length: 26 },
          { address: ip("172.16.48.0"), length: 24 },
        ],
      },
      { ...defaultPhyint({ kind: "name", name: "atm0" }, at(21)), disable: true },
    ],
    tunnels: [
      {
        ...defaultTunnel({
          local: { kind: "address", address: ip("192.168.5.4") },
          remote: { kind: "address", address: ip("192.168.55.101") },
        }, at(26)),
        rateLimit: 0,
      },
      {
        ...defaultTunnel({
          local: { kind: "address", address: ip("192.168.5.4") },
          remote: { kind: "address", address: ip("10.11.12.13") },
        }, at(31)),
        threshold: 32,
        boundaries: [LOCAL, EE],
      },
    ],
  });
});

Deno.test("parseMroutedConfig: an empty file, or only comments, gives the defaults", () => {
  for (const text of ["", "\n\n", "# nothing\n   # at all", "\ufeff"]) {
    const config = parseValid(text);
    assert.deepEqual(config.phyints, []);
    assert.deepEqual(config.tunnels, []);
    assert.equal(config.names.size, 0);
    assert.equal(config.cacheLifetime, DEFAULT_CACHE_LIFETIME);
    assert.equal(config.pruneLifetime, DEFAULT_PRUNE_LIFETIME);
    assert.equal(config.pruning, true);
  }
});

Deno.test("parseMroutedConfig applies the defaults of phyints and tunnels", () => {
  const config = parseValid("phyint le0 tunnel le0 10.1.1.1");
  const [p] = config.phyints;
  assert.deepEqual(
    [p.disable, p.metric, p.threshold, p.rateLimit, p.igmpv1],
    [false, 1, 1, 0, false],
  );
  assert.deepEqual([p.boundaries, p.altnets], [[], []]);
  const [t] = config.tunnels;
  assert.deepEqual([t.metric, t.threshold, t.rateLimit], [1, 1, DEFAULT_TUNNEL_RATE_LIMIT]);
  assert.deepEqual(t.local, { kind: "name", name: "le0" });
  assert.deepEqual(t.remote, { kind: "address", address: ip("10.1.1.1") });
});

Deno.test("parseMroutedConfig reads every statement and option", () => {
  const config = parseValid(`cache_lifetime 600 prune_lifetime 3600 pruning off
name S 239.1.0.0/16
phyint eth0 disable metric 3 threshold 64 rate_limit 2000 boundary S
  boundary 239.2.0.0/16 altnet 10.2.0.0/16 igmpv1
tunnel 10.0.0.1 mbone.example.net. metric 31 threshold 255 rate_limit 1000000
`);
  assert.deepEqual(stripPositions(config), {
    cacheLifetime: 600,
    pruneLifetime: 3600,
    pruning: false,
    names: [["S", { address: ip("239.1.0.0"), length: 16 }]],
    phyints: [{
      iface: { kind: "name", name: "eth0" },
      disable: true,
      metric: 3,
      threshold: 64,
      rateLimit: 2000,
      boundaries: [{ address: ip("239.1.0.0"), length: 16 }, {
        address: ip("239.2.0.0"),
        length: 16,
      }],
      altnets: [{ address: ip("10.2.0.0"), length: 16 }],
      igmpv1: true,
    }],
    tunnels: [{
      local: { kind: "address", address: ip("10.0.0.1") },
      remote: { kind: "hostname", name: "mbone.example.net." },
      metric: 31,
      threshold: 255,
      rateLimit: 1000000,
      boundaries: [],
    }],
  });
});

Deno.test("parseMroutedConfig: pruning takes on, off, yes and no", () => {
  assert.equal(parseValid("pruning on").pruning, true);
  assert.equal(parseValid("pruning off").pruning, false);
  assert.equal(parseValid("pruning yes").pruning, true);
  assert.equal(parseValid("pruning no").pruning, false);
});

Deno.test("parseMroutedConfig: a statement may span lines, and lines may hold statements", () => {
  const spread = parseValid("phyint\n# comment\n  le0\n\n metric # here too\n 4\nphyint le1");
  const packed = parseValid("phyint le0 metric 4 phyint le1");
  assert.deepEqual(stripPositions(spread), stripPositions(packed));
  assert.deepEqual(spread.phyints[1].at, { file: FILE, line: 7, col: 1 });
});

Deno.test("parseMroutedConfig: a boundary name may be used before its definition", () => {
  const config = parseValid("phyint le0 boundary LATER\nname LATER 239.3.0.0/16\n");
  assert.deepEqual(config.phyints[0].boundaries, [{ address: ip("239.3.0.0"), length: 16 }]);
});

Deno.test("parseMroutedConfig merges the statements of one interface", () => {
  const { config, diagnostics } = parse(
    "phyint le0 metric 2 altnet 10.1.0.0/16\nphyint le1\nphyint le0 threshold 8 altnet 10.2.0.0/16",
  );
  assert.deepEqual(diagnostics, []);
  assert.equal(config?.phyints.length, 2);
  const le0 = config?.phyints[0];
  assert.deepEqual([le0?.metric, le0?.threshold, le0?.altnets.length], [2, 8, 2]);
  assert.deepEqual(le0?.at, { file: FILE, line: 1, col: 1 });
  // The same interface by address and by name is two entries: the daemon tells them apart.
  assert.equal(parseValid("phyint 10.0.0.1 phyint le0").phyints.length, 2);
});

Deno.test("parseMroutedConfig: numbers are checked at both ends of their ranges", () => {
  const cases: [string, string, number, number][] = [
    ["phyint le0 metric", "metric", 1, 31],
    ["phyint le0 threshold", "threshold", 1, 255],
    ["phyint le0 rate_limit", "rate_limit", 0, 1000000],
    ["tunnel le0 10.1.1.1 metric", "metric", 1, 31],
    ["cache_lifetime", "cache_lifetime", 300, 86400],
    ["prune_lifetime", "prune_lifetime", 120, 86400],
  ];
  for (const [prefix, keyword, min, max] of cases) {
    assert.deepEqual(messages(`${prefix} ${min}`), [], `${prefix} ${min}`);
    assert.deepEqual(messages(`${prefix} ${max}`), [], `${prefix} ${max}`);
    const col = prefix.length + 2;
    assert.deepEqual(messages(`${prefix} ${min - 1}`), [
      `${FILE}:1:${col}: ${keyword} "${min - 1}" is out of range (${min}-${max})`,
    ]);
    assert.deepEqual(messages(`${prefix} ${max + 1}`), [
      `${FILE}:1:${col}: ${keyword} "${max + 1}" is out of range (${min}-${max})`,
    ]);
  }
});

Deno.test("parseMroutedConfig reports phyint after tunnel, as the manual requires", () => {
  assert.deepEqual(messages("tunnel le0 10.1.1.1\n\n  phyint le1 metric 2\nphyint le2"), [
    `${FILE}:3:3: phyint commands must precede tunnel commands (the first tunnel is at ${FILE}:1)`,
    `${FILE}:4:1: phyint commands must precede tunnel commands (the first tunnel is at ${FILE}:1)`,
  ]);
});

Deno.test("parseMroutedConfig reports every error with its line and column", () => {
  const text = [
    /* 1 */ "phyint le0 metrc 2 threshold 0",
    /* 2 */ "phyint 10.0.0.256 boundary 10.0.0.0/8",
    /* 3 */ "phyint 224.0.0.1 altnet 224.0.0.0/4 boundary FOO",
    /* 4 */ "tunnel le0",
    /* 5 */ "metric 3",
    /* 6 */ "tunnel le0 10.0.0.0.1 igmpv1 altnet 10.0.0.0/8 rate_limit x",
    /* 7 */ "name 9x 239.0.0.0/8 name EE 239.1.0.0 name EE 239.2.0.0/16 name EE 239.3.0.0/16",
    /* 8 */ "cache_lifetime 10 pruning maybe threshold 3",
    /* 9 */ "tunnel 10.0.0.1 10.0.0.1 tunnel le1 bad_host!",
    /* 10 */ "tunel 1.2.3.4 5.6.7.8 metric 3 netmask 255.0.0.0 } boundary 239.1.2.3/16",
    /* 11 */ "tunnel le0 10.9.9.9 tunnel le0 10.9.9.9 prune_lifetime",
  ].join("\n");
  assert.deepEqual(messages(text), [
    `${FILE}:1:12: unknown keyword "metrc" in phyint "le0": did you mean "metric"?`,
    `${FILE}:1:30: threshold "0" is out of range (1-255)`,
    `${FILE}:2:8: invalid address "10.0.0.256" in phyint`,
    `${FILE}:2:28: boundary 10.0.0.0/8 is not a multicast range (IPv4 groups are in 224.0.0.0/4)`,
    `${FILE}:3:8: phyint address 224.0.0.1 is not a unicast host address`,
    `${FILE}:3:25: altnet 224.0.0.0/4 is not a unicast subnet`,
    `${FILE}:5:1: expected a remote address or host name after "tunnel le0", found "metric"`,
    `${FILE}:6:12: invalid address "10.0.0.0.1" in tunnel remote`,
    `${FILE}:6:23: "igmpv1" applies to a phyint, not to a tunnel`,
    `${FILE}:6:30: "altnet" applies to a phyint, not to a tunnel`,
    `${FILE}:6:59: rate_limit "x" is not a number`,
    `${FILE}:7:6: invalid boundary name "9x": use letters, digits, "_", "-" and ".", ` +
    'starting with a letter or "_"',
    `${FILE}:7:29: name EE "239.1.0.0" has no prefix length: expected ADDRESS/LENGTH`,
    `${FILE}:7:65: boundary name "EE" is defined twice (first at ${FILE}:7)`,
    `${FILE}:8:16: cache_lifetime "10" is out of range (300-86400)`,
    `${FILE}:8:27: expected "on" or "off" after "pruning", found "maybe"`,
    `${FILE}:8:33: "threshold" must follow a phyint or tunnel statement`,
    `${FILE}:9:17: tunnel remote 10.0.0.1 is its local address`,
    `${FILE}:9:37: invalid host name "bad_host!" for the remote end of the tunnel: use ` +
    'letters, digits and "-" in labels separated by "."',
    `${FILE}:10:1: unknown keyword "tunel": did you mean "tunnel"?`,
    `${FILE}:10:32: "netmask" is an mrouted keyword that mcast-routed does not support`,
    `${FILE}:10:61: boundary 239.1.2.3/16 has host bits set: did you mean 239.1.0.0/16?`,
    `${FILE}:11:32: duplicate tunnel to 10.9.9.9 (first at ${FILE}:11)`,
    `${FILE}:11:55: expected a number of seconds after "prune_lifetime", found end of file`,
  ]);
  assert.equal(parse(text).config, undefined);
});

Deno.test("parseMroutedConfig reports an undefined boundary name with the closest one", () => {
  assert.deepEqual(messages("name LOCAL 239.255.0.0/16\nphyint le0 boundary LOCL\n"), [
    `${FILE}:2:21: undefined boundary name "LOCL": did you mean "LOCAL"?`,
  ]);
  assert.deepEqual(messages("phyint le0 boundary NOWHERE"), [
    `${FILE}:1:21: undefined boundary name "NOWHERE" (define it with "name NOWHERE PREFIX")`,
  ]);
});

Deno.test("parseMroutedConfig reports missing values at what follows", () => {
  assert.deepEqual(messages("phyint"), [
    `${FILE}:1:7: expected an interface address or name after "phyint", found end of file`,
  ]);
  assert.deepEqual(messages("phyint le0 metric threshold 2 boundary\naltnet"), [
    `${FILE}:1:19: expected a number after "metric", found "threshold"`,
    `${FILE}:2:1: expected a boundary name or PREFIX after "boundary", found "altnet"`,
    `${FILE}:2:7: expected a PREFIX after "altnet", found end of file`,
  ]);
  assert.deepEqual(messages("name\nname X\npruning"), [
    `${FILE}:2:1: expected a boundary name after "name", found "name"`,
    `${FILE}:3:1: expected a multicast PREFIX after "name X", found "pruning"`,
    `${FILE}:3:8: expected "on" or "off" after "pruning", found end of file`,
  ]);
  assert.deepEqual(messages("tunnel\nphyint le0"), [
    `${FILE}:2:1: expected a local address or interface name after "tunnel", found "phyint"`,
    `${FILE}:2:1: phyint commands must precede tunnel commands (the first tunnel is at ${FILE}:1)`,
  ]);
});

Deno.test("parseMroutedConfig: keywords cannot be names", () => {
  assert.deepEqual(messages('name metric 239.1.0.0/16 name "pruning" 239.2.0.0/16'), [
    `${FILE}:1:6: expected a boundary name after "name", found "metric"`,
    `${FILE}:1:31: "pruning" is a keyword and cannot be a boundary name`,
  ]);
  // Quoted, a keyword is a value: an interface may be called so.
  assert.deepEqual(parseValid('phyint "disable"').phyints[0].iface, {
    kind: "name",
    name: "disable",
  });
});

Deno.test("parseMroutedConfig warns about settings given twice and repeated prefixes", () => {
  const text = [
    "cache_lifetime 400 cache_lifetime 500",
    "name EE 239.254.0.0/16",
    "phyint le0 metric 2 boundary EE altnet 10.1.0.0/16",
    "phyint le0 metric 3 boundary 239.254.0.0/16 altnet 10.1.0.0/16 altnet 10.1.2.3/16",
    "tunnel le0 10.9.9.9 prune_lifetime 600",
  ].join("\n");
  const { config, diagnostics } = parse(text);
  assert.deepEqual(diagnostics.map((d) => `${d.position.line}:${d.position.col} ${d.message}`), [
    `1:20 "cache_lifetime" is set twice (first at ${FILE}:1): the last one applies`,
    `4:12 "metric" is set twice for phyint "le0" (first at ${FILE}:3): the last one applies`,
    `4:30 boundary "239.254.0.0/16" repeats "EE" (at ${FILE}:3) for phyint "le0"`,
    `4:52 altnet 10.1.0.0/16 is listed twice for phyint "le0" (first at ${FILE}:3)`,
    "4:71 altnet 10.1.2.3/16 is not a network address: did you mean 10.1.0.0/16?",
    `4:71 altnet 10.1.0.0/16 is listed twice for phyint "le0" (first at ${FILE}:3)`,
    "5:21 prune_lifetime applies to every vif wherever it stands (mrouted would apply it to " +
    "the phyint or tunnel before it only)",
  ]);
  assert.ok(diagnostics.every((d) => d.severity === "warning"));
  assert.equal(config?.cacheLifetime, 500);
  assert.equal(config?.pruneLifetime, 600);
  assert.equal(config?.phyints[0].metric, 3);
  assert.deepEqual(config?.phyints[0].boundaries, [EE]);
  assert.equal(config?.phyints[0].altnets.length, 1);
});

Deno.test("parseMroutedConfig: stray tokens are errors, one per run up to a keyword", () => {
  assert.deepEqual(messages("{ phyint le0 } = 7 8 9\n'quoted' metric 2 'again'"), [
    `${FILE}:1:1: expected a keyword, found "{"`,
    `${FILE}:1:14: expected a keyword in phyint "le0", found "}"`,
    `${FILE}:2:19: expected a keyword in phyint "le0", found quoted string "again"`,
  ]);
});
