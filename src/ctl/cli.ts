/**
 * `mcast-proxyctl`, the command line of the control client (mcast-proxyctl(8)): reads the flags
 * and the command, checks the command as the daemon would (`parseRequest`), so that a mistake
 * is reported without a daemon, sends it (`client.ts`) and prints the reply.
 *
 * The reply's body goes to standard output as the daemon wrote it (a table, JSON or Prometheus
 * text); an `error` reply's body goes to standard error. Exit codes: {@link EXIT_OK},
 * {@link EXIT_REFUSED} (or {@link EXIT_PROBLEM}), {@link EXIT_USAGE}, {@link EXIT_UNREACHABLE}.
 *
 * `doctor` is the client's own: it asks the daemon for its views, reads the kernel's settings
 * (`doctor_facts.ts`), and prints what the rules of `doctor.ts` find.
 *
 * The program is the daemon's own, run as `mcast-proxy ctl ARGS` or under the name
 * `mcast-proxyctl` (a link to `mcast-proxy`): see {@link startedAsCtl}.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type ControlReply,
  DEFAULT_CONTROL_SOCKET,
  parseRequest,
  type ReplyFormat,
} from "../runtime/control_protocol.ts";
import { messageOf } from "../log.ts";
import { flagErrorMessage } from "../runtime/flags.ts";
import { VERSION } from "../version.ts";
import { ControlError, DEFAULT_TIMEOUT_MS, monitor, request } from "./client.ts";
import {
  checkedSources,
  comparedWithKernel,
  diagnose,
  foundProblem,
  renderFindings,
} from "./doctor.ts";
import {
  DaemonRefused,
  DEFAULT_DOCTOR_INTERVAL_MS,
  gatherFacts,
  type RunCommand,
} from "./doctor_facts.ts";
import { type DoctorQuery, parseDoctorQuery } from "./doctor_query.ts";

/** The command was done: the daemon answered `ok` (or `monitor` was stopped by a signal). */
export const EXIT_OK = 0;
/**
 * The daemon answered with an error (its reason on standard error), or the answer could not be
 * written to standard output.
 */
export const EXIT_REFUSED = 1;
/** `doctor` found a problem (a note is none). */
export const EXIT_PROBLEM = 1;
/** A mistake on the command line: nothing was sent. */
export const EXIT_USAGE = 2;
/** The daemon could not be reached, did not answer in time, or went away. */
export const EXIT_UNREACHABLE = 3;

/** The program's name, as the link installs it. */
export const CTL_PROGRAM = "mcast-proxyctl";

const DEFAULT_TIMEOUT_S = DEFAULT_TIMEOUT_MS / 1000;
const DEFAULT_INTERVAL_S = DEFAULT_DOCTOR_INTERVAL_MS / 1000;
/** The longest wait between the doctor's samples, in seconds. */
const MAX_INTERVAL_S = 3600;

/** The usage text: on stdout for `-h`, on stderr after a mistake in the flags. */
export const CTL_USAGE =
  `usage: mcast-proxyctl [-s socket] [-t seconds] [--json | --prometheus] command [argument ...]
       mcast-proxyctl -h | --help | -V | --version
commands:
  show interfaces      the interfaces in use, their roles and queriers
  show groups [group]  the groups with listeners on each downstream interface
  show upstream        the groups joined upstream and their source filters
  show forwarding      the kernel's forwarding entries and their counters
  show counters        packets, upcalls and drops by reason (--prometheus for a scraper)
  show config          the running configuration
  show neighbors       mcast-routed: the DVMRP neighbors
  show routes          mcast-routed: the vifs and the routing table (mrouted's layout)
  show cache           mcast-routed: the forwarding cache, prunes included
  reload               read the configuration again; its errors are printed
  log verbose | brief  turn debug logging on or off
  dump                 the state dump of SIGUSR1
  monitor              print events as they happen, until interrupted
  doctor [group [source]]
                       look for what keeps multicast from flowing, and say how to fix it
options:
  -s socket      the daemon's control socket (default ${DEFAULT_CONTROL_SOCKET})
  -t seconds     how long to wait for the daemon (default ${DEFAULT_TIMEOUT_S})
  -w seconds     doctor: the time between its two samples (default ${DEFAULT_INTERVAL_S})
  --json         answer in JSON (every command)
  --prometheus   answer in Prometheus' text format (show counters)
  -h, --help     print this help
  -V, --version  print the version
exit status: 0 done, 1 the daemon answered with an error (doctor: found a problem),
2 a mistake in the command line, 3 the daemon could not be reached`;

