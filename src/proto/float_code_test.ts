import { strictEqual } from "node:assert/strict";
import {
  decodeFloatCode,
  decodeMldMaxRespCode,
  encodeFloatCode,
  encodeMldMaxRespCode,
  IGMP_FLOAT_MAX,
  MLD_MRC_MAX,
} from "./float_code.ts";

// ---------------------------------------------------------------------------------------------
// IGMPv3 floating-point codes.

Deno.test("decodeFloatCode reads linear and floating-point codes", () => {
  strictEqual(decodeFloatCode(0), 0);
  strictEqual(decodeFloatCode(100), 100);
  strictEqual(decodeFloatCode(127), 127);
  strictEqual(decodeFloatCode(0x80), 128); // exp 0, mant 0: 16 << 3
  strictEqual(decodeFloatCode(0x8f), 248); // exp 0, mant 15: 31 << 3 (24.8 s as Max Resp Code)
  strictEqual(decodeFloatCode(0x90), 256); // exp 1, mant 0: 16 << 4
  strictEqual(decodeFloatCode(0xff), IGMP_FLOAT_MAX); // exp 7, mant 15: 31 << 10 = 31744
});

Deno.test("encodeFloatCode inverts decodeFloatCode for all 256 codes", () => {
  for (let code = 0; code < 256; code++) strictEqual(encodeFloatCode(decodeFloatCode(code)), code);
});

Deno.test("encodeFloatCode rounds down and clamps", () => {
  strictEqual(encodeFloatCode(250), 0x8f); // 248 <= 250 < 256
  strictEqual(encodeFloatCode(255), 0x8f);
  strictEqual(encodeFloatCode(256), 0x90);
  strictEqual(encodeFloatCode(1_000_000), 0xff);
  strictEqual(encodeFloatCode(-5), 0);
  strictEqual(encodeFloatCode(Number.NaN), 0);
  // Every value maps to the largest representable value not above it.
  for (let v = 0; v <= IGMP_FLOAT_MAX; v++) {
    const got = decodeFloatCode(encodeFloatCode(v));
    if (got > v) throw new Error(`${v} encodes above itself: ${got}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Maximum Response Code.

Deno.test("decodeMldMaxRespCode reads linear and floating-point codes", () => {
  strictEqual(decodeMldMaxRespCode(0), 0);
  strictEqual(decodeMldMaxRespCode(10_000), 10_000);
  strictEqual(decodeMldMaxRespCode(0x7fff), 32_767);
  strictEqual(decodeMldMaxRespCode(0x8000), 32_768); // exp 0, mant 0: 0x1000 << 3
  strictEqual(decodeMldMaxRespCode(0x8fff), 65_528); // exp 0, mant 0xfff: 0x1fff << 3
  strictEqual(decodeMldMaxRespCode(0x9000), 65_536); // exp 1, mant 0: 0x1000 << 4
  strictEqual(decodeMldMaxRespCode(0x9c40), 115_712); // exp 1, mant 0xc40: 0x1c40 << 4
  strictEqual(decodeMldMaxRespCode(0xffff), 8_387_584); // exp 7, mant 0xfff: 0x1fff << 10
});

Deno.test("encodeMldMaxRespCode inverts decodeMldMaxRespCode for all 65 536 codes", () => {
  for (let code = 0; code <= 0xffff; code++) {
    const got = encodeMldMaxRespCode(decodeMldMaxRespCode(code));
    if (got !== code) throw new Error(`${code} round-trips to ${got}`);
  }
});

Deno.test("encodeMldMaxRespCode rounds down and clamps", () => {
  strictEqual(encodeMldMaxRespCode(32_767), 0x7fff);
  strictEqual(encodeMldMaxRespCode(32_775), 0x8000); // 32 768 <= v < 32 776
  strictEqual(encodeMldMaxRespCode(40_000), 0x8388); // exactly 0x1388 << 3
  strictEqual(encodeMldMaxRespCode(65_535), 0x8fff); // 65 528
  strictEqual(encodeMldMaxRespCode(1e9), 0xffff);
  strictEqual(encodeMldMaxRespCode(-5), 0);
  strictEqual(encodeMldMaxRespCode(Number.NaN), 0);
  strictEqual(encodeMldMaxRespCode(1_000.9), 1_000);
  // Every value maps to the largest representable value not above it.
  let prev = 0;
  for (let v = 0; v <= MLD_MRC_MAX; v++) {
    const got = decodeMldMaxRespCode(encodeMldMaxRespCode(v));
    if (got > v || got < prev) throw new Error(`${v} encodes to ${got}`);
    prev = got;
  }
});
