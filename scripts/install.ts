/**
 * Installs mcast-proxy: builds the single file (`build.ts`) and puts it in
 * `PREFIX/sbin/mcast-proxy`, with `PREFIX/sbin/mcast-proxyctl` (a relative symbolic link to it:
 * the program runs the control client under that name), the manuals, an example configuration
 * and the service file of the system (a systemd unit on Linux, an rc.d script on OpenBSD); as
 * root and without `--destdir`, it also creates the daemon's user `_mcastproxy` and its jail
 * `/var/empty` when they are missing. The configuration itself (`/etc/mcast-proxy.conf`) is
 * never overwritten.
 *
 * When the build is a script (no Deno runtime for `deno compile` here), the Deno binary that
 * runs it is installed beside it, in `PREFIX/lib/mcast-proxy/deno`, and the script's first line
 * names that binary: the installed program does not depend on a `deno` on PATH.
 *
 * Usage: `deno run --allow-all scripts/install.ts [--prefix DIR] [--destdir DIR] [--no-user]`
 * (`./run install`). `--destdir` stages the files under DIR, as packagers do; the files name
 * their final paths.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_USER } from "../conf/config.ts";
import { build, putLink, scriptShebang } from "./build.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);

/** Where things go, as final paths (DESTDIR not included). */
export interface Layout {
  /** The program. */
  program: string;
  /** The control client: a symbolic link to {@link program}, in the same directory. */
  ctl: string;
  /** The routing mode (mcast-routed(8)): a symbolic link to {@link program}, likewise. */
  routed: string;
  /** mcast-routed.8. */
  routedMan8: string;
  /** The routing mode's example configuration. */
  routedExample: string;
  /** The routing mode's systemd unit (Linux only). */
  routedService: string | undefined;
  /** The Deno binary that runs a script build. */
  deno: string;
  /** mcast-proxy.8. */
  man8: string;
  /** mcast-proxy.conf.5. */
  man5: string;
  /** mcast-proxyctl.8. */
  ctlMan8: string;
  /** The example configuration. */
  example: string;
  /** The service file, and which kind. */
  service: { path: string; kind: "systemd" | "rc.d" };
}

/** The layout for a prefix on an OS. */
export function layout(prefix: string, os: string): Layout {
  const man = `${prefix}/${os === "openbsd" ? "man" : "share/man"}`;
  return {
    program: `${prefix}/sbin/mcast-proxy`,
    ctl: `${prefix}/sbin/mcast-proxyctl`,
    routed: `${prefix}/sbin/mcast-routed`,
    routedMan8: `${man}/man8/mcast-routed.8`,
    routedExample: `${prefix}/share/examples/mcast-proxy/mrouted.conf`,
    routedService: os === "openbsd" ? undefined : "/etc/systemd/system/mcast-routed.service",
    deno: `${prefix}/lib/mcast-proxy/deno`,
    man8: `${man}/man8/mcast-proxy.8`,
    man5: `${man}/man5/mcast-proxy.conf.5`,
    ctlMan8: `${man}/man8/mcast-proxyctl.8`,
    example: `${prefix}/share/examples/mcast-proxy/mcast-proxy.conf`,
    service: os === "openbsd"
      ? { path: "/etc/rc.d/mcast_proxy", kind: "rc.d" }
      : { path: "/etc/systemd/system/mcast-proxy.service", kind: "systemd" },
  };
}

/** The first line of an installed script build: the installed Deno, no update check. */
export function installedShebang(denoPath: string): string {
  return scriptShebang(denoPath);
}

/** The example configuration that is installed. */
const EXAMPLE = `${ROOT}conf/mcast-proxy.conf.example`;

async function put(path: string, data: Uint8Array | string, mode: number): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
  await Deno.chmod(path, mode);
  console.log(`installed ${path}`);
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
  if (!out.success) {
    console.error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return out.success;
}

