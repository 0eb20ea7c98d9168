import { equal } from "node:assert/strict";
import { arrivalOf, sourceOf } from "./udp_receiver.ts";

Deno.test("sourceOf reads the sender of a sockaddr_in and a sockaddr_in6", () => {
  const sin = new Uint8Array(28);
  sin.set([2, 0, 0x13, 0x89, 10, 0, 0, 2]); // AF_INET (LE), port 5001, 10.0.0.2
  equal(sourceOf(sin), "10.0.0.2");
  const sin6 = new Uint8Array(28);
  sin6.set([10, 0, 0x13, 0x89]); // AF_INET6 (LE), port 5001
  sin6.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 8); // 2001:db8::2
  equal(sourceOf(sin6), "2001:db8::2");
});

/** A control buffer with one cmsg: length, level, type, then `data`. */
function cmsg(level: number, type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(out.length), true); // cmsg_len
  v.setInt32(8, level, true); // cmsg_level
  v.setInt32(12, type, true); // cmsg_type
  out.set(data, 16);
  return out;
}

Deno.test("arrivalOf reads SCM_TIMESTAMPNS as wall-clock ms, and nothing else", () => {
  const ts = new Uint8Array(16);
  const v = new DataView(ts.buffer);
  v.setBigInt64(0, 1796450000n, true); // tv_sec
  v.setBigInt64(8, 123_456_789n, true); // tv_nsec
  const control = cmsg(1, 35, ts); // SOL_SOCKET, SCM_TIMESTAMPNS
  equal(arrivalOf(control, control.length), 1796450000123.4568);
  const other = cmsg(0, 8, new Uint8Array(12)); // IPPROTO_IP, IP_PKTINFO
  equal(arrivalOf(other, other.length), undefined);
  equal(arrivalOf(control, 0), undefined);
});
