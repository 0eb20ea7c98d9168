/**
 * The suite runner behind `./run test` (`deno task test`):
 *
 * ```sh
 * deno run --allow-all tests/run_all.ts [check] [unit] [e2e] [--kernel host|vm]
 * ```
 *
 * 1. `check`: static checks, one counted test each: `deno fmt --check`, `deno lint`, `deno check`
 *    of every module, and `mandoc -Tlint` of the manual pages (when mandoc is installed);
 * 2. `unit`: `deno test` with {@link UNIT_PERMISSIONS} over {@link UNIT_PATHS} (no
 *    `--allow-ffi`, so an accidental FFI use fails);
 * 3. `e2e`: `deno test --allow-all tests/e2e/` (files run serially) on a kernel with multicast
 *    routing: this machine's when it has IPv4 and IPv6 multicast routing, otherwise the test VM
 *    on Debian's kernel (`--kernel` or `MCAST_PROXY_KERNEL` forces one). Before the VM starts,
 *    what the tests would fetch from the network is fetched on the host (the VM has none).
 *    When neither can run, the e2e tests run here and skip, with the one reason printed at the
 *    end; under CI (`CI` set) that counts as a failure.
 *
 * Without a stage, all three run. Each `deno test` run writes a JUnit report that is counted:
 * tests (steps are not counted separately), failures, skipped (ignored) tests. A run that exits
 * non-zero without a reported failure (type-check error, crash) counts as one failure. The last
 * line printed is `N passed, M failed[, K skipped]`; the exit code is 1 if anything failed.
 *
 * The Deno binary is env `DENO_BIN` if set, else this process's.
 *
 * @module
 */

import { cleanStaleLabs } from "./lab/lab.ts";
import { chooseKernel, KERNEL_ENV, kernelFlag } from "./vm/kernel_choice.ts";
import { prefetchForGuest } from "./vm/prefetch.ts";
import { CHECKOUT, runInVm } from "./vm/vm.ts";
import { messageOf } from "../src/log.ts";
import { scratchSocketPaths, UNIT_SCRATCH_ENV } from "./fakes/scratch.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
/** What the unit stage tests: every `_test.ts` under these folders, and these files. */
export const UNIT_PATHS: readonly string[] = [
  "src/",
  "conf/",
  "ffi/",
  "tests/fakes/",
  "tests/lab/",
  "tests/bench/",
  "tests/vm/",
  "tests/run_all_test.ts",
];
/**
 * The unit stage's permissions: no FFI, no network, nothing written but in a scratch directory
 * of its own (Unix sockets of the control socket's tests, named by {@link UNIT_SCRATCH_ENV});
 * of programs only the C compiler (struct layouts are checked against the system headers,
 * `ffi/layout_c_test.ts`) and, added by the stage, this Deno (a process killed with its socket
 * open leaves the stale socket a restart must replace).
 */
export const UNIT_PERMISSIONS: readonly string[] = [
  "--allow-read",
  `--allow-env=NO_COLOR,${UNIT_SCRATCH_ENV}`,
  "--allow-run=cc,gcc",
];
/** The stages, in the order they run. */
export const STAGES = ["check", "unit", "e2e"] as const;
/** One stage. */
export type Stage = (typeof STAGES)[number];
/** The longest an e2e run in the VM may take before it is stopped. */
const VM_E2E_TIMEOUT_S = 60 * 60;
const E2E_DIR = "tests/e2e/";
const TEST_FILE = /(^|[_.])test\.(ts|tsx|mts|js|mjs|jsx)$/;

/** Counts from one JUnit report. */
export interface Counts {
  /** Tests that passed. */
  passed: number;
  /** Tests that failed. */
  failed: number;
  /** Tests that were ignored. */
  skipped: number;
  /** Names of failed tests, `file > test`. */
  failures: string[];
}

