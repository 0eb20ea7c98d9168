import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { countJunit, parseArgs } from "./run_all.ts";

// Shape of `deno test --junit-path` output (Deno 2.9): steps are testcases named
// "parent > step" next to their parent; ignored tests carry <skipped/>.
const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="6" failures="2" errors="0" time="0.012">
    <testsuite name="./a_test.ts" tests="6" disabled="1" errors="0" failures="2">
        <testcase name="ok" classname="./a_test.ts" time="0.001" line="1" col="6">
        </testcase>
        <testcase name="bad &lt;x&gt;" classname="./a_test.ts" time="0.001" line="2" col="6">
            <failure message="Uncaught Error: boom">Error: boom</failure>
        </testcase>
        <testcase name="ign" classname="./a_test.ts" time="0.000" line="3" col="6">
            <skipped/>
        </testcase>
        <testcase name="steps" classname="./a_test.ts" time="0.002" line="4" col="6">
            <failure message="1 test step failed">1 test step failed.</failure>
        </testcase>
        <testcase name="steps &gt; s1" classname="./a_test.ts" time="0.000" line="4" col="43">
        </testcase>
        <testcase name="steps &gt; s2" classname="./a_test.ts" time="0.000" line="4" col="73">
            <failure message="Uncaught Error: s2">Error: s2</failure>
        </testcase>
        <testcase name="a &gt; b" classname="./a_test.ts" time="0.000" line="9" col="6"/>
    </testsuite>
</testsuites>
`;

Deno.test("countJunit counts tests, not steps, with failures and skipped", () => {
  deepStrictEqual(countJunit(REPORT), {
    passed: 2,
    failed: 2,
    skipped: 1,
    failures: ["./a_test.ts > bad <x>", "./a_test.ts > steps"],
  });
});

Deno.test("countJunit counts nothing in an empty or missing report", () => {
  deepStrictEqual(countJunit(""), { passed: 0, failed: 0, skipped: 0, failures: [] });
});

Deno.test("parseArgs: stages in the suite's order, every stage by default, --kernel", () => {
  deepStrictEqual(parseArgs(["unit"], "vm"), { stages: ["unit"], force: "vm" });
  deepStrictEqual(parseArgs([], undefined), { stages: ["check", "unit", "e2e"], force: undefined });
  deepStrictEqual(parseArgs(["e2e", "unit", "--kernel", "vm"], "host"), {
    stages: ["unit", "e2e"],
    force: "vm",
  });
  throws(() => parseArgs(["lint"], undefined), {
    message: 'Unknown stage "lint" (stages: check, unit, e2e)',
  });
});

Deno.test("the deno.json tasks run the suite's stages through the suite runner", async () => {
  const { tasks } = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  ) as { tasks: Record<string, string> };
  equal(tasks["test"], "deno run --allow-all tests/run_all.ts");
  equal(tasks["test:unit"], "deno run --allow-all tests/run_all.ts unit");
  equal(tasks["test:e2e"], "deno run --allow-all tests/run_all.ts e2e");
  equal(tasks["check"], "deno run --allow-all tests/run_all.ts check");
});
