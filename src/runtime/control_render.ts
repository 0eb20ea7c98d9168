/**
 * The bodies of the control socket's `show` replies, from the status views of every family
 * (`src/core/status_view.ts`, `src/core/forwarding_view.ts`): tables for people, JSON for
 * scripts (`{"version": 1, KIND: [...]}`, schema version 1 as the views document it), and, for
 * `show counters --prometheus`, Prometheus' text exposition format.
 *
 * Pure. IPv4 comes before IPv6 whatever order the views are given in; a table with no row says
 * so in a sentence; every body ends with a newline.
 *
 * @example
 * ```ts
 * renderShow({ what: "groups", views: [groupsView(v4, now), groupsView(v6, now)] }, "text");
 * // " Family  Interface  Group      Mode     Timer  Compat  Reporter   SSM  Sources\n" +
 * // " IPv4    dn1        239.1.1.1  exclude  4m08s  IGMPv2  10.1.0.12  no   any\n" ...
 * renderShow({ what: "counters", views: [countersView(v4)] }, "prometheus");
 * // "# HELP mcast_proxy_packets_total ...\n# TYPE mcast_proxy_packets_total counter\n" ...
 * ```
 *
 * @module
 */

import type { ForwardingView, VifRef } from "../core/forwarding_view.ts";
import {
  type CountersView,
  type FamilyName,
  type GroupsView,
  type GroupView,
  type InterfacesView,
  type InterfaceView,
  STATUS_SCHEMA_VERSION,
  type UpstreamView,
} from "../core/status_view.ts";
import { type Column, formatAge, renderTable } from "../core/text_table.ts";
import type { ReplyFormat, ShowWhat } from "./control_protocol.ts";

/** The views of every family that a `show` request shows (`show config` is not a view). */
export type ShowViews =
  | { what: "interfaces"; views: readonly InterfacesView[] }
  | { what: "groups"; views: readonly GroupsView[] }
  | { what: "upstream"; views: readonly UpstreamView[] }
  | { what: "forwarding"; views: readonly ForwardingView[] }
  | { what: "counters"; views: readonly CountersView[] };

/** The requests {@link ShowViews} answers. */
export type ShownWhat = Exclude<ShowWhat, "config" | "neighbors" | "routes" | "cache">;

/** Formats of every view but the counters. */
export type ViewFormat = Exclude<ReplyFormat, "prometheus">;

/**
 * The body of the reply to `show WHAT`. Only the counters have a Prometheus form: asking it of
 * another view (which the request parser refuses) throws `RangeError`.
 */
export function renderShow(shown: ShowViews, format: ReplyFormat): string {
  if (shown.what === "counters") return renderCounters(shown.views, format);
  if (format === "prometheus") throw new RangeError(`show ${shown.what} has no Prometheus form`);
  switch (shown.what) {
    case "interfaces":
      return renderInterfaces(shown.views, format);
    case "groups":
      return renderGroups(shown.views, format);
    case "upstream":
      return renderUpstream(shown.views, format);
    case "forwarding":
      return renderForwarding(shown.views, format);
  }
}

/**
 * `show interfaces`: one row per VIF (MIF), that is per interface in use, with the querier of
 * each LAN (`self`, or the other querier and how long it has left), the upstream router (the
 * last querier heard upstream, and how long ago), and the kernel's packet counters (`-` where
 * unread; the bytes are in the JSON form).
 */
export function renderInterfaces(views: readonly InterfacesView[], format: ViewFormat): string {
  const rows = inFamilyOrder(views).flatMap((v) => v.interfaces);
  if (format === "json") return json("interfaces", rows);
  if (rows.length === 0) return "No interface is in use.\n";
  return table(
    [
      { title: "Family" },
      { title: "Vif", right: true },
      { title: "Interface" },
      { title: "Role" },
      { title: "Address" },
      { title: "Subnets" },
      { title: "Thresh", right: true },
      { title: "Version" },
      { title: "Querier" },
      { title: "Groups", right: true },
      { title: "Pkts-in", right: true },
      { title: "Pkts-out", right: true },
      { title: "Boundaries" },
    ],
    rows.map((i) => [
      familyWord(i.family),
      String(i.vif),
      i.name,
      i.role,
      i.address,
      list(i.subnets),
      orDash(i.threshold),
      i.queryVersion ?? "-",
      describeQuerier(i),
      String(i.groups),
      orDash(i.packetsIn),
      orDash(i.packetsOut),
      list(i.boundaries),
    ]),
  );
}

/**
 * A LAN's querier: `self`, or `10.1.0.11, 4m05s left`; `, IGMPv1 router` when one is present.
 * Upstream, the router last heard querying there: `10.0.0.254, heard 6s ago`, or `none heard`.
 */
