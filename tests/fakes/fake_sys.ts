/**
 * A fake OS port for unit tests: records every call, serves queued messages, and can be told to
 * fail a call with an errno name.
 *
 * @module
 */

import type {
  MfcSpec,
  Received,
  Received6,
  SgCount,
  Sys,
  Sys6,
  SystemInterface,
  VifCount,
  VifSpec,
} from "../../src/runtime/sys.ts";

/** A call as recorded by {@link FakeSys}. */
export type FakeCall =
  | { op: "mrtInit" }
  | { op: "close" }
  | { op: "addVif"; vif: VifSpec }
  | { op: "delVif"; vifi: number }
  | { op: "addMfc"; mfc: MfcSpec }
  | { op: "delMfc"; source: number; group: number }
  | { op: "sgCount"; source: number; group: number }
  | { op: "vifCount"; vifi: number }
  | { op: "joinGroup"; group: number; ifindex: number }
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

/** A call of the IPv6 half as recorded by {@link FakeSys6}. */
export type FakeCall6 =
  | { op: "mrtInit" }
  | { op: "addMif"; mif: VifSpec<bigint> }
  | { op: "delMif"; mifi: number }
  | { op: "addMfc"; mfc: MfcSpec<bigint> }
  | { op: "delMfc"; source: bigint; group: bigint }
  | { op: "sgCount"; source: bigint; group: bigint }
  | { op: "mifCount"; mifi: number }
  | { op: "joinGroup"; group: bigint; ifindex: number }
  | { op: "leaveGroup"; group: bigint; ifindex: number }
  | { op: "sendMld"; ifindex: number; source: bigint; destination: bigint; message: Uint8Array };

/** What a VIF or MIF counts before any traffic. */
const ZERO_COUNT: VifCount = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };

/** The fake's IPv6 half: MIFs, cache and memberships modelled as for IPv4. */
export class FakeSys6 implements Sys6 {
  /** Every call in order. */
  readonly calls: FakeCall6[] = [];
  /** Messages `receive()` returns, first in first out. */
  readonly inbox: Received6[] = [];
  /** Calls that must fail: op → errno name. */
  readonly failures = new Map<string, string>();
  /** MIFs in the "kernel". */
  readonly mifs = new Map<number, VifSpec<bigint>>();
  /** MFC entries in the "kernel", by `source/group`. */
  readonly mfc = new Map<string, MfcSpec<bigint>>();
  /** Memberships, as `group/ifindex`. */
  readonly memberships = new Set<string>();
  /** Packet counts by `source/group`, set by tests; entries not listed count 0. */
  readonly packets = new Map<string, number>();
  /** Counters by MIF number, set by tests; a MIF not listed counts 0 everywhere. */
  readonly mifCounts = new Map<number, VifCount>();
  /** Whether the table is held. */
  initialised = false;

  /** Builds the half; `wake` is the owner's way to end a pending wait. */
  constructor(readonly wake: () => void) {}

