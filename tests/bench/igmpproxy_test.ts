import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { igmpproxyConfig, versionFromUsage } from "./igmpproxy.ts";

/** The only part of a lab that igmpproxyConfig reads. */
const lab = { ifaces: { upstream: "up0", downstream: ["dn1", "dn2"] } };

/** The configuration's lines without comments and blank lines. */
function statements(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

Deno.test("igmpproxyConfig gives the lab's roles, quickleave on, lo disabled", () => {
  const text = igmpproxyConfig(lab);
  ok(text.endsWith("\n"));
  deepStrictEqual(statements(text), [
    "quickleave",
    "phyint up0 upstream ratelimit 0 threshold 1",
    "phyint dn1 downstream ratelimit 0 threshold 1",
    "phyint dn2 downstream ratelimit 0 threshold 1",
    "phyint lo disabled",
  ]);
});

Deno.test("igmpproxyConfig lists every downstream of a larger lab once, in order", () => {
  const downstream = Array.from({ length: 12 }, (_, k) => `dn${k + 1}`);
  const phyints = statements(igmpproxyConfig({ ifaces: { upstream: "up0", downstream } }))
    .filter((l) => l.startsWith("phyint ") && l.includes(" downstream"))
    .map((l) => l.split(/\s+/)[1]);
  deepStrictEqual(phyints, downstream);
});

Deno.test("igmpproxyConfig without quickleave has no quickleave statement", () => {
  const lines = statements(igmpproxyConfig(lab, { quickleave: false }));
  ok(!lines.includes("quickleave"), lines.join("\n"));
  equal(lines.filter((l) => l.startsWith("phyint ")).length, 4);
});

Deno.test("igmpproxyConfig puts altnets on the upstream and disables the interfaces given", () => {
  const lines = statements(
    igmpproxyConfig(lab, { altnet: ["192.0.2.0/24", "198.51.100.7/32"], disabled: ["lo", "eth9"] }),
  );
  deepStrictEqual(lines.filter((l) => l.startsWith("phyint up0 ")), [
    "phyint up0 upstream ratelimit 0 threshold 1 altnet 192.0.2.0/24 altnet 198.51.100.7/32",
  ]);
  deepStrictEqual(lines.filter((l) => l.endsWith(" disabled")), [
    "phyint lo disabled",
    "phyint eth9 disabled",
  ]);
});

Deno.test("igmpproxyConfig gives exactly one upstream, and the lab's only", () => {
  const lines = statements(igmpproxyConfig({ ifaces: { upstream: "wan0", downstream: ["lan0"] } }));
  deepStrictEqual(lines.filter((l) => / upstream( |$)/.test(l)).map((l) => l.split(" ")[1]), [
    "wan0",
  ]);
});

Deno.test("igmpproxyConfig rejects names and networks igmpproxy cannot read", () => {
  throws(() => igmpproxyConfig({ ifaces: { upstream: "up 0", downstream: [] } }), /"up 0"/);
  throws(
    () => igmpproxyConfig({ ifaces: { upstream: "up0", downstream: ["a-name-too-long-0"] } }),
    /"a-name-too-long-0"/,
  );
  throws(() => igmpproxyConfig({ ifaces: { upstream: "up0", downstream: ["up0"] } }), /two roles/);
  throws(() => igmpproxyConfig(lab, { disabled: ["dn2"] }), /"dn2" is given two roles/);
  throws(() => igmpproxyConfig(lab, { altnet: ["10.0.0.0"] }), /Bad altnet "10.0.0.0"/);
});

Deno.test("versionFromUsage reads the last line of igmpproxy -h", () => {
  const usage = [
    "Usage: igmpproxy [-h] [-n] [-d] [-v [-v]] <configfile>",
    "",
    "   -h   Display this help screen",
    "   -n   Do not run as a daemon",
    "   -d   Run in debug mode. Output all messages on stderr. Implies -n.",
    "   -v   Be verbose. Give twice to see even debug messages.",
    "",
    "igmpproxy 0.3",
    "",
  ].join("\n");
  equal(versionFromUsage(usage), "0.3");
  equal(versionFromUsage("igmpproxy 0.4.1\n"), "0.4.1");
  equal(versionFromUsage("Usage: igmpproxy [-h] <configfile>\n"), undefined);
});
