/**
 * mcast-proxy: an IGMP and MLD proxy daemon (RFC 4605) for network edges.
 *
 * The only module that opens libc, reads the command line and exits. {@link main} runs the
 * start-up as steps, in an order that matters for the privileges (mcast-proxy(8), SECURITY):
 *
 * 0. the control client instead (`src/ctl/`), when the program runs as `mcast-proxyctl` (a link
 *    to it) or as `mcast-proxy ctl`: it needs no libc and no privilege; the routing mode
 *    ({@link routedMain}) when it runs as `mcast-routed` or as `mcast-proxy route`, which takes
 *    mrouted's command line and configuration and then goes through the same steps;
 * 1. {@link answerCommandLine}: help, version and command-line mistakes, before anything else;
 * 2. {@link readStartupConfig} and {@link checkOnly} (`-n`): the configuration, with no libc;
 * 3. {@link openLogger}: syslog's socket, connected before the jail hides it;
 * 4. {@link planPrivileges}: who the daemon becomes, checked before anything touches the kernel;
 * 5. {@link keepConfigForReload}: the configuration's directories, opened while they are
 *    still in reach;
 * 6. {@link applySyscallFilter}: the syscall filter, before the OS port opens any socket;
 * 7. {@link runDaemon}: the control socket, the OS port and the daemon's start as root, then
 *    the privilege drop, the signals, and the run until a signal stops it.
 *
 * @module
 */

import { type Config, formatDiagnostic } from "./conf/config.ts";
import { printConfig } from "./conf/printer.ts";
import { ConfigDirectories, directoryOf, normalizePath } from "./ffi/config_dirs.ts";
import { type Libc, openLibc } from "./ffi/libc.ts";
import { dropPrivileges, effectiveUid, lookupAccount } from "./ffi/privileges.ts";
import { LinuxSys } from "./ffi/sys_linux.ts";
import { installSyscallFilter, ownListeningTcpPorts, threadSeccompModes } from "./ffi/seccomp.ts";
import { describeFilter, syscallArch } from "./ffi/seccomp_filter.ts";
import { PATH_LOG, SyslogSocket } from "./ffi/syslog.ts";
import {
  createLogger,
  type Logger,
  type LogSink,
  messageOf,
  stderrSink,
  syslogSink,
} from "./src/log.ts";
import { ctlMain, startedAs, startedAsCtl } from "./src/ctl/cli.ts";
import { listInterfaces } from "./ffi/ifaddrs.ts";
import { loadRoutedConfig, routedReloader } from "./src/runtime/routed_config_file.ts";
import { parseRoutedFlags, ROUTED_USAGE, type RoutedFlags } from "./src/runtime/routed_flags.ts";
import { configReloader, DENO_CONFIG_FS, loadConfig } from "./src/runtime/config_file.ts";
import { DaemonControl } from "./src/runtime/control.ts";
import { ControlServer } from "./src/runtime/control_server.ts";
import { DaemonLog } from "./src/runtime/daemon_log.ts";
import { Monitor } from "./src/runtime/monitor.ts";
import { configuredFamilies, Daemon, StartupError } from "./src/runtime/daemon.ts";
import { type CommandLine, type Flags, parseFlags, USAGE } from "./src/runtime/flags.ts";
import { type JailPlan, planJail } from "./src/runtime/jail.ts";
import { describeTableHolder } from "./src/runtime/table_holder.ts";
import { VERSION } from "./src/version.ts";

export { VERSION };
export { DEFAULT_CONF } from "./src/runtime/flags.ts";

/**
 * Runs the program with `args`; resolves to the exit code. `ctl` as the first word runs the
 * control client (mcast-proxyctl(8)) with the rest, before anything else.
 */
