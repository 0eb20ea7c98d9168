import assert from "node:assert/strict";
import {
  type Config,
  effectiveIgmpVersion,
  effectiveMldVersion,
  effectiveTimers,
  formatDiagnostic,
  interfaceIpv4,
  interfaceIpv6,
  ssmRangesOf,
} from "./config.ts";
import { parseConfig } from "./parser.ts";
import { printConfig } from "./printer.ts";
import { DEFAULT_TIMERS } from "../src/core/timers.ts";

function parseValid(text: string): Config {
  const { config, diagnostics } = parseConfig(text, { file: "t.conf" });
  assert.deepEqual(diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), []);
  assert.ok(config !== undefined);
  return config;
}

Deno.test("effectiveTimers: RFC defaults when nothing is set", () => {
  const config = parseValid("interface em0 { upstream }\ninterface em1 { downstream }\n");
  assert.deepEqual(effectiveTimers(config, config.interfaces[1]), DEFAULT_TIMERS);
  assert.deepEqual(effectiveTimers(config), DEFAULT_TIMERS);
});

Deno.test("effectiveTimers: interface over global over default, derived values follow", () => {
  const config = parseValid(`robustness 3
query-interval 60
interface em0 { upstream }
interface em1 { downstream }
interface em2 {
	robustness 4
	query-interval 20
	last-member-query-count 1
	downstream
}
interface em3 {
	startup-query-interval 2
	startup-query-count 1
	last-member-query-interval 0.3
	downstream
}
`);
  const [, em1, em2, em3] = config.interfaces;
  assert.deepEqual(effectiveTimers(config, em1), {
    robustness: 3,
    queryInterval: 60_000,
    queryResponseInterval: 10_000,
    lastMemberQueryInterval: 1_000,
    lastMemberQueryCount: 3,
    startupQueryInterval: 15_000,
    startupQueryCount: 3,
  });
  assert.deepEqual(effectiveTimers(config, em2), {
    robustness: 4,
    queryInterval: 20_000,
    queryResponseInterval: 10_000,
    lastMemberQueryInterval: 1_000,
    lastMemberQueryCount: 1,
    startupQueryInterval: 5_000,
    startupQueryCount: 4,
  });
  assert.deepEqual(effectiveTimers(config, em3), {
    robustness: 3,
    queryInterval: 60_000,
    queryResponseInterval: 10_000,
    lastMemberQueryInterval: 300,
    lastMemberQueryCount: 3,
    startupQueryInterval: 2_000,
    startupQueryCount: 1,
  });
});

Deno.test("interfaceIpv4/6: the interface's own setting wins, wherever the global one stands", () => {
  const config = parseValid(`interface em0 {
	ipv4 yes
	upstream
}
interface em1 {
	ipv6 yes
	downstream
}
interface em2 { downstream }
ipv4 no
ipv6 no
interface em3 {
	ipv4 yes
	ipv6 no
	downstream
}
`);
  const got = config.interfaces.map((i) => [
    i.name,
    interfaceIpv4(config, i),
    interfaceIpv6(config, i),
  ]);
  assert.deepEqual(got, [
    ["em0", true, false],
    ["em1", false, true],
    ["em2", false, false],
    ["em3", true, false],
  ]);
  // The same blocks with the global statements first give the same answer.
  const first = parseValid("ipv4 no\nipv6 no\ninterface em0 {\n\tipv4 yes\n\tupstream\n}\n");
  assert.equal(interfaceIpv4(first, first.interfaces[0]), true);
});

Deno.test("effectiveIgmpVersion and effectiveMldVersion: the block's, else the global, else 3 and 2", () => {
  const config = parseValid(
    "igmp-version 2\n" +
      "interface em0 { upstream }\n" +
      "interface em1 {\n igmp-version 3\n mld-version 1\n downstream\n}\n" +
      "interface em2 { downstream }\n",
  );
  const [, em1, em2] = config.interfaces;
  assert.deepEqual(
    [effectiveIgmpVersion(config, em1), effectiveMldVersion(config, em1)],
    [3, 1],
  );
  assert.deepEqual(
    [effectiveIgmpVersion(config, em2), effectiveMldVersion(config, em2)],
    [2, 2],
  );
  const plain = parseValid("interface em0 { upstream }\ninterface em1 { downstream }\n");
  assert.deepEqual([effectiveIgmpVersion(plain), effectiveMldVersion(plain)], [3, 2]);
});

Deno.test("igmp-version 1: read at both levels, printed back; 0 and 4 are errors", () => {
  const text = "igmp-version 1\n" +
    "interface em0 { upstream }\n" +
    "interface em1 {\n igmp-version 1\n downstream\n}\n" +
    "interface em2 { downstream }\n";
  const config = parseValid(text);
  const [, em1, em2] = config.interfaces;
  assert.equal(config.igmpVersion, 1);
  assert.equal(em1.igmpVersion, 1);
  assert.deepEqual([effectiveIgmpVersion(config, em1), effectiveIgmpVersion(config, em2)], [1, 1]);
  const printed = printConfig(config);
  assert.ok(printed.includes("\nigmp-version 1\n"), printed);
  assert.ok(printed.includes("\tigmp-version 1\n"), printed);
  assert.equal(printConfig(parseValid(printed)), printed);
  const errors = (v: string) =>
    parseConfig(`igmp-version ${v}\ninterface em0 { upstream }\n`, { file: "t.conf" })
      .diagnostics.map(formatDiagnostic);
  assert.deepEqual(errors("0"), ['t.conf:1:14: igmp-version "0" is not 1, 2 or 3']);
  assert.deepEqual(errors("4"), ['t.conf:1:14: igmp-version "4" is not 1, 2 or 3']);
  assert.deepEqual(errors("1"), []);
});

Deno.test("ssmRangesOf: each family's ssm-range lines, in file order", () => {
  const config = parseValid(
    "ssm-range 239.232.0.0/16\nssm-range ff3e::/96\nssm-range 232.0.0.0/8\n" +
      "interface em0 { upstream }\ninterface em1 { downstream }\n",
  );
  assert.deepEqual(ssmRangesOf(config, 4).map((p) => `${p.address}/${p.length}`), [
    "239.232.0.0/16",
    "232.0.0.0/8",
  ]);
  assert.deepEqual(ssmRangesOf(config, 6).map((p) => `${p.address}/${p.length}`), ["ff3e::/96"]);
  assert.deepEqual(ssmRangesOf({ ssmRanges: [] }, 4), []);
});
