/**
 * The single-file build.
 *
 * - With a Deno runtime for compilation (env `DENORT_BIN`, or a reachable download), `deno compile`
 *   makes one executable: `dist/mcast-proxy`.
 * - Otherwise `deno bundle` makes one JavaScript file with a `deno` shebang:
 *   `dist/mcast-proxy.js`, run as `./dist/mcast-proxy.js -d -f FILE` (needs `deno` on PATH).
 *
 * Usage: `deno run --allow-all scripts/build.ts [--bundle-only]`
 *
 * @module
 */

import { DAEMON_V8_FLAGS } from "./daemon_flags.ts";

/**
 * The first line of the bundled script: Deno from PATH, no update check, every permission, the
 * daemon's V8 flags.
 */
export const BUNDLE_SHEBANG =
  `#!/usr/bin/env -S DENO_NO_UPDATE_CHECK=1 deno run --allow-all --no-prompt ${DAEMON_V8_FLAGS}`;

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const DIST = `${ROOT}dist`;
const deno = Deno.env.get("DENO_BIN") || Deno.execPath();

async function run(args: string[], env: Record<string, string> = {}): Promise<boolean> {
  const status = await new Deno.Command(deno, {
    args,
    cwd: ROOT,
    stdin: "null",
    env: { DENO_NO_UPDATE_CHECK: "1", ...env },
  }).spawn().status;
  return status.success;
}

async function compile(): Promise<string | undefined> {
  const out = `${DIST}/mcast-proxy`;
  const ok = await run([
    ...["compile", "--allow-all", "--no-check", DAEMON_V8_FLAGS],
    ...["--output", out, "main.ts"],
  ]);
  return ok ? out : undefined;
}

async function bundle(): Promise<string | undefined> {
  const tmp = `${DIST}/mcast-proxy.bundle.js`;
  if (!await run(["bundle", "--platform", "deno", "--output", tmp, "main.ts"])) return undefined;
  const out = `${DIST}/mcast-proxy.js`;
  const body = await Deno.readTextFile(tmp);
  await Deno.writeTextFile(out, `${BUNDLE_SHEBANG}\n${body}`);
  await Deno.chmod(out, 0o755);
  await Deno.remove(tmp);
  return out;
}

/** What {@link build} made. */
export interface Built {
  /** The file. */
  path: string;
  /** A single executable (`deno compile`), or a script that needs Deno. */
  kind: "executable" | "script";
}

/**
 * Builds the single file: with `DENORT_BIN` set (and `bundleOnly` not), a single executable;
 * otherwise, or when that fails, the bundled script. Resolves to `undefined` on failure.
 */
export async function build(opts: { bundleOnly?: boolean } = {}): Promise<Built | undefined> {
  await Deno.mkdir(DIST, { recursive: true });
  if (!opts.bundleOnly && Deno.env.get("DENORT_BIN")) {
    const out = await compile();
    if (out !== undefined) return { path: out, kind: "executable" };
    console.error("deno compile failed; falling back to a bundled script");
  }
  const out = await bundle();
  return out === undefined ? undefined : { path: out, kind: "script" };
}

async function main(): Promise<number> {
  const built = await build({ bundleOnly: Deno.args.includes("--bundle-only") });
  if (built === undefined) {
    console.error("deno bundle failed");
    return 1;
  }
  console.log(
    built.kind === "executable"
      ? `Built ${built.path} (single executable)`
      : `Built ${built.path} (single script; runs with deno on PATH)`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main());
