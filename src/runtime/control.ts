/**
 * The daemon's answers on the control socket (mcast-proxyctl(8)): `show` reads the cores'
 * state and the kernel's counters, `reload` and `dump` return the lines they log, `log` turns
 * debug lines on or off, `monitor` streams the events. Every answer is computed between two
 * rounds of the daemon's loop, synchronously: state is never seen half changed.
 *
 * @module
 */

import { printConfig } from "../../conf/printer.ts";
import type { ControlReply, ControlRequest, ReplyFormat } from "./control_protocol.ts";
import type { ControlHandler, ControlStream } from "./control_server.ts";
import type { Daemon } from "./daemon.ts";
import type { CapturedLine, DaemonLog } from "./daemon_log.ts";
import type { Monitor } from "./monitor.ts";

/** What the answers are made from. */
export interface ControlOptions {
  /** The running daemon. */
  daemon: Daemon;
  /** Its logger (captures lines, switches debug lines). */
  log: DaemonLog;
  /** The events' watchers. */
  monitor: Monitor;
  /** Answers `show` requests but `show config` (the views and their formats). */
  show?: (request: Extract<ControlRequest, { command: "show" }>) => ControlReply;
}

/** The daemon's {@link ControlHandler}. */
export class DaemonControl implements ControlHandler {
  readonly #opts: ControlOptions;

  /** Answers for `opts.daemon`. */
  constructor(opts: ControlOptions) {
    this.#opts = opts;
  }

  /** The reply to one request. */
  answer(request: ControlRequest): ControlReply | ControlStream {
    const { daemon, log, monitor } = this.#opts;
    switch (request.command) {
      case "show":
        if (request.what === "config") {
          const text = printConfig(daemon.config);
          return reply(true, request.format === "json" ? jsonLine({ config: text }) : text);
        }
        return this.#opts.show?.(request) ??
          reply(false, `show ${request.what} is not available\n`);
      case "reload": {
        const { result, lines } = log.capture(() => daemon.reloadNow("Control socket reload"));
        return reply(result, linesBody(lines, request.format, { ok: result }));
      }
      case "log": {
        const on = request.level === "verbose";
        const was = log.debugEnabled;
        log.setDebug(on);
        daemon.setDebug(on);
        if (was !== on) log.info(`Debug logging ${on ? "on" : "off"} (control socket)`);
        return reply(true, `debug logging ${on ? "on" : "off"}\n`);
      }
      case "dump": {
        const { lines } = log.capture(() => daemon.dumpNow());
        return reply(true, linesBody(lines, "text", {}));
      }
      case "monitor":
        return { start: (send) => monitor.watch(request.format, send) };
    }
  }
}

function reply(ok: boolean, body: string): ControlReply {
  return { ok, body };
}

/**
 * Captured log lines as a reply body: in text one per line, warnings and fatal lines marked
 * (`warn: …`); in JSON `{...extra, "messages": [{level, message}]}`.
 */
function linesBody(
  lines: readonly CapturedLine[],
  format: ReplyFormat,
  extra: Record<string, unknown>,
): string {
  if (format === "json") {
    return jsonLine({ ...extra, messages: lines.map((l) => ({ ...l })) });
  }
  return lines.map((l) => l.level === "info" ? `${l.message}\n` : `${l.level}: ${l.message}\n`)
    .join("");
}

function jsonLine(value: unknown): string {
  return JSON.stringify(value) + "\n";
}
