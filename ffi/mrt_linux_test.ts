import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { FakeLibc } from "../tests/fakes/fake_libc.ts";
import { SysError } from "./errno.ts";
import { hex } from "./kernel_captures.ts";
import { type Libc, openLibc } from "./libc.ts";
import {
  AF_INET,
  IGMPMSG_NOCACHE,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_OPTIONS,
  IP_PKTINFO,
  IP_TOS,
  IPOPT_RA_BYTES,
  IPPROTO_IGMP,
  IPPROTO_IP,
  IPTOS_PREC_INTERNETCONTROL,
  MCAST_JOIN_GROUP,
  MCAST_JOIN_SOURCE_GROUP,
  MCAST_LEAVE_GROUP,
  MCAST_MSFILTER,
  MRT_ADD_MFC,
  MRT_ADD_VIF,
  MRT_DEL_MFC,
  MRT_DONE,
  MRT_INIT,
  MSG_DONTWAIT,
  SIOCGETSGCNT,
  SO_RCVBUFFORCE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
} from "./linux_constants.ts";
import { encodeMfcctl, encodeVifctl, SIZEOF_MFCCTL, SIZEOF_VIFCTL } from "./mroute_structs.ts";
import { decodeIgmpReceived, LinuxMrt } from "./mrt_linux.ts";
import { encodeSockaddrIn, SIZEOF_SOCKADDR_IN } from "./socket_structs.ts";
import { ROUTING_RCVBUF_BYTES } from "./sockopt.ts";
import { encodeAskNeighbors2 } from "../src/proto/dvmrp_encode.ts";
import { decodeIPv4Header, type IPv4Header } from "../src/proto/ipv4.ts";

const G = 0xef010101; // 239.1.1.1
const S = 0x0a000002; // 10.0.0.2

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

/** A port whose init() got socket 7. */
function opened(fake = new FakeLibc()): { fake: FakeLibc; mrt: LinuxMrt } {
  let next = 7;
  fake.on("socket", () => next++);
  const mrt = new LinuxMrt(fake.libc);
  mrt.init();
  fake.calls.length = 0;
  return { fake, mrt };
}

Deno.test("LinuxMrt.init: a raw IGMP socket, MRT_INIT, then what receiving and queries need", () => {
  const fake = new FakeLibc().on("socket", 7);
  let told = 0;
  const mrt = new LinuxMrt(fake.libc, { opened: () => told++ });
  equal(mrt.fd, -1, "nothing is open before init");
  mrt.init();
  equal(mrt.fd, 7);
  equal(told, 1, "the owner's poll set is told once the socket is set up");
  deepStrictEqual(fake.callsOf("socket"), [[AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IGMP]]);
  deepStrictEqual(setsockopts(fake), [
    [7, IPPROTO_IP, MRT_INIT, int(1), 4],
    [7, IPPROTO_IP, IP_PKTINFO, int(1), 4],
    [7, IPPROTO_IP, IP_MULTICAST_TTL, int(1), 4],
    [7, IPPROTO_IP, IP_MULTICAST_LOOP, int(0), 4],
    [7, IPPROTO_IP, IP_TOS, int(IPTOS_PREC_INTERNETCONTROL), 4],
    [7, IPPROTO_IP, IP_OPTIONS, [...IPOPT_RA_BYTES], 4],
    [7, SOL_SOCKET, SO_RCVBUFFORCE, int(ROUTING_RCVBUF_BYTES), 4],
  ]);
});

Deno.test("LinuxMrt.init: a refused MRT_INIT is a SysError naming it, and the socket is closed", () => {
  const fake = new FakeLibc().on("socket", 7).on(
    "setsockopt",
    (_fd: number, _level: number, option: number) => option === MRT_INIT ? -1 : 0,
  );
  let told = 0;
  const mrt = new LinuxMrt(fake.libc, { opened: () => told++ });
  throws(
    () => mrt.init(),
    (e) => e instanceof SysError && e.call === "setsockopt" && e.op === "MRT_INIT",
  );
  equal(mrt.fd, -1);
  equal(told, 0);
  deepStrictEqual(setsockopts(fake).at(-1), [7, IPPROTO_IP, MRT_DONE, int(1), 4]);
  deepStrictEqual(fake.callsOf("close"), [[7]]);
});

