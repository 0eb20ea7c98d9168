/**
 * Host memberships with source filters, spread over a pool of datagram sockets. The kernel
 * limits a socket twice, and a new socket is opened when one is full:
 * - groups per socket: for IPv4 `net.ipv4.igmp_max_memberships` (20 by default, ENOBUFS past
 *   it); for IPv6 the socket's option memory (`net.core.optmem_max`: about 2340 groups with the
 *   default 128 KiB, measured; ENOMEM). The user never has to raise a sysctl for these.
 * - sources per socket filter: `net.ipv4.igmp_max_msf` (10) / `net.ipv6.mld_max_msf` (64),
 *   ENOBUFS past it.
 *
 * A group on an interface (a key) holds one or more sockets ("slots"), each joined with part
 * of the filter. The kernel merges the sockets of one interface as RFC 3376 §3.2 says: any
 * EXCLUDE socket makes the interface EXCLUDE the intersection of the EXCLUDE lists minus every
 * INCLUDE source; otherwise it INCLUDEs the union. So an INCLUDE filter is spread over
 * ceil(n / limit) sockets, while an EXCLUDE filter lives on one socket alone, capped at the
 * limit: excluding fewer sources admits a superset of the wanted traffic, and the caller is told
 * once (see {@link JoinOutcome.capped}).
 *
 * A change updates the kernel in place, in an order where the interface never admits less than
 * both the old and the new filter want: sources that stay keep their socket, new ones are added
 * before gone ones are removed, and a mode switch first sets the socket of the new mode
 * (IN→EX: one socket to EXCLUDE, then the others leave; EX→IN: INCLUDE sockets first, the
 * EXCLUDE socket last). An INCLUDE socket starts with MCAST_JOIN_SOURCE_GROUP, so the kernel
 * never reports a moment of any-source membership.
 *
 * The kernel calls go through {@link MembershipCalls}: `membership_calls.ts` makes them with
 * libc, the unit tests with a model of the kernel.
 *
 * @module
 */

import type { SourceFilter } from "../src/core/actions.ts";
import type { JoinOutcome } from "../src/runtime/sys.ts";
import { Errno, SysError } from "./errno.ts";

/** A group on an interface. */
export interface GroupAt<A> {
  /** The group address. */
  group: A;
  /** The interface index. */
  ifindex: number;
}

/**
 * The kernel calls of one family (MCAST_* options on datagram sockets). Calls whose refusal the
 * pool handles return 0 or the errno; the others throw {@link SysError}.
 */
export interface MembershipCalls<A> {
  /** Opens a datagram socket of the family; throws. */
  open(): number;
  /** MCAST_JOIN_GROUP, or MCAST_JOIN_SOURCE_GROUP when `source` is given: 0 or the errno. */
  join(fd: number, at: GroupAt<A>, source?: A): number;
  /** MCAST_MSFILTER, the socket's whole filter: 0 or the errno. */
  setFilter(fd: number, at: GroupAt<A>, filter: SourceFilter<A>): number;
  /** MCAST_LEAVE_GROUP; throws. */
  leave(fd: number, at: GroupAt<A>): void;
  /** Closes a socket; never throws. */
  close(fd: number): void;
}

/** The limits of a family. */
export interface PoolLimits {
  /** Sources per socket filter, from the sysctl (or its default). */
  maxSources: number;
  /** The sysctl that sets it, for the warning: `net.ipv4.igmp_max_msf`. */
  sysctl: string;
}

/** One socket of the pool. */
interface MemberSocket {
  fd: number;
  /** Groups joined on it. */
  groups: number;
  /** It refused one more group. */
  full: boolean;
}

/** One socket's part of a key's filter. */
interface Slot<A> {
  sock: MemberSocket;
  mode: "include" | "exclude";
  sources: A[];
  /** Its socket refused more sources of this group (option memory). */
  capped: boolean;
}

/** A key's slots; outside a call either all INCLUDE, or one EXCLUDE slot alone. */
interface Membership<A> {
  at: GroupAt<A>;
  slots: Slot<A>[];
  /** The EXCLUDE filter is capped (the warning was given). */
  capped: boolean;
}

/** Any source: EXCLUDE {}. */
const ANY_SOURCE: SourceFilter<never> = { mode: "exclude", sources: [] };

/** Whether a refusal means "this socket holds no more" (ENOBUFS, ENOMEM). */
function isFull(errno: number): boolean {
  return errno === Errno.ENOBUFS || errno === Errno.ENOMEM;
}

/** Memberships by group and interface, on as many sockets as the kernel's limits need. */
export class MembershipPool<A extends number | bigint> {
  readonly #calls: MembershipCalls<A>;
  readonly #sockets: MemberSocket[] = [];
  readonly #byKey = new Map<string, Membership<A>>();
  #maxSources: number;
  readonly #sysctl: string;

