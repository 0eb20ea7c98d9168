import assert from "node:assert/strict";
import {
  type Config,
  effectiveTimers,
  formatDiagnostic,
  interfaceIpv4,
  interfaceIpv6,
} from "./config.ts";
import { parseConfig } from "./parser.ts";
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
