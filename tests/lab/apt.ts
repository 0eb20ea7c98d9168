/**
 * Debian packages for the lab, the test VM and the benchmarks: install quietly, download into a
 * cache, ask what a package depends on. apt's and dpkg's progress never reaches our output; a
 * failure throws with the command and the end of what it printed.
 *
 * @module
 */

import { messageOf } from "../../src/log.ts";

/** What a command printed and how it ended. */
export interface CommandResult {
  /** Exit code; 127 when the command could not be started. */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8 (the reason, when the command could not be started). */
  stderr: string;
}

const decoder = new TextDecoder();
const APT_ENV = { DEBIAN_FRONTEND: "noninteractive", LC_ALL: "C" };

/**
 * Runs a command to its end with its output captured and no stdin. A command that cannot be
 * started is a result with code 127, not a throw.
 */
export async function runCommand(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CommandResult> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(opts.env !== undefined ? { env: opts.env } : {}),
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    }).output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (e) {
    return { code: 127, stdout: "", stderr: messageOf(e) };
  }
}

/** The last lines of a command's output, for an error message. */
function tail(r: CommandResult, lines = 5): string {
  const text = `${r.stdout}\n${r.stderr}`.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return text.slice(-lines).join(" / ");
}

/** Runs an apt command; when it fails, refreshes the package lists once and runs it again. */
async function aptWithUpdate(cmd: string, args: string[], cwd?: string): Promise<CommandResult> {
  const opts = { env: APT_ENV, ...(cwd !== undefined ? { cwd } : {}) };
  const r = await runCommand(cmd, args, opts);
  if (r.code === 0) return r;
  const update = await runCommand("apt-get", ["update", "-qq"], { env: APT_ENV });
  if (update.code !== 0) {
    throw new Error(
      `"${cmd} ${args.join(" ")}" failed (${tail(r)}), and so did "apt-get update": ${
        tail(update)
      }`,
    );
  }
  const again = await runCommand(cmd, args, opts);
  if (again.code !== 0) {
    throw new Error(`"${cmd} ${args.join(" ")}" exited ${again.code}: ${tail(again)}`);
  }
  return again;
}

/**
 * Installs Debian packages without recommends and without a word on our output (the package
 * lists are refreshed only if the install fails). Needs root.
 */
export async function aptInstall(packages: readonly string[]): Promise<void> {
  if (packages.length === 0) return;
  await aptWithUpdate("apt-get", [
    "install",
    "-y",
    "-qq",
    "--no-install-recommends",
    "-o",
    "Dpkg::Use-Pty=0",
    ...packages,
  ]);
}

/**
 * Downloads a package's `.deb` into `dir` (`apt-get download`, as root: the warning that the
 * download ran unsandboxed is expected) and returns its path.
 */
export async function aptDownload(pkg: string, dir: string): Promise<string> {
  await aptWithUpdate("apt-get", ["download", "-qq", pkg], dir);
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.startsWith(`${pkg}_`) && e.name.endsWith(".deb")) {
      return `${dir}/${e.name}`;
    }
  }
  throw new Error(`"apt-get download ${pkg}" left no ${pkg}_*.deb in ${dir}`);
}

/**
 * The first package that `pkg` depends on whose name matches `pattern`, from the package lists
 * (`apt-cache depends`, after `apt-get update` if the lists do not know it): e.g. the versioned
 * kernel behind `linux-image-amd64`. Undefined when apt knows no such package or dependency.
 */
export async function aptDependency(pkg: string, pattern: RegExp): Promise<string | undefined> {
  const lookUp = async () => {
    const r = await runCommand("apt-cache", ["depends", pkg], { env: APT_ENV });
    if (r.code !== 0) return undefined;
    for (const line of r.stdout.split("\n")) {
      const m = /^\s*Depends:\s*(\S+)/.exec(line);
      if (m !== null && pattern.test(m[1])) return m[1];
    }
    return undefined;
  };
  const found = await lookUp();
  if (found !== undefined) return found;
  const update = await runCommand("apt-get", ["update", "-qq"], { env: APT_ENV });
  return update.code === 0 ? await lookUp() : undefined;
}