  /** Opens nothing until the first join. */
  constructor(calls: MembershipCalls<A>, limits: PoolLimits) {
    this.#calls = calls;
    this.#maxSources = Math.max(1, limits.maxSources);
    this.#sysctl = limits.sysctl;
  }

  /** The number of sockets open. */
  get sockets(): number {
    return this.#sockets.length;
  }

  /** Sources per socket filter (lowered when the kernel refuses a filter of that size). */
  get maxSources(): number {
    return this.#maxSources;
  }

  /** Sets the sources per socket filter (read from the sysctl when the port opens). */
  set maxSources(n: number) {
    this.#maxSources = Math.max(1, Math.floor(n));
  }

  /**
   * Joins `at` with `filter` (none: any source), or changes the filter of a group joined there
   * in place. Throws {@link SysError}; the kernel then holds what the pool recorded.
   */
  join(at: GroupAt<A>, filter: SourceFilter<A> = ANY_SOURCE): JoinOutcome {
    const key = `${at.group}/${at.ifindex}`;
    const known = this.#byKey.get(key);
    const m = known ?? { at, slots: [], capped: false };
    const sources = [...new Set(filter.sources)];
    if (filter.mode === "include" && sources.length === 0) {
      throw new RangeError("INCLUDE {} is a leave, not a join");
    }
    if (known !== undefined && this.#holds(known, filter.mode, sources)) {
      return { change: "unchanged" };
    }
    this.#byKey.set(key, m);
    try {
      const capped = filter.mode === "include"
        ? this.#include(m, sources)
        : this.#exclude(m, sources);
      return { change: known === undefined ? "joined" : "updated", ...capped };
    } finally {
      if (m.slots.length === 0) this.#byKey.delete(key);
    }
  }

  /** Leaves what {@link join} joined at `at`; nothing when it is not joined. */
  leave(at: GroupAt<A>): void {
    const m = this.#byKey.get(`${at.group}/${at.ifindex}`);
    if (m === undefined) return;
    this.#byKey.delete(`${at.group}/${at.ifindex}`);
    let error: unknown;
    for (const slot of [...m.slots]) {
      try {
        this.#drop(m, slot);
      } catch (err) {
        error ??= err;
      }
    }
    if (error !== undefined) throw error;
  }

  /** The filter each socket holds for `at`, in slot order (for tests and the status dump). */
  slotsOf(at: GroupAt<A>): { fd: number; mode: "include" | "exclude"; sources: A[] }[] {
    const m = this.#byKey.get(`${at.group}/${at.ifindex}`);
    return (m?.slots ?? []).map((s) => ({ fd: s.sock.fd, mode: s.mode, sources: [...s.sources] }));
  }

