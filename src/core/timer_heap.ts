/**
 * A binary min-heap of timer entries ordered by deadline, so that the earliest of thousands of
 * group timers is found in O(1) and the due ones are taken in O(log n) each, instead of
 * scanning every group on every loop round.
 *
 * Entries are never removed early: whoever pushes them checks, when one is taken, whether it
 * still stands (lazy deletion).
 *
 * @example
 * ```ts
 * const heap = new TimerHeap<{ at: number; name: string }>();
 * heap.push({ at: 20, name: "b" });
 * heap.push({ at: 10, name: "a" });
 * heap.peek()?.name; // "a"
 * heap.popDue(15).map((e) => e.name); // ["a"]
 * ```
 *
 * @module
 */

/** What the heap holds: anything with a deadline. */
export interface TimerEntry {
  /** The deadline (ms). */
  at: number;
}

/** A min-heap of entries by `at`; ties come out in no particular order. */
export class TimerHeap<E extends TimerEntry> {
  readonly #items: E[] = [];

  /** The number of entries, stale ones included. */
  get size(): number {
    return this.#items.length;
  }

  /** The entry with the earliest deadline, or `undefined` when empty. */
  peek(): E | undefined {
    return this.#items[0];
  }

  /** Adds an entry. O(log n). */
  push(entry: E): void {
    const items = this.#items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent].at <= entry.at) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = entry;
  }

  /** Removes and returns the earliest entry, or `undefined` when empty. O(log n). */
  pop(): E | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && items[r].at < items[l].at ? r : l;
      if (items[child].at >= last.at) break;
      items[i] = items[child];
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Removes and returns every entry due at `now` (`at <= now`), earliest first. */
  popDue(now: number): E[] {
    const due: E[] = [];
    while (this.#items.length > 0 && this.#items[0].at <= now) due.push(this.pop()!);
    return due;
  }

  /** Removes every entry. */
  clear(): void {
    this.#items.length = 0;
  }
}
