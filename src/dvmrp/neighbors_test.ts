import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import type { DvmrpCapabilities, DvmrpProbe } from "../proto/dvmrp.ts";
import { ip } from "../proto/testing.ts";
import {
  createNeighborTable,
  findNeighbor,
  isLeafVif,
  LOST_REASON,
  MAX_NEIGHBORS_PER_VIF,
  NEIGHBOR_EXPIRE_TIME,
  NEIGHBOR_FSM,
  type NeighborAction,
  type NeighborEvent,
  neighborsOn,
  type NeighborTable,
  neighborTransition,
  nextNeighborDeadline,
  OLD_NEIGHBOR_EXPIRE_TIME,
  PROBE_INTERVAL,
  stepNeighbors,
} from "./neighbors.ts";

// Our router: vif 0 on LAN A (10.0.0.1), vif 1 a tunnel from 192.0.2.1 to 198.51.100.7.
// N1 and N2 are routers on LAN A.
const US = ip("10.0.0.1");
const N1 = ip("10.0.0.2");
const N2 = ip("10.0.0.3");
const TUN_LOCAL = ip("192.0.2.1");
const TUN_REMOTE = ip("198.51.100.7");
const GENID = 0x5f000000;

/** mrouted's capabilities, 0x0e: prune, generation ID, mtrace. */
const CAPS: DvmrpCapabilities = {
  leaf: false,
  prune: true,
  generationId: true,
  mtrace: true,
  snmp: false,
  netmask: false,
};

/** A 3.255 probe with a generation ID and a neighbor list. */
function probe(genid: number, neighbors: number[] = []): DvmrpProbe {
  return {
    type: "probe",
    capabilities: CAPS,
    minorVersion: 0xff,
    majorVersion: 3,
    generationId: genid,
    neighbors,
  };
}

/** A probe of mrouted 3.2 (Appendix C): no generation ID, no list. */
function oldProbe(): DvmrpProbe {
  return {
    type: "probe",
    capabilities: { ...CAPS, generationId: false },
    minorVersion: 2,
    majorVersion: 3,
    neighbors: [],
  };
}

/** A table with LAN A up at time 0. */
function lanUp(): NeighborTable {
  const table = createNeighborTable(GENID);
  stepNeighbors(table, { kind: "vif-up", vif: 0, address: US }, 0);
  return table;
}

function hear(table: NeighborTable, at: { from: number; now: number }, p: DvmrpProbe) {
  return stepNeighbors(table, { kind: "probe-received", vif: 0, from: at.from, probe: p }, at.now);
}

function tick(table: NeighborTable, now: number): NeighborAction[] {
  return stepNeighbors(table, { kind: "tick" }, now);
}

/** The actions that are not log lines. */
function acts(actions: NeighborAction[]): NeighborAction[] {
  return actions.filter((a) => a.kind !== "log");
}

function logs(actions: NeighborAction[]): Extract<NeighborAction, { kind: "log" }>[] {
  return actions.filter((a) => a.kind === "log");
}

Deno.test("neighbors: a probe at vif-up, then every Probe Interval (3.2)", () => {
  const table = createNeighborTable(GENID);
  deepStrictEqual(stepNeighbors(table, { kind: "vif-up", vif: 0, address: US }, 1000), [
    { kind: "send-probe", vif: 0, neighbors: [] },
  ]);
  equal(nextNeighborDeadline(table), 1000 + PROBE_INTERVAL);
  deepStrictEqual(tick(table, 1000 + PROBE_INTERVAL - 1), [], "not before 10 s");
  deepStrictEqual(tick(table, 11_000), [{ kind: "send-probe", vif: 0, neighbors: [] }]);
  equal(nextNeighborDeadline(table), 21_000);
  deepStrictEqual(tick(table, 21_000), [{ kind: "send-probe", vif: 0, neighbors: [] }]);
  // A late tick sends one probe and keeps the cadence: the missed ones are not made up.
  deepStrictEqual(tick(table, 55_000), [{ kind: "send-probe", vif: 0, neighbors: [] }]);
  equal(nextNeighborDeadline(table), 61_000);
});

