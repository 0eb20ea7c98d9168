import { deepStrictEqual, equal } from "node:assert/strict";
import {
  hostIsLittleEndian,
  LineFields,
  parseHostOrderIPv4,
  parseLines,
  parseNtohlIPv4,
  parsePackedIPv6,
  parsePaddedIPv6,
} from "./proc_net_fields.ts";

Deno.test("hostIsLittleEndian agrees with DataView's reading of this machine's memory", () => {
  const memory = new Uint16Array([0x0102]);
  equal(hostIsLittleEndian(), new DataView(memory.buffer).getUint16(0, true) === 0x0102);
});

Deno.test("parseHostOrderIPv4 reads a %08X word in the byte order of the machine that printed it", () => {
  equal(parseHostOrderIPv4("010101EF", true), "239.1.1.1");
  equal(parseHostOrderIPv4("0200090A", true), "10.9.0.2");
  equal(parseHostOrderIPv4("ffffffff", true), "255.255.255.255");
  equal(parseHostOrderIPv4("EF010101", false), "239.1.1.1");
  for (const bad of ["zz", "0101EF", "010101EF0", "0x0101EF", ""]) {
    equal(parseHostOrderIPv4(bad, true), undefined, bad);
  }
});

Deno.test("parseNtohlIPv4 reads mcfilter's 0x%08x, in network order on any machine", () => {
  equal(parseNtohlIPv4("0xef020202"), "239.2.2.2");
  equal(parseNtohlIPv4("0xc0a80114"), "192.168.1.20");
  equal(parseNtohlIPv4("ef020202"), undefined);
  equal(parseNtohlIPv4("0xef0202"), undefined);
});

Deno.test("parsePackedIPv6 reads %pi6 (network order, no colons) in RFC 5952 form", () => {
  equal(parsePackedIPv6("ff050000000000000000000000000001"), "ff05::1");
  equal(parsePackedIPv6("ff0200000000000000000001FFE6BF3B"), "ff02::1:ffe6:bf3b");
  equal(parsePackedIPv6("00000000000000000000000000000001"), "::1");
  equal(parsePackedIPv6("ff05::1"), undefined);
  equal(parsePackedIPv6("ff05000000000000000000000000001"), undefined);
  equal(parsePackedIPv6("ff05000000000000000000000000000g"), undefined);
});

Deno.test("parsePaddedIPv6 reads %pI6 (eight groups of four digits) only", () => {
  equal(parsePaddedIPv6("ff05:0000:0000:0000:0000:0000:0000:0001"), "ff05::1");
  equal(parsePaddedIPv6("fe80:0000:0000:0000:0001:0002:0003:0004"), "fe80::1:2:3:4");
  equal(parsePaddedIPv6("ff05::1"), undefined);
  equal(parsePaddedIPv6("ff05:0:0:0:0:0:0:1"), undefined);
  equal(parsePaddedIPv6("010101EF"), undefined);
});

Deno.test("LineFields: each reader's value, and the first field that does not read", () => {
  const good = new LineFields("  7 up0 -1 00c 0x0a000001\t");
  deepStrictEqual(good.fields, ["7", "up0", "-1", "00c", "0x0a000001"]);
  equal(good.count(5), true);
  equal(good.count(4, true), true);
  deepStrictEqual(
    [good.decimal(0, "n"), good.text(1), good.integer(2, "i"), good.hex(3, "h")],
    [7, "up0", -1, 12],
  );
  equal(good.address(4, "source", parseNtohlIPv4), "10.0.0.1");
  equal(good.problem, undefined);

  const bad = new LineFields("x -1 zz");
  equal(bad.decimal(1, "VIF index"), 0);
  equal(bad.hex(2, "flags"), 0);
  equal(bad.address(9, "group", parsePackedIPv6), "");
  equal(bad.problem, 'bad VIF index "-1"');
  equal(new LineFields("a b").count(3), false);
  const short = new LineFields("a");
  short.count(6, true);
  equal(short.problem, "1 field where 6 were expected");
  const missing = new LineFields("a");
  missing.address(3, "group", parsePackedIPv6);
  equal(missing.problem, "no group");
});

Deno.test("parseLines: rows of the lines, header and blank lines skipped, lines left out", () => {
  const make = (f: LineFields) => f.text(0) === "skip" ? null : f.decimal(0, "number");
  deepStrictEqual(parseLines("N header\n1\n\n skip\n2\n", { header: "N" }, make), {
    ok: true,
    value: [1, 2],
  });
  // Without its header, the first line is a row; a header elsewhere is not skipped.
  deepStrictEqual(parseLines("3\n", { header: "N" }, make), { ok: true, value: [3] });
  deepStrictEqual(parseLines("", { header: "N" }, make), { ok: true, value: [] });
  deepStrictEqual(parseLines("1\nN header\n", { header: "N" }, make), {
    ok: false,
    reason: 'bad number "N" on line 2: "N header"',
  });
  // The line's number in the file, blank lines counted; tabs shown escaped.
  deepStrictEqual(parseLines("1\n\n\t2x\n4y\n", {}, make), {
    ok: false,
    reason: 'bad number "2x" on line 3: "\\t2x"',
  });
});