  #maybeFail(op: string): void {
    const code = this.failures.get(op);
    if (code !== undefined) throw new FakeSysError(op, code);
  }

  /** Takes the table (or fails as configured). */
  mrtInit(): void {
    this.calls.push({ op: "mrtInit" });
    this.#maybeFail("mrtInit");
    this.initialised = true;
  }

  /** Releases everything, as closing the real socket does. */
  close(): void {
    this.initialised = false;
    this.mifs.clear();
    this.mfc.clear();
    this.memberships.clear();
  }

  /** Records a MIF. */
  addMif(mif: VifSpec<bigint>): void {
    this.calls.push({ op: "addMif", mif });
    this.#maybeFail("addMif");
    this.mifs.set(mif.vifi, mif);
  }

  /** Removes a MIF; EADDRNOTAVAIL if absent, like the kernel. */
  delMif(mifi: number): void {
    this.calls.push({ op: "delMif", mifi });
    if (!this.mifs.delete(mifi)) throw new FakeSysError("delMif", "EADDRNOTAVAIL");
  }

  /** Records an MFC entry. */
  addMfc(mfc: MfcSpec<bigint>): void {
    this.calls.push({ op: "addMfc", mfc });
    this.#maybeFail("addMfc");
    this.mfc.set(`${mfc.source}/${mfc.group}`, mfc);
  }

  /** Removes an MFC entry; ENOENT if absent. */
  delMfc(source: bigint, group: bigint): void {
    this.calls.push({ op: "delMfc", source, group });
    if (!this.mfc.delete(`${source}/${group}`)) throw new FakeSysError("delMfc", "ENOENT");
  }

  /** The counters of an installed entry; ENOENT otherwise. */
  sgCount(source: bigint, group: bigint): SgCount {
    this.calls.push({ op: "sgCount", source, group });
    const key = `${source}/${group}`;
    if (!this.mfc.has(key)) throw new FakeSysError("sgCount", "ENOENT");
    return { packets: this.packets.get(key) ?? 0, bytes: 0, wrongIf: 0 };
  }

  /**
   * The counters of a MIF in use (from {@link mifCounts}); EADDRNOTAVAIL otherwise, like the
   * kernel (or fails as configured with `mifCount`).
   */
  mifCount(mifi: number): VifCount {
    this.calls.push({ op: "mifCount", mifi });
    this.#maybeFail("mifCount");
    if (!this.mifs.has(mifi)) throw new FakeSysError("mifCount", "EADDRNOTAVAIL");
    return this.mifCounts.get(mifi) ?? ZERO_COUNT;
  }

  /** Records a membership. */
  joinGroup(group: bigint, ifindex: number): void {
    this.calls.push({ op: "joinGroup", group, ifindex });
    this.#maybeFail("joinGroup");
    this.memberships.add(`${group}/${ifindex}`);
  }

  /** Drops a membership. */
  leaveGroup(group: bigint, ifindex: number): void {
    this.calls.push({ op: "leaveGroup", group, ifindex });
    this.memberships.delete(`${group}/${ifindex}`);
  }

  /** Records a sent message. */
  sendMld(
    opts: { ifindex: number; source: bigint; destination: bigint; message: Uint8Array },
  ): void {
    this.calls.push({ op: "sendMld", ...opts });
  }

  /** Next queued message. */
  receive(): Received6 | undefined {
    return this.inbox.shift();
  }

  /** Queues a message and wakes the loop. */
  deliver(msg: Received6): void {
    this.inbox.push(msg);
    this.wake();
  }
}

/** The fake. Kernel state (VIFs, MFC, memberships) is modelled so tests can check leftovers. */
export class FakeSys implements Sys {
  /** The IPv6 half. */
  readonly ipv6: FakeSys6 = new FakeSys6(() => this.#wakeup?.());
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
  /** Whether the table is held. */
  initialised = false;
  /** Number of `wake()` calls. */
  wakes = 0;
  /** Whether `watchInterfaces()` was called (and `close()` not since). */
  watching = false;
  /** Number of `interfaces()` calls. */
  interfaceScans = 0;
  #changed = false;
  #wakeup: (() => void) | undefined;

  /** Builds the fake with an interface list; {@link setInterfaces} changes it. */
  constructor(public systemInterfaces: SystemInterface[]) {}

  #maybeFail(op: string): void {
    const code = this.failures.get(op);
    if (code !== undefined) throw new FakeSysError(op, code);
  }

  /** The current interface list (or fails as configured with `interfaces`). */
  interfaces(): SystemInterface[] {
    this.interfaceScans++;
    this.#maybeFail("interfaces");
    return this.systemInterfaces;
  }

  /**
   * Replaces the interface list, as the system would when links or addresses change. Unless
   * `notify` is false, a watching daemon is told (`interfacesChanged()`) and woken; with
   * `notify: false` only a periodic look finds the change.
   */
  setInterfaces(list: SystemInterface[], opts: { notify?: boolean } = {}): void {
    this.systemInterfaces = list;
    if (opts.notify === false || !this.watching) return;
    this.#changed = true;
    this.#wakeup?.();
  }

  /** Starts the watch (or fails as configured with `watchInterfaces`). */
  watchInterfaces(): void {
    this.calls.push({ op: "watchInterfaces" });
    this.#maybeFail("watchInterfaces");
    this.watching = true;
  }

  /** Whether {@link setInterfaces} notified since the last call (or fails as configured). */
  interfacesChanged(): boolean {
    const code = this.failures.get("interfacesChanged");
    if (code !== undefined) {
      this.watching = false;
      throw new FakeSysError("interfacesChanged", code);
    }
    const changed = this.#changed;
    this.#changed = false;
    return changed;
  }

  /** Takes the table (or fails as configured). */
  mrtInit(): void {
    this.calls.push({ op: "mrtInit" });
    this.#maybeFail("mrtInit");
    this.initialised = true;
  }