Deno.test("neighbors: one-way until its probe lists us, then two-way (3.2.3)", () => {
  const table = lanUp();
  // N1 starts: its probe lists nobody. It is one-way, and our probes list it from now on.
  const first = hear(table, { from: N1, now: 2000 }, probe(GENID + 1));
  deepStrictEqual(acts(first), [], "no adjacency yet, no probe at once");
  deepStrictEqual(
    neighborsOn(table, 0).map((n) => [n.address, n.twoWay, n.since, n.expiresAt]),
    [[N1, false, 2000, 2000 + NEIGHBOR_EXPIRE_TIME]],
  );
  ok(isLeafVif(table, 0), "a one-way neighbor leaves the interface a leaf");
  deepStrictEqual(tick(table, PROBE_INTERVAL), [{ kind: "send-probe", vif: 0, neighbors: [N1] }]);
  // Having heard itself in our probe, N1 lists us: the adjacency is up, and we probe at once.
  const up = hear(table, { from: N1, now: 10_500 }, probe(GENID + 1, [US]));
  deepStrictEqual(acts(up), [
    { kind: "neighbor-up", vif: 0, neighbor: N1 },
    { kind: "send-probe", vif: 0, neighbors: [N1] },
  ]);
  const n = findNeighbor(table, 0, N1)!;
  deepStrictEqual(
    { twoWay: n.twoWay, genid: n.genid, since: n.since, version: [n.majorVersion, n.minorVersion] },
    { twoWay: true, genid: GENID + 1, since: 2000, version: [3, 0xff] },
  );
  deepStrictEqual(n.capabilities, CAPS);
  ok(!isLeafVif(table, 0));
  // Further probes that list us keep it up without another neighbor-up or probe.
  deepStrictEqual(acts(hear(table, { from: N1, now: 20_500 }, probe(GENID + 1, [N2, US]))), []);
});

Deno.test("neighbors: a first probe that already lists us brings the adjacency up", () => {
  const table = lanUp();
  deepStrictEqual(acts(hear(table, { from: N1, now: 3000 }, probe(7, [US]))), [
    { kind: "neighbor-up", vif: 0, neighbor: N1 },
    { kind: "send-probe", vif: 0, neighbors: [N1] },
  ]);
});

Deno.test("neighbors: a new generation ID is a restart: lost, then a new neighbor (3.2.2)", () => {
  const table = lanUp();
  hear(table, { from: N1, now: 1000 }, probe(100, [US]));
  // N1 restarted and already heard us: lost, up again, one probe at once.
  const again = hear(table, { from: N1, now: 5000 }, probe(200, [US]));
  deepStrictEqual(acts(again), [
    { kind: "neighbor-lost", vif: 0, neighbor: N1, reason: "restarted" },
    { kind: "neighbor-up", vif: 0, neighbor: N1 },
    { kind: "send-probe", vif: 0, neighbors: [N1] },
  ]);
  deepStrictEqual([findNeighbor(table, 0, N1)?.genid, findNeighbor(table, 0, N1)?.since], [
    200,
    5000,
  ]);
  // N1 restarted again and lists nobody yet: lost, one-way, and a probe at once so that it
  // hears of us now.
  const restarted = hear(table, { from: N1, now: 6000 }, probe(300));
  deepStrictEqual(acts(restarted), [
    { kind: "neighbor-lost", vif: 0, neighbor: N1, reason: "restarted" },
    { kind: "send-probe", vif: 0, neighbors: [N1] },
  ]);
  equal(findNeighbor(table, 0, N1)?.twoWay, false);
  deepStrictEqual(acts(hear(table, { from: N1, now: 6100 }, probe(300, [US]))), [
    { kind: "neighbor-up", vif: 0, neighbor: N1 },
    { kind: "send-probe", vif: 0, neighbors: [N1] },
  ]);
  // A one-way neighbor that restarts is not lost (it never was up), but is probed at once.
  hear(table, { from: N2, now: 7000 }, probe(1));
  deepStrictEqual(acts(hear(table, { from: N2, now: 8000 }, probe(2))), [
    { kind: "send-probe", vif: 0, neighbors: [N1, N2] },
  ]);
});

Deno.test("neighbors: a new version is a restart too, as mrouted takes it", () => {
  const table = lanUp();
  hear(table, { from: N1, now: 1000 }, probe(100, [US]));
  const upgraded = { ...probe(100, [US]), minorVersion: 0xfe };
  deepStrictEqual(acts(hear(table, { from: N1, now: 2000 }, upgraded)).map((a) => a.kind), [
    "neighbor-lost",
    "neighbor-up",
    "send-probe",
  ]);
  equal(findNeighbor(table, 0, N1)?.minorVersion, 0xfe);
});

