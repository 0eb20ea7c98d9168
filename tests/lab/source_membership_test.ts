import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  encodeGroupSourceReq,
  isSourceOp,
  MCAST_BLOCK_SOURCE,
  MCAST_JOIN_SOURCE_GROUP,
  SIZEOF_GROUP_SOURCE_REQ,
  SOURCE_OPS,
} from "./source_membership.ts";

Deno.test("encodeGroupSourceReq lays out an IPv4 group_source_req as 64-bit Linux does", () => {
  const req = encodeGroupSourceReq({ ifindex: 0x0102, group: "232.1.1.1", source: "10.0.0.2" });
  equal(req.length, SIZEOF_GROUP_SOURCE_REQ);
  deepStrictEqual([...req.subarray(0, 8)], [
    ...[0x02, 0x01, 0, 0], // gsr_interface, host order
    ...[0, 0, 0, 0], // padding to the 8-byte alignment of sockaddr_storage
  ]);
  deepStrictEqual([...req.subarray(8, 16)], [
    ...[2, 0], // sin_family AF_INET, host order
    ...[0, 0], // sin_port
    ...[232, 1, 1, 1], // sin_addr, network order
  ]);
  deepStrictEqual([...req.subarray(136, 144)], [2, 0, 0, 0, 10, 0, 0, 2]);
  equal(req.subarray(16, 136).some((b) => b !== 0), false, "the rest of the group is zero");
  equal(req.subarray(144).some((b) => b !== 0), false, "the rest of the source is zero");
});

Deno.test("encodeGroupSourceReq lays out an IPv6 group_source_req", () => {
  const req = encodeGroupSourceReq({ ifindex: 7, group: "ff3e::8000:1", source: "2001:db8::2" });
  deepStrictEqual([...req.subarray(0, 4)], [7, 0, 0, 0]);
  deepStrictEqual([...req.subarray(8, 16)], [
    ...[10, 0], // sin6_family AF_INET6, host order
    ...[0, 0], // sin6_port
    ...[0, 0, 0, 0], // sin6_flowinfo
  ]);
  deepStrictEqual([...req.subarray(16, 32)], [
    ...[0xff, 0x3e, 0, 0, 0, 0, 0, 0],
    ...[0, 0, 0, 0, 0x80, 0, 0, 1],
  ]);
  deepStrictEqual([...req.subarray(136, 138)], [10, 0]);
  deepStrictEqual([...req.subarray(144, 160)], [
    ...[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0],
    ...[0, 0, 0, 0, 0, 0, 0, 2],
  ]);
});

Deno.test("encodeGroupSourceReq rejects mixed families and bad addresses", () => {
  throws(() => encodeGroupSourceReq({ ifindex: 1, group: "232.1.1.1", source: "2001:db8::2" }));
  throws(() => encodeGroupSourceReq({ ifindex: 1, group: "232.1.1", source: "10.0.0.2" }));
});

Deno.test("the source operations map to the <linux/in.h> options", () => {
  equal(SOURCE_OPS["join-source"].option, MCAST_JOIN_SOURCE_GROUP);
  equal(SOURCE_OPS.block.option, MCAST_BLOCK_SOURCE);
  equal(isSourceOp("leave-source"), true);
  equal(isSourceOp("join"), false);
  equal(isSourceOp("toString"), false);
});
