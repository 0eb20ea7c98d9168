/**
 * The doctor's tests' fixtures: a healthy router's facts ({@link healthyFacts}), written as the
 * views the daemon answers with, that each test breaks in one place; the same views as a fake
 * daemon answers them; the sysctls as files.
 *
 * @module
 */

import type { ForwardingView } from "../core/forwarding_view.ts";
import type {
  CountersView,
  FamilyName,
  GroupView,
  InterfaceView,
  UpstreamView,
} from "../core/status_view.ts";
import { parseIPv4 } from "../proto/addr.ts";
import { PROXY_DROP_REASONS } from "../core/drops.ts";
import type { ControlReply, ControlRequest } from "../runtime/control_protocol.ts";
import { renderShow, type ShowViews } from "../runtime/control_render.ts";
import type { DoctorFacts, DoctorSample } from "./doctor_facts.ts";
import type { KernelTables } from "./doctor_proc_net.ts";
import { hostIsLittleEndian } from "../runtime/proc_net_fields.ts";

/** The healthy router's IPv4 group, its sender, and the IPv6 ones. */
export const G = "239.1.1.1";
export const S = "10.0.0.2";
export const G6 = "ff05::1";
export const S6 = "2001:db8::2";

/** An interface row with the fields a test does not care about filled in. */
function row(
  fields:
    & Pick<InterfaceView, "family" | "name" | "ifindex" | "role" | "vif" | "address">
    & Partial<InterfaceView>,
): InterfaceView {
  const downstream = fields.role === "downstream";
  return {
    subnets: [],
    sources: [],
    threshold: fields.family === "ipv4" ? 1 : null,
    queryVersion: downstream ? (fields.family === "ipv4" ? "IGMPv3" : "MLDv2") : null,
    querier: downstream
      ? {
        self: true,
        address: fields.address,
        heardAgo: null,
        otherQuerierTimer: null,
        v1RouterPresent: false,
      }
      : null,
    upstreamRouter: null,
    groups: 1,
    boundaries: [],
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    bytesOut: 0,
    ...fields,
  };
}

/** The interfaces at the first sample; `later` adds what the VIFs sent meanwhile. */
function interfaces(later: boolean): InterfaceView[] {
  const sent = later ? 200 : 0;
  return [
    row({
      family: "ipv4",
      name: "up0",
      ifindex: 2,
      role: "upstream",
      vif: 0,
      address: "10.0.0.1",
      subnets: ["10.0.0.0/24"],
      upstreamRouter: { address: "10.0.0.254", heardAgo: 30 },
      packetsIn: 10_000 + sent,
    }),
    row({
      family: "ipv4",
      name: "dn1",
      ifindex: 3,
      role: "downstream",
      vif: 1,
      address: "10.1.0.1",
      subnets: ["10.1.0.0/24"],
      boundaries: ["239.255.0.0/16"],
      packetsOut: 5000 + sent,
    }),
    row({
      family: "ipv4",
      name: "dn2",
      ifindex: 4,
      role: "downstream",
      vif: 2,
      address: "10.2.0.1",
      subnets: ["10.2.0.0/24"],
      threshold: 4,
      packetsOut: 3000 + sent,
    }),
    row({
      family: "ipv6",
      name: "up0",
      ifindex: 2,
      role: "upstream",
      vif: 0,
      address: "fe80::1",
      subnets: ["2001:db8::/64"],
      upstreamRouter: { address: "fe80::fe", heardAgo: 12.5 },
    }),
    row({
      family: "ipv6",
      name: "dn1",
      ifindex: 3,
      role: "downstream",
      vif: 1,
      address: "fe80::100",
      subnets: ["2001:db8:1::/64"],
    }),
  ];
}

