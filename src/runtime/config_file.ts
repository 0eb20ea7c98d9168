/**
 * Reading the configuration from disk: the main file, and the files it includes, each checked
 * against the include rule before it is read; at the start, and again on each reload.
 *
 * @module
 */

import { type Config, formatDiagnostic } from "../../conf/config.ts";
import { type IncludeFileInfo, includeFileProblem } from "../../conf/include.ts";
import { type IncludedFile, parseConfig, type ParseResult } from "../../conf/parser.ts";
import { type Logger, messageOf } from "../log.ts";

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

/**
 * What {@link loadConfig} returns: the parse and the paths of the files it read (the main file
 * and every included one, as the configuration spells them), or why the main file could not be
 * read.
 */
export type LoadResult = (ParseResult & { files: string[] }) | { error: string };

/** Explains a failed read in a few words (Deno's errors, and errno codes of the OS layer). */
export function describeReadError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (err instanceof Deno.errors.NotFound || code === "ENOENT") return "no such file";
  if (err instanceof Deno.errors.PermissionDenied || code === "EACCES") {
    return "permission denied";
  }
  if (err instanceof Deno.errors.IsADirectory || code === "EISDIR") return "it is a directory";
  if (code === "ENOTDIR") return "a part of the path is not a directory";
  if (code === "ELOOP") return "too many levels of links";
  return messageOf(err);
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
  const files = [file];
  const include = (path: string): IncludedFile => {
    try {
      const problem = includeFileProblem(fs.stat(path), fs.uid());
      if (problem !== undefined) return { error: problem };
      const text = fs.readText(path);
      files.push(path);
      return { text, id: fs.realPath(path) };
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
  return { ...parseConfig(text, { file, macros, include, fileId }), files };
}

/** Options of {@link configReloader}. */
export interface ReloaderOptions {
  /** The main file, as a path that still holds after the start (absolute in a jail). */
  path: string;
  /** The command line's `-D` macros, the same for every reload. */
  macros: Record<string, string>;
  /** Where the files are read: {@link DENO_CONFIG_FS}, or directories kept open for a jail. */
  fs: ConfigFs;
  /** Where the problems of a reload go, as warnings (the running configuration stays). */
  log: Pick<Logger, "warn">;
  /** The user the daemon reads the files as after the start, when it is jailed. */
  jailUser?: string;
}

/**
 * The function a reload (SIGHUP) calls to read the configuration again: the new configuration,
 * or undefined when it cannot be used. Each problem is a warning (`Cannot reload: ...` when the
 * main file cannot be read, the `file:line:col` diagnostics otherwise); in a jail, a
 * "permission denied" also says which user must be able to read the files.
 *
 * @example
 * ```ts
 * const log = { warn: (m: string) => console.error(m) };
 * const readConfig = configReloader({ path: "/etc/m.conf", macros: {}, fs: DENO_CONFIG_FS, log });
 * const next = readConfig(); // undefined when the file cannot be used
 * ```
 */
export function configReloader(opts: ReloaderOptions): () => Config | undefined {
  const { path, macros, fs, log, jailUser } = opts;
  return () => {
    const again = loadConfig(path, macros, fs);
    const problems = "error" in again ? [again.error] : again.diagnostics.map(formatDiagnostic);
    for (const p of problems) log.warn("error" in again ? `Cannot reload: ${p}` : p);
    if (jailUser !== undefined && problems.some((p) => p.endsWith("permission denied"))) {
      log.warn(
        `The configuration is read as user "${jailUser}" after the start: make its files ` +
          "and their directories readable by that user",
      );
    }
    return "error" in again ? undefined : again.config;
  };
}
