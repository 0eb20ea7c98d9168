/**
 * One view of the OS port per protocol family, so that the runtime drives IPv4 (VIFs, IGMP)
 * and IPv6 (MIFs, MLD) with the same code: what `Sys` and `Sys6` read becomes core events, and
 * the core's actions go to the right half.
 *
 * @module
 */

import type { Address } from "../core/family.ts";
import type { ProxyEvent } from "../core/proxy.ts";
import type { MfcSpec, SgCount, Sys, Sys6, VifCount, VifSpec } from "./sys.ts";

/** The kernel operations of one family, with its addresses. */
export interface FamilyPort<A extends Address> {
  /** Takes the family's kernel table (MRT_INIT, MRT6_INIT). */
  init(): void;
  /** Adds a VIF or MIF. */
  addVif(vif: VifSpec<A>): void;
  /** Deletes a VIF or MIF. */
  delVif(vifi: number): void;
  /** Adds or updates a forwarding entry. */
  addMfc(mfc: MfcSpec<A>): void;
  /** Deletes a forwarding entry. */
  delMfc(source: A, group: A): void;
  /** An entry's counters. */
  sgCount(source: A, group: A): SgCount;
  /** A VIF's or MIF's counters. */
  vifCount(vifi: number): VifCount;
  /** Joins a group as a host on an interface. */
  joinGroup(group: A, ifindex: number): void;
  /** Leaves a group. */
  leaveGroup(group: A, ifindex: number): void;
  /** Sends an IGMP or MLD message out of an interface. */
  send(opts: { ifindex: number; source: A; destination: A; message: Uint8Array }): void;
  /** The next message or upcall as a core event, or `undefined` when none is pending. */
  receive(): ProxyEvent<A> | undefined;
}

/** The IPv4 half of `sys`. */
export function ipv4Port(sys: Sys): FamilyPort<number> {
  return {
    init: () => sys.mrtInit(),
    addVif: (vif) => sys.addVif(vif),
    delVif: (vifi) => sys.delVif(vifi),
    addMfc: (mfc) => sys.addMfc(mfc),
    delMfc: (source, group) => sys.delMfc(source, group),
    sgCount: (source, group) => sys.sgCount(source, group),
    vifCount: (vifi) => sys.vifCount(vifi),
    joinGroup: (group, ifindex) => sys.joinGroup(group, ifindex),
    leaveGroup: (group, ifindex) => sys.leaveGroup(group, ifindex),
    send: (o) =>
      sys.sendIgmp({
        ifindex: o.ifindex,
        source: o.source,
        destination: o.destination,
        igmp: o.message,
      }),
    receive() {
      const r = sys.receive();
      if (r === undefined) return undefined;
      return r.kind === "packet"
        ? { kind: "packet", ifindex: r.ifindex, data: r.data, length: r.length }
        : { kind: "upcall", msgtype: r.msgtype, vif: r.vif, source: r.source, group: r.group };
    },
  };
}

/** The IPv6 half of the OS port. */
export function ipv6Port(sys6: Sys6): FamilyPort<bigint> {
  return {
    init: () => sys6.mrtInit(),
    addVif: (mif) => sys6.addMif(mif),
    delVif: (mifi) => sys6.delMif(mifi),
    addMfc: (mfc) => sys6.addMfc(mfc),
    delMfc: (source, group) => sys6.delMfc(source, group),
    sgCount: (source, group) => sys6.sgCount(source, group),
    vifCount: (mifi) => sys6.mifCount(mifi),
    joinGroup: (group, ifindex) => sys6.joinGroup(group, ifindex),
    leaveGroup: (group, ifindex) => sys6.leaveGroup(group, ifindex),
    send: (o) =>
      sys6.sendMld({
        ifindex: o.ifindex,
        source: o.source,
        destination: o.destination,
        message: o.message,
      }),
    receive() {
      const r = sys6.receive();
      if (r === undefined) return undefined;
      return r.kind === "packet"
        ? {
          kind: "packet",
          ifindex: r.ifindex,
          data: r.data,
          length: r.length,
          source: r.source,
          destination: r.destination,
          ...(r.hopLimit === undefined ? {} : { hopLimit: r.hopLimit }),
          routerAlert: r.routerAlert,
        }
        : { kind: "upcall", msgtype: r.msgtype, vif: r.mif, source: r.source, group: r.group };
    },
  };
}
