import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { decodeIPv4Header, type IPv4Header } from "./ipv4.ts";
import type { Result } from "./result.ts";
import { buildIPv4Packet, expectDrop, fixChecksum, hex, ip } from "./testing.ts";

/**
 * A Linux host (10.0.0.2, force_igmp_version=2) reporting 239.1.1.1, as tcpdump -x shows it:
 * the 24-byte IP header with Router Alert, then the 8-byte IGMPv2 report.
 */
function linuxV2Report(): Uint8Array {
  return new Uint8Array([
    0x46, // version 4, IHL 6 (24 bytes)
    0xc0, // TOS: internetwork control
    0x00, // total length 32, high
    0x20, // total length 32, low
    0x00, // identification 0
    0x00,
    0x40, // flags DF, fragment offset 0
    0x00,
    0x01, // TTL 1
    0x02, // protocol 2 (IGMP)
    0xea, // header checksum ea13, high
    0x13, // header checksum ea13, low
    0x0a, // source 10.0.0.2
    0x00,
    0x00,
    0x02,
    0xef, // destination 239.1.1.1
    0x01,
    0x01,
    0x01,
    0x94, // option: Router Alert (copied, class 0, number 20)
    0x04, // option length 4
    0x00, // Router Alert value 0: examine packet
    0x00,
    0x16, // IGMP type: v2 membership report
    0x00, // max resp code 0
    0xf9, // IGMP checksum f9fc, high
    0xfc, // IGMP checksum f9fc, low
    0xef, // group 239.1.1.1
    0x01,
    0x01,
    0x01,
  ]);
}

function expectHeader(r: Result<IPv4Header>): IPv4Header {
  if (!r.ok) throw new Error(`Expected a header, got "${r.reason}"`);
  return r.value;
}

Deno.test("decodeIPv4Header reads a Linux IGMPv2 report header with Router Alert", () => {
  const pkt = linuxV2Report();
  deepStrictEqual(decodeIPv4Header(pkt, pkt.length), {
    ok: true,
    value: {
      headerLength: 24,
      totalLength: 32,
      ttl: 1,
      protocol: 2,
      source: ip("10.0.0.2"),
      destination: ip("239.1.1.1"),
      hasRouterAlert: true,
    },
  });
});

Deno.test("decodeIPv4Header reads a header without options", () => {
  const pkt = hex(`
    45 c0 00 1c   # version 4, IHL 5; TOS c0; total length 28
    00 00 40 00   # ID 0; DF
    01 02 7f 1c   # TTL 1; protocol IGMP; header checksum 7f1c
    0a 00 00 02   # source 10.0.0.2
    ef 01 01 01   # destination 239.1.1.1
    16 00 f9 fc ef 01 01 01  # IGMPv2 report for 239.1.1.1
  `);
  const h = expectHeader(decodeIPv4Header(pkt, pkt.length));
  strictEqual(h.headerLength, 20);
  strictEqual(h.totalLength, 28);
  strictEqual(h.hasRouterAlert, false);
});

Deno.test("decodeIPv4Header keeps Total Length and ignores link-layer padding", () => {
  // A Linux IGMPv3 report from a public tcpdump capture: 40-byte datagram in a 46-byte frame
  // payload (Ethernet pads to its 60-byte minimum).
  const frame = hex(`
    46 c0 00 28   # version 4, IHL 6; TOS c0; total length 40
    00 00 40 00   # ID 0; DF
    01 02 ac 03   # TTL 1; protocol IGMP; header checksum ac03
    67 e3 f0 12   # source 103.227.240.18
    e0 00 00 16   # destination 224.0.0.22
    94 04 00 00   # Router Alert
    22 00 fa f7 00 00 00 01 03 00 00 00 e0 00 00 06  # IGMPv3 report, TO_IN {} 224.0.0.6
    00 00 00 00 00 00  # Ethernet padding
  `);
  const h = expectHeader(decodeIPv4Header(frame, frame.length));
  strictEqual(h.totalLength, 40);
  strictEqual(h.destination, ip("224.0.0.22"));
  strictEqual(h.hasRouterAlert, true);
});

Deno.test("decodeIPv4Header reads only `length` bytes of a larger receive buffer", () => {
  const buf = new Uint8Array(2048);
  buf.set(linuxV2Report());
  strictEqual(expectHeader(decodeIPv4Header(buf, 32)).totalLength, 32);
  expectDrop(decodeIPv4Header(buf, 31), "truncated-ip"); // Total Length says 32
  // `length` larger than the array is clamped to it.
  expectDrop(decodeIPv4Header(linuxV2Report().subarray(0, 30), 32), "truncated-ip");
});

Deno.test("decodeIPv4Header rejects fewer than 20 bytes", () => {
  const pkt = linuxV2Report();
  expectDrop(decodeIPv4Header(pkt, 19), "truncated-ip");
  expectDrop(decodeIPv4Header(new Uint8Array(0), 0), "truncated-ip");
});

