import { strictEqual } from "node:assert/strict";
import { clamp, readU16, readU32, writeU16, writeU32 } from "./wire.ts";

Deno.test("readU16 and readU32 read big-endian at an offset", () => {
  const buf = new Uint8Array([0xaa, 0x27, 0x10, 0xef, 0x01, 0x01, 0x01]);
  strictEqual(readU16(buf, 1), 10_000);
  strictEqual(readU32(buf, 3), 0xef010101);
  strictEqual(readU32(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0), 0xffffffff); // unsigned
});

Deno.test("writeU16 and writeU32 write big-endian and round-trip", () => {
  const buf = new Uint8Array(8);
  writeU16(buf, 1, 0x8388);
  writeU32(buf, 3, 0xe0000016);
  strictEqual(Array.from(buf).join(" "), "0 131 136 224 0 0 22 0");
  strictEqual(readU16(buf, 1), 0x8388);
  strictEqual(readU32(buf, 3), 0xe0000016);
});

Deno.test("clamp keeps a value in range, NaN at the low end", () => {
  strictEqual(clamp(5, 1, 255), 5);
  strictEqual(clamp(0, 1, 255), 1);
  strictEqual(clamp(256, 1, 255), 255);
  strictEqual(clamp(Number.NaN, 1, 255), 1);
  strictEqual(clamp(-Infinity, 0, 10), 0);
  strictEqual(clamp(Infinity, 0, 10), 10);
});
