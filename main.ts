/**
 * mcast-proxy: an IGMP and MLD proxy daemon (RFC 4605) for network edges.
 *
 * The only module that opens libc, reads the command line and exits.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Config, formatDiagnostic } from "./conf/config.ts";
import { checkMacroName } from "./conf/lexer.ts";
import { printConfig } from "./conf/printer.ts";
import { ConfigDirectories, directoryOf, normalizePath } from "./ffi/config_dirs.ts";
import { type Libc, openLibc } from "./ffi/libc.ts";
import { dropPrivileges, effectiveUid, lookupAccount } from "./ffi/privileges.ts";
import { LinuxSys } from "./ffi/sys_linux.ts";
import { installSyscallFilter, ownListeningTcpPorts, threadSeccompModes } from "./ffi/seccomp.ts";
import { describeFilter, syscallArch } from "./ffi/seccomp_filter.ts";
import { PATH_LOG, SyslogSocket } from "./ffi/syslog.ts";
import { createLogger, type Logger, type LogSink, stderrSink, syslogSink } from "./src/log.ts";
import { type ConfigFs, DENO_CONFIG_FS, loadConfig } from "./src/runtime/config_file.ts";
import { configuredFamilies, Daemon, StartupError } from "./src/runtime/daemon.ts";
import { flagErrorMessage } from "./src/runtime/flags.ts";
import { type JailPlan, planJail } from "./src/runtime/jail.ts";
import { describeTableHolder } from "./src/runtime/table_holder.ts";

/** The program's version. */
export const VERSION = "0.1.0";

/** Default configuration file, as on OpenBSD. */
export const DEFAULT_CONF = "/etc/mcast-proxy.conf";

const USAGE = `usage: mcast-proxy [-dnv] [-D macro=value] [-f file | --conf file]
       mcast-proxy -h | --help | --version
  -d              log to stderr instead of syslog
  -D macro=value  define a macro, overriding the configuration file
  -f, --conf file configuration file (default ${DEFAULT_CONF})
  -n              check the configuration and exit (with -v, print it)
  -v              verbose: log every packet and change (debug)
  -h, --help      print this help
  --version       print the version`;

