// The running daemon: interfaces that appear, vanish or change while the daemon runs.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { ip } from "../proto/testing.ts";
import {
  hasLine,
  infoFrom,
  setup,
  sysIf,
  SYSTEM,
  until,
  v2Report,
  warnings,
} from "./daemon_testing.ts";
import { describeMemory } from "./daemon.ts";

Deno.test("Daemon.run: a LAN that appears gets a VIF at once; when it vanishes, quietly, it goes", async () => {
  const { sys, daemon, lines } = setup({ system: SYSTEM.slice(0, 2) });
  daemon.start();
  ok(sys.watching, "the daemon watches for interface changes");
  const running = daemon.run();
  const g = ip("239.1.1.1");
  sys.deliver(v2Report(11, "10.1.0.11", g));
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: ip("10.0.0.2"), group: g });
  await until("the entry", () => sys.mfc.size === 1);

  sys.setInterfaces(SYSTEM);
  await until("VIF 2", () => sys.vifs.get(2)?.ifindex === 12);
  ok(
    hasLine(
      lines,
      'info: Interface "dn2" appeared: downstream as VIF 2, address 10.2.0.1, threshold 1',
    ),
  );
  ok(sys.memberships.has(`${ip("224.0.0.2")}/12`) && sys.memberships.has(`${ip("224.0.0.22")}/12`));
  await until(
    "a query on dn2",
    () => sys.calls.some((c) => c.op === "sendIgmp" && c.ifindex === 12),
  );
  sys.deliver(v2Report(12, "10.2.0.11", g));
  await until("dn2 in the entry", () => sys.mfc.values().next().value?.oifs.length === 2);

  // The kernel drops the VIF of an unregistered interface itself: deleting it again fails.
  sys.vanish(12);
  sys.setInterfaces(SYSTEM.slice(0, 2));
  await until("dn2 gone", () => daemon.state?.byIfindex.has(12) === false);
  ok(hasLine(lines, 'info: Interface "dn2" is gone (no longer exists): VIF 2 removed'));
  deepStrictEqual([...sys.mfc.values()][0].oifs, [{ vifi: 1, ttl: 1 }], "LAN 1 still forwarded");
  ok(sys.memberships.has(`${g}/10`), "LAN 1 still wants the group upstream");
  ok(!sys.memberships.has(`${ip("224.0.0.2")}/12`));
  deepStrictEqual(warnings(lines), ['Interface "dn2" does not exist: waiting for it']);
  ok(lines.some((l) => l.includes('debug: Cannot delete VIF 2 for "dn2": EADDRNOTAVAIL')));
  daemon.stop();
  await running;
  equal(sys.vifs.size, 0);
  equal(sys.mfc.size, 0);
  equal(sys.memberships.size, 0);
});

Deno.test("Daemon.run: a late upstream joins what the LANs want; it can go and come back", async () => {
  const { sys, daemon, lines } = setup({ system: SYSTEM.slice(1) });
  daemon.start();
  const running = daemon.run();
  const g = ip("239.1.1.1");
  sys.deliver(v2Report(11, "10.1.0.11", g));
  await until("the membership", () => daemon.state?.members.has(g) === true);
  equal(sys.memberships.has(`${g}/10`), false, "no upstream to join on");

  sys.setInterfaces(SYSTEM);
  await until("the upstream join", () => sys.memberships.has(`${g}/10`));
  ok(
    hasLine(
      lines,
      'info: Interface "up0" appeared: upstream as VIF 2, address 10.0.0.1, threshold 1',
    ),
  );
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 2, source: ip("10.0.0.2"), group: g });
  await until("the entry", () => sys.mfc.size === 1);
  deepStrictEqual([...sys.mfc.values()][0].parent, 2);

  sys.setInterfaces([{ ...SYSTEM[0], up: false }, ...SYSTEM.slice(1)]);
  await until("no upstream", () => daemon.state?.upstream === undefined);
  ok(lines.some((l) => l.includes('info: Interface "up0" is gone (went down): VIF 2 removed')));
  equal(sys.mfc.size, 0);
  equal(sys.memberships.has(`${g}/10`), false);
  equal(sys.vifs.has(2), false);

  sys.setInterfaces(SYSTEM);
  await until("the join again", () => sys.memberships.has(`${g}/10`));
  deepStrictEqual(warnings(lines), [
    'Interface "up0" does not exist: waiting for it',
    'No upstream interface yet: nothing is forwarded until "up0" appears',
  ]);
  daemon.stop();
  await running;
  equal(sys.vifs.size, 0);
  equal(sys.memberships.size, 0);
});

