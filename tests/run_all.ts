/**
 * The suite runner behind `deno task test`:
 *
 * 1. unit tests: `deno test --allow-read --allow-env=NO_COLOR` over `src/ conf/ ffi/
 *    tests/fakes/ tests/lab/ tests/bench/ tests/run_all_test.ts` (no `--allow-ffi`, so an accidental FFI
 *    use fails);
 * 0. static checks, one counted test each: `deno fmt --check`, `deno lint`, `deno check` of every
 *    module, and `mandoc -Tlint` of the manual pages (when mandoc is installed);
 * 2. end-to-end tests: `deno test --allow-all tests/e2e/` (files run serially), after deleting
 *    namespaces left by crashed lab runs. Skipped when there are no test files yet.
 *
 * Each run writes a JUnit report that is counted: tests (steps are not counted separately),
 * failures, skipped (ignored) tests. A run that exits non-zero without a reported failure
 * (type-check error, crash) counts as one failure. The last line printed is
 * `N passed, M failed[, K skipped]`; the exit code is 1 if anything failed.
 *
 * The Deno binary is env `DENO_BIN` if set, else this process's.
 *
 * @module
 */

import { cleanStaleLabs, labSupport } from "./lab/lab.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const UNIT_DIRS = ["src/", "conf/", "ffi/", "tests/fakes/", "tests/lab/", "tests/bench/"];
const UNIT_FILES = ["tests/run_all_test.ts"];
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
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).spawn().status;
}

async function runStage(label: string, args: string[], paths: string[]): Promise<Counts> {
  const deno = Deno.env.get("DENO_BIN") || Deno.execPath();
  const junit = await Deno.makeTempFile({ prefix: `mcast-proxy-${label}-`, suffix: ".xml" });
  try {
    console.log(`\n=== ${label}: deno test ${[...args, ...paths].join(" ")}\n`);
    const status = await spawnInherit(deno, ["test", ...args, `--junit-path=${junit}`, ...paths]);
    let xml = "";
    try {
      xml = await Deno.readTextFile(junit);
    } catch {
      // No report: counted as a crash below.
    }
    const counts = countJunit(xml);
    if (!status.success && counts.failed === 0) {
      const why = xml === "" ? "no JUnit report was written" : "no test reported a failure";
      const msg = `${label}: deno test exited with code ${status.code} and ${why} ` +
        `(type-check error, crash or leaked resources; see the output above)`;
      console.error(`\n${msg}`);
      counts.failed++;
      counts.failures.push(msg);
    }
    return counts;
  } finally {
    await Deno.remove(junit).catch(() => {});
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
    console.error(`${label}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const failures = ok ? [] : [`check: ${label}`];
  return { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, failures };
}

async function staticChecks(): Promise<Counts[]> {
  const deno = Deno.env.get("DENO_BIN") || Deno.execPath();
  const results = [
    await runCheck("deno fmt --check", deno, ["fmt", "--check"]),
    await runCheck("deno lint", deno, ["lint"]),
    await runCheck("deno check", deno, ["check", "main.ts", "src/", "conf/", "ffi/", "tests/"]),
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

async function main(): Promise<number> {
  const total: Counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const add = (c: Counts) => {
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
    total.failures.push(...c.failures);
  };

  for (const c of await staticChecks()) add(c);

  const unitDirs: string[] = [];
  for (const d of UNIT_DIRS) if (await hasTestFiles(d)) unitDirs.push(d);
  for (const f of UNIT_FILES) if (await exists(f)) unitDirs.push(f);
  if (unitDirs.length > 0) {
    add(await runStage("unit", ["--allow-read", "--allow-env=NO_COLOR"], unitDirs));
  } else console.log("\n=== unit: no test files, skipped");

  if (await hasTestFiles(E2E_DIR)) {
    const support = await labSupport();
    if (support.ok) {
      const stale = await cleanStaleLabs();
      if (stale.length > 0) console.log(`Deleted stale lab namespaces: ${stale.join(", ")}`);
    } else console.log(`\nNote: lab tests will be skipped: ${support.reason}`);
    add(await runStage("e2e", ["--allow-all"], [E2E_DIR]));
  } else console.log(`\n=== e2e: no test files in ${E2E_DIR}, skipped`);

  console.log("");
  for (const f of total.failures) console.log(`FAILED: ${f}`);
  console.log(
    `${total.passed} passed, ${total.failed} failed` +
      (total.skipped > 0 ? `, ${total.skipped} skipped` : ""),
  );
  return total.failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
