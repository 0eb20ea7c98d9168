import { deepStrictEqual, equal } from "node:assert/strict";
import { decodePayload, isIpv6Text } from "./host_agent.ts";
import { senderPayload } from "./sender.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("decodePayload reads IPv4 and IPv6 groups as the sender wrote them", () => {
  deepStrictEqual(decodePayload(bytes("seq 12 239.1.1.1")), { seq: 12, group: "239.1.1.1" });
  deepStrictEqual(decodePayload(bytes("seq 0 ff05::1")), { seq: 0, group: "ff05::1" });
  deepStrictEqual(decodePayload(bytes("seq 7 FF3E::8000:1")), { seq: 7, group: "FF3E::8000:1" });
  deepStrictEqual(decodePayload(bytes("seq 3 ::ffff:239.1.1.1")), {
    seq: 3,
    group: "::ffff:239.1.1.1",
  });
});

Deno.test("decodePayload round-trips the sender's padded payloads of both families", () => {
  deepStrictEqual(decodePayload(senderPayload(41, "ff05::1", 200)), { seq: 41, group: "ff05::1" });
  deepStrictEqual(decodePayload(senderPayload(9, "239.1.1.2", 64)), { seq: 9, group: "239.1.1.2" });
  equal(senderPayload(9, "ff05::1", 200).length, 200);
});

Deno.test("decodePayload rejects other payloads", () => {
  for (const s of ["", "seq x 239.1.1.1", "seq 1", "seq 1 ff05::1 extra", "seq 1 hello", "x"]) {
    equal(decodePayload(bytes(s)), null, s);
  }
});

Deno.test("isIpv6Text tells the family by the text form", () => {
  deepStrictEqual(["ff05::1", "239.1.1.1", "::", "10.0.0.1"].map(isIpv6Text), [
    true,
    false,
    true,
    false,
  ]);
});
