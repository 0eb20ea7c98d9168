import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  decodeMrt6msg,
  decodeSiocMifReq6,
  decodeSiocSgReq6,
  encodeIcmp6Filter,
  encodeMf6cctl,
  encodeMif6ctl,
  encodeMifi,
  encodeSiocMifReq6,
  encodeSiocSgReq6,
  SIZEOF_ICMP6_FILTER,
  SIZEOF_MF6CCTL,
  SIZEOF_MIF6CTL,
  SIZEOF_MIFI,
  SIZEOF_SIOC_MIF_REQ6,
  SIZEOF_SIOC_SG_REQ6,
} from "./mroute6_structs.ts";
import { MAXMIFS, MIFF_REGISTER, MRT6MSG_NOCACHE } from "./linux_constants.ts";
import { GRP, hex, SRC, UPCALL } from "./kernel_captures.ts";

Deno.test("encodeMif6ctl: 12 bytes, pifi = ifindex as u16 at offset 4", () => {
  const b = encodeMif6ctl(new Uint8Array(SIZEOF_MIF6CTL), {
    mifi: 31,
    ifindex: 0x0102,
    threshold: 1,
  });
  deepStrictEqual(
    b,
    hex(`
      1f 00        // mif6c_mifi = 31 (u16, host order)
      00           // mif6c_flags
      01           // vifc_threshold
      02 01        // mif6c_pifi = 0x0102 (u16, host order)
      00 00        // padding
      00 00 00 00  // vifc_rate_limit
    `),
  );
  equal(b.length, SIZEOF_MIF6CTL);
  equal(
    encodeMif6ctl(new Uint8Array(12), {
      mifi: 0,
      ifindex: 0,
      threshold: 0,
      flags: MIFF_REGISTER,
    })[2],
    1,
    "mif6c_flags = MIFF_REGISTER",
  );
});

Deno.test("encodeMif6ctl: mifi past MAXMIFS and an ifindex past u16 are RangeErrors", () => {
  const out = new Uint8Array(SIZEOF_MIF6CTL);
  throws(() => encodeMif6ctl(out, { mifi: MAXMIFS, ifindex: 2, threshold: 1 }), RangeError);
  throws(() => encodeMif6ctl(out, { mifi: 0, ifindex: 0x10000, threshold: 1 }), RangeError);
  throws(() => encodeMif6ctl(out, { mifi: -1, ifindex: 2, threshold: 1 }), RangeError);
});

Deno.test("encodeMifi: the 2-byte mifi_t MRT6_DEL_MIF reads", () => {
  deepStrictEqual(encodeMifi(new Uint8Array(SIZEOF_MIFI), 31), hex("1f 00"));
});

Deno.test("encodeMf6cctl: 92 bytes, two sockaddr_in6, parent, ifset (as the kernel accepted it)", () => {
  const b = encodeMf6cctl(new Uint8Array(SIZEOF_MF6CCTL), {
    source: SRC,
    group: GRP,
    parent: 0,
    oifs: [1],
  });
  deepStrictEqual(
    b,
    hex(`
      0a 00                                            // origin: sin6_family = AF_INET6
      00 00                                            // sin6_port
      00 00 00 00                                      // sin6_flowinfo
      20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01  // sin6_addr = 2001:db8::1
      00 00 00 00                                      // sin6_scope_id
      0a 00 00 00 00 00 00 00                          // mcastgrp: family, port, flowinfo
      ff 05 00 00 00 00 00 00 00 00 00 00 00 00 00 01  // sin6_addr = ff05::1
      00 00 00 00                                      // sin6_scope_id
      00 00                                            // mf6cc_parent = mif 0 (@56)
      00 00                                            // padding
      02 00 00 00                                      // ifs_bits[0]: bit 1 = mif 1 (@60)
      00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  // ifs_bits[1..4]
      00 00 00 00 00 00 00 00 00 00 00 00              // ifs_bits[5..7]
    `),
  );
  equal(b.length, SIZEOF_MF6CCTL);
});