Deno.test("neighbors: a two-way neighbor whose probe omits us is lost one-way", () => {
  const table = lanUp();
  hear(table, { from: N1, now: 1000 }, probe(100, [US]));
  const lost = hear(table, { from: N1, now: 2000 }, probe(100, [N2]));
  deepStrictEqual(acts(lost), [{ kind: "neighbor-lost", vif: 0, neighbor: N1, reason: "one-way" }]);
  const n = findNeighbor(table, 0, N1)!;
  deepStrictEqual([n.twoWay, n.expiresAt], [false, 2000 + NEIGHBOR_EXPIRE_TIME], "still heard");
  ok(isLeafVif(table, 0));
  deepStrictEqual(tick(table, PROBE_INTERVAL), [{ kind: "send-probe", vif: 0, neighbors: [N1] }]);
  // Timing out now loses nothing more: neighbor-lost came already.
  deepStrictEqual(acts(tick(table, 2000 + NEIGHBOR_EXPIRE_TIME)), [
    { kind: "send-probe", vif: 0, neighbors: [] },
  ]);
  equal(findNeighbor(table, 0, N1), undefined);
});

Deno.test("neighbors: the time-out is 35 s after the last probe, not before (3.2.4)", () => {
  const table = lanUp();
  hear(table, { from: N1, now: 4000 }, probe(100, [US]));
  const deadline = 4000 + NEIGHBOR_EXPIRE_TIME;
  // Periodic probes until just before the deadline keep listing N1.
  for (let t = PROBE_INTERVAL; t < deadline; t += PROBE_INTERVAL) {
    deepStrictEqual(tick(table, t), [{ kind: "send-probe", vif: 0, neighbors: [N1] }]);
  }
  equal(nextNeighborDeadline(table), deadline, "the neighbor's deadline before the next probe");
  deepStrictEqual(acts(tick(table, deadline - 1)), []);
  const expired = tick(table, deadline);
  deepStrictEqual(acts(expired), [
    { kind: "neighbor-lost", vif: 0, neighbor: N1, reason: "timeout" },
  ]);
  deepStrictEqual(logs(expired), [
    {
      kind: "log",
      level: "info",
      message: 'DVMRP neighbor "10.0.0.2" on vif 0: two-way to absent (timeout)',
    },
  ]);
  deepStrictEqual(neighborsOn(table, 0), []);
  equal(nextNeighborDeadline(table), 40_000, "the next probe");
});

Deno.test("neighbors: each probe postpones the time-out", () => {
  const table = lanUp();
  hear(table, { from: N1, now: 0 }, probe(100, [US]));
  hear(table, { from: N1, now: 30_000 }, probe(100, [US]));
  equal(findNeighbor(table, 0, N1)?.expiresAt, 30_000 + NEIGHBOR_EXPIRE_TIME);
  deepStrictEqual(acts(tick(table, NEIGHBOR_EXPIRE_TIME)), [
    { kind: "send-probe", vif: 0, neighbors: [N1] },
  ]);
  deepStrictEqual(acts(tick(table, 65_000)).map((a) => a.kind), ["neighbor-lost", "send-probe"]);
});

Deno.test("neighbors: a one-way neighbor times out without neighbor-lost", () => {
  const table = lanUp();
  hear(table, { from: N1, now: 0 }, probe(100));
  const expired = tick(table, NEIGHBOR_EXPIRE_TIME);
  deepStrictEqual(acts(expired), [{ kind: "send-probe", vif: 0, neighbors: [] }]);
  deepStrictEqual(logs(expired).map((l) => l.level), ["debug"]);
});

Deno.test("neighbors: a probe without generation ID is two-way at once, 140 s (App. C)", () => {
  const table = lanUp();
  deepStrictEqual(acts(hear(table, { from: N1, now: 1000 }, oldProbe())), [
    { kind: "neighbor-up", vif: 0, neighbor: N1 },
    { kind: "send-probe", vif: 0, neighbors: [N1] },
  ]);
  const n = findNeighbor(table, 0, N1)!;
  deepStrictEqual([n.genid, n.expiresAt], [undefined, 1000 + OLD_NEIGHBOR_EXPIRE_TIME]);
  deepStrictEqual(acts(hear(table, { from: N1, now: 2000 }, oldProbe())), [], "no restart");
  // Upgraded to 3.255: another version and a generation ID, so a restart.
  deepStrictEqual(acts(hear(table, { from: N1, now: 3000 }, probe(9))).map((a) => a.kind), [
    "neighbor-lost",
    "send-probe",
  ]);
});

