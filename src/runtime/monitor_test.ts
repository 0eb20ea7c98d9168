// The events of `mcast-proxyctl monitor`: each kind the monitor emits, from a core's notice or an
// executed action, as its text line and as its JSON object (schema version 1); and the watchers,
// each served in its own format and stamped by the monitor's clock.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Action } from "../core/actions.ts";
import { MLD_FAMILY } from "../core/mld_family.ts";
import { createProxy, type Notice, type ProxyState, step } from "../core/proxy.ts";
import { DN1, DN2, G, S, UP } from "../core/proxy_testing.ts";
import { a6, DN1_6, DN2_6, UP6 } from "../core/status_testing.ts";
import { ip } from "../proto/testing.ts";
import {
  actionEvent,
  describeEvent,
  type EventFields,
  eventJson,
  Monitor,
  type MonitorEvent,
  noticeEvent,
} from "./monitor.ts";

const TIME = "2026-12-05T21:04:05.123Z";
const S2 = ip("10.0.0.3");

/** A started IPv4 core on `up0` (VIF 0), `dn1` (VIF 1) and `dn2` (VIF 2). */
function ipv4(): ProxyState {
  const state = createProxy({ interfaces: [UP, DN1, DN2] });
  step(state, { kind: "start" }, 0);
  return state;
}

/** A started IPv6 core on `up0` (MIF 0), `dn1` (MIF 1) and `dn2` (MIF 2). */
function ipv6(): ProxyState<bigint> {
  const state = createProxy({ interfaces: [UP6, DN1_6, DN2_6], family: MLD_FAMILY });
  step(state, { kind: "start" }, 0);
  return state;
}

/** An event's fields stamped with {@link TIME}. */
function stamped(fields: EventFields): MonitorEvent {
  return { time: TIME, ...fields };
}

/**
 * Checks an event both ways: its fields, its text line, and its JSON object (version first,
 * then the time and the fields, nothing else).
 */
function check(got: EventFields | undefined, want: EventFields, text: string): void {
  ok(got !== undefined, `no event where ${want.event} was expected`);
  deepStrictEqual(got, want);
  const e = stamped(got);
  equal(describeEvent(e), text);
  const json = eventJson(e);
  ok(!json.includes("\n"), "one line");
  const parsed = JSON.parse(json);
  deepStrictEqual(parsed, { version: 1, time: TIME, ...want });
  equal(Object.keys(parsed)[0], "version");
}

Deno.test("noticeEvent: a member joins and leaves a LAN", () => {
  const state = ipv4();
  const join: Notice = { kind: "member-join", vifi: 1, group: G };
  check(
    noticeEvent(state, join),
    { event: "member-join", family: "ipv4", interface: "dn1", group: "239.1.1.1" },
    `${TIME} member-join 239.1.1.1 on "dn1"`,
  );
  check(
    noticeEvent(state, { ...join, kind: "member-leave", vifi: 2 }),
    { event: "member-leave", family: "ipv4", interface: "dn2", group: "239.1.1.1" },
    `${TIME} member-leave 239.1.1.1 on "dn2"`,
  );
});

Deno.test("noticeEvent: the querier of a LAN changes, to another router or to us", () => {
  const state = ipv4();
  check(
    noticeEvent(state, { kind: "querier", vifi: 1, querier: ip("10.1.0.11"), self: false }),
    { event: "querier", family: "ipv4", interface: "dn1", querier: "10.1.0.11", self: false },
    `${TIME} querier 10.1.0.11 on "dn1"`,
  );
  check(
    noticeEvent(state, { kind: "querier", vifi: 2, querier: DN2.address, self: true }),
    { event: "querier", family: "ipv4", interface: "dn2", querier: "10.2.0.1", self: true },
    `${TIME} querier 10.2.0.1 on "dn2" (us)`,
  );
});

Deno.test("noticeEvent: a new source, on the interface its data came in on", () => {
  check(
    noticeEvent(ipv4(), { kind: "new-source", vifi: 0, source: S, group: G }),
    {
      event: "new-source",
      family: "ipv4",
      interface: "up0",
      source: "10.0.0.2",
      group: "239.1.1.1",
    },
    `${TIME} new-source (10.0.0.2, 239.1.1.1) on "up0"`,
  );
});

