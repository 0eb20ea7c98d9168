/**
 * Golden-file tests: every `testdata/NN-name.conf` is loaded and the result compared with
 * `testdata/NN-name.out`, which holds the formatted diagnostics (one per line, file names as
 * the bare `NN-name.conf` and, for included files, relative to testdata) followed, when the
 * file is valid, by the canonical printed configuration. Valid files must also round-trip
 * through the printer.
 *
 * Conventions of the `.conf` files:
 * - A first line `# -D name=value ...` passes those command-line macros.
 * - Included files end in `.inc` (so they are not cases themselves). The include rule sees
 *   the real files, except that a name containing `group-writable` is reported with mode 0664
 *   and one containing `foreign-owner` as owned by uid 4242 (git cannot store either); the
 *   owner of testdata stands for the user running the daemon.
 *
 * Needs `--allow-read`. With `--allow-write --allow-env` and `UPDATE_GOLDEN=1`, the `.out` files
 * are rewritten from the current output instead (read the diff before committing it).
 */

import assert from "node:assert/strict";
import { formatDiagnostic } from "./config.ts";
import { parseConfig } from "./parser.ts";
import { printConfig } from "./printer.ts";
import { stripPositions } from "./testing.ts";
import { type ConfigFs, loadConfig } from "../src/runtime/config_file.ts";

const TESTDATA = new URL("./testdata/", import.meta.url);

/** The real files of testdata, with the owner and mode overrides described above. */
const TESTDATA_FS: ConfigFs = {
  stat(path) {
    const st = Deno.statSync(new URL(path, TESTDATA));
    let mode = st.mode;
    let uid = st.uid;
    if (path.includes("group-writable") && mode !== null) mode |= 0o020;
    if (path.includes("foreign-owner")) uid = 4242;
    return { isFile: st.isFile, uid, mode };
  },
  readText: (path) => Deno.readTextFileSync(new URL(path, TESTDATA)),
  // Relative to testdata, as the paths the parser sees.
  realPath: (path) =>
    Deno.realPathSync(new URL(path, TESTDATA)).slice(Deno.realPathSync(TESTDATA).length + 1),
  // The user who owns the checkout stands for the user running the daemon.
  uid: () => Deno.statSync(TESTDATA).uid,
};

/** Command-line macros from a first line `# -D a=1 b=2`. */
function macrosOf(text: string): Record<string, string> {
  const m = /^# -D (.*)\n/.exec(text);
  if (m === null) return {};
  return Object.fromEntries(
    m[1].split(/\s+/).map((d) => {
      const eq = d.indexOf("=");
      return [d.slice(0, eq), d.slice(eq + 1)];
    }),
  );
}

/** What a golden `.out` file holds for the result of loading a case. */
function render(result: ReturnType<typeof loadConfig>): string {
  if ("error" in result) return result.error + "\n";
  let out = result.diagnostics.map((d) => formatDiagnostic(d) + "\n").join("");
  if (result.config !== undefined) out += printConfig(result.config);
  return out;
}

const UPDATE = Deno.permissions.querySync({ name: "env", variable: "UPDATE_GOLDEN" }).state ===
    "granted" && Deno.env.get("UPDATE_GOLDEN") === "1";

const cases = [...Deno.readDirSync(TESTDATA)]
  .filter((e) => e.isFile && e.name.endsWith(".conf"))
  .map((e) => e.name)
  .sort();

Deno.test("golden: testdata holds cases", () => {
  assert.ok(cases.length >= 20, `only ${cases.length} cases`);
});

for (const name of cases) {
  const base = name.slice(0, -".conf".length);
  Deno.test(`golden: ${base}`, () => {
    const text = Deno.readTextFileSync(new URL(name, TESTDATA));
    const want = Deno.readTextFileSync(new URL(`${base}.out`, TESTDATA));
    const result = loadConfig(name, macrosOf(text), TESTDATA_FS);
    if (UPDATE) Deno.writeTextFileSync(new URL(`${base}.out`, TESTDATA), render(result));
    else assert.equal(render(result), want);

    if ("error" in result || result.config === undefined) return;
    const { config } = result;
    const printed = printConfig(config);
    const again = parseConfig(printed, { file: `${base}.printed` });
    const errors = again.diagnostics.filter((d) => d.severity === "error");
    assert.deepEqual(errors.map(formatDiagnostic), []);
    assert.ok(again.config !== undefined);
    assert.deepEqual(stripPositions(again.config), stripPositions(config));
    assert.equal(printConfig(again.config), printed);
  });
}