export async function main(args: string[]): Promise<number> {
  if (args[0] === "ctl") return await ctlMain(args.slice(1));
  if (args[0] === "route") return await routedMain(args.slice(1));
  const commandLine = parseFlags(args);
  if (commandLine.kind !== "run") return answerCommandLine(commandLine);
  const { flags } = commandLine;
  const loaded = readStartupConfig(flags);
  if (loaded === undefined) return 1;
  if (flags.checkOnly) return checkOnly(loaded.config, flags.verbosity);

  const libc = openLibc();
  const log = openLogger(libc, flags);
  const privileges = planPrivileges(libc, { config: loaded.config, log });
  if (privileges === undefined) return 1;
  const { jail } = privileges;
  const readConfig = keepConfigForReload(libc, { flags, files: loaded.files, jail, log });
  if (!applySyscallFilter(libc, log, flags.verbosity > 0)) return 1;
  const sockets = { control: flags.controlSocket, readOnly: flags.readOnlySocket };
  return await runDaemon(libc, { config: loaded.config, log, jail, readConfig, sockets });
}

/** The program name the routing mode runs as (a link to the program). */
export const ROUTED_PROGRAM = "mcast-routed";

/**
 * The routing mode (mcast-routed(8)): a DVMRP router with mrouted's command line
 * (`-p`, `-c file`, `-d [level]`) and configuration, applied to the interfaces the system has
 * now; then the same steps as the proxy's from the logger on.
 */
export async function routedMain(args: string[]): Promise<number> {
  const commandLine = parseRoutedFlags(args);
  if (commandLine.kind !== "run") {
    return answerCommandLine(commandLine, { program: ROUTED_PROGRAM, usage: ROUTED_USAGE });
  }
  const { flags } = commandLine;
  const libc = openLibc();
  const loaded = loadRoutedConfig({
    path: flags.file,
    fs: DENO_CONFIG_FS,
    interfaces: listInterfaces(libc),
    nonPruning: flags.nonPruning,
    ...jailOf(flags),
  });
  if (!loaded.ok) {
    for (const e of loaded.errors) console.error(`${ROUTED_PROGRAM}: ${e}`);
    return 1;
  }
  for (const w of loaded.warnings) console.error(`${ROUTED_PROGRAM}: warning: ${w}`);
  if (flags.checkOnly) return printOut("configuration OK") ? 0 : 1;
  const log = openLogger(libc, flags, ROUTED_PROGRAM);
  const privileges = planPrivileges(libc, { config: loaded.config, log });
  if (privileges === undefined) return 1;
  const { jail } = privileges;
  const readConfig = keepRoutedConfigForReload(libc, { flags, jail, log });
  if (!applySyscallFilter(libc, log, flags.verbosity > 0)) return 1;
  const sockets = { control: flags.controlSocket, readOnly: flags.readOnlySocket };
  return await runDaemon(libc, {
    config: loaded.config,
    log,
    jail,
    readConfig,
    sockets,
    foreground: flags.foreground,
  });
}

/** The `-u` and `-t` of the routing mode, as the configuration's `user` and `chroot`. */
function jailOf(flags: RoutedFlags): { user?: string; chroot?: string } {
  return {
    ...(flags.user === undefined ? {} : { user: flags.user }),
    ...(flags.chroot === undefined ? {} : { chroot: flags.chroot }),
  };
}

/** The routing mode's reload: mrouted.conf read again through its kept directory in a jail. */
function keepRoutedConfigForReload(
  libc: Libc,
  opts: { flags: RoutedFlags; jail: JailPlan | undefined; log: Logger },
): () => Config | undefined {
  const { flags, jail, log } = opts;
  const interfaces = () => listInterfaces(libc);
  const common = { interfaces, log, nonPruning: flags.nonPruning, ...jailOf(flags) };
  if (jail === undefined) {
    return routedReloader({ ...common, path: flags.file, fs: DENO_CONFIG_FS });
  }
  const dirs = new ConfigDirectories(libc);
  const path = normalizePath(flags.file, Deno.cwd());
  try {
    dirs.keep(directoryOf(path));
  } catch (err) {
    log.warn(
      `Cannot keep the configuration's directory for SIGHUP: ${messageOf(err)}: ` +
        "reloading will fail",
    );
  }
  return routedReloader({ ...common, path, fs: dirs });
}

/**
 * Answers a command line that asks for no daemon: the help or the version on standard output
 * (exit 0), or a mistake on standard error, with the usage when it is about the flags (exit 1).
 */
