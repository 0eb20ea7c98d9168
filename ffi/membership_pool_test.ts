import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import type { SourceFilter } from "../src/core/actions.ts";
import { Errno, SysError } from "./errno.ts";
import { type GroupAt, type MembershipCalls, MembershipPool } from "./membership_pool.ts";

/** A socket's filter for one group. */
interface SocketFilter {
  mode: "include" | "exclude";
  sources: Set<number>;
}

/** What an interface admits of a group: `undefined` when no socket holds it. */
type Merged = { mode: "include" | "exclude"; sources: Set<number> } | undefined;

/**
 * A model of the Linux host side, one family: sockets with their per-group filters, the limits
 * (groups per socket, sources per filter; ENOBUFS past them), and the interface's merged state
 * of each group (RFC 3376 §3.2) recorded after every call that changes it.
 */
class KernelModel implements MembershipCalls<number> {
  readonly sockets = new Map<number, Map<string, SocketFilter>>();
  readonly log: string[] = [];
  /** Every merged state of each group, in order. */
  readonly history = new Map<string, Merged[]>();
  #next = 10;

  constructor(public maxGroups = 20, public maxSources = 10) {}

  open(): number {
    const fd = this.#next++;
    this.sockets.set(fd, new Map());
    this.log.push(`open ${fd}`);
    return fd;
  }

  join(fd: number, at: GroupAt<number>, source?: number): number {
    const groups = this.sockets.get(fd)!;
    const key = keyOf(at);
    if (groups.has(key)) return Errno.EADDRINUSE;
    if (groups.size >= this.maxGroups) return Errno.ENOBUFS;
    this.log.push(`join ${fd} ${source ?? "any"}`);
    const sources = new Set(source === undefined ? [] : [source]);
    groups.set(key, { mode: source === undefined ? "exclude" : "include", sources });
    this.#record(key);
    return 0;
  }

  setFilter(fd: number, at: GroupAt<number>, filter: SourceFilter<number>): number {
    const groups = this.sockets.get(fd)!;
    const key = keyOf(at);
    if (!groups.has(key)) return Errno.EINVAL;
    if (filter.sources.length > this.maxSources) return Errno.ENOBUFS;
    this.log.push(`filter ${fd} ${filter.mode} ${filter.sources.join(",")}`);
    if (filter.mode === "include" && filter.sources.length === 0) groups.delete(key);
    else groups.set(key, { mode: filter.mode, sources: new Set(filter.sources) });
    this.#record(key);
    return 0;
  }

  leave(fd: number, at: GroupAt<number>): void {
    const groups = this.sockets.get(fd)!;
    if (!groups.delete(keyOf(at))) throw new SysError("setsockopt", "MCAST_LEAVE_GROUP", 99);
    this.log.push(`leave ${fd}`);
    this.#record(keyOf(at));
  }

  close(fd: number): void {
    const groups = this.sockets.get(fd)!;
    this.sockets.delete(fd);
    this.log.push(`close ${fd}`);
    for (const key of groups.keys()) this.#record(key);
  }

  /** The interface's state of a group: any EXCLUDE socket → EXCLUDE ∩(EX lists) − ∪(IN lists). */
  merged(key: string): Merged {
    const filters = [...this.sockets.values()].flatMap((g) => g.has(key) ? [g.get(key)!] : []);
    if (filters.length === 0) return undefined;
    const included = new Set(filters.flatMap((f) => f.mode === "include" ? [...f.sources] : []));
    const excludes = filters.filter((f) => f.mode === "exclude");
    if (excludes.length === 0) return { mode: "include", sources: included };
    const common = [...excludes[0].sources].filter((s) =>
      excludes.every((f) => f.sources.has(s)) && !included.has(s)
    );
    return { mode: "exclude", sources: new Set(common) };
  }

  #record(key: string): void {
    const list = this.history.get(key) ?? [];
    list.push(this.merged(key));
    this.history.set(key, list);
  }
}

