/**
 * The fake IPv4 port for unit tests: kernel state (VIFs, MFC, memberships) modelled so that tests
 * can check leftovers, every call recorded in the kernel's words (`mrtInit`, `sendIgmp`, ...),
 * queued messages served, and any call made to fail with an errno name.
 *
 * @module
 */

import type { SourceFilter } from "../../src/core/actions.ts";
import type {
  FamilyPort,
  JoinOutcome,
  MfcSpec,
  Received,
  SgCount,
  VifCount,
  VifSpec,
} from "../../src/runtime/sys.ts";

/** A call as recorded by {@link FakeIpv4Port} (and `FakeSys`, which shares the record). */
export type FakeCall =
  | { op: "mrtInit" }
  | { op: "close" }
  | { op: "addVif"; vif: VifSpec }
  | { op: "delVif"; vifi: number }
  | { op: "addMfc"; mfc: MfcSpec }
  | { op: "delMfc"; source: number; group: number }
  | { op: "sgCount"; source: number; group: number }
  | { op: "vifCount"; vifi: number }
  | { op: "joinGroup"; group: number; ifindex: number; filter?: SourceFilter<number> }
  | { op: "leaveGroup"; group: number; ifindex: number }
  | { op: "sendIgmp"; ifindex: number; source: number; destination: number; igmp: Uint8Array }
  | { op: "watchInterfaces" };

/** An error shaped like the real `SysError` (only `code` matters to the runtime). */
export class FakeSysError extends Error {
  /** errno name. */
  readonly code: string;
  /** Builds the error. */
  constructor(op: string, code: string) {
    super(`${op}: ${code}`);
    this.code = code;
  }
}

/**
 * A fake port's join: adds `key` to `memberships` and keeps its filter in `filters` (none for
 * any source), and says whether it was new, changed or the same.
 */
export function recordJoin<A>(
  port: { memberships: Set<string>; filters: Map<string, SourceFilter<A>> },
  key: string,
  filter: SourceFilter<A> | undefined,
): JoinOutcome {
  const any = filter === undefined || (filter.mode === "exclude" && filter.sources.length === 0);
  const before = port.filters.get(key);
  const joined = port.memberships.has(key);
  port.memberships.add(key);
  if (any) port.filters.delete(key);
  else port.filters.set(key, { mode: filter.mode, sources: [...filter.sources] });
  if (!joined) return { change: "joined" };
  const same = any ? before === undefined : before !== undefined && before.mode === filter.mode &&
    before.sources.length === filter.sources.length &&
    before.sources.every((s) => filter.sources.includes(s));
  return { change: same ? "unchanged" : "updated" };
}

/** What a VIF or MIF counts before any traffic. */
export const ZERO_COUNT: VifCount = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };

/** The fake IPv4 port. */
export class FakeIpv4Port implements FamilyPort<number> {
  /** Every call in order. */
  readonly calls: FakeCall[] = [];
  /** Messages `receive()` returns, first in first out. */
  readonly inbox: Received[] = [];
  /** Calls that must fail: op → errno name. */
  readonly failures = new Map<string, string>();
  /** VIFs in the "kernel". */
  readonly vifs = new Map<number, VifSpec>();
  /** MFC entries in the "kernel", by `source/group`. */
  readonly mfc = new Map<string, MfcSpec>();
  /** Memberships, as `group/ifindex`. */
  readonly memberships = new Set<string>();
  /** The source filter of each membership with one (none: any source), as `group/ifindex`. */
  readonly filters = new Map<string, SourceFilter<number>>();
  /** Packet counts by `source/group`, set by tests; entries not listed count 0. */
  readonly packets = new Map<string, number>();
  /** Counters by VIF number, set by tests; a VIF not listed counts 0 everywhere. */
  readonly vifCounts = new Map<number, VifCount>();
  /** Whether the table is held. */
  initialised = false;
  /** Called when a message is queued: the owner ends a pending wait. */
  protected delivered: () => void = () => {};

  /** Throws the failure configured for `op`, if any. */
  protected maybeFail(op: string): void {
    const code = this.failures.get(op);
    if (code !== undefined) throw new FakeSysError(op, code);
  }