function answerCommandLine(
  commandLine: Exclude<CommandLine, { kind: "run" }>,
  as = { program: "mcast-proxy", usage: USAGE },
): number {
  switch (commandLine.kind) {
    case "help":
      return printOut(as.usage) ? 0 : 1;
    case "version":
      return printOut(`${as.program} ${VERSION}`) ? 0 : 1;
    case "mistake":
      console.error(`${as.program}: ${commandLine.message}`);
      if (commandLine.usage) console.error(as.usage);
      return 1;
  }
}

/**
 * Reads the configuration file named by the flags. Every diagnostic goes to standard error as
 * `file:line:col`; a file that cannot be read or used, or one the daemon would refuse whatever
 * the system looks like, is undefined (exit 1). With `-n`, the daemon's own warnings about the
 * configuration go to standard error too (without `-n` the daemon logs them itself).
 */
function readStartupConfig(flags: Flags): { config: Config; files: string[] } | undefined {
  const loaded = loadConfig(flags.file, flags.macros);
  if ("error" in loaded) {
    console.error(`mcast-proxy: ${loaded.error}`);
    return undefined;
  }
  const { config, diagnostics } = loaded;
  for (const d of diagnostics) console.error(formatDiagnostic(d));
  if (config === undefined) return undefined;
  try {
    const { warnings } = configuredFamilies(config);
    if (flags.checkOnly) { for (const w of warnings) console.error(`mcast-proxy: warning: ${w}`); }
  } catch (err) {
    if (!(err instanceof StartupError)) throw err;
    console.error(`mcast-proxy: ${flags.file}: ${err.message}`);
    return undefined;
  }
  return { config, files: loaded.files };
}

/**
 * `-n`: the configuration passed; says so on standard output, after the canonical
 * configuration with `-v`. Resolves to the exit code.
 */
function checkOnly(config: Config, verbosity: number): number {
  const printed = verbosity > 0 ? printConfig(config).trimEnd() + "\n" : "";
  return printOut(printed + "configuration OK") ? 0 : 1;
}

/**
 * The daemon's logger. In the foreground (`-d`) the log goes to stderr; otherwise to syslog
 * (`MCAST_PROXY_SYSLOG` or the system's socket), whose socket is connected now, before the
 * jail hides it. A syslog that cannot be reached is a warning on stderr, and the log stays there.
 */
function openLogger(libc: Libc, flags: Flags, ident = "mcast-proxy"): DaemonLog {
  let sink: LogSink = stderrSink();
  let syslogProblem: string | undefined;
  if (!flags.foreground) {
    const path = Deno.env.get("MCAST_PROXY_SYSLOG") || PATH_LOG;
    try {
      const socket = new SyslogSocket(libc, path);
      sink = syslogSink({ send: (m) => socket.send(m), ident, pid: Deno.pid });
    } catch (err) {
      syslogProblem = `Cannot reach syslog at "${path}": ${messageOf(err)}: logging to stderr`;
    }
  }
  // Debug lines are switched by the daemon's own logger (`mcast-proxyctl log` changes it).
  const log = new DaemonLog(createLogger({ sink, verbosity: 1 }), flags.verbosity > 0);
  if (syslogProblem !== undefined) log.warn(syslogProblem);
  return log;
}

/**
 * Who the daemon becomes, checked before anything touches the kernel: as root, the jail of
 * the configuration (its user and its directory must be fit for it); started by another user,
 * no jail, and a warning. Undefined after a fatal log line (exit 1).
 */
function planPrivileges(
  libc: Libc,
  opts: { config: Config; log: Logger },
): { jail: JailPlan | undefined } | undefined {
  const { config, log } = opts;
  try {
    if (effectiveUid(libc) === 0) {
      const jail = planJail(config, {
        account: (name) => lookupAccount(libc, name),
        stat: (path) => Deno.statSync(path),
      });
      return { jail };
    }
    log.warn(
      `Not started as root (uid ${effectiveUid(libc)}): no jail, and the daemon keeps the ` +
        "privileges it was given",
    );
    return { jail: undefined };
  } catch (err) {
    if (err instanceof StartupError) {
      log.fatal(err.message);
      return undefined;
    }
    throw err;
  }
}

