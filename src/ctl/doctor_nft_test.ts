import { deepStrictEqual, equal } from "node:assert/strict";
import { parseNftRuleset } from "./doctor_nft.ts";

// `nft -j list ruleset` of nft 1.0.6 (Debian 12), captured after:
//   nft add table ip filt
//   nft add chain ip filt input '{ type filter hook input priority 0; policy drop; }'
//   nft add rule ip filt input ct state established,related accept
//   nft add rule ip filt input iifname "dn1" ip protocol igmp counter drop
//   nft add table inet both
//   nft add chain inet both sub
//   nft add rule inet both sub ip protocol igmp drop
//   nft add table netdev nd
//   nft add chain netdev nd ing '{ type filter hook ingress device va priority 0; }'
// (nft 1.0.6 does not print an ingress chain's device.)
const CAPTURED = JSON.stringify({
  nftables: [
    { metainfo: { version: "1.0.6", release_name: "Lester Gooch #5", json_schema_version: 1 } },
    { table: { family: "ip", name: "filt", handle: 1 } },
    {
      chain: {
        family: "ip",
        table: "filt",
        name: "input",
        handle: 1,
        type: "filter",
        hook: "input",
        prio: 0,
        policy: "drop",
      },
    },
    {
      rule: {
        family: "ip",
        table: "filt",
        chain: "input",
        handle: 2,
        expr: [
          {
            match: { op: "in", left: { ct: { key: "state" } }, right: ["established", "related"] },
          },
          { accept: null },
        ],
      },
    },
    {
      rule: {
        family: "ip",
        table: "filt",
        chain: "input",
        handle: 3,
        expr: [
          { match: { op: "==", left: { meta: { key: "iifname" } }, right: "dn1" } },
          {
            match: {
              op: "==",
              left: { payload: { protocol: "ip", field: "protocol" } },
              right: "igmp",
            },
          },
          { counter: { packets: 0, bytes: 0 } },
          { drop: null },
        ],
      },
    },
    { table: { family: "inet", name: "both", handle: 3 } },
    { chain: { family: "inet", table: "both", name: "sub", handle: 7 } },
    {
      rule: {
        family: "inet",
        table: "both",
        chain: "sub",
        handle: 9,
        expr: [
          {
            match: {
              op: "==",
              left: { payload: { protocol: "ip", field: "protocol" } },
              right: "igmp",
            },
          },
          { drop: null },
        ],
      },
    },
    { table: { family: "netdev", name: "nd", handle: 4 } },
    {
      chain: {
        family: "netdev",
        table: "nd",
        name: "ing",
        handle: 1,
        type: "filter",
        hook: "ingress",
        prio: 0,
        policy: "accept",
      },
    },
  ],
});

Deno.test("parseNftRuleset: base and regular chains, and the rules with their statements", () => {
  const parsed = parseNftRuleset(CAPTURED);
  if (!parsed.ok) throw new Error(parsed.reason);
  deepStrictEqual(parsed.value.chains, [
    {
      family: "ip",
      table: "filt",
      name: "input",
      hook: "input",
      policy: "drop",
      devices: null,
    },
    { family: "inet", table: "both", name: "sub", hook: null, policy: null, devices: null },
    {
      family: "netdev",
      table: "nd",
      name: "ing",
      hook: "ingress",
      policy: "accept",
      devices: null,
    },
  ]);
  deepStrictEqual(
    parsed.value.rules.map((r) => [r.family, r.table, r.chain, r.handle, r.expr.length]),
    [["ip", "filt", "input", 2, 2], ["ip", "filt", "input", 3, 4], ["inet", "both", "sub", 9, 2]],
  );
});

Deno.test("parseNftRuleset: an ingress chain's devices, when a newer nft names them", () => {
  const chain = (dev: unknown) =>
    JSON.stringify({
      nftables: [{
        chain: { family: "netdev", table: "t", name: "c", hook: "ingress", policy: "drop", dev },
      }],
    });
  const one = parseNftRuleset(chain("dn1"));
  const two = parseNftRuleset(chain(["dn1", "dn2"]));
  deepStrictEqual(one.ok && one.value.chains[0].devices, ["dn1"]);
  deepStrictEqual(two.ok && two.value.chains[0].devices, ["dn1", "dn2"]);
});

Deno.test("parseNftRuleset: an empty ruleset, and what is not one", () => {
  deepStrictEqual(parseNftRuleset('{"nftables":[{"metainfo":{"version":"1.0.6"}}]}'), {
    ok: true,
    value: { chains: [], rules: [] },
  });
  deepStrictEqual(parseNftRuleset("table ip filt {\n}"), {
    ok: false,
    reason: "its output is not JSON",
  });
  for (const text of ["null", "[]", '{"nftables":{}}']) {
    equal(parseNftRuleset(text).ok, false, text);
  }
});
