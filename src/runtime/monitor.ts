/**
 * `mcast-proxyctl monitor`: one line per event an operator watches, to every client that
 * asked, as the events happen. The events come from the cores' notices (a LAN's member came or
 * went, a querier changed, a new source) and from the actions the runtime executes (a VIF added
 * or removed, a forwarding entry added or removed, a group joined or left upstream).
 *
 * A line in text: `TIME EVENT WHAT`, e.g.
 * `2026-12-05T21:04:05.123Z member-join 239.1.1.1 on "dn1"`. In JSON, one object per line:
 * `{"version": 1, "time", "event", "family"}` (the schema version of the `show` views) and the
 * fields of the event: `interface`, `group`, `source`, `input` and `outputs` (interface names),
 * `querier` and `self`, `filter` (`{mode, sources}`). `entry-added` is also an entry whose
 * outputs changed (the kernel replaces it in place).
 *
 * What an event is made of is pure ({@link noticeEvent}, {@link actionEvent},
 * {@link describeEvent}, {@link eventJson}); the {@link Monitor} stamps and sends it.
 *
 * @module
 */

import type { Action } from "../core/actions.ts";
import type { Address } from "../core/family.ts";
import type { Notice, ProxyState } from "../core/proxy.ts";
import { STATUS_SCHEMA_VERSION } from "../core/status_view.ts";
import type { ReplyFormat } from "./control_protocol.ts";

/** The names of the events. */
export type MonitorEventName =
  | "interface-up"
  | "interface-down"
  | "member-join"
  | "member-leave"
  | "querier"
  | "new-source"
  | "entry-added"
  | "entry-removed"
  | "upstream-join"
  | "upstream-leave";

/** One event, as the JSON form writes it (addresses and names as strings). */
export interface MonitorEvent {
  /** When (ISO 8601, UTC). */
  time: string;
  /** What happened. */
  event: MonitorEventName;
  /** "ipv4" or "ipv6". */
  family: "ipv4" | "ipv6";
  /** The interface concerned (for entries: none; see `input`, `outputs`). */
  interface?: string;
  /** The group. */
  group?: string;
  /** The source. */
  source?: string;
  /** An entry's input interface. */
  input?: string;
  /** An entry's output interfaces. */
  outputs?: string[];
  /** The querier's address (`querier` events). */
  querier?: string;
  /** Whether the querier is this daemon. */
  self?: boolean;
  /** The source filter joined upstream (`upstream-join`). */
  filter?: { mode: "include" | "exclude"; sources: string[] };
}

/** An event before it is stamped: what happened, and where. */
export type EventFields = Omit<MonitorEvent, "time">;

/** A watcher: how it wants its lines, and where they go. */
interface Watcher {
  format: ReplyFormat;
  send: (line: string) => void;
}

/** The watchers, and the turning of notices and actions into their lines. */
export class Monitor {
  readonly #watchers = new Set<Watcher>();
  readonly #clock: () => Date;

  /** `clock` stamps the events (default: the wall clock). */
  constructor(clock: () => Date = () => new Date()) {
    this.#clock = clock;
  }

  /** Whether anyone watches (the cores collect notices only then). */
  get watched(): boolean {
    return this.#watchers.size > 0;
  }

  /** Adds a watcher; returns the function that removes it. */
  watch(format: ReplyFormat, send: (line: string) => void): () => void {
    const w: Watcher = { format, send };
    this.#watchers.add(w);
    return () => this.#watchers.delete(w);
  }

