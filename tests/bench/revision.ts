/**
 * The daemon of another revision, for before-and-after benchmarks: the tree of a commit copied
 * out of git (`git archive`) into `.cache/bench-revisions/SHA/` of this checkout, once, and run
 * from there by this checkout's lab and Deno. The copy lies inside the checkout, so a run in the
 * test VM finds it too.
 *
 * @module
 */

import { runCommand } from "../lab/apt.ts";
import { pathExists } from "../lab/lab.ts";
import { denoBin } from "../lab/lab.ts";
import { DAEMON_PERMISSIONS } from "../lab/daemon.ts";
import { DAEMON_V8_FLAGS } from "../../scripts/daemon_flags.ts";
import { type Contender, mcastProxyAt } from "./contenders.ts";

const CHECKOUT = decodeURIComponent(new URL("../..", import.meta.url).pathname);
const REVISIONS = `${CHECKOUT}.cache/bench-revisions/`;
/** Written last into a complete copy. */
const COMPLETE = ".complete";

/** A commit's tree, copied out. */
export interface Revision {
  /** The commit. */
  sha: string;
  /** Its short name and subject (cut at 72 characters), for the report. */
  title: string;
  /** Its `main.ts`. */
  main: string;
}

async function git(args: string[]): Promise<string> {
  const r = await runCommand("git", ["-C", CHECKOUT, ...args]);
  if (r.code !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/**
 * The tree of commit `ref` (anything `git rev-parse` takes), copied out once; later calls with
 * the same commit reuse the copy. Throws when `ref` names no commit.
 */
export async function checkoutRevision(ref: string): Promise<Revision> {
  const sha = await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).catch(() => {
    throw new Error(`"${ref}" names no commit`);
  });
  const subject = await git(["log", "-1", "--format=%h %s", sha]);
  const title = subject.length <= 72 ? subject : `${subject.slice(0, 71)}…`;
  const dir = `${REVISIONS}${sha}`;
  if (!await pathExists(`${dir}/${COMPLETE}`)) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dir, { recursive: true });
    const r = await runCommand("sh", [
      "-c",
      `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`,
      "sh",
      CHECKOUT,
      sha,
      dir,
    ]);
    if (r.code !== 0) throw new Error(`Cannot copy out ${sha}: ${r.stderr.trim()}`);
    await Deno.writeTextFile(`${dir}/${COMPLETE}`, `${title}\n`);
  }
  return { sha, title, main: `${dir}/main.ts` };
}

/** The daemon of `rev`, run as the lab runs this checkout's (see `mcastProxyAt`). */
export function revisionContender(name: string, rev: Revision): Contender {
  return mcastProxyAt({
    name,
    version: () => Promise.resolve(`${rev.title} on Deno ${Deno.version.deno}`),
    program: [
      denoBin(),
      "run",
      "--no-check",
      "--no-prompt",
      ...DAEMON_PERMISSIONS,
      DAEMON_V8_FLAGS,
      rev.main,
    ],
  });
}
