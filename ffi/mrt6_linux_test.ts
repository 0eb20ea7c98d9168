import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { ipv6ToBigInt, parseIPv6 } from "../src/proto/addr.ts";
import { FakeLibc } from "../tests/fakes/fake_libc.ts";
import { SysError } from "./errno.ts";
import { GRP, hex, REPORT_CONTROL, SRC, UPCALL, UPCALL_CONTROL } from "./kernel_captures.ts";
import {
  AF_INET6,
  ICMP6_FILTER,
  IPPROTO_ICMPV6,
  IPPROTO_IPV6,
  IPV6_HOPOPTS,
  IPV6_HOPOPTS_RA_BYTES,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_LOOP,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVHOPOPTS,
  IPV6_RECVPKTINFO,
  MCAST_JOIN_GROUP,
  MCAST_MSFILTER,
  MRT6_ADD_MFC,
  MRT6_ADD_MIF,
  MRT6_DEL_MIF,
  MRT6_DONE,
  MRT6_INIT,
  MRT6MSG_NOCACHE,
  SIOCGETMIFCNT_IN6,
  SO_RCVBUFFORCE,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_SOCKET,
} from "./linux_constants.ts";
import { encodeIcmp6Filter, encodeMf6cctl, SIZEOF_MF6CCTL } from "./mroute6_structs.ts";
import { decodeMldReceived, LinuxMrt6 } from "./mrt6_linux.ts";
import { encodeSockaddrIn6, SIZEOF_SOCKADDR_IN6 } from "./socket_structs.ts";
import { ROUTING_RCVBUF_BYTES } from "./sockopt.ts";

const S = ipv6ToBigInt(SRC); // 2001:db8::1
const G = ipv6ToBigInt(GRP); // ff05::1

function v6(text: string): Uint8Array {
  const a = parseIPv6(text);
  if (a === undefined) throw new Error(text);
  return a;
}

/** An int option's bytes (host order). */
function int(n: number): number[] {
  return [...new Uint8Array(new Int32Array([n]).buffer)];
}

/** setsockopt calls as [fd, level, option, bytes, optlen]. */
function setsockopts(fake: FakeLibc): unknown[][] {
  return fake.callsOf("setsockopt").map(([fd, level, option, bytes, len]) => [
    fd,
    level,
    option,
    [...(bytes as Uint8Array)],
    len,
  ]);
}

/** A port whose init() got socket 7 (and 8, 9, ... for what it opens next). */
function opened(): { fake: FakeLibc; mrt: LinuxMrt6 } {
  let next = 7;
  const fake = new FakeLibc().on("socket", () => next++);
  const mrt = new LinuxMrt6(fake.libc);
  mrt.init();
  fake.calls.length = 0;
  return { fake, mrt };
}

Deno.test("LinuxMrt6.init: a raw ICMPv6 socket, MRT6_INIT, what it receives, MLD only, queries' options", () => {
  const fake = new FakeLibc().on("socket", 7);
  let told = 0;
  const mrt = new LinuxMrt6(fake.libc, { opened: () => told++ });
  mrt.init();
  equal(mrt.fd, 7);
  equal(told, 1);
  deepStrictEqual(fake.callsOf("socket"), [[AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6]]);
  deepStrictEqual(setsockopts(fake), [
    [7, IPPROTO_IPV6, MRT6_INIT, int(1), 4],
    [7, IPPROTO_IPV6, IPV6_RECVPKTINFO, int(1), 4],
    [7, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, int(1), 4],
    [7, IPPROTO_IPV6, IPV6_RECVHOPOPTS, int(1), 4],
    [7, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, int(1), 4],
    [7, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, int(0), 4],
    [7, IPPROTO_IPV6, IPV6_HOPOPTS, [...IPV6_HOPOPTS_RA_BYTES], 8],
    [7, IPPROTO_ICMPV6, ICMP6_FILTER, [...encodeIcmp6Filter([130, 131, 132, 143])], 32],
    [7, SOL_SOCKET, SO_RCVBUFFORCE, int(ROUTING_RCVBUF_BYTES), 4],
  ]);
});

Deno.test("LinuxMrt6.init: a refused MRT6_INIT names it, closes the socket, tells no poll set", () => {
  const fake = new FakeLibc().on("socket", 7).on(
    "setsockopt",
    (_fd: number, _level: number, option: number) => option === MRT6_INIT ? -1 : 0,
  );
  let told = 0;
  const mrt = new LinuxMrt6(fake.libc, { opened: () => told++ });
  throws(() => mrt.init(), (e) => e instanceof SysError && e.op === "MRT6_INIT");
  equal(mrt.fd, -1);
  equal(told, 0);
  deepStrictEqual(setsockopts(fake).at(-1), [7, IPPROTO_IPV6, MRT6_DONE, int(1), 4]);
  deepStrictEqual(fake.callsOf("close"), [[7]]);
});

