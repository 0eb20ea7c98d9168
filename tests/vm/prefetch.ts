/**
 * What the end-to-end tests and the benchmarks would fetch from the network, fetched on the
 * host before the test VM starts (the guest has no network, and sees the host's files):
 * Debian's igmpproxy, the peer of the benchmarks, and the esbuild package that `deno bundle`
 * (the single-file build) downloads into Deno's cache on first use.
 *
 * @module
 */

import { ensureIgmpproxy } from "../bench/igmpproxy.ts";
import { runCommand } from "../lab/apt.ts";
import { denoBin } from "../lab/lab.ts";
import { CHECKOUT } from "./vm.ts";

/**
 * Installs igmpproxy when it is missing (saying so through `log`) and fills Deno's cache with
 * what `deno bundle` needs, by bundling the daemon once into a file that is thrown away.
 * Throws with the reason when either fails.
 */
export async function prefetchForGuest(log: (message: string) => void): Promise<void> {
  await ensureIgmpproxy({ log });
  const dir = await Deno.makeTempDir({ prefix: "mcast-proxy-prefetch-" });
  try {
    const r = await runCommand(
      denoBin(),
      ["bundle", "--quiet", "--platform", "deno", "--output", `${dir}/bundle.js`, "main.ts"],
      { cwd: CHECKOUT, env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } },
    );
    if (r.code !== 0) {
      throw new Error(`Cannot fetch what "deno bundle" needs: ${r.stderr.trim()}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