/** A membership row. */
function member(
  fields: Pick<GroupView, "family" | "interface" | "vif" | "group"> & Partial<GroupView>,
): GroupView {
  return {
    mode: "exclude",
    groupTimer: 200,
    compatibility: fields.family === "ipv4" ? "IGMPv3" : "MLDv2",
    olderHosts: [],
    sources: [],
    lastReporter: null,
    ssm: false,
    ...fields,
  };
}

/** The forwarding of both families; `later` adds the packets forwarded meanwhile. */
function forwarding(later: boolean): ForwardingView[] {
  const n = later ? 200 : 0;
  return [
    {
      family: "ipv4",
      entries: [{
        source: S,
        group: G,
        input: { vif: 0, name: "up0" },
        outputs: [{ vif: 1, name: "dn1" }, { vif: 2, name: "dn2" }],
        packets: 1000 + n,
        bytes: 1_316_000 + n * 1316,
        packetRate: 100,
        byteRate: 131_600,
        age: 600,
      }],
      waiting: [],
    },
    {
      family: "ipv6",
      entries: [{
        source: S6,
        group: G6,
        input: { vif: 0, name: "up0" },
        outputs: [{ vif: 1, name: "dn1" }],
        packets: 50 + n,
        bytes: 50_000 + n * 1000,
        packetRate: 100,
        byteRate: 100_000,
        age: 90,
      }],
      waiting: [],
    },
  ];
}

/** Every drop counter at 0, as the daemon gives them. */
function noDrops(): Record<string, number> {
  return Object.fromEntries(PROXY_DROP_REASONS.map((r) => [r, 0]));
}

/** The sysctls of a router set up right. */
export function healthySysctls(): Record<string, number | undefined> {
  return {
    "/proc/sys/net/ipv4/conf/all/rp_filter": 0,
    "/proc/sys/net/ipv4/conf/up0/rp_filter": 2,
    "/proc/sys/net/ipv4/conf/all/mc_forwarding": 1,
    "/proc/sys/net/ipv4/conf/up0/mc_forwarding": 1,
    "/proc/sys/net/ipv4/conf/dn1/mc_forwarding": 1,
    "/proc/sys/net/ipv4/conf/dn2/mc_forwarding": 1,
    "/proc/sys/net/ipv6/conf/all/mc_forwarding": 1,
    "/proc/sys/net/ipv6/conf/up0/mc_forwarding": 1,
    "/proc/sys/net/ipv6/conf/dn1/mc_forwarding": 1,
    "/proc/sys/net/ipv4/igmp_max_memberships": 20,
    "/proc/sys/net/ipv4/igmp_max_msf": 10,
    "/proc/sys/net/ipv6/mld_max_msf": 64,
    "/proc/sys/net/core/optmem_max": 20480,
  };
}

/**
 * A healthy router, IPv4 and IPv6, new each call: an upstream router queried 30 s ago, the
 * proxy querier on every LAN, 239.1.1.1 wanted on dn1 (any source) and dn2 (10.0.0.2 only) and
 * forwarded from 10.0.0.2, 200 packets in the 2 s between the samples, which dn1 and dn2 sent;
 * ff05::1 forwarded to dn1 from 2001:db8::2; no drop.
 */
export function healthyFacts(): DoctorFacts {
  return {
    groups: [
      member({ family: "ipv4", interface: "dn1", vif: 1, group: G }),
      member({
        family: "ipv4",
        interface: "dn2",
        vif: 2,
        group: G,
        mode: "include",
        groupTimer: null,
        sources: [{ address: S, timer: 180, excluded: false }],
      }),
      member({ family: "ipv6", interface: "dn1", vif: 1, group: G6 }),
    ],
    counters: (["ipv4", "ipv6"] as const).map((family): CountersView => ({
      family,
      packets: 40,
      upcalls: 2,
      drops: noDrops(),
      refusedSource: null,
    })),
    before: { interfaces: interfaces(false), forwarding: forwarding(false), upstream: upstream() },
    after: { interfaces: interfaces(true), forwarding: forwarding(true), upstream: upstream() },
    intervalS: 2,
    sysctls: healthySysctls(),
    kernel: healthyKernel(),
    firewall: { ok: true, ruleset: { chains: [], rules: [] } },
  };
}