Deno.test("encodeMf6cctl: mif n is bit n & 31 of u32 word n >> 5, host order", () => {
  const ifset = (
    oifs: number[],
  ) => [
    ...encodeMf6cctl(new Uint8Array(SIZEOF_MF6CCTL), { source: SRC, group: GRP, parent: 7, oifs })
      .subarray(60, 64),
  ];
  deepStrictEqual(ifset([0]), [0x01, 0, 0, 0], "mif 0: bit 0, lowest byte");
  deepStrictEqual(ifset([9]), [0, 0x02, 0, 0], "mif 9: bit 9");
  deepStrictEqual(ifset([31]), [0, 0, 0, 0x80], "mif 31: bit 31 (the sign bit), highest byte");
  deepStrictEqual(ifset([0, 31, 31]), [0x01, 0, 0, 0x80], "a repeated mif sets its bit once");
  deepStrictEqual(ifset([]), [0, 0, 0, 0], "no oifs");
  const b = encodeMf6cctl(new Uint8Array(SIZEOF_MF6CCTL + 4).fill(0xee), {
    source: SRC,
    group: GRP,
    parent: 31,
    oifs: [0, 1, 30, 31],
  });
  deepStrictEqual([...b.subarray(56, 58)], [0x1f, 0x00], "mf6cc_parent = 31 (u16, host order)");
  deepStrictEqual([...b.subarray(60, 64)], [0x03, 0, 0, 0xc0], "mifs 0, 1, 30, 31");
  deepStrictEqual(
    [...b.subarray(64)],
    new Array(28).fill(0),
    "words 1..7: the kernel reads no more",
  );
});

Deno.test("encodeMf6cctl: a mif from MAXMIFS on, which the kernel would ignore, is a RangeError", () => {
  const out = new Uint8Array(SIZEOF_MF6CCTL);
  throws(() => encodeMf6cctl(out, { source: SRC, group: GRP, parent: 0, oifs: [32] }), RangeError);
  throws(() => encodeMf6cctl(out, { source: SRC, group: GRP, parent: 0, oifs: [255] }), RangeError);
  throws(() => encodeMf6cctl(out, { source: SRC, group: GRP, parent: 32, oifs: [] }), RangeError);
  throws(
    () => encodeMf6cctl(out, { source: SRC.subarray(0, 4), group: GRP, parent: 0, oifs: [] }),
    RangeError,
    "a 4-byte source",
  );
});

Deno.test("encodeIcmp6Filter: blocks all but the MLD types (read back from the kernel)", () => {
  const b = encodeIcmp6Filter([130, 131, 132, 143]);
  deepStrictEqual(
    b,
    hex(`
      ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff  // words 0..3: types 0..127 blocked
      e3 7f ff ff                                      // word 4 = 0xffff7fe3: 130, 131, 132, 143 pass
      ff ff ff ff ff ff ff ff ff ff ff ff              // words 5..7: types 160..255 blocked
    `),
  );
  equal(b.length, SIZEOF_ICMP6_FILTER);
  const edges = encodeIcmp6Filter([0, 31, 32, 255], new Uint8Array(SIZEOF_ICMP6_FILTER));
  deepStrictEqual([...edges.subarray(0, 8)], [0xfe, 0xff, 0xff, 0x7f, 0xfe, 0xff, 0xff, 0xff]);
  equal(edges[31], 0x7f, "type 255: bit 31 of word 7");
  throws(() => encodeIcmp6Filter([256]), RangeError);
});