/** Runs the program with `args`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        d: { type: "boolean" },
        n: { type: "boolean" },
        v: { type: "boolean", multiple: true },
        f: { type: "string" },
        conf: { type: "string" },
        D: { type: "string", multiple: true },
        h: { type: "boolean" },
        help: { type: "boolean" },
        version: { type: "boolean" },
      },
    }).values;
  } catch (err) {
    console.error(`mcast-proxy: ${flagErrorMessage(err)}`);
    console.error(USAGE);
    return 1;
  }
  if (flags.h || flags.help) return printOut(USAGE) ? 0 : 1;
  if (flags.version) return printOut(`mcast-proxy ${VERSION}`) ? 0 : 1;
  const verbosity = flags.v?.length ?? 0;
  const macros: Record<string, string> = {};
  for (const def of flags.D ?? []) {
    const eq = def.indexOf("=");
    if (eq <= 0) {
      console.error(`mcast-proxy: -D ${def}: expected macro=value`);
      return 1;
    }
    const problem = checkMacroName(def.slice(0, eq));
    if (problem !== undefined) {
      console.error(`mcast-proxy: -D ${def}: ${problem}`);
      return 1;
    }
    macros[def.slice(0, eq)] = def.slice(eq + 1);
  }
  if (flags.f !== undefined && flags.conf !== undefined && flags.f !== flags.conf) {
    console.error("mcast-proxy: -f and --conf name different files: give one of them");
    console.error(USAGE);
    return 1;
  }
  const file = flags.conf ?? flags.f ?? DEFAULT_CONF;
  const loaded = loadConfig(file, macros);
  if ("error" in loaded) {
    console.error(`mcast-proxy: ${loaded.error}`);
    return 1;
  }
  const { config, diagnostics } = loaded;
  for (const d of diagnostics) console.error(formatDiagnostic(d));
  if (config === undefined) return 1;
  // What the daemon would refuse whatever the system looks like, -n refuses too.
  try {
    const { warnings } = configuredFamilies(config);
    // The daemon logs them itself; -n says them here.
    if (flags.n) { for (const w of warnings) console.error(`mcast-proxy: warning: ${w}`); }
  } catch (err) {
    if (!(err instanceof StartupError)) throw err;
    console.error(`mcast-proxy: ${file}: ${err.message}`);
    return 1;
  }
  if (flags.n) {
    const printed = verbosity > 0 ? printConfig(config).trimEnd() + "\n" : "";
    return printOut(printed + "configuration OK") ? 0 : 1;
  }

  const libc = openLibc();
  // In the foreground the log goes to stderr; otherwise to syslog, whose socket is connected
  // now, before the jail hides it.
  let sink: LogSink = stderrSink();
  let syslogProblem: string | undefined;
  if (!flags.d) {
    const path = Deno.env.get("MCAST_PROXY_SYSLOG") || PATH_LOG;
    try {
      const socket = new SyslogSocket(libc, path);
      sink = syslogSink({ send: (m) => socket.send(m), ident: "mcast-proxy", pid: Deno.pid });
    } catch (err) {
      syslogProblem = `Cannot reach syslog at "${path}": ${
        err instanceof Error ? err.message : String(err)
      }: logging to stderr`;
    }
  }
  const log = createLogger({ sink, verbosity });
  if (syslogProblem !== undefined) log.warn(syslogProblem);
  // Who the daemon becomes is checked before anything touches the kernel.
  let jail: JailPlan | undefined;
  try {
    if (effectiveUid(libc) === 0) {
      jail = planJail(config, {
        account: (name) => lookupAccount(libc, name),
        stat: (path) => Deno.statSync(path),
      });
    } else {
      log.warn(
        `Not started as root (uid ${effectiveUid(libc)}): no jail, and the daemon keeps the ` +
          "privileges it was given",
      );
    }
  } catch (err) {
    if (err instanceof StartupError) {
      log.fatal(err.message);
      return 1;
    }
    throw err;
  }
  // A reload reads the files again; from inside the jail, through the directories kept now.
  let configFs: ConfigFs = DENO_CONFIG_FS;
  let configPath = file;
  if (jail !== undefined) {
    const dirs = new ConfigDirectories(libc);
    configPath = normalizePath(file, Deno.cwd());
    try {
      for (const f of loaded.files) dirs.keep(directoryOf(normalizePath(f, Deno.cwd())));
    } catch (err) {
      log.warn(
        `Cannot keep the configuration's directories for SIGHUP: ${
          err instanceof Error ? err.message : String(err)
        }: reloading will fail`,
      );
    }
    configFs = dirs;
  }
  const readConfig = (): Config | undefined => {
    const again = loadConfig(configPath, macros, configFs);
    const problems = "error" in again ? [again.error] : again.diagnostics.map(formatDiagnostic);
    for (const p of problems) log.warn("error" in again ? `Cannot reload: ${p}` : p);
    if (jail !== undefined && problems.some((p) => p.endsWith("permission denied"))) {
      log.warn(
        `The configuration is read as user "${jail.user}" after the start: make its files ` +
          "and their directories readable by that user",
      );
    }
    return "error" in again ? undefined : again.config;
  };
  if (!applySyscallFilter(libc, log, verbosity > 0)) return 1;
  const sys = new LinuxSys(libc);
  const daemon = new Daemon({
    sys,
    config,
    log,
    describeTableHolder,
    readConfig,
    memoryUsage: () => Deno.memoryUsage(),
  });
  try {
    daemon.start();
  } catch (err) {
    if (err instanceof StartupError) {
      log.fatal(err.message);
      return 1;
    }
    throw err;
  }
  if (jail !== undefined) {
    // Every socket and privileged option is set up: what is left needs no root (see
    // mcast-proxy(8), PRIVILEGES).
    try {
      dropPrivileges(libc, jail);
      log.info(
        `Running as "${jail.user}" (uid ${jail.uid}, gid ${jail.gid}), jailed in "${jail.root}"`,
      );
    } catch (err) {
      log.fatal(`Cannot drop privileges: ${err instanceof Error ? err.message : String(err)}`);
      daemon.stop();
      await daemon.run();
      return 1;
    }
  }
  const onSignal = () => daemon.stop();
  for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, onSignal);
  Deno.addSignalListener("SIGUSR1", () => daemon.requestDump());
  Deno.addSignalListener("SIGHUP", () => daemon.requestReload());
  try {
    await daemon.run();
  } catch (err) {
    log.fatal(`Unexpected error: ${err instanceof Error ? err.stack : String(err)}`);
    return 1;
  }
  return 0;
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
    log.fatal(
      `Cannot install the syscall filter: ${err instanceof Error ? err.message : String(err)}`,
    );
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
 * Writes `text` and a newline to standard output. When that fails (a closed pipe, a full
 * disk), says so in one line on standard error and returns false.
 */
function printOut(text: string): boolean {
  const bytes = new TextEncoder().encode(text + "\n");
  try {
    for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
    return true;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    console.error(`mcast-proxy: cannot write to standard output: ${why}`);
    return false;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