/** Creates the daemon's user and jail when they are missing (as root, on Linux). */
async function ensureUser(): Promise<boolean> {
  try {
    await Deno.stat("/var/empty");
  } catch {
    await Deno.mkdir("/var/empty", { mode: 0o755 });
    await Deno.chmod("/var/empty", 0o755);
    console.log("created /var/empty (the jail)");
  }
  const passwd = await Deno.readTextFile("/etc/passwd");
  if (passwd.split("\n").some((l) => l.startsWith(`${DEFAULT_USER}:`))) return true;
  const ok = await run("useradd", [
    "--system",
    "--home-dir",
    "/var/empty",
    "--no-create-home",
    "--shell",
    "/usr/sbin/nologin",
    DEFAULT_USER,
  ]);
  if (ok) console.log(`created the user ${DEFAULT_USER}`);
  return ok;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      prefix: { type: "string", default: "/usr/local" },
      destdir: { type: "string", default: "" },
      "no-user": { type: "boolean" },
    },
  });
  const prefix = values.prefix.replace(/\/+$/, "");
  const dest = values.destdir.replace(/\/+$/, "");
  const at = layout(prefix, Deno.build.os);
  const built = await build();
  if (built === undefined) {
    console.error("install: the build failed");
    return 1;
  }
  if (built.kind === "executable") {
    await put(dest + at.program, await Deno.readFile(built.path), 0o755);
  } else {
    const deno = Deno.env.get("DENO_BIN") || Deno.execPath();
    await put(dest + at.deno, await Deno.readFile(deno), 0o755);
    const script = await Deno.readTextFile(built.path);
    const body = script.slice(script.indexOf("\n") + 1);
    await put(dest + at.program, `${installedShebang(at.deno)}\n${body}`, 0o755);
  }
  const ctlTarget = at.program.slice(at.program.lastIndexOf("/") + 1);
  await putLink(dest + at.ctl, ctlTarget);
  console.log(`installed ${dest + at.ctl} -> ${ctlTarget}`);
  await putLink(dest + at.routed, ctlTarget);
  console.log(`installed ${dest + at.routed} -> ${ctlTarget}`);
  await put(dest + at.routedMan8, await Deno.readFile(`${ROOT}man/mcast-routed.8`), 0o644);
  await put(
    dest + at.routedExample,
    await Deno.readFile(`${ROOT}conf/mrouted.conf.example`),
    0o644,
  );
  await put(dest + at.man8, await Deno.readFile(`${ROOT}man/mcast-proxy.8`), 0o644);
  await put(dest + at.man5, await Deno.readFile(`${ROOT}man/mcast-proxy.conf.5`), 0o644);
  await put(dest + at.ctlMan8, await Deno.readFile(`${ROOT}man/mcast-proxyctl.8`), 0o644);
  await put(dest + at.example, await Deno.readFile(EXAMPLE), 0o644);
  const template = await Deno.readTextFile(
    `${ROOT}scripts/service/${
      at.service.kind === "systemd" ? "mcast-proxy.service" : "mcast_proxy.rc"
    }`,
  );
  const service = template.replaceAll("@SBIN@", `${prefix}/sbin`).replaceAll(
    "@PEXP@",
    built.kind === "executable" ? "" : `${at.deno} run .*`,
  );
  await put(dest + at.service.path, service, at.service.kind === "systemd" ? 0o644 : 0o555);
  if (at.routedService !== undefined) {
    const unit = await Deno.readTextFile(`${ROOT}scripts/service/mcast-routed.service`);
    await put(dest + at.routedService, unit.replaceAll("@SBIN@", `${prefix}/sbin`), 0o644);
  }
  if (dest === "" && !values["no-user"] && Deno.uid() === 0 && Deno.build.os === "linux") {
    if (!await ensureUser()) return 1;
  }
  console.log(
    at.service.kind === "systemd"
      ? "next: write /etc/mcast-proxy.conf (see the example), then " +
        "systemctl daemon-reload && systemctl enable --now mcast-proxy"
      : "next: write /etc/mcast-proxy.conf, then rcctl enable mcast_proxy && rcctl start mcast_proxy",
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main());
