import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { openLibc } from "../../ffi/libc.ts";
import {
  AF_INET,
  IPPROTO_IGMP,
  POLLIN,
  SOCK_CLOEXEC,
  SOCK_RAW,
} from "../../ffi/linux_constants.ts";
import { Receiver } from "../../ffi/receiver.ts";
import { encodeSockaddrIn, SIZEOF_SOCKADDR_IN } from "../../ffi/socket_structs.ts";
import { formatIPv4 } from "../../src/proto/addr.ts";
import { decodeDvmrp } from "../../src/proto/dvmrp.ts";
import { decodeIPv4Header } from "../../src/proto/ipv4.ts";
import { encodeAskNeighbors2, encodeNeighbors2 } from "../../src/proto/dvmrp_encode.ts";
import type { DvmrpNeighbors2Vif, DvmrpVifFlags } from "../../src/proto/dvmrp.ts";
import { encodeV2Report } from "../../src/proto/igmp_encode.ts";
import { ip } from "../../src/proto/testing.ts";
import { neighbors2ReplyOf } from "./dvmrp_ask.ts";
import { askNeighbors } from "./igmp_tool.ts";
import { buildIPv4Packet } from "./igmp_packets.ts";
import type { LabShell } from "./lab.ts";

const NO_FLAGS: DvmrpVifFlags = {
  tunnel: false,
  sourceRoute: false,
  down: false,
  disabled: false,
  querier: false,
  leaf: false,
};

/** r2 of the router lab's chain: its LAN (a leaf, querier, threshold 64) and two links. */
const R2_VIFS: DvmrpNeighbors2Vif[] = [
  {
    localAddress: ip("10.2.0.1"),
    metric: 1,
    threshold: 64,
    flags: { ...NO_FLAGS, querier: true, leaf: true },
    neighbors: [0],
  },
  {
    localAddress: ip("10.100.1.2"),
    metric: 1,
    threshold: 1,
    flags: NO_FLAGS,
    neighbors: [ip("10.100.1.1")],
  },
  {
    localAddress: ip("10.100.2.1"),
    metric: 1,
    threshold: 1,
    flags: NO_FLAGS,
    neighbors: [ip("10.100.2.2")],
  },
];

/** A Neighbors2 in an IP packet, as a router sends it (with a Router Alert). */
function reply(from: string, vifs = R2_VIFS): Uint8Array {
  return buildIPv4Packet({
    source: ip(from),
    destination: ip("10.2.0.11"),
    payload: encodeNeighbors2(vifs),
    ttl: 64,
  });
}

Deno.test("neighbors2ReplyOf decodes the router's Neighbors2 with its addresses as text", () => {
  const packet = reply("10.2.0.1");
  const r = neighbors2ReplyOf(packet, packet.length, ip("10.2.0.1"));
  deepStrictEqual(r?.from, "10.2.0.1");
  equal(r.to, "10.2.0.11");
  equal(r.routerAlert, true);
  equal(r.version, "3.255");
  equal(r.capabilities.prune, true);
  deepStrictEqual(r.vifs.map((v) => [v.localAddress, v.metric, v.threshold, v.neighbors]), [
    ["10.2.0.1", 1, 64, ["0.0.0.0"]],
    ["10.100.1.2", 1, 1, ["10.100.1.1"]],
    ["10.100.2.1", 1, 1, ["10.100.2.2"]],
  ]);
  deepStrictEqual(r.vifs[0].flags, { ...NO_FLAGS, querier: true, leaf: true });
});

Deno.test("neighbors2ReplyOf takes a reply from another of the router's addresses, as mrinfo", () => {
  // Asked at its LAN address from afar, the router answers from the link the question came in.
  const packet = reply("10.100.1.2");
  equal(neighbors2ReplyOf(packet, packet.length, ip("10.2.0.1"))?.from, "10.100.1.2");
});

Deno.test("neighbors2ReplyOf skips everything else the raw socket reads", () => {
  const router = ip("10.2.0.1");
  const other = reply("10.9.0.1", [{ ...R2_VIFS[0], localAddress: ip("10.9.0.1") }]);
  equal(neighbors2ReplyOf(other, other.length, router), undefined, "another router's");
  const ask = buildIPv4Packet({
    source: ip("10.2.0.11"),
    destination: router,
    payload: encodeAskNeighbors2(),
  });
  equal(neighbors2ReplyOf(ask, ask.length, router), undefined, "our own question");
  const report = buildIPv4Packet({
    source: router,
    destination: ip("239.1.1.1"),
    payload: encodeV2Report(ip("239.1.1.1")),
  });
  equal(neighbors2ReplyOf(report, report.length, router), undefined, "an IGMP report");
  const good = reply("10.2.0.1");
  equal(neighbors2ReplyOf(good, good.length - 1, router), undefined, "truncated");
  const corrupt = good.slice();
  corrupt[corrupt.length - 1] ^= 0xff;
  equal(neighbors2ReplyOf(corrupt, corrupt.length, router), undefined, "bad checksum");
  const udp = buildIPv4Packet({
    source: router,
    destination: ip("10.2.0.11"),
    payload: encodeNeighbors2(R2_VIFS),
    protocol: 17,
  });
  equal(neighbors2ReplyOf(udp, udp.length, router), undefined, "not IGMP");
});

