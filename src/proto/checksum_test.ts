import { strictEqual } from "node:assert/strict";
import { internetChecksum } from "./checksum.ts";
import { mulberry32 } from "./testing.ts";

/**
 * Reference: the ones' complement sum is the sum of the words modulo 65535, except that a
 * nonzero multiple of 65535 sums to ffff (negative zero), whose complement is 0.
 */
function referenceChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += bytes[i] * 256 + (i + 1 < bytes.length ? bytes[i + 1] : 0);
    sum %= 0xffff;
  }
  return sum === 0 && bytes.some((b) => b !== 0) ? 0 : ~sum & 0xffff;
}

Deno.test("internetChecksum matches the RFC 1071 section 3 example", () => {
  // Words 0001 f203 f4f5 f6f7: ones' complement sum ddf2, checksum ~ddf2 = 220d.
  const bytes = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  strictEqual(internetChecksum(bytes), 0x220d);
});

Deno.test("internetChecksum pads an odd last byte with zero", () => {
  strictEqual(internetChecksum(new Uint8Array([0x01])), 0xfeff); // word 0100
  // Words 0001 f200: sum f201, checksum 0dfe.
  strictEqual(internetChecksum(new Uint8Array([0x00, 0x01, 0xf2])), 0x0dfe);
});

Deno.test("internetChecksum of nothing and of zeros is ffff", () => {
  strictEqual(internetChecksum(new Uint8Array(0)), 0xffff);
  strictEqual(internetChecksum(new Uint8Array(7)), 0xffff);
});

Deno.test("internetChecksum folds carries", () => {
  // ffff + ffff = 1fffe -> fffe + 1 = ffff -> checksum 0.
  strictEqual(internetChecksum(new Uint8Array([0xff, 0xff, 0xff, 0xff])), 0);
  // 8000 + 8000 = 10000 -> 0000 + 1 = 0001 -> checksum fffe.
  strictEqual(internetChecksum(new Uint8Array([0x80, 0x00, 0x80, 0x00])), 0xfffe);
});

Deno.test("internetChecksum verifies to 0 over a message with its checksum filled in", () => {
  const report = new Uint8Array([
    0x16, // type: IGMPv2 Membership Report
    0x00, // max resp code: 0
    0xf9, // checksum, high byte
    0xfc, // checksum, low byte
    0xef, // group 239.1.1.1
    0x01,
    0x01,
    0x01,
  ]);
  strictEqual(internetChecksum(report), 0);
  report[2] = report[3] = 0;
  strictEqual(internetChecksum(report), 0xf9fc);
});

Deno.test("internetChecksum reads only the given range", () => {
  const framed = new Uint8Array([0xaa, 0xbb, 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0xcc]);
  strictEqual(internetChecksum(framed, 2, 8), 0x220d);
  strictEqual(internetChecksum(framed, 2), internetChecksum(framed.subarray(2)));
  // An odd range inside a longer array pads with zero, not with the next byte.
  strictEqual(internetChecksum(framed, 2, 3), 0x0dfe);
  // A length past the end is clamped to the array.
  strictEqual(internetChecksum(framed, 2, 1000), internetChecksum(framed.subarray(2)));
  strictEqual(framed[0], 0xaa); // untouched
});

Deno.test("internetChecksum agrees with a reference on pseudo-random buffers up to 64 KiB", () => {
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  for (const size of [1, 2, 3, 20, 21, 24, 1499, 1500, 65535]) {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = next() & 0xff;
    strictEqual(internetChecksum(bytes), referenceChecksum(bytes), `size ${size}`);
  }
});

Deno.test("internetChecksum agrees with a reference at every alignment and offset", () => {
  const rand = mulberry32(0x1d872b41);
  const backing = new Uint8Array(1600);
  for (let i = 0; i < backing.length; i++) backing[i] = Math.floor(rand() * 256);
  // All-ones words make the 32-bit path carry as much as it can.
  backing.fill(0xff, 400, 900);
  for (const start of [0, 1, 2, 3, 4, 5, 8, 398]) {
    const bytes = backing.subarray(start);
    for (const offset of [0, 1, 2, 3, 4, 20, 24]) {
      for (const length of [7, 8, 9, 30, 31, 1200, 1201]) {
        const range = bytes.subarray(offset, offset + length);
        strictEqual(
          internetChecksum(bytes, offset, length),
          referenceChecksum(range),
          `start ${start}, offset ${offset}, length ${length}`,
        );
      }
    }
  }
});