Deno.test("LinuxMrt6: MIFs and cache entries from bigints to mif6ctl, mifi_t and mf6cctl", () => {
  const { fake, mrt } = opened();
  mrt.addVif({ vifi: 3, ifindex: 12, threshold: 5, localAddress: 0n });
  mrt.addMfc({ source: S, group: G, parent: 0, oifs: [{ vifi: 1, ttl: 1 }, { vifi: 3, ttl: 9 }] });
  mrt.delVif(3);
  const mf6cctl = encodeMf6cctl(new Uint8Array(SIZEOF_MF6CCTL), {
    source: SRC,
    group: GRP,
    parent: 0,
    oifs: [1, 3],
  });
  deepStrictEqual(setsockopts(fake), [
    [7, IPPROTO_IPV6, MRT6_ADD_MIF, [...hex(`
      03 00        // mif6c_mifi 3
      00 01        // mif6c_flags 0, vifc_threshold 1: the kernel keeps none per MIF
      0c 00 00 00  // mif6c_pifi: ifindex 12, padding
      00 00 00 00  // vifc_rate_limit
    `)], 12],
    [7, IPPROTO_IPV6, MRT6_ADD_MFC, [...mf6cctl], 92],
    [7, IPPROTO_IPV6, MRT6_DEL_MIF, [3, 0], 2],
  ]);
});

Deno.test("LinuxMrt6.vifCount and joinGroup: SIOCGETMIFCNT_IN6, a group_req on a pool socket", () => {
  const { fake, mrt } = opened();
  fake.on("ioctl", (_fd: number, _request: bigint, req: Uint8Array) => {
    new DataView(req.buffer, req.byteOffset).setBigUint64(8, 100n, true); // icount
    return 0;
  });
  deepStrictEqual(mrt.vifCount(2), { packetsIn: 100, packetsOut: 0, bytesIn: 0, bytesOut: 0 });
  deepStrictEqual(fake.callsOf("ioctl").map(([fd, request]) => [fd, request]), [
    [7, BigInt(SIOCGETMIFCNT_IN6)],
  ]);
  mrt.joinGroup(G, 4);
  const groupReq = [4, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, ...GRP, ...Array(104).fill(0)];
  deepStrictEqual(setsockopts(fake), [[8, IPPROTO_IPV6, MCAST_JOIN_GROUP, groupReq, 136]]);
});

Deno.test("LinuxMrt6: reads net.ipv6.mld_max_msf; EXCLUDE capped at it, said once", () => {
  const fake = new FakeLibc();
  let next = 7;
  fake.on("socket", () => next++);
  const mrt = new LinuxMrt6(fake.libc, {
    readSysctl: (name) => name === "net.ipv6.mld_max_msf" ? 2 : undefined,
  });
  mrt.init();
  const src = ipv6ToBigInt(SRC);
  const exclude = { mode: "exclude" as const, sources: [src, src + 1n, src + 2n] };
  deepStrictEqual(mrt.joinGroup(G, 4, exclude), {
    change: "joined",
    capped: { applied: 2, wanted: 3, sysctl: "net.ipv6.mld_max_msf" },
  });
  deepStrictEqual(mrt.membershipSlots(G, 4), [
    { fd: 8, mode: "exclude", sources: [src, src + 1n] },
  ]);
  const more = { mode: "exclude" as const, sources: [src + 3n, src + 1n, src + 2n] };
  deepStrictEqual(mrt.joinGroup(G, 4, more), { change: "updated" });
  const filters = setsockopts(fake).filter(([, , option]) => option === MCAST_MSFILTER);
  deepStrictEqual(filters.map(([fd, level, , , len]) => [fd, level, len]), [
    [8, IPPROTO_IPV6, 144 + 2 * 128],
    [8, IPPROTO_IPV6, 144 + 2 * 128],
  ]);
});

Deno.test("decodeMldReceived: a captured upcall, its MIF as the VIF and its addresses as bigints", () => {
  const msg = {
    data: UPCALL,
    length: 80,
    control: UPCALL_CONTROL,
    controlLength: UPCALL_CONTROL.length,
    name: new Uint8Array(SIZEOF_SOCKADDR_IN6),
  };
  deepStrictEqual(decodeMldReceived(msg), {
    kind: "upcall",
    msgtype: MRT6MSG_NOCACHE,
    vif: 0,
    source: S,
    group: ipv6ToBigInt(v6("ff05::2")),
  });
});

Deno.test("decodeMldReceived: a captured report with its sender, destination, hop limit and RA", () => {
  const report = hex("8f 00 ab 20 00 00 00 01 04 00 00 00"); // MLDv2 report header, type 143
  const name = encodeSockaddrIn6(new Uint8Array(SIZEOF_SOCKADDR_IN6), v6("fe80::11"), 3);
  const msg = { data: report, length: 12, control: REPORT_CONTROL, name };
  deepStrictEqual(decodeMldReceived({ ...msg, controlLength: REPORT_CONTROL.length }), {
    kind: "packet",
    ifindex: 3,
    data: report,
    length: 12,
    source: ipv6ToBigInt(v6("fe80::11")),
    destination: ipv6ToBigInt(v6("ff02::16")),
    hopLimit: 1,
    routerAlert: true,
  });
  deepStrictEqual(
    decodeMldReceived({ ...msg, controlLength: 0 }),
    {
      kind: "packet",
      ifindex: 0,
      data: report,
      length: 12,
      source: ipv6ToBigInt(v6("fe80::11")),
      destination: 0n,
      routerAlert: false,
    },
    "no ancillary data: interface 0, destination ::, no hop limit, no Router Alert",
  );
});
