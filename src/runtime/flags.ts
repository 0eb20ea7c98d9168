/**
 * The daemon's command line: the flags it takes, the usage text, and what a mistake is in the
 * daemon's words (`node:util`'s `parseArgs` names a one-letter flag as `--f <value>` and says
 * it in its own phrasing; operators type `-f`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { checkMacroName } from "../../conf/lexer.ts";
import { messageOf } from "../log.ts";
import { DEFAULT_CONTROL_SOCKET } from "./control_protocol.ts";

export { DEFAULT_CONTROL_SOCKET };

/** Default configuration file, as on OpenBSD. */
export const DEFAULT_CONF = "/etc/mcast-proxy.conf";

/** The usage text: on stdout for `-h`, on stderr after a command-line mistake. */
export const USAGE = `usage: mcast-proxy [-dnv] [-D macro=value] [-f file | --conf file]
                   [-r socket] [-s socket]
       mcast-proxy -h | --help | --version
  -d              log to stderr instead of syslog
  -D macro=value  define a macro, overriding the configuration file
  -f, --conf file configuration file (default ${DEFAULT_CONF})
  -n              check the configuration and exit (with -v, print it)
  -r socket       also a read-only control socket, for anyone (show and monitor only)
  -s socket       control socket (default ${DEFAULT_CONTROL_SOCKET})
  -v              verbose: log every packet and change (debug)
  -h, --help      print this help
  --version       print the version`;

/** How the daemon runs, from its flags. */
export interface Flags {
  /** `-d`: log to stderr instead of syslog. */
  foreground: boolean;
  /** `-n`: check the configuration and exit. */
  checkOnly: boolean;
  /** How many `-v`: 1 or more logs every packet and change, and `-n` prints the configuration. */
  verbosity: number;
  /** The configuration file: `-f` or `--conf`, else {@link DEFAULT_CONF}. */
  file: string;
  /** The `-D macro=value` definitions, by macro name (the last one of a name wins). */
  macros: Record<string, string>;
  /** `-s`: the control socket's path, else {@link DEFAULT_CONTROL_SOCKET}. */
  controlSocket: string;
  /** `-r`: a read-only control socket's path (`show` and `monitor` only, mode 0666), if any. */
  readOnlySocket?: string;
}

/**
 * What the command line asks for: to run (or check, with `-n`), the help, the version, or
 * nothing because of a mistake. A mistake's `message` has no program name; `usage` says
 * whether the usage text follows it.
 */
export type CommandLine =
  | { kind: "run"; flags: Flags }
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "mistake"; message: string; usage: boolean };

/**
 * Reads the command line. `-h` and `--version` win over the other flags' values (a bad `-D`
 * with `-h` prints the help); a flag `parseArgs` refuses is a mistake before anything else.
 *
 * @example
 * ```ts
 * parseFlags(["-dv", "-f", "/tmp/x.conf"]);
 * // { kind: "run", flags: { foreground: true, checkOnly: false, verbosity: 1,
 * //   file: "/tmp/x.conf", macros: {}, controlSocket: "/var/run/mcast-proxy.sock" } }
 * ```
 */
export function parseFlags(args: string[]): CommandLine {
  let values;
  try {
    values = parseArgs({
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
        s: { type: "string" },
        r: { type: "string" },
        h: { type: "boolean" },
        help: { type: "boolean" },
        version: { type: "boolean" },
      },
    }).values;
  } catch (err) {
    return { kind: "mistake", message: flagErrorMessage(err), usage: true };
  }
  if (values.h || values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const macros = parseMacros(values.D ?? []);
  if (typeof macros === "string") return { kind: "mistake", message: macros, usage: false };
  if (values.f !== undefined && values.conf !== undefined && values.f !== values.conf) {
    const message = "-f and --conf name different files: give one of them";
    return { kind: "mistake", message, usage: true };
  }
  const flags: Flags = {
    foreground: values.d ?? false,
    checkOnly: values.n ?? false,
    verbosity: values.v?.length ?? 0,
    file: values.conf ?? values.f ?? DEFAULT_CONF,
    macros,
    controlSocket: values.s ?? DEFAULT_CONTROL_SOCKET,
    ...(values.r === undefined ? {} : { readOnlySocket: values.r }),
  };
  if (flags.controlSocket === "" || flags.readOnlySocket === "") {
    return {
      kind: "mistake",
      message: `${values.s === "" ? "-s" : "-r"} needs a path`,
      usage: true,
    };
  }
  if (flags.readOnlySocket === flags.controlSocket) {
    const message = "-r and -s name the same socket: the read-only one needs its own path";
    return { kind: "mistake", message, usage: true };
  }
  return { kind: "run", flags };
}

/** The `-D macro=value` definitions by name, or what is wrong with the first bad one. */
function parseMacros(defs: string[]): Record<string, string> | string {
  const macros: Record<string, string> = {};
  for (const def of defs) {
    const eq = def.indexOf("=");
    if (eq <= 0) return `-D ${def}: expected macro=value`;
    const problem = checkMacroName(def.slice(0, eq));
    if (problem !== undefined) return `-D ${def}: ${problem}`;
    macros[def.slice(0, eq)] = def.slice(eq + 1);
  }
  return macros;
}

/** A flag as typed: `-f` for one letter, `--conf` for a word. */
function asTyped(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/**
 * The message for an error thrown by `parseArgs` (by its `code`), or the error's own message
 * for anything else.
 *
 * @example
 * ```ts
 * flagErrorMessage(Object.assign(new TypeError("Option '--f <value>' argument missing"), {
 *   code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
 * }));
 * // "option -f needs a value"
 * ```
 */
export function flagErrorMessage(err: unknown): string {
  const message = messageOf(err);
  const code = (err as { code?: unknown } | null)?.code;
  const option = /Option '(?:-\w, )?--([^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option !== undefined) {
    if (message.includes("argument missing")) return `option ${asTyped(option)} needs a value`;
    if (message.includes("does not take an argument")) {
      return `option ${asTyped(option)} takes no value`;
    }
  }
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const flag = /Unknown option '([^']*)'/.exec(message)?.[1];
    if (flag !== undefined) return `unknown option ${flag}`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const arg = /Unexpected argument '([^']*)'/.exec(message)?.[1];
    if (arg !== undefined) return `unexpected argument "${arg}"`;
  }
  return message;
}
