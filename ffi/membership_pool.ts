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
 * A join takes a socket from the list of those that refused no group since their last leave,
 * skipping the few its group is on already (a group is never twice on one socket): constant
 * time however many sockets are full. The common membership, one socket with an INCLUDE filter
 * that fits it, is one small record holding the caller's source list, not a copy.
 *
 * The kernel calls go through {@link MembershipCalls}: `membership_calls.ts` makes them with
 * libc, the unit tests with a model of the kernel.
 *
 * @module
 */

import type { SourceFilter } from "../src/core/actions.ts";
import type { JoinOutcome } from "../src/runtime/sys.ts";
import { Errno, SysError } from "./errno.ts";
import {
  holdsSocket,
  isEmpty,
  isSingle,
  type MemberSocket,
  NO_SLOTS,
  sameSet,
  type Slot,
  slotList,
  type Slots,
  withoutDuplicates,
  withoutSlot,
  withSlot,
} from "./membership_slots.ts";

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

/**
 * The slots of a group on an interface; outside a call either all INCLUDE, or one EXCLUDE slot
 * alone. The group and interface are its keys in the pool; each call is given them again.
 */
interface Membership<A> {
  slots: Slots<A>;
  /** The EXCLUDE filter is capped (the warning was given). */
  capped: boolean;
}

/** Any source: EXCLUDE {}. */
const ANY_SOURCE: SourceFilter<never> = Object.freeze({ mode: "exclude", sources: [] });
/** The filter of a slot joined for any source. */
const NO_SOURCES: readonly never[] = Object.freeze([]);

const JOINED: JoinOutcome = Object.freeze({ change: "joined" });
const UPDATED: JoinOutcome = Object.freeze({ change: "updated" });
const UNCHANGED: JoinOutcome = Object.freeze({ change: "unchanged" });

/** Whether a refusal means "this socket holds no more" (ENOBUFS, ENOMEM). */
function isFull(errno: number): boolean {
  return errno === Errno.ENOBUFS || errno === Errno.ENOMEM;
}

/** Memberships by group and interface, on as many sockets as the kernel's limits need. */
export class MembershipPool<A extends number | bigint> {
  readonly #calls: MembershipCalls<A>;
  readonly #sockets: MemberSocket[] = [];
  /** The sockets that have not refused a group since their last leave, in no useful order. */
  readonly #withRoom: MemberSocket[] = [];
  /** Memberships by interface index, then group (a daemon has one or two upstream indexes). */
  readonly #byIfindex = new Map<number, Map<A, Membership<A>>>();
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
   *
   * The pool keeps `filter.sources` (not a copy) as long as it is joined with it: the caller
   * must not change the array afterwards. The core builds a new one for every filter.
   */
  join(at: GroupAt<A>, filter: SourceFilter<A> = ANY_SOURCE): JoinOutcome {
    const sources = withoutDuplicates(filter.sources);
    if (filter.mode === "include" && sources.length === 0) {
      throw new RangeError("INCLUDE {} is a leave, not a join");
    }
    const byGroup = this.#byIfindex.get(at.ifindex);
    const known = byGroup?.get(at.group);
    if (known !== undefined && this.#holds(known, filter.mode, sources)) return UNCHANGED;
    const m: Membership<A> = known ?? { slots: NO_SLOTS, capped: false };
    try {
      const capped = filter.mode === "include"
        ? this.#include(at, m, sources)
        : this.#exclude(at, m, sources);
      const outcome = known === undefined ? JOINED : UPDATED;
      return capped === undefined ? outcome : { change: outcome.change, capped };
    } finally {
      // Recorded as the kernel holds it, returning or throwing.
      const held = !isEmpty(m.slots);
      if (known === undefined && held) this.#record(at, m);
      else if (known !== undefined && !held) this.#forget(at);
    }
  }

  /** Leaves what {@link join} joined at `at`; nothing when it is not joined. */
  leave(at: GroupAt<A>): void {
    const m = this.#byIfindex.get(at.ifindex)?.get(at.group);
    if (m === undefined) return;
    this.#forget(at);
    const slots = m.slots;
    if (isSingle(slots)) return this.#drop(at, m, slots);
    let error: unknown;
    for (const slot of slots) {
      try {
        this.#drop(at, m, slot);
      } catch (err) {
        error ??= err;
      }
    }
    if (error !== undefined) throw error;
  }

  /** The filter each socket holds for `at`, in slot order (for tests and the status dump). */
  slotsOf(at: GroupAt<A>): { fd: number; mode: "include" | "exclude"; sources: A[] }[] {
    const m = this.#byIfindex.get(at.ifindex)?.get(at.group);
    return slotList(m?.slots ?? NO_SLOTS).map((s) => ({
      fd: s.sock.fd,
      mode: s.mode,
      sources: [...s.sources],
    }));
  }

  /** Closes every socket: the kernel drops their memberships. */
  close(): void {
    for (const m of this.#sockets) this.#calls.close(m.fd);
    this.#sockets.length = 0;
    this.#withRoom.length = 0;
    this.#byIfindex.clear();
  }

  /** Records the membership at `at`. */
  #record(at: GroupAt<A>, m: Membership<A>): void {
    let byGroup = this.#byIfindex.get(at.ifindex);
    if (byGroup === undefined) {
      byGroup = new Map();
      this.#byIfindex.set(at.ifindex, byGroup);
    }
    byGroup.set(at.group, m);
  }

  /** Forgets the membership at `at` (an interface's map goes with its last group). */
  #forget(at: GroupAt<A>): void {
    const byGroup = this.#byIfindex.get(at.ifindex);
    if (byGroup === undefined) return;
    byGroup.delete(at.group);
    if (byGroup.size === 0) this.#byIfindex.delete(at.ifindex);
  }

