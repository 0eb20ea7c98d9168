/**
 * Logging: fatal/warn/info/debug lines to a sink (stderr in the foreground).
 *
 * Timestamps are UTC ISO 8601, so they do not depend on the time zone of the jail.
 *
 * @module
 */

/** Severity, most severe first. */
export type Level = "fatal" | "warn" | "info" | "debug";

/** Where formatted lines go. */
export type LogSink = (level: Level, line: string) => void;

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

/** Builds a logger; `verbosity` ≥ 1 enables debug lines. */
export function createLogger(
  opts: { sink: LogSink; verbosity: number; clock?: () => Date },
): Logger {
  const clock = opts.clock ?? (() => new Date());
  const write = (level: Level, message: string) => {
    opts.sink(level, `${clock().toISOString()} ${level}: ${message}`);
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
