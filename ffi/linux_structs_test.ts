import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  decodeAddrDump,
  decodeIgmpmsg,
  decodeMrt6msg,
  decodeSiocMifReq6,
  decodeSiocSgReq6,
  decodeSiocVifReq,
  encodeGetAddrRequest,
  encodeIcmp6Filter,
  encodeIn6PktinfoCmsg,
  encodeIpMreqn,
  encodeIpv6Mreq,
  encodeMf6cctl,
  encodeMfcctl,
  encodeMif6ctl,
  encodeMifi,
  encodeSiocMifReq6,
  encodeSiocSgReq6,
  encodeSiocVifReq,
  encodeSockaddrIn,
  encodeSockaddrIn6,
  encodeSockaddrNl,
  encodeVifctl,
  findCmsgData,
  findHopByHopRouterAlert,
  findHopLimit,
  findIn6Pktinfo,
  findPktinfoIfindex,
  SIZEOF_ICMP6_FILTER,
  SIZEOF_IN6_PKTINFO_CMSG,
  SIZEOF_IP_MREQN,
  SIZEOF_IPV6_MREQ,
  SIZEOF_MF6CCTL,
  SIZEOF_MFCCTL,
  SIZEOF_MIF6CTL,
  SIZEOF_MIFI,
  SIZEOF_SIOC_MIF_REQ6,
  SIZEOF_SIOC_SG_REQ6,
  SIZEOF_SIOC_VIF_REQ,
  SIZEOF_SOCKADDR_IN,
  SIZEOF_SOCKADDR_IN6,
  SIZEOF_SOCKADDR_NL,
  SIZEOF_VIFCTL,
} from "./linux_structs.ts";
import {
  IPPROTO_IPV6,
  IPV6_HOPOPTS,
  IPV6_HOPOPTS_RA_BYTES,
  MAXMIFS,
  MIFF_REGISTER,
  MRT6MSG_NOCACHE,
  RTMGRP_IPV4_IFADDR,
  RTMGRP_LINK,
} from "./linux_constants.ts";

Deno.test("encodeVifctl: 16 bytes, VIFF_USE_IFINDEX, ifindex at offset 8", () => {
  const b = encodeVifctl(new Uint8Array(SIZEOF_VIFCTL), { vifi: 3, ifindex: 7, threshold: 5 });
  deepStrictEqual([...b], [
    3,
    0, // vifc_vifi (u16, host order)
    8, // vifc_flags = VIFF_USE_IFINDEX
    5, // vifc_threshold
    0,
    0,
    0,
    0, // vifc_rate_limit
    7,
    0,
    0,
    0, // vifc_lcl_ifindex
    0,
    0,
    0,
    0, // vifc_rmt_addr
  ]);
});

Deno.test("encodeMfcctl: 60 bytes, addresses in network order, ttls per VIF", () => {
  const b = encodeMfcctl(new Uint8Array(SIZEOF_MFCCTL), {
    source: 0x0a000002, // 10.0.0.2
    group: 0xef010101, // 239.1.1.1
    parent: 0,
    oifs: [{ vifi: 1, ttl: 1 }, { vifi: 2, ttl: 5 }],
  });
  equal(b.length, 60);
  deepStrictEqual([...b.subarray(0, 10)], [10, 0, 0, 2, 239, 1, 1, 1, 0, 0]);
  deepStrictEqual([...b.subarray(10, 14)], [0, 1, 5, 0], "mfcc_ttls[0..3]");
  deepStrictEqual([...b.subarray(42)], new Array(18).fill(0), "padding and counters are zero");
});

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

Deno.test("decodeIgmpmsg: a NOCACHE upcall, and an IGMP packet is not an upcall", () => {
  const upcall = new Uint8Array([
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0, // unused
    1, // im_msgtype = IGMPMSG_NOCACHE
    0, // im_mbz (the IP protocol byte: 0 marks an upcall)
    2,
    0, // im_vif, im_vif_hi
    10,
    0,
    0,
    2, // im_src
    239,
    1,
    1,
    1, // im_dst
  ]);
  deepStrictEqual(decodeIgmpmsg(upcall, upcall.length), {
    msgtype: 1,
    vif: 2,
    source: 0x0a000002,
    group: 0xef010101,
  });
  const igmp = upcall.slice();
  igmp[9] = 2; // protocol IGMP
  equal(decodeIgmpmsg(igmp, igmp.length), undefined);
  equal(decodeIgmpmsg(upcall, 12), undefined, "too short");
});

