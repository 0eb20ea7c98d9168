import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { ControlError } from "./client.ts";
import { startFakeDaemon, withSocketPath } from "./ctl_testing.ts";
import {
  DaemonRefused,
  gatherFacts,
  readFirewall,
  sysctlName,
  sysctlPath,
  sysctlPaths,
} from "./doctor_facts.ts";
import { fakeNft, nftJson } from "./doctor_nft_testing.ts";
import {
  answerWith,
  healthyFacts,
  healthyProcNet,
  healthySysctls,
  sysctlFiles,
} from "./doctor_testing.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "gatherFacts: the views, the counters twice around the wait, and the sysctls",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const facts = healthyFacts();
      const daemon = await startFakeDaemon(path, answerWith(facts));
      const slept: number[] = [];
      const read: string[] = [];
      try {
        const nft = fakeNft();
        const gathered = await gatherFacts({
          path,
          intervalMs: 1500,
          runCommand: nft.run,
          sleep: (ms) => {
            slept.push(ms);
            equal(daemon.requests.length, 5, "the first sample is whole before the wait");
            return Promise.resolve();
          },
          readFile: (file) => {
            read.push(file);
            if (file.startsWith("/proc/net/")) {
              equal(daemon.requests.length, 5, "the kernel's tables are read between the samples");
            }
            return sysctlFiles(healthySysctls(), healthyProcNet())(file);
          },
        });
        deepStrictEqual(gathered, { ...facts, intervalS: 1.5 });
        deepStrictEqual(slept, [1500]);
        deepStrictEqual(nft.calls, [{ argv: ["nft", "-j", "list", "ruleset"], timeoutMs: 5000 }]);
        // Interfaces first and forwarding last, then forwarding first and interfaces last.
        deepStrictEqual(
          daemon.requests.map((r) => r.command === "show" ? `${r.what} ${r.format}` : r.command),
          [
            "interfaces json",
            "groups json",
            "upstream json",
            "counters json",
            "forwarding json",
            "forwarding json",
            "upstream json",
            "interfaces json",
          ],
        );
        deepStrictEqual(
          read.toSorted(),
          [...Object.keys(healthySysctls()), ...Object.keys(healthyProcNet())].toSorted(),
        );
      } finally {
        await daemon.close();
      }
    }),
});

Deno.test({
  name: "gatherFacts: a sysctl missing or not a number is undefined",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const daemon = await startFakeDaemon(path, answerWith(healthyFacts()));
      const files: Record<string, string> = {
        "/proc/sys/net/ipv4/conf/all/rp_filter": "1\n",
        "/proc/sys/net/ipv4/igmp_max_msf": "ten\n",
        "/proc/sys/net/ipv4/igmp_max_memberships": "\n",
      };
      try {
        const { sysctls } = await gatherFacts({
          path,
          intervalMs: 0,
          runCommand: fakeNft().run,
          readFile: (file) =>
            file in files
              ? Promise.resolve(files[file])
              : Promise.reject(new Deno.errors.NotFound(file)),
        });
        equal(sysctls["/proc/sys/net/ipv4/conf/all/rp_filter"], 1);
        ok("/proc/sys/net/ipv4/igmp_max_msf" in sysctls);
        equal(sysctls["/proc/sys/net/ipv4/igmp_max_msf"], undefined);
        equal(sysctls["/proc/sys/net/ipv4/igmp_max_memberships"], undefined);
        equal(sysctls["/proc/sys/net/ipv6/mld_max_msf"], undefined);
      } finally {
        await daemon.close();
      }
    }),
});

Deno.test({
  name: "gatherFacts: an error reply is DaemonRefused, what is not a view a bad reply",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const readFile = sysctlFiles({});
      for (
        const [body, check] of [
          [
            { ok: false, body: "busy\n" },
            (err: unknown) => err instanceof DaemonRefused && err.body === "busy\n",
          ],
          [
            { ok: true, body: "Interfaces:\n" },
            badReply(/show interfaces answered what is not JSON/),
          ],
          [{ ok: true, body: "null\n" }, badReply(/not an object/)],
          [
            { ok: true, body: '{"version":2,"interfaces":[]}\n' },
            badReply(/answered schema version 2, not 1 with "interfaces"/),
          ],
        ] as const
      ) {
        await withSocketPath(async (own) => {
          const daemon = await startFakeDaemon(own, () => body);
          try {
            await rejects(gatherFacts({ path: own, intervalMs: 0, readFile }), check);
          } finally {
            await daemon.close();
          }
        });
      }
      // No daemon: the client's error.
      await rejects(
        gatherFacts({ path, intervalMs: 0, readFile }),
        (err) => err instanceof ControlError && err.kind === "no-socket",
      );
    }),
});