  /** The sources one INCLUDE socket takes: at least one, whatever was learnt. */
  get #chunk(): number {
    return Math.max(1, this.#maxSources);
  }

  /** Whether `m` holds this filter already (an EXCLUDE one as capped). */
  #holds(m: Membership<A>, mode: "include" | "exclude", sources: readonly A[]): boolean {
    const slots = m.slots;
    if (mode === "exclude") {
      const applied = Math.min(sources.length, this.#maxSources);
      return isSingle(slots) && slots.mode === "exclude" &&
        sameSet(slots.sources, sources, applied);
    }
    if (isSingle(slots)) {
      return slots.mode === "include" && sameSet(slots.sources, sources, sources.length);
    }
    let count = 0;
    for (const s of slots) {
      if (s.mode === "exclude") return false;
      count += s.sources.length;
    }
    if (count !== sources.length) return false;
    const held = new Set(slots.flatMap((s) => s.sources));
    return held.size === count && sources.every((x) => held.has(x));
  }

  /**
   * Makes `m` INCLUDE `sources`: every missing source is added first (to slots with room, then
   * to new sockets, the EXCLUDE slot switched last), then gone sources are removed and the
   * slots left empty (and the EXCLUDE slot, if not switched) leave.
   */
  #include(at: GroupAt<A>, m: Membership<A>, sources: readonly A[]): undefined {
    if (!this.#includeOnOne(at, m, sources)) this.#spreadInclude(at, m, sources);
    m.capped = false;
    return undefined;
  }

  /**
   * The common case of {@link include}: a filter that fits one socket, on a new membership or
   * on its one INCLUDE slot, in one or two calls. False when it does not apply or the kernel
   * refused the filter (nothing changed then but a slot joined for the first source).
   */
  #includeOnOne(at: GroupAt<A>, m: Membership<A>, sources: readonly A[]): boolean {
    if (sources.length > this.#chunk) return false;
    const slots = m.slots;
    if (isEmpty(slots)) {
      const slot = this.#addSlot(at, m, sources);
      return sources.length === 1 || this.#setFilter(at, slot, "include", sources);
    }
    // One socket filter replaced by another: nothing is admitted less on the way.
    return isSingle(slots) && slots.mode === "include" && !slots.capped &&
      this.#setFilter(at, slots, "include", sources);
  }

  /** {@link include} in general: over as many sockets as it takes. */
  #spreadInclude(at: GroupAt<A>, m: Membership<A>, sources: readonly A[]): void {
    const wanted = new Set(sources);
    const included = new Set(
      slotList(m.slots).flatMap((s) => s.mode === "include" ? s.sources : []),
    );
    let missing = sources.filter((s) => !included.has(s));
    const kept = (s: Slot<A>) => s.sources.filter((x) => wanted.has(x));
    while (missing.length > 0) {
      const max = this.#chunk;
      const slots = slotList(m.slots);
      const slot = slots.find((s) => s.mode === "include" && !s.capped && kept(s).length < max);
      const ex = slots.find((s) => s.mode === "exclude" && !s.capped);
      if (slot !== undefined) {
        const stay = kept(slot);
        const take = missing.slice(0, max - stay.length);
        if (this.#setFilter(at, slot, "include", [...stay, ...take])) {
          missing = missing.slice(take.length);
        }
      } else if (ex !== undefined && missing.length <= max) {
        // The last chunk: the EXCLUDE socket switches to it in one call.
        if (this.#setFilter(at, ex, "include", missing)) missing = [];
      } else {
        const chunk = missing.slice(0, max);
        const added = this.#addSlot(at, m, chunk);
        if (chunk.length === 1 || this.#setFilter(at, added, "include", chunk)) {
          missing = missing.slice(chunk.length);
        } else {
          missing = missing.slice(1);
        }
      }
    }
    for (const slot of slotList(m.slots)) {
      const stay = slot.mode === "include" ? kept(slot) : [];
      if (stay.length === 0) this.#drop(at, m, slot);
      else if (stay.length < slot.sources.length) this.#setFilter(at, slot, "include", stay);
    }
  }