/** What is joined upstream: 239.1.1.1 and ff05::1, from any source. */
function upstream(): UpstreamView[] {
  return [
    {
      family: "ipv4",
      interface: { name: "up0", ifindex: 2, vif: 0, address: "10.0.0.1" },
      groups: [{ group: G, mode: "exclude", sources: [] }],
    },
    {
      family: "ipv6",
      interface: { name: "up0", ifindex: 2, vif: 0, address: "fe80::1" },
      groups: [{ group: G6, mode: "exclude", sources: [] }],
    },
  ];
}

/**
 * The kernel's tables of the healthy router: its VIFs, its two entries, the groups joined
 * upstream (and those every interface has, and those the daemon joins on its LANs), no filter.
 */
export function healthyKernel(): KernelTables[] {
  return [
    {
      family: "ipv4",
      vifs: [{ vif: 0, name: "up0" }, { vif: 1, name: "dn1" }, { vif: 2, name: "dn2" }],
      mfc: [{ source: S, group: G, input: 0, outputs: [1, 2] }],
      memberships: [
        { ifindex: 2, group: G },
        { ifindex: 2, group: "224.0.0.1" },
        { ifindex: 3, group: "224.0.0.22" },
        { ifindex: 3, group: "224.0.0.2" },
        { ifindex: 3, group: "224.0.0.1" },
      ],
      filters: [],
      parseErrors: {},
    },
    {
      family: "ipv6",
      vifs: [{ vif: 0, name: "up0" }, { vif: 1, name: "dn1" }],
      mfc: [{ source: S6, group: G6, input: 0, outputs: [1] }],
      memberships: [{ ifindex: 2, group: G6 }, { ifindex: 2, group: "ff02::1" }],
      filters: [],
      parseErrors: {},
    },
  ];
}

/** A `%08X`-printed `__be32`, as this machine prints it: `010101EF` for 239.1.1.1 here. */
function hostHex(address: string): string {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, parseIPv4(address)!, false);
  return view.getUint32(0, hostIsLittleEndian()).toString(16).toUpperCase().padStart(8, "0");
}

/** The files of {@link healthyKernel}, as Linux prints them. */
export function healthyProcNet(): Record<string, string> {
  const g6 = "ff05:0000:0000:0000:0000:0000:0000:0001";
  const s6 = "2001:0db8:0000:0000:0000:0000:0000:0002";
  return {
    "/proc/net/ip_mr_vif":
      "Interface      BytesIn  PktsIn  BytesOut PktsOut Flags Local    Remote\n" +
      " 0 up0          1316000    1200         0       0 00008 00000002 00000000\n" +
      " 1 dn1                0       0   1316000    1200 00008 00000003 00000000\n" +
      " 2 dn2                0       0   1316000    1200 00008 00000004 00000000\n",
    "/proc/net/ip_mr_cache": "Group    Origin   Iif     Pkts    Bytes    Wrong Oifs\n" +
      `${hostHex(G)} ${hostHex(S)} 0       1200  1579200        0  1:1    2:1  \n` +
      `${hostHex("239.9.9.9")} ${hostHex(S)} -1         0        0        0\n`,
    "/proc/net/igmp": "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n" +
      "2\tup0       :     2      V3\n" +
      `\t\t\t\t${hostHex(G)}     1 0:00000000\t\t0\n` +
      `\t\t\t\t${hostHex("224.0.0.1")}     1 0:00000000\t\t0\n` +
      "3\tdn1       :     3      V3\n" +
      `\t\t\t\t${hostHex("224.0.0.22")}     1 0:00000000\t\t0\n` +
      `\t\t\t\t${hostHex("224.0.0.2")}     1 0:00000000\t\t0\n` +
      `\t\t\t\t${hostHex("224.0.0.1")}     1 0:00000000\t\t0\n`,
    "/proc/net/mcfilter": "Idx Device        MCA        SRC    INC    EXC\n",
    "/proc/net/ip6_mr_vif": "Interface      BytesIn  PktsIn  BytesOut PktsOut Flags\n" +
      " 0 up0           250000     250         0       0 00000\n" +
      " 1 dn1                0       0    250000     250 00000\n",
    "/proc/net/ip6_mr_cache": "Group                            Origin                           " +
      "Iif      Pkts  Bytes     Wrong  Oifs\n" +
      `${g6} ${s6} 0        250   250000        0  1:1  \n`,
    "/proc/net/igmp6": "2    up0             ff050000000000000000000000000001     1 00000004 0\n" +
      "2    up0             ff020000000000000000000000000001     1 0000000C 0\n",
    "/proc/net/mcfilter6": "Idx Device                Multicast Address                   " +
      "Source Address    INC    EXC\n",
  };
}

