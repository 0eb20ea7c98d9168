import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { DEFAULT_TIMERS } from "../core/timers.ts";
import { createLogger } from "../log.ts";
import { encodeMldV1Report } from "../proto/mld_encode.ts";
import { FakeSys, FakeSysError } from "../../tests/fakes/fake_sys.ts";
import { IPV4, IPV6, scanInterfaces, StartupError } from "./interfaces.ts";
import { Plane } from "./plane.ts";
import {
  b6,
  cfg,
  CONFIGURED,
  describeCalls,
  forwarding,
  G,
  messages,
  S,
  setup4,
  SYSTEM,
  v2Report,
  v6,
} from "./plane_testing.ts";
import type { FamilyPort } from "./sys.ts";

// Start

Deno.test("Plane.start: a VIF per interface, the routers' groups joined downstream, a query per LAN", () => {
  const { sys, plane, lines } = setup4();
  plane.init();
  plane.start(scanInterfaces(IPV4, CONFIGURED, SYSTEM).usable, 0);
  deepStrictEqual(describeCalls(sys.calls), [
    "mrtInit",
    "addVif 0 on 10",
    "addVif 1 on 11",
    "joinGroup 224.0.0.2 on 11",
    "joinGroup 224.0.0.22 on 11",
    "addVif 2 on 12",
    "joinGroup 224.0.0.2 on 12",
    "joinGroup 224.0.0.22 on 12",
    "sendIgmp on 11",
    "sendIgmp on 12",
  ]);
  equal(plane.state?.vifs.size, 3);
  ok(
    messages(lines, "info").includes(
      'Interface "dn1" is downstream as VIF 1, address 10.1.0.1, threshold 1',
    ),
  );
  ok(messages(lines, "debug").includes('Sent general query on "dn1"'));
  equal(plane.nextDeadline(), DEFAULT_TIMERS.startupQueryInterval, "the next startup query");
});

Deno.test("Plane.start: a VIF the kernel refuses is a startup error that names it", () => {
  const { sys, plane } = setup4();
  sys.failures.set("addVif", "ENOBUFS");
  plane.init();
  throws(
    () => plane.start(scanInterfaces(IPV4, CONFIGURED, SYSTEM).usable, 0),
    (err: unknown) =>
      err instanceof StartupError && err.message === 'Cannot add VIF 0 for "up0": ENOBUFS',
  );
});

Deno.test("Plane: before start nothing reaches the kernel, and nothing is due", () => {
  const { sys, plane } = setup4();
  equal(plane.state, undefined);
  equal(plane.nextDeadline(), Infinity);
  sys.deliver(v2Report(11, "10.1.0.11", G));
  plane.drain();
  plane.tick(1e9);
  plane.rescan(SYSTEM, 0, true);
  plane.dump(0);
  plane.stop(0);
  deepStrictEqual(plane.reconfigure(CONFIGURED, SYSTEM, 0), []);
  deepStrictEqual(sys.calls, []);
  equal(sys.inbox.length, 1, "not read");
});

// What the socket reads

Deno.test("Plane.drain: a report joins the group upstream; an upcall installs the entry", () => {
  const { sys, lines, started } = setup4();
  const plane = started();
  sys.deliver(v2Report(11, "10.1.0.11", G));
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: S, group: G });
  plane.drain();
  deepStrictEqual(describeCalls(sys.calls), [
    "joinGroup 239.1.1.1 on 10",
    "addMfc (10.0.0.2, 239.1.1.1) from 0 to 1",
  ]);
  equal(sys.inbox.length, 0);
  const debug = messages(lines, "debug");
  ok(debug.includes('Joined 239.1.1.1 on "up0"'));
  ok(debug.includes("Forwarding (10.0.0.2, 239.1.1.1) from VIF 0 to VIF 1"));
});

Deno.test("Plane.drain: one batch of 512 per call, the rest waits for the next round", () => {
  const { sys, started } = setup4();
  const plane = started();
  for (let i = 0; i < 600; i++) sys.deliver(v2Report(11, "10.1.0.11", G));
  plane.drain();
  equal(sys.inbox.length, 88);
  plane.drain();
  equal(sys.inbox.length, 0);
});

