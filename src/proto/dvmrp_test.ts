import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  decodeDvmrp,
  DVMRP_ASK_NEIGHBORS,
  DVMRP_ASK_NEIGHBORS2,
  DVMRP_CAP_GENID,
  DVMRP_CAP_LEAF,
  DVMRP_CAP_MTRACE,
  DVMRP_CAP_NETMASK,
  DVMRP_CAP_PRUNE,
  DVMRP_CAP_SNMP,
  DVMRP_DROP_REASONS,
  DVMRP_GRAFT,
  DVMRP_GRAFT_ACK,
  DVMRP_HEADER_LEN,
  DVMRP_INFINITY,
  DVMRP_MAJOR_VERSION,
  DVMRP_MINOR_VERSION,
  DVMRP_NEIGHBORS,
  DVMRP_NEIGHBORS2,
  DVMRP_NF_DISABLED,
  DVMRP_NF_DOWN,
  DVMRP_NF_LEAF,
  DVMRP_NF_QUERIER,
  DVMRP_NF_SRCRT,
  DVMRP_NF_TUNNEL,
  DVMRP_PROBE,
  DVMRP_PRUNE,
  DVMRP_REPORT,
  type DvmrpCapabilities,
  type DvmrpDropReason,
  type DvmrpHeader,
  type DvmrpMessage,
  type DvmrpNeighbors2Vif,
  type DvmrpRoute,
  type DvmrpVifFlags,
  IGMP_DVMRP,
  INADDR_DVMRP_GROUP,
  MAX_DVMRP_DATA_LEN,
  routeSourceWidth,
} from "./dvmrp.ts";
import {
  DVMRP_CAPABILITIES,
  encodeAskNeighbors2,
  encodeCapabilities,
  encodeDvmrp,
  encodeGraft,
  encodeGraftAck,
  encodeNeighbors2,
  encodeProbe,
  encodePrune,
  encodeReport,
  encodeReports,
  encodeVifFlags,
  MIN_REPORT_DATA_LEN,
} from "./dvmrp_encode.ts";
import { decodeIgmp } from "./igmp.ts";
import { DROP_REASONS, type Result } from "./result.ts";
import { expectDrop, fixChecksum, hex, ip, mulberry32 } from "./testing.ts";

// ---------------------------------------------------------------------------------------------
// Vectors, worked out by hand from the draft's figures (draft-ietf-idmr-dvmrp-v3-11). Every one
// has the common header of Figure 1 with the capability byte of Figure 3; checksums were
// computed apart from the code under test.

/** Figure 3, section 3.2.5: a probe from mrouted 3.255 that has heard two neighbors. */
const PROBE = hex(`
  13           # type: DVMRP
  01           # code: probe
  c1 82        # checksum
  00           # reserved
  0e           # capabilities (Figure 2): U U N=0 S=0 M=1 G=1 P=1 L=0
  ff 03        # minor version 255, major version 3
  65 a1 b2 c3  # generation ID
  0a 00 00 02  # neighbor 1: 10.0.0.2
  0a 00 00 03  # neighbor 2: 10.0.0.3
`);

/** Figures 2 and 3: a probe with the N flag (0x2e) and no neighbor yet. */
const PROBE_NETMASK = hex(`
  13 01 ed cb  # DVMRP probe, checksum
  00 2e ff 03  # reserved, capabilities N M G P, version 3.255
  00 00 00 01  # generation ID 1
`);

/** Appendix C: a probe from version 3.2, before generation IDs and capability flags. */
const PROBE_3_2 = hex(`
  13 01 ea fb  # DVMRP probe, checksum
  00 00 02 03  # reserved, no capabilities, version 3.2
`);

/**
 * Figure 4, section 3.4.10: the example layout byte for byte. Run 1 (Mask1) has 3-byte sources
 * (a /24), run 2 (Mask2) a 4-byte one (a /32), run 3 (Mask3) 2-byte ones (a /16).
 */
const REPORT = hex(`
  13 02 8c 24  # DVMRP report, checksum
  00 0e ff 03  # reserved, capabilities, version 3.255
  ff ff 00     # Mask1 octets 2-4: 255.255.255.0
  c0 a8 01     # SrcNet11: 192.168.1.0/24
  01           # Metric11: 1
  c0 a8 02     # SrcNet12: 192.168.2.0/24
  a1           # Metric12: last of run | 33 (1 + infinity: poison reverse, section 3.4.4)
  ff ff ff     # Mask2: 255.255.255.255
  0a 01 02 03  # SrcNet21: 10.1.2.3/32
  82           # Metric21: last | 2
  ff 00 00     # Mask3: 255.255.0.0
  ac 10        # 172.16.0.0/16
  20           # metric 32: infinity, unreachable (section 3.4.3)
  ac 11        # 172.17.0.0/16
  83           # last | 3
`);

/** Section 3.4.2: two /8 routes, then the default route under the same 3 mask bytes. */
const REPORT_DEFAULT = hex(`
  13 02 6a 51  # DVMRP report, checksum
  00 0e ff 03  # reserved, capabilities, version 3.255
  00 00 00     # mask 255.0.0.0
  0a 01        # 10.0.0.0/8, metric 1
  0b 82        # 11.0.0.0/8, last | 2
  00 00 00     # mask [00 00 00] ...
  00 85        # ... and network [00]: 0.0.0.0/0, not 0.0.0.0/8; last | 5
`);

/** Section 3.4.2: widths 1 to 4 by the mask's non-zero bytes, masks off byte boundaries. */
const REPORT_MIX = hex(`
  13 02 a3 25  # DVMRP report, checksum
  00 0e ff 03  # reserved, capabilities, version 3.255
  00 00 00  0a           81  # /8:  10.0.0.0,      1 byte,  last | 1
  f0 00 00  ac 10        82  # /12: 172.16.0.0,    2 bytes, last | 2
  ff f0 00  c0 a8 10     83  # /20: 192.168.16.0,  3 bytes, last | 3
  ff ff f0  c0 a8 01 10  84  # /28: 192.168.1.16,  4 bytes, last | 4
  ff ff ff  c0 a8 01 01  85  # /32: 192.168.1.1,   4 bytes, last | 5
  00 00 00  00           86  # /0:  the default,   1 byte,  last | 6
`);