function unescapeXml(s: string): string {
  return s.replace(
    /&(lt|gt|quot|apos|amp);/g,
    (_, e: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[e] ?? "",
  );
}

function attr(tag: string, name: string): string {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? unescapeXml(m[1]) : "";
}

/**
 * Counts the tests of a Deno JUnit report. Test steps (reported as testcases named
 * `parent > step` next to their parent) are not counted: a failed step fails its parent.
 */
export function countJunit(xml: string): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const suites = xml.match(/<testsuite\b[\s\S]*?<\/testsuite>/g) ?? [];
  for (const suite of suites) {
    const suiteName = attr(/<testsuite\b[^>]*>/.exec(suite)?.[0] ?? "", "name");
    const cases = [...suite.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)].map(
      (m) => ({ name: attr(m[1], "name"), body: m[3] ?? "" }),
    );
    const names = new Set(cases.map((c) => c.name));
    const isStep = (name: string) => {
      for (let i = name.indexOf(" > "); i >= 0; i = name.indexOf(" > ", i + 1)) {
        if (names.has(name.slice(0, i))) return true;
      }
      return false;
    };
    for (const c of cases) {
      if (isStep(c.name)) continue;
      if (/<failure\b/.test(c.body) || /<error\b/.test(c.body)) {
        counts.failed++;
        counts.failures.push(`${suiteName} > ${c.name}`);
      } else if (/<skipped\b/.test(c.body)) counts.skipped++;
      else counts.passed++;
    }
  }
  return counts;
}

