import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { parseSenderArgs, SIZEOF_SOCKADDR_IN6, sockaddrIn6 } from "./sender.ts";
import { SRC_ADDR, SRC_ADDR6 } from "./lab.ts";

Deno.test("parseSenderArgs defaults the address to the lab sender's of the groups' family", () => {
  equal(parseSenderArgs(["--groups", "239.1.1.1"]).ifaceAddr, SRC_ADDR);
  const v6 = parseSenderArgs(["--groups", "ff05::1,ff05::2", "--ttl", "8"]);
  deepStrictEqual([v6.groups, v6.ifaceAddr, v6.ttl], [["ff05::1", "ff05::2"], SRC_ADDR6, 8]);
  equal(
    parseSenderArgs(["--groups=ff05::1", "--iface-addr=2001:db8:1::11"]).ifaceAddr,
    "2001:db8:1::11",
  );
});

Deno.test("parseSenderArgs rejects mixed families, a foreign address and bad groups", () => {
  throws(() => parseSenderArgs(["--groups", "239.1.1.1,ff05::1"]), /differ in family/);
  throws(
    () => parseSenderArgs(["--groups", "ff05::1", "--iface-addr", "10.0.0.2"]),
    /not of the groups' family/,
  );
  throws(() => parseSenderArgs(["--groups", "2001:db8::5"]), /Bad group "2001:db8::5"/);
  throws(() => parseSenderArgs(["--groups", "ff05:::1"]), /Bad group/);
  throws(() => parseSenderArgs(["--groups", "239.1.1"]), /Bad group/);
  throws(() => parseSenderArgs([]), /--groups" is required/);
});

Deno.test("sockaddrIn6 lays out family, port, address and scope as Linux x86_64 does", () => {
  const address = new Uint8Array([0xff, 0x05, ...new Array(13).fill(0), 1]);
  const sa = sockaddrIn6(address, 5001, 3, true);
  equal(sa.length, SIZEOF_SOCKADDR_IN6);
  deepStrictEqual([...sa], [
    ...[10, 0], // sin6_family AF_INET6, host order (little-endian)
    ...[0x13, 0x89], // sin6_port 5001, network order
    ...[0, 0, 0, 0], // sin6_flowinfo
    ...address, // sin6_addr ff05::1
    ...[3, 0, 0, 0], // sin6_scope_id 3, host order
  ]);
  deepStrictEqual([...sockaddrIn6(address, 1, 0, false).subarray(0, 4)], [0, 10, 0, 1]);
  throws(() => sockaddrIn6(new Uint8Array(4), 1), RangeError);
});