Deno.test("LinuxMrt: VIFs and cache entries go to the kernel as vifctl and mfcctl of exact length", () => {
  const { fake, mrt } = opened();
  mrt.addVif({ vifi: 2, ifindex: 11, threshold: 3, localAddress: 0x0a010001 });
  const oifs = [{ vifi: 1, ttl: 1 }, { vifi: 2, ttl: 3 }];
  mrt.addMfc({ source: S, group: G, parent: 0, oifs });
  mrt.delMfc(S, G);
  const vifctl = encodeVifctl(new Uint8Array(SIZEOF_VIFCTL), {
    vifi: 2,
    ifindex: 11,
    threshold: 3,
  });
  const mfcctl = (o: typeof oifs) =>
    encodeMfcctl(new Uint8Array(SIZEOF_MFCCTL), { source: S, group: G, parent: 0, oifs: o });
  deepStrictEqual(setsockopts(fake), [
    [7, IPPROTO_IP, MRT_ADD_VIF, [...vifctl], 16],
    [7, IPPROTO_IP, MRT_ADD_MFC, [...mfcctl(oifs)], 60],
    [7, IPPROTO_IP, MRT_DEL_MFC, [...mfcctl([])], 60],
  ]);
});

Deno.test("LinuxMrt.send: IP_MULTICAST_IF names the interface and source, sendto the destination", () => {
  const { fake, mrt } = opened();
  const message = hex("11 64 ee 9b 00 00 00 00"); // an IGMPv2 general query
  mrt.send({ ifindex: 3, source: 0x0a010001, destination: 0xe0000001, message });
  deepStrictEqual(setsockopts(fake), [
    [7, IPPROTO_IP, IP_MULTICAST_IF, [...hex(`
      00 00 00 00  // imr_multiaddr: none
      0a 01 00 01  // imr_address: the source, 10.1.0.1
      03 00 00 00  // imr_ifindex 3
    `)], 12],
  ]);
  deepStrictEqual(fake.callsOf("sendto"), [[
    7,
    message,
    8n,
    0,
    hex("02 00 00 00 e0 00 00 01 00 00 00 00 00 00 00 00"), // sockaddr_in: 224.0.0.1, port 0
    16,
  ]]);
  fake.on("sendto", -1n);
  throws(
    () => mrt.send({ ifindex: 3, source: 0x0a010001, destination: 0xe0000001, message }),
    (e) => e instanceof SysError && e.message === "sendto(IGMP): errno 0",
  );
});

Deno.test("LinuxMrt.sgCount: SIOCGETSGCNT with the (S,G), the counters the kernel wrote", () => {
  const { fake, mrt } = opened();
  fake.on("ioctl", (_fd: number, _request: bigint, req: Uint8Array) => {
    const v = new DataView(req.buffer, req.byteOffset);
    v.setBigUint64(8, 12n, true);
    v.setBigUint64(16, 1200n, true);
    v.setBigUint64(24, 1n, true);
    return 0;
  });
  deepStrictEqual(mrt.sgCount(S, G), { packets: 12, bytes: 1200, wrongIf: 1 });
  const [[fd, request, req]] = fake.callsOf("ioctl");
  deepStrictEqual([fd, request], [7, BigInt(SIOCGETSGCNT)]);
  deepStrictEqual((req as Uint8Array).subarray(0, 8), hex("0a 00 00 02 ef 01 01 01"));
  fake.on("ioctl", -1);
  throws(() => mrt.sgCount(S, G), (e) => e instanceof SysError && e.op === "SIOCGETSGCNT");
});

