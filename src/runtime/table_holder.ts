/**
 * Finds which process probably holds the kernel multicast routing table, to name it when
 * MRT_INIT fails with EADDRINUSE. Reads /proc; only processes in our network namespace count.
 *
 * @module
 */

/** Programs known to take the multicast routing table. */
export const MROUTE_DAEMONS: readonly string[] = [
  "mrouted",
  "pimd",
  "pimd-dense",
  "pim6sd",
  "pimbd",
  "smcrouted",
  "smcroute",
  "igmpproxy",
  "mcproxy",
  "mcast-proxy",
];

/** Returns e.g. `igmpproxy (pid 42)` for a known multicast router in our namespace. */
export function describeTableHolder(): string | undefined {
  let ownNs: string;
  try {
    ownNs = Deno.readLinkSync("/proc/self/ns/net");
  } catch {
    return undefined;
  }
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    try {
      if (Deno.readLinkSync(`/proc/${entry.name}/ns/net`) !== ownNs) continue;
      const comm = Deno.readTextFileSync(`/proc/${entry.name}/comm`).trim();
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0");
      const name = MROUTE_DAEMONS.includes(comm)
        ? comm
        : cmdline.some((a) => /mcast-proxy|\/main\.ts$/.test(a))
        ? "mcast-proxy"
        : undefined;
      if (name !== undefined) found.push(`${name} (pid ${entry.name})`);
    } catch {
      // The process went away or is not readable.
    }
  }
  return found.length > 0 ? `held by ${found.join(", ")}` : undefined;
}
