/**
 * The single-file build.
 *
 * - With a Deno runtime for compilation (env `DENORT_BIN`, or a reachable download), `deno compile`
 *   makes one executable: `dist/mcast-proxy`.
 * - Otherwise `deno bundle` makes one JavaScript file whose first line runs it with the Deno that
 *   built it (env `DENO_BIN`, else this process's): `dist/mcast-proxy.js`, run as
 *   `./dist/mcast-proxy.js -d -f FILE`. `./run install` installs that Deno beside it.
 *
 * Either way `dist/mcast-proxyctl` is a symbolic link to it: the program runs the control client
 * under that name (`./dist/mcast-proxyctl show interfaces`).
 *
 * Usage: `deno run --allow-all scripts/build.ts [--bundle-only]`
 *
 * @module
 */

import { DAEMON_V8_FLAGS } from "./daemon_flags.ts";

/**
 * The first line of a bundled script run by the Deno at `denoPath`: no update check, every
 * permission, the daemon's V8 flags.
 */
export function scriptShebang(denoPath: string): string {
  return `#!/usr/bin/env -S DENO_NO_UPDATE_CHECK=1 ${denoPath} run --allow-all --no-prompt ${DAEMON_V8_FLAGS}`;
}

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const DIST = `${ROOT}dist`;
const deno = Deno.env.get("DENO_BIN") || Deno.execPath();

/** Runs Deno with its output kept aside, shown only when it fails. */
async function run(args: string[], env: Record<string, string> = {}): Promise<boolean> {
  const out = await new Deno.Command(deno, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...env },
  }).output();
  if (!out.success) {
    const text = new TextDecoder();
    console.error(`deno ${args[0]} failed:\n${text.decode(out.stdout)}${text.decode(out.stderr)}`);
  }
  return out.success;
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
  const tmp = await Deno.makeTempDir({ prefix: "mcast-proxy-bundle-" });
  try {
    const bundled = `${tmp}/mcast-proxy.bundle.js`;
    if (!await run(["bundle", "--platform", "deno", "--output", bundled, "main.ts"])) {
      return undefined;
    }
    const out = `${DIST}/mcast-proxy.js`;
    const body = await Deno.readTextFile(bundled);
    await Deno.writeTextFile(out, `${scriptShebang(deno)}\n${body}`);
    await Deno.chmod(out, 0o755);
    return out;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** What {@link build} made. */
export interface Built {
  /** The file. */
  path: string;
  /** The link to it that runs the control client. */
  ctl: string;
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
    if (out !== undefined) return { path: out, ctl: await linkCtl(out), kind: "executable" };
    console.error("deno compile failed; falling back to a bundled script");
  }
  const out = await bundle();
  return out === undefined ? undefined : { path: out, ctl: await linkCtl(out), kind: "script" };
}

/** Makes `dist/mcast-proxyctl` a relative link to the program at `program`; its path. */
async function linkCtl(program: string): Promise<string> {
  const link = `${DIST}/mcast-proxyctl`;
  await putLink(link, program.slice(program.lastIndexOf("/") + 1));
  return link;
}

/**
 * Makes `path` a symbolic link to `target` (relative to the link's directory), replacing the
 * link or file an earlier build or install left there.
 */
export async function putLink(path: string, target: string): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.symlink(target, path);
}

async function main(): Promise<number> {
  const built = await build({ bundleOnly: Deno.args.includes("--bundle-only") });
  if (built === undefined) {
    console.error("deno bundle failed");
    return 1;
  }
  console.log(
    built.kind === "executable"
      ? `Built ${built.path} (single executable) and ${built.ctl}`
      : `Built ${built.path} (single script, run by ${deno}) and ${built.ctl}`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main());
