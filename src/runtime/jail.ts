/**
 * Where and as whom the daemon runs once its sockets are open: the user named by `user` (default
 * `_mcastproxy`) and the jail named by `chroot` (default the user's home directory), both checked
 * before anything touches the kernel, so that a missing user or an unsafe jail is a clear startup
 * error rather than a daemon left running as root.
 *
 * @module
 */

import { type Config, DEFAULT_USER } from "../../conf/config.ts";
import { messageOf } from "../log.ts";
import { StartupError } from "./interfaces.ts";

/** A user of the password database, as the OS layer looks it up. */
export interface JailAccount {
  /** User id. */
  uid: number;
  /** Primary group id. */
  gid: number;
  /** Home directory. */
  home: string;
}

/** What the daemon becomes after start. */
export interface JailPlan {
  /** The user's name. */
  user: string;
  /** Its uid. */
  uid: number;
  /** Its gid. */
  gid: number;
  /** The directory to chroot into. */
  root: string;
}

/** What the jail check needs to know of a path (`Deno.statSync` gives it). */
export interface JailStat {
  /** Whether it is a directory. */
  isDirectory: boolean;
  /** Owner uid. */
  uid: number | null;
  /** Permission bits. */
  mode: number | null;
}

/** How to look users and directories up; the real ones in `main.ts`, fakes in tests. */
export interface JailLookups {
  /** getpwnam(3): `undefined` for no such user. */
  account(name: string): JailAccount | undefined;
  /** stat(2) of a path; throws `Deno.errors.NotFound` when it does not exist. */
  stat(path: string): JailStat;
}

/**
 * The user and jail the configuration asks for, checked: the user exists and is not root; the
 * jail is an absolute directory owned by root and writable by nobody else (a jail its user could
 * write to could be filled with files that outlive the daemon). Throws {@link StartupError} with
 * what to do.
 */
export function planJail(config: Config, lookups: JailLookups): JailPlan {
  const user = config.user ?? DEFAULT_USER;
  const account = lookups.account(user);
  if (account === undefined) {
    throw new StartupError(
      `User "${user}" does not exist: create it with "useradd --system --home-dir /var/empty ` +
        `--no-create-home --shell /usr/sbin/nologin ${user}" (and "mkdir -m 755 /var/empty"), ` +
        'or name another one with "user NAME" in the configuration',
    );
  }
  if (account.uid === 0) {
    throw new StartupError(
      `User "${user}" is root: name an unprivileged user with "user NAME" in the configuration`,
    );
  }
  const root = config.chroot ?? account.home;
  const jail = (problem: string) =>
    new StartupError(`Cannot use "${root}" as the jail: ${problem}`);
  if (!root.startsWith("/")) {
    throw jail(
      `it is not an absolute path (the home directory of "${user}"): set one with "chroot DIR"`,
    );
  }
  let st: JailStat;
  try {
    st = lookups.stat(root);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw jail(`it does not exist: create it with "mkdir -m 755 ${root}"`);
    }
    throw jail(messageOf(err));
  }
  if (!st.isDirectory) throw jail("it is not a directory");
  if (st.uid !== null && st.uid !== 0) throw jail(`it is owned by uid ${st.uid}, not root`);
  if (st.mode !== null && (st.mode & 0o022) !== 0) {
    throw jail(
      `it is writable by group or others (mode ${
        (st.mode & 0o7777).toString(8).padStart(4, "0")
      }): run "chmod go-w ${root}"`,
    );
  }
  return { user, uid: account.uid, gid: account.gid, root };
}
