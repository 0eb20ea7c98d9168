import { deepStrictEqual, equal } from "node:assert/strict";
import {
  decodeIgmpmsg,
  encodeIpMreqn,
  encodeMfcctl,
  encodeSockaddrIn,
  encodeSockaddrNl,
  encodeVifctl,
  findPktinfoIfindex,
  SIZEOF_IP_MREQN,
  SIZEOF_MFCCTL,
  SIZEOF_SOCKADDR_IN,
  SIZEOF_SOCKADDR_NL,
  SIZEOF_VIFCTL,
} from "./linux_structs.ts";
import { RTMGRP_IPV4_IFADDR, RTMGRP_LINK } from "./linux_constants.ts";

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
