import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  decodeMld,
  MLD_LISTENER_DONE,
  MLD_LISTENER_QUERY,
  MLD_LISTENER_REPORT,
  MLDV2_LISTENER_REPORT,
} from "./mld.ts";
import {
  CAPTURES,
  LINUX_V1_DONE,
  LINUX_V1_GENERAL_QUERY,
  LINUX_V1_REPORT,
  LINUX_V2_GENERAL_QUERY,
  LINUX_V2_REPORT_ALLOW,
  LINUX_V2_REPORT_TO_EX,
} from "./mld_captures.ts";
import { decodeAll, resized, withoutChecksum } from "./mld_testing.ts";
import { expectDrop, hex, mulberry32 } from "./testing.ts";

// ---------------------------------------------------------------------------------------------
// Malformed messages and other ICMPv6 types.

Deno.test("decodeMld leaves the checksum to the kernel", () => {
  for (const c of CAPTURES) {
    const msg = c.message.slice();
    msg[2] ^= 0xff;
    deepStrictEqual(decodeAll(msg), decodeAll(c.message));
    deepStrictEqual(decodeAll(withoutChecksum(c.message)), decodeAll(c.message));
  }
});

Deno.test("decodeMld rejects messages shorter than their type needs", () => {
  for (
    const c of [LINUX_V1_GENERAL_QUERY, LINUX_V2_GENERAL_QUERY, LINUX_V1_REPORT, LINUX_V1_DONE]
  ) {
    for (const n of [0, 1, 4, 8, 23]) expectDrop(decodeMld(c.message, 0, n), "truncated-mld");
  }
  for (const n of [0, 1, 7]) {
    expectDrop(decodeMld(LINUX_V2_REPORT_TO_EX.message, 0, n), "truncated-mld");
  }
  // 8 to 27 bytes of a one-record report: the record is missing or cut.
  for (const n of [8, 20, 27]) {
    expectDrop(decodeMld(LINUX_V2_REPORT_TO_EX.message, 0, n), "truncated-mld");
  }
});

Deno.test("decodeMld rejects a length or offset outside the buffer", () => {
  const msg = LINUX_V1_REPORT.message;
  expectDrop(decodeMld(msg, 0, 25), "truncated-mld");
  expectDrop(decodeMld(msg, 4, 24), "truncated-mld");
  expectDrop(decodeMld(msg, -1, 24), "truncated-mld");
  expectDrop(decodeMld(new Uint8Array(0), 0, 0), "truncated-mld");
});

Deno.test("decodeMld calls other ICMPv6 types and kernel upcalls not-mld", () => {
  for (
    const msg of [
      hex("80 00 00 00  00 01 00 01  # echo request"),
      hex("85 00 00 00  00 00 00 00  # router solicitation"),
      hex(`
        87 00 00 00  00 00 00 00  # neighbor solicitation
        fe 80 00 00 00 00 00 00  00 00 00 00 00 00 00 01  # target fe80::1
      `),
      hex("97 10 00 00  00 7d 00 02  # multicast router advertisement (RFC 4286)"),
      hex(`
        00 01 00 00  00 00 00 00  # mrt6msg: zero byte, MRT6MSG_NOCACHE, mif 0
        20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 01  # source 2001:db8::1
        ff 0e 00 00 00 00 00 00  00 00 00 00 0d b8 00 02  # group ff0e::db8:2
      `),
    ]
  ) {
    expectDrop(decodeAll(msg), "not-mld");
  }
  for (const type of [0x81, 0x8e, 0x90, 0xff]) {
    expectDrop(decodeAll(resized(new Uint8Array([type]), 24)), "not-mld");
  }
});

Deno.test("decodeMld reads a message at an offset and copies its addresses", () => {
  const buf = new Uint8Array(200);
  buf.set(LINUX_V2_REPORT_ALLOW.message, 40);
  const r = decodeMld(buf, 40, LINUX_V2_REPORT_ALLOW.message.length);
  deepStrictEqual(r, decodeAll(LINUX_V2_REPORT_ALLOW.message));
  buf.fill(0); // the runtime reuses its receive buffer
  deepStrictEqual(r, decodeAll(LINUX_V2_REPORT_ALLOW.message));
});

Deno.test("decodeMld never throws on random bytes and bounds its work", () => {
  const rand = mulberry32(6);
  const types = [MLD_LISTENER_QUERY, MLD_LISTENER_REPORT, MLD_LISTENER_DONE, MLDV2_LISTENER_REPORT];
  for (let i = 0; i < 20_000; i++) {
    const length = Math.floor(rand() * 120);
    const buf = new Uint8Array(length + 8);
    for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
    buf[4] = types[i % types.length]; // mostly MLD, so that the parsers run
    const r = decodeMld(buf, 4, length);
    if (r.ok) continue;
    strictEqual(typeof r.reason, "string");
  }
});
