import { deepStrictEqual, equal, match } from "node:assert/strict";
import { checkedSources, comparedWithKernel, diagnose, type Finding } from "./doctor.ts";
import type { DoctorFacts } from "./doctor_facts.ts";
import { parseDoctorQuery } from "./doctor_query.ts";
import { type KernelTables, parseKernelTables, PROC_NET_FILES } from "./doctor_proc_net.ts";
import { FAMILIES } from "./doctor_findings.ts";
import { forwardingOf, G, G6, healthyFacts, healthyProcNet, S, S6 } from "./doctor_testing.ts";

function mismatches(facts: DoctorFacts, ...words: string[]): Finding[] {
  const query = parseDoctorQuery(words);
  if (!query.ok) throw new Error(query.reason);
  return diagnose(facts, query.value).filter((f) => f.rule === "kernel-mismatch");
}

function kernelOf(facts: DoctorFacts, family: "ipv4" | "ipv6"): KernelTables {
  return facts.kernel.find((k) => k.family === family)!;
}

const FIX = "restart mcast-proxy, which installs its state in the kernel again; if the " +
  "mismatch comes back, report a bug with the output of `mcast-proxyctl dump`";

Deno.test("kernel-mismatch: the healthy router's tables agree with its views", () => {
  deepStrictEqual(mismatches(healthyFacts()), []);
  deepStrictEqual(mismatches(healthyFacts(), G, S), []);
});