/**
 * The function a reload (SIGHUP) reads the configuration with. In a jail the files are out of
 * reach after the start, so the directories of every file read now are kept open, and the
 * reload reads through them (a directory that cannot be kept is a warning: reloads will fail).
 */
function keepConfigForReload(
  libc: Libc,
  opts: { flags: Flags; files: string[]; jail: JailPlan | undefined; log: Logger },
): () => Config | undefined {
  const { flags: { file, macros }, files, jail, log } = opts;
  if (jail === undefined) return configReloader({ path: file, macros, fs: DENO_CONFIG_FS, log });
  const dirs = new ConfigDirectories(libc);
  const path = normalizePath(file, Deno.cwd());
  try {
    for (const f of files) dirs.keep(directoryOf(normalizePath(f, Deno.cwd())));
  } catch (err) {
    log.warn(
      `Cannot keep the configuration's directories for SIGHUP: ${messageOf(err)}: ` +
        "reloading will fail",
    );
  }
  return configReloader({ path, macros, fs: dirs, log, jailUser: jail.user });
}

/**
 * Puts every thread under the syscall filter (mcast-proxy(8), SECURITY): from here on no TCP
 * socket, so no debugger on SIGUSR1, no program run, no tracing, no modules or mounts. Checks
 * that every thread has it and that nothing listens on TCP already (a debugger a SIGUSR1 opened
 * during start-up). False after a fatal log line.
 */
function applySyscallFilter(libc: Libc, log: Logger, verbose: boolean): boolean {
  const arch = syscallArch(Deno.build.arch);
  if (arch === undefined) {
    log.warn(
      `No syscall filter for ${Deno.build.arch}: a SIGUSR1 may open the runtime's debugger ` +
        "on 127.0.0.1:9229",
    );
    return true;
  }
  try {
    installSyscallFilter(libc, { arch, log: verbose });
  } catch (err) {
    log.fatal(`Cannot install the syscall filter: ${messageOf(err)}`);
    return false;
  }
  const modes = threadSeccompModes();
  const unfiltered = [...modes].filter(([, mode]) => mode !== 2).map(([tid]) => tid);
  if (unfiltered.length > 0) {
    log.fatal(`Threads ${unfiltered.join(", ")} run without the syscall filter`);
    return false;
  }
  const ports = ownListeningTcpPorts();
  if (ports.length > 0) {
    log.fatal(
      `The daemon listens on TCP port ${ports.join(", ")} (the runtime's debugger, opened by a ` +
        "signal during start-up?): stopping",
    );
    return false;
  }
  log.info(`Syscall filter on for all ${modes.size} threads: ${describeFilter()}`);
  if (verbose) {
    const numbers = Object.entries(arch.nr).map(([name, nr]) => `${nr} ${name}`).join(", ");
    log.info(
      `Each call the filter refuses goes to the kernel's audit log as type=SECCOMP with its ` +
        `number (${arch.name}: ${numbers})`,
    );
  }
  return true;
}

/**
 * Opens the control socket (a live daemon's socket at the path stops this one, before it
 * touches the kernel), creates the OS port and starts the daemon (as root, with the jail:
 * every socket and privileged option set up), drops the privileges, then runs until SIGTERM
 * or SIGINT. Resolves to the exit code: 1 when the start, the drop or the run fails, after a
 * fatal line.
 */
async function runDaemon(
  libc: Libc,
  opts: {
    config: Config;
    log: DaemonLog;
    jail: JailPlan | undefined;
    readConfig: () => Config | undefined;
    sockets: { control: string; readOnly: string | undefined };
    /** `-d`: the log is on stderr. */
    foreground?: boolean;
  },
): Promise<number> {
  const { config, log, jail, readConfig } = opts;
  const sys = new LinuxSys(libc);
  const memoryUsage = () => Deno.memoryUsage();
  const monitor = new Monitor();
  const daemon = new Daemon({
    sys,
    config,
    log,
    describeTableHolder,
    readConfig,
    memoryUsage,
    monitor,
  });
  const control = await openControl(opts.sockets, { daemon, log, monitor });
  if (control === undefined) return 1;
  try {
    try {
      daemon.start();
    } catch (err) {
      if (err instanceof StartupError) {
        log.fatal(err.message);
        return 1;
      }
      throw err;
    }
    if (jail !== undefined && !enterJail(libc, { jail, log })) {
      daemon.stop();
      await daemon.run();
      return 1;
    }
    listenToSignals(daemon, {
      routing: config.routing !== undefined,
      foreground: opts.foreground ?? false,
    });
    try {
      await daemon.run();
    } catch (err) {
      log.fatal(`Unexpected error: ${err instanceof Error ? err.stack : String(err)}`);
      return 1;
    }
    return 0;
  } finally {
    await Promise.all(control.map((server) => server.close()));
  }
}

