import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { MAXVIFS } from "../core/proxy.ts";
import { ip } from "../proto/testing.ts";
import {
  cfg,
  describeCalls,
  forwarding,
  messages,
  setup4,
  sysIf,
  SYSTEM,
} from "./plane_testing.ts";

Deno.test("Plane.rescan: an interface that appears gets a VIF, its groups and a query", () => {
  const { sys, lines, started } = setup4({ system: SYSTEM.slice(0, 2) });
  const plane = started();
  plane.rescan(SYSTEM, 0, false);
  deepStrictEqual(describeCalls(sys.calls), [
    "addVif 2 on 12",
    "joinGroup 224.0.0.2 on 12",
    "joinGroup 224.0.0.22 on 12",
    "sendIgmp on 12",
  ]);
  ok(
    messages(lines, "info").includes(
      'Interface "dn2" appeared: downstream as VIF 2, address 10.2.0.1, threshold 1',
    ),
  );
  sys.calls.length = 0;
  plane.rescan(SYSTEM, 0, true);
  deepStrictEqual(sys.calls, [], "nothing changed, nothing done");
});

Deno.test("Plane.rescan: an interface that goes down loses its VIF and memberships, upstream ones too", () => {
  const { sys, plane, lines } = forwarding();
  plane.rescan([SYSTEM[0], { ...SYSTEM[1], up: false }, SYSTEM[2]], 0, false);
  const calls = describeCalls(sys.calls);
  ok(calls.includes("delVif 1"), calls.join("\n"));
  ok(calls.includes("leaveGroup 224.0.0.2 on 11"));
  ok(calls.includes("leaveGroup 239.1.1.1 on 10"), "no member left: left upstream");
  ok(messages(lines, "info").includes('Interface "dn1" is gone (went down): VIF 1 removed'));
  deepStrictEqual(messages(lines, "warn"), []);
});

Deno.test("Plane.rescan: a vanished interface's VIF is gone already: its failures are debug lines", () => {
  const { sys, plane, lines } = forwarding();
  sys.vanish(11);
  sys.failures.set("leaveGroup", "ENODEV");
  plane.rescan([SYSTEM[0], SYSTEM[2]], 0, false);
  // Only the interface that vanished is excused: the upstream is still there.
  deepStrictEqual(messages(lines, "warn"), ['Cannot leave 239.1.1.1 on "up0": ENODEV']);
  const debug = messages(lines, "debug");
  ok(debug.includes('Cannot delete VIF 1 for "dn1": EADDRNOTAVAIL (the interface is gone)'));
  ok(debug.includes('Cannot leave 224.0.0.2 on "dn1": ENODEV (the interface is gone)'));
  ok(messages(lines, "info").includes('Interface "dn1" is gone (no longer exists): VIF 1 removed'));
});

Deno.test("Plane.rescan: a new address is a down and an up of the interface", () => {
  const { sys, lines, started } = setup4();
  const plane = started();
  plane.rescan([SYSTEM[0], sysIf("dn1", 11, 5), SYSTEM[2]], 0, false);
  equal(plane.state?.vifs.get(1)?.address, ip("10.5.0.1"));
  const calls = describeCalls(sys.calls);
  ok(calls.indexOf("delVif 1") < calls.indexOf("addVif 1 on 11"), calls.join("\n"));
  ok(
    messages(lines, "info").includes(
      'Interface "dn1" is gone (address changed: 10.1.0.1 to 10.5.0.1): VIF 1 removed',
    ),
  );
});

Deno.test("Plane.rescan: a lost carrier keeps the VIF; a new interface waits for its carrier", () => {
  const { sys, started } = setup4({ system: SYSTEM.slice(0, 2) });
  const plane = started();
  plane.rescan(
    [SYSTEM[0], { ...SYSTEM[1], running: false }, { ...SYSTEM[2], running: false }],
    0,
    true,
  );
  deepStrictEqual(sys.calls, []);
  equal(plane.state?.vifs.size, 2);
  plane.rescan(SYSTEM, 0, false);
  deepStrictEqual(describeCalls(sys.calls)[0], "addVif 2 on 12");
});

