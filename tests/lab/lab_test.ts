import { deepStrictEqual } from "node:assert/strict";
import { ipv6NotReady } from "./lab.ts";

// `ip -6 -o addr show` (iproute2 6.x): a global address still tentative and no link-local yet,
// then ready.
const EARLY = "1: lo    inet6 ::1/128 scope host \\       valid_lft forever " +
  "preferred_lft forever\n" +
  "2: eth0    inet6 2001:db8:1::11/64 scope global tentative \\       valid_lft forever " +
  "preferred_lft forever\n";
const READY = "1: lo    inet6 ::1/128 scope host \\       valid_lft forever " +
  "preferred_lft forever\n" +
  "2: eth0    inet6 2001:db8:1::11/64 scope global nodad \\       valid_lft forever " +
  "preferred_lft forever\n" +
  "2: eth0    inet6 fe80::f47b:1cff:fee6:bf3b/64 scope link \\       valid_lft" +
  " forever preferred_lft forever\n";

Deno.test("ipv6NotReady names links without a link-local address and tentative addresses", () => {
  deepStrictEqual(ipv6NotReady(EARLY, ["eth0"]), [
    "eth0 2001:db8:1::11/64 is tentative",
    "eth0 has no link-local address",
  ]);
  deepStrictEqual(ipv6NotReady(READY, ["eth0"]), []);
  deepStrictEqual(ipv6NotReady(READY, ["eth0", "eth1"]), ["eth1 has no link-local address"]);
  deepStrictEqual(ipv6NotReady("", []), []);
});

Deno.test("ipv6NotReady reads the flags before the lifetimes only", () => {
  const text = "2: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever " +
    "preferred_lft forever tentative\n";
  deepStrictEqual(ipv6NotReady(text, ["eth0"]), []);
});
