import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  encodeGroupFilter,
  encodeGroupReq,
  encodeGroupSourceReq,
  encodeIpMreqn,
  encodeIpv6Mreq,
  encodeSockaddrIn,
  encodeSockaddrIn6,
  groupFilterSize,
  SIZEOF_GROUP_FILTER,
  SIZEOF_GROUP_REQ,
  SIZEOF_GROUP_SOURCE_REQ,
  SIZEOF_IP_MREQN,
  SIZEOF_IPV6_MREQ,
  SIZEOF_SOCKADDR_IN,
  SIZEOF_SOCKADDR_IN6,
} from "./socket_structs.ts";
import { GRP, hex, SRC } from "./kernel_captures.ts";

Deno.test("encodeIpMreqn and encodeSockaddrIn", () => {
  deepStrictEqual(
    [...encodeIpMreqn(new Uint8Array(SIZEOF_IP_MREQN), {
      group: 0xe0000002,
      address: 0,
      ifindex: 4,
    })],
    [224, 0, 0, 2, 0, 0, 0, 0, 4, 0, 0, 0],
  );
  deepStrictEqual(
    [...encodeSockaddrIn(new Uint8Array(SIZEOF_SOCKADDR_IN), 0xe0000001)],
    [2, 0, 0, 0, 224, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
  );
});

Deno.test("encodeIpv6Mreq: 20 bytes, group then ifindex", () => {
  deepStrictEqual(
    encodeIpv6Mreq(new Uint8Array(SIZEOF_IPV6_MREQ), {
      group: hex("ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 16"),
      ifindex: 3,
    }),
    hex(`
      ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 16  // ipv6mr_multiaddr = ff02::16
      03 00 00 00                                      // ipv6mr_interface (host order)
    `),
  );
});

Deno.test("encodeSockaddrIn6: 28 bytes, scope id for a link-local destination", () => {
  const ff02_1 = hex("ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 01");
  deepStrictEqual(
    encodeSockaddrIn6(new Uint8Array(SIZEOF_SOCKADDR_IN6).fill(0xee), ff02_1, 3),
    hex(`
      0a 00                                            // sin6_family = AF_INET6 (host order)
      00 00                                            // sin6_port: 0 on a raw socket
      00 00 00 00                                      // sin6_flowinfo
      ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 01  // sin6_addr = ff02::1
      03 00 00 00                                      // sin6_scope_id = ifindex 3
    `),
  );
  deepStrictEqual(
    [...encodeSockaddrIn6(new Uint8Array(SIZEOF_SOCKADDR_IN6), GRP).subarray(24)],
    [0, 0, 0, 0],
    "no scope id",
  );
});

/** `n` zero bytes, as hex. */
function zeros(n: number): string {
  return " 00".repeat(n);
}

Deno.test("encodeGroupReq: 136 bytes, the interface then a sockaddr_in or sockaddr_in6 at 8", () => {
  const v4 = encodeGroupReq(new Uint8Array(SIZEOF_GROUP_REQ + 4).fill(0xff), {
    ifindex: 4,
    group: 0xef010101,
  });
  deepStrictEqual(
    v4,
    hex(`
      04 00 00 00 00 00 00 00  // gr_interface u32 = 4, 4 bytes of padding
      02 00 00 00 ef 01 01 01  // gr_group: sin_family AF_INET, sin_port 0, sin_addr 239.1.1.1
      ${zeros(120)}            // the rest of the sockaddr_storage
    `),
  );
  const v6 = encodeGroupReq(new Uint8Array(SIZEOF_GROUP_REQ), { ifindex: 0x102, group: GRP });
  deepStrictEqual(
    v6,
    hex(`
      02 01 00 00 00 00 00 00  // gr_interface = 0x102
      0a 00 00 00 00 00 00 00  // sin6_family AF_INET6, sin6_port 0, sin6_flowinfo 0
      ${[...GRP].map((b) => b.toString(16).padStart(2, "0")).join(" ")} // sin6_addr ff05::1
      00 00 00 00              // sin6_scope_id 0
      ${zeros(100)}
    `),
  );
});

Deno.test("encodeGroupSourceReq: 264 bytes, the group at 8 and the source at 136", () => {
  const req = encodeGroupSourceReq(new Uint8Array(SIZEOF_GROUP_SOURCE_REQ), {
    ifindex: 3,
    group: 0xe8010101,
    source: 0x0a000002,
  });
  deepStrictEqual(
    req,
    hex(`
      03 00 00 00 00 00 00 00  // gsr_interface = 3
      02 00 00 00 e8 01 01 01  // gsr_group: AF_INET, 232.1.1.1
      ${zeros(120)}
      02 00 00 00 0a 00 00 02  // gsr_source: AF_INET, 10.0.0.2
      ${zeros(120)}
    `),
  );
  const v6 = encodeGroupSourceReq(new Uint8Array(SIZEOF_GROUP_SOURCE_REQ), {
    ifindex: 3,
    group: GRP,
    source: SRC,
  });
  deepStrictEqual(v6.subarray(136, 136 + 24), new Uint8Array([10, 0, 0, 0, 0, 0, 0, 0, ...SRC]));
});

Deno.test("encodeGroupFilter: GROUP_FILTER_SIZE(n) bytes, mode and count, then one sockaddr each", () => {
  equal(groupFilterSize(0), 144);
  equal(groupFilterSize(1), SIZEOF_GROUP_FILTER);
  const f = encodeGroupFilter({
    ifindex: 4,
    group: 0xef010101,
    mode: "exclude",
    sources: [0x0a000009, 0x0a00000a],
  });
  deepStrictEqual(
    f,
    hex(`
      04 00 00 00 00 00 00 00  // gf_interface = 4
      02 00 00 00 ef 01 01 01  // gf_group: AF_INET, 239.1.1.1
      ${zeros(120)}
      00 00 00 00              // gf_fmode = MCAST_EXCLUDE
      02 00 00 00              // gf_numsrc = 2
      02 00 00 00 0a 00 00 09  // gf_slist[0]: 10.0.0.9
      ${zeros(120)}
      02 00 00 00 0a 00 00 0a  // gf_slist[1]: 10.0.0.10
      ${zeros(120)}
    `),
  );
  const inc = encodeGroupFilter({ ifindex: 4, group: GRP, mode: "include", sources: [SRC] });
  equal(inc.byteLength, 272);
  deepStrictEqual(inc.subarray(136, 144), hex("01 00 00 00 01 00 00 00")); // INCLUDE, 1 source
  deepStrictEqual(inc.subarray(144, 168), new Uint8Array([10, 0, 0, 0, 0, 0, 0, 0, ...SRC]));
  equal(encodeGroupFilter({ ifindex: 4, group: GRP, mode: "exclude", sources: [] }).length, 144);
});

Deno.test("encodeGroupFilter: writes into a buffer big enough (stale bytes cleared), else a new one", () => {
  const req = { ifindex: 4, group: GRP, mode: "include" as const, sources: [SRC] };
  const fresh = encodeGroupFilter(req);
  const out = new Uint8Array(1024).fill(0xff);
  const reused = encodeGroupFilter(req, out);
  equal(reused.buffer, out.buffer);
  equal(reused.byteLength, 272);
  deepStrictEqual(reused, fresh);
  equal(out[272], 0xff, "nothing written past the filter");
  const small = new Uint8Array(144);
  const grown = encodeGroupFilter(req, small);
  ok(grown.buffer !== small.buffer);
  deepStrictEqual(grown, fresh);
});