Deno.test("findPktinfoIfindex: walks cmsgs and finds IP_PKTINFO", () => {
  const c = new Uint8Array(64);
  const v = new DataView(c.buffer);
  // first cmsg: level 0 type 2 (IP_TTL) with 4 bytes of data, len 20 → next at 24
  v.setBigUint64(0, 20n, true);
  v.setInt32(8, 0, true);
  v.setInt32(12, 2, true);
  // second cmsg: IP_PKTINFO, ifindex 9
  v.setBigUint64(24, 28n, true);
  v.setInt32(32, 0, true);
  v.setInt32(36, 8, true);
  v.setInt32(40, 9, true);
  equal(findPktinfoIfindex(c, 52), 9);
  equal(findPktinfoIfindex(c, 20), 0, "absent");
  v.setBigUint64(0, 4n, true);
  equal(findPktinfoIfindex(c, 52), 0, "a bad cmsg_len stops the walk");
});

Deno.test("encodeSockaddrNl: 12 bytes, AF_NETLINK, kernel-chosen port id, group mask", () => {
  const b = encodeSockaddrNl(new Uint8Array(SIZEOF_SOCKADDR_NL), {
    groups: RTMGRP_LINK | RTMGRP_IPV4_IFADDR,
  });
  deepStrictEqual([...b], [
    16,
    0, // nl_family = AF_NETLINK (u16, host order)
    0,
    0, // nl_pad
    0,
    0,
    0,
    0, // nl_pid = 0: the kernel assigns one
    0x11,
    0,
    0,
    0, // nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR
  ]);
});

// ---------------------------------------------------------------------------------------------
// IPv6. Layouts checked with sizeof/offsetof from the system headers; the vectors marked
// "captured" are bytes a Linux 6.x kernel wrote (namespace probe: MRT6_INIT, MIFs 0/1/31,
// a host on mif 0 sending to ff05::2, a host on v1 = ifindex 3 joining ff05::1).

/** Bytes from hex pairs in a template; whitespace and `//` comments to the end of a line are ignored. */
function hex(text: string): Uint8Array {
  const digits = text.replace(/\/\/[^\n]*/g, "").replace(/\s+/g, "");
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) throw new Error("bad hex");
  return new Uint8Array(digits.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
}

const SRC = hex("20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"); // 2001:db8::1
const GRP = hex("ff 05 00 00 00 00 00 00 00 00 00 00 00 00 00 01"); // ff05::1

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

