/**
 * What the end-to-end tests and the benchmarks would fetch from the network, fetched on the
 * host before the test VM starts (the guest has no network, and sees the host's files):
 * Debian's igmpproxy, the peer of the benchmarks, Debian's FRR, the PIM-SSM router of the SSM
 * e2e test (`tests/lab/pim_router.ts`), the esbuild package that `deno bundle`
 * (the single-file build) downloads into Deno's cache on first use, and the newest Deno on npm,
 * which the security tests run the daemon with too.
 *
 * @module
 */

import { ensureIgmpproxy } from "../bench/igmpproxy.ts";
import { runCommand } from "../lab/apt.ts";
import { ensureFrr } from "../lab/pim_router.ts";
import { denoBin } from "../lab/lab.ts";
import { fetchNewestDeno } from "../lab/newest_deno.ts";
import { CHECKOUT } from "./vm.ts";

/**
 * Installs igmpproxy and FRR when they are missing (saying so through `log`), fills Deno's cache with
 * what `deno bundle` needs, by bundling the daemon once into a file that is thrown away, and
 * fetches the newest Deno. Throws with the reason when any fails.
 */
export async function prefetchForGuest(log: (message: string) => void): Promise<void> {
  await ensureIgmpproxy({ log });
  await ensureFrr({ log });
  await fetchNewestDeno(log);
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