function keyOf(at: GroupAt<number>): string {
  return `${at.group}/${at.ifindex}`;
}

function admits(state: Merged, source: number): boolean {
  if (state === undefined) return false;
  return state.mode === "include" ? state.sources.has(source) : !state.sources.has(source);
}

const AT: GroupAt<number> = { group: 0xef010101, ifindex: 4 };
/** 10.0.0.1, 10.0.0.2, ... */
function sources(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => 0x0a000000 + from + i);
}
const STRANGER = 0x0b000001;

function include(list: number[]): SourceFilter<number> {
  return { mode: "include", sources: list };
}
function exclude(list: number[]): SourceFilter<number> {
  return { mode: "exclude", sources: list };
}

function poolOn(kernel: KernelModel, maxSources = 10): MembershipPool<number> {
  return new MembershipPool(kernel, { maxSources, sysctl: "net.ipv4.igmp_max_msf" });
}

/**
 * Joins `at` with `filter` and checks the kernel's way there: every state on the way admits
 * whatever both the state before and the filter admit, the group is never left in between,
 * and the end state is the filter (EXCLUDE capped at `maxSources`).
 */
function change(
  pool: MembershipPool<number>,
  kernel: KernelModel,
  filter: SourceFilter<number> | undefined,
  at = AT,
) {
  const key = keyOf(at);
  const before = kernel.merged(key);
  const seen = kernel.history.get(key)?.length ?? 0;
  const outcome = pool.join(at, filter);
  const after = kernel.merged(key);
  const wanted = filter ?? exclude([]);
  const applied = wanted.mode === "exclude"
    ? wanted.sources.slice(0, pool.maxSources)
    : wanted.sources;
  deepStrictEqual(after, { mode: wanted.mode, sources: new Set(applied) }, "the end state");
  const universe = [...(before?.sources ?? []), ...wanted.sources, STRANGER];
  for (const mid of (kernel.history.get(key) ?? []).slice(seen)) {
    ok(before === undefined || mid !== undefined, "never left in between");
    for (const s of universe) {
      if (admits(before, s) && admits(after, s)) {
        ok(admits(mid, s), `source ${s.toString(16)} dropped on the way: ${JSON.stringify(mid)}`);
      }
    }
  }
  return outcome;
}

Deno.test("MembershipPool: INCLUDE {a} to {a, b} in place on its socket: one call, no leave", () => {
  const kernel = new KernelModel();
  const pool = poolOn(kernel);
  const [a, b] = sources(1, 2);
  deepStrictEqual(change(pool, kernel, include([a])), { change: "joined" });
  deepStrictEqual(change(pool, kernel, include([a, b])), { change: "updated" });
  deepStrictEqual(change(pool, kernel, include([b, a])), { change: "unchanged" });
  deepStrictEqual(kernel.log, [
    "open 10",
    `join 10 ${a}`,
    `filter 10 include ${a},${b}`,
  ]);
  deepStrictEqual(change(pool, kernel, include([b])), { change: "updated" });
  equal(kernel.log.at(-1), `filter 10 include ${b}`);
});

Deno.test("MembershipPool: a plain join is EXCLUDE {} on one socket, and once", () => {
  const kernel = new KernelModel();
  const pool = poolOn(kernel);
  deepStrictEqual(change(pool, kernel, undefined), { change: "joined" });
  deepStrictEqual(change(pool, kernel, exclude([])), { change: "unchanged" });
  deepStrictEqual(kernel.log, ["open 10", "join 10 any"]);
});

