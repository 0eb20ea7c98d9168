/**
 * The kernel's multicast tables as `mcast-proxyctl doctor` compares them with the daemon's
 * views: the VIFs (`ip_mr_vif`, `ip6_mr_vif`), the forwarding cache (`ip_mr_cache`,
 * `ip6_mr_cache`), the groups joined on each interface (`igmp`, `igmp6`) and their source
 * filters (`mcfilter`, `mcfilter6`), made of the rows the parsers of `src/runtime/proc_net_*.ts`
 * read. Pure. An unresolved cache entry (Iif -1, data waiting for the daemon) is no entry; an
 * interface is named by its index, since `mcfilter` cuts names to 6 characters.
 *
 * @module
 */

import type { FamilyName } from "../core/status_view.ts";
import type { ProcNetResult, ProcParseOptions } from "../runtime/proc_net_fields.ts";
import { parseIgmp, parseIgmp6, parseMcfilter } from "../runtime/proc_net_membership.ts";
import {
  type MrCacheEntry,
  parseIp6MrCache,
  parseIp6MrVif,
  parseIpMrCache,
  parseIpMrVif,
} from "../runtime/proc_net_mroute.ts";

/** A VIF (an IPv6 MIF). */
export interface KernelVif {
  vif: number;
  /** Its interface's name (`none` once the interface is gone). */
  name: string;
}

/** A resolved forwarding cache entry. */
export interface KernelMfc {
  source: string;
  group: string;
  /** The VIF its data must arrive on. */
  input: number;
  /** The VIFs it is forwarded to, in the file's order. */
  outputs: number[];
}

/** A group joined on an interface. */
export interface KernelMembership {
  ifindex: number;
  group: string;
}

/** A source in the filter of a group joined on an interface. */
export interface KernelFilterSource {
  ifindex: number;
  group: string;
  source: string;
  /** How many sockets include it. */
  include: number;
  /** How many sockets exclude it. */
  exclude: number;
}

/**
 * What the kernel shows of a family; a table is undefined when its file was not read, or did
 * not parse: then {@link KernelTables.parseErrors} says why.
 */
export interface KernelTables {
  family: FamilyName;
  vifs: KernelVif[] | undefined;
  mfc: KernelMfc[] | undefined;
  memberships: KernelMembership[] | undefined;
  filters: KernelFilterSource[] | undefined;
  /** Why each file that was read, but did not parse, did not: its first bad line. */
  parseErrors: Partial<Record<KernelTable, string>>;
}

/** The tables of {@link KernelTables}. */
export type KernelTable = "vifs" | "mfc" | "memberships" | "filters";

/** Every {@link KernelTable}, in the order the doctor names their files. */
export const KERNEL_TABLES: readonly KernelTable[] = Object.freeze([
  "vifs",
  "mfc",
  "memberships",
  "filters",
]);

/** Each table's file, by family. */
export const PROC_NET_FILES: Readonly<Record<FamilyName, Readonly<Record<KernelTable, string>>>> =
  Object.freeze({
    ipv4: Object.freeze({
      vifs: "/proc/net/ip_mr_vif",
      mfc: "/proc/net/ip_mr_cache",
      memberships: "/proc/net/igmp",
      filters: "/proc/net/mcfilter",
    }),
    ipv6: Object.freeze({
      vifs: "/proc/net/ip6_mr_vif",
      mfc: "/proc/net/ip6_mr_cache",
      memberships: "/proc/net/igmp6",
      filters: "/proc/net/mcfilter6",
    }),
  });

/**
 * The text of each file (undefined: not read) made into tables; a file that does not parse is
 * no table, and its reason is kept.
 */
export function parseKernelTables(
  family: FamilyName,
  texts: Readonly<Record<KernelTable, string | undefined>>,
  opts: ProcParseOptions = {},
): KernelTables {
  const parseErrors: Partial<Record<KernelTable, string>> = {};
  const read = <R, T>(
    table: KernelTable,
    parse: (text: string) => ProcNetResult<R>,
    row: (r: R) => T | null,
  ): T[] | undefined => {
    const text = texts[table];
    if (text === undefined) return undefined;
    const parsed = parse(text);
    if (parsed.ok) return parsed.value.flatMap((r) => row(r) ?? []);
    parseErrors[table] = parsed.reason;
    return undefined;
  };
  const v4 = family === "ipv4";
  const mfc = (e: MrCacheEntry): KernelMfc | null =>
    e.unresolved ? null : {
      source: e.origin,
      group: e.group,
      input: e.iif,
      outputs: e.oifs.map((o) => o.vif),
    };
  const member = (m: KernelMembership): KernelMembership => ({
    ifindex: m.ifindex,
    group: m.group,
  });
  return {
    family,
    vifs: v4
      ? read("vifs", (t) => parseIpMrVif(t, opts), (v) => ({ vif: v.vif, name: v.name }))
      : read("vifs", parseIp6MrVif, (m) => ({ vif: m.mif, name: m.name })),
    mfc: v4 ? read("mfc", (t) => parseIpMrCache(t, opts), mfc) : read("mfc", parseIp6MrCache, mfc),
    memberships: v4
      ? read("memberships", (t) => parseIgmp(t, opts), member)
      : read("memberships", parseIgmp6, member),
    filters: read("filters", (t) => parseMcfilter(t, family), (f) => ({
      ifindex: f.ifindex,
      group: f.group,
      source: f.source,
      include: f.include,
      exclude: f.exclude,
    })),
    parseErrors,
  };
}
