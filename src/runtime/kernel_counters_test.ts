import { deepStrictEqual } from "node:assert/strict";
import { IGMP_FAMILY } from "../core/igmp_family.ts";
import { ip } from "../proto/testing.ts";
import { readPacketCounts } from "./kernel_counters.ts";
import type { SgCount } from "./sys.ts";

const S = ip("10.1.0.99");
const G = ip("239.1.1.1");
const G2 = ip("239.1.1.2");

Deno.test("readPacketCounts counts the packets of the input interface only, and says which it cannot read", () => {
  const logged: string[] = [];
  const counts = readPacketCounts({
    port: {
      sgCount(_source: number, group: number): SgCount {
        // Linux counts the packets that came in on another interface in both fields.
        if (group === G) return { packets: 120, bytes: 12_000, wrongIf: 20 };
        throw new Error("ENOENT");
      },
      vifCount() {
        throw new Error("not read here");
      },
    },
    family: IGMP_FAMILY,
    log: (_level, message) => logged.push(message),
  }, [{ source: S, group: G }, { source: S, group: G2 }]);
  deepStrictEqual(counts, [{ source: S, group: G, packets: 100 }, { source: S, group: G2 }]);
  deepStrictEqual(logged, ["Cannot read the counters of (10.1.0.99, 239.1.1.2): ENOENT"]);
});