  /** Releases everything, as closing the real socket does. */
  close(): void {
    this.calls.push({ op: "close" });
    this.ipv6.close();
    this.initialised = false;
    this.watching = false;
    this.vifs.clear();
    this.mfc.clear();
    this.memberships.clear();
  }

  /** Records a VIF. */
  addVif(vif: VifSpec): void {
    this.calls.push({ op: "addVif", vif });
    this.#maybeFail("addVif");
    this.vifs.set(vif.vifi, vif);
  }

  /** Removes a VIF; EADDRNOTAVAIL if absent, like the kernel (or fails as configured). */
  delVif(vifi: number): void {
    this.calls.push({ op: "delVif", vifi });
    this.#maybeFail("delVif");
    if (!this.vifs.delete(vifi)) throw new FakeSysError("delVif", "EADDRNOTAVAIL");
  }

  /** What the kernel does when an interface is unregistered: its VIF goes with it. */
  vanish(ifindex: number): void {
    for (const [vifi, vif] of this.vifs) if (vif.ifindex === ifindex) this.vifs.delete(vifi);
  }

  /** Records an MFC entry. */
  addMfc(mfc: MfcSpec): void {
    this.calls.push({ op: "addMfc", mfc });
    this.#maybeFail("addMfc");
    this.mfc.set(`${mfc.source}/${mfc.group}`, mfc);
  }

  /** Removes an MFC entry; ENOENT if absent, like the kernel. */
  delMfc(source: number, group: number): void {
    this.calls.push({ op: "delMfc", source, group });
    if (!this.mfc.delete(`${source}/${group}`)) throw new FakeSysError("delMfc", "ENOENT");
  }

  /** Packet counts by `source/group`, set by tests; entries not listed count 0. */
  readonly packets = new Map<string, number>();

  /** The counters of an installed entry (packets from {@link packets}); ENOENT otherwise. */
  sgCount(source: number, group: number): SgCount {
    this.calls.push({ op: "sgCount", source, group });
    const key = `${source}/${group}`;
    if (!this.mfc.has(key)) throw new FakeSysError("sgCount", "ENOENT");
    return { packets: this.packets.get(key) ?? 0, bytes: 0, wrongIf: 0 };
  }

  /** Counters by VIF number, set by tests; a VIF not listed counts 0 everywhere. */
  readonly vifCounts = new Map<number, VifCount>();

  /**
   * The counters of a VIF in use (from {@link vifCounts}); EADDRNOTAVAIL otherwise, like the
   * kernel (or fails as configured with `vifCount`).
   */
  vifCount(vifi: number): VifCount {
    this.calls.push({ op: "vifCount", vifi });
    this.#maybeFail("vifCount");
    if (!this.vifs.has(vifi)) throw new FakeSysError("vifCount", "EADDRNOTAVAIL");
    return this.vifCounts.get(vifi) ?? ZERO_COUNT;
  }

  /** Records a membership (or fails as configured with `joinGroup`). */
  joinGroup(group: number, ifindex: number): void {
    this.calls.push({ op: "joinGroup", group, ifindex });
    this.#maybeFail("joinGroup");
    this.memberships.add(`${group}/${ifindex}`);
  }

  /** Drops a membership (or fails as configured with `leaveGroup`, dropping it all the same). */
  leaveGroup(group: number, ifindex: number): void {
    this.calls.push({ op: "leaveGroup", group, ifindex });
    this.memberships.delete(`${group}/${ifindex}`);
    this.#maybeFail("leaveGroup");
  }

  /** Records a sent message. */
  sendIgmp(
    opts: { ifindex: number; source: number; destination: number; igmp: Uint8Array },
  ): void {
    this.calls.push({ op: "sendIgmp", ...opts });
  }

  /** Next queued message. */
  receive(): Received | undefined {
    return this.inbox.shift();
  }

  /**
   * Resolves on `wake()`, when a message is queued or interfaces changed, or after `timeoutMs`
   * (real time, at most 50 ms).
   */
  wait(timeoutMs: number): Promise<void> {
    if (this.inbox.length > 0 || this.ipv6.inbox.length > 0 || this.#changed) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeup = undefined;
        resolve();
      }, Math.min(timeoutMs, 50));
      this.#wakeup = () => {
        clearTimeout(timer);
        this.#wakeup = undefined;
        resolve();
      };
    });
  }

  /** Wakes a pending wait. */
  wake(): void {
    this.wakes++;
    this.#wakeup?.();
  }

  /** Queues a message and wakes the loop. */
  deliver(msg: Received): void {
    this.inbox.push(msg);
    this.#wakeup?.();
  }
}
