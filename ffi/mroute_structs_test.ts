import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  decodeIgmpmsg,
  decodeSiocVifReq,
  encodeMfcctl,
  encodeSiocVifReq,
  encodeVifctl,
  SIZEOF_MFCCTL,
  SIZEOF_SIOC_VIF_REQ,
  SIZEOF_VIFCTL,
} from "./mroute_structs.ts";
import { hex } from "./kernel_captures.ts";

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

Deno.test("encodeVifctl: a tunnel is VIFF_TUNNEL with its local and remote addresses", () => {
  const b = encodeVifctl(new Uint8Array(SIZEOF_VIFCTL), {
    vifi: 31,
    ifindex: 0,
    threshold: 1,
    localAddress: 0x0a640101,
    tunnel: { remote: 0x0a640202 },
  });
  deepStrictEqual([...b], [
    31,
    0, // vifc_vifi
    1, // vifc_flags = VIFF_TUNNEL
    1, // vifc_threshold
    0,
    0,
    0,
    0, // vifc_rate_limit
    10,
    100,
    1,
    1, // vifc_lcl_addr 10.100.1.1, network order
    10,
    100,
    2,
    2, // vifc_rmt_addr 10.100.2.2
  ]);
});
