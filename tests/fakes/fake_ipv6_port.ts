/**
 * The fake IPv6 port for unit tests: MIFs, cache and memberships modelled as for IPv4 (see
 * `fake_ipv4_port.ts`), calls recorded in the kernel's words (`addMif`, `mifCount`, `sendMld`).
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
import { FakeSysError, recordJoin, ZERO_COUNT } from "./fake_ipv4_port.ts";

/** A call as recorded by {@link FakeIpv6Port}. */
export type FakeCall6 =
  | { op: "mrtInit" }
  | { op: "addMif"; mif: VifSpec<bigint> }
  | { op: "delMif"; mifi: number }
  | { op: "addMfc"; mfc: MfcSpec<bigint> }
  | { op: "delMfc"; source: bigint; group: bigint }
  | { op: "sgCount"; source: bigint; group: bigint }
  | { op: "mifCount"; mifi: number }
  | { op: "joinGroup"; group: bigint; ifindex: number; filter?: SourceFilter<bigint> }
  | { op: "leaveGroup"; group: bigint; ifindex: number }
  | { op: "sendMld"; ifindex: number; source: bigint; destination: bigint; message: Uint8Array };

/**
 * What a test hands the fake: a packet as the port returns it, or an upcall in the words of
 * `struct mrt6msg` (the MIF it arrived on is `mif`).
 */
export type Received6 =
  | Extract<Received<bigint>, { kind: "packet" }>
  | { kind: "upcall"; msgtype: number; mif: number; source: bigint; group: bigint };

/** The fake IPv6 port. */
export class FakeIpv6Port implements FamilyPort<bigint> {
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
  /** The source filter of each membership with one (none: any source), as `group/ifindex`. */
  readonly filters = new Map<string, SourceFilter<bigint>>();
  /** Packet counts by `source/group`, set by tests; entries not listed count 0. */
  readonly packets = new Map<string, number>();
  /** Counters by MIF number, set by tests; a MIF not listed counts 0 everywhere. */
  readonly mifCounts = new Map<number, VifCount>();
  /** Whether the table is held. */
  initialised = false;

  /** Builds the port; `wake` is the owner's way to end a pending wait. */
  constructor(readonly wake: () => void) {}

  #maybeFail(op: string): void {
    const code = this.failures.get(op);
    if (code !== undefined) throw new FakeSysError(op, code);
  }

  /** Takes the table (or fails as configured with `mrtInit`). */
  init(): void {
    this.calls.push({ op: "mrtInit" });
    this.#maybeFail("mrtInit");
    this.initialised = true;
  }

  /** Releases everything, as closing the real socket does. */
  release(): void {
    this.initialised = false;
    this.mifs.clear();
    this.mfc.clear();
    this.memberships.clear();
    this.filters.clear();
  }

  /** Records a MIF (as `addMif`). */
  addVif(mif: VifSpec<bigint>): void {
    this.calls.push({ op: "addMif", mif });
    this.#maybeFail("addMif");
    this.mifs.set(mif.vifi, mif);
  }

  /** Removes a MIF (as `delMif`); EADDRNOTAVAIL if absent, like the kernel. */
  delVif(mifi: number): void {
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
   * The counters of a MIF in use (from {@link mifCounts}; as `mifCount`); EADDRNOTAVAIL
   * otherwise, like the kernel (or fails as configured with `mifCount`).
   */
  vifCount(mifi: number): VifCount {
    this.calls.push({ op: "mifCount", mifi });
    this.#maybeFail("mifCount");
    if (!this.mifs.has(mifi)) throw new FakeSysError("mifCount", "EADDRNOTAVAIL");
    return this.mifCounts.get(mifi) ?? ZERO_COUNT;
  }

  /** Records a membership and its filter (the call with `filter` only when one is given). */
  joinGroup(group: bigint, ifindex: number, filter?: SourceFilter<bigint>): JoinOutcome {
    this.calls.push({ op: "joinGroup", group, ifindex, ...(filter && { filter }) });
    this.#maybeFail("joinGroup");
    return recordJoin(this, `${group}/${ifindex}`, filter);
  }

  /** Drops a membership. */
  leaveGroup(group: bigint, ifindex: number): void {
    this.calls.push({ op: "leaveGroup", group, ifindex });
    this.memberships.delete(`${group}/${ifindex}`);
    this.filters.delete(`${group}/${ifindex}`);
  }

  /** Records a sent message (as `sendMld`). */
  send(opts: { ifindex: number; source: bigint; destination: bigint; message: Uint8Array }): void {
    this.calls.push({ op: "sendMld", ...opts });
  }

  /** Next queued message, as the real port returns it (an upcall's `mif` becomes `vif`). */
  receive(): Received<bigint> | undefined {
    const r = this.inbox.shift();
    if (r === undefined) return undefined;
    if (r.kind === "upcall") {
      const { msgtype, mif, source, group } = r;
      return { kind: "upcall", msgtype, vif: mif, source, group };
    }
    const { hopLimit, ...rest } = r;
    return hopLimit === undefined ? rest : { ...rest, hopLimit };
  }

  /** Queues a message and wakes the loop. */
  deliver(msg: Received6): void {
    this.inbox.push(msg);
    this.wake();
  }
}
