/**
 * `deno task bench-sources`: IGMPv3 reports with 1 to 50 sources a record through the daemon
 * before and after source filtering (issue 17), and igmpproxy beside them where it applies (it
 * reads IGMPv3 at group level only). For each k of sources a record, a load of 10,000 (group,
 * source) pairs (10,000 / k groups): RSS with every pair reported once, and records read per
 * second under a storm of reports from a LAN host (see `source_scenario.ts`). Prints a table;
 * writes the results as JSON and the table as Markdown (`docs/source-benchmarks.json` and
 * `.md` by default).
 *
 * ```sh
 * ./run bench-sources                  # the whole run, a few minutes
 * ./run bench-sources --quick          # shorter storms
 * ./run bench-sources --before main~3  # "before" at another commit
 * ./run bench-sources --sources 50 --only after,before --out /tmp/b
 * ./run bench-sources --from docs/source-benchmarks.json   # the table again, no run
 * ```
 *
 * "Before" is the daemon of a commit, copied out of git into `.cache/bench-revisions/` (see
 * `revision.ts`): by default {@link DEFAULT_BEFORE}, the last commit of main before source
 * filtering, which reads IGMPv3 reports at group level. "After" is this checkout.
 *
 * Needs root (namespaces, apt-get for igmpproxy). On a machine whose kernel has no multicast
 * routing it runs in the test VM (`--kernel host|vm` forces one), and says so.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { cleanStaleLabs, createLab, labSupport } from "../lab/lab.ts";
import { type Contender, igmpproxy, ours } from "./contenders.ts";
import { ensureIgmpproxy, raiseMembershipLimit } from "./igmpproxy.ts";
import { progress } from "./scenarios.ts";
import { passesFor, sourceRun, type SourceRunResult } from "./source_scenario.ts";
import { loadFor } from "./source_reports.ts";
import { checkoutRevision, revisionContender } from "./revision.ts";
import {
  buildSourceRows,
  formatSourceTable,
  GROUP_LEVEL_NOTE,
  type Role,
  type SourceContender,
  sourceMarkdownReport,
  type SourcePlan,
  type SourceRunInfo,
} from "./source_report.ts";
import { placeOnMulticastKernel } from "../vm/kernel_choice.ts";
import { messageOf } from "../../src/log.ts";

/** The last commit of main before issue 17's source filtering: the default "before". */
export const DEFAULT_BEFORE = "13e15aa9965b55d135eef06cfc65528a13d8b1e1";

const PREFIX = "mcps-";
const DOCS = decodeURIComponent(new URL("../../docs/", import.meta.url).pathname);
const USAGE =
  "usage: deno task bench-sources [--quick] [--before REF] [--sources 1,10,50] [--records N]\n" +
  "         [--trials N] [--rate REPORTS_PER_S] [--only before,after,igmpproxy] [--out DIR]\n" +
  "         [--kernel host|vm]\n" +
  "       deno task bench-sources --from RESULTS.json   (the table again, no run)";

const FULL: SourcePlan = {
  pairs: 10_000,
  sourcesPerRecord: [1, 10, 50],
  stormRecords: 1_000_000,
  rate: 0,
  trials: 3,
};
const QUICK: SourcePlan = { ...FULL, stormRecords: 100_000, trials: 1 };

/** The value of `--NAME VALUE` or `--NAME=VALUE` in `argv`, if any. */
function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

/** `argv` with the value of `--NAME` replaced (or the flag added). */
function withFlag(argv: readonly string[], name: string, value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) i++;
    else if (!argv[i].startsWith(`--${name}=`)) out.push(argv[i]);
  }
  return [...out, `--${name}`, value];
}

async function machine(): Promise<string> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown CPU";
  const cpus = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  return `${model}, ${cpus} CPUs, Linux ${Deno.osRelease()}, Deno ${Deno.version.deno}`;
}

