/**
 * `deno task bench`: our daemon and Debian's igmpproxy, in turn, on one namespace lab in one
 * run; prints one side-by-side table, writes the results as JSON and the table as Markdown
 * (`docs/benchmarks.json`, `docs/benchmarks.md` by default).
 *
 * ```sh
 * ./run bench                # the whole run, about 17 minutes
 * ./run bench --quick        # fewer trials, shorter storms: a check that it all works
 * ./run bench --out /tmp/b   # write the files elsewhere (--out "" writes none)
 * ./run bench --from docs/benchmarks.json   # the table again from saved results (--out to
 *                                          # write the Markdown page again too)
 * ```
 *
 * Needs root (namespaces, tcpdump, apt-get for igmpproxy). On a machine whose kernel has no
 * multicast routing it runs in the test VM on Debian's kernel (`--kernel host|vm` forces one),
 * and says so; its numbers are then the VM's.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { cleanStaleLabs, createLab, labSupport, useIgmpV2Hosts } from "../lab/lab.ts";
import { DEFAULT_TIMERS } from "../../src/core/timers.ts";
import { type Contender, igmpproxy, ours } from "./contenders.ts";
import { ensureIgmpproxy, raiseMembershipLimit } from "./igmpproxy.ts";
import {
  burst,
  type BurstResult,
  joinLeave,
  type JoinLeaveResult,
  progress,
  startup,
  type StartupResult,
  storm,
  type StormResult,
} from "./scenarios.ts";
import {
  buildRows,
  type ContenderResults,
  markdownReport,
  type Plan,
  type RunInfo,
} from "./report.ts";
import { formatTable } from "./stats.ts";
import { placeOnMulticastKernel } from "../vm/kernel_choice.ts";
import { messageOf } from "../../src/log.ts";

const PREFIX = "mcpb-";
/** Where a run writes its results unless told otherwise. */
const DOCS = decodeURIComponent(new URL("../../docs/", import.meta.url).pathname);
const USAGE =
  "usage: deno task bench [--quick] [--only mcast-proxy|igmpproxy] [--out DIR] [--kernel host|vm]\n" +
  "       deno task bench --from RESULTS.json [--out DIR]   (the table again, no run)";

const FULL: Plan = {
  trials: 20,
  leaveFastTrials: 20,
  burstGroups: 1000,
  stormRates: [10_000, 50_000, 100_000],
  stormGroups: 10_000,
  stormSeconds: 10,
};

const QUICK: Plan = {
  trials: 3,
  leaveFastTrials: 3,
  burstGroups: 200,
  stormRates: [10_000],
  stormGroups: 2_000,
  stormSeconds: 2,
};

async function runContender(c: Contender, plan: Plan, lab: Awaited<ReturnType<typeof createLab>>) {
  progress(`${c.name}: startup and idle`);
  const start: StartupResult = await startup(lab, c);
  progress(`${c.name}: join and leave latency, ${plan.trials} trials, defaults`);
  const joinLeaveDefault: JoinLeaveResult = await joinLeave(lab, c, { trials: plan.trials });
  let leaveFast: JoinLeaveResult | undefined;
  if (c.setsLastMemberQueryInterval) {
    progress(`${c.name}: leave latency at last-member-query-interval 0.1`);
    leaveFast = await joinLeave(lab, c, {
      trials: plan.leaveFastTrials,
      settings: { lastMemberQueryInterval: 0.1 },
    });
  }
  progress(`${c.name}: burst of ${plan.burstGroups} joins`);
  const burstResult: BurstResult = await burst(lab, c, plan.burstGroups);
  const storms: StormResult[] = [];
  for (const rate of plan.stormRates) {
    progress(`${c.name}: report storm at ${rate}/s for ${plan.stormSeconds} s`);
    const r = await storm(lab, c, rate, plan.stormGroups, plan.stormSeconds);
    progress(
      `  sent ${r.sent} at ${r.sentRate.toFixed(0)}/s, dropped ${r.dropped}, ` +
        `${r.joinedUpstream}/${r.groups} groups upstream after ${r.drainedMs.toFixed(0)} ms`,
    );
    storms.push(r);
  }
  const results: ContenderResults = {
    name: c.name,
    version: await c.version(),
    startup: start,
    joinLeave: joinLeaveDefault,
    ...(leaveFast === undefined ? {} : { leaveFast }),
    burst: burstResult,
    storms,
  };
  return results;
}

