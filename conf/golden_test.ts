/**
 * Golden-file tests: every `testdata/NN-name.conf` is parsed and the result compared with
 * `testdata/NN-name.out`, which holds the formatted diagnostics (one per line, file name as the
 * bare `NN-name.conf`) followed, when the file is valid, by the canonical printed configuration.
 * Valid files must also round-trip through the printer.
 *
 * Needs `--allow-read`.
 */

import assert from "node:assert/strict";
import { formatDiagnostic } from "./config.ts";
import { parseConfig } from "./parser.ts";
import { printConfig } from "./printer.ts";
import { stripPositions } from "./testing.ts";

const TESTDATA = new URL("./testdata/", import.meta.url);

/** What a golden `.out` file holds for a configuration text. */
function render(text: string, file: string): string {
  const { config, diagnostics } = parseConfig(text, { file });
  let out = diagnostics.map((d) => formatDiagnostic(d) + "\n").join("");
  if (config !== undefined) out += printConfig(config);
  return out;
}

const cases = [...Deno.readDirSync(TESTDATA)]
  .filter((e) => e.isFile && e.name.endsWith(".conf"))
  .map((e) => e.name)
  .sort();

Deno.test("golden: testdata holds cases", () => {
  assert.ok(cases.length >= 10, `only ${cases.length} cases`);
});

for (const name of cases) {
  const base = name.slice(0, -".conf".length);
  Deno.test(`golden: ${base}`, () => {
    const text = Deno.readTextFileSync(new URL(name, TESTDATA));
    const want = Deno.readTextFileSync(new URL(`${base}.out`, TESTDATA));
    assert.equal(render(text, name), want);

    const { config } = parseConfig(text, { file: name });
    if (config === undefined) return;
    const printed = printConfig(config);
    const again = parseConfig(printed, { file: `${base}.printed` });
    assert.deepEqual(again.diagnostics.map(formatDiagnostic), []);
    assert.ok(again.config !== undefined);
    assert.deepEqual(stripPositions(again.config), stripPositions(config));
    assert.equal(printConfig(again.config), printed);
  });
}
