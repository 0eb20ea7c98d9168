import { deepStrictEqual, throws } from "node:assert/strict";
import type { Config } from "../../conf/config.ts";
import { type JailLookups, type JailStat, planJail } from "./jail.ts";
import { StartupError } from "./interfaces.ts";

const CONFIG: Config = {
  ipv4: true,
  ipv6: false,
  timers: {},
  scopes: [],
  ssmRanges: [],
  interfaces: [],
};
const EMPTY: JailStat = { isDirectory: true, uid: 0, mode: 0o40755 };

function lookups(
  users: Record<string, { uid: number; gid: number; home: string }>,
  dirs: Record<string, JailStat>,
): JailLookups {
  return {
    account: (name) => users[name],
    stat: (path) => {
      const st = dirs[path];
      if (st === undefined) throw new Deno.errors.NotFound(path);
      return st;
    },
  };
}

const SYSTEM = lookups(
  {
    _mcastproxy: { uid: 990, gid: 990, home: "/var/empty" },
    nobody: { uid: 65534, gid: 65534, home: "/nonexistent" },
    root: { uid: 0, gid: 0, home: "/root" },
  },
  {
    "/var/empty": EMPTY,
    "/srv/jail": EMPTY,
    "/tmp": { isDirectory: true, uid: 0, mode: 0o41777 },
    "/home/x": { isDirectory: true, uid: 1000, mode: 0o40755 },
    "/etc/passwd": { isDirectory: false, uid: 0, mode: 0o100644 },
  },
);

function refused(config: Partial<Config>, message: RegExp): void {
  throws(
    () => planJail({ ...CONFIG, ...config }, SYSTEM),
    (err: unknown) => err instanceof StartupError && message.test(err.message),
  );
}

Deno.test("planJail: the default user in its home, or the configured user and jail", () => {
  deepStrictEqual(planJail(CONFIG, SYSTEM), {
    user: "_mcastproxy",
    uid: 990,
    gid: 990,
    root: "/var/empty",
  });
  deepStrictEqual(planJail({ ...CONFIG, user: "nobody", chroot: "/srv/jail" }, SYSTEM), {
    user: "nobody",
    uid: 65534,
    gid: 65534,
    root: "/srv/jail",
  });
});

Deno.test("planJail: a missing user, root, and unsafe jails are startup errors that say what to do", () => {
  refused(
    { user: "_nosuch" },
    /^User "_nosuch" does not exist: create it with "useradd --system --home-dir \/var\/empty --no-create-home --shell \/usr\/sbin\/nologin _nosuch"/,
  );
  refused({ user: "root" }, /^User "root" is root: name an unprivileged user/);
  refused(
    { user: "nobody" },
    /^Cannot use "\/nonexistent" as the jail: it does not exist: create it with "mkdir -m 755 \/nonexistent"$/,
  );
  refused({ chroot: "/etc/passwd" }, /as the jail: it is not a directory$/);
  refused({ chroot: "/home/x" }, /as the jail: it is owned by uid 1000, not root$/);
  refused(
    { chroot: "/tmp" },
    /^Cannot use "\/tmp" as the jail: it is writable by group or others \(mode 1777\): run "chmod go-w \/tmp"$/,
  );
});