/** Figure 8, section 11.1: mrinfo's request. */
const ASK_NEIGHBORS2 = hex(`
  13 05 ed e8  # DVMRP ask neighbors2, checksum
  00 0e ff 03  # reserved, capabilities, version 3.255
`);

/** Figure 9, section 11.2, Tables 4 and 5: three interfaces. */
const NEIGHBORS2 = hex(`
  13 06 f3 03  # DVMRP neighbors2, checksum
  00 0e ff 03  # reserved, capabilities (Table 4: prune, genid, mtrace), version 3.255
  c0 a8 01 01  # Local Addr 1: 192.168.1.1
  01 01        # Metric 1: 1, Threshold 1: 1
  40           # Flags 1: querier
  02           # Nbr Count 1: 2
  c0 a8 01 02  # 192.168.1.2
  c0 a8 01 03  # 192.168.1.3
  0a 00 00 01  # Local Addr 2: 10.0.0.1
  03 20        # metric 3, threshold 32
  01           # flags: tunnel
  01           # 1 neighbor
  0a 09 09 09  # 10.9.9.9, the tunnel's far end
  c0 a8 02 01  # Local Addr 3: 192.168.2.1
  01 01        # metric 1, threshold 1
  90           # flags: down, leaf
  01           # 1 neighbor
  00 00 00 00  # 0.0.0.0: none, as mrinfo wants (Appendix C)
`);

/** Figure 5, section 3.5.6: a two-hour prune without netmask. */
const PRUNE = hex(`
  13 07 d5 9b  # DVMRP prune, checksum
  00 2e ff 03  # reserved, capabilities with N, version 3.255
  0a 01 01 05  # Source Host Address: 10.1.1.5
  ef 01 02 03  # Group Address: 239.1.2.3
  00 00 1c 20  # Prune Lifetime: 7200 s
`);

/** Figure 5 with the optional Source Network Mask. */
const PRUNE_NETMASK = hex(`
  13 07 d6 9a  # DVMRP prune, checksum
  00 2e ff 03  # reserved, capabilities with N, version 3.255
  0a 01 01 05  # 10.1.1.5
  ef 01 02 03  # 239.1.2.3
  00 00 1c 20  # 7200 s
  ff ff ff 00  # Source Network Mask: /24
`);

/** Figure 6, section 3.6.3: a graft without netmask. */
const GRAFT = hex(`
  13 08 f1 da  # DVMRP graft, checksum
  00 0e ff 03  # reserved, capabilities, version 3.255
  0a 01 01 05  # Source Host Address: 10.1.1.5
  ef 01 02 03  # Group Address: 239.1.2.3
`);

/** Figure 6 with the netmask. */
const GRAFT_NETMASK = hex(`
  13 08 f1 ba  # DVMRP graft, checksum
  00 2e ff 03  # reserved, capabilities with N, version 3.255
  0a 01 01 05  # 10.1.1.5
  ef 01 02 03  # 239.1.2.3
  ff ff 00 00  # Source Network Mask: /16
`);

/** Figure 7, section 3.6.6: the graft ack of GRAFT. */
const GRAFT_ACK = hex(`
  13 09 f1 d9  # DVMRP graft ack, checksum
  00 0e ff 03  # reserved, capabilities, version 3.255
  0a 01 01 05  # 10.1.1.5
  ef 01 02 03  # 239.1.2.3
`);

/** Figure 7 with the netmask. */
const GRAFT_ACK_NETMASK = hex(`
  13 09 f1 b9  # DVMRP graft ack, checksum
  00 2e ff 03  # reserved, capabilities with N, version 3.255
  0a 01 01 05  # 10.1.1.5
  ef 01 02 03  # 239.1.2.3
  ff ff 00 00  # /16
`);

const ALL_VECTORS = [
  PROBE,
  PROBE_NETMASK,
  PROBE_3_2,
  REPORT,
  REPORT_DEFAULT,
  REPORT_MIX,
  ASK_NEIGHBORS2,
  NEIGHBORS2,
  PRUNE,
  PRUNE_NETMASK,
  GRAFT,
  GRAFT_NETMASK,
  GRAFT_ACK,
  GRAFT_ACK_NETMASK,
];

/** The header of mrouted 3.255: capabilities 0x0e. */
const MROUTED: DvmrpHeader = {
  capabilities: { ...DVMRP_CAPABILITIES },
  minorVersion: 255,
  majorVersion: 3,
};

/** The same with the N flag (0x2e). */
const WITH_NETMASK: DvmrpHeader = {
  ...MROUTED,
  capabilities: { ...DVMRP_CAPABILITIES, netmask: true },
};

/** What a capability byte of 0 decodes to. */
const NO_CAPS: DvmrpCapabilities = {
  leaf: false,
  prune: false,
  generationId: false,
  mtrace: false,
  snmp: false,
  netmask: false,
};

/** What an interface flag byte of 0 decodes to. */
const NO_FLAGS: DvmrpVifFlags = {
  tunnel: false,
  sourceRoute: false,
  down: false,
  disabled: false,
  querier: false,
  leaf: false,
};

/** The decoded message, or a failed assertion naming the drop reason. */
function decoded(bytes: Uint8Array): DvmrpMessage {
  const r = decodeDvmrp(bytes);
  if (!r.ok) throw new Error(`Expected a message, got drop "${r.reason}"`);
  return r.value;
}

/** A copy of `bytes` with `patch` written at `at` and the checksum fixed. */
function patched(bytes: Uint8Array, at: number, patch: number[]): Uint8Array {
  const out = bytes.slice();
  out.set(patch, at);
  return fixChecksum(out, { field: 2 });
}

/** The first `n` bytes of `bytes` with the checksum fixed. */
function cut(bytes: Uint8Array, n: number): Uint8Array {
  return fixChecksum(bytes.slice(0, n), { field: 2 });
}

/** `bytes` followed by `extra`, checksum fixed. */
function extended(bytes: Uint8Array, extra: number[]): Uint8Array {
  const out = new Uint8Array(bytes.length + extra.length);
  out.set(bytes);
  out.set(extra, bytes.length);
  return fixChecksum(out, { field: 2 });
}

/** A route for a test: "10.1.0.0/16" and a metric. */
function route(prefix: string, metric: number): DvmrpRoute {
  const [address, length] = prefix.split("/");
  return { source: ip(address), prefixLength: Number(length), metric };
}

// ---------------------------------------------------------------------------------------------
// Constants.