/** Where the client writes, and how it hears that it must stop (`monitor`). */
export interface CtlIo {
  /** Writes to standard output. */
  out(text: string): Promise<void>;
  /** Writes to standard error. */
  err(text: string): Promise<void>;
  /** Calls `stop` on SIGINT or SIGTERM; returns what undoes it. */
  onStop(stop: () => void): () => void;
  /** Reads a file as text, for `doctor`'s sysctls (default `Deno.readTextFile`). */
  readFile?: (path: string) => Promise<string>;
  /** Runs a command, for `doctor`'s look at the firewall (default: `Deno.Command`). */
  runCommand?: RunCommand;
}

/** The process's standard output and error, and its SIGINT and SIGTERM. */
export const DENO_CTL_IO: CtlIo = {
  out: (text) => writeAll(Deno.stdout, text),
  err: (text) => writeAll(Deno.stderr, text),
  onStop(stop) {
    const signals = ["SIGINT", "SIGTERM"] as const;
    for (const sig of signals) Deno.addSignalListener(sig, stop);
    return () => {
      for (const sig of signals) Deno.removeSignalListener(sig, stop);
    };
  },
};

/** What the command line asks for. */
type CtlCommandLine =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "mistake"; message: string; usage: boolean }
  | { kind: "send"; path: string; timeoutMs: number; line: string }
  | { kind: "doctor" } & DoctorRun;

/** What `doctor` is run with. */
interface DoctorRun {
  path: string;
  timeoutMs: number;
  intervalMs: number;
  query: DoctorQuery;
  format: "text" | "json";
}

/**
 * Runs `mcast-proxyctl` with `args` (without the program's name); resolves to the exit code.
 *
 * @example
 * ```ts
 * await ctlMain(["-s", "/run/mcast-proxy.sock", "show", "groups", "--json"]);
 * ```
 */
export async function ctlMain(args: string[], io: CtlIo = DENO_CTL_IO): Promise<number> {
  const commandLine = parseCtlArgs(args);
  switch (commandLine.kind) {
    case "help":
      return await print(io, `${CTL_USAGE}\n`);
    case "version":
      return await print(io, `${CTL_PROGRAM} ${VERSION}\n`);
    case "mistake":
      await io.err(
        `${CTL_PROGRAM}: ${commandLine.message}\n${commandLine.usage ? `${CTL_USAGE}\n` : ""}`,
      );
      return EXIT_USAGE;
    case "doctor":
      try {
        return await runDoctor(io, commandLine);
      } catch (err) {
        if (!(err instanceof ControlError)) throw err;
        await io.err(`${CTL_PROGRAM}: ${err.message}\n`);
        return EXIT_UNREACHABLE;
      }
  }
  const { path, timeoutMs, line } = commandLine;
  const parsed = parseRequest(line);
  if (!parsed.ok) {
    await io.err(`${CTL_PROGRAM}: ${parsed.reason}\n`);
    return EXIT_USAGE;
  }
  const req = parsed.value;
  try {
    if (req.command !== "monitor") {
      return await printReply(io, await request(path, req, { timeoutMs }), req.format);
    }
    return await runMonitor(io, { path, timeoutMs, format: req.format });
  } catch (err) {
    if (!(err instanceof ControlError)) throw err;
    await io.err(`${CTL_PROGRAM}: ${err.message}\n`);
    return EXIT_UNREACHABLE;
  }
}

/**
 * Reads the flags. The command's words and `--json` / `--prometheus` become one request line,
 * for `parseRequest` to judge as the daemon would.
 */