/** A row of a family by interface name, in a sample; throws when there is none. */
export function rowOf(sample: DoctorSample, family: FamilyName, name: string): InterfaceView {
  const found = sample.interfaces.find((i) => i.family === family && i.name === name);
  if (found === undefined) throw new Error(`no ${family} interface ${name} in the sample`);
  return found;
}

/** The views of a family in a sample. */
export function forwardingOf(sample: DoctorSample, family: FamilyName): ForwardingView {
  return sample.forwarding.find((v) => v.family === family)!;
}

/**
 * A daemon's answers to `show WHAT --json` made of facts, as the daemon renders them: the
 * first sample's until `forwarding` was asked once, the second's after.
 */
export function answerWith(facts: DoctorFacts): (req: ControlRequest) => ControlReply {
  let forwardingAsked = 0;
  return (req) => {
    if (req.command !== "show" || req.what === "config" || req.format !== "json") {
      return { ok: false, body: `unexpected request ${JSON.stringify(req)}` };
    }
    const sample = forwardingAsked > 0 ? facts.after : facts.before;
    let shown: ShowViews;
    switch (req.what) {
      case "interfaces":
        shown = { what: "interfaces", views: byFamily(sample.interfaces, "interfaces") };
        break;
      case "groups":
        shown = { what: "groups", views: byFamily(facts.groups, "groups") };
        break;
      case "upstream":
        shown = { what: "upstream", views: sample.upstream };
        break;
      case "counters":
        shown = { what: "counters", views: facts.counters };
        break;
      case "forwarding":
        shown = { what: "forwarding", views: sample.forwarding };
        forwardingAsked++;
        break;
      default:
        return { ok: false, body: `unexpected request ${JSON.stringify(req)}` };
    }
    return { ok: true, body: renderShow(shown, "json") };
  };
}

/** Rows grouped into one view per family, as the core makes them. */
function byFamily<K extends string, T extends { family: FamilyName }>(
  rows: readonly T[],
  key: K,
): ({ family: FamilyName } & Record<K, T[]>)[] {
  return (["ipv4", "ipv6"] as const).map((family) =>
    ({ family, [key]: rows.filter((r) => r.family === family) }) as
      & { family: FamilyName }
      & Record<K, T[]>
  );
}

/**
 * A `readFile` over the sysctls of `facts` and the texts of `files` (by path): a file not among
 * them is missing.
 */
export function sysctlFiles(
  sysctls: Record<string, number | undefined>,
  files: Record<string, string> = {},
): (path: string) => Promise<string> {
  return (path) => {
    const value = sysctls[path];
    if (value !== undefined) return Promise.resolve(`${value}\n`);
    if (path in files) return Promise.resolve(files[path]);
    return Promise.reject(new Deno.errors.NotFound(`No such file: ${path}`));
  };
}