Deno.test("Daemon.run: the periodic look finds a change the system did not announce", async () => {
  const { sys, daemon, advance } = setup({ system: SYSTEM.slice(0, 2) });
  daemon.start();
  const running = daemon.run();
  await until("the first look", () => sys.interfaceScans === 2);
  sys.setInterfaces(SYSTEM, { notify: false });
  await new Promise((r) => setTimeout(r, 60));
  equal(sys.vifs.size, 2, "not seen before the look is due");
  equal(sys.interfaceScans, 2);
  advance(30_000);
  await until("VIF 2", () => sys.vifs.has(2));
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: a new address is a down and an up of the interface", async () => {
  const { sys, daemon, lines } = setup();
  daemon.start();
  const running = daemon.run();
  sys.setInterfaces([SYSTEM[0], sysIf("dn1", 11, "10.1.0.5"), SYSTEM[2]]);
  await until("the new address", () => daemon.state?.vifs.get(1)?.address === ip("10.1.0.5"));
  ok(
    lines.some((l) =>
      l.endsWith(
        'info: Interface "dn1" is gone (address changed: 10.1.0.1 to 10.1.0.5): VIF 1 removed',
      )
    ),
  );
  ok(
    hasLine(
      lines,
      'info: Interface "dn1" appeared: downstream as VIF 1, address 10.1.0.5, threshold 1',
    ),
  );
  // Same name, new index: the old interface is gone.
  sys.setInterfaces([SYSTEM[0], sysIf("dn1", 21, "10.1.0.5"), SYSTEM[2]]);
  await until("the new index", () => daemon.state?.vifs.get(1)?.ifindex === 21);
  ok(lines.some((l) => l.includes('"dn1" is gone (index changed: 11 to 21)')));
  deepStrictEqual(warnings(lines), []);
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: without a watch, interfaces are looked at every 5 s", async () => {
  const { sys, daemon, lines, advance } = setup({ system: SYSTEM.slice(0, 2) });
  sys.failures.set("watchInterfaces", "EPROTONOSUPPORT");
  daemon.start();
  ok(
    hasLine(
      lines,
      "warn: Cannot watch interface changes: EPROTONOSUPPORT: looking every 5 s instead",
    ),
  );
  const running = daemon.run();
  sys.setInterfaces(SYSTEM);
  await new Promise((r) => setTimeout(r, 60));
  equal(sys.vifs.size, 2);
  advance(5_000);
  await until("VIF 2", () => sys.vifs.has(2));
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: a watch that fails later ends with one warning; looks go on", async () => {
  const { sys, daemon, lines, advance } = setup({ system: SYSTEM.slice(0, 2) });
  daemon.start();
  const running = daemon.run();
  sys.failures.set("interfacesChanged", "EBADF");
  sys.setInterfaces(SYSTEM, { notify: false });
  advance(30_000);
  await until("VIF 2", () => sys.vifs.has(2));
  deepStrictEqual(warnings(lines).slice(1), [
    "Cannot watch interface changes any more: EBADF: looking every 5 s instead",
  ]);
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: a VIF the kernel refuses is one warning, and tried again later", async () => {
  const { sys, daemon, lines, advance } = setup({ system: SYSTEM.slice(0, 2) });
  daemon.start();
  const running = daemon.run();
  await until("the first look", () => sys.interfaceScans === 2);
  sys.failures.set("addVif", "ENODEV");
  sys.setInterfaces(SYSTEM);
  await until("the warning", () => warnings(lines).length === 2);
  equal(
    warnings(lines)[1],
    'Cannot add VIF 2 for "dn2": ENODEV: trying again on the next change',
  );
  ok(!lines.some((l) => l.includes('info: Interface "dn2"')), "no appeared nor gone line");
  equal(daemon.state?.vifs.has(2), false);
  equal(sys.memberships.has(`${ip("224.0.0.2")}/12`), false);
  sys.setInterfaces(SYSTEM);
  await until("another look", () => sys.interfaceScans === 4);
  equal(warnings(lines).length, 2, "not tried again for the same interface");
  sys.failures.delete("addVif");
  advance(30_000);
  await until("VIF 2", () => sys.vifs.has(2));
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: a link without carrier is used once it has one; one in use keeps its VIF", async () => {
  const noCarrier = { ...SYSTEM[2], running: false };
  const { sys, daemon, lines } = setup({ system: [SYSTEM[0], SYSTEM[1], noCarrier] });
  daemon.start();
  deepStrictEqual(warnings(lines), [
    'Interface "dn2" has no carrier: waiting for its link to come up',
  ]);
  equal(sys.vifs.size, 2);
  const running = daemon.run();
  sys.setInterfaces(SYSTEM);
  await until("VIF 2", () => sys.vifs.has(2));
  const before = sys.calls.length;
  sys.setInterfaces([SYSTEM[0], { ...SYSTEM[1], running: false }, SYSTEM[2]]);
  await until("another look", () => sys.interfaceScans === 4);
  deepStrictEqual(sys.calls.slice(before).filter((c) => c.op !== "sendIgmp"), [], "nothing done");
  ok(!lines.some((l) => l.includes('"dn1" is gone')));
  daemon.stop();
  await running;
});