function describeQuerier(i: InterfaceView): string {
  const q = i.querier;
  if (q === null) {
    const r = i.upstreamRouter;
    return r === null ? "none heard" : `${r.address}, heard ${age(r.heardAgo)} ago`;
  }
  const who = q.self ? "self" : `${q.address}, ${age(q.otherQuerierTimer)} left`;
  return q.v1RouterPresent ? `${who}, IGMPv1 router` : who;
}

/**
 * `show groups`: one row per group and LAN, its sources one per line below it (the first on
 * the group's own line): `10.0.0.2 4m19s`, `10.0.0.3 excluded`, or `any` for EXCLUDE {}.
 */
export function renderGroups(views: readonly GroupsView[], format: ViewFormat): string {
  const groups = inFamilyOrder(views).flatMap((v) => v.groups);
  if (format === "json") return json("groups", groups);
  if (groups.length === 0) return "No group has members.\n";
  return table(GROUP_COLUMNS, groups.flatMap(groupRows));
}

/** The columns of `show groups`: the sources come last. */
const GROUP_COLUMNS: readonly Column[] = [
  { title: "Family" },
  { title: "Interface" },
  { title: "Group" },
  { title: "Mode" },
  { title: "Timer", right: true },
  { title: "Compat" },
  { title: "Reporter" },
  { title: "SSM" },
  { title: "Sources" },
];

/** A group's rows: the first names the group and a source, the others a source each. */
function groupRows(g: GroupView): string[][] {
  const sources = g.sources.map((s) => `${s.address} ${s.excluded ? "excluded" : age(s.timer)}`);
  const [first, ...more] = sources.length === 0 ? ["any"] : sources;
  return [
    [
      familyWord(g.family),
      g.interface,
      g.group,
      g.mode,
      g.groupTimer === null ? "-" : age(g.groupTimer),
      g.compatibility,
      g.lastReporter ?? "-",
      g.ssm ? "yes" : "no",
      first,
    ],
    ...more.map((s) => [...Array<string>(GROUP_COLUMNS.length - 1).fill(""), s]),
  ];
}

/**
 * `show upstream`: each family's upstream interface in a line, then the groups joined on it
 * with their filters (`any source`, `include 10.0.0.2 10.0.0.3`, `exclude 10.0.0.3`).
 */
export function renderUpstream(views: readonly UpstreamView[], format: ViewFormat): string {
  const ordered = inFamilyOrder(views);
  if (format === "json") return json("upstream", ordered);
  const lines = ordered.map((v) => {
    const i = v.interface;
    if (i === null) return `${familyWord(v.family)} upstream: none`;
    const n = v.groups.length;
    return `${familyWord(v.family)} upstream: ${i.name} (vif ${i.vif}, ${i.address}), ` +
      `${n} ${n === 1 ? "group" : "groups"} joined`;
  });
  const rows = ordered.flatMap((v) =>
    v.groups.map((g) => [
      familyWord(v.family),
      g.group,
      g.mode === "exclude" && g.sources.length === 0
        ? "any source"
        : `${g.mode} ${g.sources.join(" ")}`,
    ])
  );
  const groups = rows.length === 0
    ? "No group is joined upstream.\n"
    : table([{ title: "Family" }, { title: "Group" }, { title: "Filter" }], rows);
  return lines.map((l) => `${l}\n`).join("") + groups;
}

/**
 * `show forwarding`: one row per installed entry (its interfaces by name, its counters and rates,
 * `-` where unread, its age), then the sources known without an entry, if any.
 */
export function renderForwarding(views: readonly ForwardingView[], format: ViewFormat): string {
  const ordered = inFamilyOrder(views);
  if (format === "json") return json("forwarding", ordered);
  const entries = ordered.flatMap((v) => v.entries.map((e) => ({ family: v.family, ...e })));
  const waiting = ordered.flatMap((v) => v.waiting.map((w) => ({ family: v.family, ...w })));
  let out = entries.length === 0 ? "No forwarding entry is installed.\n" : table(
    [
      { title: "Family" },
      { title: "Source" },
      { title: "Group" },
      { title: "In" },
      { title: "Out" },
      { title: "Packets", right: true },
      { title: "Bytes", right: true },
      { title: "Pkts/s", right: true },
      { title: "Bytes/s", right: true },
      { title: "Age", right: true },
    ],
    entries.map((e) => [
      familyWord(e.family),
      e.source,
      e.group,
      vifName(e.input),
      e.outputs.length === 0 ? "-" : e.outputs.map(vifName).join(" "),
      orDash(e.packets),
      orDash(e.bytes),
      e.packetRate === null ? "-" : e.packetRate.toFixed(1),
      e.byteRate === null ? "-" : e.byteRate.toFixed(1),
      age(e.age),
    ]),
  );
  if (waiting.length > 0) {
    const n = waiting.length;
    out += `Sources without an entry (${n} ${n === 1 ? "source" : "sources"}):\n` + table(
      [{ title: "Family" }, { title: "Source" }, { title: "Group" }, { title: "In" }, {
        title: "Idle",
        right: true,
      }],
      waiting.map((w) => [familyWord(w.family), w.source, w.group, vifName(w.input), age(w.idle)]),
    );
  }
  return out;
}