async function hasTestFiles(dir: string): Promise<boolean> {
  try {
    for await (const e of Deno.readDir(`${ROOT}${dir}`)) {
      if (e.isFile && TEST_FILE.test(e.name)) return true;
      if (e.isDirectory && await hasTestFiles(`${dir}${e.name}/`)) return true;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return false;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(`${ROOT}${path}`);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command in the checkout with our stdout/stderr and no stdin. */
function spawnInherit(cmd: string, args: string[]): Promise<Deno.CommandStatus> {
  return new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
    // Deno prints a Rust stack trace after every failed `deno test` when RUST_BACKTRACE is set:
    // noise at the end of a run whose failures are listed above it.
    env: {
      DENO_NO_UPDATE_CHECK: "1",
      RUST_BACKTRACE: "0",
      ...(Deno.stdout.isTerminal() ? {} : { NO_COLOR: "1" }),
    },
  }).spawn().status;
}

/** How a `deno test` run ended, wherever it ran. */
interface Ended {
  /** Its exit code. */
  code: number;
  /** Why it ended without running to its end (the VM crashed, was stopped). */
  error?: string;
}

/** Runs `deno test ARGS` somewhere: here, or in the test VM. */
type TestRunner = (args: string[]) => Promise<Ended>;

const runHere: TestRunner = async (args) => ({ code: (await spawnInherit(denoBin(), args)).code });

function denoBin(): string {
  return Deno.env.get("DENO_BIN") || Deno.execPath();
}

/**
 * Runs `deno test` over `paths` and counts its JUnit report, written to a new folder under
 * `reportsIn` (which the runner must be able to write).
 */
async function runStage(
  label: string,
  opts: {
    args: readonly string[];
    paths: readonly string[];
    runner?: TestRunner;
    reportsIn?: string;
  },
): Promise<Counts> {
  const dir = await Deno.makeTempDir({ prefix: "mcast-proxy-junit-", dir: opts.reportsIn });
  const junit = `${dir}/report.xml`;
  try {
    console.log(`\n=== ${label}: deno test ${[...opts.args, ...opts.paths].join(" ")}\n`);
    const ended = await (opts.runner ?? runHere)(
      ["test", ...opts.args, `--junit-path=${junit}`, ...opts.paths],
    );
    let xml = "";
    try {
      xml = await Deno.readTextFile(junit);
    } catch {
      // No report: counted as a crash below.
    }
    const counts = countJunit(xml);
    const ran = counts.passed + counts.failed + counts.skipped;
    if (ended.code === 0 && ended.error === undefined && ran === 0) {
      // A run that ran nothing proves nothing (a VM that lost its report, a filter gone wrong).
      const msg = `${label}: no test ran (${xml === "" ? "no JUnit report" : "an empty report"})`;
      console.error(`\n${msg}`);
      counts.failed++;
      counts.failures.push(msg);
    } else if (ended.error !== undefined) {
      console.error(`\n${label}: ${ended.error}`);
      counts.failed++;
      counts.failures.push(`${label}: ${ended.error.split("\n")[0]}`);
    } else if (ended.code !== 0 && counts.failed === 0) {
      const why = xml === "" ? "no JUnit report was written" : "no test reported a failure";
      const msg = `${label}: deno test exited with code ${ended.code} and ${why} ` +
        `(type-check error, crash or leaked resources; see the output above)`;
      console.error(`\n${msg}`);
      counts.failed++;
      counts.failures.push(msg);
    }
    return counts;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Runs one static check as a counted test: passes when the command exits 0. */
async function runCheck(label: string, cmd: string, args: string[]): Promise<Counts> {
  console.log(`\n=== check: ${label}`);
  let ok = false;
  try {
    const status = await spawnInherit(cmd, args);
    ok = status.success;
  } catch (err) {
    console.error(`${label}: ${messageOf(err)}`);
  }
  const failures = ok ? [] : [`check: ${label}`];
  return { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, failures };
}

async function staticChecks(): Promise<Counts[]> {
  const deno = denoBin();
  const results = [
    await runCheck("deno fmt --check", deno, ["fmt", "--check"]),
    await runCheck("deno lint", deno, ["lint"]),
    await runCheck("deno check", deno, [
      "check",
      "main.ts",
      "scripts/",
      "src/",
      "conf/",
      "ffi/",
      "tests/",
    ]),
  ];
  const pages: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}/man`)) if (/\.\d$/.test(e.name)) pages.push(e.name);
  try {
    await new Deno.Command("mandoc", { args: ["-V"], stdout: "null", stderr: "null" }).output();
    for (const page of pages.sort()) {
      results.push(
        await runCheck(`mandoc -Tlint man/${page}`, "mandoc", ["-Tlint", `man/${page}`]),
      );
    }
  } catch {
    console.log("\n=== check: mandoc is not installed, manual pages not linted");
  }
  return results;
}

async function unitStage(): Promise<Counts> {
  const paths: string[] = [];
  for (const p of UNIT_PATHS) {
    if (p.endsWith("/") ? await hasTestFiles(p) : await exists(p)) paths.push(p);
  }
  if (paths.length === 0) {
    console.log("\n=== unit: no test files, skipped");
    return { passed: 0, failed: 0, skipped: 0, failures: [] };
  }
  const scratch = await Deno.makeTempDir({ prefix: "mcast-proxy-unit-" });
  Deno.env.set(UNIT_SCRATCH_ENV, scratch);
  try {
    const sockets = scratchSocketPaths(scratch).map((p) => `unix:${p}`).join(",");
    const args = [
      ...UNIT_PERMISSIONS.map((p) => p.startsWith("--allow-run=") ? `${p},${Deno.execPath()}` : p),
      `--allow-write=${scratch}`,
      `--allow-net=${sockets}`,
    ];
    return await runStage("unit", { args, paths });
  } finally {
    Deno.env.delete(UNIT_SCRATCH_ENV);
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}

/** The e2e stage's counts, and a line that says where it ran (or why it could not). */
async function e2eStage(force: "host" | "vm" | undefined): Promise<Counts & { where: string }> {
  const none = { passed: 0, failed: 0, skipped: 0, failures: [] };
  if (!await hasTestFiles(E2E_DIR)) {
    console.log(`\n=== e2e: no test files in ${E2E_DIR}, skipped`);
    return { ...none, where: "e2e: no test files" };
  }
  const log = (m: string) => console.log(`setup: ${m}`);
  const choice = await chooseKernel(force, log);
  const args = ["--allow-all", "--no-check"];
  const started = performance.now();
  const took = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
  if (choice.where === "vm") {
    const { vm } = choice;
    // Without them, the tests that need them fail and say why; the others still run.
    const fetchError = await prefetchForGuest(log).then(
      () => undefined,
      (e: unknown) => `e2e: cannot fetch what the VM's tests need: ${messageOf(e)}`,
    );
    if (fetchError !== undefined) console.error(fetchError);
    const where = `${vm.kernel.release} (VM: ${vm.accel.toUpperCase()}, ${vm.cpus} vCPU, ` +
      `${vm.memoryMiB} MiB)`;
    console.log(`\n=== e2e in the test VM on Debian's kernel ${where}: ${choice.why}`);
    const reports = await Deno.makeTempDir({ prefix: "mcast-proxy-reports-" });
    try {
      const runner: TestRunner = (argv) =>
        runInVm(vm, {
          argv: [denoBin(), ...argv],
          writable: [CHECKOUT, reports],
          timeoutSeconds: VM_E2E_TIMEOUT_S,
        });
      const counts = await runStage(`e2e on ${vm.kernel.release} (VM)`, {
        args,
        paths: [E2E_DIR],
        runner,
        reportsIn: reports,
      });
      if (fetchError !== undefined) {
        counts.failed++;
        counts.failures.push(fetchError);
      }
      return { ...counts, where: `e2e on ${where} in ${took()}` };
    } finally {
      await Deno.remove(reports, { recursive: true }).catch(() => {});
    }
  }
  if (choice.where === "host") {
    const stale = await cleanStaleLabs().catch(() => []);
    if (stale.length > 0) console.log(`Deleted stale lab namespaces: ${stale.join(", ")}`);
    const counts = await runStage(`e2e on ${choice.release} (host)`, { args, paths: [E2E_DIR] });
    return { ...counts, where: `e2e on ${choice.release} (this machine's kernel) in ${took()}` };
  }
  // Nowhere with multicast routing: here, where every lab test skips with its reason.
  console.log(`\n=== e2e: no kernel with multicast routing: ${choice.why}`);
  const counts = await runStage("e2e (skipped where they need multicast routing)", {
    args,
    paths: [E2E_DIR],
  });
  const where = `e2e tests that need multicast routing skipped: ${choice.why}`;
  if (Deno.env.get("CI")) {
    counts.failed++;
    counts.failures.push(`e2e: CI must run the e2e tests, but ${choice.why}`);
  }
  return { ...counts, where };
}