Deno.test("LinuxMrt.joinGroup: a group_req on a membership socket of its own, once per group", () => {
  const { fake, mrt } = opened();
  fake.calls.length = 0;
  deepStrictEqual(mrt.joinGroup(G, 4), { change: "joined" });
  deepStrictEqual(mrt.joinGroup(G, 4), { change: "unchanged" });
  deepStrictEqual(fake.callsOf("socket"), [[
    AF_INET,
    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
    0,
  ]]);
  const groupReq = [
    ...hex("04 00 00 00 00 00 00 00 02 00 00 00 ef 01 01 01"),
    ...Array(120).fill(0),
  ];
  deepStrictEqual(setsockopts(fake), [[8, IPPROTO_IP, MCAST_JOIN_GROUP, groupReq, 136]]);
  mrt.leaveGroup(G, 4);
  deepStrictEqual(setsockopts(fake)[1], [8, IPPROTO_IP, MCAST_LEAVE_GROUP, groupReq, 136]);
  mrt.close();
  ok(fake.callsOf("close").some(([fd]) => fd === 8), "closing the port closes the pool");
});

Deno.test("LinuxMrt.joinGroup: INCLUDE starts with one source, then the whole socket filter", () => {
  const { fake, mrt } = opened();
  fake.calls.length = 0;
  const filter = { mode: "include" as const, sources: [S, S + 1] };
  deepStrictEqual(mrt.joinGroup(G, 4, filter), { change: "joined" });
  const calls = setsockopts(fake);
  deepStrictEqual(calls.map(([fd, level, option, , len]) => [fd, level, option, len]), [
    [8, IPPROTO_IP, MCAST_JOIN_SOURCE_GROUP, 264],
    [8, IPPROTO_IP, MCAST_MSFILTER, 144 + 2 * 128],
  ]);
  deepStrictEqual((calls[0][3] as number[]).slice(136, 144), [2, 0, 0, 0, 10, 0, 0, 2]);
  deepStrictEqual((calls[1][3] as number[]).slice(136, 144), [1, 0, 0, 0, 2, 0, 0, 0]);
  deepStrictEqual(mrt.membershipSlots(G, 4), [{ fd: 8, mode: "include", sources: [S, S + 1] }]);
});

Deno.test("LinuxMrt.init: reads net.ipv4.igmp_max_msf: the sources one socket filter takes", () => {
  const fake = new FakeLibc();
  let next = 7;
  fake.on("socket", () => next++);
  const asked: string[] = [];
  const mrt = new LinuxMrt(fake.libc, { readSysctl: (name) => (asked.push(name), 3) });
  mrt.init();
  deepStrictEqual(asked, ["net.ipv4.igmp_max_msf"]);
  const sources = [1, 2, 3, 4, 5, 6, 7].map((i) => S + i);
  mrt.joinGroup(G, 4, { mode: "include", sources });
  deepStrictEqual(mrt.membershipSlots(G, 4).map((s) => s.sources.length), [3, 3, 1]);
  const unread = new LinuxMrt(new FakeLibc().libc, { readSysctl: () => undefined });
  unread.init();
  unread.joinGroup(G, 4, { mode: "include", sources });
  deepStrictEqual(unread.membershipSlots(G, 4).map((s) => s.sources.length), [7]);
});

Deno.test("decodeIgmpReceived: an upcall by its zero protocol byte, else a packet and its interface", () => {
  const upcall = hex(`
    00 00 00 00 00 00 00 00  // unused
    01                       // im_msgtype = IGMPMSG_NOCACHE
    00                       // im_mbz: the protocol byte, 0
    02 00                    // im_vif 2
    0a 00 00 02              // im_src 10.0.0.2
    ef 01 01 01              // im_dst 239.1.1.1
  `);
  const none = { control: new Uint8Array(0), controlLength: 0, name: new Uint8Array(0) };
  deepStrictEqual(decodeIgmpReceived({ data: upcall, length: 20, ...none }), {
    kind: "upcall",
    msgtype: IGMPMSG_NOCACHE,
    vif: 2,
    source: S,
    group: G,
  });
  const packet = upcall.slice();
  packet[9] = IPPROTO_IGMP;
  const control = hex(`
    1c 00 00 00 00 00 00 00  // cmsg_len 28
    00 00 00 00 08 00 00 00  // IPPROTO_IP, IP_PKTINFO
    09 00 00 00              // ipi_ifindex 9
    0a 01 00 01 e0 00 00 01  // ipi_spec_dst, ipi_addr
    00 00 00 00              // padding
  `);
  const msg = { data: packet, length: 20, control, controlLength: 28, name: none.name };
  deepStrictEqual(decodeIgmpReceived(msg), {
    kind: "packet",
    ifindex: 9,
    data: packet,
    length: 20,
  });
  deepStrictEqual(
    decodeIgmpReceived({ ...msg, controlLength: 0 }),
    { kind: "packet", ifindex: 0, data: packet, length: 20 },
    "no IP_PKTINFO: interface 0",
  );
});

