import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { decodeIgmpPacket } from "../../src/proto/igmp_packet.ts";
import { MODE_IS_INCLUDE } from "../../src/proto/igmp.ts";
import {
  FIRST_GROUP,
  FIRST_SOURCE,
  halves,
  LINK_MTU,
  loadFor,
  passPackets,
  recordsThatFit,
  reportsPerPass,
} from "./source_reports.ts";

Deno.test("recordsThatFit: records of k sources in 1500 bytes after 24 + 8 bytes of headers", () => {
  equal(recordsThatFit(1), 122); // 1468 / 12
  equal(recordsThatFit(10), 30); // 1468 / 48
  equal(recordsThatFit(50), 7); // 1468 / 208
  equal(recordsThatFit(50, 200), 0);
});

Deno.test("loadFor: pairs / k groups, records per report the largest divisor that fits", () => {
  deepStrictEqual(loadFor({ pairs: 10_000, sourcesPerRecord: 50 }), {
    firstGroup: FIRST_GROUP,
    groups: 200,
    firstSource: FIRST_SOURCE,
    sourcesPerRecord: 50,
    recordsPerReport: 5,
  });
  equal(loadFor({ pairs: 10_000, sourcesPerRecord: 10 }).recordsPerReport, 25);
  equal(loadFor({ pairs: 10_000, sourcesPerRecord: 1 }).recordsPerReport, 100);
  equal(
    loadFor({ pairs: 10_000, sourcesPerRecord: 1, maxRecordsPerReport: 1 }).recordsPerReport,
    1,
  );
  equal(loadFor({ pairs: 30, sourcesPerRecord: 10 }).recordsPerReport, 3, "fewer groups than fit");
  throws(() => loadFor({ pairs: 10_000, sourcesPerRecord: 3 }), /must divide 10000, not 3/);
  throws(() => loadFor({ pairs: 100, sourcesPerRecord: 50, mtu: 200 }), /No record of 50/);
});

Deno.test("passPackets: every group once, IS_IN the same k sources, each packet within the MTU", () => {
  const load = loadFor({ pairs: 10_000, sourcesPerRecord: 50 });
  const packets = passPackets(load, 0x0a01000b);
  equal(packets.length, reportsPerPass(load));
  equal(packets.length, 40);
  const groups: number[] = [];
  for (const p of packets) {
    ok(p.length <= LINK_MTU, `${p.length} bytes`);
    const r = decodeIgmpPacket(p, p.length);
    if (!r.ok) throw new Error(r.reason);
    equal(r.value.ip.source, 0x0a01000b);
    equal(r.value.ip.destination, 0xe0000016); // 224.0.0.22
    equal(r.value.ip.ttl, 1);
    ok(r.value.ip.hasRouterAlert);
    if (r.value.igmp.type !== "v3-report") throw new Error(r.value.igmp.type);
    for (const rec of r.value.igmp.records) {
      equal(rec.recordType, MODE_IS_INCLUDE);
      deepStrictEqual(rec.sources, Array.from({ length: 50 }, (_, j) => FIRST_SOURCE + j));
      groups.push(rec.group);
    }
  }
  deepStrictEqual(groups, Array.from({ length: 200 }, (_, i) => FIRST_GROUP + i));
});

Deno.test("passPackets: one source a record, 100 records a report: 1224 bytes", () => {
  const packets = passPackets(loadFor({ pairs: 10_000, sourcesPerRecord: 1 }), 0x0a01000b);
  equal(packets.length, 100);
  equal(packets[0].length, 24 + 8 + 100 * 12);
});

Deno.test("halves: the first groups, then the others; together every group of the load once", () => {
  for (const k of [1, 10, 50]) {
    const load = loadFor({ pairs: 10_000, sourcesPerRecord: k });
    const [a, b] = halves(load);
    equal(a.groups + b.groups, load.groups);
    equal(reportsPerPass(a) + reportsPerPass(b), reportsPerPass(load));
    const groups: number[] = [];
    for (const p of [...passPackets(a, 0x0a01000b), ...passPackets(b, 0x0a01000b)]) {
      const r = decodeIgmpPacket(p, p.length);
      if (!r.ok) throw new Error(r.reason);
      if (r.value.igmp.type !== "v3-report") throw new Error(r.value.igmp.type);
      for (const rec of r.value.igmp.records) groups.push(rec.group);
    }
    deepStrictEqual(groups, Array.from({ length: load.groups }, (_, i) => FIRST_GROUP + i));
  }
  throws(() => halves(loadFor({ pairs: 10, sourcesPerRecord: 5 })), RangeError);
});
