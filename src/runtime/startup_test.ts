import { equal, ok } from "node:assert/strict";
import { FakeSysError } from "../../tests/fakes/fake_sys.ts";
import { IPV4, IPV6, StartupError } from "./interfaces.ts";
import { explainMrtInit } from "./startup.ts";

const fail = (code: string) => new FakeSysError("setsockopt", code);

Deno.test("explainMrtInit: a table held elsewhere names the holder, or the usual suspects", () => {
  const held = explainMrtInit(IPV4, fail("EADDRINUSE"), "igmpproxy (pid 42)");
  ok(held instanceof StartupError);
  equal(
    held.message,
    "Cannot take the kernel multicast routing table: another multicast router holds it " +
      "(igmpproxy (pid 42))",
  );
  equal(
    explainMrtInit(IPV6, fail("EADDRINUSE"), undefined).message,
    "Cannot take the kernel IPv6 multicast routing table: another multicast router holds it " +
      "(mrouted, pimd, smcroute, igmpproxy or another mcast-proxy)",
  );
});

Deno.test("explainMrtInit: missing privileges say what is needed", () => {
  for (const code of ["EPERM", "EACCES"]) {
    equal(
      explainMrtInit(IPV6, fail(code), undefined).message,
      "Cannot open the IPv6 multicast routing socket: permission denied (run as root, or with " +
        "CAP_NET_ADMIN and CAP_NET_RAW)",
    );
  }
});

Deno.test("explainMrtInit: a kernel without multicast routing names the option it lacks", () => {
  equal(
    explainMrtInit(IPV4, fail("ENOPROTOOPT"), undefined).message,
    "Cannot take the kernel multicast routing table: the kernel has no IPv4 multicast routing " +
      "(CONFIG_IP_MROUTE)",
  );
  equal(
    explainMrtInit(IPV6, fail("EAFNOSUPPORT"), undefined).message,
    "Cannot take the kernel IPv6 multicast routing table: the kernel has no IPv6 multicast " +
      "routing (CONFIG_IPV6_MROUTE)",
  );
});

Deno.test("explainMrtInit: any other failure as it is", () => {
  equal(
    explainMrtInit(IPV4, new Error("socket: EMFILE"), undefined).message,
    "Cannot take the kernel multicast routing table: Error: socket: EMFILE",
  );
});