/**
 * The control socket (mcast-proxyctl(8)), mode 0660, and the read-only one if asked for, mode
 * 0666, answered by the daemon; undefined after a fatal line when one cannot be had (another
 * daemon's, or no such directory).
 */
async function openControl(
  sockets: { control: string; readOnly: string | undefined },
  opts: { daemon: Daemon; log: DaemonLog; monitor: Monitor },
): Promise<ControlServer[] | undefined> {
  const { log } = opts;
  const handler = new DaemonControl(opts);
  const servers: ControlServer[] = [];
  const wanted = [{ path: sockets.control, readOnly: false }];
  if (sockets.readOnly !== undefined) wanted.push({ path: sockets.readOnly, readOnly: true });
  for (const { path, readOnly } of wanted) {
    const what = readOnly ? "read-only control socket" : "control socket";
    try {
      servers.push(
        await ControlServer.open({
          path,
          handler,
          readOnly,
          mode: readOnly ? 0o666 : 0o660,
          log: (level, message) => log[level](message),
        }),
      );
      log.info(`${what.charAt(0).toUpperCase()}${what.slice(1)} "${path}" open`);
    } catch (err) {
      log.fatal(`Cannot open the ${what} "${path}": ${messageOf(err)}`);
      await Promise.all(servers.map((server) => server.close()));
      return undefined;
    }
  }
  return servers;
}

/**
 * Drops root for the jail's user and directory: every socket and privileged option is set up,
 * and what is left needs no root (mcast-proxy(8), PRIVILEGES). False after a fatal log line.
 */
function enterJail(libc: Libc, opts: { jail: JailPlan; log: Logger }): boolean {
  const { jail, log } = opts;
  try {
    dropPrivileges(libc, jail);
    log.info(
      `Running as "${jail.user}" (uid ${jail.uid}, gid ${jail.gid}), jailed in "${jail.root}"`,
    );
    return true;
  } catch (err) {
    log.fatal(`Cannot drop privileges: ${messageOf(err)}`);
    return false;
  }
}

/**
 * SIGTERM and SIGINT stop the daemon, SIGUSR1 asks for a dump, SIGHUP for a reload. In the
 * routing mode, as mrouted(8): SIGUSR2 dumps the forwarding cache, and SIGQUIT the routing
 * tables when the log is on stderr (`-d`); every table goes to the log.
 */
function listenToSignals(daemon: Daemon, opts: { routing: boolean; foreground: boolean }): void {
  const onSignal = () => daemon.stop();
  for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, onSignal);
  Deno.addSignalListener("SIGUSR1", () => daemon.requestDump());
  Deno.addSignalListener("SIGHUP", () => daemon.requestReload());
  if (!opts.routing) return;
  Deno.addSignalListener("SIGUSR2", () => daemon.requestCacheDump());
  Deno.addSignalListener("SIGQUIT", () => {
    if (opts.foreground) daemon.requestDump();
  });
}

/**
 * Writes `text` and a newline to standard output. When that fails (a closed pipe, a full
 * disk), says so in one line on standard error and returns false.
 */
function printOut(text: string): boolean {
  const bytes = new TextEncoder().encode(text + "\n");
  try {
    for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
    return true;
  } catch (err) {
    console.error(`mcast-proxy: cannot write to standard output: ${messageOf(err)}`);
    return false;
  }
}

if (import.meta.main) {
  Deno.exit(
    startedAsCtl()
      ? await ctlMain(Deno.args)
      : startedAs(ROUTED_PROGRAM)
      ? await routedMain(Deno.args)
      : await main(Deno.args),
  );
}
