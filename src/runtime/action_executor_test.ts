import { deepStrictEqual, equal } from "node:assert/strict";
import type { Action, LogLevel } from "../core/actions.ts";
import { IGMP_FAMILY } from "../core/igmp_family.ts";
import type { ProxyEvent } from "../core/proxy.ts";
import { ip } from "../proto/testing.ts";
import { FakeSys } from "../../tests/fakes/fake_sys.ts";
import {
  describeAction,
  executeAction,
  type ExecutorContext,
  isGoneFailure,
} from "./action_executor.ts";

const G = ip("239.1.1.1");
const S = ip("10.0.0.2");

/** An executor over the fake OS that keeps its log lines and the events it feeds back. */
function setup() {
  const sys = new FakeSys([]);
  const logged: string[] = [];
  const fedBack: ProxyEvent[] = [];
  const ctx: ExecutorContext<number> = {
    port: sys.ipv4,
    family: IGMP_FAMILY,
    log: (level: LogLevel, message: string) => logged.push(`${level}: ${message}`),
    feedBack: (event) => fedBack.push(event),
  };
  return { sys, ctx, logged, fedBack };
}

const ADD_VIF: Action = {
  kind: "addVif",
  vifi: 1,
  ifindex: 11,
  name: "dn1",
  threshold: 1,
  localAddress: ip("10.1.0.1"),
};
const JOIN: Action = { kind: "join", group: G, ifindex: 10, name: "up0" };
const LEAVE: Action = { kind: "leave", group: G, ifindex: 10, name: "up0" };
const DEL_VIF: Action = { kind: "delVif", vifi: 1, name: "dn1" };
const ADD_MFC: Action = {
  kind: "addMfc",
  source: S,
  group: G,
  parent: 0,
  oifs: [{ vifi: 1, ttl: 1 }, { vifi: 2, ttl: 1 }],
};
const SEND: Action = {
  kind: "sendQuery",
  ifindex: 11,
  name: "dn1",
  source: ip("10.1.0.1"),
  destination: ip("224.0.0.1"),
  message: new Uint8Array(8),
  what: "general query",
};

Deno.test("executeAction: a join with a source filter hands it to the port and names it", () => {
  const { sys, ctx, logged } = setup();
  const ssm = ip("232.1.1.1");
  const filter = { mode: "include" as const, sources: [S] };
  executeAction(ctx, { kind: "join", group: ssm, ifindex: 10, name: "up0", filter });
  executeAction(ctx, JOIN);
  const exclude = { mode: "exclude" as const, sources: [ip("10.0.0.9"), ip("10.0.0.10")] };
  executeAction(ctx, { ...JOIN, filter: exclude } as Action);
  executeAction(ctx, { ...JOIN, filter: { mode: "exclude", sources: [] } } as Action);
  executeAction(ctx, JOIN);
  deepStrictEqual(sys.calls, [
    { op: "joinGroup", group: ssm, ifindex: 10, filter },
    { op: "joinGroup", group: G, ifindex: 10 },
    { op: "joinGroup", group: G, ifindex: 10, filter: exclude },
    { op: "joinGroup", group: G, ifindex: 10, filter: { mode: "exclude", sources: [] } },
    { op: "joinGroup", group: G, ifindex: 10 },
  ]);
  deepStrictEqual(sys.ipv4.filters.get(`${ssm}/10`), filter);
  deepStrictEqual(logged, [
    'debug: Joined 232.1.1.1 on "up0": include 10.0.0.2',
    'debug: Joined 239.1.1.1 on "up0"',
    'debug: Source filter of 239.1.1.1 on "up0": exclude 10.0.0.9, 10.0.0.10',
    'debug: Source filter of 239.1.1.1 on "up0": any source',
    'debug: Joined 239.1.1.1 on "up0"',
  ]);
});

Deno.test("executeAction: an EXCLUDE filter the kernel caps is a warning naming the sysctl", () => {
  const { ctx, logged } = setup();
  ctx.port = {
    ...ctx.port,
    joinGroup: () => ({
      change: "joined",
      capped: { applied: 10, wanted: 12, sysctl: "net.ipv4.igmp_max_msf" },
    }),
  };
  const sources = Array.from({ length: 12 }, (_, i) => S + i);
  executeAction(ctx, { ...JOIN, filter: { mode: "exclude", sources } } as Action);
  equal(logged.length, 2);
  equal(
    logged[1],
    'warn: Source filter of 239.1.1.1 on "up0" excludes only 10 of 12 sources, the most the ' +
      "kernel takes: raise net.ipv4.igmp_max_msf",
  );
});

Deno.test("executeAction: each action is its kernel call, then a debug line", () => {
  const { sys, ctx, logged } = setup();
  for (const a of [ADD_VIF, JOIN, ADD_MFC, SEND, { kind: "delMfc", source: S, group: G }, LEAVE]) {
    executeAction(ctx, a as Action);
  }
  executeAction(ctx, DEL_VIF);
  deepStrictEqual(sys.calls.map((c) => c.op), [
    "addVif",
    "joinGroup",
    "addMfc",
    "sendIgmp",
    "delMfc",
    "leaveGroup",
    "delVif",
  ]);
  deepStrictEqual(logged, [
    'debug: Joined 239.1.1.1 on "up0"',
    "debug: Forwarding (10.0.0.2, 239.1.1.1) from VIF 0 to VIF 1, VIF 2",
    'debug: Sent general query on "dn1"',
    "debug: Removed (10.0.0.2, 239.1.1.1)",
    'debug: Left 239.1.1.1 on "up0"',
  ]);
  const sent = sys.calls[3];
  equal(sent.op === "sendIgmp" && sent.destination, ip("224.0.0.1"));
});

