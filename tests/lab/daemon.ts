/**
 * Starts the real mcast-proxy daemon inside a lab's proxy namespace and follows its log.
 *
 * @module
 */

import { denoBin, type Lab, type LabShell } from "./lab.ts";
import { followLog, stopProcess } from "./log_follower.ts";
import { DAEMON_V8_FLAGS } from "../../scripts/daemon_flags.ts";
import { scaledWait } from "./wait_scale.ts";

/**
 * How long {@link DaemonProcess.waitForLine} waits by default: long enough for a start (a Deno
 * process takes seconds under emulation); a test that times a protocol step passes its own.
 * Either is scaled by {@link scaledWait}.
 */
const WAIT_FOR_LINE_MS = 10_000;

/** The daemon's entry point in this checkout. */
export const MAIN_TS = new URL("../../main.ts", import.meta.url).pathname;

/** The permissions the daemon runs with: FFI already grants everything, and reading /proc/PID needs --allow-all. */
export const DAEMON_PERMISSIONS = ["--allow-all"];

/** The command line of this checkout's mcast-proxyctl (`main.ts ctl`) on a control socket. */
export function ctlArgv(socket: string, args: readonly string[]): string[] {
  return [denoBin(), "run", "--no-check", "--allow-all", MAIN_TS, "ctl", "-s", socket, ...args];
}

/** The lab's standard configuration: `up0` upstream, every `dnN` downstream. */
export function labConfig(lab: Lab, extra = ""): string {
  const lines = [`interface ${lab.ifaces.upstream} { upstream }`];
  for (const dn of lab.ifaces.downstream) lines.push(`interface ${dn} { downstream }`);
  return lines.join("\n") + "\n" + extra;
}

/** A running daemon. */
export interface DaemonProcess {
  /** The child process. */
  readonly child: Deno.ChildProcess;
  /** The configuration file it was started with (removed once it exits). */
  readonly confPath: string;
  /** The jail it chroots into, when the lab gave it one (removed once it exits). */
  readonly jail: string | undefined;
  /** Its control socket (`-s`, in a directory of its own removed once it exits). */
  readonly controlSocket: string | undefined;
  /** Log lines so far (stderr). */
  readonly lines: string[];
  /**
   * Resolves with the first line matching `re` (seen before or after the call); rejects after
   * `timeoutMs` (10 s by default, scaled by {@link scaledWait} under emulation).
   */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * Rewrites the configuration file with `config` (the `user` and `chroot` lines the lab added
   * at start are added again), for a SIGHUP.
   */
  rewrite(config: string): Promise<void>;
  /** Sends a signal and waits for the exit; resolves to the exit code and time taken (ms). */
  stop(signal?: Deno.Signal): Promise<{ code: number; ms: number }>;
  /** The exit status once it exited. */
  readonly status: Promise<Deno.CommandStatus>;
}

/** The command line that runs this checkout's `main.ts` as the daemon, before its flags. */
export function daemonProgram(deno: string = denoBin()): string[] {
  return [
    deno,
    "run",
    "--no-check",
    "--no-prompt",
    ...DAEMON_PERMISSIONS,
    DAEMON_V8_FLAGS,
    MAIN_TS,
  ];
}

/** Options of {@link startDaemon}. */
export interface StartDaemonOptions {
  /** Configuration text (default {@link labConfig}). */
  config?: string;
  /** Extra flags (default `-d -v`). */
  flags?: string[];
  /** Echo the daemon's log to our stderr. */
  echo?: boolean;
  /** The Deno that runs `main.ts` (default this one, {@link denoBin}). */
  deno?: string;
  /** The program to run instead of `main.ts` (e.g. a built artifact). */
  program?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * Run as {@link LAB_USER} in a fresh empty jail (default true): `user` and `chroot` lines are
   * added at the end of the configuration, unless it has its own.
   */
  jail?: boolean;
  /**
   * Give it a control socket of its own with `-s` (default true: in a directory of its own;
   * a path: there; false for a revision that has no `-s`). Labs share the file system: each
   * daemon needs its own path.
   */
  controlSocket?: boolean | string;
}

/** The unprivileged user the lab's daemons run as: one every Debian system has. */
export const LAB_USER = "nobody";

/** Writes the config to a temporary file and starts the daemon in the proxy namespace. */
export function startDaemon(lab: Lab, opts: StartDaemonOptions = {}): Promise<DaemonProcess> {
  return startDaemonIn(lab, lab.ns.proxy, { ...opts, config: opts.config ?? labConfig(lab) });
}

/**
 * Writes `opts.config` to a temporary file and starts the daemon in namespace `ns` of any lab
 * (a router of `router_lab.ts`), as {@link startDaemon} does in the proxy namespace.
 */
export async function startDaemonIn(
  lab: LabShell,
  ns: string,
  opts: StartDaemonOptions & { config: string },
): Promise<DaemonProcess> {
  const confPath = await Deno.makeTempFile({ prefix: "mcast-proxy-", suffix: ".conf" });
  let jail: string | undefined;
  if ((opts.jail ?? true) && !/^\s*chroot\s/m.test(opts.config)) {
    jail = await Deno.makeTempDir({ prefix: "mcast-proxy-jail-" });
    await Deno.chmod(jail, 0o755);
  }
  /** The text with the lab's `user` and `chroot` lines, unless it has its own. */
  const withJail = (text: string) => {
    if (!(opts.jail ?? true)) return text;
    if (!/^\s*user\s/m.test(text)) text += `\nuser ${LAB_USER}\n`;
    if (jail !== undefined && !/^\s*chroot\s/m.test(text)) text += `\nchroot "${jail}"\n`;
    return text;
  };
  await Deno.writeTextFile(confPath, withJail(opts.config));
  let controlDir: string | undefined;
  let controlSocket: string | undefined;
  if (typeof opts.controlSocket === "string") controlSocket = opts.controlSocket;
  else if (opts.controlSocket ?? true) {
    controlDir = await Deno.makeTempDir({ prefix: "mcast-proxy-ctl-" });
    controlSocket = `${controlDir}/mcast-proxy.sock`;
  }
  // As /etc/mcast-proxy.conf usually is: the daemon reads it again as the unprivileged user.
  await Deno.chmod(confPath, 0o644);
  const program = opts.program ?? daemonProgram(opts.deno);
  const child = lab.spawnIn(
    ns,
    [
      ...program,
      ...(opts.flags ?? ["-d", "-v"]),
      "-f",
      confPath,
      ...(controlSocket === undefined ? [] : ["-s", controlSocket]),
    ],
    { stdout: "piped", stderr: "piped", ...(opts.env === undefined ? {} : { env: opts.env }) },
  );
  const log = followLog(child, "daemon", opts.echo);
  const lines = log.lines;
  const status = child.status.then(async (s) => {
    await log.closed;
    await Deno.remove(confPath).catch(() => {});
    if (jail !== undefined) await Deno.remove(jail).catch(() => {});
    if (controlDir !== undefined) {
      await Deno.remove(controlDir, { recursive: true }).catch(() => {});
    }
    return s;
  });
  return {
    child,
    confPath,
    jail,
    controlSocket,
    lines,
    status,
    async rewrite(config: string) {
      await Deno.writeTextFile(confPath, withJail(config));
    },
    waitForLine(re, timeoutMs = WAIT_FOR_LINE_MS) {
      return log.waitForLine(re, scaledWait(timeoutMs), status);
    },
    stop: (signal: Deno.Signal = "SIGTERM") => stopProcess(child, status, signal),
  };
}
