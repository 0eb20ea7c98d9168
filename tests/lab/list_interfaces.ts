/**
 * Prints what the daemon's OS port sees of the interfaces, as one JSON array on stdout: name,
 * index, flags, and IPv4 and IPv6 addresses as text with their prefix lengths. Run it in a lab
 * namespace with `--allow-ffi`:
 *
 * ```sh
 * ip netns exec NS deno run --allow-ffi tests/lab/list_interfaces.ts
 * ```
 *
 * @module
 */

import { openLibc } from "../../ffi/libc.ts";
import { LinuxSys } from "../../ffi/sys_linux.ts";
import { formatIPv4, formatIPv6 } from "../../src/proto/addr.ts";

/** One interface as printed. */
export interface ListedInterface {
  /** Name. */
  name: string;
  /** Kernel index. */
  index: number;
  /** IFF_UP, IFF_RUNNING, IFF_MULTICAST. */
  up: boolean;
  /** IFF_RUNNING. */
  running: boolean;
  /** IFF_MULTICAST. */
  multicast: boolean;
  /** IPv4 addresses as `a.b.c.d/len`. */
  ipv4: string[];
  /** IPv6 addresses as `x::y/len`. */
  ipv6: string[];
  /** The IPv6 addresses among them that are tentative (DAD not completed or failed). */
  tentative6: string[];
}

if (import.meta.main) {
  const libc = openLibc();
  try {
    const listed: ListedInterface[] = new LinuxSys(libc).interfaces().map((i) => ({
      name: i.name,
      index: i.index,
      up: i.up,
      running: i.running,
      multicast: i.multicast,
      ipv4: i.ipv4.map((a) => `${formatIPv4(a.address)}/${a.prefixLength}`),
      ipv6: i.ipv6.map((a) => `${formatIPv6(a.address)}/${a.prefixLength}`),
      tentative6: i.ipv6.filter((a) => a.tentative).map((a) =>
        `${formatIPv6(a.address)}/${a.prefixLength}`
      ),
    }));
    console.log(JSON.stringify(listed));
  } finally {
    libc.close();
  }
}
