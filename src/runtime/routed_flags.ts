/**
 * The command line of the routing mode, `mcast-routed`, as mrouted(8) has it:
 * `[-p] [-c config_file] [-d [debug_level]]`, plus the project's control sockets (`-s`, `-r`)
 * and `-n` (check the configuration and exit).
 *
 * @module
 */

import { DEFAULT_CONTROL_SOCKET as PROXY_SOCKET } from "./control_protocol.ts";
import type { CommandLine, Flags } from "./flags.ts";

/** Default configuration file, as mrouted's. */
export const DEFAULT_ROUTED_CONF = "/etc/mrouted.conf";

/** Default control socket of the routing mode (the proxy's has its own name). */
export const DEFAULT_ROUTED_SOCKET = PROXY_SOCKET.replace(
  /mcast-proxy\.sock$/,
  "mcast-routed.sock",
);

/** The usage text. */
export const ROUTED_USAGE =
  `usage: mcast-routed [-np] [-c config_file] [-d [debug_level]] [-r socket] [-s socket]
                    [-t chroot] [-u user]
       mcast-routed -h | --help | --version
  -c file   configuration file (default ${DEFAULT_ROUTED_CONF}); -f is the same
  -d [N]    stay in the foreground and log to stderr; a level of 2 or more (the default 2)
            logs every message and change (debug)
  -n        check the configuration and exit
  -p        do not prune: act as a non-pruning router
  -r socket also a read-only control socket, for anyone (show and monitor only)
  -s socket control socket (default ${DEFAULT_ROUTED_SOCKET})
  -t dir    the jail once started (default: the user's home directory)
  -u user   the user to run as once started (default the proxy's)
  -h        print this help
  --version print the version`;

/** The routing mode's flags: the daemon's, and `-p`. */
export interface RoutedFlags extends Flags {
  /** `-p`: never send prunes. */
  nonPruning: boolean;
  /** `-u`: the user to run as (mrouted.conf has no such statement). */
  user?: string;
  /** `-t`: the jail. */
  chroot?: string;
}

/** What the routing mode's command line asks for. */
export type RoutedCommandLine =
  | { kind: "run"; flags: RoutedFlags }
  | Exclude<CommandLine, { kind: "run" }>;

/**
 * Reads the routing mode's command line. `-d` takes an optional level: the next word when it
 * is a number (`-d 3`), or glued (`-d3`); without one it is 2, as mrouted's. Letters combine
 * (`-pd`, `-dp`).
 *
 * @example
 * ```ts
 * parseRoutedFlags(["-p", "-c", "/tmp/m.conf", "-d"]);
 * // { kind: "run", flags: { foreground: true, verbosity: 1, nonPruning: true, file: "/tmp/m.conf", ... } }
 * ```
 */
export function parseRoutedFlags(args: readonly string[]): RoutedCommandLine {
  const flags: RoutedFlags = {
    foreground: false,
    checkOnly: false,
    verbosity: 0,
    file: DEFAULT_ROUTED_CONF,
    macros: {},
    controlSocket: DEFAULT_ROUTED_SOCKET,
    nonPruning: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-h" || arg === "--help") return { kind: "help" };
    if (arg === "--version") return { kind: "version" };
    if (!/^-[a-z]/.test(arg)) return mistake(`unexpected argument "${arg}"`);
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j];
      const rest = arg.slice(j + 1);
      switch (letter) {
        case "p":
          flags.nonPruning = true;
          continue;
        case "n":
          flags.checkOnly = true;
          continue;
        case "d": {
          flags.foreground = true;
          let level = 2;
          if (/^\d+$/.test(rest)) level = Number(rest);
          else if (rest === "" && /^\d+$/.test(args[i + 1] ?? "")) level = Number(args[++i]);
          else if (rest !== "") return mistake(`-d takes a number, not "${rest}"`);
          flags.verbosity = level >= 2 ? 1 : 0;
          j = arg.length;
          continue;
        }
        case "c":
        case "f":
        case "s":
        case "r":
        case "t":
        case "u": {
          const value = rest !== "" ? rest : args[++i];
          if (value === undefined || value === "") return mistake(`-${letter} needs a value`);
          if (letter === "c" || letter === "f") flags.file = value;
          else if (letter === "s") flags.controlSocket = value;
          else if (letter === "r") flags.readOnlySocket = value;
          else if (letter === "t") flags.chroot = value;
          else flags.user = value;
          j = arg.length;
          continue;
        }
        default:
          return mistake(`unknown option -${letter}`);
      }
    }
  }
  if (flags.readOnlySocket === flags.controlSocket) {
    return mistake("-r and -s name the same socket: the read-only one needs its own path");
  }
  return { kind: "run", flags };
}

function mistake(message: string): RoutedCommandLine {
  return { kind: "mistake", message, usage: true };
}
