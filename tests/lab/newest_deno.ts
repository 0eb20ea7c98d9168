/**
 * The newest Deno on npm, next to the pinned one (`tools/package.json`): the security tests run
 * the daemon with both, since a newer runtime may bring new defaults (as 2.9.2 brought a
 * debugger on SIGUSR1). Fetched with npm into `.cache/deno-newest/` (ignored by git); the test
 * VM, which has no network, finds it there because the host fetched it first.
 *
 * @module
 */

import { runCommand } from "./apt.ts";
import { denoBin } from "./lab.ts";

/** Where Deno versions from npm are installed (one folder each), and the note `newest.json`. */
export const NEWEST_DENO_DIR = decodeURIComponent(
  new URL("../../.cache/deno-newest", import.meta.url).pathname,
);
const NOTE = `${NEWEST_DENO_DIR}/newest.json`;
const PINNED_PACKAGE = new URL("../../tools/package.json", import.meta.url);

/** A Deno to run the daemon with. */
export interface DenoRuntime {
  /** Its version, e.g. `2.9.6`. */
  version: string;
  /** The executable. */
  bin: string;
  /** True when it is the pinned one (the newest on npm is the pinned version). */
  pinned: boolean;
}

/** The pinned Deno's version, from tools/package.json. */
export async function pinnedDenoVersion(): Promise<string> {
  const pkg = JSON.parse(await Deno.readTextFile(PINNED_PACKAGE));
  return String(pkg.dependencies.deno);
}

const NPM_ENV = { npm_config_update_notifier: "false", npm_config_fund: "false" };

/** The executable an npm install of `deno` leaves under `dir`, or undefined. */
async function installedDeno(dir: string): Promise<string | undefined> {
  const platform = Deno.build.arch === "aarch64" ? "linux-arm64-glibc" : "linux-x64-glibc";
  for (
    const bin of [`${dir}/node_modules/@deno/${platform}/deno`, `${dir}/node_modules/deno/deno`]
  ) {
    try {
      if ((await Deno.stat(bin)).isFile) return bin;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * Installs `deno@version` from npm into {@link NEWEST_DENO_DIR} (once) and returns its
 * executable. Throws with npm's reason.
 */
export async function installDeno(
  version: string,
  log: (message: string) => void,
): Promise<string> {
  const dir = `${NEWEST_DENO_DIR}/${version}`;
  const have = await installedDeno(dir);
  if (have !== undefined) return have;
  log(`installing deno ${version} from npm into ${dir}`);
  await Deno.mkdir(dir, { recursive: true });
  const r = await runCommand(
    "npm",
    ["install", "--no-save", "--no-audit", "--prefix", dir, `deno@${version}`],
    { env: NPM_ENV },
  );
  const bin = await installedDeno(dir);
  if (r.code !== 0 || bin === undefined) {
    throw new Error(`Cannot install deno ${version}: ${r.stderr.trim() || "no executable"}`);
  }
  return bin;
}

/**
 * Asks npm for the newest `deno` and installs it unless it is the pinned version. Needs the npm
 * registry; throws with npm's reason.
 */
export async function fetchNewestDeno(log: (message: string) => void): Promise<DenoRuntime> {
  const view = await runCommand("npm", ["view", "deno", "version"], { env: NPM_ENV });
  const version = view.stdout.trim();
  if (view.code !== 0 || !/^\d+\.\d+\.\d+/.test(version)) {
    throw new Error(`Cannot ask npm for the newest deno: ${view.stderr.trim() || version}`);
  }
  const pinned = version === await pinnedDenoVersion();
  const bin = pinned ? denoBin() : await installDeno(version, log);
  const runtime = { version, bin, pinned };
  await Deno.mkdir(NEWEST_DENO_DIR, { recursive: true });
  await Deno.writeTextFile(NOTE, JSON.stringify(runtime) + "\n");
  return runtime;
}

/** What {@link fetchNewestDeno} last wrote, or undefined. */
async function newestDenoNote(): Promise<DenoRuntime | undefined> {
  try {
    const note = JSON.parse(await Deno.readTextFile(NOTE)) as DenoRuntime;
    await Deno.stat(note.bin);
    return note;
  } catch {
    return undefined;
  }
}

/**
 * The newest Deno: as fetched before when the note is there (the VM's case), else fetched now.
 */
export async function newestDeno(log: (message: string) => void): Promise<DenoRuntime> {
  return await newestDenoNote() ?? await fetchNewestDeno(log);
}
