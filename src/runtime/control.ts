/**
 * The daemon's answers on the control socket (mcast-proxyctl(8)): `show` reads the cores'
 * state and the kernel's counters, `reload` and `dump` return the lines they log, `log` turns
 * debug lines on or off, `monitor` streams the events. Every answer is computed between two
 * rounds of the daemon's loop, synchronously: state is never seen half changed.
 *
 * @module
 */

import { printConfig } from "../../conf/printer.ts";
import type { DumpCounters } from "../core/dump.ts";
import type { Address } from "../core/family.ts";
import { type ForwardingSample, forwardingView } from "../core/forwarding_view.ts";
import { countersView, groupsView, interfacesView, upstreamView } from "../core/status_view.ts";
import { ipv6ToBigInt, parseIPv4, parseIPv6 } from "../proto/addr.ts";
import { routingJson, routingText } from "../dvmrp/routing_view.ts";
import { renderJson, renderShow, type ShowViews } from "./control_render.ts";
import type { ControlReply, ControlRequest, ReplyFormat } from "./control_protocol.ts";
import type { ControlHandler, ControlSession, ControlStream } from "./control_server.ts";
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
  /** Monotonic clock in ms, the cores' (default `performance.now`). */
  now?: () => number;
}

type ShowRequest = Extract<ControlRequest, { command: "show" }>;

/** The daemon's {@link ControlHandler}. */
export class DaemonControl implements ControlHandler {
  readonly #opts: ControlOptions;
  readonly #now: () => number;
  /**
   * The entries' counters at each connection's last `show forwarding`, by family: its rates are
   * since then (another client's show does not move them). Gone with the connection.
   */
  readonly #samples = new WeakMap<ControlSession, Map<string, Map<string, ForwardingSample>>>();
  /**
   * The counters at the last `show forwarding` of any connection, by family: a connection's
   * first show (mcast-proxyctl asks once per connection) has its rates since then.
   */
  readonly #lastShown = new Map<string, Map<string, ForwardingSample>>();

  /** Answers for `opts.daemon`. */
  constructor(opts: ControlOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
  }

  /**
   * The reply to one request of the connection `session` (one of its own when not given: no
   * rate is kept for the next request then).
   */
  answer(
    request: ControlRequest,
    session: ControlSession = { id: 0 },
  ): ControlReply | ControlStream {
    const { daemon, log, monitor } = this.#opts;
    switch (request.command) {
      case "show":
        return this.#show(request, session);
      case "reload": {
        const { result, lines } = log.capture(() => daemon.reloadNow("Control socket reload"));
        return reply(
          result,
          request.format === "json"
            ? renderJson({ ok: result, messages: lines.map((l) => ({ ...l })) })
            : joinLines(textLines(lines)),
        );
      }
      case "log": {
        const on = request.level === "verbose";
        const was = log.debugEnabled;
        log.setDebug(on);
        daemon.setDebug(on);
        if (was !== on) log.info(`Debug logging ${on ? "on" : "off"} (control socket)`);
        return reply(
          true,
          request.format === "json"
            ? renderJson({ debug: on })
            : `debug logging ${on ? "on" : "off"}\n`,
        );
      }
      case "dump": {
        const lines = textLines(log.capture(() => daemon.dumpNow()).lines);
        return reply(
          true,
          request.format === "json" ? renderJson({ lines }) : joinLines(lines),
        );
      }
      case "monitor":
        return { start: (send) => monitor.watch(request.format, send) };
    }
  }

  /**
   * `show WHAT`: the view of every family proxied (IPv4 first), rendered; `show groups GROUP`
   * shows the group in its own family only.
   */
  #show(request: ShowRequest, session: ControlSession): ControlReply {
    if (request.what === "neighbors" || request.what === "routes" || request.what === "cache") {
      return this.#showRouting(request.what, request.format);
    }
    if (request.what === "config") {
      const text = printConfig(this.#opts.daemon.config);
      return reply(true, request.format === "json" ? renderJson({ config: text }) : text);
    }
    const now = this.#now();
    const planes = this.#opts.daemon.planes.filter((p) => p.state !== undefined);
    const states = planes.map((p) => p.state!);
    let shown: ShowViews;
    switch (request.what) {
      case "interfaces":
        shown = {
          what: "interfaces",
          views: planes.map((p) => interfacesView(p.state!, p.readCounters() ?? NO_COUNTERS, now)),
        };
        break;
      case "groups": {
        const views = [];
        for (const state of states) {
          if (request.group === undefined) views.push(groupsView(state, now));
          else {
            const group = groupAddress(state.family.name, request.group);
            if (group !== undefined) views.push(groupsView(state, now, group));
          }
        }
        shown = { what: "groups", views };
        break;
      }
      case "upstream":
        shown = { what: "upstream", views: states.map((s) => upstreamView(s)) };
        break;
      case "forwarding": {
        const byFamily = this.#samples.get(session) ?? new Map();
        this.#samples.set(session, byFamily);
        shown = {
          what: "forwarding",
          views: planes.map((p) => {
            const state = p.state!;
            const family = state.family.name;
            const previous = byFamily.get(family) ?? this.#lastShown.get(family);
            const counters = p.readCounters() ?? NO_COUNTERS;
            const { view, samples } = forwardingView(state, counters, now, previous);
            byFamily.set(family, samples);
            this.#lastShown.set(family, samples);
            return view;
          }),
        };
        break;
      }
      case "counters":
        shown = { what: "counters", views: states.map((s) => countersView(s, now)) };
        break;
    }
    return reply(true, renderShow(shown, request.format));
  }

  /** `show neighbors|routes|cache`: the routing mode's tables (mcast-routed(8)). */
  #showRouting(what: "neighbors" | "routes" | "cache", format: ReplyFormat): ControlReply {
    const router = this.#opts.daemon.planes.map((p) => p.core?.router).find((r) => r !== undefined);
    if (router === undefined) {
      return reply(false, `show ${what}: this daemon is a proxy, not a router (mcast-routed)\n`);
    }
    const now = this.#now();
    const body = format === "json"
      ? renderJson(Object.assign({}, routingJson(router, what, now)))
      : routingText(router, what, now).join("\n") + "\n";
    return reply(true, body);
  }
}

/** Counters when none could be read: every one unread. */
const NO_COUNTERS: DumpCounters<Address> = { vifs: new Map(), entries: new Map() };

/** A group's address in a family's form, or undefined when it is of the other family. */
function groupAddress(family: "ipv4" | "ipv6", text: string): Address | undefined {
  if (family === "ipv4") return parseIPv4(text);
  const bytes = parseIPv6(text);
  return bytes === undefined ? undefined : ipv6ToBigInt(bytes);
}

function reply(ok: boolean, body: string): ControlReply {
  return { ok, body };
}

/** Lines as a text body, each with its newline. */
function joinLines(lines: readonly string[]): string {
  return lines.map((l) => `${l}\n`).join("");
}

/** Captured log lines as text, warnings and fatal lines marked (`warn: …`). */
function textLines(lines: readonly CapturedLine[]): string[] {
  return lines.map((l) => l.level === "info" ? l.message : `${l.level}: ${l.message}`);
}