Deno.test("DVMRP constants keep the draft's and mrouted's values", () => {
  strictEqual(IGMP_DVMRP, 0x13);
  deepStrictEqual(
    [
      DVMRP_PROBE,
      DVMRP_REPORT,
      DVMRP_ASK_NEIGHBORS,
      DVMRP_NEIGHBORS,
      DVMRP_ASK_NEIGHBORS2,
      DVMRP_NEIGHBORS2,
      DVMRP_PRUNE,
      DVMRP_GRAFT,
      DVMRP_GRAFT_ACK,
    ],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  strictEqual(INADDR_DVMRP_GROUP, ip("224.0.0.4"));
  deepStrictEqual([DVMRP_MAJOR_VERSION, DVMRP_MINOR_VERSION, DVMRP_HEADER_LEN], [3, 255, 8]);
  strictEqual(MAX_DVMRP_DATA_LEN, 508);
  strictEqual(DVMRP_INFINITY, 32);
  deepStrictEqual(
    [
      DVMRP_CAP_LEAF,
      DVMRP_CAP_PRUNE,
      DVMRP_CAP_GENID,
      DVMRP_CAP_MTRACE,
      DVMRP_CAP_SNMP,
      DVMRP_CAP_NETMASK,
    ],
    [0x01, 0x02, 0x04, 0x08, 0x10, 0x20],
  );
  deepStrictEqual(
    [
      DVMRP_NF_TUNNEL,
      DVMRP_NF_SRCRT,
      DVMRP_NF_DOWN,
      DVMRP_NF_DISABLED,
      DVMRP_NF_QUERIER,
      DVMRP_NF_LEAF,
    ],
    [0x01, 0x02, 0x10, 0x20, 0x40, 0x80],
  );
  strictEqual(encodeCapabilities(DVMRP_CAPABILITIES), 0x0e);
});

Deno.test("DVMRP drop reasons are listed once and none is one of the proxy's", () => {
  strictEqual(new Set(DVMRP_DROP_REASONS).size, DVMRP_DROP_REASONS.length);
  for (const reason of DVMRP_DROP_REASONS) {
    ok(reason.includes("dvmrp"), reason);
    ok(!(DROP_REASONS as readonly string[]).includes(reason), reason);
  }
});

Deno.test("the proxy's IGMP decoder still drops DVMRP as an unknown type", () => {
  for (const msg of ALL_VECTORS) expectDrop(decodeIgmp(msg, 0, msg.length), "unknown-igmp-type");
});

Deno.test("routeSourceWidth: one byte per non-zero byte of the mask past the first", () => {
  const widths = [0, 8, 9, 16, 17, 24, 25, 32].map(routeSourceWidth);
  deepStrictEqual(widths, [1, 1, 2, 2, 3, 3, 4, 4]);
});

// ---------------------------------------------------------------------------------------------
// Decoding the figures.

Deno.test("decodeDvmrp reads a probe (Figure 3)", () => {
  deepStrictEqual(decoded(PROBE), {
    type: "probe",
    ...MROUTED,
    generationId: 0x65a1b2c3,
    neighbors: [ip("10.0.0.2"), ip("10.0.0.3")],
  });
  deepStrictEqual(decoded(PROBE_NETMASK), {
    type: "probe",
    ...WITH_NETMASK,
    generationId: 1,
    neighbors: [],
  });
});

Deno.test("decodeDvmrp reads a 3.2 probe without generation ID (Appendix C)", () => {
  const none = NO_CAPS;
  deepStrictEqual(decoded(PROBE_3_2), {
    type: "probe",
    capabilities: none,
    minorVersion: 2,
    majorVersion: 3,
    neighbors: [],
  });
  // Version 1 and 2 probes carry no generation ID either; their data is not read.
  const v2 = patched(extended(PROBE_3_2, [1, 2]), 6, [0, 2]);
  deepStrictEqual(decoded(v2), {
    type: "probe",
    capabilities: none,
    minorVersion: 0,
    majorVersion: 2,
    neighbors: [],
  });
  // The G flag says a generation ID follows whatever the version (mrouted 3.3 and 3.4 sent it
  // without the flag, which version 3.3 and later implies).
  const flagged = patched(extended(PROBE_3_2, [0, 0, 0, 9]), 5, [DVMRP_CAP_GENID]);
  deepStrictEqual(decoded(flagged), {
    type: "probe",
    capabilities: { ...none, generationId: true },
    minorVersion: 2,
    majorVersion: 3,
    generationId: 9,
    neighbors: [],
  });
});

Deno.test("decodeDvmrp reads the report of Figure 4, runs of /24, /32 and /16", () => {
  deepStrictEqual(decoded(REPORT), {
    type: "report",
    ...MROUTED,
    routes: [
      route("192.168.1.0/24", 1),
      route("192.168.2.0/24", 33),
      route("10.1.2.3/32", 2),
      route("172.16.0.0/16", 32),
      route("172.17.0.0/16", 3),
    ],
  });
});

Deno.test("decodeDvmrp reads [00 00 00] [00] as the default route (section 3.4.2)", () => {
  const routes = [route("10.0.0.0/8", 1), route("11.0.0.0/8", 2), route("0.0.0.0/0", 5)];
  deepStrictEqual(decoded(REPORT_DEFAULT), { type: "report", ...MROUTED, routes });
  // In the same run as /8 routes too: the network byte 0 alone makes it the default.
  const shared = fixChecksum(
    hex("13 02 00 00  00 0e ff 03  00 00 00  0a 01  00 82"),
    { field: 2 },
  );
  deepStrictEqual(decoded(shared), {
    type: "report",
    ...MROUTED,
    routes: [route("10.0.0.0/8", 1), route("0.0.0.0/0", 2)],
  });
});

Deno.test("decodeDvmrp reads /8 /12 /20 /28 /32 /0 runs, 1 to 4 source bytes", () => {
  deepStrictEqual(decoded(REPORT_MIX), {
    type: "report",
    ...MROUTED,
    routes: [
      route("10.0.0.0/8", 1),
      route("172.16.0.0/12", 2),
      route("192.168.16.0/20", 3),
      route("192.168.1.16/28", 4),
      route("192.168.1.1/32", 5),
      route("0.0.0.0/0", 6),
    ],
  });
});

Deno.test("decodeDvmrp keeps metrics as sent: 0 and 64-127 are the receiver's to ignore", () => {
  const r = fixChecksum(hex("13 02 00 00  00 0e ff 03  ff ff 00  0a 00 01 00  0a 00 02 ff"), {
    field: 2,
  });
  deepStrictEqual(decoded(r), {
    type: "report",
    ...MROUTED,
    routes: [route("10.0.1.0/24", 0), route("10.0.2.0/24", 127)],
  });
});

Deno.test("decodeDvmrp reads an empty report", () => {
  const r = fixChecksum(hex("13 02 00 00  00 0e ff 03"), { field: 2 });
  deepStrictEqual(decoded(r), { type: "report", ...MROUTED, routes: [] });
});

Deno.test("decodeDvmrp reads ask neighbors2 and neighbors2 (Figures 8 and 9)", () => {
  deepStrictEqual(decoded(ASK_NEIGHBORS2), { type: "ask-neighbors2", ...MROUTED });
  deepStrictEqual(decoded(NEIGHBORS2), {
    type: "neighbors2",
    ...MROUTED,
    vifs: [
      {
        localAddress: ip("192.168.1.1"),
        metric: 1,
        threshold: 1,
        flags: { ...NO_FLAGS, querier: true },
        neighbors: [ip("192.168.1.2"), ip("192.168.1.3")],
      },
      {
        localAddress: ip("10.0.0.1"),
        metric: 3,
        threshold: 32,
        flags: { ...NO_FLAGS, tunnel: true },
        neighbors: [ip("10.9.9.9")],
      },
      {
        localAddress: ip("192.168.2.1"),
        metric: 1,
        threshold: 1,
        flags: { ...NO_FLAGS, down: true, leaf: true },
        neighbors: [0],
      },
    ],
  });
});

Deno.test("decodeDvmrp reads prunes with and without netmask (Figure 5)", () => {
  const prune = {
    type: "prune",
    ...WITH_NETMASK,
    source: ip("10.1.1.5"),
    group: ip("239.1.2.3"),
    lifetimeSeconds: 7200,
  };
  deepStrictEqual(decoded(PRUNE), prune);
  deepStrictEqual(decoded(PRUNE_NETMASK), { ...prune, prefixLength: 24 });
});

Deno.test("decodeDvmrp reads grafts and graft acks with and without netmask (Figures 6, 7)", () => {
  const graft = { ...MROUTED, source: ip("10.1.1.5"), group: ip("239.1.2.3") };
  deepStrictEqual(decoded(GRAFT), { type: "graft", ...graft });
  deepStrictEqual(decoded(GRAFT_ACK), { type: "graft-ack", ...graft });
  const masked = { ...graft, ...WITH_NETMASK, prefixLength: 16 };
  deepStrictEqual(decoded(GRAFT_NETMASK), { type: "graft", ...masked });
  deepStrictEqual(decoded(GRAFT_ACK_NETMASK), { type: "graft-ack", ...masked });
});

Deno.test("decodeDvmrp reads every capability and interface flag bit", () => {
  const probe = patched(PROBE_NETMASK, 5, [0xff]);
  const m = decoded(probe);
  deepStrictEqual(m.capabilities, {
    leaf: true,
    prune: true,
    generationId: true,
    mtrace: true,
    snmp: true,
    netmask: true,
  });
  const n2 = decoded(patched(NEIGHBORS2, 8 + 6, [0xff]));
  ok(n2.type === "neighbors2");
  deepStrictEqual(n2.vifs[0].flags, {
    tunnel: true,
    sourceRoute: true,
    down: true,
    disabled: true,
    querier: true,
    leaf: true,
  });
});

Deno.test("decodeDvmrp ignores the reserved byte (mrouted once sent a vendor code)", () => {
  deepStrictEqual(decoded(patched(GRAFT, 4, [1])), decoded(GRAFT));
});

Deno.test("decodeDvmrp ignores bytes past a fixed message's fields", () => {
  deepStrictEqual(decoded(extended(ASK_NEIGHBORS2, [1, 2, 3])), decoded(ASK_NEIGHBORS2));
  deepStrictEqual(decoded(extended(PRUNE_NETMASK, [9])), decoded(PRUNE_NETMASK));
  deepStrictEqual(decoded(extended(GRAFT_NETMASK, [9, 9, 9, 9])), decoded(GRAFT_NETMASK));
});

Deno.test("decodeDvmrp reads a message at an offset", () => {
  const buf = new Uint8Array(64);
  buf.set(PRUNE, 24);
  deepStrictEqual(decodeDvmrp(buf, 24, PRUNE.length), decodeDvmrp(PRUNE));
});

// ---------------------------------------------------------------------------------------------
// Drop reasons, each with a hostile input.

Deno.test("decodeDvmrp drops fewer than 8 bytes and ranges past the buffer: truncated-dvmrp", () => {
  for (let n = 0; n < 8; n++) expectDrop(decodeDvmrp(PROBE, 0, n), "truncated-dvmrp");
  expectDrop(decodeDvmrp(PROBE, 0, PROBE.length + 1), "truncated-dvmrp");
  expectDrop(decodeDvmrp(PROBE, 16, 8), "truncated-dvmrp");
  expectDrop(decodeDvmrp(PROBE, -1, 8), "truncated-dvmrp");
});

Deno.test("decodeDvmrp drops other IGMP types: not-dvmrp", () => {
  expectDrop(decodeDvmrp(hex("16 00 f9 fc  ef 01 01 01  # IGMPv2 report")), "not-dvmrp");
  expectDrop(decodeDvmrp(hex("11 64 ee 9b  00 00 00 00  # IGMPv2 query")), "not-dvmrp");
  expectDrop(decodeDvmrp(patched(PROBE, 0, [0x14])), "not-dvmrp");
});

Deno.test("decodeDvmrp drops a corrupt message: bad-dvmrp-checksum", () => {
  for (const msg of ALL_VECTORS) {
    for (const at of [1, 2, msg.length - 1]) {
      const bad = msg.slice();
      bad[at] ^= 0x40;
      expectDrop(decodeDvmrp(bad), "bad-dvmrp-checksum");
    }
  }
});

Deno.test("decodeDvmrp drops obsolete and unknown codes: unknown-dvmrp-code", () => {
  // 3 and 4: the obsolete ask neighbors / neighbors; 10 and 11: mrouted's info request/reply.
  for (const code of [0, 3, 4, 10, 11, 0x80, 0xff]) {
    expectDrop(decodeDvmrp(patched(ASK_NEIGHBORS2, 1, [code])), "unknown-dvmrp-code");
  }
});

Deno.test("decodeDvmrp drops a probe cut short: truncated-dvmrp-probe", () => {
  for (let n = 8; n < 12; n++) expectDrop(decodeDvmrp(cut(PROBE, n)), "truncated-dvmrp-probe");
  for (const n of [13, 14, 15, 17, 18, 19]) {
    expectDrop(decodeDvmrp(cut(PROBE, n)), "truncated-dvmrp-probe");
  }
});

Deno.test("decodeDvmrp drops a report cut inside a run: truncated-dvmrp-route", () => {
  // Every cut of Figure 4 that ends inside a mask or a source, or after a metric without the
  // last bit, is truncated; the cuts after a run's last metric (19, 27, 36) are whole reports.
  const whole = [8, 19, 27, 36];
  for (let n = 9; n < REPORT.length; n++) {
    if (whole.includes(n)) ok(decodeDvmrp(cut(REPORT, n)).ok, `cut at ${n}`);
    else expectDrop(decodeDvmrp(cut(REPORT, n)), "truncated-dvmrp-route");
  }
  // A whole message whose last run never sets the last bit.
  const endless = patched(REPORT, REPORT.length - 1, [0x03]);
  expectDrop(decodeDvmrp(endless), "truncated-dvmrp-route");
});

Deno.test("decodeDvmrp drops a mask with a hole: bad-dvmrp-netmask", () => {
  // Report masks: 255.255.0.255, 255.0.255.0, 255.0.0.1.
  for (const mask of [[0xff, 0x00, 0xff], [0x00, 0xff, 0x00], [0x00, 0x00, 0x01]]) {
    expectDrop(decodeDvmrp(patched(REPORT, 8, mask)), "bad-dvmrp-netmask");
  }
  // A later run's mask too (Mask2 of Figure 4).
  expectDrop(decodeDvmrp(patched(REPORT, 19, [0xfe, 0xff, 0xff])), "bad-dvmrp-netmask");
  expectDrop(
    decodeDvmrp(patched(PRUNE_NETMASK, 20, [0xff, 0x00, 0xff, 0x00])),
    "bad-dvmrp-netmask",
  );
  expectDrop(decodeDvmrp(patched(GRAFT_NETMASK, 16, [0x7f, 0xff, 0, 0])), "bad-dvmrp-netmask");
  expectDrop(
    decodeDvmrp(patched(GRAFT_ACK_NETMASK, 16, [0xff, 0xff, 0, 1])),
    "bad-dvmrp-netmask",
  );
});

Deno.test("decodeDvmrp drops a source longer than its mask: dvmrp-route-host-bits", () => {
  // /12 (f0 00 00) with 172.31: 0x1f has bits past 0xf0.
  const r12 = fixChecksum(hex("13 02 00 00  00 0e ff 03  f0 00 00  ac 1f 81"), { field: 2 });
  expectDrop(decodeDvmrp(r12), "dvmrp-route-host-bits");
  // /28 (ff ff f0) with 192.168.1.17: its last source byte follows the header (8), the /8 run
  // (5 bytes), the /12 run (6), the /20 run (7), the /28 mask (3) and 3 source bytes.
  const r28 = patched(REPORT_MIX, 8 + 5 + 6 + 7 + 3 + 3, [0x11]);
  expectDrop(decodeDvmrp(r28), "dvmrp-route-host-bits");
});

Deno.test("decodeDvmrp drops a neighbors2 cut short: truncated-dvmrp-neighbors", () => {
  // Inside the first entry's fixed part, inside its neighbor list, inside the last entry.
  for (const n of [9, 15, 16, 20, 27, 28 + 7, NEIGHBORS2.length - 1]) {
    expectDrop(decodeDvmrp(cut(NEIGHBORS2, n)), "truncated-dvmrp-neighbors");
  }
  // A count of 255 with no addresses after it.
  const claims = fixChecksum(hex("13 06 00 00  00 0e ff 03  0a 00 00 01  01 01 00 ff"), {
    field: 2,
  });
  expectDrop(decodeDvmrp(claims), "truncated-dvmrp-neighbors");
});

Deno.test("decodeDvmrp drops a prune cut short: truncated-dvmrp-prune", () => {
  for (let n = 8; n < 20; n++) expectDrop(decodeDvmrp(cut(PRUNE, n)), "truncated-dvmrp-prune");
  for (const n of [21, 22, 23]) {
    expectDrop(decodeDvmrp(cut(PRUNE_NETMASK, n)), "truncated-dvmrp-prune");
  }
});

Deno.test("decodeDvmrp drops a graft or ack cut short: truncated-dvmrp-graft", () => {
  for (const msg of [GRAFT_NETMASK, GRAFT_ACK_NETMASK]) {
    for (let n = 8; n < 16; n++) expectDrop(decodeDvmrp(cut(msg, n)), "truncated-dvmrp-graft");
    for (const n of [17, 18, 19]) expectDrop(decodeDvmrp(cut(msg, n)), "truncated-dvmrp-graft");
  }
});

Deno.test("decodeDvmrp drops a prune or graft for a unicast group: dvmrp-group-not-multicast", () => {
  for (const msg of [PRUNE, PRUNE_NETMASK, GRAFT, GRAFT_NETMASK, GRAFT_ACK, GRAFT_ACK_NETMASK]) {
    for (const group of [[10, 0, 0, 1], [0, 0, 0, 0], [240, 0, 0, 1]]) {
      expectDrop(decodeDvmrp(patched(msg, 12, group)), "dvmrp-group-not-multicast");
    }
  }
});

Deno.test("every DVMRP drop reason has a test above", () => {
  // The reasons the tests above expect, by name: a new reason fails here until it has one.
  const tested: DvmrpDropReason[] = [
    "truncated-dvmrp",
    "not-dvmrp",
    "bad-dvmrp-checksum",
    "unknown-dvmrp-code",
    "truncated-dvmrp-probe",
    "truncated-dvmrp-route",
    "bad-dvmrp-netmask",
    "dvmrp-route-host-bits",
    "truncated-dvmrp-neighbors",
    "truncated-dvmrp-prune",
    "truncated-dvmrp-graft",
    "dvmrp-group-not-multicast",
  ];
  deepStrictEqual([...tested].sort(), [...DVMRP_DROP_REASONS].sort());
});

// ---------------------------------------------------------------------------------------------
// Hostile bytes at random: never a throw, always a message or a listed reason.

/** Checks that a result is a message, or a drop for one of the listed reasons. */
function checkResult(r: Result<DvmrpMessage, DvmrpDropReason>, what: string): void {
  if (!r.ok) ok(DVMRP_DROP_REASONS.includes(r.reason), `${what}: ${r.reason}`);
}

Deno.test("decodeDvmrp never throws on random bytes", () => {
  const rand = mulberry32(19);
  let messages = 0;
  for (let i = 0; i < 20_000; i++) {
    const bytes = new Uint8Array(Math.floor(rand() * 72));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
    // Most inputs get past the header checks, to reach the per-message parsers.
    if (bytes.length >= 8 && rand() < 0.9) {
      bytes[0] = IGMP_DVMRP;
      bytes[1] = Math.floor(rand() * 11);
      fixChecksum(bytes, { field: 2 });
    }
    const r = decodeDvmrp(bytes);
    checkResult(r, `random ${i}`);
    if (r.ok) {
      messages++;
      reencodes(r.value);
    }
  }
  ok(messages > 1000, `only ${messages} random inputs decoded`);
});

Deno.test("decodeDvmrp never throws on mutated or cut vectors, nor on odd ranges", () => {
  const rand = mulberry32(0x13);
  for (const msg of ALL_VECTORS) {
    for (let n = 0; n <= msg.length; n++) checkResult(decodeDvmrp(cut(msg, n)), `cut ${n}`);
    for (let i = 0; i < 500 && msg.length > DVMRP_HEADER_LEN; i++) {
      const bad = msg.slice();
      const flips = 1 + Math.floor(rand() * 3);
      for (let f = 0; f < flips; f++) {
        bad[8 + Math.floor(rand() * (bad.length - 8))] ^= 1 << (i % 8);
      }
      const r = decodeDvmrp(fixChecksum(bad, { field: 2 }));
      checkResult(r, "mutated");
      if (r.ok) reencodes(r.value);
    }
    for (const [offset, length] of [[1, 8], [0, -1], [msg.length, 0], [-8, 16]]) {
      checkResult(decodeDvmrp(msg, offset, length), `range ${offset}+${length}`);
    }
    for (const [offset, length] of [[0.5, 8], [NaN, 8], [0, NaN], [0, Infinity], [0, 8.5]]) {
      expectDrop(decodeDvmrp(msg, offset, length), "truncated-dvmrp");
    }
  }
});

/** A decoded message that the encoder accepts decodes back to itself. */
function reencodes(m: DvmrpMessage): void {
  let bytes: Uint8Array;
  try {
    bytes = encodeDvmrp(m);
  } catch (e) {
    // Routes the draft says to ignore (metric 0 or 64 and above) are not the encoder's to send.
    if (e instanceof RangeError) return;
    throw e;
  }
  deepStrictEqual(decodeDvmrp(bytes), { ok: true, value: m });
}

// ---------------------------------------------------------------------------------------------
// Encoding: the figures byte for byte.

Deno.test("encodeProbe writes Figure 3 as mrouted 3.255 sends it", () => {
  deepStrictEqual(
    encodeProbe({ generationId: 0x65a1b2c3, neighbors: [ip("10.0.0.2"), ip("10.0.0.3")] }),
    PROBE,
  );
  deepStrictEqual(
    encodeProbe({ generationId: 1, capabilities: { ...DVMRP_CAPABILITIES, netmask: true } }),
    PROBE_NETMASK,
  );
});

Deno.test("encodeReport writes Figure 4, the default route, and the width mix", () => {
  const figure4 = decoded(REPORT);
  ok(figure4.type === "report");
  deepStrictEqual(encodeReport(figure4.routes), REPORT);
  deepStrictEqual(
    encodeReport([route("10.0.0.0/8", 1), route("11.0.0.0/8", 2), route("0.0.0.0/0", 5)]),
    REPORT_DEFAULT,
  );
  const mix = decoded(REPORT_MIX);
  ok(mix.type === "report");
  deepStrictEqual(encodeReport(mix.routes), REPORT_MIX);
});

Deno.test("encodeAskNeighbors2 and encodeNeighbors2 write Figures 8 and 9", () => {
  deepStrictEqual(encodeAskNeighbors2(), ASK_NEIGHBORS2);
  const n2 = decoded(NEIGHBORS2);
  ok(n2.type === "neighbors2");
  deepStrictEqual(encodeNeighbors2(n2.vifs), NEIGHBORS2);
});

Deno.test("encodePrune, encodeGraft and encodeGraftAck write Figures 5, 6 and 7", () => {
  const sg = { source: ip("10.1.1.5"), group: ip("239.1.2.3") };
  const n = { capabilities: { ...DVMRP_CAPABILITIES, netmask: true } };
  deepStrictEqual(encodePrune({ ...sg, ...n, lifetimeSeconds: 7200 }), PRUNE);
  deepStrictEqual(
    encodePrune({ ...sg, ...n, lifetimeSeconds: 7200, prefixLength: 24 }),
    PRUNE_NETMASK,
  );
  deepStrictEqual(encodeGraft(sg), GRAFT);
  deepStrictEqual(encodeGraft({ ...sg, ...n, prefixLength: 16 }), GRAFT_NETMASK);
  deepStrictEqual(encodeGraftAck(sg), GRAFT_ACK);
  deepStrictEqual(encodeGraftAck({ ...sg, ...n, prefixLength: 16 }), GRAFT_ACK_NETMASK);
});

Deno.test("encodeDvmrp writes every vector back from its decoding", () => {
  for (const msg of ALL_VECTORS) deepStrictEqual(encodeDvmrp(decoded(msg)), msg);
});

// ---------------------------------------------------------------------------------------------
// Round trips.

Deno.test("every message round-trips through encodeDvmrp and decodeDvmrp", () => {
  const header = {
    capabilities: { ...NO_CAPS, leaf: true, snmp: true },
    minorVersion: 7,
    majorVersion: 11,
  };
  const messages: DvmrpMessage[] = [
    { type: "probe", ...MROUTED, generationId: 0xffffffff, neighbors: [] },
    {
      type: "probe",
      ...header,
      capabilities: { ...header.capabilities, generationId: true },
      generationId: 0,
      neighbors: [1, 0xffffffff, ip("10.0.0.9")],
    },
    { type: "probe", ...header, neighbors: [] },
    {
      type: "report",
      ...MROUTED,
      routes: [route("0.0.0.0/0", 63), route("255.255.255.255/32", 1), route("128.0.0.0/9", 32)],
    },
    { type: "ask-neighbors2", ...header },
    { type: "neighbors2", ...MROUTED, vifs: [] },
    {
      type: "neighbors2",
      ...header,
      vifs: [{
        localAddress: ip("10.0.0.1"),
        metric: 255,
        threshold: 0,
        flags: { ...NO_FLAGS, sourceRoute: true, disabled: true },
        neighbors: [],
      }],
    },
    {
      type: "prune",
      ...MROUTED,
      source: ip("10.1.1.5"),
      group: ip("224.0.1.1"),
      lifetimeSeconds: 0xffffffff,
      prefixLength: 0,
    },
    {
      type: "prune",
      ...header,
      source: 0,
      group: ip("239.255.255.255"),
      lifetimeSeconds: 0,
      prefixLength: 32,
    },
    { type: "graft", ...header, source: ip("10.1.1.5"), group: ip("232.1.1.1"), prefixLength: 8 },
    { type: "graft-ack", ...MROUTED, source: ip("10.1.1.5"), group: ip("232.1.1.1") },
  ];
  for (const m of messages) deepStrictEqual(decodeDvmrp(encodeDvmrp(m)), { ok: true, value: m });
});

Deno.test("random route lists round-trip, one message or split", () => {
  const rand = mulberry32(2003);
  for (let i = 0; i < 200; i++) {
    const routes = randomRoutes(rand, Math.floor(rand() * 400));
    deepStrictEqual(decoded(encodeReport(routes)), { type: "report", ...MROUTED, routes });
    const max = MIN_REPORT_DATA_LEN + Math.floor(rand() * 600);
    deepStrictEqual(routesOf(encodeReports(routes, { maxDataLen: max }), max), routes);
  }
});

/** `n` valid routes of every length the wire carries, in random order. */
function randomRoutes(rand: () => number, n: number): DvmrpRoute[] {
  const routes: DvmrpRoute[] = [];
  while (routes.length < n) {
    const pick = Math.floor(rand() * 26);
    const prefixLength = pick === 25 ? 0 : 8 + pick;
    const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
    const source = (Math.floor(rand() * 0x100000000) & mask) >>> 0;
    if (prefixLength === 8 && source === 0) continue; // the default route's spelling
    routes.push({ source, prefixLength, metric: 1 + Math.floor(rand() * 63) });
  }
  return routes;
}

/** The routes of report messages in order, checking each message's size and header. */
function routesOf(messages: Uint8Array[], maxDataLen: number): DvmrpRoute[] {
  const routes: DvmrpRoute[] = [];
  for (const msg of messages) {
    ok(msg.length - DVMRP_HEADER_LEN <= maxDataLen, `${msg.length - 8} > ${maxDataLen}`);
    const m = decoded(msg);
    ok(m.type === "report");
    ok(m.routes.length > 0);
    deepStrictEqual({ ...m, routes: [] }, { type: "report", ...MROUTED, routes: [] });
    routes.push(...m.routes);
  }
  return routes;
}

// ---------------------------------------------------------------------------------------------
// Report packing and splitting.

Deno.test("encodeReport shares one netmask among a run of routes of one length", () => {
  const routes = [route("10.1.1.0/24", 1), route("10.1.2.0/24", 2), route("10.1.3.0/24", 3)];
  deepStrictEqual(
    encodeReport(routes).subarray(8),
    hex(`
      ff ff 00     # one mask for the three
      0a 01 01 01  # 10.1.1.0, metric 1
      0a 01 02 02  # 10.1.2.0, metric 2
      0a 01 03 83  # 10.1.3.0, last | 3
    `),
  );
});

Deno.test("encodeReport starts a run at each change of length, in the order given", () => {
  // The draft lifted the order rule (section 3.4.2): routes are not sorted, so interleaved
  // lengths cost a mask each.
  const routes = [route("10.1.0.0/16", 1), route("10.2.0.0/24", 2), route("10.3.0.0/16", 3)];
  deepStrictEqual(
    encodeReport(routes).subarray(8),
    hex(`
      ff 00 00  0a 01  81     # /16 run: 10.1.0.0, last | 1
      ff ff 00  0a 02 00  82  # /24 run: 10.2.0.0, last | 2
      ff 00 00  0a 03  83     # /16 run again: 10.3.0.0, last | 3
    `),
  );
});

Deno.test("encodeReport sends 0/0 as [00 00 00] [00] in a run of its own after /8 routes", () => {
  const bytes = encodeReport([route("10.0.0.0/8", 1), route("0.0.0.0/0", 32)]).subarray(8);
  deepStrictEqual(bytes, hex("00 00 00  0a 81   00 00 00  00 a0"));
});

Deno.test("encodeReport of no routes is the header alone", () => {
  deepStrictEqual(encodeReport([]).length, DVMRP_HEADER_LEN);
});

Deno.test("encodeReports keeps every message within 508 bytes of data by default", () => {
  // 200 /24 routes: 3 mask bytes then 4 per route, 126 fit (507 bytes), 74 go on.
  const routes = Array.from({ length: 200 }, (_, i) => ({
    source: (ip("10.0.0.0") + (i << 8)) >>> 0,
    prefixLength: 24,
    metric: 2,
  }));
  const messages = encodeReports(routes);
  deepStrictEqual(messages.map((m) => m.length), [8 + 3 + 126 * 4, 8 + 3 + 74 * 4]);
  deepStrictEqual(routesOf(messages, MAX_DVMRP_DATA_LEN), routes);
  // The run cut by the limit ends with the last bit and goes on under the same mask.
  strictEqual(messages[0][messages[0].length - 1], 0x82);
  deepStrictEqual([...messages[1].subarray(8, 11)], [0xff, 0xff, 0x00]);
});

Deno.test("encodeReports fills a message exactly to the limit, then starts another", () => {
  const routes = Array.from({ length: 10 }, (_, i) => route(`10.${i}.0.0/16`, 1));
  // A /16 takes 3 bytes after the 3-byte mask: 5 routes make 18 bytes.
  const messages = encodeReports(routes, { maxDataLen: 18 });
  deepStrictEqual(messages.map((m) => m.length), [8 + 18, 8 + 18]);
  deepStrictEqual(routesOf(messages, 18), routes);
  deepStrictEqual(encodeReports(routes, { maxDataLen: 17 }).length, 3);
});

Deno.test("encodeReports at the smallest limit sends one /32 per message", () => {
  const routes = [route("10.0.0.1/32", 1), route("10.0.0.2/32", 2), route("0.0.0.0/0", 3)];
  const messages = encodeReports(routes, { maxDataLen: MIN_REPORT_DATA_LEN });
  deepStrictEqual(messages.map((m) => m.length), [16, 16, 13]);
  deepStrictEqual(routesOf(messages, MIN_REPORT_DATA_LEN), routes);
});

Deno.test("encodeReports splits a /8 /16 /24 /32 mix with the header it is given", () => {
  const routes: DvmrpRoute[] = [];
  for (let i = 1; i <= 60; i++) {
    routes.push(route(`${i}.0.0.0/8`, 1), route(`172.${i}.0.0/16`, 2));
    routes.push(route(`192.168.${i}.0/24`, 3), route(`10.0.0.${i}/32`, 4));
  }
  const header = { capabilities: { ...DVMRP_CAPABILITIES, leaf: true }, minorVersion: 254 };
  const messages = encodeReports(routes, { ...header, maxDataLen: 100 });
  ok(messages.length > 1);
  const back: DvmrpRoute[] = [];
  for (const msg of messages) {
    ok(msg.length <= 108);
    const m = decoded(msg);
    ok(m.type === "report");
    deepStrictEqual([m.capabilities.leaf, m.minorVersion, m.majorVersion], [true, 254, 3]);
    back.push(...m.routes);
  }
  deepStrictEqual(back, routes);
});

Deno.test("encodeReports of no routes sends nothing", () => {
  deepStrictEqual(encodeReports([]), []);
});

// ---------------------------------------------------------------------------------------------
// Encoder limits: programming errors throw RangeError.

Deno.test("the report encoders refuse routes the wire cannot carry", () => {
  const bad = [
    route("10.0.0.0/7", 1), // shorter than /8 and not the default
    route("0.0.0.0/8", 1), // reads as the default route
    route("10.1.0.0/8", 1), // host bits
    route("10.0.0.1/0", 1), // host bits of the default
    { source: ip("10.0.0.0"), prefixLength: 33, metric: 1 },
    { source: ip("10.0.0.0"), prefixLength: 8.5, metric: 1 },
    { source: -1, prefixLength: 32, metric: 1 },
    { source: 2 ** 32, prefixLength: 32, metric: 1 },
    route("10.0.0.0/8", 0), // metric outside 1-63
    route("10.0.0.0/8", 64),
    route("10.0.0.0/8", 1.5),
  ];
  for (const r of bad) {
    throws(() => encodeReport([r]), RangeError, JSON.stringify(r));
    throws(() => encodeReports([r]), RangeError, JSON.stringify(r));
  }
  for (const maxDataLen of [MIN_REPORT_DATA_LEN - 1, 0, 100.5, NaN]) {
    throws(() => encodeReports([route("10.0.0.0/8", 1)], { maxDataLen }), RangeError);
  }
});

Deno.test("the encoders refuse fields out of their range", () => {
  const sg = { source: ip("10.1.1.5"), group: ip("239.1.2.3") };
  throws(() => encodePrune({ ...sg, lifetimeSeconds: -1 }), RangeError);
  throws(() => encodePrune({ ...sg, lifetimeSeconds: 2 ** 32 }), RangeError);
  throws(() => encodePrune({ ...sg, group: ip("10.0.0.1"), lifetimeSeconds: 1 }), RangeError);
  throws(() => encodeGraft({ ...sg, prefixLength: 33 }), RangeError);
  throws(() => encodeGraftAck({ ...sg, prefixLength: -1 }), RangeError);
  throws(() => encodeGraft({ ...sg, source: 1.5 }), RangeError);
  throws(() => encodeProbe({ generationId: -1 }), RangeError);
  // A generation ID the header does not announce, or one missing that it does.
  throws(
    () => encodeProbe({ generationId: 1, capabilities: NO_CAPS, minorVersion: 2 }),
    RangeError,
  );
  throws(() => encodeDvmrp({ type: "probe", ...MROUTED, neighbors: [] }), RangeError);
  throws(() => encodeProbe({ generationId: 1, neighbors: [2 ** 32] }), RangeError);
  throws(() => encodeAskNeighbors2({ majorVersion: 256 }), RangeError);
  throws(() => encodeAskNeighbors2({ minorVersion: -1 }), RangeError);
  const vif: DvmrpNeighbors2Vif = {
    localAddress: ip("10.0.0.1"),
    metric: 1,
    threshold: 1,
    flags: NO_FLAGS,
    neighbors: [],
  };
  throws(() => encodeNeighbors2([{ ...vif, metric: 256 }]), RangeError);
  throws(() => encodeNeighbors2([{ ...vif, threshold: -1 }]), RangeError);
});

Deno.test("encodeNeighbors2 gives an interface of 300 neighbors two entries", () => {
  const neighbors = Array.from({ length: 300 }, (_, i) => (ip("10.0.0.0") + i) >>> 0);
  const vif: DvmrpNeighbors2Vif = {
    localAddress: ip("10.0.0.1"),
    metric: 1,
    threshold: 1,
    flags: { ...NO_FLAGS, querier: true },
    neighbors,
  };
  const m = decoded(encodeNeighbors2([vif]));
  ok(m.type === "neighbors2");
  deepStrictEqual(m.vifs, [
    { ...vif, neighbors: neighbors.slice(0, 255) },
    { ...vif, neighbors: neighbors.slice(255) },
  ]);
});

Deno.test("encodeVifFlags and encodeCapabilities set one bit per flag", () => {
  const flags = Object.keys(NO_FLAGS) as (keyof DvmrpVifFlags)[];
  const bits = flags.map((f) => encodeVifFlags({ ...NO_FLAGS, [f]: true }));
  deepStrictEqual(bits, [0x01, 0x02, 0x10, 0x20, 0x40, 0x80]);
  const caps = Object.keys(NO_CAPS) as (keyof DvmrpCapabilities)[];
  deepStrictEqual(
    caps.map((c) => encodeCapabilities({ ...NO_CAPS, [c]: true })),
    [0x01, 0x02, 0x04, 0x08, 0x10, 0x20],
  );
});