  /** Takes the table (or fails as configured with `mrtInit`). */
  init(): void {
    this.calls.push({ op: "mrtInit" });
    this.maybeFail("mrtInit");
    this.initialised = true;
  }

  /** Releases everything, as closing the real socket does. */
  release(): void {
    this.initialised = false;
    this.vifs.clear();
    this.mfc.clear();
    this.memberships.clear();
    this.filters.clear();
  }

  /** Records a VIF. */
  addVif(vif: VifSpec): void {
    this.calls.push({ op: "addVif", vif });
    this.maybeFail("addVif");
    this.vifs.set(vif.vifi, vif);
  }

  /** Removes a VIF; EADDRNOTAVAIL if absent, like the kernel (or fails as configured). */
  delVif(vifi: number): void {
    this.calls.push({ op: "delVif", vifi });
    this.maybeFail("delVif");
    if (!this.vifs.delete(vifi)) throw new FakeSysError("delVif", "EADDRNOTAVAIL");
  }

  /** What the kernel does when an interface is unregistered: its VIF goes with it. */
  vanish(ifindex: number): void {
    for (const [vifi, vif] of this.vifs) if (vif.ifindex === ifindex) this.vifs.delete(vifi);
  }

  /** Records an MFC entry. */
  addMfc(mfc: MfcSpec): void {
    this.calls.push({ op: "addMfc", mfc });
    this.maybeFail("addMfc");
    this.mfc.set(`${mfc.source}/${mfc.group}`, mfc);
  }

  /** Removes an MFC entry; ENOENT if absent, like the kernel. */
  delMfc(source: number, group: number): void {
    this.calls.push({ op: "delMfc", source, group });
    if (!this.mfc.delete(`${source}/${group}`)) throw new FakeSysError("delMfc", "ENOENT");
  }

  /** The counters of an installed entry (packets from {@link packets}); ENOENT otherwise. */
  sgCount(source: number, group: number): SgCount {
    this.calls.push({ op: "sgCount", source, group });
    const key = `${source}/${group}`;
    if (!this.mfc.has(key)) throw new FakeSysError("sgCount", "ENOENT");
    return { packets: this.packets.get(key) ?? 0, bytes: 0, wrongIf: 0 };
  }

  /**
   * The counters of a VIF in use (from {@link vifCounts}); EADDRNOTAVAIL otherwise, like the
   * kernel (or fails as configured with `vifCount`).
   */
  vifCount(vifi: number): VifCount {
    this.calls.push({ op: "vifCount", vifi });
    this.maybeFail("vifCount");
    if (!this.vifs.has(vifi)) throw new FakeSysError("vifCount", "EADDRNOTAVAIL");
    return this.vifCounts.get(vifi) ?? ZERO_COUNT;
  }

  /**
   * Records a membership and its filter (or fails as configured with `joinGroup`); the call is
   * recorded with `filter` only when one is given.
   */
  joinGroup(group: number, ifindex: number, filter?: SourceFilter<number>): JoinOutcome {
    this.calls.push({ op: "joinGroup", group, ifindex, ...(filter && { filter }) });
    this.maybeFail("joinGroup");
    return recordJoin(this, `${group}/${ifindex}`, filter);
  }

  /** Drops a membership (or fails as configured with `leaveGroup`, dropping it all the same). */
  leaveGroup(group: number, ifindex: number): void {
    this.calls.push({ op: "leaveGroup", group, ifindex });
    this.memberships.delete(`${group}/${ifindex}`);
    this.filters.delete(`${group}/${ifindex}`);
    this.maybeFail("leaveGroup");
  }

  /** Records a sent message (as `sendIgmp`, its bytes as `igmp`). */
  send(opts: { ifindex: number; source: number; destination: number; message: Uint8Array }): void {
    const { ifindex, source, destination, message } = opts;
    this.calls.push({ op: "sendIgmp", ifindex, source, destination, igmp: message });
  }

  /** Next queued message. */
  receive(): Received | undefined {
    return this.inbox.shift();
  }

  /** Queues a message and wakes the loop. */
  deliver(msg: Received): void {
    this.inbox.push(msg);
    this.delivered();
  }
}
