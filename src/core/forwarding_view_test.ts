// The view of `show forwarding`: installed entries with counters and rates, the samples the next
// call's rates start from, and the sources waiting without an entry.

import { deepStrictEqual, equal } from "node:assert/strict";
import type { DumpCounters } from "./dump.ts";
import { type ForwardingSample, forwardingView, sampleKey } from "./forwarding_view.ts";
import { G, S } from "./proxy_testing.ts";
import { IGMP_FAMILY } from "./igmp_family.ts";
import { ipv4Scenario, ipv6Scenario, SSM } from "./status_testing.ts";

const KEY = "10.0.0.2 239.1.1.1";

Deno.test("forwardingView IPv4: entries by group then source, counters, average rates, the waiting", () => {
  const { state, counters, now } = ipv4Scenario();
  const { view, samples } = forwardingView(state, counters, now);
  deepStrictEqual(view, {
    family: "ipv4",
    entries: [
      {
        source: "10.0.0.2",
        group: "232.1.1.1",
        input: { vif: 0, name: "up0" },
        outputs: [{ vif: 2, name: "dn2" }],
        // its counters could not be read
        packets: null,
        bytes: null,
        packetRate: null,
        byteRate: null,
        age: 11,
      },
      {
        source: "10.0.0.2",
        group: "239.1.1.1",
        input: { vif: 0, name: "up0" },
        // dn1 went to the rival querier at 2 s
        outputs: [{ vif: 2, name: "dn2" }],
        packets: 1100,
        bytes: 57_200,
        // no previous sample: the average over the 11 s since it was installed
        packetRate: 100,
        byteRate: 5200,
        age: 11,
      },
    ],
    waiting: [{ source: "10.0.0.3", group: "239.1.1.1", input: { vif: 0, name: "up0" }, idle: 9 }],
  });
  deepStrictEqual([...samples], [[KEY, { packets: 1100, bytes: 57_200, at: now }]]);
});

Deno.test("forwardingView: the rate covers the time since the previous sample", () => {
  const { state, counters, now } = ipv4Scenario();
  const previous = new Map([[KEY, { packets: 0, bytes: 0, at: 2000 }]]);
  const entry = forwardingView(state, counters, now, previous).view.entries[1];
  equal(entry.packetRate, 110);
  equal(entry.byteRate, 5720);
  // One sample to the next, as a caller keeps them.
  const later: DumpCounters = {
    vifs: counters.vifs,
    entries: new Map([[G, new Map([[S, { packets: 1600, bytes: 83_200 }]])]]),
  };
  const first = forwardingView(state, counters, now).samples;
  const second = forwardingView(state, later, now + 2000, first);
  equal(second.view.entries[1].packetRate, 250);
  equal(second.view.entries[1].byteRate, 13_000);
  deepStrictEqual(second.samples.get(KEY), { packets: 1600, bytes: 83_200, at: now + 2000 });
});

Deno.test("forwardingView: a sample older than the entry, or above its counters, is not used", () => {
  const { state, counters, now } = ipv4Scenario();
  const average = { packetRate: 100, byteRate: 5200 };
  const rates = (previous: Map<string, ForwardingSample>) => {
    const e = forwardingView(state, counters, now, previous).view.entries[1];
    return { packetRate: e.packetRate, byteRate: e.byteRate };
  };
  // taken before the entry was installed (at 1 s): of an earlier entry
  deepStrictEqual(rates(new Map([[KEY, { packets: 10, bytes: 520, at: 500 }]])), average);
  // counters that went down: the kernel's entry was replaced
  deepStrictEqual(rates(new Map([[KEY, { packets: 5000, bytes: 0, at: 6000 }]])), average);
  // taken now: no time to divide by
  deepStrictEqual(rates(new Map([[KEY, { packets: 1000, bytes: 52_000, at: now }]])), average);
});

Deno.test("forwardingView: an entry installed this instant has no rate yet", () => {
  const { state, counters } = ipv4Scenario();
  const entry = forwardingView(state, counters, 1000).view.entries[1];
  deepStrictEqual([entry.packets, entry.packetRate, entry.byteRate, entry.age], [
    1100,
    null,
    null,
    0,
  ]);
});

Deno.test("forwardingView IPv6: bigints printed, MIF names, no counters read", () => {
  const { state, counters, now } = ipv6Scenario();
  const { view, samples } = forwardingView(state, counters, now);
  deepStrictEqual(view, {
    family: "ipv6",
    entries: [{
      source: "2001:db8::2",
      group: "ff05::1",
      input: { vif: 0, name: "up0" },
      // installed at 20 s for MIFs 1 and 2; dn2 went to fe80::50 at 30 s
      outputs: [{ vif: 1, name: "dn1" }],
      packets: null,
      bytes: null,
      packetRate: null,
      byteRate: null,
      age: 60,
    }],
    waiting: [],
  });
  equal(samples.size, 0);
});

Deno.test("forwardingView: the keys of schema version 1", () => {
  const { state, counters, now } = ipv4Scenario();
  const { view } = forwardingView(state, counters, now);
  deepStrictEqual(Object.keys(view), ["family", "entries", "waiting"]);
  deepStrictEqual(Object.keys(view.entries[0]), [
    "source",
    "group",
    "input",
    "outputs",
    "packets",
    "bytes",
    "packetRate",
    "byteRate",
    "age",
  ]);
  deepStrictEqual(Object.keys(view.entries[0].input), ["vif", "name"]);
  deepStrictEqual(Object.keys(view.waiting[0]), ["source", "group", "input", "idle"]);
});

Deno.test("sampleKey: source and group as the family prints them", () => {
  equal(sampleKey(IGMP_FAMILY, S, SSM), "10.0.0.2 232.1.1.1");
});
