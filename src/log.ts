/**
 * Logging: fatal/warn/info/debug lines to a sink: stderr in the foreground (`-d`), syslog
 * (facility daemon, with the pid) otherwise.
 *
 * Timestamps on stderr are UTC ISO 8601, so they do not depend on the time zone of the jail;
 * syslog lines carry none (the syslog daemon stamps them on arrival).
 *
 * @module
 */

/**
 * The message of a thrown value: an `Error`'s message, anything else as a string.
 *
 * @example
 * ```ts
 * messageOf(new Error("no such file")); // "no such file"
 * messageOf("gone"); // "gone"
 * ```
 */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The errno name a failed call carries in its `code` (`EEXIST`), or else {@link messageOf}: the
 * short form for log lines that already say which call failed.
 *
 * @example
 * ```ts
 * const err = Object.assign(new Error("setsockopt(MRT_ADD_MFC): EEXIST"), { code: "EEXIST" });
 * errnoOrMessageOf(err); // "EEXIST"
 * errnoOrMessageOf(new Error("no route")); // "no route"
 * ```
 */
export function errnoOrMessageOf(err: unknown): string {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : messageOf(err);
}

/** Severity, most severe first. */
export type Level = "fatal" | "warn" | "info" | "debug";

/**
 * Where formatted lines go: `line` is the stderr form (`TIMESTAMP level: message`), `message`
 * the message alone.
 */
export type LogSink = (level: Level, line: string, message: string) => void;

/** A logger. */
export interface Logger {
  /** Startup failure, before the caller exits 1. */
  fatal(message: string): void;
  /** A failure the daemon survives. */
  warn(message: string): void;
  /** Lifecycle: start, stop, interfaces, reload. */
  info(message: string): void;
  /** Per packet and per transition; only with `-v`. */
  debug(message: string): void;
  /** Whether debug lines are written. */
  readonly debugEnabled: boolean;
}

/** Writes a line to stderr synchronously. */
export function stderrSink(): LogSink {
  const enc = new TextEncoder();
  return (_level, line) => {
    Deno.stderr.writeSync(enc.encode(line + "\n"));
  };
}

/** Facility LOG_DAEMON (3), shifted as syslog(3) does. */
const LOG_DAEMON = 3 << 3;

/** syslog(3) severities of the levels: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
export const SYSLOG_SEVERITY: Readonly<Record<Level, number>> = {
  fatal: 3,
  warn: 4,
  info: 6,
  debug: 7,
};

/**
 * The syslog message for a log line, as syslog(3) with LOG_PID writes it without a timestamp:
 * `<PRI>ident[pid]: message`, facility daemon.
 *
 * @example
 * ```ts
 * formatSyslog({ level: "warn", message: "x", ident: "mcast-proxy", pid: 42 });
 * // "<28>mcast-proxy[42]: x"
 * ```
 */
export function formatSyslog(
  opts: { level: Level; message: string; ident: string; pid: number },
): string {
  return `<${LOG_DAEMON | SYSLOG_SEVERITY[opts.level]}>${opts.ident}[${opts.pid}]: ${opts.message}`;
}

/**
 * Sends each message to syslog with `send` (which returns false when it could not); a message
 * that could not be sent goes to stderr instead, and fatal ones go to stderr as well, for whoever
 * started the daemon by hand.
 */
export function syslogSink(
  opts: { send: (message: string) => boolean; ident: string; pid: number },
): LogSink {
  const stderr = stderrSink();
  return (level, line, message) => {
    const sent = opts.send(formatSyslog({ level, message, ident: opts.ident, pid: opts.pid }));
    if (!sent || level === "fatal") stderr(level, line, message);
  };
}

/** Builds a logger; `verbosity` ≥ 1 enables debug lines. */
export function createLogger(
  opts: { sink: LogSink; verbosity: number; clock?: () => Date },
): Logger {
  const clock = opts.clock ?? (() => new Date());
  const write = (level: Level, message: string) => {
    opts.sink(level, `${clock().toISOString()} ${level}: ${message}`, message);
  };
  const debugEnabled = opts.verbosity >= 1;
  return {
    fatal: (m) => write("fatal", m),
    warn: (m) => write("warn", m),
    info: (m) => write("info", m),
    debug: (m) => {
      if (debugEnabled) write("debug", m);
    },
    debugEnabled,
  };
}
