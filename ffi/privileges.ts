/**
 * Giving up root once the sockets are open, the OpenBSD way: look the unprivileged user up while
 * the password database can still be read, then chroot into the jail, chdir to its root, and set
 * the groups, gids and uids (real, effective and saved) to the user's. glibc applies each
 * set*id call to every thread of the process, so the runtime's own threads lose root too.
 *
 * @module
 */

import { checkCall } from "./errno.ts";
import type { Libc } from "./libc.ts";

/** An account of the password database. */
export interface Account {
  /** The user name. */
  name: string;
  /** The user id. */
  uid: number;
  /** The primary group id. */
  gid: number;
  /** The home directory (the default jail). */
  home: string;
}

/** `struct passwd` offsets (`<pwd.h>`, LP64): the name, uid (u32), gid (u32), home directory. */
export const PASSWD = Object.freeze({ pw_name: 0, pw_uid: 16, pw_gid: 20, pw_dir: 32 });

function cString(s: string): Uint8Array {
  return new TextEncoder().encode(s + "\0");
}

/** Looks a user up with getpwnam(3); `undefined` when there is no such user. */
export function lookupAccount(libc: Libc, name: string): Account | undefined {
  const p = libc.symbols.getpwnam(cString(name));
  if (p === null) return undefined;
  const v = new Deno.UnsafePointerView(p);
  const dir = v.getPointer(PASSWD.pw_dir);
  return {
    name,
    uid: v.getUint32(PASSWD.pw_uid),
    gid: v.getUint32(PASSWD.pw_gid),
    home: dir === null ? "" : Deno.UnsafePointerView.getCString(dir),
  };
}

/** The effective user id (geteuid(2)). */
export function effectiveUid(libc: Libc): number {
  return libc.symbols.geteuid();
}

/** Real, effective and saved ids as getresuid(2) / getresgid(2) tell them. */
export function currentIds(libc: Libc): { uids: number[]; gids: number[] } {
  const read = (call: "getresuid" | "getresgid") => {
    const ids = [new Uint32Array(1), new Uint32Array(1), new Uint32Array(1)];
    const [a, b, c] = ids.map((x) => new Uint8Array(x.buffer));
    checkCall(libc, libc.symbols[call](a, b, c), { call });
    return ids.map((x) => x[0]);
  };
  return { uids: read("getresuid"), gids: read("getresgid") };
}

/**
 * chroot(2) into `root`, chdir(2) to its `/`, then setgroups(2) to the user's group alone,
 * setresgid(2) and setresuid(2) to the user's ids; then checks that every id changed. Needs
 * root. Throws `SysError` naming the call that failed.
 */
export function dropPrivileges(libc: Libc, opts: { uid: number; gid: number; root: string }): void {
  const s = libc.symbols;
  checkCall(libc, s.chroot(cString(opts.root)), { call: "chroot", op: opts.root });
  checkCall(libc, s.chdir(cString("/")), { call: "chdir", op: "/" });
  const groups = new Uint8Array(new Uint32Array([opts.gid]).buffer);
  checkCall(libc, s.setgroups(1n, groups), { call: "setgroups" });
  checkCall(libc, s.setresgid(opts.gid, opts.gid, opts.gid), { call: "setresgid" });
  checkCall(libc, s.setresuid(opts.uid, opts.uid, opts.uid), { call: "setresuid" });
  const { uids, gids } = currentIds(libc);
  if (!uids.every((u) => u === opts.uid) || !gids.every((g) => g === opts.gid)) {
    throw new Error(`Ids after the drop are uids ${uids.join(",")}, gids ${gids.join(",")}`);
  }
}
