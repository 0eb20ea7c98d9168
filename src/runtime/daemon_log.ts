/**
 * The daemon's logger as the control socket needs it: debug lines switched on and off while
 * running (`mcast-proxyctl log verbose|brief`), and the lines of one operation captured for its
 * caller (the errors of a `reload` go back to whoever asked, and to the log as always).
 *
 * @module
 */

import type { Level, Logger } from "../log.ts";

/** A captured line: its level and message. */
export interface CapturedLine {
  /** The level it was logged at. */
  level: Level;
  /** The message. */
  message: string;
}

/**
 * Wraps a logger that writes every level (debug included): this one decides whether debug
 * lines go through.
 *
 * @example
 * ```ts
 * const log = new DaemonLog(createLogger({ sink, verbosity: 1 }), false);
 * const { result, lines } = log.capture(() => daemon.reloadNow());
 * log.setDebug(true);
 * ```
 */
export class DaemonLog implements Logger {
  readonly #base: Logger;
  #debug: boolean;
  #captures: CapturedLine[][] = [];

  /** `base` must write debug lines; `debug` says whether they are written at first. */
  constructor(base: Logger, debug: boolean) {
    this.#base = base;
    this.#debug = debug;
  }

  /** Whether debug lines are written now. */
  get debugEnabled(): boolean {
    return this.#debug;
  }

  /** Turns debug lines on or off. */
  setDebug(on: boolean): void {
    this.#debug = on;
  }

  /** Logs a fatal line. */
  fatal(message: string): void {
    this.#write("fatal", message);
  }

  /** Logs a warning. */
  warn(message: string): void {
    this.#write("warn", message);
  }

  /** Logs an info line. */
  info(message: string): void {
    this.#write("info", message);
  }

  /** Logs a debug line when they are on. */
  debug(message: string): void {
    if (this.#debug) this.#write("debug", message);
  }

  /**
   * Runs `fn` and returns its result with the lines (fatal, warn and info; debug ones only
   * when they are on) logged meanwhile. The lines are logged as well.
   */
  capture<T>(fn: () => T): { result: T; lines: CapturedLine[] } {
    const lines: CapturedLine[] = [];
    this.#captures.push(lines);
    try {
      return { result: fn(), lines };
    } finally {
      this.#captures.splice(this.#captures.indexOf(lines), 1);
    }
  }

  #write(level: Level, message: string): void {
    for (const c of this.#captures) c.push({ level, message });
    this.#base[level](message);
  }
}