  /** Tells the watchers about a core's notice. */
  notice<A extends Address>(state: ProxyState<A>, n: Notice<A>): void {
    if (this.#watchers.size === 0) return;
    this.#emit(noticeEvent(state, n));
  }

  /** Tells the watchers about an executed action that is an event. */
  action<A extends Address>(state: ProxyState<A>, a: Action<A>): void {
    if (this.#watchers.size === 0) return;
    const fields = actionEvent(state, a);
    if (fields !== undefined) this.#emit(fields);
  }

  #emit(fields: EventFields): void {
    const { event, family, ...rest } = fields;
    const stamped: MonitorEvent = { time: this.#clock().toISOString(), event, family, ...rest };
    let text: string | undefined;
    let json: string | undefined;
    for (const w of [...this.#watchers]) {
      if (w.format === "json") w.send(json ??= eventJson(stamped));
      else w.send(text ??= describeEvent(stamped));
    }
  }
}

/** The event of a core's notice (a member came or went, a querier changed, a new source). */
export function noticeEvent<A extends Address>(
  state: ProxyState<A>,
  n: Notice<A>,
): EventFields {
  const { format, name: family } = state.family;
  const vif = vifName(state, n.vifi);
  switch (n.kind) {
    case "member-join":
    case "member-leave":
      return { event: n.kind, family, interface: vif, group: format(n.group) };
    case "querier":
      return { event: "querier", family, interface: vif, querier: format(n.querier), self: n.self };
    case "new-source":
      return {
        event: "new-source",
        family,
        interface: vif,
        source: format(n.source),
        group: format(n.group),
      };
  }
}

/**
 * The event of an action the runtime executed (a VIF added or removed, a forwarding entry
 * added, changed or removed, a group joined or left upstream); undefined for the others.
 */
export function actionEvent<A extends Address>(
  state: ProxyState<A>,
  a: Action<A>,
): EventFields | undefined {
  const { format, name: family } = state.family;
  switch (a.kind) {
    case "addVif":
      return { event: "interface-up", family, interface: a.name };
    case "delVif":
      return { event: "interface-down", family, interface: a.name };
    case "addMfc":
      return {
        event: "entry-added",
        family,
        source: format(a.source),
        group: format(a.group),
        input: vifName(state, a.parent),
        outputs: a.oifs.map((o) => vifName(state, o.vifi)),
      };
    case "delMfc":
      return { event: "entry-removed", family, source: format(a.source), group: format(a.group) };
    case "join":
      return {
        event: "upstream-join",
        family,
        interface: a.name,
        group: format(a.group),
        filter: a.filter === undefined
          ? { mode: "exclude", sources: [] }
          : { mode: a.filter.mode, sources: a.filter.sources.map(format) },
      };
    case "leave":
      return { event: "upstream-leave", family, interface: a.name, group: format(a.group) };
    default:
      return undefined;
  }
}

/** The JSON line of an event (without its newline): the schema version first. */
export function eventJson(e: MonitorEvent): string {
  return JSON.stringify({ version: STATUS_SCHEMA_VERSION, ...e });
}

/** The text line of an event. */
export function describeEvent(e: MonitorEvent): string {
  const on = e.interface === undefined ? "" : ` on "${e.interface}"`;
  const ip = e.family === "ipv6" ? " (IPv6)" : "";
  const sg = `(${e.source}, ${e.group})`;
  let what: string;
  switch (e.event) {
    case "interface-up":
    case "interface-down":
      what = `"${e.interface}"`;
      break;
    case "member-join":
    case "member-leave":
    case "upstream-leave":
      what = `${e.group}${on}`;
      break;
    case "upstream-join": {
      const f = e.filter;
      const filter = f === undefined || (f.mode === "exclude" && f.sources.length === 0)
        ? "any source"
        : `${f.mode} ${f.sources.join(", ")}`;
      what = `${e.group}${on}: ${filter}`;
      break;
    }
    case "querier":
      what = `${e.querier}${on}${e.self ? " (us)" : ""}`;
      break;
    case "new-source":
      what = `${sg}${on}`;
      break;
    case "entry-added":
      what = `${sg} from "${e.input}" to ${
        e.outputs?.length ? e.outputs.map((o) => `"${o}"`).join(", ") : "no interface"
      }`;
      break;
    case "entry-removed":
      what = sg;
      break;
  }
  return `${e.time} ${e.event} ${what}${ip}`;
}

function vifName<A extends Address>(state: ProxyState<A>, vifi: number): string {
  return state.vifs.get(vifi)?.name ?? `${state.family.vifWord.toLowerCase()}${vifi}`;
}