Deno.test("MembershipPool: INCLUDE past the limit is spread; sources that stay keep their socket", () => {
  const kernel = new KernelModel();
  const pool = poolOn(kernel);
  const all = sources(1, 25);
  change(pool, kernel, include(all));
  deepStrictEqual(pool.slotsOf(AT).map((s) => [s.fd, s.sources.length]), [
    [10, 10],
    [11, 10],
    [12, 5],
  ]);
  const fdOf = new Map(pool.slotsOf(AT).flatMap((s) => s.sources.map((x) => [x, s.fd])));
  // Five gone from the first socket, three new ones.
  const next = [...all.slice(5), ...sources(100, 3)];
  change(pool, kernel, include(next));
  equal(pool.sockets, 3, "no socket more");
  for (const slot of pool.slotsOf(AT)) {
    for (const s of slot.sources) {
      if (fdOf.has(s)) equal(slot.fd, fdOf.get(s), "a source that stays keeps its socket");
    }
  }
  // Down to two sources: the emptied sockets leave the group.
  change(pool, kernel, include(all.slice(20, 22)));
  equal(pool.slotsOf(AT).length, 1);
});

Deno.test("MembershipPool: EXCLUDE past the limit excludes the first ones, said once per episode", () => {
  const kernel = new KernelModel();
  const pool = poolOn(kernel);
  const twelve = sources(1, 12);
  deepStrictEqual(change(pool, kernel, exclude(twelve)), {
    change: "joined",
    capped: { applied: 10, wanted: 12, sysctl: "net.ipv4.igmp_max_msf" },
  });
  deepStrictEqual(pool.slotsOf(AT), [{ fd: 10, mode: "exclude", sources: twelve.slice(0, 10) }]);
  deepStrictEqual(change(pool, kernel, exclude(sources(1, 13))), { change: "unchanged" });
  deepStrictEqual(change(pool, kernel, exclude(sources(2, 13))), { change: "updated" });
  deepStrictEqual(change(pool, kernel, exclude(twelve.slice(0, 3))), { change: "updated" });
  deepStrictEqual(change(pool, kernel, exclude(twelve)).capped?.applied, 10, "a new episode");
  equal(pool.sockets, 1);
});

Deno.test("MembershipPool: INCLUDE to EXCLUDE sets one socket to EXCLUDE first, then drops the others", () => {
  const kernel = new KernelModel();
  const pool = poolOn(kernel);
  const all = sources(1, 25);
  change(pool, kernel, include(all));
  kernel.log.length = 0;
  change(pool, kernel, exclude([all[0], STRANGER]));
  deepStrictEqual(kernel.log, [
    `filter 10 exclude ${all[0]},${STRANGER}`,
    "leave 11",
    "leave 12",
  ]);
});

Deno.test("MembershipPool: EXCLUDE to INCLUDE puts INCLUDE chunks on other sockets, then switches", () => {
  const kernel = new KernelModel();
  const pool = poolOn(kernel);
  const all = sources(1, 25);
  change(pool, kernel, exclude([all[0], STRANGER]));
  kernel.log.length = 0;
  change(pool, kernel, include(all));
  deepStrictEqual(kernel.log.map((l) => l.split(" ").slice(0, 3).join(" ")), [
    "open 11",
    `join 11 ${all[0]}`,
    "filter 11 include",
    "open 12",
    `join 12 ${all[10]}`,
    "filter 12 include",
    "filter 10 include",
  ]);
  deepStrictEqual(pool.slotsOf(AT).map((s) => [s.fd, s.sources.length]), [
    [10, 5],
    [11, 10],
    [12, 10],
  ]);
  // A small EX → IN switches the one socket in one call.
  const other = { group: 0xef010102, ifindex: 4 };
  change(pool, kernel, exclude([STRANGER]), other);
  const [{ fd }] = pool.slotsOf(other);
  kernel.log.length = 0;
  change(pool, kernel, include([all[0]]), other);
  deepStrictEqual(kernel.log, [`filter ${fd} include ${all[0]}`]);
});

