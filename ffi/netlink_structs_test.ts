import { deepStrictEqual } from "node:assert/strict";
import {
  decodeAddrDump,
  encodeGetAddrRequest,
  encodeSockaddrNl,
  SIZEOF_SOCKADDR_NL,
} from "./netlink_structs.ts";
import { RTMGRP_IPV4_IFADDR, RTMGRP_LINK } from "./linux_constants.ts";
import { hex } from "./kernel_captures.ts";

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