/** Whether this process may open raw sockets: FFI granted and root (unit runs have neither). */
async function rawSockets(): Promise<boolean> {
  if ((await Deno.permissions.query({ name: "ffi" })).state !== "granted") return false;
  if ((await Deno.permissions.query({ name: "sys", kind: "uid" })).state !== "granted") {
    return false;
  }
  return Deno.uid() === 0;
}

/**
 * The real C library, but MRT_INIT and MRT_DONE succeed without a call: the port's socket is a
 * real raw IGMP socket with its real options, on a kernel that may have no multicast routing.
 */
function libcWithoutMrt(libc: Libc): Libc {
  const real = libc.symbols.setsockopt;
  const setsockopt: typeof real = (fd, level, option, value, len) =>
    level === IPPROTO_IP && (option === MRT_INIT || option === MRT_DONE)
      ? 0
      : real(fd, level, option, value, len);
  return { ...libc, symbols: { ...libc.symbols, setsockopt } } as Libc;
}

/** The IP header of the first IGMP packet to `destination` that `fd` reads within 2 s. */
async function readIgmpTo(libc: Libc, fd: number, destination: number): Promise<IPv4Header> {
  const buf = new Uint8Array(2048);
  const deadline = performance.now() + 2000;
  while (performance.now() < deadline) {
    const n = Number(libc.symbols.recv(fd, buf, BigInt(buf.length), MSG_DONTWAIT));
    if (n < 0) {
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    const h = decodeIPv4Header(buf, n);
    if (h.ok && h.value.destination === destination) return h.value;
  }
  throw new Error("no IGMP packet came");
}

Deno.test({
  name: "LinuxMrt.send to a unicast address: from the source given, without the socket's " +
    "Router Alert (root, FFI, on the loopback)",
  ignore: !await rawSockets(),
  async fn() {
    const libc = openLibc();
    const mrt = new LinuxMrt(libcWithoutMrt(libc), { readSysctl: () => undefined });
    const rx = libc.symbols.socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IGMP);
    const to = 0x7f000002; // 127.0.0.2, and the source 127.0.0.3: loopback addresses of ours
    try {
      ok(rx >= 0, "a raw IGMP socket to read with");
      const sockaddr = encodeSockaddrIn(new Uint8Array(SIZEOF_SOCKADDR_IN), to);
      equal(libc.symbols.bind(rx, sockaddr, SIZEOF_SOCKADDR_IN), 0);
      mrt.init();
      const message = encodeAskNeighbors2();
      // The socket's own sends carry Router Alert (IP_OPTIONS, for queries and reports) ...
      libc.symbols.sendto(mrt.fd, message, BigInt(message.length), 0, sockaddr, 16);
      const plain = await readIgmpTo(libc, rx, to);
      equal(plain.hasRouterAlert, true, "sendto: the socket's IP_OPTIONS");
      // ... a unicast send goes without it (the empty IP_RETOPTS), from the IP_PKTINFO source.
      mrt.send({ ifindex: 0, source: 0x7f000003, destination: to, message });
      const unicast = await readIgmpTo(libc, rx, to);
      deepStrictEqual(
        [unicast.source, unicast.headerLength, unicast.hasRouterAlert],
        [0x7f000003, 20, false],
      );
    } finally {
      mrt.close();
      libc.symbols.close(rx);
      libc.close();
    }
  },
});