Deno.test("kernel-mismatch: an entry the kernel lacks, or forwards to other VIFs", () => {
  const facts = healthyFacts();
  kernelOf(facts, "ipv4").mfc = [];
  const [f, ...more] = mismatches(facts);
  deepStrictEqual(more, []);
  deepStrictEqual(f, {
    rule: "kernel-mismatch",
    severity: "problem",
    subject: `(${S}, ${G})`,
    message: `mcast-proxy has installed (${S}, ${G}) from up0 (VIF 0) to dn1 (VIF 1), ` +
      "dn2 (VIF 2), but the kernel's forwarding cache (/proc/net/ip_mr_cache) has no such " +
      "entry: its data is not forwarded",
    fix: FIX,
  });

  kernelOf(facts, "ipv4").mfc = [{ source: S, group: G, input: 0, outputs: [1, 7] }];
  equal(
    mismatches(facts)[0].message,
    `the kernel forwards (${S}, ${G}) from up0 (VIF 0) to dn1 (VIF 1), VIF 7 ` +
      "(/proc/net/ip_mr_cache), but mcast-proxy installed it from up0 (VIF 0) to dn1 (VIF 1), " +
      "dn2 (VIF 2)",
  );
  // The same VIFs in another order agree.
  kernelOf(facts, "ipv4").mfc = [{ source: S, group: G, input: 0, outputs: [2, 1] }];
  deepStrictEqual(mismatches(facts), []);
  kernelOf(facts, "ipv4").mfc = [{ source: S, group: G, input: 1, outputs: [] }];
  match(mismatches(facts)[0].message, /from dn1 \(VIF 1\) to no interface \(/);
  // Another group asked about: not compared.
  deepStrictEqual(mismatches(facts, "239.2.2.2"), []);

  const v6 = healthyFacts();
  kernelOf(v6, "ipv6").mfc = [{ source: S6, group: G6, input: 1, outputs: [0] }];
  equal(
    mismatches(v6)[0].message,
    `the kernel forwards (${S6}, ${G6}) from dn1 (MIF 1) to up0 (MIF 0) ` +
      "(/proc/net/ip6_mr_cache), but mcast-proxy installed it from up0 (MIF 0) to dn1 (MIF 1)",
  );
});

Deno.test("kernel-mismatch: an entry that changed between the samples is not compared", () => {
  const facts = healthyFacts();
  kernelOf(facts, "ipv4").mfc = [];
  forwardingOf(facts.before, "ipv4").entries[0].outputs = [{ vif: 1, name: "dn1" }];
  deepStrictEqual(mismatches(facts), []);
  // New since the first sample: not compared either.
  forwardingOf(facts.before, "ipv4").entries = [];
  deepStrictEqual(mismatches(facts), []);
});

Deno.test("kernel-mismatch: a group joined upstream that the kernel has not joined there", () => {
  const facts = healthyFacts();
  // Joined on dn1 (index 3), not on up0 (index 2).
  kernelOf(facts, "ipv4").memberships = [{ ifindex: 3, group: G }];
  const [f, ...more] = mismatches(facts);
  deepStrictEqual(more, []);
  equal(f.subject, `${G} on up0`);
  equal(
    f.message,
    `mcast-proxy has joined ${G} on up0, but the kernel has not (/proc/net/igmp, interface ` +
      "index 2): upstream is not asked for it",
  );
  equal(f.fix, FIX);
  deepStrictEqual(mismatches(facts, "239.2.2.2"), []);
  // Left between the samples: not compared.
  facts.after.upstream[0].groups = [];
  deepStrictEqual(mismatches(facts), []);

  const v6 = healthyFacts();
  kernelOf(v6, "ipv6").memberships = [];
  match(mismatches(v6)[0].message, /^mcast-proxy has joined ff05::1 on up0, but .*\/igmp6, /);
});

Deno.test("kernel-mismatch: a filter upstream without a source the daemon includes or excludes", () => {
  const facts = healthyFacts();
  for (const sample of [facts.before, facts.after]) {
    sample.upstream[0].groups = [
      { group: G, mode: "include", sources: ["10.0.0.2", "10.0.0.3"] },
      { group: "239.2.2.2", mode: "exclude", sources: ["10.0.0.9"] },
    ];
  }
  const kernel = kernelOf(facts, "ipv4");
  kernel.memberships = [{ ifindex: 2, group: G }, { ifindex: 2, group: "239.2.2.2" }];
  kernel.filters = [
    { ifindex: 2, group: G, source: "10.0.0.2", include: 1, exclude: 0 },
    { ifindex: 2, group: G, source: "10.0.0.3", include: 0, exclude: 1 },
    { ifindex: 2, group: "239.2.2.2", source: "10.0.0.9", include: 0, exclude: 1 },
  ];
  const [f, ...more] = mismatches(facts);
  deepStrictEqual(more, []);
  equal(f.subject, `${G} on up0`);
  equal(
    f.message,
    `the kernel's filter of ${G} on up0 (/proc/net/mcfilter) lacks 10.0.0.3, which ` +
      "mcast-proxy includes: upstream is asked for less than the listeners want",
  );
  kernel.filters[1].include = 2;
  deepStrictEqual(mismatches(facts), []);
  kernel.filters.pop();
  match(mismatches(facts)[0].message, /lacks 10\.0\.0\.9, which mcast-proxy excludes: .* more /);
  // Past the ceiling (igmp_max_msf 10), only part of an EXCLUDE filter is applied: not compared.
  for (const sample of [facts.before, facts.after]) {
    sample.upstream[0].groups[1].sources = Array.from({ length: 11 }, (_, i) => `10.0.1.${i}`);
  }
  deepStrictEqual(mismatches(facts), []);
});

Deno.test("kernel-mismatch: a VIF the kernel lacks or gives another interface", () => {
  const facts = healthyFacts();
  kernelOf(facts, "ipv4").vifs = [{ vif: 0, name: "up0" }, { vif: 1, name: "dn9" }];
  deepStrictEqual(
    mismatches(facts).map((f) => [f.subject, f.message]),
    [
      [
        "dn1",
        "mcast-proxy uses dn1 as VIF 1, but the kernel's VIF 1 is dn9 (/proc/net/ip_mr_vif): " +
        "data is not forwarded as mcast-proxy says",
      ],
      [
        "dn2",
        "mcast-proxy uses dn2 as VIF 2, but the kernel has no VIF 2 (/proc/net/ip_mr_vif): data " +
        "is not forwarded as mcast-proxy says",
      ],
    ],
  );
  // dn2's mc_forwarding 0 says it already (mc-forwarding).
  facts.sysctls["/proc/sys/net/ipv4/conf/dn2/mc_forwarding"] = 0;
  deepStrictEqual(mismatches(facts).map((f) => f.subject), ["dn1"]);
  deepStrictEqual(
    diagnose(facts).filter((f) => f.subject === "dn2").map((f) => f.rule),
    ["mc-forwarding"],
  );
  const v6 = healthyFacts();
  kernelOf(v6, "ipv6").vifs = [{ vif: 0, name: "up0" }];
  match(mismatches(v6)[0].message, /^mcast-proxy uses dn1 as MIF 1, but the kernel has no MIF 1 /);
  equal(mismatches(v6)[0].subject, "dn1 (IPv6)");
});

Deno.test("kernel-mismatch: nothing compared without the files, or in another namespace", () => {
  const unread = healthyFacts();
  for (const k of unread.kernel) {
    Object.assign(k, {
      vifs: undefined,
      mfc: undefined,
      memberships: undefined,
      filters: undefined,
    });
  }
  deepStrictEqual(mismatches(unread), []);
  deepStrictEqual(checkedSources(unread), ["/proc/sys/net", "nft list ruleset"]);

  // mc_forwarding 0: the kernel's tables are another namespace's (mc-forwarding says so).
  const elsewhere = healthyFacts();
  for (const k of elsewhere.kernel) Object.assign(k, { vifs: [], mfc: [], memberships: [] });
  elsewhere.sysctls["/proc/sys/net/ipv4/conf/all/mc_forwarding"] = 0;
  elsewhere.sysctls["/proc/sys/net/ipv6/conf/all/mc_forwarding"] = 0;
  deepStrictEqual(mismatches(elsewhere), []);
});

Deno.test("kernel-mismatch: a file that does not parse is a note, and that table is not compared", () => {
  const facts = healthyFacts();
  // A kernel that would print its outputs otherwise.
  const files = healthyProcNet();
  files["/proc/net/ip_mr_cache"] = files["/proc/net/ip_mr_cache"].replace(" 1:1 ", " 1-1 ");
  facts.kernel = FAMILIES.map((family) => {
    const paths = PROC_NET_FILES[family];
    return parseKernelTables(family, {
      vifs: files[paths.vifs],
      mfc: files[paths.mfc],
      memberships: files[paths.memberships],
      filters: files[paths.filters],
    });
  });
  const line = files["/proc/net/ip_mr_cache"].split("\n")[1];
  deepStrictEqual(mismatches(facts), [{
    rule: "kernel-mismatch",
    severity: "note",
    subject: "/proc/net/ip_mr_cache",
    message: `could not read /proc/net/ip_mr_cache: bad oif "1-1" on line 2: ${
      JSON.stringify(line)
    }; the kernel was not compared`,
    fix: "report a bug with the contents of /proc/net/ip_mr_cache and the output of " +
      "`uname -r`: this mcast-proxyctl does not know how that kernel prints the file",
  }]);
  deepStrictEqual(comparedWithKernel(facts), { vifs: 5, entries: 1, groups: 2 });
  // A note is no problem.
  deepStrictEqual(diagnose(facts).filter((f) => f.severity === "problem"), []);
  // Not for a family out of use, nor one whose multicast routing is off (mc-forwarding).
  for (const sample of [facts.before, facts.after]) {
    sample.interfaces = sample.interfaces.filter((i) => i.family === "ipv6");
  }
  deepStrictEqual(mismatches(facts), []);
  const off = healthyFacts();
  kernelOf(off, "ipv6").parseErrors = { vifs: "9 fields where 7 were expected on line 2: ..." };
  off.sysctls["/proc/sys/net/ipv6/conf/all/mc_forwarding"] = 0;
  deepStrictEqual(mismatches(off), []);
});

Deno.test("comparedWithKernel: the VIFs, entries and upstream groups compared", () => {
  const facts = healthyFacts();
  // Both families: 3 VIFs and 2 MIFs, an entry and an upstream group each.
  deepStrictEqual(comparedWithKernel(facts), { vifs: 5, entries: 2, groups: 2 });
  // A group asked about: its entries and upstream group only; every VIF still.
  deepStrictEqual(comparedWithKernel(facts, { family: "ipv4", group: G, source: S }), {
    vifs: 5,
    entries: 1,
    groups: 1,
  });
  deepStrictEqual(comparedWithKernel(facts, { family: "ipv4", group: "239.2.2.2" }), {
    vifs: 5,
    entries: 0,
    groups: 0,
  });
  // What changed between the samples is not compared, nor a VIF whose mc_forwarding is 0.
  forwardingOf(facts.before, "ipv4").entries = [];
  facts.after.upstream[1].groups = [];
  facts.sysctls["/proc/sys/net/ipv4/conf/dn2/mc_forwarding"] = 0;
  deepStrictEqual(comparedWithKernel(facts), { vifs: 4, entries: 1, groups: 1 });
  // Nor what the kernel's unread files would have shown.
  for (const k of facts.kernel) Object.assign(k, { vifs: undefined, mfc: undefined });
  deepStrictEqual(comparedWithKernel(facts), { vifs: 0, entries: 0, groups: 1 });
  for (const k of facts.kernel) k.memberships = undefined;
  deepStrictEqual(comparedWithKernel(facts), { vifs: 0, entries: 0, groups: 0 });
});

Deno.test("checkedSources: the files read of the families in use, the sysctls, nft", () => {
  const facts = healthyFacts();
  kernelOf(facts, "ipv4").filters = undefined;
  for (const sample of [facts.before, facts.after]) {
    sample.interfaces = sample.interfaces.filter((i) => i.family === "ipv4");
  }
  deepStrictEqual(checkedSources(facts), [
    "/proc/net/ip_mr_vif",
    "/proc/net/ip_mr_cache",
    "/proc/net/igmp",
    "/proc/sys/net",
    "nft list ruleset",
  ]);
  facts.sysctls = {};
  facts.firewall = { ok: false, reason: "nft is not installed" };
  deepStrictEqual(checkedSources(facts), [
    "/proc/net/ip_mr_vif",
    "/proc/net/ip_mr_cache",
    "/proc/net/igmp",
  ]);
});