/** A VIF of an entry by its interface's name, or `vif N` when it is gone. */
function vifName(v: VifRef): string {
  return v.name ?? `vif ${v.vif}`;
}

/**
 * `show counters`: per family the packets, upcalls and drops, then the drops by reason (only
 * those counted; JSON and Prometheus have every reason, 0 included).
 */
export function renderCounters(views: readonly CountersView[], format: ReplyFormat): string {
  const ordered = inFamilyOrder(views);
  if (format === "json") return json("counters", ordered);
  if (format === "prometheus") return renderPrometheus(ordered);
  if (ordered.length === 0) return "No counters.\n";
  const totals = table(
    [{ title: "Family" }, { title: "Packets", right: true }, { title: "Upcalls", right: true }, {
      title: "Dropped",
      right: true,
    }],
    ordered.map((v) => [
      familyWord(v.family),
      String(v.packets),
      String(v.upcalls),
      String(Object.values(v.drops).reduce((a, b) => a + b, 0)),
    ]),
  );
  const drops = ordered.flatMap((v) =>
    Object.entries(v.drops).filter(([, n]) => n > 0).map(([reason, n]) => [
      familyWord(v.family),
      reason,
      String(n),
    ])
  );
  return totals + (drops.length === 0 ? "No input was dropped.\n" : "Drops by reason:\n" +
    table([{ title: "Family" }, { title: "Reason" }, { title: "Count", right: true }], drops));
}

/** One metric of the Prometheus form: its name, help, and a sample per family (and reason). */
interface Metric {
  name: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/**
 * The counters in Prometheus' text exposition format (version 0.0.4): per metric a HELP and a
 * TYPE line then its samples, labelled by `family` (and `reason`).
 */
function renderPrometheus(views: readonly CountersView[]): string {
  const metrics: Metric[] = [
    {
      name: "mcast_proxy_packets_total",
      help: "IGMP and MLD packets that passed validation and reached the protocol.",
      samples: views.map((v) => ({ labels: { family: v.family }, value: v.packets })),
    },
    {
      name: "mcast_proxy_upcalls_total",
      help: "Kernel upcalls accepted (data of a source and group without a forwarding entry).",
      samples: views.map((v) => ({ labels: { family: v.family }, value: v.upcalls })),
    },
    {
      name: "mcast_proxy_drops_total",
      help: "Inputs dropped, by reason.",
      samples: views.flatMap((v) =>
        Object.entries(v.drops).map(([reason, value]) => ({
          labels: { family: v.family, reason },
          value,
        }))
      ),
    },
  ];
  return metrics.map((m) =>
    `# HELP ${m.name} ${escapeHelp(m.help)}\n# TYPE ${m.name} counter\n` +
    m.samples.map((s) => `${m.name}{${formatLabels(s.labels)}} ${s.value}\n`).join("")
  ).join("");
}

/** Labels as `family="ipv4",reason="own-packet"`. */
function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",");
}

/** A label value escaped as the format wants: backslash, double quote, newline. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A HELP text escaped: backslash, newline. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** The top-level JSON object of a view's reply, with the schema version. */
function json(kind: ShownWhat, items: readonly unknown[]): string {
  return renderJson({ [kind]: items });
}

/**
 * A `--json` reply's body: one object in one line, the schema version first, then `fields`
 * (`show config`, `reload`, `log` and `dump` answer this way, and each view of `show`).
 *
 * @example
 * ```ts
 * renderJson({ debug: true }); // '{"version":1,"debug":true}\n'
 * ```
 */
export function renderJson(fields: Readonly<Record<string, unknown>>): string {
  return JSON.stringify({ version: STATUS_SCHEMA_VERSION, ...fields }) + "\n";
}

/** The views, IPv4 first. */
function inFamilyOrder<T extends { family: FamilyName }>(views: readonly T[]): T[] {
  return [...views].sort((a, b) => familyRank(a.family) - familyRank(b.family));
}

function familyRank(f: FamilyName): number {
  return f === "ipv4" ? 0 : 1;
}

/** `IPv4`, `IPv6`. */
function familyWord(f: FamilyName): string {
  return f === "ipv4" ? "IPv4" : "IPv6";
}

/** A table's lines, each with its newline. */
function table(columns: readonly Column[], rows: readonly string[][]): string {
  const t = renderTable(columns, rows);
  return [t.header, ...t.rows].map((l) => `${l}\n`).join("");
}

/** Seconds (as the views give them) as an age: `45s`, `2m05s`; `-` for none. */
function age(seconds: number | null): string {
  return seconds === null ? "-" : formatAge(seconds * 1000);
}

function orDash(n: number | null): string {
  return n === null ? "-" : String(n);
}

/** Strings separated by blanks, or `-` for none. */
function list(items: readonly string[]): string {
  return items.length === 0 ? "-" : items.join(" ");
}
