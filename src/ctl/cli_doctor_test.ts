import { deepStrictEqual, equal, match } from "node:assert/strict";
import {
  ctlMain,
  EXIT_OK,
  EXIT_PROBLEM,
  EXIT_REFUSED,
  EXIT_UNREACHABLE,
  EXIT_USAGE,
} from "./cli.ts";
import { captureIo, startFakeDaemon, withSocketPath } from "./ctl_testing.ts";
import { DOCTOR_SCHEMA_VERSION } from "./doctor.ts";
import type { DoctorFacts } from "./doctor_facts.ts";
import {
  baseChain,
  counter,
  DROP,
  fakeNft,
  iifname,
  ipProtocol,
  nftJson,
  nftRule,
} from "./doctor_nft_testing.ts";
import {
  answerWith,
  forwardingOf,
  healthyFacts,
  healthyProcNet,
  healthySysctls,
  rowOf,
  sysctlFiles,
} from "./doctor_testing.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

/**
 * Runs `mcast-proxyctl -s PATH -w 0.01 doctor ARGS` against a daemon that answers with `facts`,
 * on a socket path of its own.
 */
async function doctor(
  facts: DoctorFacts,
  args: string[] = [],
  nft?: Parameters<typeof fakeNft>[0],
): Promise<{ code: number; out: string; err: string }> {
  let result = { code: -1, out: "", err: "" };
  await withSocketPath(async (path) => {
    const daemon = await startFakeDaemon(path, answerWith(facts));
    try {
      const { io, captured } = captureIo({
        readFile: sysctlFiles(facts.sysctls, healthyProcNet()),
        runCommand: fakeNft(nft).run,
      });
      const code = await ctlMain(["-s", path, "-w", "0.01", "doctor", ...args], io);
      result = { code, out: captured.out, err: captured.err };
    } finally {
      await daemon.close();
    }
  });
  return result;
}

Deno.test("doctor: mistakes in its words are reported without a daemon (exit 2)", async () => {
  const nowhere = ["-s", "/nonexistent/mcast-proxy.sock"];
  const cases: [string[], RegExp][] = [
    [["doctor", "10.0.0.1"], /^mcast-proxyctl: "10.0.0.1" is not a multicast group address$/],
    [["doctor", "239.1.1"], /"239.1.1" is not a multicast group address$/],
    [["doctor", "239.1.1.1", "239.1.1.2"], /"239.1.1.2" is not a unicast source address$/],
    [["doctor", "239.1.1.1", "0.0.0.0"], /"0.0.0.0" is not a unicast source address$/],
    [
      ["doctor", "239.1.1.1", "2001:db8::1"],
      /source "2001:db8::1" is not of the family of "239.1.1.1" \(IPv4\)$/,
    ],
    [["doctor", "ff05::1", "::"], /"::" is not a unicast source address$/],
    [["doctor", "239.1.1.1", "10.0.0.2", "x"], /doctor takes a group and a source at most/],
    [["doctor", "-w", "0"], /^mcast-proxyctl: -w "0": expected seconds, above 0 and at most 3600$/],
    [["doctor", "-w", "soon"], /^mcast-proxyctl: -w "soon": expected seconds/],
    [["doctor", "-w", "3601"], /^mcast-proxyctl: -w "3601": expected seconds/],
    [["doctor", "--prometheus"], /^mcast-proxyctl: doctor does not take --prometheus$/],
    [["-w", "2", "show", "interfaces"], /^mcast-proxyctl: -w is an option of doctor only$/],
  ];
  for (const [args, message] of cases) {
    const { io, captured } = captureIo();
    equal(await ctlMain([...nowhere, ...args], io), EXIT_USAGE, args.join(" "));
    equal(captured.out, "");
    const [first, ...rest] = captured.err.split("\n");
    match(first, message);
    deepStrictEqual(rest, [""], args.join(" "));
  }
});

Deno.test({
  name: "doctor: a healthy router is no problem (exit 0)",
  ...options,
  async fn() {
    deepStrictEqual(await doctor(healthyFacts()), {
      code: EXIT_OK,
      out: "No problem found.\n",
      err: "",
    });
    const json = await doctor(healthyFacts(), ["239.1.1.1", "10.0.0.2", "--json"]);
    deepStrictEqual([json.code, json.err], [EXIT_OK, ""]);
    deepStrictEqual(JSON.parse(json.out), {
      version: DOCTOR_SCHEMA_VERSION,
      checked: [
        "/proc/net/ip_mr_vif",
        "/proc/net/ip_mr_cache",
        "/proc/net/igmp",
        "/proc/net/mcfilter",
        "/proc/net/ip6_mr_vif",
        "/proc/net/ip6_mr_cache",
        "/proc/net/igmp6",
        "/proc/net/mcfilter6",
        "/proc/sys/net",
        "nft list ruleset",
      ],
      compared: { vifs: 5, entries: 1, groups: 1 },
      findings: [],
    });
  },
});

