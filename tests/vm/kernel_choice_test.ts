import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { kernelFlag, missingRouting } from "./kernel_choice.ts";

Deno.test("kernelFlag takes --kernel out of the arguments, else the environment's choice", () => {
  deepStrictEqual(kernelFlag(["--quick", "--kernel", "vm", "--out", "x"], ""), {
    force: "vm",
    rest: ["--quick", "--out", "x"],
  });
  deepStrictEqual(kernelFlag(["--kernel=host"], "vm"), { force: "host", rest: [] });
  deepStrictEqual(kernelFlag(["e2e"], "vm"), { force: "vm", rest: ["e2e"] });
  deepStrictEqual(kernelFlag([], ""), { force: undefined, rest: [] });
});

Deno.test("kernelFlag refuses another value or a missing one", () => {
  throws(() => kernelFlag(["--kernel", "qemu"], ""), {
    message: '--kernel takes host or vm, not "qemu"',
  });
  throws(() => kernelFlag(["--kernel"], ""), { message: "--kernel needs a value: host or vm" });
  throws(() => kernelFlag([], "uml"), { message: '--kernel takes host or vm, not "uml"' });
});

Deno.test("missingRouting names what the kernel lacks, and nothing when it has both", () => {
  equal(missingRouting({ release: "6.1.0-57-amd64", ipv4: true, ipv6: true }), undefined);
  equal(
    missingRouting({ release: "6.18.44", ipv4: false, ipv6: false }),
    "this machine's kernel 6.18.44 has no IPv4 (CONFIG_IP_MROUTE) or IPv6 (CONFIG_IPV6_MROUTE) " +
      "multicast routing",
  );
  equal(
    missingRouting({ release: "6.6", ipv4: true, ipv6: false }),
    "this machine's kernel 6.6 has no IPv6 (CONFIG_IPV6_MROUTE) multicast routing",
  );
});