function parseCtlArgs(args: string[]): CtlCommandLine {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        s: { type: "string" },
        t: { type: "string" },
        w: { type: "string" },
        json: { type: "boolean" },
        prometheus: { type: "boolean" },
        h: { type: "boolean" },
        help: { type: "boolean" },
        V: { type: "boolean" },
        version: { type: "boolean" },
      },
    });
  } catch (err) {
    return { kind: "mistake", message: flagErrorMessage(err), usage: true };
  }
  const { values, positionals } = parsed;
  if (values.h || values.help) return { kind: "help" };
  if (values.V || values.version) return { kind: "version" };
  if (positionals.length === 0) return { kind: "mistake", message: "no command", usage: true };
  const timeoutMs = parseSeconds("-t", values.t, { byDefault: DEFAULT_TIMEOUT_S, most: 86400 });
  if (typeof timeoutMs === "string") return { kind: "mistake", message: timeoutMs, usage: false };
  const path = values.s ?? DEFAULT_CONTROL_SOCKET;
  if (path === "") return { kind: "mistake", message: "-s needs a path", usage: false };
  if (positionals[0] === "doctor") {
    return parseDoctorArgs({ path, timeoutMs, values, words: positionals.slice(1) });
  }
  if (values.w !== undefined) {
    return { kind: "mistake", message: "-w is an option of doctor only", usage: false };
  }
  const words = [...positionals];
  if (values.json) words.push("--json");
  if (values.prometheus) words.push("--prometheus");
  return { kind: "send", path, timeoutMs, line: words.join(" ") };
}

/** `doctor [GROUP [SOURCE]] [-w SECONDS] [--json]`. */
function parseDoctorArgs(opts: {
  path: string;
  timeoutMs: number;
  values: { w?: string; json?: boolean; prometheus?: boolean };
  words: string[];
}): CtlCommandLine {
  const { values } = opts;
  if (values.prometheus) {
    return { kind: "mistake", message: "doctor does not take --prometheus", usage: false };
  }
  const intervalMs = parseSeconds("-w", values.w, {
    byDefault: DEFAULT_INTERVAL_S,
    most: MAX_INTERVAL_S,
  });
  if (typeof intervalMs === "string") return { kind: "mistake", message: intervalMs, usage: false };
  const query = parseDoctorQuery(opts.words);
  if (!query.ok) return { kind: "mistake", message: query.reason, usage: false };
  return {
    kind: "doctor",
    path: opts.path,
    timeoutMs: opts.timeoutMs,
    intervalMs,
    query: query.value,
    format: values.json ? "json" : "text",
  };
}

/**
 * `FLAG SECONDS` in milliseconds (`byDefault` seconds when not given), or what is wrong with it.
 */
function parseSeconds(
  flag: string,
  value: string | undefined,
  limits: { byDefault: number; most: number },
): number | string {
  if (value === undefined) return limits.byDefault * 1000;
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!(seconds > 0) || seconds > limits.most) {
    return `${flag} ${JSON.stringify(value)}: expected seconds, above 0 and at most ${limits.most}`;
  }
  return Math.ceil(seconds * 1000);
}

/**
 * `doctor`: gathers the facts, prints the findings; {@link EXIT_PROBLEM} when one is a
 * problem. A daemon that refuses a view is {@link EXIT_REFUSED}; one out of reach is a
 * {@link ControlError} for the caller.
 */
async function runDoctor(io: CtlIo, run: DoctorRun): Promise<number> {
  let facts;
  try {
    facts = await gatherFacts({ ...run, readFile: io.readFile, runCommand: io.runCommand });
  } catch (err) {
    if (!(err instanceof DaemonRefused)) throw err;
    await io.err(`${CTL_PROGRAM}: ${err.message}\n`);
    return EXIT_REFUSED;
  }
  const findings = diagnose(facts, run.query);
  const printed = await print(
    io,
    renderFindings(findings, run.format, {
      checked: checkedSources(facts),
      compared: comparedWithKernel(facts, run.query),
    }),
  );
  if (printed !== EXIT_OK) return printed;
  return foundProblem(findings) ? EXIT_PROBLEM : EXIT_OK;
}

/**
 * An `ok` reply's body on standard output, an `error` one's on standard error; but an error
 * answered in JSON (a failed `reload --json`) goes to standard output too, for the script that
 * asked, with exit status {@link EXIT_REFUSED}.
 */