Deno.test("decodeIPv4Header rejects IHL beyond the bytes read", () => {
  // IHL 6 (24 bytes) but only 22 bytes read.
  expectDrop(decodeIPv4Header(linuxV2Report(), 22), "truncated-ip");
});

Deno.test("decodeIPv4Header rejects a version other than 4", () => {
  const pkt = linuxV2Report();
  pkt[0] = 0x66; // version 6, IHL 6
  fixChecksum(pkt, { length: 24, field: 10 });
  expectDrop(decodeIPv4Header(pkt, pkt.length), "bad-ip-version");
});

Deno.test("decodeIPv4Header rejects IHL below 5", () => {
  const pkt = linuxV2Report();
  pkt[0] = 0x44; // version 4, IHL 4 (16 bytes)
  expectDrop(decodeIPv4Header(pkt, pkt.length), "bad-ip-header-length");
});

Deno.test("decodeIPv4Header rejects a bad header checksum", () => {
  const pkt = linuxV2Report();
  pkt[11] ^= 0x01; // checksum ea12 instead of ea13
  expectDrop(decodeIPv4Header(pkt, pkt.length), "bad-ip-checksum");
  const ttl = linuxV2Report();
  ttl[8] = 64; // TTL changed, checksum not updated
  expectDrop(decodeIPv4Header(ttl, ttl.length), "bad-ip-checksum");
});

Deno.test("decodeIPv4Header rejects Total Length below the header length", () => {
  const pkt = linuxV2Report();
  pkt[3] = 20; // total length 20 < IHL 24
  fixChecksum(pkt, { length: 24, field: 10 });
  expectDrop(decodeIPv4Header(pkt, pkt.length), "bad-ip-total-length");
});

Deno.test("decodeIPv4Header rejects Total Length beyond the bytes read", () => {
  const pkt = linuxV2Report();
  pkt[3] = 0x40; // total length 64, 32 bytes read
  fixChecksum(pkt, { length: 24, field: 10 });
  expectDrop(decodeIPv4Header(pkt, pkt.length), "truncated-ip");
});

Deno.test("decodeIPv4Header finds Router Alert after NOPs and stops at End of Option List", () => {
  const payload = new Uint8Array(8);
  const base = { source: ip("10.0.0.2"), destination: ip("224.0.0.2"), payload };
  const withNops = buildIPv4Packet({
    ...base,
    // NOP, NOP, Router Alert (94 04 00 00), End of Option List, padding
    options: [0x01, 0x01, 0x94, 0x04, 0x00, 0x00, 0x00, 0x00],
  });
  strictEqual(expectHeader(decodeIPv4Header(withNops, withNops.length)).headerLength, 28);
  strictEqual(expectHeader(decodeIPv4Header(withNops, withNops.length)).hasRouterAlert, true);
  // End of Option List first: what follows is padding, not a Router Alert.
  const afterEol = buildIPv4Packet({ ...base, options: [0x00, 0x94, 0x04, 0x00] });
  strictEqual(expectHeader(decodeIPv4Header(afterEol, afterEol.length)).hasRouterAlert, false);
  // A Router Alert value other than 0 is reserved; Linux does not treat it as an alert.
  const reserved = buildIPv4Packet({ ...base, options: [0x94, 0x04, 0x00, 0x01] });
  strictEqual(expectHeader(decodeIPv4Header(reserved, reserved.length)).hasRouterAlert, false);
  // No options at all.
  const none = buildIPv4Packet({ ...base, options: [] });
  strictEqual(expectHeader(decodeIPv4Header(none, none.length)).hasRouterAlert, false);
});

Deno.test("decodeIPv4Header rejects malformed options", () => {
  const payload = new Uint8Array(8);
  const base = { source: ip("10.0.0.2"), destination: ip("224.0.0.2"), payload };
  for (
    const options of [
      [0x94, 0x08, 0x00, 0x00], // option length 8 runs past the 24-byte header
      [0x07, 0x00, 0x00, 0x00], // record route with length 0
      [0x07, 0x01, 0x00, 0x00], // record route with length 1
      [0x01, 0x01, 0x01, 0x44], // timestamp type in the last byte, no room for its length
    ]
  ) {
    const pkt = buildIPv4Packet({ ...base, options });
    expectDrop(decodeIPv4Header(pkt, pkt.length), "bad-ip-options");
  }
});

Deno.test("buildIPv4Packet reproduces the Linux capture byte for byte", () => {
  const group = ip("239.1.1.1");
  const pkt = buildIPv4Packet({
    source: ip("10.0.0.2"),
    destination: group,
    payload: linuxV2Report().subarray(24),
  });
  deepStrictEqual(pkt, linuxV2Report());
});