Deno.test("neighbors: vif-down loses its neighbors and stops its probes", () => {
  const table = lanUp();
  stepNeighbors(table, { kind: "vif-up", vif: 2, address: ip("10.0.2.1") }, 0);
  hear(table, { from: N1, now: 1000 }, probe(100, [US]));
  hear(table, { from: N2, now: 1000 }, probe(101));
  deepStrictEqual(acts(stepNeighbors(table, { kind: "vif-down", vif: 0 }, 2000)), [
    { kind: "neighbor-lost", vif: 0, neighbor: N1, reason: "vif-down" },
  ]);
  deepStrictEqual(neighborsOn(table, 0), []);
  ok(isLeafVif(table, 0));
  deepStrictEqual(tick(table, PROBE_INTERVAL), [{ kind: "send-probe", vif: 2, neighbors: [] }]);
  stepNeighbors(table, { kind: "vif-down", vif: 2 }, 11_000);
  equal(nextNeighborDeadline(table), Infinity);
  // A probe on an interface that is down is ignored; so is a second vif-down.
  deepStrictEqual(acts(hear(table, { from: N1, now: 12_000 }, probe(100, [US]))), []);
  deepStrictEqual(stepNeighbors(table, { kind: "vif-down", vif: 0 }, 12_000), []);
});

Deno.test("neighbors: vif-up on an interface that is up starts it afresh", () => {
  const table = lanUp();
  hear(table, { from: N1, now: 1000 }, probe(100, [US]));
  const again = stepNeighbors(table, { kind: "vif-up", vif: 0, address: US }, 5000);
  deepStrictEqual(acts(again), [
    { kind: "neighbor-lost", vif: 0, neighbor: N1, reason: "vif-down" },
    { kind: "send-probe", vif: 0, neighbors: [] },
  ]);
  equal(nextNeighborDeadline(table), 5000 + PROBE_INTERVAL);
});

Deno.test("neighbors: a tunnel's probes go unicast to its far end", () => {
  const table = createNeighborTable(GENID);
  const up: NeighborEvent = {
    kind: "vif-up",
    vif: 1,
    address: TUN_LOCAL,
    tunnel: { remote: TUN_REMOTE },
  };
  deepStrictEqual(stepNeighbors(table, up, 0), [
    { kind: "send-probe", vif: 1, to: TUN_REMOTE, neighbors: [] },
  ]);
  const p = probe(5, [TUN_LOCAL]);
  deepStrictEqual(
    acts(stepNeighbors(table, { kind: "probe-received", vif: 1, from: TUN_REMOTE, probe: p }, 1)),
    [
      { kind: "neighbor-up", vif: 1, neighbor: TUN_REMOTE },
      { kind: "send-probe", vif: 1, to: TUN_REMOTE, neighbors: [TUN_REMOTE] },
    ],
  );
  deepStrictEqual(tick(table, PROBE_INTERVAL), [
    { kind: "send-probe", vif: 1, to: TUN_REMOTE, neighbors: [TUN_REMOTE] },
  ]);
});

Deno.test("neighbors: our own probe, looped back, is ignored", () => {
  const table = lanUp();
  const own = hear(table, { from: US, now: 1000 }, probe(GENID, []));
  deepStrictEqual(acts(own), []);
  deepStrictEqual(logs(own).map((l) => l.level), ["debug"]);
  deepStrictEqual(neighborsOn(table, 0), []);
});

Deno.test("neighbors: at most 64 per interface; a new one replaces the first one-way one", () => {
  const table = lanUp();
  const base = ip("10.0.1.0");
  for (let i = 1; i <= MAX_NEIGHBORS_PER_VIF; i++) {
    hear(table, { from: base + i, now: i }, probe(i));
  }
  equal(neighborsOn(table, 0).length, MAX_NEIGHBORS_PER_VIF);
  // Made-up one-way neighbors cannot keep a real router out: the first heard makes room.
  const real = hear(table, { from: base + 100, now: 1000 }, probe(100, [US]));
  deepStrictEqual(acts(real).map((a) => a.kind), ["neighbor-up", "send-probe"]);
  equal(findNeighbor(table, 0, base + 1), undefined, "the first one-way neighbor went");
  equal(neighborsOn(table, 0).length, MAX_NEIGHBORS_PER_VIF);
  // Once every neighbor is two-way, one more is dropped, with one warning.
  for (let i = 2; i <= MAX_NEIGHBORS_PER_VIF; i++) {
    hear(table, { from: base + i, now: 2000 }, probe(i, [US]));
  }
  ok(neighborsOn(table, 0).every((n) => n.twoWay));
  const over = hear(table, { from: base + 101, now: 3000 }, probe(101, [US]));
  deepStrictEqual(acts(over), [], "dropped: no neighbor-up");
  deepStrictEqual(logs(over).map((l) => l.level), ["warn"]);
  deepStrictEqual(hear(table, { from: base + 102, now: 3001 }, probe(102)), [], "warned once");
  equal(findNeighbor(table, 0, base + 101), undefined);
});