/** A comma list of positive integers. */
function integers(text: string, flag: string): number[] {
  const out = text.split(",").map(Number);
  if (out.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`--${flag} takes positive integers separated by commas, not "${text}"`);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const needsLab = !argv.some((a) =>
    a === "--from" || a.startsWith("--from=") || a === "-h" || a === "--help"
  );
  let args = argv;
  if (needsLab) {
    // The copy of "before" is made here, on the machine with the repository, and named by its
    // commit for a run in the VM.
    const ref = flagValue(argv, "before") ?? DEFAULT_BEFORE;
    let sha;
    try {
      sha = (await checkoutRevision(ref)).sha;
    } catch (e) {
      console.error(`bench-sources: ${messageOf(e)}`);
      return 2;
    }
    const out = flagValue(argv, "out");
    const placed = await placeOnMulticastKernel({
      what: "the source-filter benchmark",
      script: import.meta.url,
      args: withFlag(withFlag(argv, "before", sha), "before-ref", ref),
      prefetch: (log) => ensureIgmpproxy({ log }).then(() => {}),
      timeoutSeconds: 3600,
      writes: out === undefined || out === "" ? [] : [out],
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
        before: { type: "string", default: DEFAULT_BEFORE },
        "before-ref": { type: "string" },
        sources: { type: "string" },
        records: { type: "string" },
        trials: { type: "string" },
        rate: { type: "string", default: "0" },
        only: { type: "string", default: "before,after,igmpproxy" },
        from: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    console.error(`bench-sources: ${messageOf(e)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.from !== undefined) {
    // JSON writes a NaN (not measured) as null: read it back as NaN.
    const saved = JSON.parse(
      await Deno.readTextFile(values.from),
      (_, v) => v === null ? NaN : v,
    ) as {
      info: SourceRunInfo;
      contenders: SourceContender[];
    };
    return await report(saved.info, saved.contenders, values.out ?? "");
  }
  let plan: SourcePlan;
  let only: string[];
  try {
    plan = {
      ...(values.quick ? QUICK : FULL),
      ...(values.sources === undefined
        ? {}
        : { sourcesPerRecord: integers(values.sources, "sources") }),
      ...(values.records === undefined
        ? {}
        : { stormRecords: integers(values.records, "records")[0] }),
      ...(values.trials === undefined ? {} : { trials: integers(values.trials, "trials")[0] }),
      rate: Number(values.rate),
    };
    for (const k of plan.sourcesPerRecord) loadFor({ pairs: plan.pairs, sourcesPerRecord: k });
    only = values.only.split(",");
    const unknown = only.filter((o) => !["before", "after", "igmpproxy"].includes(o));
    if (unknown.length > 0) {
      throw new Error(`--only takes before, after, igmpproxy, not ${unknown}`);
    }
  } catch (e) {
    console.error(`bench-sources: ${messageOf(e)}\n${USAGE}`);
    return 2;
  }
  const support = await labSupport();
  if (!support.ok) {
    console.error(`bench-sources: cannot build the lab: ${support.reason}`);
    return 1;
  }
  const rev = await checkoutRevision(values.before);
  const lineup: { role: Role; key: string; c: Contender }[] = [
    { role: "before", key: "before", c: revisionContender("before", rev) },
    { role: "after", key: "after", c: { ...ours, name: "after" } },
    { role: "peer", key: "igmpproxy", c: igmpproxy },
  ];
  if (only.includes("igmpproxy")) await ensureIgmpproxy({ log: progress });
  await cleanStaleLabs(PREFIX);
  const startedAt = new Date();
  await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
  // igmpproxy joins every group upstream on one socket: let it hold 10,000 groups.
  await raiseMembershipLimit(lab, plan.pairs + 1024);
  // Load by load, each contender in turn: what the machine does meanwhile falls on all alike.
  const chosen = lineup.filter((l) => only.includes(l.key));
  const runs = new Map(chosen.map((l) => [l.key, [] as SourceRunResult[]]));
  for (const k of plan.sourcesPerRecord) {
    const load = loadFor({ pairs: plan.pairs, sourcesPerRecord: k });
    const passes = passesFor(load, plan.stormRecords);
    for (let t = 0; t < plan.trials; t++) {
      // Each trial starts with the next contender, so that none always runs first.
      const order = [...chosen.slice(t % chosen.length), ...chosen.slice(0, t % chosen.length)];
      for (const { key, c } of order) {
        progress(
          `${c.name}: ${load.groups} groups × ${k} sources, ${load.recordsPerReport} records a ` +
            `report, ${passes} passes`,
        );
        const r = await sourceRun(lab, c, { load, passes, rate: plan.rate });
        progress(
          `  ${r.records} records read in ${r.drainedMs.toFixed(0)} ms: ` +
            `${r.recordsPerS.toFixed(0)}/s (dropped ${r.dropped} reports, lost ${r.lost})`,
        );
        runs.get(key)!.push(r);
      }
    }
  }
  const contenders: SourceContender[] = [];
  for (const { role, key, c } of chosen) {
    contenders.push({ name: c.name, role, version: await c.version(), runs: runs.get(key)! });
  }
  const info: SourceRunInfo = {
    date: startedAt.toISOString(),
    quick: values.quick,
    machine: await machine(),
    before: { ref: values["before-ref"] ?? values.before, sha: rev.sha, title: rev.title },
    plan,
  };
  return await report(info, contenders, values.out ?? DOCS);
}

/** Prints the table and, unless `out` is "", writes the JSON and the Markdown page there. */
async function report(
  info: SourceRunInfo,
  contenders: SourceContender[],
  out: string,
): Promise<number> {
  console.log(`IGMPv3 reports with sources, ${info.plan.pairs} (group, source) pairs a load`);
  console.log(`before: ${info.before.title}`);
  if (contenders.some((c) => c.role === "peer")) console.log(`Note: ${GROUP_LEVEL_NOTE}.`);
  console.log(formatSourceTable(buildSourceRows(contenders), contenders));
  if (out !== "") {
    await Deno.mkdir(out, { recursive: true });
    const base = `${out.replace(/\/?$/, "/")}source-benchmarks`;
    await Deno.writeTextFile(`${base}.json`, JSON.stringify({ info, contenders }, null, 2) + "\n");
    await Deno.writeTextFile(`${base}.md`, sourceMarkdownReport(contenders, info));
    progress(`wrote ${base}.json and ${base}.md`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