Deno.test("Plane.drain: a socket that cannot be read is one warning for the round", () => {
  const sys = new FakeSys(SYSTEM);
  const lines: string[] = [];
  const log = createLogger({ sink: (_l, line) => lines.push(line), verbosity: 0 });
  const port: FamilyPort<number> = sys.ipv4;
  port.receive = () => {
    throw new FakeSysError("recvmsg", "EBADF");
  };
  const plane = new Plane({ spec: IPV4, port, configured: CONFIGURED, log, now: () => 0 });
  plane.start(scanInterfaces(IPV4, CONFIGURED, SYSTEM).usable, 0);
  plane.drain();
  deepStrictEqual(messages(lines, "warn"), [
    "Cannot receive on the multicast routing socket: EBADF",
  ]);
});

// Actions that fail

Deno.test("Plane: a kernel call that fails is a warning naming the action; the plane goes on", () => {
  const { sys, lines, started } = setup4();
  const plane = started();
  sys.deliver(v2Report(11, "10.1.0.11", G));
  sys.failures.set("joinGroup", "ENOBUFS");
  plane.drain();
  sys.failures.delete("joinGroup");
  sys.failures.set("addMfc", "ENOMEM");
  sys.deliver({ kind: "upcall", msgtype: 1, vif: 0, source: S, group: G });
  plane.drain();
  deepStrictEqual(messages(lines, "warn"), [
    'Cannot join 239.1.1.1 on "up0": ENOBUFS',
    "Cannot add MFC entry for (10.0.0.2, 239.1.1.1): ENOMEM",
  ]);
  equal(plane.state?.vifs.size, 3);
});

// Timers

Deno.test("Plane.tick: nothing before the deadline; at it, the due queries go out", () => {
  const { sys, started, advance } = setup4();
  const plane = started();
  const due = plane.nextDeadline();
  advance(due - 1);
  plane.tick(due - 1);
  deepStrictEqual(sys.calls, []);
  advance(1);
  plane.tick(due);
  deepStrictEqual(describeCalls(sys.calls), ["sendIgmp on 11", "sendIgmp on 12"]);
  ok(plane.nextDeadline() > due);
});

Deno.test("Plane: the core's samples read the entry's counters; an idle entry is removed", () => {
  const { sys, plane, lines, advance, now } = forwarding();
  sys.packets.set(`${S}/${G}`, 7);
  const sampled = () => sys.calls.filter((c) => c.op === "sgCount").length;
  // The first sample, when it is due, remembers the count.
  while (sampled() === 0) {
    advance(1_000);
    plane.tick(now());
  }
  equal(sys.mfc.size, 1);
  // The second finds the same count: the entry forwarded nothing in between.
  while (sampled() === 1) {
    advance(1_000);
    plane.tick(now());
  }
  deepStrictEqual(describeCalls(sys.calls.filter((c) => c.op !== "sendIgmp")), [
    "sgCount (10.0.0.2, 239.1.1.1)",
    "sgCount (10.0.0.2, 239.1.1.1)",
    "delMfc (10.0.0.2, 239.1.1.1)",
  ]);
  equal(sys.mfc.size, 0);
  ok(messages(lines, "debug").includes("Removed (10.0.0.2, 239.1.1.1)"));
});

Deno.test("Plane: a sample that cannot be read keeps the entry, with a debug line", () => {
  const { sys, plane, lines, advance, now } = forwarding();
  sys.mfc.clear(); // the kernel lost it: SIOCGETSGCNT fails with ENOENT
  for (let i = 0; i < 120; i++) {
    advance(1_000);
    plane.tick(now());
  }
  ok(sys.calls.filter((c) => c.op === "sgCount").length >= 2);
  equal(sys.calls.some((c) => c.op === "delMfc"), false);
  ok(
    messages(lines, "debug").includes(
      "Cannot read the counters of (10.0.0.2, 239.1.1.1): ENOENT",
    ),
  );
  deepStrictEqual(messages(lines, "warn"), []);
});
// Dump and stop