Deno.test("MembershipPool: a socket full of groups (ENOBUFS) makes another; a key's slots never share one", () => {
  const kernel = new KernelModel(2);
  const pool = poolOn(kernel);
  const groups = [1, 2, 3].map((i) => ({ group: 0xef010100 + i, ifindex: 4 }));
  for (const at of groups) change(pool, kernel, include(sources(1, 15)), at);
  for (const at of groups) {
    const fds = pool.slotsOf(at).map((s) => s.fd);
    equal(new Set(fds).size, 2, `two sockets for ${at.group.toString(16)}`);
  }
  // g1 and g2 fill two sockets; g3 needs two more of its own.
  equal(pool.sockets, 4);
  for (const [, held] of kernel.sockets) ok(held.size <= 2);
});

Deno.test("MembershipPool: a lower limit than read (ENOBUFS on the filter) is learnt, and INCLUDE re-spread", () => {
  const kernel = new KernelModel(20, 4);
  const pool = poolOn(kernel, 10);
  change(pool, kernel, include(sources(1, 12)));
  equal(pool.maxSources, 4);
  deepStrictEqual(pool.slotsOf(AT).map((s) => s.sources.length), [4, 4, 4]);
  const ex = { group: 0xef010109, ifindex: 4 };
  deepStrictEqual(change(pool, kernel, exclude(sources(1, 6)), ex).capped?.applied, 4);
});

Deno.test("MembershipPool: leave and close drop everything", () => {
  const kernel = new KernelModel();
  const pool = poolOn(kernel);
  change(pool, kernel, include(sources(1, 25)));
  change(pool, kernel, exclude([STRANGER]), { group: 0xef010102, ifindex: 4 });
  pool.leave(AT);
  equal(kernel.merged(keyOf(AT)), undefined);
  pool.leave(AT);
  deepStrictEqual(pool.slotsOf(AT), []);
  pool.close();
  equal(kernel.sockets.size, 0);
  equal(pool.sockets, 0);
});

Deno.test("MembershipPool: INCLUDE {} is not a join; an unexpected errno is a SysError", () => {
  const kernel = new KernelModel();
  const pool = poolOn(kernel);
  throws(() => pool.join(AT, include([])), RangeError);
  kernel.join = () => Errno.ENODEV;
  throws(
    () => pool.join(AT, include([1])),
    (e) => e instanceof SysError && e.op === "MCAST_JOIN_SOURCE_GROUP",
  );
  deepStrictEqual(pool.slotsOf(AT), []);
});

Deno.test("MembershipPool: a join with the filter held already makes no kernel call", () => {
  const kernel = new KernelModel();
  const pool = poolOn(kernel);
  const [a, b] = sources(1, 2);
  const many = sources(1, 25);
  const twelve = sources(50, 12);
  const other = { group: 0xef010102, ifindex: 4 };
  const capped = { group: 0xef010103, ifindex: 4 };
  const any = { group: 0xef010104, ifindex: 4 };
  change(pool, kernel, include([a, b]));
  change(pool, kernel, include(many), other);
  change(pool, kernel, exclude(twelve), capped);
  change(pool, kernel, undefined, any);
  const calls = kernel.log.length;
  deepStrictEqual(pool.join(AT, include([b, a])), { change: "unchanged" });
  deepStrictEqual(pool.join(AT, include([a, b, a])), { change: "unchanged" });
  deepStrictEqual(pool.join(other, include([...many].reverse())), { change: "unchanged" });
  deepStrictEqual(pool.join(capped, exclude([...twelve.slice(0, 10), STRANGER])), {
    change: "unchanged",
  });
  deepStrictEqual(pool.join(any, exclude([])), { change: "unchanged" });
  equal(kernel.log.length, calls);
});

Deno.test("MembershipPool: a source named twice is joined once", () => {
  const kernel = new KernelModel();
  const pool = poolOn(kernel);
  const [a, b] = sources(1, 2);
  change(pool, kernel, include([a, b, a]));
  deepStrictEqual(pool.slotsOf(AT), [{ fd: 10, mode: "include", sources: [a, b] }]);
  equal(kernel.log.at(-1), `filter 10 include ${a},${b}`);
});