function badReply(message: RegExp) {
  return (err: unknown) => {
    ok(err instanceof ControlError, String(err));
    equal(err.kind, "bad-reply");
    match(err.message, message);
    return true;
  };
}

Deno.test("sysctlPaths: all, the IPv4 upstream's rp_filter, each VIF's and MIF's mc_forwarding", () => {
  deepStrictEqual(sysctlPaths(healthyFacts().before.interfaces), [
    "/proc/sys/net/ipv4/conf/all/rp_filter",
    "/proc/sys/net/ipv4/conf/all/mc_forwarding",
    "/proc/sys/net/ipv6/conf/all/mc_forwarding",
    "/proc/sys/net/ipv4/igmp_max_memberships",
    "/proc/sys/net/ipv4/igmp_max_msf",
    "/proc/sys/net/ipv6/mld_max_msf",
    "/proc/sys/net/core/optmem_max",
    "/proc/sys/net/ipv4/conf/up0/rp_filter",
    "/proc/sys/net/ipv4/conf/up0/mc_forwarding",
    "/proc/sys/net/ipv4/conf/dn1/mc_forwarding",
    "/proc/sys/net/ipv4/conf/dn2/mc_forwarding",
    "/proc/sys/net/ipv6/conf/up0/mc_forwarding",
    "/proc/sys/net/ipv6/conf/dn1/mc_forwarding",
  ]);
});

Deno.test("sysctlPath, sysctlName: the file, and the name with a dotted interface's slash", () => {
  const key = { family: "ipv4", name: "rp_filter", iface: "eth0.100" } as const;
  equal(sysctlPath(key), "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
  equal(sysctlName(key), "net.ipv4.conf.eth0/100.rp_filter");
  equal(sysctlPath({ family: "ipv6", name: "mld_max_msf" }), "/proc/sys/net/ipv6/mld_max_msf");
  equal(sysctlName({ family: "ipv6", name: "mld_max_msf" }), "net.ipv6.mld_max_msf");
  equal(sysctlPath({ family: "core", name: "optmem_max" }), "/proc/sys/net/core/optmem_max");
  equal(sysctlName({ family: "core", name: "optmem_max" }), "net.core.optmem_max");
});

Deno.test("readFirewall: the ruleset, or why nft could not give it", async () => {
  deepStrictEqual(await readFirewall(fakeNft().run), {
    ok: true,
    ruleset: { chains: [], rules: [] },
  });
  const cases: [Parameters<typeof fakeNft>[0], string][] = [
    [
      { code: 1, stdout: "", stderr: "\nOperation not permitted (you must be root)\n" },
      "nft failed (exit 1): Operation not permitted (you must be root)",
    ],
    [{ code: 2, stdout: "", stderr: "" }, "nft failed (exit 2): it said nothing"],
    [
      { code: 0, stdout: "table ip filter {\n", stderr: "" },
      "nft answered what is not a ruleset: its output is not JSON",
    ],
    [new Deno.errors.TimedOut("late"), "nft did not answer within 5 s"],
    [
      new Deno.errors.NotCapable('Requires run access to "nft"'),
      'nft could not be run: Requires run access to "nft"',
    ],
  ];
  for (const [result, reason] of cases) {
    deepStrictEqual(await readFirewall(fakeNft(result).run), { ok: false, reason });
  }
  // Not in PATH: /usr/sbin/nft is tried; in neither place: not installed.
  const tried: string[] = [];
  const inSbin = await readFirewall((argv) => {
    tried.push(argv[0]);
    return argv[0] === "nft"
      ? Promise.reject(new Deno.errors.NotFound("nft"))
      : Promise.resolve({ code: 0, stdout: nftJson(), stderr: "" });
  });
  deepStrictEqual([inSbin.ok, tried], [true, ["nft", "/usr/sbin/nft"]]);
  deepStrictEqual(await readFirewall(fakeNft(new Deno.errors.NotFound("nft")).run), {
    ok: false,
    reason: "nft is not installed (Debian's nftables package)",
  });
});