Deno.test("Plane.rescan: a VIF the kernel refuses is tried again on a change or a periodic look", () => {
  const { sys, lines, started } = setup4({ system: SYSTEM.slice(0, 2) });
  const plane = started();
  sys.failures.set("addVif", "ENODEV");
  plane.rescan(SYSTEM, 0, false);
  deepStrictEqual(messages(lines, "warn"), [
    'Cannot add VIF 2 for "dn2": ENODEV: trying again on the next change',
  ]);
  equal(plane.state?.vifs.has(2), false, "the core took it back");
  ok(!messages(lines, "info").some((l) => l.includes('"dn2"')), "quietly");
  const addVifs = () => sys.calls.filter((c) => c.op === "addVif").length;
  plane.rescan(SYSTEM, 0, false);
  equal(addVifs(), 1, "the same interface is not tried again");
  plane.rescan([...SYSTEM.slice(0, 2), sysIf("dn2", 22, 2)], 0, false);
  equal(addVifs(), 2, "a changed one is");
  sys.failures.delete("addVif");
  plane.rescan([...SYSTEM.slice(0, 2), sysIf("dn2", 22, 2)], 0, true);
  equal(addVifs(), 3, "and a periodic look tries again");
  equal(plane.state?.vifs.get(2)?.ifindex, 22);
});

Deno.test("Plane.rescan: an interface the core refuses for want of a VIF waits for one to be freed", () => {
  const names = Array.from({ length: MAXVIFS }, (_, i) => `dn${i + 1}`);
  const configured = [cfg("up0", "upstream"), ...names.map((n) => cfg(n, "downstream"))];
  const all = [SYSTEM[0], ...names.map((n, i) => sysIf(n, 100 + i, i + 1))];
  const { sys, lines, started } = setup4({ configured, system: all.slice(0, MAXVIFS) });
  const plane = started();
  equal(plane.state?.vifs.size, MAXVIFS);
  plane.rescan(all, 0, false);
  const refusals = () => messages(lines, "warn").filter((l) => l.includes('"dn32" appeared'));
  equal(refusals().length, 1, messages(lines, "warn").join("\n"));
  deepStrictEqual(sys.calls.filter((c) => c.op === "addVif"), []);
  plane.rescan(all, 0, true);
  equal(refusals().length, 1, "not tried again while no VIF is free");
  plane.rescan(all.filter((i) => i.name !== "dn5"), 0, false);
  equal(plane.state?.byIfindex.get(131)?.name, "dn32", "dn5's VIF went to it");
});

Deno.test("Plane.reconfigure: one taken out goes, new settings apply in place, a new one waits", () => {
  const { sys, lines, started } = setup4();
  const plane = started();
  const next = [
    cfg("up0", "upstream"),
    cfg("dn1", "downstream", { threshold: 4 }),
    cfg("dn3", "downstream"),
  ];
  const warnings = plane.reconfigure(next, SYSTEM, 0);
  deepStrictEqual(warnings, ['Interface "dn3" does not exist: waiting for it']);
  const info = messages(lines, "info");
  ok(
    info.includes('Interface "dn2" is gone (it is no longer in the configuration): VIF 2 removed'),
  );
  ok(
    info.includes('Interface "dn1" keeps VIF 1 with new settings: threshold 1 -> 4'),
    info.join("\n"),
  );
  ok(describeCalls(sys.calls).includes("delVif 2"));
  equal(plane.state?.vifs.get(1)?.threshold, 4);
  deepStrictEqual(plane.configured, next);
  deepStrictEqual(
    plane.reconfigure(next, SYSTEM, 0),
    [],
    "a waiting interface is warned about once",
  );
});

Deno.test("Plane.reconfigure: roles that swap go down first, then come up in their new roles", () => {
  const { lines, started } = setup4();
  const plane = started();
  plane.reconfigure(
    [cfg("dn1", "upstream"), cfg("up0", "downstream"), cfg("dn2", "downstream")],
    SYSTEM,
    0,
  );
  deepStrictEqual(messages(lines, "info").slice(3), [
    'Interface "up0" is gone (it is downstream in the new configuration): VIF 0 removed, 0 ' +
    "forwarding entries and 0 upstream memberships dropped; nothing from upstream is forwarded " +
    "until it is back",
    'Interface "dn1" is gone (it is upstream in the new configuration): VIF 1 removed',
    'Interface "dn1" appeared: upstream as VIF 0, address 10.1.0.1, threshold 1',
    'Interface "up0" appeared: downstream as VIF 1, address 10.0.0.1, threshold 1',
  ]);
  equal(plane.state?.upstream?.name, "dn1");
  equal(plane.state?.byIfindex.get(10)?.role, "downstream");
});