Deno.test("MembershipPool: the same group on two interfaces is two memberships", () => {
  const kernel = new KernelModel();
  const pool = poolOn(kernel);
  const [a, b] = sources(1, 2);
  const there = { group: AT.group, ifindex: 5 };
  deepStrictEqual(change(pool, kernel, include([a])), { change: "joined" });
  deepStrictEqual(change(pool, kernel, include([b]), there), { change: "joined" });
  pool.leave(AT);
  deepStrictEqual(pool.slotsOf(AT), []);
  deepStrictEqual(pool.slotsOf(there), [{ fd: 10, mode: "include", sources: [b] }]);
});

Deno.test("MembershipPool: a place freed by a leave is taken before another socket opens", () => {
  const kernel = new KernelModel(2);
  const pool = poolOn(kernel);
  const groups = [1, 2, 3, 4, 5, 6].map((i) => ({ group: 0xef010100 + i, ifindex: 4 }));
  const [a] = sources(1, 1);
  // Two groups fill socket 10, the third goes to 11; a leave frees a place on 10.
  for (const at of groups.slice(0, 3)) change(pool, kernel, include([a]), at);
  pool.leave(groups[0]);
  change(pool, kernel, include([a]), groups[3]);
  change(pool, kernel, include([a]), groups[4]);
  equal(pool.sockets, 2, "the places left on 10 and 11 are taken");
  change(pool, kernel, include([a]), groups[5]);
  equal(pool.sockets, 3, "then a socket opens");
  for (const [, held] of kernel.sockets) ok(held.size <= 2);
});

Deno.test("MembershipPool: 10,000 groups fill ceil(10000 / 20) sockets, each refusing once", () => {
  const held = new Map<number, number>();
  let refused = 0;
  const calls: MembershipCalls<number> = {
    open: () => (held.set(held.size + 10, 0), held.size + 9),
    join: (fd) => {
      if (held.get(fd)! >= 20) return (refused++, Errno.ENOBUFS);
      held.set(fd, held.get(fd)! + 1);
      return 0;
    },
    setFilter: () => 0,
    leave: (fd) => void held.set(fd, held.get(fd)! - 1),
    close: () => {},
  };
  const pool = new MembershipPool(calls, { maxSources: 10, sysctl: "net.ipv4.igmp_max_msf" });
  const [a] = sources(1, 1);
  for (let i = 0; i < 10_000; i++) pool.join({ group: 0xe8640000 + i, ifindex: 4 }, include([a]));
  equal(pool.sockets, 500);
  equal(refused, 499, "a full socket is asked once");
  ok([...held.values()].every((n) => n === 20));
});

for (const [kernelMax, poolMax] of [[3, 3], [2, 4]]) {
  Deno.test(`MembershipPool: random changes never drop what both filters admit (limit ${kernelMax}, read ${poolMax})`, () => {
    randomChanges(kernelMax, poolMax);
  });
}

/** 600 seeded random joins, updates and leaves of four groups, each checked by {@link change}. */
function randomChanges(kernelMax: number, poolMax: number): void {
  let seed = 17;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const kernel = new KernelModel(3, kernelMax);
  const pool = poolOn(kernel, poolMax);
  const groups = [1, 2, 3, 4].map((i) => ({ group: 0xef010100 + i, ifindex: 4 }));
  const universe = sources(1, 12);
  for (let step = 0; step < 600; step++) {
    const at = groups[random(groups.length)];
    const picked = universe.filter(() => random(3) === 0);
    if (random(10) === 0) {
      pool.leave(at);
      equal(kernel.merged(keyOf(at)), undefined);
    } else if (random(2) === 0 && picked.length > 0) {
      change(pool, kernel, include(picked), at);
    } else if (random(5) === 0) {
      change(pool, kernel, undefined, at);
    } else {
      change(pool, kernel, exclude(picked), at);
    }
    for (const [, held] of kernel.sockets) ok(held.size <= 3, "groups per socket");
  }
}