  /**
   * Makes `m` EXCLUDE `sources` (the first {@link maxSources} of them) on one socket: the
   * EXCLUDE slot, or the first INCLUDE slot switched to EXCLUDE before the others leave, or a
   * new socket joined for any source.
   */
  #exclude(at: GroupAt<A>, m: Membership<A>, sources: readonly A[]): JoinOutcome["capped"] {
    const slots = m.slots;
    let slot = isSingle(slots) ? slots : slots.find((s) => s.mode === "exclude") ?? slots[0];
    if (slot === undefined) {
      slot = this.#addSlot(at, m, NO_SOURCES);
    }
    for (;;) {
      const applied = sources.length <= this.#maxSources
        ? sources
        : sources.slice(0, this.#maxSources);
      if (slot.mode === "exclude" && sameSet(slot.sources, applied, applied.length)) break;
      if (this.#setFilter(at, slot, "exclude", applied)) break;
    }
    const all = m.slots;
    if (!isSingle(all)) {
      for (const other of all) if (other !== slot) this.#drop(at, m, other);
    }
    const capped = sources.length > this.#maxSources;
    const warn = capped && !m.capped;
    m.capped = capped;
    if (!warn) return undefined;
    return { applied: this.#maxSources, wanted: sources.length, sysctl: this.#sysctl };
  }

  /**
   * Sets a slot's whole filter (MCAST_MSFILTER) and keeps `sources` (not a copy) as the slot's.
   * A socket that refuses it as too big either has a lower limit than we thought (it holds this
   * group alone: the limit drops to one less than asked) or is out of option memory (the slot
   * takes no more); returns false then, having changed nothing in the kernel. Throws on any
   * other error.
   */
  #setFilter(
    at: GroupAt<A>,
    slot: Slot<A>,
    mode: "include" | "exclude",
    sources: readonly A[],
  ): boolean {
    const errno = this.#calls.setFilter(slot.sock.fd, at, { mode, sources });
    if (errno === 0) {
      slot.mode = mode;
      slot.sources = sources;
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
      this.#markFull(slot.sock);
    }
    if (sources.length === 1 && slot.sock.groups === 1 && mode === "include") {
      throw new SysError("setsockopt", "MCAST_MSFILTER", errno);
    }
    return false;
  }

  /**
   * Joins `m`'s group on a socket that does not hold it yet: for the first of `sources`
   * (INCLUDE {source}; the slot keeps `sources` when that is all of it), or for any source when
   * there is none. Opens a socket when every open one is full.
   */
  #addSlot(at: GroupAt<A>, m: Membership<A>, sources: readonly A[]): Slot<A> {
    const source = sources.length === 0 ? undefined : sources[0];
    for (;;) {
      const sock = this.#socketFor(m);
      const errno = this.#calls.join(sock.fd, at, source);
      if (errno === 0) {
        sock.groups++;
        const slot: Slot<A> = source === undefined
          ? { sock, mode: "exclude", sources: NO_SOURCES, capped: false }
          : {
            sock,
            mode: "include",
            sources: sources.length === 1 ? sources : [source],
            capped: false,
          };
        m.slots = withSlot(m.slots, slot);
        return slot;
      }
      // A socket that holds groups and refuses one more is full; on an empty one it is news.
      if (!isFull(errno) || sock.groups === 0) {
        const option = source === undefined ? "MCAST_JOIN_GROUP" : "MCAST_JOIN_SOURCE_GROUP";
        throw new SysError("setsockopt", option, errno);
      }
      this.#markFull(sock);
    }
  }

  /**
   * A socket with room that does not hold `m`'s group, or a new one. The list of sockets with
   * room is walked from its end, past at most the sockets `m` is on: O(1) for a group on one.
   */
  #socketFor(m: Membership<A>): MemberSocket {
    const room = this.#withRoom;
    for (let i = room.length - 1; i >= 0; i--) {
      if (!holdsSocket(m.slots, room[i])) return room[i];
    }
    const sock: MemberSocket = { fd: this.#calls.open(), groups: 0, room: -1 };
    this.#sockets.push(sock);
    this.#markRoom(sock);
    return sock;
  }

  /** Takes a socket off the list of sockets with room (it refused a group or a filter). */
  #markFull(sock: MemberSocket): void {
    if (sock.room < 0) return;
    const last = this.#withRoom.pop()!;
    if (last !== sock) {
      this.#withRoom[sock.room] = last;
      last.room = sock.room;
    }
    sock.room = -1;
  }

  /** Puts a socket (back) on the list of sockets with room. */
  #markRoom(sock: MemberSocket): void {
    if (sock.room >= 0) return;
    sock.room = this.#withRoom.push(sock) - 1;
  }

  /** Leaves `m`'s group on one slot's socket (MCAST_LEAVE_GROUP). */
  #drop(at: GroupAt<A>, m: Membership<A>, slot: Slot<A>): void {
    m.slots = withoutSlot(m.slots, slot);
    slot.sock.groups--;
    this.#markRoom(slot.sock);
    this.#calls.leave(slot.sock.fd, at);
  }
}