Deno.test("encodeSiocVifReq and decodeSiocVifReq: 40 bytes, vifi u16, four u64 counters", () => {
  const b = encodeSiocVifReq(new Uint8Array(SIZEOF_SIOC_VIF_REQ).fill(0xee), 3);
  deepStrictEqual(
    b,
    hex(`
      03 00                    // vifi (vifi_t, u16 host order) = 3
      00 00 00 00 00 00        // padding to the alignment of unsigned long
      00 00 00 00 00 00 00 00  // icount: zeroed, the kernel writes it
      00 00 00 00 00 00 00 00  // ocount
      00 00 00 00 00 00 00 00  // ibytes
      00 00 00 00 00 00 00 00  // obytes
    `),
  );
  equal(SIZEOF_SIOC_VIF_REQ, 40, "sizeof(struct sioc_vif_req) on x86_64");
  // What SIOCGETVIFCNT wrote back for VIF 1 after 10 packets in and 2322 out.
  const filled = hex(`
    01 00                    // vifi = 1 (left as it was)
    00 00 00 00 00 00        // padding
    0a 00 00 00 00 00 00 00  // icount = 10
    12 09 00 00 00 00 00 00  // ocount = 0x0912 = 2322
    80 0c 00 00 00 00 00 00  // ibytes = 0x0c80 = 3200
    02 00 00 00 01 00 00 00  // obytes = 0x1_0000_0002, past 32 bits
  `);
  deepStrictEqual(decodeSiocVifReq(filled), {
    packetsIn: 10,
    packetsOut: 2322,
    bytesIn: 3200,
    bytesOut: 0x1_0000_0002,
  });
  throws(() => encodeSiocVifReq(new Uint8Array(SIZEOF_SIOC_VIF_REQ), 32), RangeError);
  throws(() => encodeSiocVifReq(new Uint8Array(SIZEOF_SIOC_VIF_REQ), -1), RangeError);
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

/** Captured: the NOCACHE upcall for (2001:db8::1, ff05::2) arriving on mif 0; recvmsg gave 80 bytes. */
const UPCALL = hex(`
  00                                               // im6_mbz: 0 marks an upcall
  01                                               // im6_msgtype = MRT6MSG_NOCACHE
  00 00                                            // im6_mif = 0 (host order)
  00 00 00 00                                      // im6_pad
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01  // im6_src = 2001:db8::1
  ff 05 00 00 00 00 00 00 00 00 00 00 00 00 00 02  // im6_dst = ff05::2
  00 00 00 fe 14 00 01 00 20 01 0d b8 00 01 00 00  // 40 more bytes that mean nothing
  00 00 00 00 00 00 00 fe 24 00 01 00 00 00 00 00
  00 00 00 00 00 00 00 00
`);
/** Captured: the control buffer that came with UPCALL (64 bytes). */
const UPCALL_CONTROL = hex(`
  24 00 00 00 00 00 00 00  // cmsg_len = 36
  29 00 00 00 32 00 00 00  // level IPPROTO_IPV6, type IPV6_PKTINFO
  00 00 00 00 00 00 00 00 00 00 ff ff 00 00 00 00  // ipi6_addr = ::ffff:0.0.0.0
  00 00 00 00              // ipi6_ifindex = 0
  00 00 00 00              // padding to 40
  14 00 00 00 00 00 00 00  // cmsg_len = 20
  29 00 00 00 34 00 00 00  // level IPPROTO_IPV6, type IPV6_HOPLIMIT
  00 00 00 00              // hop limit 0
  00 00 00 00              // padding to 64
`);
/** Captured: an MLDv2 report from a host on ifindex 3, with IPV6_RECV{PKTINFO,HOPLIMIT,HOPOPTS}. */
const REPORT_CONTROL = hex(`
  24 00 00 00 00 00 00 00  // cmsg_len = 36
  29 00 00 00 32 00 00 00  // level IPPROTO_IPV6, type IPV6_PKTINFO
  ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 16  // ipi6_addr = ff02::16 (the destination)
  03 00 00 00              // ipi6_ifindex = 3
  00 00 00 00              // padding to 40
  14 00 00 00 00 00 00 00  // cmsg_len = 20
  29 00 00 00 34 00 00 00  // level IPPROTO_IPV6, type IPV6_HOPLIMIT
  01 00 00 00              // hop limit 1
  00 00 00 00              // padding to 64
  18 00 00 00 00 00 00 00  // cmsg_len = 24
  29 00 00 00 36 00 00 00  // level IPPROTO_IPV6, type IPV6_HOPOPTS
  3a                       // next header = ICMPv6
  00                       // length: 8 bytes
  05 02 00 00              // Router Alert, value 0 (MLD)
  01 00                    // PadN, 0 bytes
`);

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

Deno.test("findIn6Pktinfo, findHopLimit, findHopByHopRouterAlert: a captured MLDv2 report", () => {
  const pi = findIn6Pktinfo(REPORT_CONTROL, REPORT_CONTROL.length);
  deepStrictEqual(pi, {
    ifindex: 3,
    address: hex("ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 16"),
  });
  equal(findHopLimit(REPORT_CONTROL, REPORT_CONTROL.length), 1);
  equal(findHopByHopRouterAlert(REPORT_CONTROL, REPORT_CONTROL.length), true);
  equal(findHopByHopRouterAlert(REPORT_CONTROL, 64), false, "controllen cuts the third cmsg off");
  equal(findHopLimit(REPORT_CONTROL, 40), undefined, "only the first cmsg within controllen");
  equal(findPktinfoIfindex(REPORT_CONTROL, REPORT_CONTROL.length), 0, "no IPv4 pktinfo");
});

Deno.test("findIn6Pktinfo on a captured upcall: ifindex 0, hop limit 0, no hop-by-hop header", () => {
  equal(findIn6Pktinfo(UPCALL_CONTROL, UPCALL_CONTROL.length)?.ifindex, 0);
  equal(findHopLimit(UPCALL_CONTROL, UPCALL_CONTROL.length), 0);
  equal(findHopByHopRouterAlert(UPCALL_CONTROL, UPCALL_CONTROL.length), false);
  equal(findIn6Pktinfo(new Uint8Array(64), 0), undefined, "no control data");
});

Deno.test("findCmsgData: level, type and minimum length must all match; a bad cmsg_len stops", () => {
  const c = new Uint8Array(96);
  const v = new DataView(c.buffer);
  // cmsg 1: level 41 type 50 with only 4 bytes of data (too short for in6_pktinfo), len 20 → @24
  v.setBigUint64(0, 20n, true);
  v.setInt32(8, 41, true);
  v.setInt32(12, 50, true);
  v.setInt32(16, 7, true);
  // cmsg 2: level 0 type 50 (wrong level), 20 bytes of data, len 36 → @64
  v.setBigUint64(24, 36n, true);
  v.setInt32(32, 0, true);
  v.setInt32(36, 50, true);
  // cmsg 3: level 41 type 50, in6_pktinfo with ifindex 9, len 36 → ends at 100 > 96: past the end
  v.setBigUint64(64, 36n, true);
  v.setInt32(72, 41, true);
  v.setInt32(76, 50, true);
  equal(findIn6Pktinfo(c, 96), undefined, "a cmsg running past controllen is not read");
  v.setBigUint64(64, 32n, true); // now len 32: still 4 bytes short of in6_pktinfo
  equal(findIn6Pktinfo(c, 96), undefined);
  deepStrictEqual(
    findCmsgData(c, 96, { level: 41, type: 50, minLength: 4 }),
    c.subarray(16, 20),
    "the first match with enough data",
  );
  deepStrictEqual(findCmsgData(c, 96, { level: 41, type: 50, minLength: 16 }), c.subarray(80, 96));
  v.setBigUint64(24, 8n, true); // shorter than a cmsghdr
  equal(findCmsgData(c, 96, { level: 41, type: 50, minLength: 16 }), undefined, "walk stopped");
});

/** A control buffer holding one IPV6_HOPOPTS cmsg with `header` as data. */
function hopOpts(header: Uint8Array): Uint8Array {
  const c = new Uint8Array(16 + ((header.length + 7) & ~7));
  const v = new DataView(c.buffer);
  v.setBigUint64(0, BigInt(16 + header.length), true);
  v.setInt32(8, IPPROTO_IPV6, true);
  v.setInt32(12, IPV6_HOPOPTS, true);
  c.set(header, 16);
  return c;
}

Deno.test("findHopByHopRouterAlert: walks Pad1, PadN and other options; needs value 0", () => {
  const ok = (h: Uint8Array) => findHopByHopRouterAlert(hopOpts(h), 16 + h.length);
  const ra = new Uint8Array(IPV6_HOPOPTS_RA_BYTES);
  ra[0] = 58; // next header ICMPv6, as the kernel fills it
  equal(ok(ra), true, "IPV6_HOPOPTS_RA_BYTES is what the parser accepts");
  equal(ok(hex("3a 00  00 00  05 02 00 00")), true, "two Pad1 first, then RA (no trailing pad)");
  equal(ok(hex("3a 00  01 00  05 02 00 00")), true, "PadN of 0 bytes first");
  equal(
    ok(hex("3a 01  c2 04 00 01 00 00  01 02 00 00  05 02 00 00")),
    true,
    "a 16-byte header: jumbo payload option, PadN of 2, then RA",
  );
  equal(ok(hex("3a 00  05 02 00 01  01 00")), false, "RA value 1 (RSVP) is not MLD");
  equal(ok(hex("3a 00  01 04 00 00 00 00")), false, "only padding");
  equal(ok(hex("3a 00  01 02 00 00  05 02")), false, "RA cut by the header end");
  equal(ok(hex("3a 01  05 02 00 00  01 00")), false, "header length says 16 bytes, cmsg holds 8");
  equal(findHopByHopRouterAlert(hopOpts(hex("3a 00 05 02")), 20), false, "shorter than 8 bytes");
});

Deno.test("encodeIn6PktinfoCmsg: CMSG_SPACE(20) bytes that findIn6Pktinfo reads back", () => {
  equal(SIZEOF_IN6_PKTINFO_CMSG, 40);
  const address = hex("fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01");
  const out = encodeIn6PktinfoCmsg(new Uint8Array(SIZEOF_IN6_PKTINFO_CMSG).fill(0xee), {
    address,
    ifindex: 7,
  });
  deepStrictEqual(
    out,
    hex(
      "24 00 00 00 00 00 00 00" + // cmsg_len 36 = 16 + sizeof(struct in6_pktinfo)
        " 29 00 00 00 32 00 00 00" + // cmsg_level IPPROTO_IPV6 (41), cmsg_type IPV6_PKTINFO (50)
        " fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01" + // ipi6_addr
        " 07 00 00 00" + // ipi6_ifindex
        " 00 00 00 00", // padding to CMSG_SPACE
    ),
  );
  deepStrictEqual(findIn6Pktinfo(out, out.length), { ifindex: 7, address });
});

Deno.test("encodeGetAddrRequest: an RTM_GETADDR dump request for IPv6", () => {
  deepStrictEqual(
    encodeGetAddrRequest(new Uint8Array(32).fill(0xee), { family: 10, seq: 7 }),
    hex(
      "18 00 00 00" + // nlmsg_len 24
        " 16 00 01 03" + // nlmsg_type RTM_GETADDR (22), nlmsg_flags NLM_F_REQUEST | NLM_F_DUMP
        " 07 00 00 00 00 00 00 00" + // nlmsg_seq 7, nlmsg_pid 0
        " 0a 00 00 00 00 00 00 00", // ifaddrmsg: ifa_family AF_INET6, the rest 0
    ),
  );
});

/** An RTM_NEWADDR message of sequence `seq`: ifindex 3, fe80::1/64, with IFA_FLAGS `flags`. */
function newAddr(seq: number, flags: number): string {
  const u32 = (n: number) =>
    [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].map((b) =>
      b.toString(16).padStart(2, "0")
    ).join(" ");
  return "48 00 00 00 14 00 02 00 " + u32(seq) + " 00 00 00 00" + // 72 bytes, RTM_NEWADDR, NLM_F_MULTI
    " 0a 40 80 fd 03 00 00 00" + // AF_INET6, /64, ifa_flags 0x80 (permanent), scope 253, index 3
    " 14 00 01 00 fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01" + // IFA_ADDRESS
    " 08 00 08 00 " + u32(flags) + // IFA_FLAGS
    " 14 00 06 00 ff ff ff ff ff ff ff ff 00 00 00 00 00 00 00 00"; // IFA_CACHEINFO (skipped)
}

Deno.test("decodeAddrDump: addresses with their full flags, the end, errors, other replies", () => {
  const two = hex(newAddr(7, 0xc0) + " " + newAddr(8, 0x80) + " " + newAddr(7, 0x80));
  deepStrictEqual(decodeAddrDump(two, two.length, 7), {
    addresses: [0xc0, 0x80].map((flags) => ({
      family: 10,
      prefixLength: 64,
      flags,
      index: 3,
      address: hex("fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01"),
    })),
    done: false,
  }, "IFA_FLAGS wins over ifa_flags; the message of sequence 8 is not ours");
  const done = hex("14 00 00 00 03 00 02 00 07 00 00 00 00 00 00 00 00 00 00 00");
  deepStrictEqual(decodeAddrDump(done, done.length, 7), { addresses: [], done: true });
  const error = hex(
    "24 00 00 00 02 00 00 00 07 00 00 00 00 00 00 00 ea ff ff ff" + " 00".repeat(16),
  );
  deepStrictEqual(decodeAddrDump(error, error.length, 7), { addresses: [], done: true, error: 22 });
  const cut = hex(newAddr(7, 0x40));
  deepStrictEqual(decodeAddrDump(cut, 40, 7), { addresses: [], done: false }, "runs past the end");
});