Deno.test("actionEvent: an interface comes up and goes down", () => {
  const state = ipv4();
  const up: Action = {
    kind: "addVif",
    vifi: 3,
    ifindex: 13,
    name: "dn3",
    threshold: 1,
    localAddress: ip("10.3.0.1"),
  };
  check(
    actionEvent(state, up),
    { event: "interface-up", family: "ipv4", interface: "dn3" },
    `${TIME} interface-up "dn3"`,
  );
  check(
    actionEvent(state, { kind: "delVif", vifi: 2, name: "dn2" }),
    { event: "interface-down", family: "ipv4", interface: "dn2" },
    `${TIME} interface-down "dn2"`,
  );
});

Deno.test("actionEvent: an entry is added (outputs by name, none, or a VIF gone) and removed", () => {
  const state = ipv4();
  const added: Action = {
    kind: "addMfc",
    source: S,
    group: G,
    parent: 0,
    oifs: [{ vifi: 1, ttl: 1 }, { vifi: 2, ttl: 1 }],
  };
  check(
    actionEvent(state, added),
    {
      event: "entry-added",
      family: "ipv4",
      source: "10.0.0.2",
      group: "239.1.1.1",
      input: "up0",
      outputs: ["dn1", "dn2"],
    },
    `${TIME} entry-added (10.0.0.2, 239.1.1.1) from "up0" to "dn1", "dn2"`,
  );
  check(
    actionEvent(state, { ...added, oifs: [] }),
    {
      event: "entry-added",
      family: "ipv4",
      source: "10.0.0.2",
      group: "239.1.1.1",
      input: "up0",
      outputs: [],
    },
    `${TIME} entry-added (10.0.0.2, 239.1.1.1) from "up0" to no interface`,
  );
  // A VIF the core no longer knows is named by its number.
  equal(actionEvent(state, { ...added, oifs: [{ vifi: 7, ttl: 1 }] })?.outputs?.[0], "vif7");
  check(
    actionEvent(state, { kind: "delMfc", source: S, group: G }),
    { event: "entry-removed", family: "ipv4", source: "10.0.0.2", group: "239.1.1.1" },
    `${TIME} entry-removed (10.0.0.2, 239.1.1.1)`,
  );
});

Deno.test("actionEvent: a group is joined upstream (any source, include, exclude) and left", () => {
  const state = ipv4();
  const join = { kind: "join", group: G, ifindex: 10, name: "up0" } as const;
  const joined = (filter: { mode: "include" | "exclude"; sources: string[] }): EventFields => ({
    event: "upstream-join",
    family: "ipv4",
    interface: "up0",
    group: "239.1.1.1",
    filter,
  });
  check(
    actionEvent(state, join),
    joined({ mode: "exclude", sources: [] }),
    `${TIME} upstream-join 239.1.1.1 on "up0": any source`,
  );
  check(
    actionEvent(state, { ...join, filter: { mode: "exclude", sources: [] } }),
    joined({ mode: "exclude", sources: [] }),
    `${TIME} upstream-join 239.1.1.1 on "up0": any source`,
  );
  check(
    actionEvent(state, { ...join, filter: { mode: "include", sources: [S, S2] } }),
    joined({ mode: "include", sources: ["10.0.0.2", "10.0.0.3"] }),
    `${TIME} upstream-join 239.1.1.1 on "up0": include 10.0.0.2, 10.0.0.3`,
  );
  check(
    actionEvent(state, { ...join, filter: { mode: "exclude", sources: [S2] } }),
    joined({ mode: "exclude", sources: ["10.0.0.3"] }),
    `${TIME} upstream-join 239.1.1.1 on "up0": exclude 10.0.0.3`,
  );
  check(
    actionEvent(state, { kind: "leave", group: G, ifindex: 10, name: "up0" }),
    { event: "upstream-leave", family: "ipv4", interface: "up0", group: "239.1.1.1" },
    `${TIME} upstream-leave 239.1.1.1 on "up0"`,
  );
});