/**
 * Reads the command line: stages and `--kernel` (else `env`, the value of `MCAST_PROXY_KERNEL`).
 * Throws on a bad one.
 */
export function parseArgs(
  args: readonly string[],
  env: string | undefined,
): { stages: Stage[]; force: "host" | "vm" | undefined } {
  const { force, rest } = kernelFlag(args, env);
  const stages: Stage[] = [];
  for (const a of rest) {
    if (!(STAGES as readonly string[]).includes(a)) {
      throw new Error(`Unknown stage "${a}" (stages: ${STAGES.join(", ")})`);
    }
    stages.push(a as Stage);
  }
  return {
    stages: stages.length > 0 ? STAGES.filter((s) => stages.includes(s)) : [...STAGES],
    force,
  };
}

const USAGE =
  "usage: deno run --allow-all tests/run_all.ts [check] [unit] [e2e] [--kernel host|vm]";

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(Deno.args, Deno.env.get(KERNEL_ENV));
  } catch (e) {
    console.error(`${messageOf(e)}\n${USAGE}`);
    return 2;
  }
  const total: Counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const add = (c: Counts) => {
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
    total.failures.push(...c.failures);
  };
  let where: string | undefined;
  for (const stage of parsed.stages) {
    if (stage === "check") { for (const c of await staticChecks()) add(c); }
    if (stage === "unit") add(await unitStage());
    if (stage === "e2e") {
      const e2e = await e2eStage(parsed.force);
      add(e2e);
      where = e2e.where;
    }
  }

  console.log("");
  for (const f of total.failures) console.log(`FAILED: ${f}`);
  if (where !== undefined) console.log(where);
  console.log(
    `${total.passed} passed, ${total.failed} failed` +
      (total.skipped > 0 ? `, ${total.skipped} skipped` : ""),
  );
  return total.failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