Deno.test("Daemon.run: an entry whose counters stand still between two samples is removed", async () => {
  const { sys, daemon, lines, advance } = setup();
  daemon.start();
  const running = daemon.run();
  const g = ip("239.1.1.1");
  const busy = ip("10.0.0.2");
  const silent = ip("10.0.0.3");
  sys.deliver(v2Report(11, "10.1.0.11", g));
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: busy, group: g });
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: silent, group: g });
  await until("two entries", () => sys.mfc.size === 2);
  sys.packets.set(`${busy}/${g}`, 100);
  sys.packets.set(`${silent}/${g}`, 7);
  const samples = () => sys.calls.filter((c) => c.op === "sgCount").length;
  advance(30_000); // first sample
  await until("a sample of both", () => samples() === 2);
  equal(sys.mfc.size, 2);
  sys.packets.set(`${busy}/${g}`, 250);
  advance(30_000); // second sample: only the silent one stood still
  await until("the silent entry removed", () => sys.mfc.size === 1);
  ok(sys.mfc.has(`${busy}/${g}`));
  ok(hasLine(lines, "debug: Removed 1 idle forwarding entry"));
  daemon.stop();
  await running;
  equal(sys.mfc.size, 0);
});

Deno.test("Daemon.requestDump: the loop logs the tables with the kernel's counters", async () => {
  const { sys, daemon, lines, advance } = setup();
  daemon.start();
  const running = daemon.run();
  const g = ip("239.1.1.1");
  const s = ip("10.0.0.2");
  sys.deliver(v2Report(11, "10.1.0.11", g));
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: s, group: g });
  await until("the entry", () => sys.mfc.size === 1);
  sys.vifCounts.set(0, { packetsIn: 120, packetsOut: 0, bytesIn: 6240, bytesOut: 0 });
  sys.vifCounts.set(1, { packetsIn: 0, packetsOut: 118, bytesIn: 0, bytesOut: 6136 });
  sys.packets.set(`${s}/${g}`, 118);
  sys.vanish(12); // VIF 2's counters cannot be read any more: `-`
  advance(5000);
  const from = lines.length;
  daemon.requestDump();
  await until("the dump", () => hasLine(lines, "info: Multicast Routing Cache Table (1 entry)"));
  deepStrictEqual(infoFrom(lines, from), [
    "Virtual Interface Table",
    " Vif  Interface  Local-Address  Subnet       Thresh  Flags",
    "   0  up0        10.0.0.1       10.0.0.0/24       1  upstream",
    "                        joined: 239.1.1.1",
    "                       pkts in: 120 (6240 bytes)",
    "                      pkts out: 0 (0 bytes)",
    "   1  dn1        10.1.0.1       10.1.0.0/24       1  downstream querier",
    "                        groups: 239.1.1.1 EXCLUDE 4m15s IGMPv2",
    "                       pkts in: 0 (0 bytes)",
    "                      pkts out: 118 (6136 bytes)",
    "   2  dn2        10.2.0.1       10.2.0.0/24       1  downstream querier",
    "                       pkts in: -",
    "                      pkts out: -",
    "Multicast Routing Cache Table (1 entry)",
    " Origin    Mcast-group  Age  Pkts  Bytes  IVif  Forwvifs",
    " 10.0.0.2  239.1.1.1     5s   118      0  0     1",
  ]);
  ok(sys.calls.some((c) => c.op === "vifCount" && c.vifi === 2), "VIF 2 was asked");
  daemon.stop();
  await running;
  equal(sys.mfc.size, 0);
});

Deno.test("Daemon.requestDump: the dump ends with the process's memory when it can be read", async () => {
  const MB = 1048576;
  const { daemon, lines } = setup({
    memoryUsage: () => ({ rss: 49.4 * MB, heapTotal: 14.5 * MB, heapUsed: 10 * MB, external: MB }),
  });
  daemon.start();
  const running = daemon.run();
  daemon.requestDump();
  await until("the memory line", () => lines.some((l) => l.includes("info: Memory:")));
  const table = lines.findIndex((l) =>
    l.endsWith("info: Multicast Routing Cache Table (0 entries)")
  );
  const memory = lines.findIndex((l) => l.includes("info: Memory:"));
  ok(table >= 0 && memory > table, "after the tables");
  ok(
    lines[memory].endsWith(
      "info: Memory: 49.4 MB resident, JavaScript heap 10.0 MB used of 14.5 MB, 1.0 MB outside it",
    ),
    lines[memory],
  );
  daemon.stop();
  await running;
});

Deno.test("describeMemory: megabytes with one decimal; no resident size when it reads 0", () => {
  equal(
    describeMemory({ rss: 104858, heapTotal: 1572864, heapUsed: 104858, external: 0 }),
    "Memory: 0.1 MB resident, JavaScript heap 0.1 MB used of 1.5 MB, 0.0 MB outside it",
  );
  equal(
    describeMemory({ rss: 0, heapTotal: 1572864, heapUsed: 104858, external: 0 }),
    "Memory: JavaScript heap 0.1 MB used of 1.5 MB, 0.0 MB outside it",
  );
});

Deno.test("Daemon.requestDump: asked for twice before the loop runs, it dumps once", async () => {
  const { daemon, lines } = setup();
  daemon.start();
  daemon.requestDump();
  daemon.requestDump();
  const running = daemon.run();
  await until("the dump", () => hasLine(lines, "info: Multicast Routing Cache Table (0 entries)"));
  await new Promise((r) => setTimeout(r, 20));
  equal(lines.filter((l) => l.endsWith("info: Virtual Interface Table")).length, 1);
  daemon.stop();
  await running;
});
