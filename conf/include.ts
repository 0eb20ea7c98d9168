/**
 * The rule for files read by `include`, as on OpenBSD: an included file must belong to root or
 * to the user the daemon runs as, and must not be writable by its group or by others, so that
 * nobody else can change what the daemon runs with.
 *
 * @module
 */

/** What the rule needs to know of a file (as `stat` reports it; `null` where unknown). */
export interface IncludeFileInfo {
  /** Whether it is a regular file. */
  isFile: boolean;
  /** Owner's user id. */
  uid: number | null;
  /** Permission bits (`st_mode`). */
  mode: number | null;
}

/** Group-write and other-write permission bits. */
export const S_IWGRP = 0o020;
/** Write permission for others. */
export const S_IWOTH = 0o002;

/**
 * Why an included file must be refused, or `undefined` when it may be read. Where the system
 * does not report owner or mode (`null`), that part of the rule cannot be applied.
 *
 * @example
 * ```ts
 * includeFileProblem({ isFile: true, uid: 0, mode: 0o100664 }, 0);
 * // "it is writable by its group or by others (mode 0664): run chmod go-w on it"
 * ```
 */
export function includeFileProblem(
  info: IncludeFileInfo,
  runningUid: number | null,
): string | undefined {
  if (!info.isFile) return "it is not a regular file";
  if (info.uid !== null && info.uid !== 0 && info.uid !== runningUid) {
    const running = runningUid === null ? "" : ` (uid ${runningUid})`;
    return `it is owned by uid ${info.uid}, not by root or the user running mcast-proxy${running}`;
  }
  if (info.mode !== null && (info.mode & (S_IWGRP | S_IWOTH)) !== 0) {
    const perm = (info.mode & 0o7777).toString(8).padStart(4, "0");
    return `it is writable by its group or by others (mode ${perm}): run chmod go-w on it`;
  }
  return undefined;
}
