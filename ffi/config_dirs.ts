/**
 * Reading the configuration again from inside the jail: before the chroot, the daemon keeps a
 * handle (O_PATH) on each directory its configuration files were read from; a reload opens the
 * files by name relative to those handles, as the unprivileged user. Nothing else of the file
 * system is reachable: an O_PATH handle cannot list its directory, only look names up in it,
 * and every lookup is checked against the user's permissions.
 *
 * @module
 */

import type { IncludeFileInfo } from "../conf/include.ts";
import type { ConfigFs } from "../src/runtime/config_file.ts";
import { checkCall } from "./errno.ts";
import type { Libc } from "./libc.ts";
import {
  O_CLOEXEC,
  O_DIRECTORY,
  O_NOCTTY,
  O_NONBLOCK,
  O_PATH,
  O_RDONLY,
  S_IFMT,
  S_IFREG,
  STATX,
  STATX_BASIC_STATS,
  STATX_SIZE,
} from "./linux_constants.ts";

function cString(s: string): Uint8Array {
  return new TextEncoder().encode(s + "\0");
}

/**
 * `path` made absolute against `cwd`, with `.`, `..` and repeated slashes resolved by name (not
 * through links).
 *
 * @example
 * ```ts
 * normalizePath("../etc//x.conf", "/root"); // "/etc/x.conf"
 * ```
 */
export function normalizePath(path: string, cwd = "/"): string {
  const parts: string[] = [];
  for (const part of (path.startsWith("/") ? path : `${cwd}/${path}`).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** The directory part of an absolute, normalized path (`/` for `/x`). */
export function directoryOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

/** A file system of a few kept directories, for {@link loadConfig} after the jail. */
export class ConfigDirectories implements ConfigFs {
  readonly #libc: Libc;
  /** Kept directory → its O_PATH descriptor. */
  readonly #dirs = new Map<string, number>();

  /** Keeps nothing yet; {@link keep} the directories while they can be reached. */
  constructor(libc: Libc) {
    this.#libc = libc;
  }

  /** The kept directories, in the order they were kept. */
  get directories(): string[] {
    return [...this.#dirs.keys()];
  }

  /**
   * Keeps a handle on directory `dir` (absolute, normalized); a second call for the same one
   * does nothing. Throws `SysError` (open).
   */
  keep(dir: string): void {
    if (this.#dirs.has(dir)) return;
    const flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    const fd = checkCall(this.#libc, this.#libc.symbols.open(cString(dir), flags), {
      call: "open",
      op: dir,
    });
    this.#dirs.set(dir, fd);
  }

  /** The kept directory holding `path` (the deepest one) and the name below it. */
  #locate(path: string): { fd: number; name: string } {
    const abs = normalizePath(path);
    let best: string | undefined;
    for (const dir of this.#dirs.keys()) {
      const prefix = dir === "/" ? "/" : dir + "/";
      if (abs.startsWith(prefix) && (best === undefined || dir.length > best.length)) best = dir;
    }
    if (best === undefined) {
      throw new Error(
        `it is outside the directories the daemon kept when it started (${
          this.directories.map((d) => `"${d}"`).join(", ")
        }): restart the daemon to read it`,
      );
    }
    return { fd: this.#dirs.get(best)!, name: abs.slice(best === "/" ? 1 : best.length + 1) };
  }

  /** The file's type, owner and mode (statx(2), links followed). Throws `SysError`. */
  stat(path: string): IncludeFileInfo {
    const { fd, name } = this.#locate(path);
    const buf = new Uint8Array(STATX_SIZE);
    const r = this.#libc.symbols.statx(fd, cString(name), 0, STATX_BASIC_STATS, buf);
    checkCall(this.#libc, r, { call: "statx", op: path });
    const view = new DataView(buf.buffer);
    const mode = view.getUint16(STATX.stx_mode, true);
    const uid = view.getUint32(STATX.stx_uid, true);
    return { isFile: (mode & S_IFMT) === S_IFREG, uid, mode };
  }

  /** The file's text (UTF-8). Throws `SysError` (openat, read). */
  readText(path: string): string {
    const { fd: dirfd, name } = this.#locate(path);
    const s = this.#libc.symbols;
    const flags = O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
    const fd = checkCall(this.#libc, s.openat(dirfd, cString(name), flags), {
      call: "openat",
      op: path,
    });
    try {
      const chunks: Uint8Array[] = [];
      let total = 0;
      for (;;) {
        const chunk = new Uint8Array(65536);
        const n = checkCall(this.#libc, s.read(fd, chunk, BigInt(chunk.length)), {
          call: "read",
          op: path,
        });
        if (n === 0) break;
        chunks.push(chunk.subarray(0, n));
        total += n;
      }
      const all = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      return new TextDecoder().decode(all);
    } finally {
      s.close(fd);
    }
  }

  /** The path with `.` and `..` resolved by name: links cannot be resolved from the jail. */
  realPath(path: string): string {
    return normalizePath(path);
  }

  /** The effective user id. */
  uid(): number {
    return this.#libc.symbols.geteuid();
  }

  /** Closes the kept handles. */
  close(): void {
    for (const fd of this.#dirs.values()) this.#libc.symbols.close(fd);
    this.#dirs.clear();
  }
}