async function printReply(io: CtlIo, reply: ControlReply, format: ReplyFormat): Promise<number> {
  if (reply.ok) return await print(io, reply.body);
  if (format === "json" && reply.body.startsWith("{")) {
    const printed = await print(io, reply.body);
    return printed === EXIT_OK ? EXIT_REFUSED : printed;
  }
  const body = reply.body === "" || reply.body.endsWith("\n") ? reply.body : `${reply.body}\n`;
  await io.err(body === "" ? `${CTL_PROGRAM}: the daemon refused, with no reason\n` : body);
  return EXIT_REFUSED;
}

/**
 * `monitor`: each event line on standard output until SIGINT or SIGTERM (exit 0) or until the
 * daemon goes (a {@link ControlError}, exit 3). A reader that goes away (a closed pipe) stops
 * it as a signal would.
 */
async function runMonitor(
  io: CtlIo,
  opts: { path: string; timeoutMs: number; format: ReplyFormat },
): Promise<number> {
  const stopping = new AbortController();
  const undo = io.onStop(() => stopping.abort());
  try {
    const end = await monitor(opts.path, {
      onLine: (line) => io.out(`${line}\n`),
      signal: stopping.signal,
      format: opts.format === "json" ? "json" : "text",
      timeoutMs: opts.timeoutMs,
    });
    return end.kind === "stopped" ? EXIT_OK : await printReply(io, end.reply, "text");
  } catch (err) {
    if (err instanceof Deno.errors.BrokenPipe) return EXIT_OK;
    if (err instanceof ControlError) throw err;
    await io.err(`${CTL_PROGRAM}: cannot write to standard output: ${messageOf(err)}\n`);
    return EXIT_REFUSED;
  } finally {
    undo();
  }
}

/**
 * Writes `text` to standard output: {@link EXIT_OK}, also when the reader has gone (a closed
 * pipe, as `| head` leaves); another failure is said on standard error ({@link EXIT_REFUSED}).
 */
async function print(io: CtlIo, text: string): Promise<number> {
  try {
    await io.out(text);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof Deno.errors.BrokenPipe) return EXIT_OK;
    await io.err(`${CTL_PROGRAM}: cannot write to standard output: ${messageOf(err)}\n`);
    return EXIT_REFUSED;
  }
}

/** What a process started as tells about its name. */
export interface ProgramStart {
  /** `Deno.build.standalone`: a single executable (`deno compile`). */
  standalone: boolean;
  /** `Deno.mainModule`: the script as it was named, links not followed. */
  mainModule: string;
  /** `Deno.execPath()`: the executable, links followed on Linux. */
  execPath: string;
  /** The first word of the command line as typed (`/proc/self/cmdline`), when known. */
  argv0: string | undefined;
}

/**
 * The name the program was started as: a script's own name (`mcast-proxyctl` when run through
 * that link); for a single executable, the name it was typed as, since Linux names the target
 * of a link as the executable's path.
 *
 * @example
 * ```ts
 * programName({ standalone: false, mainModule: "file:///usr/local/sbin/mcast-proxyctl",
 *   execPath: "/usr/local/lib/mcast-proxy/deno", argv0: undefined }); // "mcast-proxyctl"
 * ```
 */
export function programName(start: ProgramStart): string {
  const path = start.standalone
    ? start.argv0 ?? start.execPath
    : decodeURIComponent(new URL(start.mainModule).pathname);
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Whether this process was started as `mcast-proxyctl` (see {@link programName}). */
export function startedAsCtl(): boolean {
  return startedAs(CTL_PROGRAM);
}

/** Whether this process was started under the program name `name` (see {@link programName}). */
export function startedAs(name: string): boolean {
  const start: ProgramStart = {
    standalone: Deno.build.standalone,
    mainModule: Deno.mainModule,
    execPath: Deno.execPath(),
    argv0: Deno.build.standalone ? commandLineArgv0() : undefined,
  };
  return programName(start) === name;
}

/** The first word of this process's command line, where /proc shows it. */
function commandLineArgv0(): string | undefined {
  try {
    const cmdline = Deno.readTextFileSync("/proc/self/cmdline");
    const argv0 = cmdline.slice(0, cmdline.indexOf("\0"));
    return argv0 === "" ? undefined : argv0;
  } catch {
    return undefined;
  }
}

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, text: string) {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += await w.write(bytes.subarray(at));
}