Deno.test("encodeSiocSgReq6 and decodeSiocSgReq6: 80 bytes, counters as u64 at 56, 64, 72", () => {
  const b = encodeSiocSgReq6(new Uint8Array(SIZEOF_SIOC_SG_REQ6).fill(0xee), {
    source: SRC,
    group: GRP,
  });
  equal(b.length, 80);
  deepStrictEqual([...b.subarray(0, 8)], [10, 0, 0, 0, 0, 0, 0, 0], "src: family, port, flowinfo");
  deepStrictEqual(b.subarray(8, 24), SRC, "src.sin6_addr");
  deepStrictEqual(
    [...b.subarray(28, 36)],
    [10, 0, 0, 0, 0, 0, 0, 0],
    "grp: family, port, flowinfo",
  );
  deepStrictEqual(b.subarray(36, 52), GRP, "grp.sin6_addr");
  deepStrictEqual([...b.subarray(52)], new Array(28).fill(0), "scope id and counters zeroed");
  const v = new DataView(b.buffer);
  v.setBigUint64(56, 4n, true); // pktcnt
  v.setBigUint64(64, 592n, true); // bytecnt
  v.setBigUint64(72, 0x1_0000_0002n, true); // wrong_if, past 32 bits
  deepStrictEqual(decodeSiocSgReq6(b), { packets: 4, bytes: 592, wrongIf: 0x1_0000_0002 });
});

Deno.test("encodeSiocMifReq6 and decodeSiocMifReq6: the same 40 bytes with a mifi_t", () => {
  const b = encodeSiocMifReq6(new Uint8Array(SIZEOF_SIOC_MIF_REQ6).fill(0xee), 0x1f);
  deepStrictEqual(
    b,
    hex(`
      1f 00                    // mifi (mifi_t, u16 host order) = 31
      00 00 00 00 00 00        // padding
      00 00 00 00 00 00 00 00  // icount
      00 00 00 00 00 00 00 00  // ocount
      00 00 00 00 00 00 00 00  // ibytes
      00 00 00 00 00 00 00 00  // obytes
    `),
  );
  equal(SIZEOF_SIOC_MIF_REQ6, 40, "sizeof(struct sioc_mif_req6) on x86_64");
  const filled = hex(`
    00 00                    // mifi = 0
    00 00 00 00 00 00        // padding
    64 00 00 00 00 00 00 00  // icount = 100
    00 00 00 00 00 00 00 00  // ocount = 0
    c8 af 00 00 00 00 00 00  // ibytes = 0xafc8 = 45000
    00 00 00 00 00 00 00 00  // obytes = 0
  `);
  deepStrictEqual(decodeSiocMifReq6(filled), {
    packetsIn: 100,
    packetsOut: 0,
    bytesIn: 45000,
    bytesOut: 0,
  });
  throws(() => encodeSiocMifReq6(new Uint8Array(SIZEOF_SIOC_MIF_REQ6), MAXMIFS), RangeError);
});

Deno.test("decodeMrt6msg: a captured NOCACHE upcall; an ICMPv6 message or a short read is not one", () => {
  deepStrictEqual(decodeMrt6msg(UPCALL, 80), {
    msgtype: MRT6MSG_NOCACHE,
    mif: 0,
    source: SRC,
    group: hex("ff 05 00 00 00 00 00 00 00 00 00 00 00 00 00 02"),
  });
  const copy = UPCALL.slice();
  const m = decodeMrt6msg(copy, 40);
  copy.fill(0xee);
  deepStrictEqual(m?.source, SRC, "addresses are copies, not views of the receive buffer");
  const high = UPCALL.slice();
  high[2] = 31;
  high[3] = 0;
  equal(decodeMrt6msg(high, 80)?.mif, 31, "im6_mif is a host-order u16");
  high[3] = 1;
  equal(decodeMrt6msg(high, 80)?.mif, 0x011f);
  const report = hex("8f 00 ab 20 00 00 00 01 04 00 00 00"); // MLDv2 report header, type 143
  const packet = UPCALL.slice();
  packet.set(report);
  equal(decodeMrt6msg(packet, 80), undefined, "byte 0 is an ICMPv6 type");
  equal(decodeMrt6msg(UPCALL, 39), undefined, "shorter than struct mrt6msg");
});