async function machine(): Promise<RunInfo["machine"]> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown CPU";
  const cpus = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const memTotal = /^MemTotal:\s+(\d+) kB/m.exec(await Deno.readTextFile("/proc/meminfo"))?.[1];
  const os = Deno.osRelease();
  const release = await Deno.readTextFile("/etc/os-release").catch(() => "");
  const distro = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] ?? "";
  return {
    cpu: model,
    cpus,
    memoryGiB: memTotal === undefined ? NaN : Number(memTotal) / 1024 / 1024,
    kernel: os,
    distro,
  };
}

/** The folders named by `--out` (the results go there, from the VM too). */
function outDirs(argv: string[]): string[] {
  const dirs = argv.flatMap((a, i) =>
    a === "--out" ? [argv[i + 1] ?? ""] : a.startsWith("--out=") ? [a.slice(6)] : []
  );
  return dirs.filter((d) => d !== "");
}

async function main(argv: string[]): Promise<number> {
  const needsLab = !argv.some((a) =>
    a === "--from" || a.startsWith("--from=") || a === "-h" || a === "--help"
  );
  let args = argv;
  if (needsLab) {
    const placed = await placeOnMulticastKernel({
      what: "the benchmarks",
      script: import.meta.url,
      args: argv,
      prefetch: (log) => ensureIgmpproxy({ log }).then(() => {}),
      timeoutSeconds: 3 * 3600,
      writes: outDirs(argv),
    });
    if (placed.run === "done") return placed.code;
    args = placed.args;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string" },
        from: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    console.error(`bench: ${messageOf(e)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.from !== undefined) {
    const { info, results } = JSON.parse(await Deno.readTextFile(values.from)) as {
      info: RunInfo;
      results: ContenderResults[];
    };
    return await report(info, results, values.out ?? "");
  }
  const support = await labSupport();
  if (!support.ok) {
    console.error(`bench: cannot build the lab: ${support.reason}`);
    return 1;
  }
  const plan = values.quick ? QUICK : FULL;
  await ensureIgmpproxy({ log: progress });
  await cleanStaleLabs(PREFIX);
  const startedAt = new Date();
  await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [2, 1] });
  await useIgmpV2Hosts(lab);
  // igmpproxy joins every group upstream on one socket: let it hold the storm's groups.
  await raiseMembershipLimit(lab, plan.stormGroups + 1024);
  const results: ContenderResults[] = [];
  const contenders = [ours, igmpproxy];
  if (values.only !== undefined && !contenders.some((c) => c.name === values.only)) {
    console.error(`bench: --only takes ${contenders.map((c) => c.name).join(" or ")}`);
    return 2;
  }
  for (const c of contenders) {
    if (values.only === undefined || values.only === c.name) {
      results.push(await runContender(c, plan, lab));
    }
  }
  if (results.length === 1) {
    // One contender: its numbers in both columns would say nothing; print them as JSON.
    console.log(JSON.stringify(results[0], null, 2));
    return 0;
  }
  const info: RunInfo = {
    date: startedAt.toISOString(),
    quick: values.quick,
    machine: await machine(),
    deno: Deno.version.deno,
    defaults: {
      ourLastMemberQueryMs: DEFAULT_TIMERS.lastMemberQueryInterval *
        DEFAULT_TIMERS.lastMemberQueryCount,
    },
    plan,
  };
  return await report(info, results, values.out ?? DOCS);
}

/** Prints the table and, unless `out` is "", writes the JSON and the Markdown page there. */
async function report(info: RunInfo, results: ContenderResults[], out: string): Promise<number> {
  const [mine, peer] = results;
  const rows = buildRows(mine, peer, info);
  console.log(formatTable(rows, peer.name));
  if (out !== "") {
    await Deno.mkdir(out, { recursive: true });
    const json = `${out.replace(/\/?$/, "/")}benchmarks.json`;
    const md = `${out.replace(/\/?$/, "/")}benchmarks.md`;
    await Deno.writeTextFile(json, JSON.stringify({ info, results }, null, 2) + "\n");
    await Deno.writeTextFile(md, markdownReport(rows, mine, peer, info));
    progress(`wrote ${json} and ${md}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