Deno.test("Plane.dump: the tables with the kernel's counters; one that cannot be read is '-'", () => {
  const { sys, plane, lines } = forwarding();
  sys.vifCounts.set(0, { packetsIn: 12, packetsOut: 0, bytesIn: 624, bytesOut: 0 });
  sys.failures.set("vifCount", "EADDRNOTAVAIL");
  const from = lines.length;
  plane.dump(5_000);
  const info = messages(lines.slice(from), "info");
  equal(info[0], "Virtual Interface Table");
  ok(info.includes("                       pkts in: -"));
  deepStrictEqual(info.slice(-3), [
    "Multicast Routing Cache Table (1 entry)",
    " Origin    Mcast-group  Age  Pkts  Bytes  IVif  Forwvifs",
    " 10.0.0.2  239.1.1.1     5s     0      0  0     1",
  ]);
  ok(messages(lines, "debug").includes("Cannot read the counters of VIF 0: EADDRNOTAVAIL"));
  deepStrictEqual(describeCalls(sys.calls), [
    "vifCount 0",
    "vifCount 1",
    "vifCount 2",
    "sgCount (10.0.0.2, 239.1.1.1)",
  ]);
});

Deno.test("Plane.stop: entries, memberships and VIFs removed, once; nothing after", () => {
  const { sys, plane, lines } = forwarding();
  plane.stop(0);
  equal(sys.mfc.size, 0);
  equal(sys.vifs.size, 0);
  equal(sys.memberships.size, 0);
  deepStrictEqual(messages(lines, "warn"), []);
  const calls = sys.calls.length;
  plane.stop(0);
  plane.dump(0);
  deepStrictEqual(plane.reconfigure(CONFIGURED, SYSTEM, 0), []);
  equal(sys.calls.length, calls);
});

// IPv6

Deno.test("Plane over IPv6: MIFs, MLD queries from the link-local address, prefixed log lines", () => {
  const sys = new FakeSys(SYSTEM);
  const lines: string[] = [];
  const log = createLogger({ sink: (_l, line) => lines.push(line), verbosity: 1 });
  const configured = [
    cfg<bigint>("up0", "upstream", { queryVersion: 2 }),
    cfg<bigint>("dn1", "downstream", { queryVersion: 2 }),
  ];
  const port: FamilyPort<bigint> = sys.ipv6;
  const plane = new Plane({ spec: IPV6, port, configured, log, now: () => 0 });
  plane.init();
  plane.start(scanInterfaces(IPV6, configured, SYSTEM).usable, 0);
  deepStrictEqual(sys.ipv6.calls.map((c) => c.op), [
    "mrtInit",
    "addMif",
    "addMif",
    "joinGroup",
    "joinGroup",
    "sendMld",
  ]);
  deepStrictEqual(sys.calls, [], "nothing on the IPv4 half");
  const send = sys.ipv6.calls.at(-1);
  ok(send?.op === "sendMld" && send.source === b6("fe80::2") && send.destination === b6("ff02::1"));
  sys.ipv6.deliver({
    kind: "packet",
    ifindex: 11,
    source: b6("fe80::11"),
    destination: b6("ff05::1"),
    hopLimit: 1,
    routerAlert: true,
    data: encodeMldV1Report(v6("ff05::1")),
    length: 24,
  });
  plane.drain();
  ok(sys.ipv6.memberships.has(`${b6("ff05::1")}/10`), "joined upstream");
  ok(
    messages(lines, "info").includes(
      'IPv6: Interface "dn1" is downstream as MIF 1, address fe80::2',
    ),
  );
  ok(messages(lines, "debug").includes('IPv6: Joined ff05::1 on "up0"'));
  sys.ipv6.failures.set("addMfc", "ENOBUFS");
  sys.ipv6.deliver({
    kind: "upcall",
    msgtype: 1,
    mif: 0,
    source: b6("2001:db8::2"),
    group: b6("ff05::1"),
  });
  plane.drain();
  deepStrictEqual(messages(lines, "warn"), [
    "IPv6: Cannot add MFC entry for (2001:db8::2, ff05::1): ENOBUFS",
  ]);
  plane.stop(0);
  equal(sys.ipv6.mifs.size, 0);
  equal(sys.ipv6.memberships.size, 0);
});
