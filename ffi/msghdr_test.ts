import { deepStrictEqual, equal } from "node:assert/strict";
import {
  encodeEmptyRetoptsCmsg,
  encodeIn6PktinfoCmsg,
  encodeInPktinfoCmsg,
  encodeUnicastSendControl,
  findCmsgData,
  findHopByHopRouterAlert,
  findHopLimit,
  findIn6Pktinfo,
  findPktinfoIfindex,
  SIZEOF_EMPTY_RETOPTS_CMSG,
  SIZEOF_IN6_PKTINFO_CMSG,
  SIZEOF_IN_PKTINFO,
  SIZEOF_IN_PKTINFO_CMSG,
  SIZEOF_UNICAST_SEND_CONTROL,
} from "./msghdr.ts";
import {
  IP_PKTINFO,
  IP_RETOPTS,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HOPOPTS,
  IPV6_HOPOPTS_RA_BYTES,
} from "./linux_constants.ts";
import { hex, REPORT_CONTROL, UPCALL_CONTROL } from "./kernel_captures.ts";

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

Deno.test("encodeInPktinfoCmsg: one IP_PKTINFO cmsg, the source in ipi_spec_dst", () => {
  const out = encodeInPktinfoCmsg(new Uint8Array(SIZEOF_IN_PKTINFO_CMSG), {
    source: 0x0a640101,
    ifindex: 0,
  });
  deepStrictEqual([...out], [
    ...[28, 0, 0, 0, 0, 0, 0, 0], // cmsg_len: CMSG_LEN(12)
    ...[0, 0, 0, 0], // cmsg_level IPPROTO_IP
    ...[8, 0, 0, 0], // cmsg_type IP_PKTINFO
    ...[0, 0, 0, 0], // ipi_ifindex 0: by the route
    ...[10, 100, 1, 1], // ipi_spec_dst: the source, 10.100.1.1
    ...[0, 0, 0, 0], // ipi_addr (unused when sending)
    ...[0, 0, 0, 0], // CMSG_ALIGN padding
  ]);
});

Deno.test("encodeEmptyRetoptsCmsg: an IP_RETOPTS cmsg of its header alone, no options", () => {
  const out = new Uint8Array(SIZEOF_EMPTY_RETOPTS_CMSG).fill(0xff);
  equal(encodeEmptyRetoptsCmsg(out), out);
  deepStrictEqual([...out], [
    ...[16, 0, 0, 0, 0, 0, 0, 0], // cmsg_len: CMSG_LEN(0), no data
    ...[0, 0, 0, 0], // cmsg_level IPPROTO_IP
    ...[7, 0, 0, 0], // cmsg_type IP_RETOPTS
  ]);
});

Deno.test("encodeUnicastSendControl: IP_PKTINFO, then IP_RETOPTS without options", () => {
  const out = new Uint8Array(SIZEOF_UNICAST_SEND_CONTROL).fill(0xff);
  equal(encodeUnicastSendControl(out, { source: 0x0a640102, ifindex: 0 }), out);
  deepStrictEqual([...out], [
    // CMSG_SPACE(sizeof(struct in_pktinfo)) = 32 bytes
    ...[28, 0, 0, 0, 0, 0, 0, 0], // cmsg_len: CMSG_LEN(12)
    ...[0, 0, 0, 0], // cmsg_level IPPROTO_IP
    ...[8, 0, 0, 0], // cmsg_type IP_PKTINFO
    ...[0, 0, 0, 0], // ipi_ifindex 0: by the route
    ...[10, 100, 1, 2], // ipi_spec_dst: the source, 10.100.1.2
    ...[0, 0, 0, 0], // ipi_addr (unused when sending)
    ...[0, 0, 0, 0], // CMSG_ALIGN padding
    // CMSG_SPACE(0) = 16 bytes, at CMSG_ALIGN(28) = 32
    ...[16, 0, 0, 0, 0, 0, 0, 0], // cmsg_len: CMSG_LEN(0)
    ...[0, 0, 0, 0], // cmsg_level IPPROTO_IP
    ...[7, 0, 0, 0], // cmsg_type IP_RETOPTS: 0 bytes of options replace the socket's
  ]);
  equal(SIZEOF_UNICAST_SEND_CONTROL, 32 + 16, "msg_controllen: the sum of the CMSG_SPACEs");
  // Walked as the kernel's CMSG_NXTHDR walks it: both are found, the second ends the buffer.
  const controllen = SIZEOF_UNICAST_SEND_CONTROL;
  const pktinfo = { level: IPPROTO_IP, type: IP_PKTINFO, minLength: SIZEOF_IN_PKTINFO };
  deepStrictEqual([...findCmsgData(out, controllen, pktinfo)!.subarray(4, 8)], [10, 100, 1, 2]);
  const retopts = { level: IPPROTO_IP, type: IP_RETOPTS, minLength: 0 };
  equal(findCmsgData(out, controllen, retopts)?.byteLength, 0);
  equal(findCmsgData(out, controllen - 1, retopts), undefined, "one byte short: no room");
});
