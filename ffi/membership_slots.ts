/**
 * The values `MembershipPool` (`membership_pool.ts`) keeps per membership, and the list helpers
 * its joins use: a membership's slots (one socket's part of its filter each) are one slot, by
 * far the common case, or a list of them, never changed in place; source lists are compared and
 * freed of repeats without building a Set when they are short.
 *
 * @module
 */

/** One socket of the pool. */
export interface MemberSocket {
  fd: number;
  /** Groups joined on it. */
  groups: number;
  /** Its index in the pool's list of sockets with room; -1 once it refused one more group. */
  room: number;
}

/** One socket's part of a membership's filter. */
export interface Slot<A> {
  sock: MemberSocket;
  mode: "include" | "exclude";
  /** Never changed in place: a new filter is a new array (it may be the caller's). */
  sources: readonly A[];
  /** Its socket refused more sources of this group (option memory). */
  capped: boolean;
}

/**
 * A membership's slots: the one slot (by far the common case), or a list of them. Never
 * changed in place, so a list read before a call that adds or drops a slot stays as it was.
 */
export type Slots<A> = Slot<A> | readonly Slot<A>[];

/** No slots: a membership being joined, or left. */
export const NO_SLOTS: readonly Slot<never>[] = Object.freeze([]);

/** Lists up to this long are compared and checked for duplicates without building a Set. */
const SHORT_LIST = 16;

/** Whether a membership has exactly one slot. */
export function isSingle<A>(slots: Slots<A>): slots is Slot<A> {
  return !Array.isArray(slots);
}

/** Whether a membership has no slot (being joined, or left). */
export function isEmpty<A>(slots: Slots<A>): boolean {
  return !isSingle(slots) && slots.length === 0;
}

/** The slots as a list (a new one-element list for a single slot). */
export function slotList<A>(slots: Slots<A>): readonly Slot<A>[] {
  return isSingle(slots) ? [slots] : slots;
}

/** The slots and one more, last. */
export function withSlot<A>(slots: Slots<A>, slot: Slot<A>): Slots<A> {
  if (isSingle(slots)) return [slots, slot];
  return slots.length === 0 ? slot : [...slots, slot];
}

/** The slots but one, in order; a single slot left stands alone. */
export function withoutSlot<A>(slots: Slots<A>, slot: Slot<A>): Slots<A> {
  if (isSingle(slots)) return slots === slot ? NO_SLOTS : slots;
  const rest = slots.filter((s) => s !== slot);
  return rest.length === 1 ? rest[0] : rest;
}

/** Whether one of the slots is on `sock`. */
export function holdsSocket<A>(slots: Slots<A>, sock: MemberSocket): boolean {
  return isSingle(slots) ? slots.sock === sock : slots.some((s) => s.sock === sock);
}

/** `list` itself when it names each value once, else a list of its values, each once. */
export function withoutDuplicates<A>(list: readonly A[]): readonly A[] {
  const n = list.length;
  if (n > SHORT_LIST) {
    const set = new Set(list);
    return set.size === n ? list : [...set];
  }
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (list[i] === list[j]) return [...new Set(list)];
    }
  }
  return list;
}

/**
 * Whether `a` holds the same values as the first `n` of `b`; neither names a value twice.
 * Lists in the same order (the core sorts them) are compared in one pass.
 */
export function sameSet<A>(a: readonly A[], b: readonly A[], n: number): boolean {
  if (a.length !== n) return false;
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  if (i === n) return true;
  if (n <= SHORT_LIST) {
    for (; i < n; i++) if (!a.includes(b[i])) return false;
    return true;
  }
  const set = new Set(a);
  for (; i < n; i++) if (!set.has(b[i])) return false;
  return true;
}