  /** Closes every socket: the kernel drops their memberships. */
  close(): void {
    for (const m of this.#sockets) this.#calls.close(m.fd);
    this.#sockets.length = 0;
    this.#byKey.clear();
  }

  /** Whether `m` holds this filter already (an EXCLUDE one as capped). */
  #holds(m: Membership<A>, mode: "include" | "exclude", sources: A[]): boolean {
    if (mode === "exclude") {
      const applied = sources.slice(0, this.#maxSources);
      return m.slots.length === 1 && m.slots[0].mode === "exclude" &&
        sameSet(m.slots[0].sources, applied);
    }
    if (m.slots.some((s) => s.mode === "exclude")) return false;
    return sameSet(m.slots.flatMap((s) => s.sources), sources);
  }

  /**
   * Makes `m` INCLUDE `sources`: every missing source is added first (to slots with room, then
   * to new sockets, the EXCLUDE slot switched last), then gone sources are removed and the
   * slots left empty (and the EXCLUDE slot, if not switched) leave.
   */
  #include(m: Membership<A>, sources: A[]): undefined {
    const wanted = new Set(sources);
    const included = new Set(m.slots.flatMap((s) => s.mode === "include" ? s.sources : []));
    let missing = sources.filter((s) => !included.has(s));
    while (missing.length > 0) {
      const max = Math.max(1, this.#maxSources);
      const kept = (s: Slot<A>) => s.sources.filter((x) => wanted.has(x));
      const slot = m.slots.find((s) => s.mode === "include" && !s.capped && kept(s).length < max);
      const ex = m.slots.find((s) => s.mode === "exclude" && !s.capped);
      if (slot !== undefined) {
        const take = missing.slice(0, max - kept(slot).length);
        if (this.#setFilter(m, slot, "include", [...kept(slot), ...take])) {
          missing = missing.slice(take.length);
        }
      } else if (ex !== undefined && missing.length <= max) {
        // The last chunk: the EXCLUDE socket switches to it in one call.
        if (this.#setFilter(m, ex, "include", missing)) missing = [];
      } else {
        const added = this.#addSlot(m, missing[0]);
        const chunk = missing.slice(0, max);
        if (chunk.length === 1 || this.#setFilter(m, added, "include", chunk)) {
          missing = missing.slice(chunk.length);
        } else {
          missing = missing.slice(1);
        }
      }
    }
    for (const slot of [...m.slots]) {
      const kept = slot.mode === "include" ? slot.sources.filter((x) => wanted.has(x)) : [];
      if (kept.length === 0) this.#drop(m, slot);
      else if (kept.length < slot.sources.length) this.#setFilter(m, slot, "include", kept);
    }
    m.capped = false;
    return undefined;
  }

  /**
   * Makes `m` EXCLUDE `sources` (the first {@link maxSources} of them) on one socket: the
   * EXCLUDE slot, or the first INCLUDE slot switched to EXCLUDE before the others leave, or a
   * new socket joined for any source.
   */
  #exclude(m: Membership<A>, sources: A[]): Pick<JoinOutcome, "capped"> {
    let slot = m.slots.find((s) => s.mode === "exclude") ?? m.slots[0];
    if (slot === undefined) {
      slot = this.#addSlot(m, undefined);
    }
    for (;;) {
      const applied = sources.slice(0, this.#maxSources);
      if (slot.mode === "exclude" && sameSet(slot.sources, applied)) break;
      if (this.#setFilter(m, slot, "exclude", applied)) break;
    }
    for (const other of m.slots.filter((s) => s !== slot)) this.#drop(m, other);
    const capped = sources.length > this.#maxSources;
    const warn = capped && !m.capped;
    m.capped = capped;
    if (!warn) return {};
    return { capped: { applied: this.#maxSources, wanted: sources.length, sysctl: this.#sysctl } };
  }

  /**
   * Sets a slot's whole filter (MCAST_MSFILTER). A socket that refuses it as too big either
   * has a lower limit than we thought (it holds this group alone: the limit drops to one less
   * than asked) or is out of option memory (the slot takes no more); returns false then, having
   * changed nothing in the kernel. Throws on any other error.
   */
  #setFilter(m: Membership<A>, slot: Slot<A>, mode: "include" | "exclude", sources: A[]): boolean {
    const errno = this.#calls.setFilter(slot.sock.fd, m.at, { mode, sources });
    if (errno === 0) {
      slot.mode = mode;
      slot.sources = [...sources];
      return true;
    }
    if (!isFull(errno) || sources.length === 0) {
      throw new SysError("setsockopt", "MCAST_MSFILTER", errno);
    }
    if (slot.sock.groups === 1 || mode === "exclude") {
      // 0 is possible: an EXCLUDE filter then excludes nothing (INCLUDE chunks take one).
      this.#maxSources = Math.min(this.#maxSources, sources.length - 1);
    } else {
      slot.capped = true;
      slot.sock.full = true;
    }
    if (sources.length === 1 && slot.sock.groups === 1 && mode === "include") {
      throw new SysError("setsockopt", "MCAST_MSFILTER", errno);
    }
    return false;
  }

  /**
   * Joins `m`'s group on a socket that does not hold it yet: for `source` (INCLUDE {source}),
   * or any source. Opens a socket when every open one is full.
   */
  #addSlot(m: Membership<A>, source: A | undefined): Slot<A> {
    const used = new Set(m.slots.map((s) => s.sock));
    for (;;) {
      let sock = this.#sockets.find((s) => !s.full && !used.has(s));
      if (sock === undefined) {
        sock = { fd: this.#calls.open(), groups: 0, full: false };
        this.#sockets.push(sock);
      }
      const errno = this.#calls.join(sock.fd, m.at, source);
      if (errno === 0) {
        sock.groups++;
        const slot: Slot<A> = source === undefined
          ? { sock, mode: "exclude", sources: [], capped: false }
          : { sock, mode: "include", sources: [source], capped: false };
        m.slots.push(slot);
        return slot;
      }
      // A socket that holds groups and refuses one more is full; on an empty one it is news.
      if (!isFull(errno) || sock.groups === 0) {
        const option = source === undefined ? "MCAST_JOIN_GROUP" : "MCAST_JOIN_SOURCE_GROUP";
        throw new SysError("setsockopt", option, errno);
      }
      sock.full = true;
    }
  }

  /** Leaves `m`'s group on one slot's socket (MCAST_LEAVE_GROUP). */
  #drop(m: Membership<A>, slot: Slot<A>): void {
    m.slots.splice(m.slots.indexOf(slot), 1);
    slot.sock.groups--;
    slot.sock.full = false;
    this.#calls.leave(slot.sock.fd, m.at);
  }
}

/** Whether two lists hold the same values. */
function sameSet<A>(a: readonly A[], b: readonly A[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return set.size === b.length && b.every((x) => set.has(x));
}