Deno.test("actionEvent: the other actions are no event", () => {
  const state = ipv4();
  const quiet: Action[] = [
    {
      kind: "sendQuery",
      ifindex: 11,
      name: "dn1",
      source: DN1.address,
      destination: ip("224.0.0.1"),
      message: new Uint8Array(8),
      what: "general query",
    },
    { kind: "sampleMfc", entries: [{ source: S, group: G }] },
    { kind: "log", level: "info", message: 'Interface "dn1" is querier' },
  ];
  for (const a of quiet) equal(actionEvent(state, a), undefined, a.kind);
});

Deno.test("IPv6 events name their family, in JSON and with (IPv6) in text; MIFs gone as mifN", () => {
  const state = ipv6();
  const group = a6("ff05::1");
  const source = a6("2001:db8::2");
  check(
    noticeEvent(state, { kind: "member-join", vifi: 1, group }),
    { event: "member-join", family: "ipv6", interface: "dn1", group: "ff05::1" },
    `${TIME} member-join ff05::1 on "dn1" (IPv6)`,
  );
  check(
    noticeEvent(state, { kind: "querier", vifi: 2, querier: a6("fe80::50"), self: false }),
    { event: "querier", family: "ipv6", interface: "dn2", querier: "fe80::50", self: false },
    `${TIME} querier fe80::50 on "dn2" (IPv6)`,
  );
  check(
    actionEvent(state, {
      kind: "addMfc",
      source,
      group,
      parent: 0,
      oifs: [{ vifi: 1, ttl: 1 }, { vifi: 9, ttl: 1 }],
    }),
    {
      event: "entry-added",
      family: "ipv6",
      source: "2001:db8::2",
      group: "ff05::1",
      input: "up0",
      outputs: ["dn1", "mif9"],
    },
    `${TIME} entry-added (2001:db8::2, ff05::1) from "up0" to "dn1", "mif9" (IPv6)`,
  );
  check(
    actionEvent(state, { kind: "delVif", vifi: 2, name: "dn2" }),
    { event: "interface-down", family: "ipv6", interface: "dn2" },
    `${TIME} interface-down "dn2" (IPv6)`,
  );
});

Deno.test("Monitor: each watcher gets its format, stamped by the clock; none once it stops", () => {
  const monitor = new Monitor(() => new Date(TIME));
  const state = ipv4();
  equal(monitor.watched, false);
  const text: string[] = [];
  const json: string[] = [];
  const stopText = monitor.watch("text", (l) => text.push(l));
  const stopJson = monitor.watch("json", (l) => json.push(l));
  equal(monitor.watched, true);
  monitor.notice(state, { kind: "member-join", vifi: 1, group: G });
  monitor.action(state, { kind: "join", group: G, ifindex: 10, name: "up0" });
  monitor.action(state, {
    kind: "sendQuery",
    ifindex: 11,
    name: "dn1",
    source: DN1.address,
    destination: ip("224.0.0.1"),
    message: new Uint8Array(8),
    what: "general query",
  });
  deepStrictEqual(text, [
    `${TIME} member-join 239.1.1.1 on "dn1"`,
    `${TIME} upstream-join 239.1.1.1 on "up0": any source`,
  ]);
  deepStrictEqual(json.map((l) => JSON.parse(l)), [
    {
      version: 1,
      time: TIME,
      event: "member-join",
      family: "ipv4",
      interface: "dn1",
      group: "239.1.1.1",
    },
    {
      version: 1,
      time: TIME,
      event: "upstream-join",
      family: "ipv4",
      interface: "up0",
      group: "239.1.1.1",
      filter: { mode: "exclude", sources: [] },
    },
  ]);
  stopText();
  monitor.notice(state, { kind: "member-leave", vifi: 1, group: G });
  equal(text.length, 2, "the stopped watcher got nothing more");
  equal(json.length, 3);
  stopJson();
  equal(monitor.watched, false);
});
