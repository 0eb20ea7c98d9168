/**
 * Reading the configuration from disk: the main file, and the files it includes, each checked
 * against the include rule before it is read.
 *
 * @module
 */

import { type IncludeFileInfo, includeFileProblem } from "../../conf/include.ts";
import { type IncludedFile, parseConfig, type ParseResult } from "../../conf/parser.ts";

/** The file system as the loader sees it; {@link DENO_CONFIG_FS} in the daemon. */
export interface ConfigFs {
  /** The file's type, owner and mode; throws `Deno.errors.NotFound` and the like. */
  stat(path: string): IncludeFileInfo;
  /** The file's text; throws like `Deno.readTextFileSync`. */
  readText(path: string): string;
  /** The file's canonical path (links and `.` resolved), for include loops. */
  realPath(path: string): string;
  /** The user id the daemon runs as, or `null` where there is none. */
  uid(): number | null;
}

/** The real file system. */
export const DENO_CONFIG_FS: ConfigFs = {
  stat(path) {
    const st = Deno.statSync(path);
    return { isFile: st.isFile, uid: st.uid, mode: st.mode };
  },
  readText: (path) => Deno.readTextFileSync(path),
  realPath: (path) => Deno.realPathSync(path),
  uid: () => Deno.uid(),
};

/** What {@link loadConfig} returns: the parse, or why the main file could not be read. */
export type LoadResult = ParseResult | { error: string };

/** Explains a failed read in a few words. */
export function describeReadError(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "it is a directory";
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reads and parses the configuration `file` with command-line `macros`. Included files go
 * through the include rule (owner root or the running user, not writable by group or others).
 *
 * @example
 * ```ts
 * const result = loadConfig("/etc/mcast-proxy.conf", {});
 * if ("error" in result) console.error(result.error);
 * ```
 */
export function loadConfig(
  file: string,
  macros: Record<string, string>,
  fs: ConfigFs = DENO_CONFIG_FS,
): LoadResult {
  let text: string;
  try {
    // A FIFO or a device would block the read, or never end.
    if (!fs.stat(file).isFile) {
      return { error: `cannot read configuration "${file}": it is not a regular file` };
    }
    text = fs.readText(file);
  } catch (err) {
    return { error: `cannot read configuration "${file}": ${describeReadError(err)}` };
  }
  const include = (path: string): IncludedFile => {
    try {
      const problem = includeFileProblem(fs.stat(path), fs.uid());
      if (problem !== undefined) return { error: problem };
      return { text: fs.readText(path), id: fs.realPath(path) };
    } catch (err) {
      return { error: describeReadError(err) };
    }
  };
  let fileId = file;
  try {
    fileId = fs.realPath(file);
  } catch {
    // Read above, so it exists; without a canonical path loops are found by name only.
  }
  return parseConfig(text, { file, macros, include, fileId });
}
