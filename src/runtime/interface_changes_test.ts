import { deepStrictEqual, equal, notEqual } from "node:assert/strict";
import { IGMP_FAMILY } from "../core/igmp_family.ts";
import { DEFAULT_TIMERS } from "../core/timers.ts";
import { ip } from "../proto/testing.ts";
import {
  currentInterfaces,
  droppedInterfaces,
  interfaceKey,
  type InUse,
  lostInterfaces,
  waitingWarnings,
} from "./interface_changes.ts";
import { type ConfiguredInterface, IPV4, scanInterfaces } from "./interfaces.ts";
import type { SystemInterface } from "./sys.ts";

function sysIf(name: string, index: number, n: number): SystemInterface {
  return {
    name,
    index,
    up: true,
    running: true,
    multicast: true,
    loopback: false,
    ipv4: [{ address: ip(`10.${n}.0.1`), prefixLength: 24 }],
    ipv6: [],
  };
}

const CONFIGURED: ConfiguredInterface[] = [
  ["up0", "upstream"] as const,
  ["dn1", "downstream"] as const,
  ["dn2", "downstream"] as const,
].map(([name, role]) => ({
  name,
  role,
  sources: [],
  threshold: 1,
  timers: DEFAULT_TIMERS,
  boundaries: [],
  queryVersion: 3,
}));

const SYSTEM = [sysIf("up0", 10, 0), sysIf("dn1", 11, 1), sysIf("dn2", 12, 2)];

/** The interfaces of `system` in use as VIFs 0, 1, 2… */
function inUse(system: SystemInterface[]): InUse<number>[] {
  return scanInterfaces(IPV4, CONFIGURED, system).usable.map((i, vifi) => ({ ...i, vifi }));
}

const scan = (system: SystemInterface[]) => scanInterfaces(IPV4, CONFIGURED, system);

Deno.test("interfaceKey: the index and the addresses, not the settings", () => {
  const [up0] = scan(SYSTEM).usable;
  equal(interfaceKey(up0), `10 ${ip("10.0.0.1")}/24`);
  equal(interfaceKey({ ...up0, threshold: 5 }), interfaceKey(up0));
  notEqual(interfaceKey(scan([sysIf("up0", 20, 0)]).usable[0]), interfaceKey(up0));
});

Deno.test("currentInterfaces: the usable ones and those without carrier, by name", () => {
  const current = currentInterfaces(
    scan([SYSTEM[0], { ...SYSTEM[1], running: false }, { ...SYSTEM[2], up: false }]),
  );
  deepStrictEqual([...current.keys()], ["up0", "dn1"]);
  equal(current.get("dn1")?.ifindex, 11);
});

Deno.test("lostInterfaces: nothing when nothing changed, or only the carrier", () => {
  deepStrictEqual(lostInterfaces(IGMP_FAMILY, inUse(SYSTEM), scan(SYSTEM)), []);
  const noCarrier = [SYSTEM[0], { ...SYSTEM[1], running: false }, SYSTEM[2]];
  deepStrictEqual(lostInterfaces(IGMP_FAMILY, inUse(SYSTEM), scan(noCarrier)), []);
});

Deno.test("lostInterfaces: why each goes; only a vanished one is marked gone", () => {
  const system = [
    { ...SYSTEM[0], up: false },
    sysIf("dn1", 21, 1), // a new index: the old interface vanished
    sysIf("dn2", 12, 7), // a new address on the same interface
  ];
  deepStrictEqual(lostInterfaces(IGMP_FAMILY, inUse(SYSTEM), scan(system)), [
    { name: "up0", reason: "went down" },
    { name: "dn1", reason: "index changed: 11 to 21", gone: { ifindex: 11, vifi: 1 } },
    { name: "dn2", reason: "address changed: 10.2.0.1 to 10.7.0.1" },
  ]);
  deepStrictEqual(lostInterfaces(IGMP_FAMILY, inUse(SYSTEM), scan(SYSTEM.slice(0, 2))), [
    { name: "dn2", reason: "no longer exists", gone: { ifindex: 12, vifi: 2 } },
  ]);
});

Deno.test("droppedInterfaces: those no longer configured, and those with another role", () => {
  const next: ConfiguredInterface[] = [
    { ...CONFIGURED[1], role: "upstream" },
    { ...CONFIGURED[0], role: "downstream" },
  ];
  deepStrictEqual(droppedInterfaces(inUse(SYSTEM), next), [
    { name: "up0", reason: "it is downstream in the new configuration" },
    { name: "dn1", reason: "it is upstream in the new configuration" },
    { name: "dn2", reason: "it is no longer in the configuration" },
  ]);
  deepStrictEqual(droppedInterfaces(inUse(SYSTEM), CONFIGURED), []);
});

Deno.test("waitingWarnings: only the interfaces not configured before", () => {
  const { unusable } = scan([SYSTEM[0]]);
  deepStrictEqual(waitingWarnings(unusable, new Set(["up0", "dn1"])), [
    'Interface "dn2" does not exist: waiting for it',
  ]);
  deepStrictEqual(waitingWarnings(unusable, new Set(["dn1", "dn2"])), []);
});