Deno.test("neighbors: nextNeighborDeadline is the earliest probe or time-out", () => {
  const table = createNeighborTable(GENID);
  equal(nextNeighborDeadline(table), Infinity, "nothing up");
  stepNeighbors(table, { kind: "vif-up", vif: 0, address: US }, 0);
  stepNeighbors(table, { kind: "vif-up", vif: 1, address: TUN_LOCAL }, 3000);
  equal(nextNeighborDeadline(table), PROBE_INTERVAL);
  tick(table, PROBE_INTERVAL);
  equal(nextNeighborDeadline(table), 13_000, "vif 1's probe");
  hear(table, { from: N1, now: 12_000 }, probe(100));
  tick(table, 13_000);
  equal(nextNeighborDeadline(table), 20_000);
  tick(table, 20_000);
  tick(table, 23_000);
  tick(table, 30_000);
  tick(table, 33_000);
  tick(table, 40_000);
  tick(table, 43_000);
  equal(nextNeighborDeadline(table), 12_000 + NEIGHBOR_EXPIRE_TIME, "N1's time-out");
});

Deno.test("neighbors: adjacency changes log at info, other transitions at debug", () => {
  const table = lanUp();
  deepStrictEqual(logs(hear(table, { from: N1, now: 1 }, probe(1))), [
    {
      kind: "log",
      level: "debug",
      message: 'DVMRP neighbor "10.0.0.2" on vif 0: absent to one-way (probe-omits-us)',
    },
  ]);
  deepStrictEqual(logs(hear(table, { from: N1, now: 2 }, probe(1))), [], "no change, no line");
  deepStrictEqual(logs(hear(table, { from: N1, now: 3 }, probe(1, [US]))), [
    {
      kind: "log",
      level: "info",
      message: 'DVMRP neighbor "10.0.0.2" on vif 0: one-way to two-way (probe-lists-us)',
    },
  ]);
});

Deno.test("neighbors: isLeafVif of an interface that is not up", () => {
  ok(isLeafVif(createNeighborTable(GENID), 9));
  deepStrictEqual(neighborsOn(createNeighborTable(GENID), 9), []);
});

Deno.test("neighbors: the generation ID is a 32-bit number", () => {
  equal(createNeighborTable(0xffffffff).genid, 0xffffffff);
  throws(() => createNeighborTable(-1), RangeError);
  throws(() => createNeighborTable(2 ** 32), RangeError);
  throws(() => createNeighborTable(1.5), RangeError);
});

Deno.test("neighbor FSM: one row per state and event, neighbor-up and -lost paired", () => {
  const seen = new Set<string>();
  for (const row of NEIGHBOR_FSM) {
    const key = `${row.state} ${row.event}`;
    ok(!seen.has(key), `one row for ${key}`);
    seen.add(key);
    equal(neighborTransition(row.state, row.event), row);
    const enters = row.state !== "two-way" && row.next === "two-way";
    const leaves = row.state === "two-way" && row.next !== "two-way";
    equal(row.actions.includes("announce-up"), enters, `${key}: up iff it enters two-way`);
    equal(row.actions.includes("announce-lost"), leaves, `${key}: lost iff it leaves two-way`);
    if (leaves) ok(LOST_REASON[row.event] !== undefined, `${key} has a reason`);
    equal(row.actions.includes("record"), row.next !== "absent", `${key}: recorded iff kept`);
    equal(row.actions.includes("forget"), row.next === "absent", `${key}: forgotten iff absent`);
  }
  // Every state a neighbor can be recorded in answers every event.
  for (const state of ["one-way", "two-way"] as const) {
    for (const event of Object.keys(LOST_REASON) as (keyof typeof LOST_REASON)[]) {
      ok(neighborTransition(state, event) !== undefined, `${state} answers ${event}`);
    }
  }
  equal(neighborTransition("absent", "timeout"), undefined);
});