Deno.test("executeAction: a failed call is a warning naming the action and the errno", () => {
  const { sys, ctx, logged } = setup();
  sys.failures.set("joinGroup", "ENOBUFS");
  executeAction(ctx, JOIN);
  executeAction(ctx, DEL_VIF); // the fake has no VIF 1: EADDRNOTAVAIL
  deepStrictEqual(logged, [
    'warn: Cannot join 239.1.1.1 on "up0": ENOBUFS',
    'warn: Cannot delete VIF 1 for "dn1": EADDRNOTAVAIL',
  ]);
});

Deno.test("executeAction: an MFC entry to delete that is not there is a debug line", () => {
  const { ctx, logged } = setup();
  executeAction(ctx, { kind: "delMfc", source: S, group: G }); // the fake has none: ENOENT
  deepStrictEqual(logged, [
    "debug: Cannot delete MFC entry for (10.0.0.2, 239.1.1.1): ENOENT (gone already)",
  ]);
});

Deno.test("executeAction: failures on an interface known to be gone are debug lines", () => {
  const { sys, ctx, logged } = setup();
  sys.failures.set("joinGroup", "ENODEV");
  const gone = { ifindex: 10, vifi: 1 };
  executeAction(ctx, JOIN, gone);
  executeAction(ctx, DEL_VIF, gone);
  executeAction(ctx, { ...JOIN, ifindex: 12, name: "dn2" }, gone);
  deepStrictEqual(logged, [
    'debug: Cannot join 239.1.1.1 on "up0": ENODEV (the interface is gone)',
    'debug: Cannot delete VIF 1 for "dn1": EADDRNOTAVAIL (the interface is gone)',
    'warn: Cannot join 239.1.1.1 on "dn2": ENODEV',
  ]);
});

Deno.test("executeAction: the core's log lines at their level; quietly, info becomes debug", () => {
  const { ctx, logged } = setup();
  const info: Action = { kind: "log", level: "info", message: 'Interface "dn1" is gone' };
  const warn: Action = { kind: "log", level: "warn", message: "Too many groups" };
  executeAction(ctx, info);
  executeAction(ctx, info, { ifindex: 11, vifi: 1, quietLog: true });
  executeAction(ctx, warn, { ifindex: 11, vifi: 1, quietLog: true });
  deepStrictEqual(logged, [
    'info: Interface "dn1" is gone',
    'debug: Interface "dn1" is gone',
    "warn: Too many groups",
  ]);
});

Deno.test("executeAction: sampleMfc reads each entry's packets and feeds them back at once", () => {
  const { sys, ctx, logged, fedBack } = setup();
  const other = ip("10.0.0.3");
  sys.addMfc({ source: S, group: G, parent: 0, oifs: [] });
  sys.packets.set(`${S}/${G}`, 42);
  executeAction(ctx, {
    kind: "sampleMfc",
    entries: [{ source: S, group: G }, { source: other, group: G }],
  });
  deepStrictEqual(fedBack, [{
    kind: "mfc-counters",
    counts: [{ source: S, group: G, packets: 42 }, { source: other, group: G }],
  }]);
  deepStrictEqual(logged, ["debug: Cannot read the counters of (10.0.0.3, 239.1.1.1): ENOENT"]);
});

Deno.test("isGoneFailure: joins, leaves and sends by index, VIF deletions by number", () => {
  const gone = { ifindex: 10, vifi: 1 };
  equal(isGoneFailure(JOIN, gone), true);
  equal(isGoneFailure(LEAVE, gone), true);
  equal(isGoneFailure({ ...SEND, ifindex: 10 }, gone), true);
  equal(isGoneFailure(SEND, gone), false);
  equal(isGoneFailure(DEL_VIF, gone), true);
  equal(isGoneFailure({ ...DEL_VIF, vifi: 2 }, gone), false);
  equal(isGoneFailure(ADD_MFC, gone), false, "an entry is not the interface's");
  equal(isGoneFailure(JOIN, undefined), false);
});

Deno.test("describeAction: what could not be done, for every kind", () => {
  deepStrictEqual(
    [
      ADD_VIF,
      DEL_VIF,
      ADD_MFC,
      { kind: "delMfc", source: S, group: G },
      JOIN,
      LEAVE,
      SEND,
      { kind: "sampleMfc", entries: [] },
      { kind: "log", level: "info", message: "" },
    ].map((a) => describeAction(IGMP_FAMILY, a as Action)),
    [
      'Cannot add VIF 1 for "dn1"',
      'Cannot delete VIF 1 for "dn1"',
      "Cannot add MFC entry for (10.0.0.2, 239.1.1.1)",
      "Cannot delete MFC entry for (10.0.0.2, 239.1.1.1)",
      'Cannot join 239.1.1.1 on "up0"',
      'Cannot leave 239.1.1.1 on "up0"',
      'Cannot send general query on "dn1"',
      "Cannot read forwarding counters",
      "Cannot log",
    ],
  );
});