Deno.test({
  name: "doctor: each problem with its fix, then the count (exit 1); notes alone exit 0",
  ...options,
  async fn() {
    const facts = healthyFacts();
    facts.sysctls["/proc/sys/net/ipv4/conf/up0/rp_filter"] = 1;
    rowOf(facts.after, "ipv4", "up0").upstreamRouter = null;
    const text = await doctor(facts);
    equal(text.code, EXIT_PROBLEM);
    equal(text.err, "");
    const lines = text.out.split("\n");
    match(lines[0], /^problem: rp_filter is strict on up0 /);
    match(lines[1], /^ {2}fix: sysctl -w net\.ipv4\.conf\.up0\.rp_filter=0 /);
    match(lines[2], /^note: no query was heard on up0 since mcast-proxy started/);
    match(lines[3], /^ {2}fix: turn IGMP/);
    match(lines[4], /^ {7}a router queries every 125 s by default: /);
    deepStrictEqual(lines.slice(5), ["1 problem, 1 note", ""]);

    const json = await doctor(facts, ["--json"]);
    equal(json.code, EXIT_PROBLEM);
    const parsed = JSON.parse(json.out);
    equal(parsed.version, 1);
    deepStrictEqual(
      parsed.findings.map((f: { rule: string; severity: string }) => [f.rule, f.severity]),
      [["rp-filter", "problem"], ["no-upstream-router", "note"]],
    );

    facts.sysctls["/proc/sys/net/ipv4/conf/up0/rp_filter"] = 0;
    const notes = await doctor(facts);
    equal(notes.code, EXIT_OK);
    match(notes.out, /\n0 problems, 1 note\n$/);
  },
});

Deno.test({
  name: "doctor GROUP SOURCE: the query narrows the streams and asks about the group",
  ...options,
  async fn() {
    const facts = healthyFacts();
    // Stalled, and fast enough (2000 datagrams/s at the first sample) to tell in -w 0.01.
    forwardingOf(facts.before, "ipv4").entries[0].packetRate = 2000;
    Object.assign(forwardingOf(facts.after, "ipv4").entries[0], { packets: 1000, age: 0.5 });
    const other = await doctor(facts, ["239.2.2.2"]);
    equal(other.code, EXIT_PROBLEM);
    match(other.out, /^problem: no LAN has a member of 239\.2\.2\.2: /);
    const stalled = await doctor(facts, ["239.1.1.1", "10.0.0.2"]);
    equal(stalled.code, EXIT_PROBLEM);
    match(stalled.out, /^problem: \(10\.0\.0\.2, 239\.1\.1\.1\) from up0 to dn1, dn2 forwarded/);
  },
});

Deno.test({
  name: "doctor: no daemon is exit 3, a daemon that refuses a view exit 1",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const { io, captured } = captureIo({ readFile: sysctlFiles(healthySysctls()) });
      equal(await ctlMain(["-s", path, "doctor"], io), EXIT_UNREACHABLE);
      equal(captured.out, "");
      match(captured.err, /^mcast-proxyctl: is mcast-proxy running\? no control socket at /);

      const daemon = await startFakeDaemon(path, () => ({ ok: false, body: "not now\n" }));
      try {
        const refused = captureIo({ readFile: sysctlFiles(healthySysctls()) });
        equal(await ctlMain(["-s", path, "doctor"], refused.io), EXIT_REFUSED);
        equal(refused.captured.out, "");
        equal(
          refused.captured.err,
          "mcast-proxyctl: mcast-proxy refused show interfaces: not now\n",
        );
      } finally {
        await daemon.close();
      }
    }),
});

Deno.test({
  name: "doctor: a firewall rule that drops IGMP is a problem; no nft is a note (exit 0)",
  ...options,
  async fn() {
    const where = { family: "ip", table: "filt", chain: "pre" };
    const ruleset = nftJson(
      ...baseChain({ ...where, name: "pre", hook: "prerouting", prio: -300 }),
      nftRule(where, 4, iifname("dn1"), ipProtocol("igmp"), counter(7), DROP),
    );
    const dropping = await doctor(healthyFacts(), [], { code: 0, stdout: ruleset, stderr: "" });
    equal(dropping.code, EXIT_PROBLEM);
    const lines = dropping.out.split("\n");
    equal(
      lines[0],
      "problem: the firewall drops IGMP arriving on dn1: rule 4 of chain pre in table ip filt " +
        "(hook prerouting) drops them, and has dropped 7 IGMP packets; mcast-proxy never sees them",
    );
    equal(
      lines[1],
      `  fix: nft 'insert rule ip filt pre position 4 iifname "dn1" ip protocol igmp accept'`,
    );
    equal(lines[2], "       or delete the rule: nft delete rule ip filt pre handle 4");

    const missing = await doctor(healthyFacts(), ["--json"], new Deno.errors.NotFound("nft"));
    equal(missing.code, EXIT_OK);
    const parsed = JSON.parse(missing.out);
    equal(parsed.checked.includes("nft list ruleset"), false);
    deepStrictEqual(parsed.findings.map((f: { rule: string; severity: string }) => f.severity), [
      "note",
    ]);
    equal(
      parsed.findings[0].message,
      "the firewall was not checked for dropped IGMP and MLD: nft is not installed (Debian's " +
        "nftables package)",
    );
  },
});