/** Whether this process may open raw sockets: FFI granted and root (unit runs have neither). */
async function rawSockets(): Promise<boolean> {
  if ((await Deno.permissions.query({ name: "ffi" })).state !== "granted") return false;
  if ((await Deno.permissions.query({ name: "run" })).state !== "granted") return false;
  return Deno.uid() === 0;
}

/**
 * A router on the loopback: answers the first Ask Neighbors2 to `address` with R2_VIFS;
 * `answered` says whom, and whether the question had a Router Alert.
 */
function fakeRouter(
  address: string,
): { answered: Promise<{ from: string; routerAlert: boolean }> } & Disposable {
  const libc = openLibc();
  const s = libc.symbols;
  const fd = s.socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IGMP);
  ok(fd >= 0, "a raw IGMP socket");
  const sockaddr = new Uint8Array(SIZEOF_SOCKADDR_IN);
  equal(s.bind(fd, encodeSockaddrIn(sockaddr, ip(address)), SIZEOF_SOCKADDR_IN), 0);
  let closed = false;
  const answered = (async () => {
    const r = new Receiver({ data: 2048, control: 64 });
    const pollfd = new Uint8Array(8);
    new DataView(pollfd.buffer).setInt32(0, fd, true);
    new DataView(pollfd.buffer).setInt16(4, POLLIN, true);
    while (!closed) {
      await s.poll(pollfd, 1n, 100);
      for (let n = r.receive(libc, fd); n !== undefined; n = r.receive(libc, fd)) {
        const h = decodeIPv4Header(r.data, n);
        if (!h.ok || h.value.destination !== ip(address)) continue;
        const m = decodeDvmrp(r.data, h.value.headerLength, n - h.value.headerLength);
        if (!m.ok || m.value.type !== "ask-neighbors2") continue;
        encodeSockaddrIn(sockaddr, h.value.source);
        const answer = encodeNeighbors2(R2_VIFS);
        s.sendto(fd, answer, BigInt(answer.length), 0, sockaddr, SIZEOF_SOCKADDR_IN);
        return { from: formatIPv4(h.value.source), routerAlert: h.value.hasRouterAlert };
      }
    }
    return { from: "", routerAlert: false };
  })();
  return {
    answered,
    [Symbol.dispose]() {
      closed = true;
      answered.finally(() => {
        s.close(fd);
        libc.close();
      });
    },
  };
}

/** A lab shell whose namespaces are this one: `exec` runs the command here. */
const HERE = {
  async exec(_ns: string, argv: string[]) {
    const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdin: "null" }).output();
    const text = new TextDecoder();
    return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  },
} as unknown as LabShell;

Deno.test({
  name: "askNeighbors asks a router on the loopback and prints its Neighbors2 (root, FFI)",
  ignore: !await rawSockets(),
  sanitizeOps: false,
  async fn() {
    using router = fakeRouter("127.0.0.2");
    const r = await askNeighbors(HERE, "", {
      iface: "lo",
      source: "127.0.0.1",
      router: "127.0.0.2",
      timeoutMs: 5000,
    });
    deepStrictEqual(
      await router.answered,
      { from: "127.0.0.1", routerAlert: false },
      "asked from the source given, without Router Alert (as mrinfo)",
    );
    equal(r?.from, "127.0.0.2");
    deepStrictEqual(r.vifs.map((v) => v.localAddress), ["10.2.0.1", "10.100.1.2", "10.100.2.1"]);
    equal(r.vifs[0].threshold, 64);
  },
});

Deno.test({
  name: "askNeighbors says undefined when nobody answers in time (root, FFI)",
  ignore: !await rawSockets(),
  async fn() {
    const t0 = performance.now();
    const r = await askNeighbors(HERE, "", {
      iface: "lo",
      source: "127.0.0.1",
      router: "127.0.0.3",
      timeoutMs: 300,
    });
    equal(r, undefined);
    ok(performance.now() - t0 >= 300);
  },
});
