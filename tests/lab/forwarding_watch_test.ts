import { deepStrictEqual } from "node:assert/strict";
import { type ForwardingCounts, forwardingProblems } from "./forwarding_watch.ts";

const PATH = { family: 4 as const, iif: "up0", oif: "dn1" };

/**
 * Counters with entries given as [key, packets, forwards to dn1], the same in both readings of
 * the cache, or `later` more packets in the second.
 */
function counts(
  inPkts: number,
  outPkts: number,
  entries: [string, number, boolean][],
  later = 0,
): ForwardingCounts {
  const map = (extra: number) =>
    new Map(entries.map(([k, packets, toOif]) => [k, { packets: packets + extra, toOif }]));
  return { in: inPkts, out: outPkts, before: map(0), after: map(later) };
}

const G1 = "10.0.0.2 239.1.1.1";
const G2 = "10.0.0.2 239.1.1.2";

Deno.test("forwardingProblems: every datagram in went out, the entries stayed", () => {
  // 1000 datagrams of G1 to dn1 and 500 of G2 elsewhere, a new entry G3 meanwhile.
  const start = counts(2000, 1500, [[G1, 1500, true], [G2, 500, false]]);
  const end = counts(3550, 2502, [[G1, 2500, true], [G2, 1000, false], [
    "10.0.0.2 239.1.1.3",
    50,
    false,
  ]]);
  deepStrictEqual(forwardingProblems(start, end, PATH), []);
});

Deno.test("forwardingProblems: packets between the reads of the cache are no problem", () => {
  // 3 packets of G1 came while the interface table was read, at the start and at the end.
  const start = counts(2000, 1500, [[G1, 1500, true]], 3);
  const end = counts(3000, 2500, [[G1, 2500, true]], 3);
  deepStrictEqual(forwardingProblems(start, end, PATH), []);
  // But an entry counting from 0 again cannot hide in them.
  deepStrictEqual(forwardingProblems(start, counts(3000, 2500, [[G1, 990, true]], 3), PATH), [
    "1000 datagrams came in on up0, its entries counted at most -507: an entry was added again",
    "no datagram came up0 → dn1",
  ]);
});

Deno.test("forwardingProblems names an oif taken out, an entry gone or added again, and silence", () => {
  const start = counts(2000, 1500, [[G1, 1500, true], [G2, 500, false]]);
  // dn1 out of G1's entry for a moment: G1 counted 1000 more, dn1 sent 700.
  deepStrictEqual(
    forwardingProblems(start, counts(3500, 2200, [[G1, 2500, true], [G2, 1000, false]]), PATH),
    ["1000 datagrams came up0 → dn1, 700 went out on dn1"],
  );
  // G1's entry deleted and added again: it counts from 0.
  deepStrictEqual(
    forwardingProblems(start, counts(3500, 2500, [[G1, 900, true], [G2, 1000, false]]), PATH),
    [
      "1500 datagrams came in on up0, its entries counted at most -100: an entry was added again",
      "no datagram came up0 → dn1",
    ],
  );
  // G1's entry gone.
  deepStrictEqual(
    forwardingProblems(start, counts(2500, 1500, [[G2, 1000, false]]), PATH),
    ["the entry (10.0.0.2 239.1.1.1) from up0 went away", "no datagram came up0 → dn1"],
  );
  // dn1 no longer in G1's entry.
  deepStrictEqual(
    forwardingProblems(start, counts(2500, 1500, [[G1, 1500, false], [G2, 1000, false]]), PATH),
    ["dn1 left the entry (10.0.0.2 239.1.1.1)", "no datagram came up0 → dn1"],
  );
});
